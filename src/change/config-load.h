/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "devown-config.h"
#include "model.h"

/* Loads the given files in that order, or with n == 0 every "*.conf" of config_dir() in
 * lexical (byte) order; a missing directory is an empty configuration. On the first problem
 * returns -EINVAL (syntax, values), -ENOENT (a named file is missing) or another -errno, with
 * *ret_error set to one line "FILE:LINE: problem" (caller frees) and *ret left empty. */
int config_load(char *const *files, size_t n, struct config *ret, char **ret_error);

/* For `devown status`: the mismatches of the configuration in config_dir() on this host.
 * Returns 0 (possibly none), or a negative errno with *ret_error set when the configuration
 * cannot be read or resolved (status should show that line instead). */
int config_mismatches(struct host *h, struct config_mismatch **ret, size_t *ret_n,
		      char **ret_error);
