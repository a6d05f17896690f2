/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>

#include "inuse.h"
#include "sysfs.h"
#include "util.h"

void inuse_add(struct device *d, const char *kind, const char *name, const char *detail)
{
	d->in_use = xrealloc(d->in_use, (d->n_in_use + 1) * sizeof(struct in_use));
	d->in_use[d->n_in_use++] = (struct in_use){
		.kind = xstrdup(kind),
		.name = xstrdup(name),
		.detail = detail ? xstrdup(detail) : NULL,
	};
}

int inuse_scan(struct host *h)
{
	for (size_t i = 0; i < h->n_devices; i++) {
		struct device *d = &h->devices[i];
		if (d->boot_vga)
			inuse_add(d, "display", "boot_vga", "the firmware's boot display");
	}
	return 0;
}
