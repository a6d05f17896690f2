/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>

#include "policy.h"
#include "util.h"

bool driver_name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if ((*a == '-' ? '_' : *a) != (*b == '-' ? '_' : *b))
			return false;
	return *a == *b;
}

bool driver_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DRIVER_NAME_MAX)
		return false;
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
			return false;
	return true;
}

bool driver_is_vfio(const char *driver)
{
	size_t n;

	if (!driver)
		return false;
	if (driver_name_eq(driver, "vfio_pci"))
		return true;
	n = strlen(driver);
	return n > 9 && driver_name_eq(driver + n - 9, "_vfio_pci");
}

bool driver_is_dma_managed(const char *driver)
{
	if (!driver)
		return false;
	return driver_is_vfio(driver) || driver_name_eq(driver, "pci_stub") ||
	       driver_name_eq(driver, "pcieport");
}

enum dma_role dma_role_classify(const char *driver, bool has_vfio_dev)
{
	if (!driver)
		return DMA_NONE;
	if (has_vfio_dev || driver_is_dma_managed(driver))
		return DMA_MANAGED;
	return DMA_KERNEL;
}

const char *dma_role_to_string(enum dma_role r)
{
	switch (r) {
	case DMA_KERNEL:
		return "kernel";
	case DMA_MANAGED:
		return "managed";
	case DMA_NONE:
	default:
		return "none";
	}
}

bool class_is_bridge(unsigned class_id)
{
	unsigned cls = class_id >> 8;
	return cls == 0x0604 || cls == 0x0609 || cls == 0x0607;
}

bool device_blocks_vfio(const struct device *d, bool ownership_checks)
{
	return d->dma == DMA_KERNEL && (ownership_checks || !d->bridge);
}

void group_evaluate(struct group *g, bool ownership_checks)
{
	free(g->blockers);
	g->blockers = NULL;
	g->n_blockers = 0;
	g->vfio_bound = false;
	for (size_t i = 0; i < g->n_devices; i++) {
		struct device *d = g->devices[i];
		if (device_blocks_vfio(d, ownership_checks)) {
			g->blockers =
				xrealloc(g->blockers, (g->n_blockers + 1) * sizeof(*g->blockers));
			g->blockers[g->n_blockers++] = d;
		}
		if (d->vfio_dev || driver_is_vfio(d->driver))
			g->vfio_bound = true;
	}
	g->viable = g->n_blockers == 0;
}

bool kernel_release_at_least(const char *release, int major, int minor)
{
	int a = 0, b = 0;

	if (!release || sscanf(release, "%d.%d", &a, &b) < 1)
		return false;
	return a > major || (a == major && b >= minor);
}
