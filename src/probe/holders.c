/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one walk over /proc/PID/fd. It answers two questions at once: who holds a VFIO group
 * (its group node, a VFIO device cdev or a VFIO device descriptor) and who has a device node of
 * a PCI device open (the devnodes inuse_scan() found below each device in sysfs).
 *
 * A descriptor is matched by the identity of what it refers to, its device number, never by the
 * path /proc shows: that path depends on the holder's mounts and root and on the reader's (a
 * QEMU in a chroot shows /srv/root/dev/vfio/5, one in libvirt's private /dev something else
 * again). See docs/kernel.md, "Who holds a group".
 *
 * Only descriptors on a device filesystem are stat'ed (devtmpfs, or a tmpfs that serves as a
 * /dev), judged by the mount the descriptor is on (mnt_id in /proc/PID/fdinfo/N, looked up in
 * the mount table of the holder's mount namespace): a stat through any other open file can block
 * for ever (a dead network filesystem, or a user's FUSE mount that stops answering). The stat
 * itself is a statx() with AT_STATX_DONT_SYNC, which asks no file server, and its mount id must
 * be the one fdinfo gave, so a descriptor replaced in between is not followed either.
 *
 * In a fake root (DEVOWN_ROOT) the fd links are plain symlinks whose targets would resolve
 * against the real /dev, so there the link text is compared with the node's /dev path.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "holder-name.h"
#include "holders.h"
#include "kernel-text.h"
#include "procfs.h"
#include "sysfs.h"
#include "vfio.h"
#include "util.h"

/* ---- what the VFIO nodes are, by device number ---- */

enum vkind {
	V_GROUP,  /* /dev/vfio/N, /dev/vfio/noiommu-N */
	V_DEVICE, /* /dev/vfio/devices/vfioX (Linux 6.6+) */
};

struct vnode {
	unsigned major, minor;
	enum vkind kind;
	int group;	    /* V_GROUP, V_DEVICE: the group, else -1 */
	struct device *dev; /* V_DEVICE */
};

static int cmp_vnode(const void *a, const void *b)
{
	const struct vnode *x = a, *y = b;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return (x->minor > y->minor) - (x->minor < y->minor);
}

/* Maps a group node's name ("5", "noiommu-5") to its number, or -1. */
static int group_name_number(const char *p)
{
	char *end;
	long g;

	if (startswith(p, "noiommu-"))
		p += strlen("noiommu-");
	if (!*p || !strchr("0123456789", *p))
		return -1;
	g = strtol(p, &end, 10);
	if (*end || g < 0 || g > INT_MAX)
		return -1;
	return (int)g;
}

static void vnode_add(struct vnode **v, size_t *n, const char *devt, enum vkind kind, int group,
		      struct device *dev)
{
	unsigned ma, mi;

	if (parse_majmin(devt, &ma, &mi) < 0)
		return;
	*v = xrealloc(*v, (*n + 1) * sizeof(struct vnode));
	(*v)[(*n)++] = (struct vnode){ ma, mi, kind, group, dev };
}

/* The device whose VFIO cdev is /dev/vfio/devices/NAME, or NULL. */
static struct device *device_by_vfio_dev(struct host *h, const char *name)
{
	for (size_t i = 0; i < h->n_devices; i++)
		if (streq_ptr(h->devices[i].vfio_dev_name, name))
			return &h->devices[i];
	return NULL;
}

/* Reads the device numbers of the VFIO nodes that hold a group from sysfs: /sys/class/vfio
 * (groups) and /sys/class/vfio-dev (device cdevs). The container (/dev/vfio/vfio) and iommufd
 * (/dev/iommu) hold nothing by themselves: a group joins them only through one of these. */
static void load_vnodes(struct host *h, struct vnode **ret, size_t *ret_n)
{
	_cleanup_strv_free_ char **groups = NULL, **cdevs = NULL;
	_cleanup_close_ int fd = sys_open_dir("class");
	struct vnode *v = NULL;
	size_t n = 0;
	char *t = NULL;

	if (fd >= 0 && list_dir_at(fd, "vfio", &groups) >= 0)
		for (size_t i = 0; groups[i]; i++) {
			_cleanup_free_ char *a = xasprintf("vfio/%s/dev", groups[i]);
			int g = group_name_number(groups[i]);
			if (g >= 0 && read_text_at(fd, a, &t) >= 0)
				vnode_add(&v, &n, t, V_GROUP, g, NULL);
			free(t);
			t = NULL;
		}
	if (fd >= 0 && list_dir_at(fd, "vfio-dev", &cdevs) >= 0)
		for (size_t i = 0; cdevs[i]; i++) {
			_cleanup_free_ char *a = xasprintf("vfio-dev/%s/dev", cdevs[i]);
			struct device *d = device_by_vfio_dev(h, cdevs[i]);
			if (read_text_at(fd, a, &t) >= 0)
				vnode_add(&v, &n, t, V_DEVICE, d ? d->group : -1, d);
			free(t);
			t = NULL;
		}
	if (n > 1)
		qsort(v, n, sizeof(struct vnode), cmp_vnode);
	*ret = v;
	*ret_n = n;
}

/* ---- mount tables ---- */

struct mnt {
	int id;
	char *point;
	size_t point_len;
	bool devfs; /* devtmpfs, or a tmpfs mounted as a /dev */
};

struct mnttab {
	char *ns; /* "mnt:[4026531840]" */
	struct mnt *m;
	size_t n;
};

static bool is_dev_point(const char *point)
{
	size_t n = strlen(point);
	return streq(point, "/dev") || (n >= 4 && streq(point + n - 4, "/dev")) ||
	       strstr(point, "/dev/") != NULL;
}

static void mnttab_load(struct mnttab *t, int procfd, const char *pid)
{
	_cleanup_free_ char *path = xasprintf("%s/mountinfo", pid), *text = NULL;
	char *line, *save = NULL;

	if (read_whole_at(procfd, path, &text) < 0)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct mountinfo_line mi;
		struct mnt *m;

		if (!mountinfo_parse_line(line, &mi))
			continue;
		t->m = xrealloc(t->m, (t->n + 1) * sizeof(struct mnt));
		m = &t->m[t->n++];
		m->id = mi.id;
		m->point_len = strlen(mi.point);
		m->devfs = streq(mi.fstype, "devtmpfs") ||
			   (streq(mi.fstype, "tmpfs") && is_dev_point(mi.point));
		m->point = TAKE_PTR(mi.point);
		mountinfo_line_done(&mi);
	}
}

static void mnttab_done(struct mnttab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->m[i].point);
	free(t->m);
	free(t->ns);
}

static const struct mnt *mnt_by_id(const struct mnttab *t, int id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->m[i].id == id)
			return &t->m[i];
	return NULL;
}

/* The mount a path of this namespace lies on: the longest mount point that prefixes it, the
 * last one mounted where several share a point. */
static const struct mnt *mnt_by_path(const struct mnttab *t, const char *path)
{
	const struct mnt *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < t->n; i++) {
		const char *mp = t->m[i].point;
		size_t n = streq(mp, "/") ? 0 : strlen(mp);
		if (strncmp(path, mp, n) != 0 || (path[n] != '/' && path[n] != '\0'))
			continue;
		if (!best || n >= best_len) {
			best = &t->m[i];
			best_len = n;
		}
	}
	return best;
}

/* Whether path lies below some device filesystem's mount point at all. */
static bool under_devfs(const struct mnttab *t, const char *path)
{
	for (size_t i = 0; i < t->n; i++) {
		size_t n = t->m[i].point_len;
		if (t->m[i].devfs && strncmp(path, t->m[i].point, n) == 0 &&
		    (path[n] == '/' || path[n] == '\0' || n == 1))
			return true;
	}
	return false;
}

/* ---- the pass ---- */

/* A device node somebody may hold, in two sorted indexes: by device number and by path. */
struct watch {
	struct device *d;
	const struct devnode *n;
};

struct hit {
	struct device *d;
	const struct devnode *n;
	int pid;
	char *comm;
};

struct pass {
	struct host *h;
	bool vfio; /* look for VFIO group holders */
	struct watch *by_dev, *by_path;
	size_t n_watch;
	struct hit *hits;
	size_t n_hits;
	bool use_stat; /* real root: match device numbers */
	struct vnode *vnodes;
	size_t n_vnodes;
	struct mnttab self;	/* devown's own mount namespace */
	struct mnttab *foreign; /* other namespaces, loaded from their first process */
	size_t n_foreign;
	/* What this pass found, merged into the host by merge_found(): passes run on several
	 * threads, each over a share of the processes. */
	struct found {
		int group; /* -1: a VFIO user not tied to a group */
		struct holder h;
	} * found;
	size_t n_found;
	size_t unreadable;
	/* Per process, while it is scanned. */
	int pid;
	char *comm;
	bool holds;	      /* holds some group */
	size_t loose_devices; /* VFIO device descriptors not tied to a device */
};

static int cmp_by_dev(const void *a, const void *b)
{
	const struct devnode *x = ((const struct watch *)a)->n, *y = ((const struct watch *)b)->n;

	if (x->block != y->block)
		return x->block ? 1 : -1;
	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return (x->minor > y->minor) - (x->minor < y->minor);
}

static int cmp_by_path(const void *a, const void *b)
{
	return strcmp(((const struct watch *)a)->n->path, ((const struct watch *)b)->n->path);
}

static const struct watch *find_dev(const struct pass *p, bool block, unsigned major,
				    unsigned minor)
{
	struct devnode key = { .block = block, .major = major, .minor = minor };
	struct watch k = { .n = &key };

	if (p->n_watch == 0)
		return NULL;
	return bsearch(&k, p->by_dev, p->n_watch, sizeof(struct watch), cmp_by_dev);
}

static const struct watch *find_path(const struct pass *p, const char *path)
{
	struct devnode key = { .path = (char *)path };
	struct watch k = { .n = &key };

	if (p->n_watch == 0)
		return NULL;
	return bsearch(&k, p->by_path, p->n_watch, sizeof(struct watch), cmp_by_path);
}

static const struct vnode *find_vnode(const struct pass *p, unsigned major, unsigned minor)
{
	struct vnode k = { .major = major, .minor = minor };

	if (p->n_vnodes == 0)
		return NULL;
	return bsearch(&k, p->vnodes, p->n_vnodes, sizeof(struct vnode), cmp_vnode);
}

/* Nodes that never belong to a PCI device; skipping them saves a stat per descriptor. Only
 * names in devown's own mount namespace are trusted this way. */
static bool virtual_node(const char *target)
{
	static const char *const names[] = { "/dev/null",   "/dev/zero",    "/dev/full",
					     "/dev/random", "/dev/urandom", "/dev/ptmx",
					     "/dev/tty",    "/dev/kmsg",    "/dev/console" };
	static const char *const dirs[] = { "/dev/pts/", "/dev/shm/", "/dev/mqueue/",
					    "/dev/hugepages/" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (streq(target, names[i]))
			return true;
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		if (startswith(target, dirs[i]))
			return true;
	return false;
}

static const char *pass_comm(struct pass *p, int procfd, const char *pid)
{
	if (!p->comm) {
		_cleanup_free_ char *path = xasprintf("%s/comm", pid);
		if (read_text_at(procfd, path, &p->comm) < 0)
			p->comm = xstrdup("?");
	}
	return p->comm;
}

static void add_holder(struct holder **list, size_t *n, int pid, const char *comm, const char *path,
		       const char *via, const char *device)
{
	for (size_t i = 0; i < *n; i++)
		if ((*list)[i].pid == pid && streq((*list)[i].via, via) &&
		    streq_ptr((*list)[i].path, path) && streq_ptr((*list)[i].device, device))
			return;
	*list = xrealloc(*list, (*n + 1) * sizeof(struct holder));
	(*list)[(*n)++] = (struct holder){
		.pid = pid,
		.command = xstrdup(comm),
		.path = xstrdup(path),
		.via = via,
		.device = device ? xstrdup(device) : NULL,
	};
}

static void add_found(struct pass *p, int gno, const char *path, const char *via,
		      const char *device)
{
	/* Duplicates (one process, the same node twice) are merged by merge_found(). */
	p->found = xrealloc(p->found, (p->n_found + 1) * sizeof(struct found));
	p->found[p->n_found++] = (struct found){
		.group = gno,
		.h = { .pid = p->pid,
		       .command = xstrdup(p->comm),
		       .path = xstrdup(path),
		       .via = via,
		       .device = device ? xstrdup(device) : NULL },
	};
}

static void hold_group(struct pass *p, int gno, const char *path, const char *via,
		       const char *device)
{
	if (gno < 0 || !host_find_group(p->h, gno))
		return;
	add_found(p, gno, path, via, device);
	p->holds = true;
}

/* Hands what a pass found to the host: holders to their groups, the rest to unattributed. */
static void merge_found(struct pass *p)
{
	for (size_t i = 0; i < p->n_found; i++) {
		struct holder *x = &p->found[i].h;
		struct group *g =
			p->found[i].group >= 0 ? host_find_group(p->h, p->found[i].group) : NULL;
		add_holder(g ? &g->holders : &p->h->unattributed,
			   g ? &g->n_holders : &p->h->n_unattributed, x->pid, x->command, x->path,
			   x->via, x->device);
		holder_done(x);
	}
	free(p->found);
	p->found = NULL;
	p->n_found = 0;
}

static void add_hit(struct pass *p, const struct watch *w)
{
	for (size_t i = 0; i < p->n_hits; i++)
		if (p->hits[i].n == w->n && p->hits[i].pid == p->pid)
			return;
	p->hits = xrealloc(p->hits, (p->n_hits + 1) * sizeof(struct hit));
	p->hits[p->n_hits++] = (struct hit){
		.d = w->d,
		.n = w->n,
		.pid = p->pid,
		.comm = xstrdup(p->comm),
	};
}

/* The mnt_id line of /proc/PID/fdinfo/N, and the device a VFIO device descriptor names (Linux
 * 6.18+: "vfio-device-syspath: /sys/devices/.../0000:01:00.0"). Returns false when fdinfo
 * cannot be read. */
static bool read_fdinfo(int procfd, const char *pid, const char *fd, int *ret_mnt,
			char **ret_syspath)
{
	_cleanup_free_ char *path = xasprintf("%s/fdinfo/%s", pid, fd), *text = NULL;
	const char *m, *s;

	if (read_whole_at(procfd, path, &text) < 0)
		return false;
	m = strstr(text, "\nmnt_id:");
	if (!m || sscanf(m + strlen("\nmnt_id:"), "%d", ret_mnt) != 1)
		return false;
	if (ret_syspath && (s = strstr(text, "vfio-device-syspath:"))) {
		s += strlen("vfio-device-syspath:");
		s += strspn(s, " \t");
		*ret_syspath = strndup(s, strcspn(s, "\n"));
	}
	return true;
}

/* The namespace's mount table for this process, loading it on first sight. */
static struct mnttab *table_for(struct pass *p, int procfd, const char *pid, bool *ret_self)
{
	_cleanup_free_ char *nspath = xasprintf("%s/ns/mnt", pid);
	char ns[64];
	ssize_t n = readlinkat(procfd, nspath, ns, sizeof(ns) - 1);

	*ret_self = false;
	if (n < 0)
		return NULL;
	ns[n] = '\0';
	if (p->self.ns && streq(ns, p->self.ns)) {
		*ret_self = true;
		return &p->self;
	}
	for (size_t i = 0; i < p->n_foreign; i++)
		if (streq(p->foreign[i].ns, ns))
			return &p->foreign[i];
	p->foreign = xrealloc(p->foreign, (p->n_foreign + 1) * sizeof(struct mnttab));
	p->foreign[p->n_foreign] = (struct mnttab){ .ns = xstrdup(ns) };
	mnttab_load(&p->foreign[p->n_foreign], procfd, pid);
	return &p->foreign[p->n_foreign++];
}

/* One descriptor whose target is a path, in a real root: is it a VFIO node or a watched device
 * node? */
static void check_path_fd(struct pass *p, int procfd, int fddir, const char *pid, const char *fd,
			  const char *target, struct mnttab *t, bool self)
{
	const struct mnt *m = NULL;
	const struct vnode *v;
	const struct watch *w;
	struct statx st;
	int mnt_id = -1;

	if (!t)
		return;
	if (self) {
		/* In devown's own namespace the text is a path of ours: a cheap first cut, and
		 * most descriptors (files, under no device filesystem at all) stop at its first
		 * half. */
		if (!under_devfs(t, target))
			return;
		m = mnt_by_path(t, target);
		if (!m || !m->devfs || virtual_node(target))
			return;
	}
	if (!read_fdinfo(procfd, pid, fd, &mnt_id, NULL))
		return;
	if (m ? m->id != mnt_id : !(m = mnt_by_id(t, mnt_id)))
		return;
	if (!m->devfs)
		return;
	if (statx(fddir, fd, AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MNT_ID, &st) < 0)
		return;
	if ((st.stx_mask & STATX_MNT_ID) && st.stx_mnt_id != (unsigned long long)mnt_id)
		return; /* replaced meanwhile */
	if (S_ISCHR(st.stx_mode) && p->vfio &&
	    (v = find_vnode(p, st.stx_rdev_major, st.stx_rdev_minor))) {
		pass_comm(p, procfd, pid);
		if (v->kind == V_GROUP)
			hold_group(p, v->group, target, "group", NULL);
		else if (v->kind == V_DEVICE)
			hold_group(p, v->group, target, "device", v->dev ? v->dev->addr : NULL);
		return;
	}
	if (!S_ISCHR(st.stx_mode) && !S_ISBLK(st.stx_mode))
		return;
	w = find_dev(p, S_ISBLK(st.stx_mode), st.stx_rdev_major, st.stx_rdev_minor);
	if (w) {
		pass_comm(p, procfd, pid);
		add_hit(p, w);
	}
}

/* A VFIO device descriptor (anon_inode:[vfio-device]): tied to its device when the kernel
 * names it in fdinfo, else counted as loose. */
static void check_vfio_device_fd(struct pass *p, int procfd, const char *pid, const char *fd,
				 const char *target)
{
	_cleanup_free_ char *syspath = NULL;
	struct device *d = NULL;
	int mnt_id;

	pass_comm(p, procfd, pid);
	if (read_fdinfo(procfd, pid, fd, &mnt_id, &syspath) && syspath) {
		const char *base = strrchr(syspath, '/');
		d = host_find_device(p->h, base ? base + 1 : syspath);
	}
	if (d && d->group >= 0)
		hold_group(p, d->group, target, "device", d->addr);
	else
		p->loose_devices++;
}

/* Scans one process; returns -errno (-EACCES for another user's) when its descriptors cannot
 * be read: it is then out of sight, and the walk is incomplete. */
static int scan_process(struct pass *p, int procfd, const char *pid)
{
	_cleanup_free_ char *fddir = xasprintf("%s/fd", pid);
	_cleanup_close_ int fd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct mnttab *t = NULL;
	bool self = false, tried = false;
	struct dirent *de;

	fd = openat(procfd, fddir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? 0 : -errno; /* exited meanwhile */
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -1;
	p->pid = atoi(pid);
	while ((de = readdir(d))) {
		char target[PATH_MAX];
		const struct watch *w = NULL;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (p->vfio && p->use_stat && streq(target, "anon_inode:[vfio-device]")) {
			check_vfio_device_fd(p, procfd, pid, de->d_name, target);
			continue;
		}
		if (target[0] != '/')
			continue; /* sockets, pipes, other anon inodes */
		if (p->use_stat) {
			if (!tried) {
				t = table_for(p, procfd, pid, &self);
				tried = true;
			}
			check_path_fd(p, procfd, dirfd(d), pid, de->d_name, target, t, self);
			continue;
		}
		/* Fake root: by path. */
		if (p->vfio && startswith(target, "/dev/vfio/")) {
			pass_comm(p, procfd, pid);
			if (startswith(target, "/dev/vfio/devices/")) {
				struct device *dv = device_by_vfio_dev(
					p->h, target + strlen("/dev/vfio/devices/"));
				if (dv)
					hold_group(p, dv->group, target, "device", dv->addr);
			} else
				hold_group(p, group_name_number(target + strlen("/dev/vfio/")),
					   target, "group", NULL);
			continue;
		}
		if (p->n_watch == 0 || virtual_node(target) || startswith(target, "/dev/vfio/"))
			continue;
		w = find_path(p, target);
		if (!w)
			continue;
		pass_comm(p, procfd, pid);
		add_hit(p, w);
	}
	if (p->loose_devices && !p->holds)
		add_found(p, -1, "anon_inode:[vfio-device]", "device", NULL);
	return 0;
}

static int cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	int c;

	if (x->d != y->d)
		return x->d < y->d ? -1 : 1;
	c = strcmp(x->n->name, y->n->name);
	if (c)
		return c;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static void report_hits(struct pass *p)
{
	if (p->n_hits > 1)
		qsort(p->hits, p->n_hits, sizeof(struct hit), cmp_hit);
	for (size_t i = 0; i < p->n_hits; i++) {
		const struct hit *x = &p->hits[i];
		_cleanup_free_ char *detail = NULL;
		struct in_use *u;

		if (x->n->via)
			detail = xasprintf("%s (holding %s) open by %s (pid %d)", x->n->path,
					   x->n->via, x->comm, x->pid);
		else
			detail = xasprintf("%s open by %s (pid %d)", x->n->path, x->comm, x->pid);
		u = inuse_add(x->d, "devnode", x->n->path, detail);
		u->pid = x->pid;
		u->command = xstrdup(x->comm);
		u->path = xstrdup(x->n->path);
		u->subsystem = xstrdup(x->n->subsystem);
	}
}

/* Frees what a pass owns alone (a worker's share); pass_done() also what the workers shared. */
static void pass_worker_done(struct pass *p)
{
	for (size_t i = 0; i < p->n_hits; i++)
		free(p->hits[i].comm);
	free(p->hits);
	for (size_t i = 0; i < p->n_foreign; i++)
		mnttab_done(&p->foreign[i]);
	free(p->foreign);
	free(p->comm);
	for (size_t i = 0; i < p->n_found; i++)
		holder_done(&p->found[i].h);
	free(p->found);
}

static void pass_done(struct pass *p)
{
	pass_worker_done(p);
	free(p->by_dev);
	free(p->by_path);
	free(p->vnodes);
	mnttab_done(&p->self);
}

/* Looks for mappings of VFIO device regions in processes that hold no group: a program may
 * close every descriptor and keep the BARs mapped, which keeps the device open. Only read when
 * some group with a VFIO driver has no holder, since maps can be long. */
static void scan_mappings(struct pass *p, int procfd, const char *pid)
{
	_cleanup_free_ char *path = xasprintf("%s/maps", pid), *text = NULL;
	char *line, *save = NULL;

	for (size_t i = 0; i < p->h->n_unattributed; i++)
		if (p->h->unattributed[i].pid == atoi(pid))
			return;
	if (read_whole_at(procfd, path, &text) < 0)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *name = line;
		/* address perms offset dev inode name */
		for (int f = 0; f < 5 && name; f++) {
			name = strchr(name, ' ');
			if (name)
				name += strspn(name, " ");
		}
		if (!name || (!streq(name, "anon_inode:[vfio-device]") &&
			      !startswith(name, "/dev/vfio/devices/")))
			continue;
		p->pid = atoi(pid);
		free(p->comm);
		p->comm = NULL;
		pass_comm(p, procfd, pid);
		add_holder(&p->h->unattributed, &p->h->n_unattributed, p->pid, p->comm, name,
			   "mapping", NULL);
		return;
	}
}

/* Names every holder by its cgroup: unit, libvirt domain, container. */
static void name_holder(struct holder *x, int procfd)
{
	_cleanup_free_ char *path = xasprintf("%d/cgroup", x->pid), *text = NULL;
	struct holder_name n;

	if (read_whole_at(procfd, path, &text) < 0)
		return;
	holder_name_parse(text, &n);
	x->unit = n.unit;
	x->domain = n.domain;
	x->container = n.container;
}

/* Decides, for each group with a VFIO driver, what the walk found; when some processes were
 * out of sight, an open of the group node answers whether anybody holds it. */
static void settle_groups(struct host *h, size_t unreadable)
{
	for (size_t i = 0; i < h->n_groups; i++) {
		struct group *g = &h->groups[i];
		int r;

		if (!g->vfio_bound)
			continue;
		g->holders_state = "known";
		if (g->n_holders > 0) {
			/* Held for sure, but processes out of sight may hold it too. */
			if (unreadable > 0) {
				g->holders_state = "unknown";
				g->holders_note =
					xasprintf("%zu process%s could not be read: there may be "
						  "more holders "
						  "than these",
						  unreadable, unreadable == 1 ? "" : "es");
			}
			continue;
		}
		if (h->n_unattributed > 0) {
			g->holders_state = "unknown";
			g->holders_note =
				xasprintf("pid %d (%s) has a VFIO device open that devown cannot "
					  "tie to a group",
					  h->unattributed[0].pid, h->unattributed[0].command);
			continue;
		}
		if (unreadable == 0)
			continue;
		/* Some processes were out of sight. An open of the group node answers whether
		 * anybody holds it (EBUSY) without claiming anything; it needs root. */
		r = vfio_group_open_probe(g->number);
		if (r >= 0)
			continue;
		if (r == -EBUSY) {
			g->held_unseen = true;
			g->holders_state = "unknown";
			g->holders_note = xstrdup("held by a process devown cannot see (another "
						  "user or mount namespace)");
		} else {
			g->holders_state = "unknown";
			g->holders_note = xstrdup("cannot see other users' processes; run as root "
						  "to see who holds this group");
		}
	}
}

static bool is_pid(const char *s)
{
	return strchr("123456789", s[0]) && strspn(s, "0123456789") == strlen(s);
}

struct worker {
	struct pass p;
	int procfd;
	char **pids;
	size_t from, to;
	pthread_t thread;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (size_t i = w->from; i < w->to; i++) {
		free(w->p.comm);
		w->p.comm = NULL;
		w->p.holds = false;
		w->p.loose_devices = 0;
		if (scan_process(&w->p, w->procfd, w->pids[i]) < 0)
			w->p.unreadable++;
	}
	return NULL;
}

/* Below this many processes one thread is quicker than starting more. */
#define PROCS_PER_THREAD 256
#define MAX_THREADS	 4

/* Runs scan_process() over every pid, on up to MAX_THREADS threads (the work is system calls:
 * a readlink per descriptor, which a second CPU halves), and merges their findings into p and
 * the host. Thread k takes the k-th share of the pids, so the merged order is /proc's order. */
static void scan_all(struct pass *p, int procfd, char **pids)
{
	size_t n = strv_length(pids), nthreads = 1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct worker w[MAX_THREADS];

	if (cpus > 1)
		nthreads = n / PROCS_PER_THREAD;
	if (nthreads > (size_t)cpus)
		nthreads = (size_t)cpus;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	if (nthreads < 1)
		nthreads = 1;
	for (size_t k = 0; k < nthreads; k++) {
		w[k] = (struct worker){ .p = *p, .procfd = procfd, .pids = pids };
		w[k].p.hits = NULL, w[k].p.n_hits = 0;
		w[k].p.foreign = NULL, w[k].p.n_foreign = 0;
		w[k].p.found = NULL, w[k].p.n_found = 0;
		w[k].p.comm = NULL, w[k].p.unreadable = 0;
		w[k].from = n * k / nthreads;
		w[k].to = n * (k + 1) / nthreads;
	}
	for (size_t k = 1; k < nthreads; k++)
		if (pthread_create(&w[k].thread, NULL, work, &w[k]) != 0) {
			/* No thread: this one does that share too. */
			w[0].to = w[k].to;
			for (size_t j = k; j < nthreads; j++)
				w[j].from = w[j].to = 0;
			nthreads = k;
			break;
		}
	work(&w[0]);
	for (size_t k = 1; k < nthreads; k++)
		pthread_join(w[k].thread, NULL);
	for (size_t k = 0; k < nthreads; k++) {
		merge_found(&w[k].p);
		if (w[k].p.n_hits > 0) {
			p->hits =
				xrealloc(p->hits, (p->n_hits + w[k].p.n_hits) * sizeof(struct hit));
			memcpy(p->hits + p->n_hits, w[k].p.hits,
			       w[k].p.n_hits * sizeof(struct hit));
			p->n_hits += w[k].p.n_hits;
		}
		free(w[k].p.hits);
		w[k].p.hits = NULL;
		w[k].p.n_hits = 0;
		p->unreadable += w[k].p.unreadable;
		pass_worker_done(&w[k].p);
	}
}

/* Reads every process's descriptors once; counts the processes that could not be read. */
static int walk_proc(struct pass *p, size_t *unreadable)
{
	_cleanup_close_ int procfd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_strv_free_ char **pids = NULL;
	struct dirent *de;
	char self[32], ns[64];
	bool unheld = false;
	ssize_t n;

	snprintf(self, sizeof(self), "%d", (int)getpid());
	procfd = proc_open_dir("");
	if (procfd < 0) {
		(*unreadable)++;
		return 0;
	}
	if (p->use_stat) {
		if (p->vfio)
			load_vnodes(p->h, &p->vnodes, &p->n_vnodes);
		n = readlinkat(procfd, "self/ns/mnt", ns, sizeof(ns) - 1);
		if (n > 0) {
			ns[n] = '\0';
			p->self.ns = xstrdup(ns);
			mnttab_load(&p->self, procfd, "self");
		}
	}
	d = fdopendir(procfd);
	if (!d)
		return -errno;
	procfd = -1;
	while ((de = readdir(d)))
		if (is_pid(de->d_name) && (root_is_fake() || !streq(de->d_name, self)))
			strv_push(&pids, xstrdup(de->d_name));
	if (pids)
		scan_all(p, dirfd(d), pids);
	*unreadable += p->unreadable;
	for (size_t i = 0; i < p->h->n_groups; i++)
		if (p->h->groups[i].vfio_bound && p->h->groups[i].n_holders == 0)
			unheld = true;
	if (p->vfio && unheld)
		for (size_t i = 0; pids && pids[i]; i++)
			scan_mappings(p, dirfd(d), pids[i]);
	for (size_t i = 0; i < p->h->n_groups; i++)
		for (size_t k = 0; k < p->h->groups[i].n_holders; k++)
			name_holder(&p->h->groups[i].holders[k], dirfd(d));
	for (size_t i = 0; i < p->h->n_unattributed; i++)
		name_holder(&p->h->unattributed[i], dirfd(d));
	return 0;
}

void holder_done(struct holder *x)
{
	free(x->command);
	free(x->path);
	free(x->device);
	free(x->unit);
	free(x->domain);
	free(x->container);
}

int holders_rescan_vfio(struct host *h)
{
	struct pass p = { .h = h, .vfio = true, .use_stat = !root_is_fake() };
	size_t unreadable = 0;
	int r;

	for (size_t i = 0; i < h->n_groups; i++) {
		struct group *g = &h->groups[i];
		for (size_t k = 0; k < g->n_holders; k++)
			holder_done(&g->holders[k]);
		free(g->holders);
		g->holders = NULL;
		g->n_holders = 0;
		g->held_unseen = false;
		free(g->holders_note);
		g->holders_note = NULL;
	}
	for (size_t k = 0; k < h->n_unattributed; k++)
		holder_done(&h->unattributed[k]);
	free(h->unattributed);
	h->unattributed = NULL;
	h->n_unattributed = 0;
	r = walk_proc(&p, &unreadable);
	if (r >= 0)
		settle_groups(h, unreadable);
	pass_done(&p);
	return r;
}

int holders_scan(struct host *h)
{
	struct pass p = { .h = h, .use_stat = !root_is_fake() };
	size_t unreadable = 0, k = 0;
	int r;

	if (h->holders_scanned)
		return 0; /* the pass ran already for this host */
	for (size_t i = 0; i < h->n_groups; i++)
		if (h->groups[i].vfio_bound)
			p.vfio = true;
	for (size_t i = 0; i < h->n_devices; i++)
		p.n_watch += h->devices[i].n_devnodes;
	if (!p.vfio && p.n_watch == 0) {
		/* Nobody can hold a group nor a node of ours. */
		log_debug("no /proc scan: no VFIO driver bound, no device nodes below a device");
		return 0;
	}
	log_debug("scanning /proc for %zu device nodes%s", p.n_watch,
		  p.vfio ? " and VFIO group holders" : "");

	p.by_dev = xcalloc(p.n_watch + 1, sizeof(struct watch));
	p.by_path = xcalloc(p.n_watch + 1, sizeof(struct watch));
	for (size_t i = 0; i < h->n_devices; i++)
		for (size_t j = 0; j < h->devices[i].n_devnodes; j++, k++) {
			p.by_dev[k].d = p.by_path[k].d = &h->devices[i];
			p.by_dev[k].n = p.by_path[k].n = &h->devices[i].devnodes[j];
		}
	if (p.n_watch > 1) {
		qsort(p.by_dev, p.n_watch, sizeof(struct watch), cmp_by_dev);
		qsort(p.by_path, p.n_watch, sizeof(struct watch), cmp_by_path);
	}

	h->holders_scanned = true;
	r = walk_proc(&p, &unreadable);
	if (r < 0) {
		pass_done(&p);
		return r;
	}

	report_hits(&p);
	if (unreadable > 0)
		for (size_t i = 0; i < h->n_devices; i++)
			if (h->devices[i].n_devnodes > 0)
				inuse_note_unknown(&h->devices[i],
						   "devnode: processes of other users could not be "
						   "checked; run as root to see who has its device "
						   "nodes open");
	if (p.vfio)
		settle_groups(h, unreadable);
	pass_done(&p);
	return 0;
}

void holders_probe_group(struct group *g)
{
	if (!g->vfio_bound || g->n_holders > 0 || g->held_unseen)
		return;
	if (vfio_group_open_probe(g->number) != -EBUSY)
		return;
	g->held_unseen = true;
	g->holders_state = "unknown";
	free(g->holders_note);
	g->holders_note = xstrdup("held by a process devown cannot see (another user or mount "
				  "namespace, or only a device descriptor open)");
}
