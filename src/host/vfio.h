/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Waits until the group's /dev/vfio/N node exists, at most timeout_ms: a udev monitor wakes
 * us when the node's uevent arrives (after udev's rules ran, when udevd runs), and the node is
 * checked on every wake-up and every 50 ms, since devtmpfs creates it before the uevent.
 * Returns 0 or -ETIMEDOUT. */
int vfio_wait_group_node(int group, int timeout_ms);

/* Asks VFIO whether the group is viable (VFIO_GROUP_GET_STATUS) by opening /dev/vfio/N,
 * which claims nothing. Returns 1 viable, 0 not viable, -EBUSY when somebody holds the group,
 * or -errno. */
int vfio_group_viable(int group);

/* Opens /dev/vfio/N and closes it again, which claims nothing: 0 when it opened, -EBUSY when
 * somebody holds the group (possibly a process /proc does not show), or another -errno (-EACCES
 * without root). */
int vfio_group_open_probe(int group);
