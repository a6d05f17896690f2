/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* Kernel modules through libkmod: which modules match a modalias, which VFIO variant driver
 * serves a device, and loading a module. */
struct modctx;

/* Opens the module index of the given release (with DEVOWN_ROOT, the one under the root).
 * Never fails: without an index, lookups return -ENOENT. Free with modctx_free(). */
struct modctx *modctx_new(const char *release);
void modctx_free(struct modctx *m);

/* Modules whose aliases match modalias, as a NULL-terminated vector the caller must NOT free
 * (cached per modalias for the lifetime of m). Returns 0, or -ENOENT without an index. */
int modctx_lookup(struct modctx *m, const char *modalias, char *const **ret);

/* The VFIO variant module for a device: a module with a "vfio_pci:" alias matching the
 * device, other than vfio_pci itself and other than a module modprobe.d blacklists (the
 * administrator has said aliases must not load it). *ret is NULL when there is none. Caller
 * frees. */
int modctx_vfio_variant(struct modctx *m, const char *modalias, char **ret);

/* Whether a module (or alias) by that name exists in the index. */
bool modctx_module_exists(struct modctx *m, const char *name);

/* Loads a module (name or alias) and its dependencies, like modprobe. Returns 0 or -errno. */
int modctx_load(struct modctx *m, const char *name);
