/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * In use for storage: block devices below a device (disks, partitions, NVMe namespaces and
 * the heads of native NVMe multipath) that are mounted (/proc/self/mountinfo), swapped on
 * (/proc/swaps), or held by device-mapper or MD, followed through the chain of holders.
 */
#include <fcntl.h>

#include "inuse-int.h"
#include "procfs.h"
#include "sysfs.h"
#include "util.h"

#define CHAIN_MAX_DEPTH 8 /* holders of holders: dm on md on partitions */

/* mountinfo: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue" */
static void load_mounts(struct ctx *c)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r = proc_read_file("self/mountinfo", &text);

	if (r < 0) {
		c->mounts_error = xasprintf("cannot read /proc/self/mountinfo: %s", strerror(-r));
		return;
	}
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct mountinfo_line mi;
		struct mount_entry *m;

		if (!mountinfo_parse_line(l, &mi))
			continue;
		c->mounts = xrealloc(c->mounts, (c->n_mounts + 1) * sizeof(*c->mounts));
		m = &c->mounts[c->n_mounts++];
		m->major = mi.major;
		m->minor = mi.minor;
		m->fsroot = mi.fsroot;
		m->mountpoint = mi.point;
		m->fstype = mi.fstype;
		m->source = mi.source;
	}
}

/* /proc/swaps: "Filename Type Size Used Priority", one area a line after the header. */
static void load_swaps(struct ctx *c)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	bool header = true;
	int r = proc_read_file("swaps", &text);

	if (r < 0) {
		c->swaps_error = xasprintf("cannot read /proc/swaps: %s", strerror(-r));
		return;
	}
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *s2 = NULL, *name;
		if (header) {
			header = false;
			continue;
		}
		name = strtok_r(l, " \t", &s2);
		if (!name)
			continue;
		name = xstrdup(name);
		unescape_octal(name);
		strv_push(&c->swaps, name);
	}
}

void load_storage(struct ctx *c)
{
	if (c->storage_loaded)
		return;
	c->storage_loaded = true;
	load_mounts(c);
	load_swaps(c);
}

static void add_blk(struct device *d, struct found *f, const char *name)
{
	_cleanup_close_ int fd = -1, dm = -1;
	struct blk b = { 0 };

	for (size_t i = 0; i < f->n_blks; i++)
		if (streq(f->blks[i].name, name))
			return;
	fd = open_class("class/block", name);
	if (fd < 0)
		return;
	b.name = xstrdup(name);
	b.has_dev = read_dev(fd, &b.major, &b.minor);
	dm = openat(fd, "dm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dm >= 0 && read_text_at(dm, "name", &b.dm_name) < 0)
		b.dm_name = NULL;
	if (list_dir_at(fd, "holders", &b.holders) < 0)
		b.holders = NULL;
	if (b.has_dev)
		add_devnode(d, fd, name, "block", b.major, b.minor, true, NULL);
	f->blks = xrealloc(f->blks, (f->n_blks + 1) * sizeof(struct blk));
	f->blks[f->n_blks++] = b;
}

/* nvme<S>c<C>n<N> is a hidden path device of native NVMe multipath; the disk that is mounted
 * is the subsystem's head nvme<S>n<N>, which lives below the subsystem, not the PCI device. */
static bool nvme_path_head(const char *name, char *head, size_t size)
{
	unsigned s, ctl, ns;
	int n = 0;

	if (sscanf(name, "nvme%uc%un%u%n", &s, &ctl, &ns, &n) != 3 || name[n])
		return false;
	snprintf(head, size, "nvme%un%u", s, ns);
	return true;
}

/* A link passes through directory name (a partition's link through its disk's). */
static bool link_through(const char *link, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strstr(link, name); p; p = strstr(p + 1, name))
		if ((p == link || p[-1] == '/') && (p[n] == '/' || p[n] == '\0'))
			return true;
	return false;
}

void collect_block(struct host *h, struct found *f)
{
	_cleanup_strv_free_ char **names = NULL, **links = NULL;

	if (list_class("class/block", &names, &links) < 0)
		return;
	for (size_t i = 0; names[i]; i++) {
		struct device *d = link_owner(h, links[i]);
		char head[64];
		if (!d)
			continue;
		if (!nvme_path_head(names[i], head, sizeof(head))) {
			add_blk(d, &f[d - h->devices], names[i]);
			continue;
		}
		/* The head and its partitions belong to every controller with a path to it. */
		for (size_t k = 0; names[k]; k++)
			if (streq(names[k], head) || link_through(links[k], head))
				add_blk(d, &f[d - h->devices], names[k]);
	}
}

/* ---- storage findings ---- */

static bool source_is(const char *source, const char *name, const char *dm_name)
{
	if (startswith(source, "/dev/") && streq(source + 5, name))
		return true;
	return dm_name && startswith(source, "/dev/mapper/") && streq(source + 12, dm_name);
}

static bool mount_matches(const struct mount_entry *m, const struct blk *b)
{
	/* btrfs and some others show an anonymous device number: the source names it then. */
	if (b->has_dev && m->major == b->major && m->minor == b->minor)
		return true;
	return m->major == 0 && source_is(m->source, b->name, b->dm_name);
}

static bool swap_matches(const char *swap, const struct blk *b)
{
	return source_is(swap, b->name, b->dm_name);
}

/* Picks the mount point to name: "/" when among them, else the first of the whole
 * filesystem (fs root "/"), else the first. */
static const struct mount_entry *main_mount(const struct mount_entry *const *v, size_t n)
{
	const struct mount_entry *best = NULL;

	for (size_t i = 0; i < n; i++) {
		if (streq(v[i]->mountpoint, "/"))
			return v[i];
		if (!best || (streq(v[i]->fsroot, "/") && !streq(best->fsroot, "/")))
			best = v[i];
	}
	return best;
}

static void mount_finding(struct ctx *c, struct device *d, const struct blk *b)
{
	const struct mount_entry **hits = NULL;
	const struct mount_entry *m;
	size_t n = 0;
	struct in_use *u;
	_cleanup_free_ char *detail = NULL;
	char more[64] = "";

	for (size_t i = 0; i < c->n_mounts; i++)
		if (mount_matches(&c->mounts[i], b)) {
			hits = xrealloc(hits, (n + 1) * sizeof(*hits));
			hits[n++] = &c->mounts[i];
		}
	if (!n)
		return;
	m = main_mount(hits, n);
	if (n > 1)
		snprintf(more, sizeof(more), " and %zu more place%s", n - 1, n == 2 ? "" : "s");
	detail = xasprintf("mounted on %s%s (%s)%s", m->mountpoint, more, m->fstype,
			   streq(m->mountpoint, "/") ? ", the root filesystem" : "");
	u = inuse_add(d, "mount", m->mountpoint, detail);
	u->source = xstrdup(m->source);
	u->mountpoint = xstrdup(m->mountpoint);
	u->fstype = xstrdup(m->fstype);
	u->root = streq(m->mountpoint, "/");
	for (size_t i = 0; i < n; i++)
		if (!strv_contains(u->mountpoints, hits[i]->mountpoint))
			strv_push(&u->mountpoints, xstrdup(hits[i]->mountpoint));
	free(hits);
}

static void swap_finding(struct ctx *c, struct device *d, const struct blk *b)
{
	for (size_t i = 0; c->swaps && c->swaps[i]; i++) {
		_cleanup_free_ char *detail = NULL;
		struct in_use *u;
		if (!swap_matches(c->swaps[i], b))
			continue;
		detail = xasprintf("swap space %s", c->swaps[i]);
		u = inuse_add(d, "swap", c->swaps[i], detail);
		u->source = xstrdup(c->swaps[i]);
		return;
	}
}

struct chain_state {
	char **chain; /* holder names in visiting order */
	char **shown; /* "dm-0 (vg-root)" for the detail */
	char **mountpoints;
	char *fstype;
	bool root, swap;
};

/* Follows a holder (dm, md) and what holds it in turn, collecting mounts and swap. */
static void follow_holder(struct ctx *c, struct device *d, const char *via, const char *name,
			  struct chain_state *s, int depth)
{
	_cleanup_close_ int fd = -1;
	_cleanup_strv_free_ char **holders = NULL;
	struct blk b = { .name = (char *)name };
	_cleanup_free_ char *dm_name = NULL;

	if (depth > CHAIN_MAX_DEPTH || strv_contains(s->chain, name))
		return;
	strv_push(&s->chain, xstrdup(name));
	fd = open_class("class/block", name);
	if (fd >= 0) {
		_cleanup_close_ int dm = openat(fd, "dm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		b.has_dev = read_dev(fd, &b.major, &b.minor);
		if (dm >= 0 && read_text_at(dm, "name", &dm_name) >= 0)
			b.dm_name = dm_name;
		if (b.has_dev)
			add_devnode(d, fd, name, "block", b.major, b.minor, true, via);
		(void)list_dir_at(fd, "holders", &holders);
	}
	strv_push(&s->shown, dm_name ? xasprintf("%s (%s)", name, dm_name) : xstrdup(name));
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct mount_entry *m = &c->mounts[i];
		if (!mount_matches(m, &b) || strv_contains(s->mountpoints, m->mountpoint))
			continue;
		strv_push(&s->mountpoints, xstrdup(m->mountpoint));
		if (streq(m->mountpoint, "/"))
			s->root = true;
		if (!s->fstype)
			s->fstype = xstrdup(m->fstype);
	}
	for (size_t i = 0; c->swaps && c->swaps[i]; i++)
		if (swap_matches(c->swaps[i], &b))
			s->swap = true;
	for (size_t i = 0; holders && holders[i]; i++)
		follow_holder(c, d, via, holders[i], s, depth + 1);
}

static void holder_finding(struct ctx *c, struct device *d, const struct blk *b, const char *holder)
{
	struct chain_state s = { 0 };
	_cleanup_free_ char *shown = NULL, *mps = NULL, *detail = NULL;
	struct in_use *u;

	follow_holder(c, d, b->name, holder, &s, 0);
	shown = strv_join(s.shown, " -> ");
	if (s.mountpoints)
		mps = strv_join(s.mountpoints, " ");
	detail = xasprintf("held by %s%s%s%s%s", shown, mps ? ", mounted on " : "", mps ? mps : "",
			   s.root ? ", the root filesystem" : "", s.swap ? ", swap space" : "");
	u = inuse_add(d, "holder", b->name, detail);
	u->chain = TAKE_PTR(s.chain);
	u->mountpoints = s.mountpoints ? TAKE_PTR(s.mountpoints) : xcalloc(1, sizeof(char *));
	u->mountpoint = u->mountpoints[0] ? xstrdup(u->mountpoints[0]) : NULL;
	for (size_t i = 0; u->mountpoints[i]; i++)
		if (streq(u->mountpoints[i], "/")) {
			free(u->mountpoint);
			u->mountpoint = xstrdup("/");
		}
	u->fstype = TAKE_PTR(s.fstype);
	u->root = s.root;
	u->swap = s.swap;
	strv_free(s.shown);
}

void storage_findings(struct ctx *c, struct device *d, const struct blk *b)
{
	mount_finding(c, d, b);
	swap_finding(c, d, b);
	for (size_t i = 0; b->holders && b->holders[i]; i++)
		holder_finding(c, d, b, b->holders[i]);
}
