/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "model.h"
#include "output.h"

/* Resolves command-line TARGETs against the model into a selection of whole groups (a device
 * stands for its group) and devices without a group, in host order, without duplicates.
 * Logs one line and returns -EINVAL (malformed) or -ENOENT (no such device or group). The
 * arrays of *ret are allocated; free with selection_done(). */
int targets_resolve(struct host *h, char **args, int n, struct selection *ret);
/* The whole host. */
void selection_all(struct host *h, struct selection *ret);
void selection_done(struct selection *s);
