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

static bool is_dev_null(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 3;
}

int file_trust_check(const char *path, const struct stat *st, bool sticky_ok, char **ret_why)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		*ret_why = xasprintf("%s belongs to uid %u, not to root: another user could change "
				     "it; fix it with 'chown root: %s'",
				     path, (unsigned)st->st_uid, path);
		return -EPERM;
	}
	/* In a sticky directory of root's (/tmp) nobody else can rename or remove root's file. */
	if (sticky_ok && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && st->st_uid == 0)
		return 0;
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		*ret_why = xasprintf("%s is writable by %s (mode %04o): another user could change "
				     "it; fix it with 'chmod go-w %s'",
				     path, st->st_mode & S_IWOTH ? "everyone" : "its group",
				     (unsigned)(st->st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

int path_trust_check(const char *path, bool sticky_ok, char **ret_why)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return file_trust_check(path, &st, sticky_ok, ret_why);
}

int file_open_regular(const char *path, int flags, mode_t mode, bool null_ok)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	/* O_NONBLOCK: opening a FIFO for reading waits for a writer, forever. */
	fd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) && !(null_ok && is_dev_null(&st)))
		return -EINVAL;
	/* Regular files never block; what reads them need not know about O_NONBLOCK. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int config_file_read(const char *path, char **ret, char **ret_error)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	/* Links are followed (a configuration may live elsewhere, /dev/null masks a file). */
	fd = file_open_regular(path, O_RDONLY, 0, true);
	if (fd == -EINVAL)
		return file_fail(ret_error, -EINVAL, path,
				 "not a regular file (a FIFO, a device or a directory)");
	if (fd < 0)
		return file_fail(ret_error, fd, path, "cannot open it: %s", strerror(-fd));
	if (fstat(fd, &st) < 0)
		return file_fail(ret_error, -errno, path, "cannot stat it: %s", strerror(errno));
	/* A link to /dev/null masks a file of an earlier directory, as in systemd. */
	if (is_dev_null(&st)) {
		*ret = xstrdup("");
		return 0;
	}
	/* What root applies must be root's to change: the file, and the directory it is named
	 * in (whoever may write there may replace the file). */
	{
		_cleanup_free_ char *dir = xstrdup(path), *why = NULL;
		char *slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		else
			strcpy(dir, ".");
		if (file_trust_check(path, &st, false, &why) < 0 ||
		    path_trust_check(dir, true, &why) < 0) {
			*ret_error = TAKE_PTR(why);
			return -EPERM;
		}
	}
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
