/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc, the rest of /sys, /dev names and rtnetlink, for the probe layer: every path here is
 * built under root_prefix(), so DEVOWN_ROOT applies to all of them. */
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "procfs.h"
#include "sysfs.h"
#include "util.h"

static int open_under(const char *top, const char *name, int flags)
{
	_cleanup_free_ char *p = *name ? xasprintf("%s%s/%s", root_prefix(), top, name)
				       : xasprintf("%s%s", root_prefix(), top);
	int fd = open(p, flags);

	return fd < 0 ? -errno : fd;
}

int proc_open_dir(const char *name)
{
	return open_under("/proc", name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int proc_open_file(const char *name)
{
	return open_under("/proc", name, O_RDONLY | O_CLOEXEC);
}

int sys_open_dir(const char *name)
{
	return open_under("/sys", name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

char *sys_path(const char *name)
{
	return xasprintf("%s/sys/%s", root_prefix(), name);
}

int proc_read_text(const char *name, char **ret)
{
	_cleanup_free_ char *abs = xasprintf("/proc/%s", name);

	return read_root_text(abs, ret);
}

int proc_read_file(const char *name, char **ret)
{
	_cleanup_free_ char *abs = xasprintf("/proc/%s", name);

	return read_root_file(abs, ret);
}

FILE *proc_fopen(const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/proc/%s", root_prefix(), name);

	return fopen(p, "re");
}

char *dev_node_path(const char *name)
{
	return xasprintf("/dev/%s", name);
}

int netlink_fixture_read(unsigned char **ret, size_t *ret_n)
{
	_cleanup_free_ char *p = root_path("/netlink/RTM_GETADDR");
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	int r;

	if (fd < 0)
		return -errno;
	r = read_fd_all(fd, 16 * 1024 * 1024, &buf, ret_n);
	if (r < 0)
		return r;
	*ret = (unsigned char *)buf;
	return 0;
}

int netlink_dump_getaddr(int (*parse)(void *userdata, const unsigned char *buf, size_t n,
				      unsigned seq),
			 void *userdata)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ unsigned char *buf = NULL;
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETADDR,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1 },
		.ifa = { .ifa_family = AF_INET },
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 2 }; /* the kernel answers at once; never hang on it */
	const size_t bufsize = 65536;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	buf = xmalloc(bufsize);
	for (;;) {
		ssize_t n = recv(fd, buf, bufsize, 0);
		int r;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		if (n == 0)
			return -EPIPE;
		r = parse(userdata, buf, (size_t)n, req.nh.nlmsg_seq);
		if (r != 0)
			return r < 0 ? r : 0;
	}
}
