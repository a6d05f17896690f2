/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The files of devown's configuration under the root. */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "config.h"
#include "files.h"
#include "sysfs.h"
#include "util.h"

/* A configuration file bigger than this is a mistake (a log or a binary named *.conf). */
#define CONFIG_FILE_MAX (1024 * 1024)

char *config_dir(void)
{
	return xasprintf("%s%s/devown", root_prefix(), DEVOWN_SYSCONFDIR);
}

int config_dir_list(const char *dir, char ***ret)
{
	return list_dir_at(AT_FDCWD, dir, ret);
}

/* Sets *ret_error to "FILE: problem" and returns r. */
static int file_fail(char **ret_error, int r, const char *file, const char *fmt, ...)
	_printf_(4, 5);
static int file_fail(char **ret_error, int r, const char *file, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	*ret_error = xasprintf("%s: %s", file, msg);
	return r;
}

int config_file_read(const char *path, char **ret, char **ret_error)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return file_fail(ret_error, -errno, path, "cannot open it: %s", strerror(errno));
	if (fstat(fd, &st) < 0)
		return file_fail(ret_error, -errno, path, "cannot stat it: %s", strerror(errno));
	/* A link to /dev/null masks a file of an earlier directory, as in systemd. */
	if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3) {
		*ret = xstrdup("");
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return file_fail(ret_error, -EINVAL, path, "not a regular file");
	r = read_fd_all(fd, CONFIG_FILE_MAX, &buf, &len);
	if (r == -EFBIG)
		return file_fail(ret_error, -EFBIG, path,
				 "larger than %d bytes: not a configuration file", CONFIG_FILE_MAX);
	if (r < 0)
		return file_fail(ret_error, r, path, "cannot read it: %s", strerror(-r));
	if (strlen(buf) != len)
		return file_fail(ret_error, -EINVAL, path, "contains a NUL byte: not a text file");
	*ret = TAKE_PTR(buf);
	return 0;
}
