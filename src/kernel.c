/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/utsname.h>

#include "kernel.h"
#include "policy.h"
#include "sysfs.h"
#include "util.h"

enum { SYM_CLAIM = 1, SYM_NOTIFIER = 2 };

/* Streams kallsyms looking for whole symbol names; kallsyms is megabytes, so no line parsing. */
static int scan_kallsyms(unsigned *ret)
{
	static const char *const needles[] = { " iommu_group_claim_dma_owner\n",
					       " vfio_iommu_group_notifier\n" };
	_cleanup_free_ char *p = root_path("/proc/kallsyms");
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	enum { CHUNK = 256 * 1024, KEEP = 64 };
	_cleanup_free_ char *buf = NULL;
	size_t have = 0;
	unsigned found = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	buf = xmalloc(CHUNK + KEEP + 1);
	while ((n = read(fd, buf + have, CHUNK)) > 0) {
		size_t len = have + (size_t)n;
		for (size_t i = 0; i < ELEMENTSOF(needles); i++)
			if (memmem(buf, len, needles[i], strlen(needles[i])))
				found |= 1u << i;
		/* Keep a tail so that a name split across reads is still found. */
		have = len < KEEP ? len : KEEP;
		memmove(buf, buf + len - have, have);
	}
	if (n < 0)
		return -errno;
	*ret = found;
	return 0;
}

int kernel_info_load(struct kernel_info *k)
{
	unsigned syms = 0;
	int r;

	r = read_root_text("/proc/sys/kernel/osrelease", &k->release);
	if (r < 0) {
		struct utsname u;
		uname(&u);
		k->release = xstrdup(u.release);
	}
	r = sysfs_iommu_units(&k->iommus);
	if (r < 0)
		k->iommus = xcalloc(1, sizeof(char *));

	r = scan_kallsyms(&syms);
	if (r >= 0 && syms) {
		/* A kernel with the claim API checks ownership, whatever else it still has. */
		k->dma_ownership_checks = syms & SYM_CLAIM;
		k->checks_source = "kallsyms";
	} else {
		/* Unreadable, or nothing relevant in it (VFIO and IOMMU code absent or hidden). */
		k->dma_ownership_checks = kernel_release_at_least(k->release, 5, 19);
		k->checks_source = "version";
	}
	return 0;
}

void kernel_info_done(struct kernel_info *k)
{
	free(k->release);
	strv_free(k->iommus);
	*k = (struct kernel_info){ 0 };
}

const char *kernel_iommu_parameter(void)
{
	_cleanup_free_ char *p = root_path("/proc/cpuinfo");
	_cleanup_fclose_ FILE *f = fopen(p, "re");
	char line[256];

	while (f && fgets(line, sizeof(line), f)) {
		if (!startswith(line, "vendor_id"))
			continue;
		if (strstr(line, "AuthenticAMD") || strstr(line, "HygonGenuine"))
			return "amd_iommu=on";
		break;
	}
	return "intel_iommu=on";
}
