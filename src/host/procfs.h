/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdio.h>

/* What the probe layer reads beyond sysfs.h: /proc, other parts of /sys, and rtnetlink. NAME
 * is relative: "self/mountinfo", "net/route", "812/fd", "class/graphics"; "" for the top. */

/* Open the directory <root>/proc/NAME or <root>/sys/NAME (O_DIRECTORY|O_CLOEXEC), or the file
 * <root>/proc/NAME; return the descriptor or -errno. */
int proc_open_dir(const char *name);
int sys_open_dir(const char *name);
int proc_open_file(const char *name);
/* <root>/sys/NAME, for messages. Caller frees. */
char *sys_path(const char *name);
/* read_root_text() and read_root_file() (sysfs.h) of /proc/NAME. */
int proc_read_text(const char *name, char **ret);
int proc_read_file(const char *name, char **ret);
/* fopen(<root>/proc/NAME, "re"), or NULL. */
FILE *proc_fopen(const char *name);

/* The /dev path of a device node by its DEVNAME ("nvme0n1" -> "/dev/nvme0n1"), as the host
 * names it (not under the root: for matching and showing). Caller frees. */
char *dev_node_path(const char *name);

/* IPv4 addresses: an rtnetlink RTM_GETADDR dump, each reply handed to parse (with the request's
 * sequence number) until parse returns non-zero (< 0: that error). Returns 0 or -errno
 * (-ETIMEDOUT when the kernel did not answer within 2 s). */
int netlink_dump_getaddr(int (*parse)(void *userdata, const unsigned char *buf, size_t n,
				      unsigned seq),
			 void *userdata);
/* Under DEVOWN_ROOT, the bytes of such a reply from <root>/netlink/RTM_GETADDR. Returns 0 or
 * -errno (-ENOENT when absent, -EFBIG when implausibly large). Caller frees *ret. */
int netlink_fixture_read(unsigned char **ret, size_t *ret_n);
