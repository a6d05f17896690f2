/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "addr.h"
#include "targets.h"
#include "util.h"

static void add_group(struct selection *s, struct group *g)
{
	for (size_t i = 0; i < s->n_groups; i++)
		if (s->groups[i] == g)
			return;
	s->groups = xrealloc(s->groups, (s->n_groups + 1) * sizeof(*s->groups));
	s->groups[s->n_groups++] = g;
}

static void add_loose(struct selection *s, struct device *d)
{
	for (size_t i = 0; i < s->n_loose; i++)
		if (s->loose[i] == d)
			return;
	s->loose = xrealloc(s->loose, (s->n_loose + 1) * sizeof(*s->loose));
	s->loose[s->n_loose++] = d;
}

static int cmp_group_ptr(const void *a, const void *b)
{
	int x = (*(struct group *const *)a)->number, y = (*(struct group *const *)b)->number;
	return (x > y) - (x < y);
}

static int cmp_device_ptr(const void *a, const void *b)
{
	/* Devices live in one sorted array: pointer order is address order. */
	const struct device *x = *(struct device *const *)a, *y = *(struct device *const *)b;
	return (x > y) - (x < y);
}

int targets_resolve(struct host *h, char **args, int n, struct selection *ret, char **ret_error)
{
	struct selection s = { 0 };

	for (int i = 0; i < n; i++) {
		struct target t;
		if (target_parse(args[i], &t) < 0) {
			selection_done(&s);
			*ret_error = target_parse_error(args[i]);
			return -EINVAL;
		}
		if (t.kind == TARGET_GROUP) {
			struct group *g = host_find_group(h, t.group);
			if (!g) {
				selection_done(&s);
				if (h->n_groups == 0)
					*ret_error =
						xasprintf("there is no IOMMU group %d: this host "
							  "has no IOMMU "
							  "groups at all (is the IOMMU enabled?)",
							  t.group);
				else
					*ret_error =
						xasprintf("there is no IOMMU group %d; 'devown "
							  "status' lists the groups",
							  t.group);
				return -ENOENT;
			}
			add_group(&s, g);
		} else {
			struct device *d = host_find_device(h, t.addr);
			struct group *g;
			if (!d) {
				selection_done(&s);
				*ret_error = xasprintf("there is no PCI device %s; 'devown status' "
						       "lists the devices",
						       t.addr);
				return -ENOENT;
			}
			g = d->group >= 0 ? host_find_group(h, d->group) : NULL;
			if (g)
				add_group(&s, g);
			else
				add_loose(&s, d);
		}
	}
	if (s.n_groups)
		qsort(s.groups, s.n_groups, sizeof(*s.groups), cmp_group_ptr);
	if (s.n_loose)
		qsort(s.loose, s.n_loose, sizeof(*s.loose), cmp_device_ptr);
	*ret = s;
	return 0;
}

void selection_all(struct host *h, struct selection *ret)
{
	struct selection s = { 0 };

	/* Every group and device once, already in order: no duplicate checks (they made this
	 * quadratic in the number of groups). */
	s.groups = xcalloc(h->n_groups + 1, sizeof(*s.groups));
	for (size_t i = 0; i < h->n_groups; i++)
		s.groups[s.n_groups++] = &h->groups[i];
	s.loose = xcalloc(h->n_devices + 1, sizeof(*s.loose));
	for (size_t i = 0; i < h->n_devices; i++)
		if (h->devices[i].group < 0 || !host_find_group(h, h->devices[i].group))
			s.loose[s.n_loose++] = &h->devices[i];
	*ret = s;
}

void selection_done(struct selection *s)
{
	free(s->groups);
	free(s->loose);
	*s = (struct selection){ 0 };
}
