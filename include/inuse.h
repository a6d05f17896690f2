/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "model.h"

/* Finds what the host is using each device for (REFERENCE.md section 5) and fills
 * device->in_use: network interfaces that are up or carry addresses and routes, block devices
 * that are mounted, swapped on or held, the boot VGA console. */
int inuse_scan(struct host *h);

/* Appends a finding to a device; takes copies of the strings. */
void inuse_add(struct device *d, const char *kind, const char *name, const char *detail);
