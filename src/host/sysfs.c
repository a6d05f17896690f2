/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "config.h"
#include "files.h"
#include "sysfs.h"
#include "util.h"

static const char *root_cached;

const char *root_prefix(void)
{
	if (!root_cached) {
		const char *e = test_getenv("DEVOWN_ROOT");
		static char buf[PATH_MAX];
		size_t n = 0;

		if (e) {
			snprintf(buf, sizeof(buf), "%s", e);
			n = strlen(buf);
			while (n > 0 && buf[n - 1] == '/')
				buf[--n] = '\0';
		}
		/* "/", "//": the real root, not a fixture tree of it. */
		root_cached = n > 0 ? buf : "";
	}
	return root_cached;
}

bool root_is_fake(void)
{
	return *root_prefix() != '\0';
}

char *root_path(const char *abs)
{
	return xasprintf("%s%s", root_prefix(), abs);
}

/* On a reader thread (sysfs_reader_begin) the descriptors read_text() opens stay open until
 * sysfs_reader_release() finds more than reader_close_at of them; reader_max_fd is the
 * highest. */
static __thread bool reader_defers_close;
static __thread int reader_max_fd, reader_close_at;

bool sysfs_reader_begin(void)
{
	struct rlimit rl;

	/* close_range() came with Linux 5.9: an empty range tells whether it is there. The copy
	 * of the process's table that unshare() makes holds descriptors that are not this
	 * thread's to keep open (a lock, a pipe): drop them, keep stdio. */
	if (close_range(~0U, ~0U, 0) < 0 || unshare(CLONE_FILES) < 0)
		return false;
	(void)close_range(3, ~0U, 0);
	/* Some devices' worth of files at a time (a device opens fewer than ten), never more
	 * than a quarter of what the process may open. */
	reader_close_at = 32;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4 * (rlim_t)reader_close_at)
		reader_close_at = (int)(rl.rlim_cur / 4);
	reader_defers_close = true;
	reader_max_fd = 2;
	return true;
}

void sysfs_reader_release(int fd)
{
	if (!reader_defers_close) {
		if (fd >= 0)
			(void)close(fd);
		return;
	}
	if (fd > reader_max_fd)
		reader_max_fd = fd;
	if (reader_max_fd > reader_close_at)
		sysfs_reader_end();
}

void sysfs_reader_end(void)
{
	if (!reader_defers_close)
		return;
	if (reader_max_fd > 2)
		(void)close_range(3, (unsigned)reader_max_fd, 0);
	reader_max_fd = 2;
}

/* sysfs hands out a whole attribute in one read(); procfs files may come in pieces. */
static int read_text(int dirfd, const char *name, char **ret, bool one_read)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY), err;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += (size_t)n;
		if (len == sizeof(buf) - 1 || one_read)
			break;
	}
	err = errno;
	if (reader_defers_close) {
		if (fd > reader_max_fd)
			reader_max_fd = fd;
	} else
		(void)close(fd);
	if (n < 0)
		return -err;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	*ret = xstrdup(buf);
	return 0;
}

int read_text_at(int dirfd, const char *name, char **ret)
{
	return read_text(dirfd, name, ret, true);
}

int read_whole_at(int dirfd, const char *name, char **ret)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	return read_fd_all(fd, 0, ret, NULL);
}

int read_root_text(const char *abs, char **ret)
{
	_cleanup_free_ char *p = root_path(abs);
	return read_text(AT_FDCWD, p, ret, !startswith(abs, "/proc/"));
}

/* Reads a whole file under the root (procfs files outgrow read_text_at's page). A file that is
 * absent from a fake root means "nothing there": fixture trees hold only what a test needs. */
int read_fd_all(int fd, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t n;
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (max && len > max)
			return -EFBIG;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int read_root_file(const char *abs, char **ret)
{
	_cleanup_free_ char *p = root_path(abs);
	_cleanup_close_ int fd = -1;

	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT && root_is_fake()) {
			*ret = xstrdup("");
			return 0;
		}
		return -errno;
	}
	return read_fd_all(fd, 0, ret, NULL);
}

int read_uint_at(int dirfd, const char *name, unsigned *ret)
{
	_cleanup_free_ char *s = NULL;
	char *end;
	unsigned long v;
	int r = read_text_at(dirfd, name, &s);

	if (r < 0)
		return r;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > 0xffffffffUL)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int read_int_at(int dirfd, const char *name, int *ret)
{
	_cleanup_free_ char *s = NULL;
	char *end;
	long v;
	int r = read_text_at(dirfd, name, &s);

	if (r < 0)
		return r;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

int read_link_base_at(int dirfd, const char *name, char **ret)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
	const char *b;

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	b = strrchr(buf, '/');
	*ret = xstrdup(b ? b + 1 : buf);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int list_dir_at(int dirfd, const char *name, char ***ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -1; /* owned by d now */
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n + 2 > cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(char *));
		}
		v[n++] = xstrdup(de->d_name);
	}
	if (!v)
		v = xcalloc(1, sizeof(char *));
	v[n] = NULL;
	qsort(v, n, sizeof(char *), cmp_str);
	*ret = v;
	return 0;
}

int sysfs_pci_devices(char ***ret)
{
	_cleanup_free_ char *p = root_path("/sys/bus/pci/devices");
	return list_dir_at(AT_FDCWD, p, ret);
}

int sysfs_open_device(const char *addr, int *ret_fd)
{
	_cleanup_free_ char *p = xasprintf("%s/sys/bus/pci/devices/%s", root_prefix(), addr);
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

bool sysfs_pci_present(void)
{
	_cleanup_free_ char *p = root_path("/sys/bus/pci/devices");

	return access(p, F_OK) == 0;
}

bool sysfs_device_present(const char *addr)
{
	_cleanup_free_ char *p = xasprintf("%s/sys/bus/pci/devices/%s", root_prefix(), addr);

	return access(p, F_OK) == 0;
}

bool sysfs_group_present(int group)
{
	_cleanup_free_ char *p = xasprintf("%s/sys/kernel/iommu_groups/%d", root_prefix(), group);

	return access(p, F_OK) == 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int sysfs_iommu_groups(int **ret, size_t *ret_n)
{
	_cleanup_free_ char *p = root_path("/sys/kernel/iommu_groups");
	_cleanup_strv_free_ char **names = NULL;
	size_t n = 0;
	int *v, r;

	r = list_dir_at(AT_FDCWD, p, &names);
	if (r == -ENOENT) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	if (r < 0)
		return r;
	v = xcalloc(strv_length(names) + 1, sizeof(int));
	for (char **s = names; *s; s++) {
		char *end;
		long g = strtol(*s, &end, 10);
		if (*end || g < 0 || g > INT_MAX)
			continue;
		v[n++] = (int)g;
	}
	qsort(v, n, sizeof(int), cmp_int);
	*ret = v;
	*ret_n = n;
	return 0;
}

int sysfs_group_type(int group, char **ret)
{
	_cleanup_free_ char *p =
		xasprintf("%s/sys/kernel/iommu_groups/%d/type", root_prefix(), group);
	return read_text_at(AT_FDCWD, p, ret);
}

int sysfs_iommu_units(char ***ret)
{
	_cleanup_free_ char *p = root_path("/sys/class/iommu");
	int r = list_dir_at(AT_FDCWD, p, ret);

	if (r == -ENOENT) {
		*ret = xcalloc(1, sizeof(char *));
		return 0;
	}
	return r;
}

bool sysfs_driver_registered(const char *driver)
{
	_cleanup_free_ char *p = NULL;

	if (!*driver || strchr(driver, '/') || streq(driver, ".") || streq(driver, ".."))
		return false;
	p = xasprintf("%s/sys/bus/pci/drivers/%s", root_prefix(), driver);
	return access(p, F_OK) == 0;
}

int sysfs_pci_drivers(char ***ret)
{
	_cleanup_free_ char *p = root_path("/sys/bus/pci/drivers");
	return list_dir_at(AT_FDCWD, p, ret);
}

int sysfs_driver_module(const char *driver, char **ret)
{
	_cleanup_free_ char *p = xasprintf("%s/sys/bus/pci/drivers/%s", root_prefix(), driver);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return read_link_base_at(fd, "module", ret);
}

/* ---- writes ---- */

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

static int write_timeout_ms = 10000;
static unsigned write_count;

void sysfs_set_write_timeout(int timeout_ms)
{
	write_timeout_ms = timeout_ms;
}

static unsigned env_uint(const char *name)
{
	const char *e = test_getenv(name);
	return e ? (unsigned)strtoul(e, NULL, 10) : 0;
}

/* DEVOWN_PAUSE_BEFORE_WRITE=N[:MS] sleeps MS milliseconds (default 3000) before the Nth write,
 * so that a test can act in between: start a holder, a second devown, a kill. */
static void pause_if_asked(unsigned n)
{
	const char *e = test_getenv("DEVOWN_PAUSE_BEFORE_WRITE");
	char *end;
	unsigned long at, ms = 3000;

	if (!e)
		return;
	at = strtoul(e, &end, 10);
	if (*end == ':')
		ms = strtoul(end + 1, NULL, 10);
	if (at != n)
		return;
	log_debug("DEVOWN_PAUSE_BEFORE_WRITE: pausing %lu ms before write %u", ms, n);
	fprintf(stderr, "devown: test pause before write %u\n", n);
	usleep((useconds_t)(ms * 1000));
}

static int write_direct(const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	if (close(fd) < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int sysfs_write(const char *abs, const char *value)
{
	_cleanup_free_ char *path = root_path(abs);
	unsigned fail_at = env_uint("DEVOWN_FAIL_WRITE");
	unsigned kill_after = env_uint("DEVOWN_KILL_AFTER_WRITE");
	long long deadline;
	int pipefd[2], status, r;
	pid_t pid;

	write_count++;
	pause_if_asked(write_count);
	if (fail_at && write_count == fail_at) {
		log_debug("DEVOWN_FAIL_WRITE: failing write %u (%s)", write_count, abs);
		return -EIO;
	}

	/* The child reports the write's result through a pipe; the parent waits at most the
	 * timeout and then leaves the child behind, stuck in the kernel. */
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		int res = write_direct(path, value);
		close(pipefd[0]);
		if (write(pipefd[1], &res, sizeof(res)) != sizeof(res))
			_exit(2);
		_exit(0);
	}
	close(pipefd[1]);
	deadline = now_ms() + write_timeout_ms;
	for (;;) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		long long left = deadline - now_ms();
		int res;
		ssize_t n;

		if (left <= 0) {
			close(pipefd[0]);
			return -ETIMEDOUT;
		}
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			close(pipefd[0]);
			return r;
		}
		if (r == 0)
			continue;
		n = read(pipefd[0], &res, sizeof(res));
		close(pipefd[0]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (n != sizeof(res))
			return -EIO;
		r = res;
		break;
	}
	if (kill_after && write_count == kill_after) {
		log_debug("DEVOWN_KILL_AFTER_WRITE: killing devown after write %u", write_count);
		raise(SIGKILL);
	}
	return r;
}

char *sysfs_read_override(int dirfd)
{
	char *s = NULL;

	if (read_text_at(dirfd, "driver_override", &s) < 0)
		return NULL;
	if (streq(s, "(null)") || !*s) {
		free(s);
		return NULL;
	}
	return s;
}

int sysfs_set_override(const char *addr, const char *value)
{
	_cleanup_free_ char *p = xasprintf("/sys/bus/pci/devices/%s/driver_override", addr);
	/* A lone newline clears the override (it then reads back "(null)"). */
	return sysfs_write(p, value ? value : "\n");
}

int sysfs_unbind(const char *addr, const char *driver)
{
	_cleanup_free_ char *p = xasprintf("/sys/bus/pci/drivers/%s/unbind", driver);
	return sysfs_write(p, addr);
}

int sysfs_probe(const char *addr)
{
	return sysfs_write("/sys/bus/pci/drivers_probe", addr);
}

int sysfs_bind(const char *addr, const char *driver)
{
	_cleanup_free_ char *p = xasprintf("/sys/bus/pci/drivers/%s/bind", driver);
	return sysfs_write(p, addr);
}

bool sysfs_module_loaded(const char *module)
{
	_cleanup_free_ char *p = xasprintf("%s/sys/module/%s", root_prefix(), module);
	for (char *c = p + strlen(root_prefix()) + strlen("/sys/module/"); *c; c++)
		if (*c == '-')
			*c = '_';
	return access(p, F_OK) == 0;
}

int sysfs_module_pci_drivers(const char *module, char ***ret)
{
	_cleanup_free_ char *p = xasprintf("%s/sys/module/%s/drivers", root_prefix(), module);
	_cleanup_strv_free_ char **names = NULL;
	char **v = xcalloc(1, sizeof(char *));
	int r;

	for (char *c = p + strlen(root_prefix()) + strlen("/sys/module/"); *c && *c != '/'; c++)
		if (*c == '-')
			*c = '_';
	r = list_dir_at(AT_FDCWD, p, &names);
	if (r < 0) {
		free(v);
		return r;
	}
	for (char **n = names; *n; n++)
		if (startswith(*n, "pci:"))
			strv_push(&v, xstrdup(*n + 4));
	*ret = v;
	return 0;
}

char *vfio_group_node(int group)
{
	return xasprintf("%s/dev/vfio/%d", root_prefix(), group);
}

/* ---- files of devown under DEVOWN_RUNDIR ---- */

char *run_file_path(const char *name)
{
	return xasprintf("%s%s/%s", root_prefix(), DEVOWN_RUNDIR, name);
}

int run_dir_check(char **ret_why)
{
	_cleanup_free_ char *dir = root_path(DEVOWN_RUNDIR), *why = NULL;
	int r = path_trust_check(dir, false, &why);

	if (ret_why)
		*ret_why = TAKE_PTR(why);
	return r;
}

int run_file_read(const char *name, char **ret)
{
	_cleanup_free_ char *path = run_file_path(name), *why = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (run_dir_check(NULL) < 0)
		return -EPERM;
	fd = file_open_regular(path, O_RDONLY | O_NOFOLLOW, 0, false);
	if (fd < 0)
		return fd;
	/* A file planted while the directory was open to others is no file of devown's. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (file_trust_check(path, &st, false, &why) < 0)
		return -EPERM;
	return read_fd_all(fd, 0, ret, NULL);
}

int run_file_access(const char *name)
{
	_cleanup_free_ char *path = run_file_path(name);

	return access(path, F_OK) < 0 ? -errno : 0;
}

int run_file_remove(const char *name)
{
	_cleanup_free_ char *path = run_file_path(name);

	return unlink(path) < 0 ? -errno : 0;
}

int run_file_replace(const char *name, const char *text, bool durable)
{
	_cleanup_free_ char *dir = root_path(DEVOWN_RUNDIR), *path = run_file_path(name);
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	_cleanup_close_ int fd = -1;
	size_t len = strlen(text), off = 0;
	int r = 0;

	if (run_dir_check(NULL) < 0)
		return -EPERM;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	/* Exclusively: a file left at that name (by a devown that died with this pid, or planted)
	 * is removed, never written through. */
	(void)unlink(tmp);
	fd = file_open_regular(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644, false);
	if (fd < 0)
		return fd;
	while (off < len && r == 0) {
		ssize_t n = write(fd, text + off, len - off);
		if (n >= 0)
			off += (size_t)n;
		else if (errno != EINTR)
			r = -errno;
	}
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	if (durable) {
		_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0)
			(void)fsync(dfd);
	}
	return 0;
}

/* ---- SR-IOV of a physical function ---- */

int sysfs_sriov_read(const char *pf, int *ret_numvfs, int *ret_autoprobe)
{
	_cleanup_close_ int fd = -1;
	int r = sysfs_open_device(pf, &fd);

	if (r < 0)
		return r;
	r = read_int_at(fd, "sriov_numvfs", ret_numvfs);
	if (r < 0)
		return r;
	return read_int_at(fd, "sriov_drivers_autoprobe", ret_autoprobe);
}

int sysfs_sriov_set_numvfs(const char *pf, int n)
{
	_cleanup_free_ char *p = xasprintf("/sys/bus/pci/devices/%s/sriov_numvfs", pf);
	char v[16];

	snprintf(v, sizeof(v), "%d", n);
	return sysfs_write(p, v);
}

int sysfs_sriov_set_autoprobe(const char *pf, bool on)
{
	_cleanup_free_ char *p = xasprintf("/sys/bus/pci/devices/%s/sriov_drivers_autoprobe", pf);

	return sysfs_write(p, on ? "1" : "0");
}

int sysfs_sriov_vfs(const char *pf, char ***ret)
{
	_cleanup_close_ int fd = -1;
	char **list = NULL;
	int r = sysfs_open_device(pf, &fd);

	if (r < 0)
		return r;
	for (unsigned i = 0;; i++) {
		char name[32];
		char *vf = NULL;
		_cleanup_close_ int vfd = -1;
		snprintf(name, sizeof(name), "virtfn%u", i);
		if (read_link_base_at(fd, name, &vf) < 0)
			break;
		if (sysfs_open_device(vf, &vfd) < 0) {
			free(vf);
			break;
		}
		strv_push(&list, vf);
	}
	*ret = list ? list : xcalloc(1, sizeof(char *));
	return 0;
}
