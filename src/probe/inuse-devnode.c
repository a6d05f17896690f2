/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device nodes below a device: block devices (from inuse-storage.c) and the character devices
 * of /sys/dev/char (DRM, sound, NVMe controllers, SCSI generic, input, USB, ...), each with its
 * /dev path from the uevent's DEVNAME. holders.c's /proc pass finds who has them open. */
#include "inuse-int.h"
#include "kernel-text.h"
#include "procfs.h"
#include "sysfs.h"
#include "util.h"

/* Reads "dev" of a sysfs device directory. */
bool read_dev(int dirfd, unsigned *major, unsigned *minor)
{
	_cleanup_free_ char *s = NULL;

	return read_text_at(dirfd, "dev", &s) >= 0 && parse_majmin(s, major, minor) >= 0;
}

void add_devnode(struct device *d, int dirfd, const char *name, const char *subsystem,
		 unsigned major, unsigned minor, bool block, const char *via)
{
	_cleanup_free_ char *uevent = NULL;
	char *devname = NULL;

	for (size_t i = 0; i < d->n_devnodes; i++)
		if (d->devnodes[i].major == major && d->devnodes[i].minor == minor &&
		    d->devnodes[i].block == block)
			return;
	if (read_text_at(dirfd, "uevent", &uevent) >= 0)
		devname = uevent_value(uevent, "DEVNAME");
	d->devnodes = xrealloc(d->devnodes, (d->n_devnodes + 1) * sizeof(struct devnode));
	d->devnodes[d->n_devnodes++] = (struct devnode){
		.name = xstrdup(name),
		.path = dev_node_path(devname && *devname ? devname : name),
		.subsystem = xstrdup(subsystem ? subsystem : "?"),
		.via = via ? xstrdup(via) : NULL,
		.major = major,
		.minor = minor,
		.block = block,
	};
}

/* Character devices: DRM, sound, NVMe controllers, SCSI generic, input, USB, ... */
void collect_char(struct host *h)
{
	_cleanup_strv_free_ char **names = NULL, **links = NULL;

	if (list_class("dev/char", &names, &links) < 0)
		return;
	for (size_t i = 0; names[i]; i++) {
		struct device *d = link_owner(h, links[i]);
		_cleanup_close_ int fd = -1;
		_cleanup_free_ char *subsystem = NULL;
		const char *base = strrchr(links[i], '/');
		unsigned major, minor;
		if (!d || parse_majmin(names[i], &major, &minor) < 0)
			continue;
		fd = open_class("dev/char", names[i]);
		if (fd < 0)
			continue;
		if (read_link_base_at(fd, "subsystem", &subsystem) < 0)
			subsystem = NULL;
		add_devnode(d, fd, base ? base + 1 : links[i], subsystem, major, minor, false,
			    NULL);
	}
}
