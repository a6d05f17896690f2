/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <libudev.h>
#include <linux/vfio.h>

#include "sysfs.h"
#include "util.h"
#include "vfio.h"

int vfio_wait_group_node(int group, int timeout_ms)
{
	_cleanup_free_ char *node = vfio_group_node(group);
	struct udev *udev = NULL;
	struct udev_monitor *mon = NULL;
	long long deadline = now_ms() + timeout_ms;
	int fd = -1, r = -ETIMEDOUT;

	/* Listen to udev's events when udevd runs (its rules set the node's owner and mode),
	 * to the kernel's otherwise; either only shortens the wait. */
	if (!root_is_fake()) {
		udev = udev_new();
		if (udev) {
			mon = udev_monitor_new_from_netlink(
				udev, access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel");
			if (mon &&
			    udev_monitor_filter_add_match_subsystem_devtype(mon, "vfio", NULL) >=
				    0 &&
			    udev_monitor_enable_receiving(mon) >= 0)
				fd = udev_monitor_get_fd(mon);
		}
	}
	for (;;) {
		long long left;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (access(node, F_OK) == 0) {
			r = 0;
			break;
		}
		left = deadline - now_ms();
		if (left <= 0)
			break;
		if (fd >= 0 && poll(&p, 1, left < 50 ? (int)left : 50) > 0) {
			struct udev_device *d = udev_monitor_receive_device(mon);
			if (d)
				udev_device_unref(d);
		} else if (fd < 0)
			usleep(left < 50 ? (useconds_t)left * 1000 : 50 * 1000);
	}
	if (mon)
		udev_monitor_unref(mon);
	if (udev)
		udev_unref(udev);
	return r;
}

int vfio_group_viable(int group)
{
	_cleanup_free_ char *node = vfio_group_node(group);
	_cleanup_close_ int fd = -1;
	struct vfio_group_status st = { .argsz = sizeof(st) };

	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) < 0)
		return -errno;
	return (st.flags & VFIO_GROUP_FLAGS_VIABLE) ? 1 : 0;
}

int vfio_group_open_probe(int group)
{
	_cleanup_free_ char *node = vfio_group_node(group);
	_cleanup_close_ int fd = open(node, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : 0;
}
