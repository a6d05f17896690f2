/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>

#include "addr.h"
#include "sysfs-ident.h"
#include "sysfs.h"
#include "util.h"

int sysfs_device_path(const char *addr, char **ret)
{
	_cleanup_free_ char *link = xasprintf("%s/sys/bus/pci/devices/%s", root_prefix(), addr);
	_cleanup_free_ char *real = realpath(link, NULL);
	char *path = NULL, *p = NULL, *save = NULL;
	const char *last = NULL;

	if (!real)
		return -errno;
	/* The last "/sys/devices/" is the tree's own: DEVOWN_ROOT may contain the words too. */
	for (char *s = strstr(real, "/sys/devices/"); s; s = strstr(s + 1, "/sys/devices/"))
		p = s;
	if (!p)
		return -ENOENT;
	p += strlen("/sys/devices/");
	for (char *c = strtok_r(p, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		struct pci_addr a;
		char norm[PCI_ADDR_MAX];
		char *t;

		/* Host bridges ("pci0000:00") and anything else that is not a function. */
		if (!strchr(c, ':') || strchr(c, ':') == strrchr(c, ':') ||
		    pci_addr_parse(c, &a) < 0)
			continue;
		pci_addr_format(&a, norm);
		if (!path)
			t = xstrdup(norm);
		else
			t = xasprintf("%s/%02x.%x", path, a.dev, a.fn);
		free(path);
		path = t;
		last = c;
	}
	if (!path || !last) {
		free(path);
		return -ENOENT;
	}
	*ret = path;
	return 0;
}

int sysfs_pci_slots(char ***ret_names, char ***ret_addresses)
{
	_cleanup_free_ char *dir = root_path("/sys/bus/pci/slots");
	_cleanup_strv_free_ char **entries = NULL;
	char **names = xcalloc(1, sizeof(char *)), **addrs = xcalloc(1, sizeof(char *));
	int r;

	r = list_dir_at(AT_FDCWD, dir, &entries);
	if (r < 0 && r != -ENOENT) {
		strv_free(names);
		strv_free(addrs);
		return r;
	}
	for (char **e = entries; e && *e; e++) {
		_cleanup_free_ char *f = xasprintf("%s/%s/address", dir, *e);
		char *a = NULL;
		if (read_text_at(AT_FDCWD, f, &a) < 0)
			continue; /* a slot without an address says nothing about devices */
		strv_push(&names, xstrdup(*e));
		strv_push(&addrs, a);
	}
	*ret_names = names;
	*ret_addresses = addrs;
	return 0;
}

static uint32_t le32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

int sysfs_device_serial(const char *addr, char **ret)
{
	_cleanup_close_ int dfd = -1, fd = -1;
	unsigned char cfg[4096];
	struct stat st;
	size_t len = 0;
	unsigned off, hops = 0;
	int r;

	r = sysfs_open_device(addr, &dfd);
	if (r < 0)
		return r;
	fd = openat(dfd, "config", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	while (len < sizeof(cfg)) {
		ssize_t n = pread(fd, cfg + len, sizeof(cfg) - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	/* The kernel cuts unprivileged reads short of what the file's size promises. */
	if ((off_t)len < st.st_size && len < sizeof(cfg))
		return -EACCES;
	if (len < 0x104)
		return -ENOENT; /* conventional PCI: 256 bytes, no extended capabilities */
	/* Extended capabilities: a list from 0x100, each header ID[15:0] VER[19:16] NEXT[31:20];
	 * a bounded walk, since a broken device may point in circles. */
	for (off = 0x100; off >= 0x100 && off + 12 <= len && hops < 1024; hops++) {
		uint32_t h = le32(cfg + off);
		if (h == 0 || h == 0xffffffff)
			break;
		if ((h & 0xffff) == 0x0003) {
			uint32_t lo = le32(cfg + off + 4), hi = le32(cfg + off + 8);
			*ret = xasprintf("%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x", hi >> 24,
					 (hi >> 16) & 0xff, (hi >> 8) & 0xff, hi & 0xff, lo >> 24,
					 (lo >> 16) & 0xff, (lo >> 8) & 0xff, lo & 0xff);
			return 0;
		}
		off = (h >> 20) & 0xffc;
	}
	return -ENOENT;
}

int sysfs_group_devices(int group, char ***ret)
{
	_cleanup_free_ char *p =
		xasprintf("%s/sys/kernel/iommu_groups/%d/devices", root_prefix(), group);
	return list_dir_at(AT_FDCWD, p, ret);
}
