/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The change lock: a file under DEVOWN_RUNDIR that one devown at a time holds with flock(). */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "config.h"
#include "files.h"
#include "lock.h"
#include "sysfs.h"
#include "util.h"

int lock_open(int *ret_fd, char **ret_error)
{
	_cleanup_free_ char *dir = root_path(DEVOWN_RUNDIR), *path = run_file_path("lock");
	_cleanup_free_ char *why = NULL;
	int fd, r;

	/* Whoever may write there may take over the journal mid-transaction. */
	r = run_dir_check(&why);
	if (r < 0) {
		*ret_error = xasprintf("refusing the run directory: %s", why);
		return r;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		*ret_error = xasprintf("cannot create %s: %s", dir, strerror(-r));
		return r;
	}
	fd = file_open_regular(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600, false);
	if (fd == -EINVAL || fd == -ELOOP) {
		*ret_error = xasprintf("the lock %s is not a regular file; remove it", path);
		return fd;
	}
	if (fd < 0) {
		*ret_error = xasprintf("cannot open the lock %s: %s", path, strerror(-fd));
		return fd;
	}
	*ret_fd = fd;
	return 0;
}

int lock_try(int fd, char **ret_error)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;

	int r = -errno;
	_cleanup_free_ char *path = NULL;

	if (r == -EWOULDBLOCK || r == -EINTR)
		return -EWOULDBLOCK;
	path = run_file_path("lock");
	*ret_error = xasprintf("cannot lock %s: %s", path, strerror(-r));
	return r;
}

char *lock_holder(int fd)
{
	char buf[512];
	ssize_t k = pread(fd, buf, sizeof(buf) - 1, 0);

	if (k <= 0)
		return NULL;
	buf[k] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(buf);
}

void lock_claim(int fd)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cmdline", "re");
	char line[400] = "", buf[512];
	size_t k = f ? fread(line, 1, sizeof(line) - 1, f) : 0;
	int n;

	for (size_t i = 0; i + 1 < k; i++)
		if (!line[i])
			line[i] = ' ';
	line[k] = '\0';
	n = snprintf(buf, sizeof(buf), "pid %d: %s\n", (int)getpid(), line);
	if (ftruncate(fd, 0) == 0 && n > 0)
		(void)!pwrite(fd, buf, (size_t)n, 0);
}

bool lock_busy(void)
{
	_cleanup_free_ char *path = run_file_path("lock");
	_cleanup_close_ int fd = file_open_regular(path, O_RDONLY | O_NOFOLLOW, 0, false);

	/* EACCES: cannot tell, never call a live run interrupted. Not a regular file: no devown
	 * can take such a lock (lock_open refuses it), so none is running. */
	if (fd < 0)
		return fd == -EACCES;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	flock(fd, LOCK_UN);
	return false;
}
