/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>

#include "holders.h"
#include "sysfs.h"
#include "util.h"

/* Maps a VFIO node path to the group it belongs to, or -1. */
static int node_group(struct host *h, const char *target)
{
	const char *p;
	char *end;
	long g;

	if (startswith(target, "/dev/vfio/devices/")) {
		p = target + strlen("/dev/vfio/devices/");
		for (size_t i = 0; i < h->n_devices; i++)
			if (h->devices[i].vfio_dev_name && streq(h->devices[i].vfio_dev_name, p))
				return h->devices[i].group;
		return -1;
	}
	if (!startswith(target, "/dev/vfio/"))
		return -1;
	p = target + strlen("/dev/vfio/");
	if (startswith(p, "noiommu-"))
		p += strlen("noiommu-");
	if (!*p || !strchr("0123456789", *p))
		return -1;
	g = strtol(p, &end, 10);
	if (*end || g < 0 || g > INT_MAX)
		return -1;
	return (int)g;
}

static void add_holder(struct group *g, int pid, const char *comm, const char *path)
{
	for (size_t i = 0; i < g->n_holders; i++)
		if (g->holders[i].pid == pid && streq(g->holders[i].path, path))
			return;
	g->holders = xrealloc(g->holders, (g->n_holders + 1) * sizeof(struct holder));
	g->holders[g->n_holders++] = (struct holder){
		.pid = pid,
		.command = xstrdup(comm),
		.path = xstrdup(path),
	};
}

/* Scans one process; returns -EACCES when its descriptors cannot be read. */
static int scan_process(struct host *h, int procfd, const char *pid)
{
	_cleanup_free_ char *fddir = xasprintf("%s/fd", pid);
	_cleanup_free_ char *comm_path = xasprintf("%s/comm", pid);
	_cleanup_free_ char *comm = NULL;
	_cleanup_close_ int fd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	fd = openat(procfd, fddir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno; /* exited meanwhile */
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -1;
	while ((de = readdir(d))) {
		char target[PATH_MAX];
		ssize_t n;
		int gno;
		struct group *g;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (!startswith(target, "/dev/vfio/"))
			continue;
		gno = node_group(h, target);
		g = gno >= 0 ? host_find_group(h, gno) : NULL;
		if (!g)
			continue;
		if (!comm && read_text_at(procfd, comm_path, &comm) < 0)
			comm = xstrdup("?");
		add_holder(g, atoi(pid), comm, target);
	}
	return 0;
}

int holders_scan(struct host *h)
{
	_cleanup_free_ char *proc = root_path("/proc");
	_cleanup_close_ int procfd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	bool any = false;
	size_t unreadable = 0;
	char self[32];

	for (size_t i = 0; i < h->n_groups; i++)
		if (h->groups[i].vfio_bound)
			any = true;
	h->holders_scanned = any;
	if (!any)
		return 0; /* nobody can hold a group without a VFIO driver: no /proc scan */

	snprintf(self, sizeof(self), "%d", (int)getpid());
	procfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		unreadable++;
	else {
		d = fdopendir(procfd);
		if (!d)
			return -errno;
		procfd = -1;
		while ((de = readdir(d))) {
			if (!strchr("123456789", de->d_name[0]) ||
			    strspn(de->d_name, "0123456789") != strlen(de->d_name))
				continue;
			if (!root_is_fake() && streq(de->d_name, self))
				continue;
			if (scan_process(h, dirfd(d), de->d_name) == -EACCES)
				unreadable++;
		}
	}

	for (size_t i = 0; i < h->n_groups; i++) {
		struct group *g = &h->groups[i];
		_cleanup_free_ char *node = NULL;
		_cleanup_close_ int fd = -1;

		if (!g->vfio_bound)
			continue;
		g->holders_state = "known";
		if (g->n_holders > 0 || unreadable == 0)
			continue;
		/* Some processes were out of sight. An open of the group node answers whether
		 * anybody holds it (EBUSY) without claiming anything; it needs root. */
		node = xasprintf("%s/dev/vfio/%d", root_prefix(), g->number);
		fd = open(node, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			continue;
		if (errno == EBUSY) {
			g->holders_state = "unknown";
			g->holders_note = xstrdup("held by a process devown cannot see (another "
						  "user or mount namespace)");
		} else {
			g->holders_state = "unknown";
			g->holders_note = xstrdup("cannot see other users' processes; run as root "
						  "to see who holds this group");
		}
	}
	return 0;
}
