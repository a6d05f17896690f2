/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What decides a PCI device's driver at boot besides devown (status, bootconf.h): the kernel
 * command line, and the modprobe.d files in modprobe's order. */

/* The text of /proc/cmdline under the root ("" when absent from a fake root). Returns 0 or
 * -errno. Caller frees. */
int boot_read_cmdline(char **ret);

/* The modprobe.d files modprobe reads, as the host names them (for messages), in the order it
 * reads them: by name over /etc/modprobe.d, /run/modprobe.d, /usr/local/lib/modprobe.d,
 * /lib/modprobe.d and /usr/lib/modprobe.d, a name in an earlier directory hiding the same name
 * in later ones (a link to /dev/null masks it). Only "*.conf". Returns 0; caller frees with
 * strv_free (NULL when there are none). */
int boot_modprobe_files(char ***ret);

/* One of those files whole (at most 1 MiB; a FIFO or device is refused). Returns 0 or -errno.
 * Caller frees. */
int boot_read_modprobe_file(const char *path, char **ret);
