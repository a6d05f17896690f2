/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The model's own bookkeeping: lookups and the memory of its objects. No I/O. */
#include "model.h"
#include "util.h"

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

struct in_use *inuse_add(struct device *d, const char *kind, const char *name, const char *detail)
{
	struct in_use *u;

	d->in_use = xrealloc(d->in_use, (d->n_in_use + 1) * sizeof(struct in_use));
	u = &d->in_use[d->n_in_use++];
	*u = (struct in_use){
		.kind = xstrdup(kind),
		.name = xstrdup(name),
		.detail = detail ? xstrdup(detail) : NULL,
	};
	return u;
}

void inuse_note_unknown(struct device *d, const char *reason)
{
	if (!strv_contains(d->in_use_unknown, reason))
		strv_push(&d->in_use_unknown, xstrdup(reason));
}

static void in_use_free(struct in_use *u)
{
	free(u->kind);
	free(u->name);
	free(u->detail);
	strv_free(u->addresses);
	strv_free(u->routes);
	strv_free(u->uppers);
	free(u->master);
	free(u->source);
	free(u->mountpoint);
	strv_free(u->mountpoints);
	free(u->fstype);
	strv_free(u->chain);
	free(u->command);
	free(u->path);
	free(u->subsystem);
}

void inuse_done(struct device *d)
{
	for (size_t i = 0; i < d->n_in_use; i++)
		in_use_free(&d->in_use[i]);
	free(d->in_use);
	d->in_use = NULL;
	d->n_in_use = 0;
	strv_free(d->in_use_unknown);
	d->in_use_unknown = NULL;
	for (size_t i = 0; i < d->n_devnodes; i++) {
		free(d->devnodes[i].name);
		free(d->devnodes[i].path);
		free(d->devnodes[i].subsystem);
		free(d->devnodes[i].via);
	}
	free(d->devnodes);
	d->devnodes = NULL;
	d->n_devnodes = 0;
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
	strv_free(d->sriov_vfs);
	free(d->vfio_dev_name);
	inuse_done(d);
	memset(d, 0, sizeof(*d));
}

static void strv_make_display_safe(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		str_make_display_safe(&v[i]);
}

static void holder_make_display_safe(struct holder *x)
{
	str_make_display_safe(&x->command);
	str_make_display_safe(&x->path);
	str_make_display_safe(&x->device);
	str_make_display_safe(&x->unit);
	str_make_display_safe(&x->domain);
	str_make_display_safe(&x->container);
}

void host_make_display_safe(struct host *h)
{
	for (size_t i = 0; i < h->n_devices; i++) {
		struct device *d = &h->devices[i];
		str_make_display_safe(&d->driver_override);
		str_make_display_safe(&d->vendor);
		str_make_display_safe(&d->device);
		str_make_display_safe(&d->class_name);
		strv_make_display_safe(d->in_use_unknown);
		for (size_t k = 0; k < d->n_in_use; k++) {
			struct in_use *u = &d->in_use[k];
			str_make_display_safe(&u->name);
			str_make_display_safe(&u->detail);
			str_make_display_safe(&u->master);
			strv_make_display_safe(u->uppers);
			str_make_display_safe(&u->source);
			str_make_display_safe(&u->mountpoint);
			strv_make_display_safe(u->mountpoints);
			str_make_display_safe(&u->fstype);
			strv_make_display_safe(u->chain);
			str_make_display_safe(&u->command);
			str_make_display_safe(&u->path);
		}
	}
	for (size_t i = 0; i < h->n_groups; i++) {
		struct group *g = &h->groups[i];
		for (size_t k = 0; k < g->n_holders; k++)
			holder_make_display_safe(&g->holders[k]);
		str_make_display_safe(&g->holders_note);
	}
	for (size_t i = 0; i < h->n_unattributed; i++)
		holder_make_display_safe(&h->unattributed[i]);
	strv_make_display_safe(h->warnings);
}
