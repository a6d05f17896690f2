/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <pthread.h>

#include "holders.h"
#include "inuse.h"
#include "kernel.h"
#include "modules.h"
#include "names.h"
#include "policy.h"
#include "nodes.h"
#include "scan.h"
#include "procfs.h"
#include "sysfs.h"
#include "util.h"

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_driver_state(struct device *d, int dirfd)
{
	_cleanup_strv_free_ char **vfio = NULL;

	free(d->driver);
	d->driver = NULL;
	(void)read_link_base_at(dirfd, "driver", &d->driver);
	free(d->driver_override);
	d->driver_override = sysfs_read_override(dirfd);
	free(d->vfio_dev_name);
	d->vfio_dev_name = NULL;
	/* vfio-dev/ is created by a VFIO driver's probe; every VFIO driver, variants included,
	 * has "vfio" in its name, so others need not be asked. */
	d->vfio_dev = d->driver && strstr(d->driver, "vfio") &&
		      list_dir_at(dirfd, "vfio-dev", &vfio) >= 0;
	if (d->vfio_dev && vfio[0])
		d->vfio_dev_name = xstrdup(vfio[0]);
	d->dma = dma_role_classify(d->driver, d->vfio_dev);
}

int device_refresh(struct device *d)
{
	_cleanup_close_ int fd = -1;
	int r = sysfs_open_device(d->addr, &fd);

	if (r < 0)
		return r;
	load_driver_state(d, fd);
	return 0;
}

/* The kernel prints modalias from the same struct pci_dev fields as the vendor, device,
 * subsystem_vendor, subsystem_device and class attributes: one read instead of five, which
 * matters on hosts with thousands of functions. False when modalias is not in the kernel's
 * exact format, and the caller reads the attributes one by one. */
static bool ids_from_modalias(struct device *d)
{
	unsigned v, dv, sv, sd, bc, sc, pi;
	int end = -1;

	if (!d->modalias || strlen(d->modalias) != strlen("pci:v00000000d00000000sv00000000"
							  "sd00000000bc00sc00i00"))
		return false;
	if (sscanf(d->modalias, "pci:v%8Xd%8Xsv%8Xsd%8Xbc%2Xsc%2Xi%2X%n", &v, &dv, &sv, &sd, &bc,
		   &sc, &pi, &end) != 7 ||
	    end < 0 || d->modalias[end] || v > 0xffff || dv > 0xffff || sv > 0xffff || sd > 0xffff)
		return false;
	d->vendor_id = v;
	d->device_id = dv;
	d->subsys_vendor_id = sv;
	d->subsys_device_id = sd;
	d->class_id = bc << 16 | sc << 8 | pi;
	d->ids_known = true;
	return true;
}

/* Everything device_load() reads from sysfs, and nothing else: safe to run for different
 * devices in parallel (no names, no modules, no logging). */
static void device_read(struct device *d, const char *addr, int dirfd)
{
	_cleanup_free_ char *group = NULL;
	unsigned v;
	int r;

	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	(void)read_text_at(dirfd, "modalias", &d->modalias);
	if (!ids_from_modalias(d)) {
		d->ids_known = read_uint_at(dirfd, "vendor", &d->vendor_id) >= 0;
		if (read_uint_at(dirfd, "device", &d->device_id) < 0)
			d->ids_known = false;
		(void)read_uint_at(dirfd, "subsystem_vendor", &d->subsys_vendor_id);
		(void)read_uint_at(dirfd, "subsystem_device", &d->subsys_device_id);
		(void)read_uint_at(dirfd, "class", &d->class_id);
	}
	d->revision_known = read_uint_at(dirfd, "revision", &d->revision) >= 0;
	load_driver_state(d, dirfd);

	d->group = -1;
	if (read_link_base_at(dirfd, "iommu_group", &group) >= 0) {
		char *end;
		long g = strtol(group, &end, 10);
		if (!*end && g >= 0)
			d->group = (int)g;
	}
	d->bridge = class_is_bridge(d->class_id);
	/* The kernel shows boot_vga on VGA controllers (class 0300) only. */
	d->boot_vga =
		(d->class_id >> 8) == 0x0300 && read_uint_at(dirfd, "boot_vga", &v) >= 0 && v == 1;
	if (read_int_at(dirfd, "numa_node", &d->numa_node) < 0)
		d->numa_node = -1;
	if (read_text_at(dirfd, "reset_method", &d->reset_method) >= 0 && !*d->reset_method) {
		free(d->reset_method);
		d->reset_method = NULL;
	}
	if (read_link_base_at(dirfd, "physfn", &d->physfn) < 0)
		d->physfn = NULL;
	/* The sriov_* attributes come together, on PFs only (a VF has physfn instead). */
	d->sriov_totalvfs = d->sriov_numvfs = -1;
	r = d->physfn ? -ENOENT : read_int_at(dirfd, "sriov_totalvfs", &d->sriov_totalvfs);
	if (r < 0)
		d->sriov_totalvfs = -1;
	if (r != -ENOENT && read_int_at(dirfd, "sriov_numvfs", &d->sriov_numvfs) < 0)
		d->sriov_numvfs = -1;
	d->sriov_autoprobe = -1;
	if (r != -ENOENT && read_int_at(dirfd, "sriov_drivers_autoprobe", &d->sriov_autoprobe) < 0)
		d->sriov_autoprobe = -1;
}

/* The names and modules of a device read by device_read(): libpci and libkmod, one thread. */
static void device_lookup(struct host *h, struct device *d, const struct scan_options *o)
{
	if (o->names && d->ids_known) {
		d->vendor = names_vendor(h->names, d->vendor_id);
		d->device = names_device(h->names, d->vendor_id, d->device_id);
	}
	if (o->names)
		d->class_name = names_class(h->names, d->class_id);
	if (o->modules && d->modalias) {
		char *const *mods;
		if (modctx_lookup(h->mods, d->modalias, &mods) >= 0) {
			size_t n = strv_length(mods);
			d->modules_known = true;
			d->modules = xcalloc(n + 1, sizeof(char *));
			for (size_t i = 0; i < n; i++)
				d->modules[i] = xstrdup(mods[i]);
			/* libkmod answers in modules.order order; show them by name. */
			qsort(d->modules, n, sizeof(char *), cmp_str_ptr);
		}
	}
	if (!d->modules)
		d->modules = xcalloc(1, sizeof(char *));
}

int device_load(struct host *h, struct device *d, const char *addr, int dirfd,
		const struct scan_options *o)
{
	device_read(d, addr, dirfd);
	device_lookup(h, d, o);
	return 0;
}

static int cmp_device(const void *a, const void *b)
{
	return pci_addr_cmp(((const struct device *)a)->addr, ((const struct device *)b)->addr);
}

static int cmp_group(const void *a, const void *b)
{
	int x = ((const struct group *)a)->number, y = ((const struct group *)b)->number;
	return (x > y) - (x < y);
}

static int cmp_holder(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;

	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	return strcmp(x->path, y->path);
}

/* Drivers are few and devices many: resolve drivers/X/module once per driver. */
static void resolve_driver_modules(struct host *h)
{
	_cleanup_strv_free_ char **names = NULL, **mods = NULL;

	for (size_t i = 0; i < h->n_devices; i++) {
		struct device *d = &h->devices[i];
		size_t k;
		if (!d->driver)
			continue;
		for (k = 0; names && names[k]; k++)
			if (streq(names[k], d->driver))
				break;
		if (!names || !names[k]) {
			char *m = NULL;
			if (sysfs_driver_module(d->driver, &m) < 0)
				m = xstrdup("");
			strv_push(&names, xstrdup(d->driver));
			strv_push(&mods, m);
		}
		if (*mods[k])
			d->driver_module = xstrdup(mods[k]);
	}
}

struct read_job {
	char **addrs;
	struct device *devs;
	bool *present;
	size_t n;
	struct group *groups;
	size_t n_groups;
	size_t next; /* the next device (then group) to read, shared by the workers */
};

static void read_work(struct read_job *j)
{
	for (;;) {
		size_t i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
		int fd = -1;

		if (i >= j->n + j->n_groups)
			return;
		if (i >= j->n) {
			struct group *g = &j->groups[i - j->n];
			if (sysfs_group_type(g->number, &g->type) < 0)
				g->type = NULL;
			sysfs_reader_release(-1);
			continue;
		}
		if (sysfs_open_device(j->addrs[i], &fd) < 0)
			continue; /* removed while we looked */
		device_read(&j->devs[i], j->addrs[i], fd);
		sysfs_reader_release(fd);
		j->present[i] = true;
	}
}

static void *read_worker(void *arg)
{
	(void)sysfs_reader_begin();
	read_work(arg);
	sysfs_reader_end();
	return NULL;
}

/* Reads the sysfs attributes of every address into a new array (in the order of addrs, less
 * those that vanished), and the type of every group. That is some twenty system calls a
 * device and nothing else, so on hosts with hundreds of functions it runs on worker threads (at
 * most one per CPU and per 128 devices, at most 8) while the calling thread runs prepare(arg)
 * (loading the name and module databases); the results do not depend on the number of
 * threads. */
static struct device *read_devices(char **addrs, struct group *groups, size_t n_groups,
				   void (*prepare)(void *), void *arg, size_t *ret_n)
{
	struct read_job j = {
		.addrs = addrs, .n = strv_length(addrs), .groups = groups, .n_groups = n_groups
	};
	_cleanup_free_ bool *present = xcalloc(j.n + 1, sizeof(bool));
	pthread_t threads[8];
	size_t n_threads = 0, want = j.n / 128, n = 0;
	long long t0, t1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	j.devs = xcalloc(j.n + 1, sizeof(struct device));
	j.present = present;
	(void)root_is_fake(); /* the root is initialised once, before any worker reads it */
	if (cpus > 0 && want > (size_t)cpus)
		want = (size_t)cpus;
	if (want > ELEMENTSOF(threads))
		want = ELEMENTSOF(threads);
	while (n_threads < want && pthread_create(&threads[n_threads], NULL, read_worker, &j) == 0)
		n_threads++;
	t0 = now_us();
	prepare(arg);
	t1 = now_us();
	/* The workers' reads cost fewer system calls (one close_range() a device): the
	 * calling thread only reads when there are none. */
	if (!n_threads)
		read_work(&j);
	for (size_t i = 0; i < n_threads; i++)
		pthread_join(threads[i], NULL);
	log_debug("read %zu devices and %zu groups in %.1f ms on %zu worker threads; lookups "
		  "prepared meanwhile in %.1f ms",
		  j.n, n_groups, (double)(now_us() - t0) / 1000, n_threads,
		  (double)(t1 - t0) / 1000);

	for (size_t i = 0; i < j.n; i++)
		if (present[i]) {
			if (n != i)
				j.devs[n] = j.devs[i];
			n++;
		}
	if (n < j.n)
		memset(&j.devs[n], 0, (j.n - n) * sizeof(struct device));
	*ret_n = n;
	return j.devs;
}

struct prepare_args {
	struct host *h;
	const struct scan_options *o;
};

/* What the scan needs besides sysfs, loaded while the devices are read: the kernel's
 * ownership checks (kallsyms on a first run), pci.ids (tens of milliseconds to parse) and the
 * module index. */
static void prepare_lookups(void *arg)
{
	struct prepare_args *a = arg;
	long long t0 = now_us(), t1, t2;

	kernel_info_load(&a->h->kernel);
	t1 = now_us();
	if (a->o->names) {
		a->h->names = names_new();
		names_preload(a->h->names);
	}
	t2 = now_us();
	if (a->o->modules)
		a->h->mods = modctx_new(a->h->kernel.release);
	log_debug("kernel checks (%s) in %.1f ms, names in %.1f ms, module index in %.1f ms",
		  a->h->kernel.checks_source, (double)(t1 - t0) / 1000, (double)(t2 - t1) / 1000,
		  (double)(now_us() - t2) / 1000);
}

/* Who owns /dev/vfio/N (--owner hands it to a user), and what that user may lock. */
static void read_group_node(struct group *g)
{
	struct node_stat ns;

	if (!g->vfio_bound || vfio_group_node_stat(g->number, &ns) < 0)
		return;
	g->node_known = true;
	g->node_path = vfio_group_node_name(g->number);
	g->node_uid = ns.uid;
	g->node_gid = ns.gid;
	g->node_mode = ns.mode;
	g->node_user = user_name(ns.uid);
	g->node_group = group_name(ns.gid);
	if (ns.uid != 0 && proc_uid_memlock(ns.uid, &g->node_memlock, &g->node_memlock_pid) < 0)
		g->node_memlock_pid = 0;
}

int host_scan(struct host *h, const struct scan_options *o, char **ret_error)
{
	_cleanup_strv_free_ char **addrs = NULL;
	_cleanup_free_ int *groups = NULL;
	size_t n_groups = 0, n = 0;
	int r;

	struct prepare_args pa = { .h = h, .o = o };
	long long t0;

	memset(h, 0, sizeof(*h));
	r = sysfs_pci_devices(&addrs);
	if (r < 0) {
		_cleanup_free_ char *dir = sys_path("bus/pci/devices");
		*ret_error = xasprintf("cannot list PCI devices in %s: %s", dir, strerror(-r));
		return r;
	}
	r = sysfs_iommu_groups(&groups, &n_groups);
	if (r < 0)
		strv_push(&h->warnings, xasprintf("cannot list IOMMU groups: %s", strerror(-r)));
	h->groups = xcalloc(n_groups + 1, sizeof(struct group));
	h->n_groups = n_groups;
	for (size_t i = 0; i < n_groups; i++) {
		h->groups[i].number = groups[i];
		h->groups[i].holders_state = "not-checked";
	}

	h->devices = read_devices(addrs, h->groups, h->n_groups, prepare_lookups, &pa, &n);
	h->n_devices = n;
	h->kernel.iommu = n_groups > 0 || strv_length(h->kernel.iommus) > 0;
	if (!h->kernel.iommu)
		h->kernel.iommu_parameter = kernel_iommu_parameter();
	t0 = now_us();
	for (size_t i = 0; i < n; i++)
		device_lookup(h, &h->devices[i], o);
	names_save(h->names);
	log_debug("names and modules of %zu devices in %.1f ms", n, (double)(now_us() - t0) / 1000);
	qsort(h->devices, n, sizeof(struct device), cmp_device);
	resolve_driver_modules(h);
	qsort(h->groups, h->n_groups, sizeof(struct group), cmp_group);
	for (size_t i = 0; i < h->n_devices; i++) {
		struct device *d = &h->devices[i];
		struct group *g = d->group >= 0 ? host_find_group(h, d->group) : NULL;
		if (!g)
			continue;
		g->devices = xrealloc(g->devices, (g->n_devices + 1) * sizeof(struct device *));
		g->devices[g->n_devices++] = d;
	}
	for (size_t i = 0; i < h->n_groups; i++) {
		group_evaluate(&h->groups[i], h->kernel.dma_ownership_checks);
		read_group_node(&h->groups[i]);
	}
	/* A PF's VFs from their physfn links: the devices are sorted, and so are the lists. */
	for (size_t i = 0; i < h->n_devices; i++) {
		struct device *pf =
			h->devices[i].physfn ? host_find_device(h, h->devices[i].physfn) : NULL;
		if (pf)
			strv_push(&pf->sriov_vfs, xstrdup(h->devices[i].addr));
	}

	if (o->in_use) {
		inuse_scan(h);
		/* Device nodes held open: one /proc pass, shared with the VFIO holder scan. */
		holders_scan(h);
	}
	if (o->holders) {
		holders_scan(h);
		/* /proc is listed in directory order: show holders by pid, then node. */
		for (size_t i = 0; i < h->n_groups; i++)
			if (h->groups[i].n_holders > 1)
				qsort(h->groups[i].holders, h->groups[i].n_holders,
				      sizeof(struct holder), cmp_holder);
	}
	host_make_display_safe(h);
	return 0;
}

void host_done(struct host *h)
{
	for (size_t i = 0; i < h->n_devices; i++)
		device_done(&h->devices[i]);
	free(h->devices);
	for (size_t i = 0; i < h->n_groups; i++) {
		struct group *g = &h->groups[i];
		free(g->type);
		free(g->devices);
		free(g->blockers);
		for (size_t k = 0; k < g->n_holders; k++)
			holder_done(&g->holders[k]);
		free(g->holders);
		free(g->holders_note);
		free(g->node_user);
		free(g->node_path);
		free(g->node_group);
	}
	free(h->groups);
	for (size_t k = 0; k < h->n_unattributed; k++)
		holder_done(&h->unattributed[k]);
	free(h->unattributed);
	kernel_info_done(&h->kernel);
	names_free(h->names);
	modctx_free(h->mods);
	strv_free(h->warnings);
	memset(h, 0, sizeof(*h));
}

void device_refresh_state(struct device *d)
{
	(void)device_refresh(d);
}
