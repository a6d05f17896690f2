/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one walk over /proc/PID/fd. It answers two questions at once: who holds a VFIO group
 * (/dev/vfio/N, /dev/vfio/noiommu-N, /dev/vfio/devices/vfioX) and who has a device node of a
 * PCI device open (the devnodes inuse_scan() found below each device in sysfs).
 *
 * A descriptor is matched to a device node by the device number of what it refers to
 * (stat through /proc/PID/fd/N), which also catches nodes opened under another name or in
 * another mount namespace. Only targets under /dev/ are stat'ed: stat on an arbitrary open
 * file can hang on a dead network filesystem, /dev is devtmpfs. In a fake root the fd links
 * are plain symlinks whose targets would resolve against the real /dev, so there the link
 * text is compared with the node's /dev path instead.
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "holders.h"
#include "procfs.h"
#include "sysfs.h"
#include "vfio.h"
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

	return bsearch(&k, p->by_dev, p->n_watch, sizeof(struct watch), cmp_by_dev);
}

static const struct watch *find_path(const struct pass *p, const char *path)
{
	struct devnode key = { .path = (char *)path };
	struct watch k = { .n = &key };

	return bsearch(&k, p->by_path, p->n_watch, sizeof(struct watch), cmp_by_path);
}

/* Nodes that never belong to a PCI device; skipping them saves a stat per descriptor. */
static bool virtual_node(const char *target)
{
	static const char *const names[] = { "/dev/null",   "/dev/zero",    "/dev/full",
					     "/dev/random", "/dev/urandom", "/dev/ptmx",
					     "/dev/tty",    "/dev/kmsg",    "/dev/console" };
	static const char *const dirs[] = { "/dev/pts/", "/dev/shm/", "/dev/mqueue/",
					    "/dev/hugepages/", "/dev/vfio/" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (streq(target, names[i]))
			return true;
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		if (startswith(target, dirs[i]))
			return true;
	return false;
}

static void add_hit(struct pass *p, const struct watch *w, int pid, const char *comm)
{
	for (size_t i = 0; i < p->n_hits; i++)
		if (p->hits[i].n == w->n && p->hits[i].pid == pid)
			return;
	p->hits = xrealloc(p->hits, (p->n_hits + 1) * sizeof(struct hit));
	p->hits[p->n_hits++] = (struct hit){
		.d = w->d,
		.n = w->n,
		.pid = pid,
		.comm = xstrdup(comm),
	};
}

/* Scans one process; returns -EACCES when its descriptors cannot be read. */
static int scan_process(struct pass *p, int procfd, const char *pid)
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
		const struct watch *w = NULL;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (!startswith(target, "/dev/"))
			continue; /* sockets, pipes, anon inodes, files */
		if (p->vfio && startswith(target, "/dev/vfio/")) {
			int gno = node_group(p->h, target);
			struct group *g = gno >= 0 ? host_find_group(p->h, gno) : NULL;
			if (!g)
				continue;
			if (!comm && read_text_at(procfd, comm_path, &comm) < 0)
				comm = xstrdup("?");
			add_holder(g, atoi(pid), comm, target);
			continue;
		}
		if (p->n_watch == 0 || virtual_node(target))
			continue;
		if (p->use_stat) {
			struct stat st;
			if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
			    (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
				w = find_dev(p, S_ISBLK(st.st_mode), major(st.st_rdev),
					     minor(st.st_rdev));
		} else
			w = find_path(p, target);
		if (!w)
			continue;
		if (!comm && read_text_at(procfd, comm_path, &comm) < 0)
			comm = xstrdup("?");
		add_hit(p, w, atoi(pid), comm);
	}
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

static void pass_done(struct pass *p)
{
	free(p->by_dev);
	free(p->by_path);
	for (size_t i = 0; i < p->n_hits; i++)
		free(p->hits[i].comm);
	free(p->hits);
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
		if (g->n_holders > 0 || unreadable == 0)
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

/* Reads every process's descriptors once; counts the processes that could not be read. */
static int walk_proc(struct pass *p, size_t *unreadable)
{
	_cleanup_close_ int procfd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	char self[32];

	snprintf(self, sizeof(self), "%d", (int)getpid());
	procfd = proc_open_dir("");
	if (procfd < 0) {
		(*unreadable)++;
		return 0;
	}
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
		if (scan_process(p, dirfd(d), de->d_name) == -EACCES)
			(*unreadable)++;
	}
	return 0;
}

int holders_rescan_vfio(struct host *h)
{
	struct pass p = { .h = h, .vfio = true, .use_stat = !root_is_fake() };
	size_t unreadable = 0;
	int r;

	for (size_t i = 0; i < h->n_groups; i++) {
		struct group *g = &h->groups[i];
		for (size_t k = 0; k < g->n_holders; k++) {
			free(g->holders[k].command);
			free(g->holders[k].path);
		}
		free(g->holders);
		g->holders = NULL;
		g->n_holders = 0;
		g->held_unseen = false;
		free(g->holders_note);
		g->holders_note = NULL;
	}
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
