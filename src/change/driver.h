/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "model.h"
#include "plan.h"

/* Resolves DRIVER of `devown bind` (or driver= of an apply entry) for one device: "vfio" picks
 * the VFIO variant driver whose vfio_pci: alias matches the device, else vfio-pci; "none"
 * means unbound and parked. Returns 0, or -ENOENT when no registered driver and no module has
 * that name. */
int bind_resolve_driver(struct host *h, const char *arg, struct device *d,
			struct driver_choice *ret);

/* Checks DRIVER before anything else happens (no lock, no scan), so that a wrong one is a
 * usage error at once: "vfio", "none", a registered driver, or a module the index knows; never
 * a modalias or a path. Returns 0, or -EINVAL/-ENOENT with *ret_error (one line, caller
 * frees). */
int driver_arg_check(const char *arg, char **ret_error);
/* The one line for a DRIVER that names no driver and no module. Caller frees. */
char *driver_arg_unknown_error(const char *arg);

/* Sets rq->want_vfio and rq->need_type1 from the n driver choices of rq (bind, apply): a VFIO
 * driver anywhere means vfio_iommu_type1 must be loaded first. */
void change_request_vfio(struct change_request *rq, size_t n);
