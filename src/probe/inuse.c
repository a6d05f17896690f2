/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the host uses each device for (docs/kernel.md, "Host use"): network interfaces
 * (inuse-net.c), block devices (inuse-storage.c), the console (inuse-display.c), and device
 * nodes (inuse-devnode.c) that holders.c's /proc pass finds held open. This file runs the scan
 * and reads the class directories of /sys the others start from.
 *
 * Everything comes from files under root_prefix(), each read at most once per run and only
 * when some device needs it: sysfs (/sys/class/net, /sys/class/block, /sys/dev/char,
 * /sys/class/graphics, /sys/class/vtconsole), /proc/self/mountinfo, /proc/swaps,
 * /proc/net/{if_inet6,route,ipv6_route,tcp,tcp6}, /proc/cmdline, and /proc/PID/{stat,fd} of
 * devown's own ancestors. The one source without a file is the list of IPv4 addresses: on a
 * real host an rtnetlink RTM_GETADDR dump; under DEVOWN_ROOT the bytes of such a reply are
 * read from $DEVOWN_ROOT/netlink/RTM_GETADDR and go through the same parser.
 *
 * Nothing here opens a device node or anything that can block: sysfs attributes, procfs
 * text and one netlink dump with a receive timeout.
 */
#include <limits.h>

#include "addr.h"
#include "inuse-int.h"
#include "inuse.h"
#include "procfs.h"
#include "sysfs.h"
#include "util.h"

/* Undoes the octal escapes (\040 for a space) of mountinfo and /proc/swaps, in place. */
/* ---- the host-wide views, each read once per run and only when some device needs it ---- */

static void ctx_done(struct ctx *c)
{
	free(c->addrs);
	free(c->routes);
	for (size_t i = 0; i < c->n_conns; i++)
		free(c->conns[i].label);
	free(c->conns);
	strv_free(c->net_errors);
	for (size_t i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].fsroot);
		free(c->mounts[i].mountpoint);
		free(c->mounts[i].fstype);
		free(c->mounts[i].source);
	}
	free(c->mounts);
	free(c->mounts_error);
	strv_free(c->swaps);
	free(c->swaps_error);
}

static void found_done(struct found *f)
{
	for (size_t i = 0; i < f->n_ifs; i++)
		netif_done(&f->ifs[i]);
	free(f->ifs);
	for (size_t i = 0; i < f->n_blks; i++) {
		free(f->blks[i].name);
		free(f->blks[i].dm_name);
		strv_free(f->blks[i].holders);
	}
	free(f->blks);
}

static bool safe_name(const char *name)
{
	return *name && !strchr(name, '/') && !streq(name, ".") && !streq(name, "..");
}

/* Opens /sys/class/CLS/NAME (or /sys/dev/char/NAME). */
int open_class(const char *cls, const char *name)
{
	_cleanup_free_ char *p = NULL;

	if (!safe_name(name))
		return -EINVAL;
	p = xasprintf("%s/%s", cls, name);
	return sys_open_dir(p);
}

/* The device a class link leads into: the last component of the link that names one of the
 * host's PCI devices. NULL for virtual devices and for a device's VFIO node (vfio-dev/). */
struct device *link_owner(struct host *h, const char *link)
{
	_cleanup_free_ char *copy = xstrdup(link);
	struct device *owner = NULL;
	char *save = NULL;

	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		struct pci_addr a;
		struct device *d;
		if (streq(c, "vfio-dev"))
			return NULL; /* VFIO's own node: holders.c deals with those */
		if (pci_addr_parse(c, &a) < 0)
			continue;
		d = host_find_device(h, c);
		if (d && streq(d->addr, c))
			owner = d;
	}
	return owner;
}

/* Lists /sys/CLS and reads each entry's link. Caller frees both vectors (same length). */
int list_class(const char *cls, char ***ret_names, char ***ret_links)
{
	_cleanup_close_ int fd = -1;
	char **names = NULL, **links = NULL;
	int r;

	fd = sys_open_dir(cls);
	if (fd < 0)
		return fd;
	r = list_dir_at(fd, ".", &names);
	if (r < 0)
		return r;
	links = xcalloc(strv_length(names) + 1, sizeof(char *));
	for (size_t i = 0; names[i]; i++) {
		char buf[PATH_MAX];
		ssize_t n = readlinkat(fd, names[i], buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		links[i] = xstrdup(buf);
	}
	*ret_names = names;
	*ret_links = links;
	return 0;
}

/* ---- the scan ---- */

int inuse_scan(struct host *h)
{
	struct ctx c = { 0 };
	struct found *f = xcalloc(h->n_devices + 1, sizeof(struct found));

	display_findings(h);
	collect_net(h, f);
	collect_block(h, f);
	collect_char(h);
	for (size_t i = 0; i < h->n_devices; i++) {
		struct device *d = &h->devices[i];
		if (f[i].n_ifs)
			load_net(&c);
		for (size_t k = 0; k < f[i].n_ifs; k++)
			net_finding(&c, d, &f[i].ifs[k]);
		if (f[i].n_blks) {
			load_storage(&c);
			if (c.mounts_error)
				inuse_note_unknown(d, c.mounts_error);
			if (c.swaps_error)
				inuse_note_unknown(d, c.swaps_error);
		}
		for (size_t k = 0; k < f[i].n_blks; k++)
			storage_findings(&c, d, &f[i].blks[k]);
		found_done(&f[i]);
	}
	free(f);
	ctx_done(&c);
	return 0;
}
