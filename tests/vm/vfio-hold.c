/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-hold: stands in for a VM in the guest of the vm test suite.
 *
 *   vfio-hold GROUP [ADDR]   hold the group the way QEMU does with the legacy container
 *                            (and, with ADDR, also a device file of that member); print
 *                            "ready pid=P group=G" and sleep until killed
 *   vfio-hold --viable GROUP print "viable=1" or "viable=0" from VFIO_GROUP_GET_STATUS
 *
 * Errors print one line "error=ENAME step=STEP" on stdout (the suite's host side matches on
 * the errno name, which does not depend on the guest's libc messages) and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

static const char *errno_name(int e)
{
	switch (e) {
	case EBUSY:
		return "EBUSY";
	case ENOENT:
		return "ENOENT";
	case EPERM:
		return "EPERM";
	case EINVAL:
		return "EINVAL";
	case ENODEV:
		return "ENODEV";
	case EACCES:
		return "EACCES";
	case ENXIO:
		return "ENXIO";
	default:
		return "EOTHER";
	}
}

static int fail(const char *step)
{
	int e = errno;
	printf("error=%s step=%s errno=%d (%s)\n", errno_name(e), step, e, strerror(e));
	fflush(stdout);
	return 1;
}

static int open_group(const char *group)
{
	char path[64];
	char *end;
	long g = strtol(group, &end, 10);

	if (*group == '\0' || *end || g < 0) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%ld", g);
	return open(path, O_RDWR | O_CLOEXEC);
}

static int viable(const char *group)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int fd = open_group(group);

	/* Opening and asking claims nothing: the group stays free for the next scenario. */
	if (fd < 0)
		return fail("open-group");
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) < 0)
		return fail("get-status");
	printf("viable=%d\n", (st.flags & VFIO_GROUP_FLAGS_VIABLE) ? 1 : 0);
	close(fd);
	return 0;
}

static int hold(const char *group, const char *addr)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int container, fd, dev = -1;

	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		return fail("open-container");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		errno = EINVAL;
		return fail("api-version");
	}
	fd = open_group(group);
	if (fd < 0)
		return fail("open-group");
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) < 0)
		return fail("get-status");
	/* SET_CONTAINER is where VFIO claims DMA ownership of the group (5.19+): from here on a
	 * kernel driver can no longer bind to a member. */
	if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &container) < 0)
		return fail("set-container");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		return fail("set-iommu");
	/* A device file is what makes an unbind of that device block, as with a running VM. */
	if (addr) {
		dev = ioctl(fd, VFIO_GROUP_GET_DEVICE_FD, addr);
		if (dev < 0)
			return fail("get-device-fd");
	}
	printf("ready pid=%d group=%s viable=%d device=%s\n", (int)getpid(), group,
	       (st.flags & VFIO_GROUP_FLAGS_VIABLE) ? 1 : 0, addr ? addr : "-");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	/* The guest's scripts stop holders with SIGTERM; the default action is what a VM that
	 * dies looks like to the kernel (descriptors closed on exit). */
	signal(SIGTERM, SIG_DFL);
	if (argc == 3 && strcmp(argv[1], "--viable") == 0)
		return viable(argv[2]);
	if (argc == 2 || argc == 3)
		return hold(argv[1], argc == 3 ? argv[2] : NULL);
	fprintf(stderr, "usage: vfio-hold GROUP [ADDR] | vfio-hold --viable GROUP\n");
	return 2;
}
