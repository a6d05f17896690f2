/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>

#include "holders.h"
#include "inuse.h"
#include "kernel.h"
#include "modules.h"
#include "names.h"
#include "policy.h"
#include "scan.h"
#include "sysfs.h"
#include "util.h"

int pci_addr_cmp(const char *a, const char *b)
{
	struct pci_addr x, y;

	if (pci_addr_parse(a, &x) < 0 || pci_addr_parse(b, &y) < 0)
		return strcmp(a, b);
	if (x.domain != y.domain)
		return x.domain < y.domain ? -1 : 1;
	if (x.bus != y.bus)
		return x.bus < y.bus ? -1 : 1;
	if (x.dev != y.dev)
		return x.dev < y.dev ? -1 : 1;
	return (x.fn > y.fn) - (x.fn < y.fn);
}

static char *read_override(int dirfd)
{
	char *s = NULL;

	if (read_text_at(dirfd, "driver_override", &s) < 0)
		return NULL;
	if (streq(s, "(null)") || !*s) {
		free(s);
		return NULL;
	}
	return s;
}

static void load_driver_state(struct device *d, int dirfd)
{
	_cleanup_strv_free_ char **vfio = NULL;

	free(d->driver);
	d->driver = NULL;
	(void)read_link_base_at(dirfd, "driver", &d->driver);
	free(d->driver_override);
	d->driver_override = read_override(dirfd);
	free(d->vfio_dev_name);
	d->vfio_dev_name = NULL;
	d->vfio_dev = list_dir_at(dirfd, "vfio-dev", &vfio) >= 0;
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

int device_load(struct host *h, struct device *d, const char *addr, int dirfd,
		const struct scan_options *o)
{
	_cleanup_free_ char *group = NULL;
	unsigned v;

	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	d->ids_known = read_uint_at(dirfd, "vendor", &d->vendor_id) >= 0;
	if (read_uint_at(dirfd, "device", &d->device_id) < 0)
		d->ids_known = false;
	(void)read_uint_at(dirfd, "subsystem_vendor", &d->subsys_vendor_id);
	(void)read_uint_at(dirfd, "subsystem_device", &d->subsys_device_id);
	(void)read_uint_at(dirfd, "class", &d->class_id);
	(void)read_uint_at(dirfd, "revision", &d->revision);
	(void)read_text_at(dirfd, "modalias", &d->modalias);
	load_driver_state(d, dirfd);

	d->group = -1;
	if (read_link_base_at(dirfd, "iommu_group", &group) >= 0) {
		char *end;
		long g = strtol(group, &end, 10);
		if (!*end && g >= 0)
			d->group = (int)g;
	}
	d->bridge = class_is_bridge(d->class_id);
	d->boot_vga = read_uint_at(dirfd, "boot_vga", &v) >= 0 && v == 1;
	if (read_int_at(dirfd, "numa_node", &d->numa_node) < 0)
		d->numa_node = -1;
	if (read_text_at(dirfd, "reset_method", &d->reset_method) >= 0 && !*d->reset_method) {
		free(d->reset_method);
		d->reset_method = NULL;
	}
	if (read_link_base_at(dirfd, "physfn", &d->physfn) < 0)
		d->physfn = NULL;
	if (read_int_at(dirfd, "sriov_totalvfs", &d->sriov_totalvfs) < 0)
		d->sriov_totalvfs = -1;
	if (read_int_at(dirfd, "sriov_numvfs", &d->sriov_numvfs) < 0)
		d->sriov_numvfs = -1;

	if (o->names && d->ids_known) {
		d->vendor = names_vendor(h->names, d->vendor_id);
		d->device = names_device(h->names, d->vendor_id, d->device_id);
	}
	if (o->names)
		d->class_name = names_class(h->names, d->class_id);
	if (o->modules && d->modalias) {
		char *const *mods;
		if (modctx_lookup(h->mods, d->modalias, &mods) >= 0) {
			d->modules_known = true;
			for (size_t i = 0; mods[i]; i++)
				strv_push(&d->modules, xstrdup(mods[i]));
		}
	}
	if (!d->modules)
		d->modules = xcalloc(1, sizeof(char *));
	return 0;
}

void device_done(struct device *d)
{
	free(d->vendor);
	free(d->device);
	free(d->class_name);
	free(d->driver);
	free(d->driver_override);
	free(d->modalias);
	strv_free(d->modules);
	free(d->driver_module);
	free(d->reset_method);
	free(d->physfn);
	free(d->vfio_dev_name);
	for (size_t i = 0; i < d->n_in_use; i++) {
		free(d->in_use[i].kind);
		free(d->in_use[i].name);
		free(d->in_use[i].detail);
	}
	free(d->in_use);
	memset(d, 0, sizeof(*d));
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

int host_scan(struct host *h, const struct scan_options *o)
{
	_cleanup_strv_free_ char **addrs = NULL;
	_cleanup_free_ int *groups = NULL;
	size_t n_groups = 0, n = 0;
	int r;

	memset(h, 0, sizeof(*h));
	kernel_info_load(&h->kernel);
	if (o->names)
		h->names = names_new();
	if (o->modules)
		h->mods = modctx_new(h->kernel.release);

	r = sysfs_pci_devices(&addrs);
	if (r < 0)
		return log_error_errno(r, "cannot list PCI devices in %s/sys/bus/pci/devices: %m",
				       root_prefix());
	h->devices = xcalloc(strv_length(addrs) + 1, sizeof(struct device));
	for (char **a = addrs; *a; a++) {
		_cleanup_close_ int fd = -1;
		if (sysfs_open_device(*a, &fd) < 0)
			continue; /* removed while we looked */
		device_load(h, &h->devices[n++], *a, fd, o);
	}
	h->n_devices = n;
	qsort(h->devices, n, sizeof(struct device), cmp_device);
	resolve_driver_modules(h);

	r = sysfs_iommu_groups(&groups, &n_groups);
	if (r < 0)
		log_warning_errno(r, "cannot list IOMMU groups: %m");
	h->kernel.iommu = n_groups > 0 || strv_length(h->kernel.iommus) > 0;
	h->groups = xcalloc(n_groups + 1, sizeof(struct group));
	h->n_groups = n_groups;
	for (size_t i = 0; i < n_groups; i++) {
		struct group *g = &h->groups[i];
		g->number = groups[i];
		if (sysfs_group_type(g->number, &g->type) < 0)
			g->type = NULL;
		g->holders_state = "not-checked";
	}
	qsort(h->groups, h->n_groups, sizeof(struct group), cmp_group);
	for (size_t i = 0; i < h->n_devices; i++) {
		struct device *d = &h->devices[i];
		struct group *g = d->group >= 0 ? host_find_group(h, d->group) : NULL;
		if (!g)
			continue;
		g->devices = xrealloc(g->devices, (g->n_devices + 1) * sizeof(struct device *));
		g->devices[g->n_devices++] = d;
	}
	for (size_t i = 0; i < h->n_groups; i++)
		group_evaluate(&h->groups[i]);

	if (o->in_use)
		inuse_scan(h);
	if (o->holders)
		holders_scan(h);
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
		for (size_t k = 0; k < g->n_holders; k++) {
			free(g->holders[k].command);
			free(g->holders[k].path);
		}
		free(g->holders);
		free(g->holders_note);
	}
	free(h->groups);
	kernel_info_done(&h->kernel);
	names_free(h->names);
	modctx_free(h->mods);
	memset(h, 0, sizeof(*h));
}

struct device *host_find_device(struct host *h, const char *addr)
{
	size_t lo = 0, hi = h->n_devices;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = pci_addr_cmp(h->devices[mid].addr, addr);
		if (c == 0)
			return &h->devices[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct group *host_find_group(struct host *h, int number)
{
	size_t lo = 0, hi = h->n_groups;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (h->groups[mid].number == number)
			return &h->groups[mid];
		if (h->groups[mid].number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void device_refresh_state(struct device *d) { (void)device_refresh(d); }
