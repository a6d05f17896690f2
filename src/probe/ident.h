/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "devown-config.h"
#include "model.h"

/* Reads the identities of every device of h that the entries of c may need (slot, path and
 * serial only when some entry uses them). Returns an array parallel to h->devices. */
struct device_ident *config_idents(const struct config *c, struct host *h);
void config_idents_free(struct device_ident *ids, size_t n);

/* Whether some entry of c can concern the device at addr, judged from that device and its
 * IOMMU group alone, read directly from sysfs: the cheap test that lets `apply --device` (run
 * by udev for every PCI device) return at once for devices the configuration does not name. */
bool config_concerns(const struct config *c, const char *addr);
