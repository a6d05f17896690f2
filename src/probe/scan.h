/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "model.h"

struct scan_options {
	bool names;   /* vendor, device and class names from pci.ids */
	bool modules; /* matching modules from the module index */
	bool in_use;  /* what the host uses each device for */
	bool holders; /* who holds VFIO groups (scans /proc only when a VFIO driver is bound) */
};

/* Builds the model of every PCI device and IOMMU group. Returns 0, or -errno with *ret_error
 * set to one line (caller frees) when there is no PCI bus to read. What it could not read and
 * went on without is in h->warnings, for the command to say. */
int host_scan(struct host *h, const struct scan_options *o, char **ret_error);

/* Reads one device's attributes into d (which must be zeroed or released with device_done).
 * dirfd is the device's sysfs directory. */
int device_load(struct host *h, struct device *d, const char *addr, int dirfd,
		const struct scan_options *o);

/* Re-reads driver, driver_override and vfio-dev of a device after a write and re-classifies
 * it; the group's verdict is re-evaluated by the caller. */
int device_refresh(struct device *d);
/* Same, ignoring errors (a device that vanished keeps its last state). */
void device_refresh_state(struct device *d);

/* Frees everything a host owns (not the struct itself): the model and the name database and
 * module index host_scan() opened. */
void host_done(struct host *h);
