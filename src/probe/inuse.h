/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "model.h"

/* Finds what the host is using each device for (docs/kernel.md, "Host use") and fills
 * device->in_use, device->in_use_unknown and device->devnodes:
 * - "net": interfaces below the device that are up, carry addresses or routes, or have upper
 *   devices (bond, bridge, team, VLAN); own_connection for the SSH connection's interface;
 * - "mount", "swap", "holder": block devices below it that are mounted, swapped on, or held
 *   by device-mapper/MD (followed through the chain to the mount);
 * - "display": the boot VGA device, framebuffers the console (fbcon) draws on;
 * - "devnode" findings come from holders_scan() (the single /proc pass), which host_scan()
 *   runs right after this one, over the device nodes found here.
 * Reads mountinfo, swaps and the network view once per run and only when some device has a
 * block device or an interface. Errors degrade to notes in in_use_unknown. Returns 0. */
int inuse_scan(struct host *h);
