/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "model.h"

/* Finds the processes that hold VFIO groups from user space, through /dev/vfio/N,
 * /dev/vfio/noiommu-N or /dev/vfio/devices/vfioX (iommufd), by reading /proc/PID/fd links.
 * Only groups with a VFIO driver bound can be held, so /proc is not scanned at all when no
 * group has one. Fills holders, holders_state and holders_note of the groups. When /proc
 * cannot be read completely (not root), a group nobody visible holds is "unknown". */
int holders_scan(struct host *h);
