/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "bootconf.h"
#include "journal.h"
#include "model.h"

/* status's boot story (devown(8), BOOT): the configuration resolved against h, the journal j
 * (may be NULL), and the directives of /proc/cmdline and the modprobe.d files. Free *dirs with
 * boot_directives_done and *r (which points into *dirs) with boot_report_done. A configuration
 * that cannot be read or resolved gives no taken devices and no conflicts (status says why
 * through config_error). */
void boot_story(struct host *h, const struct journal *j, struct boot_directives *dirs,
		struct boot_report *r);
