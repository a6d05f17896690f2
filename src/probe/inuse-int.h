/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the parts of the in-use scan share (inuse.c runs it; inuse-net.c, inuse-storage.c,
 * inuse-display.c and inuse-devnode.c find one kind each). Not for use outside probe/inuse*. */

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "kernel-text.h"
#include "model.h"

/* ---- the host-wide views, each read once per run and only when some device needs it ---- */

struct addr_entry {
	int family;
	unsigned char addr[16];
	unsigned prefix;
	int ifindex;		  /* 0 when unknown */
	char ifname[IF_NAMESIZE]; /* "" when unknown; a label "eth0:1" is cut at the colon */
};

struct route_entry {
	int family;
	unsigned char dst[16];
	unsigned dst_len;
	char ifname[IF_NAMESIZE];
};

/* A TCP connection the administrator runs devown over: from SSH_CONNECTION, or held by one of
 * devown's ancestors (sudo drops SSH_CONNECTION; sshd's session process still holds the
 * socket). */
struct conn {
	int family;
	unsigned char local[16], peer[16];
	char *label; /* "SSH connection from 203.0.113.7" */
};

struct mount_entry {
	unsigned major, minor;
	char *fsroot, *mountpoint, *fstype, *source;
};

struct ctx {
	bool net_loaded;
	struct addr_entry *addrs;
	size_t n_addrs;
	struct route_entry *routes;
	size_t n_routes;
	char **net_errors;  /* reasons some addresses or routes are unknown */
	struct conn *conns; /* the connections devown runs over */
	size_t n_conns;

	bool storage_loaded;
	struct mount_entry *mounts;
	size_t n_mounts;
	char *mounts_error;
	char **swaps; /* swap areas as /proc/swaps names them */
	char *swaps_error;
};

/* ---- what lies below each device ----
 *
 * Rather than walking every PCI device's directory (thousands on big hosts), start from the
 * kernel's own indexes: every network interface is in /sys/class/net, every block device
 * (partitions and hidden NVMe path devices included) in /sys/class/block, and every other
 * device with a device number in /sys/dev/char. Their links lead into /sys/devices; the last
 * path component that names a PCI device is the device it belongs to, however deep below
 * (ADDR/usb1/1-1/.../host6/target6:0:0/6:0:0:0/block/sdb). The cost grows with the number of
 * interfaces and nodes, not with the number of PCI functions. */

/* A network interface below a device, or one of its upper devices. */
struct netif {
	char *name;
	int ifindex; /* 0 when unknown */
	bool up;
	char *master;
	char **uppers; /* direct upper devices (upper_* links, master included) */
};

/* A block device below a device (a disk, a partition, an NVMe namespace). */
struct blk {
	char *name;
	char *dm_name; /* device-mapper name, for /dev/mapper/NAME sources */
	unsigned major, minor;
	bool has_dev;
	char **holders;
};

/* What was found below one device. */
struct found {
	struct netif *ifs;
	size_t n_ifs;
	struct blk *blks;
	size_t n_blks;
};

/* inuse.c: parsing and the class directories of /sys. */
int open_class(const char *cls, const char *name); /* /sys/CLS/NAME, O_DIRECTORY */
/* The PCI device of the host a class link leads into, or NULL. */
struct device *link_owner(struct host *h, const char *link);
/* /sys/CLS and each entry's link; caller frees both vectors (same length). */
int list_class(const char *cls, char ***ret_names, char ***ret_links);

/* inuse-net.c: interfaces below each device, and the addresses, routes and connections of the
 * host (load_net, once). */
void collect_net(struct host *h, struct found *f);
void netif_done(struct netif *n);
void load_net(struct ctx *c);
void net_finding(struct ctx *c, struct device *d, const struct netif *nif);

/* inuse-storage.c: block devices below each device, and mounts and swap (load_storage). */
void collect_block(struct host *h, struct found *f);
void load_storage(struct ctx *c);
void storage_findings(struct ctx *c, struct device *d, const struct blk *b);

/* inuse-display.c: the boot display and the framebuffers of the console. */
void display_findings(struct host *h);

/* inuse-devnode.c: device nodes below each device (device->devnodes, for holders.c). */
bool read_dev(int dirfd, unsigned *major, unsigned *minor);
void add_devnode(struct device *d, int dirfd, const char *name, const char *subsystem,
		 unsigned major, unsigned minor, bool block, const char *via);
void collect_char(struct host *h);
