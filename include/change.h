/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "commands.h"
#include "model.h"
#include "plan.h"

/* Resolves DRIVER of `devown bind` for one device (cmd-bind.c): "vfio" picks the VFIO variant
 * driver whose vfio_pci: alias matches the device, else vfio-pci. Returns 0, or -ENOENT when
 * no registered driver and no module has that name. */
int bind_resolve_driver(struct host *h, const char *arg, struct device *d,
			struct driver_choice *ret);

/* The whole flow shared by bind, unbind and restore: parse targets, check root, take the lock,
 * scan, plan, refuse or print the plan, execute, report. Returns the exit code. */
int change_main(enum change_kind kind, int argc, char **argv, const char *driver_arg,
		const struct cli *cli);
