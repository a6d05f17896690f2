/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/cmdline and the modprobe.d files, under DEVOWN_ROOT. */
#include <fcntl.h>
#include <sys/stat.h>

#include "bootfiles.h"
#include "files.h"
#include "procfs.h"
#include "sysfs.h"
#include "util.h"

int boot_read_cmdline(char **ret)
{
	int r = proc_read_file("cmdline", ret);

	if (r == -ENOENT && root_is_fake()) {
		*ret = xstrdup("");
		return 0;
	}
	return r;
}

static const char *const modprobe_dirs[] = {
	"/etc/modprobe.d", "/run/modprobe.d",	  "/usr/local/lib/modprobe.d",
	"/lib/modprobe.d", "/usr/lib/modprobe.d",
};

static int by_name(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return strcmp(strrchr(x, '/') + 1, strrchr(y, '/') + 1);
}

int boot_modprobe_files(char ***ret)
{
	char **paths = NULL, **seen = NULL;

	for (size_t i = 0; i < ELEMENTSOF(modprobe_dirs); i++) {
		_cleanup_free_ char *dir = root_path(modprobe_dirs[i]);
		_cleanup_strv_free_ char **names = NULL;
		if (list_dir_at(AT_FDCWD, dir, &names) < 0)
			continue;
		for (char **n = names; n && *n; n++) {
			_cleanup_free_ char *full = NULL;
			struct stat st;
			if (!endswith(*n, ".conf") || strv_contains(seen, *n))
				continue;
			strv_push(&seen, xstrdup(*n));
			full = xasprintf("%s/%s", dir, *n);
			/* A link to /dev/null masks the name for the later directories. */
			if (stat(full, &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			strv_push(&paths, xasprintf("%s/%s", modprobe_dirs[i], *n));
		}
	}
	strv_free(seen);
	if (paths)
		qsort(paths, strv_length(paths), sizeof(char *), by_name);
	*ret = paths;
	return 0;
}

int boot_read_modprobe_file(const char *path, char **ret)
{
	_cleanup_free_ char *full = root_path(path);
	_cleanup_close_ int fd = file_open_regular(full, O_RDONLY, 0, false);

	if (fd < 0)
		return fd;
	return read_fd_all(fd, 1 << 20, ret, NULL);
}
