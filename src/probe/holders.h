/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "model.h"

/* The one pass over /proc/PID/fd, serving two questions:
 * - who holds a VFIO group from user space, through /dev/vfio/N, /dev/vfio/noiommu-N or
 *   /dev/vfio/devices/vfioX (iommufd): fills holders, holders_state and holders_note of the
 *   groups with a VFIO driver bound. When /proc cannot be read completely (not root), a group
 *   nobody visible holds is "unknown".
 * - which processes have a device node of a PCI device open (device->devnodes, filled by
 *   inuse_scan()): adds a "devnode" finding {pid, command, path} per node and process, and a
 *   note to device->in_use_unknown when some processes could not be read.
 * /proc is not read at all when no group has a VFIO driver and no device has device nodes.
 * The pass runs at most once per host: host_scan() calls it right after inuse_scan() so that
 * in_use is complete; it sets h->holders_scanned, and a later call returns at once. */
int holders_scan(struct host *h);

/* For a change about to touch group g: when a VFIO driver is bound and no visible process
 * holds it, opens /dev/vfio/N to ask the kernel (EBUSY: held, e.g. by a process that kept only
 * a device descriptor, or lives where /proc does not show it). Opening and closing claims
 * nothing; status does not do it, so that it never races a VM's own open. */
void holders_probe_group(struct group *g);

/* Looks again, now, at who holds VFIO groups (after the kernel said EBUSY, for instance),
 * replacing the groups' holders; device-node findings are left as they are. */
int holders_rescan_vfio(struct host *h);

/* Frees what a holder owns (not the struct). */
void holder_done(struct holder *x);
