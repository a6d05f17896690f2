/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kernel-text.h"
#include "nodes.h"
#include "procfs.h"
#include "sysfs.h"
#include "util.h"

static char *group_node_path(int group)
{
	return vfio_group_node(group);
}

static char *cdev_node_path(const char *name)
{
	return xasprintf("%s/dev/vfio/devices/%s", root_prefix(), name);
}

char *vfio_cdev_node_name(const char *name)
{
	return xasprintf("/dev/vfio/devices/%s", name);
}

char *vfio_group_node_name(int group)
{
	return xasprintf("/dev/vfio/%d", group);
}

static int node_stat_path(const char *path, struct node_stat *ret)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISCHR(st.st_mode) && !(root_is_fake() && S_ISREG(st.st_mode)))
		return -ENOTTY;
	*ret = (struct node_stat){ .uid = st.st_uid, .gid = st.st_gid, .mode = st.st_mode & 07777 };
	return 0;
}

int vfio_group_node_stat(int group, struct node_stat *ret)
{
	_cleanup_free_ char *p = group_node_path(group);

	return node_stat_path(p, ret);
}

int vfio_cdev_node_stat(const char *name, struct node_stat *ret)
{
	_cleanup_free_ char *p = cdev_node_path(name);

	return node_stat_path(p, ret);
}

/* Opens the node itself (O_PATH: opening a VFIO group for real would claim it), checks that
 * it is the character device numbered as in the sysfs dev attribute, then changes owner and
 * mode through that descriptor, so that nothing swapped in at the path meanwhile is touched. */
static int node_chown(const char *path, const char *dev_attr, unsigned uid, unsigned gid,
		      unsigned mode)
{
	_cleanup_free_ char *majmin = NULL, *proc = NULL;
	_cleanup_close_ int fd = -1;
	unsigned major, minor;
	struct stat st;
	int r;

	r = read_root_text(dev_attr, &majmin);
	if (r < 0)
		return r;
	if (parse_majmin(majmin, &major, &minor) < 0)
		return -EBADMSG;
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTTY;
	if (major(st.st_rdev) != major || minor(st.st_rdev) != minor)
		return -ESTALE;
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
		return -errno;
	/* fchmod() refuses an O_PATH descriptor; its /proc/self/fd link reaches the same inode. */
	proc = xasprintf("/proc/self/fd/%d", fd);
	if (chmod(proc, mode) < 0)
		return -errno;
	return 0;
}

int vfio_group_node_chown(int group, unsigned uid, unsigned gid, unsigned mode)
{
	_cleanup_free_ char *p = group_node_path(group);
	_cleanup_free_ char *attr = xasprintf("/sys/class/vfio/%d/dev", group);

	return node_chown(p, attr, uid, gid, mode);
}

int vfio_cdev_node_chown(const char *addr, const char *name, unsigned uid, unsigned gid,
			 unsigned mode)
{
	_cleanup_free_ char *p = cdev_node_path(name);
	_cleanup_free_ char *attr =
		xasprintf("/sys/bus/pci/devices/%s/vfio-dev/%s/dev", addr, name);

	if (strchr(name, '/'))
		return -EINVAL;
	return node_chown(p, attr, uid, gid, mode);
}

int proc_pid_starttime(int pid, unsigned long long *ret)
{
	_cleanup_free_ char *name = xasprintf("%d/stat", pid), *text = NULL;
	int r = proc_read_text(name, &text);

	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	return proc_stat_starttime(text, ret) < 0 ? -EBADMSG : 0;
}

int proc_self_starttime(unsigned long long *ret)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = read_fd_all(fd, 4096, &text, NULL);
	if (r < 0)
		return r;
	return proc_stat_starttime(text, ret) < 0 ? -EBADMSG : 0;
}

char *proc_pid_comm(int pid)
{
	_cleanup_free_ char *name = xasprintf("%d/comm", pid);
	char *comm = NULL;

	if (proc_read_text(name, &comm) < 0)
		return NULL;
	return comm;
}

int proc_uid_memlock(unsigned uid, unsigned long long *ret_soft, int *ret_pid)
{
	_cleanup_close_ int dfd = proc_open_dir("");
	DIR *d;
	struct dirent *de;
	int r = -ENOENT;

	if (dfd < 0)
		return dfd;
	d = fdopendir(dfd);
	if (!d)
		return -errno;
	dfd = -1; /* the DIR owns it now */
	while ((de = readdir(d))) {
		_cleanup_free_ char *name = NULL, *text = NULL;
		unsigned long long soft, hard;
		struct stat st;
		if (strspn(de->d_name, "0123456789") != strlen(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, 0) < 0 || st.st_uid != uid)
			continue;
		name = xasprintf("%s/limits", de->d_name);
		if (proc_read_text(name, &text) < 0 || proc_limits_memlock(text, &soft, &hard) < 0)
			continue;
		*ret_soft = soft;
		*ret_pid = atoi(de->d_name);
		r = 0;
		break;
	}
	closedir(d);
	return r;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 10;
}

int user_lookup(const char *name, unsigned *ret_uid, unsigned *ret_primary_gid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (pw) {
		*ret_uid = pw->pw_uid;
		*ret_primary_gid = pw->pw_gid;
		return 0;
	}
	if (all_digits(name)) {
		unsigned long v = strtoul(name, NULL, 10);
		if (v >= UINT32_MAX)
			return -ENOENT;
		*ret_uid = (unsigned)v;
		pw = getpwuid((uid_t)v);
		*ret_primary_gid = pw ? pw->pw_gid : (unsigned)v;
		return 0;
	}
	return -ENOENT;
}

int group_lookup(const char *name, unsigned *ret_gid)
{
	struct group *gr = getgrnam(name);

	if (gr) {
		*ret_gid = gr->gr_gid;
		return 0;
	}
	if (all_digits(name)) {
		unsigned long v = strtoul(name, NULL, 10);
		if (v >= UINT32_MAX)
			return -ENOENT;
		*ret_gid = (unsigned)v;
		return 0;
	}
	return -ENOENT;
}

char *user_name(unsigned uid)
{
	struct passwd *pw = getpwuid(uid);

	return pw ? xstrdup(pw->pw_name) : xasprintf("%u", uid);
}

char *group_name(unsigned gid)
{
	struct group *gr = getgrgid(gid);

	return gr ? xstrdup(gr->gr_name) : xasprintf("%u", gid);
}
