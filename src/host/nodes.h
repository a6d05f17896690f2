/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* The VFIO device nodes devown hands to a user (--owner), and what it needs to know about that
 * user and about running processes. Every path is built under root_prefix(). */

struct node_stat {
	unsigned uid, gid, mode; /* mode: the permission bits (07777) */
};

/* "/dev/vfio/devices/NAME" and "/dev/vfio/N", as the host names them (not under DEVOWN_ROOT),
 * for messages and status. Caller frees. */
char *vfio_cdev_node_name(const char *name);
char *vfio_group_node_name(int group);

/* The owner and mode of /dev/vfio/N. Refuses (-ELOOP) a symlink; on a real root also anything
 * but a character device (-ENOTTY); -ENOENT when there is no node. A fake root (DEVOWN_ROOT)
 * may hold a regular file there, for status to show. */
int vfio_group_node_stat(int group, struct node_stat *ret);
/* The same for a device's VFIO cdev, /dev/vfio/devices/NAME ("vfio3"). */
int vfio_cdev_node_stat(const char *name, struct node_stat *ret);

/* Gives /dev/vfio/N (or the cdev NAME of the PCI device addr) to uid:gid with mode, without
 * following a symlink, and only when the node is the character device the kernel made for
 * that group (major:minor of /sys/class/vfio/N/dev) or device (its vfio-dev/NAME/dev):
 * -ENOTTY for anything else at the path, -ESTALE when the numbers differ. Returns 0 or
 * -errno. */
int vfio_group_node_chown(int group, unsigned uid, unsigned gid, unsigned mode);
int vfio_cdev_node_chown(const char *addr, const char *name, unsigned uid, unsigned gid,
			 unsigned mode);

/* The start time of a process (field 22 of /proc/PID/stat): 0, or -ESRCH when it is gone. */
int proc_pid_starttime(int pid, unsigned long long *ret);
/* The start time of devown itself, from the real /proc/self/stat even under DEVOWN_ROOT (a
 * fake root's /proc holds other processes, never devown). */
int proc_self_starttime(unsigned long long *ret);
/* The command name of a process (/proc/PID/comm), for messages; NULL when gone. Caller
 * frees. */
char *proc_pid_comm(int pid);

/* The locked-memory limit (RLIMIT_MEMLOCK, bytes; UINT64_MAX: unlimited) that a running
 * process of uid has, from its /proc/PID/limits, with that pid. -ENOENT when no process of
 * that uid runs (nothing to know it by), other -errno when unreadable. */
int proc_uid_memlock(unsigned uid, unsigned long long *ret_soft, int *ret_pid);

/* User and group: names or numbers ("alice", "1000") -> ids. -ENOENT when unknown. */
int user_lookup(const char *name, unsigned *ret_uid, unsigned *ret_primary_gid);
int group_lookup(const char *name, unsigned *ret_gid);
/* The names of uid and gid, or their numbers as text. Caller frees. */
char *user_name(unsigned uid);
char *group_name(unsigned gid);
