/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "model.h"

/* Pure decisions: no I/O here, so that every rule is unit-tested. */

/* Driver and module names that differ only in '-' versus '_' name the same thing
 * ("vfio-pci", "vfio_pci"). */
bool driver_name_eq(const char *a, const char *b);

/* What DRIVER (bind, run, driver= of apply) may be: a driver or module name, 1 to 64 letters,
 * digits, '_' and '-'. Anything else (a modalias "pci:v00008086d...", a path) is not planned as
 * a driver. */
#define DRIVER_NAME_MAX 64
bool driver_name_valid(const char *s);

/* The driver is VFIO: vfio-pci or one of its variant drivers (names ending in vfio_pci or
 * vfio-pci, e.g. mlx5_vfio_pci, xe-vfio-pci). */
bool driver_is_vfio(const char *driver);

/* The driver sets driver_managed_dma: VFIO drivers, pci-stub and pcieport. Nothing in sysfs
 * says so, hence an allow-list (docs/kernel.md, "DMA ownership"). */
bool driver_is_dma_managed(const char *driver);

/* DMA role of a device from its bound driver (NULL: unbound). A vfio-dev/ child proves a VFIO
 * driver even under a name the allow-list does not know. */
enum dma_role dma_role_classify(const char *driver, bool has_vfio_dev);
const char *dma_role_to_string(enum dma_role r);

/* A bridge in the sense of the vfio-pci probe: a type 1 or type 2 header, i.e. PCI class
 * 06/04 (PCI-to-PCI), 06/09 (semi-transparent) or 06/07 (CardBus). */
bool class_is_bridge(unsigned class_id);

/* Whether a member keeps its group from VFIO. With the kernel's DMA ownership checks (5.19+)
 * every kernel DMA user does, bridges on shpchp included; before them VFIO's own viability
 * test let any bridge pass whatever its driver. */
bool device_blocks_vfio(const struct device *d, bool ownership_checks);

/* Fills g->viable, g->vfio_bound and g->blockers (allocated, freed by host_done) from the
 * members: a group is usable by VFIO when no member blocks it. */
void group_evaluate(struct group *g, bool ownership_checks);

/* Compares kernel releases ("5.19.0-1-amd64" >= "5.19"): true when release >= major.minor. */
bool kernel_release_at_least(const char *release, int major, int minor);
