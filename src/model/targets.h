/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "model.h"

/* What a status shows: some groups, and devices that have no group. Pointers into the host. */
struct selection {
	struct group **groups;
	size_t n_groups;
	struct device **loose;
	size_t n_loose;
};

/* Resolves command-line TARGETs against the model into a selection of whole groups (a device
 * stands for its group) and devices without a group, in host order, without duplicates.
 * Returns -EINVAL (malformed) or -ENOENT (no such device or group) with *ret_error set to one
 * line for the command to log (caller frees). The arrays of *ret are allocated; free with
 * selection_done(). */
int targets_resolve(struct host *h, char **args, int n, struct selection *ret, char **ret_error);
/* The whole host. */
void selection_all(struct host *h, struct selection *ret);
void selection_done(struct selection *s);
