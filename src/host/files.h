/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Opens path with flags (O_CLOEXEC, O_NOCTTY added) without blocking on a FIFO, and keeps the
 * descriptor only when it is a regular file (or /dev/null, when null_ok): every file devown
 * reads or writes of its own (configuration, run directory) is opened here, so that a FIFO or
 * a link to a device at its name neither hangs devown nor feeds it. Add O_NOFOLLOW to refuse
 * a symbolic link (-ELOOP). Returns the descriptor (caller closes), -EINVAL for what is not a
 * regular file, or -errno. */
int file_open_regular(const char *path, int flags, mode_t mode, bool null_ok);

/* Whether what st describes (at path, for the message) is root's alone to change: owned by root
 * (or by the user devown runs as, for a tree of one's own under DEVOWN_ROOT) and writable
 * neither by group nor by others; with sticky_ok, a sticky directory of root's (/tmp) passes
 * too. Returns 0, or -EPERM with *ret_why (one line naming the path and the command that fixes
 * it; caller frees). path_trust_check stats path (following links; a missing path is fine:
 * devown creates it). */
struct stat;
int file_trust_check(const char *path, const struct stat *st, bool sticky_ok, char **ret_why);
int path_trust_check(const char *path, bool sticky_ok, char **ret_why);

/* The directory apply reads by default: DEVOWN_SYSCONFDIR "/devown" under DEVOWN_ROOT. Caller
 * frees. */
char *config_dir(void);

/* The names in the directory config_dir() returned, sorted by strcmp (bytes, not the locale),
 * without dot files; -ENOENT when it does not exist. Caller frees with strv_free. */
int config_dir_list(const char *dir, char ***ret);

/* Reads a configuration file whole (at most 1 MiB of text without NUL bytes; a link to
 * /dev/null reads as empty, masking the file). The file and its directory must pass
 * file_trust_check. Returns 0, or -errno (-EINVAL, -EFBIG for what is no configuration file,
 * -EPERM for one that others could change) with *ret_error set to one line naming FILE (caller
 * frees). */
int config_file_read(const char *path, char **ret, char **ret_error);
