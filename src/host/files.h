/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The directory apply reads by default: DEVOWN_SYSCONFDIR "/devown" under DEVOWN_ROOT. Caller
 * frees. */
char *config_dir(void);

/* The names in the directory config_dir() returned, sorted by strcmp (bytes, not the locale),
 * without dot files; -ENOENT when it does not exist. Caller frees with strv_free. */
int config_dir_list(const char *dir, char ***ret);

/* Reads a configuration file whole (at most 1 MiB of text without NUL bytes; a link to
 * /dev/null reads as empty, masking the file). Returns 0, or -errno (-EINVAL, -EFBIG for what
 * is no configuration file) with *ret_error set to "FILE: problem" (caller frees). */
int config_file_read(const char *path, char **ret, char **ret_error);
