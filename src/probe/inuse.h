/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "model.h"

/* Finds what the host is using each device for (REFERENCE.md section 5) and fills
 * device->in_use, device->in_use_unknown and device->devnodes:
 * - "net": interfaces below the device that are up, carry addresses or routes, or have upper
 *   devices (bond, bridge, team, VLAN); own_connection for the SSH connection's interface;
 * - "mount", "swap", "holder": block devices below it that are mounted, swapped on, or held
 *   by device-mapper/MD (followed through the chain to the mount);
 * - "display": the boot VGA device, framebuffers the console (fbcon) draws on;
 * - "devnode": device nodes below it that a process has open (holders_scan(), called here:
 *   the single /proc pass).
 * Reads mountinfo, swaps and the network view once per run and only when some device has a
 * block device or an interface. Errors degrade to notes in in_use_unknown. Returns 0. */
int inuse_scan(struct host *h);

/* Appends a finding to a device; takes copies of the strings. Returns the finding so that the
 * caller can fill the kind-specific fields (owned by the finding, freed by inuse_done()). */
struct in_use *inuse_add(struct device *d, const char *kind, const char *name, const char *detail);

/* Records that something could not be checked for a device ("cannot read ..."); duplicates
 * are dropped. */
void inuse_note_unknown(struct device *d, const char *reason);

/* Frees a device's findings, notes and device nodes (device_done() calls this). */
void inuse_done(struct device *d);
