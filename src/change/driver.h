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

/* Sets rq->want_vfio and rq->need_type1 from the n driver choices of rq (bind, apply): a VFIO
 * driver anywhere means vfio_iommu_type1 must be loaded first. */
void change_request_vfio(struct change_request *rq, size_t n);
