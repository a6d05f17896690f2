/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "config.h"
#include "kernel.h"
#include "kernel-text.h"
#include "policy.h"
#include "procfs.h"
#include "sysfs.h"
#include "util.h"

enum { SYM_CLAIM = 1, SYM_NOTIFIER = 2 };

/* Streams kallsyms looking for whole symbol names; kallsyms is megabytes, so no line parsing. */
static int scan_kallsyms(unsigned *ret)
{
	static const char *const names[] = { "iommu_group_claim_dma_owner",
					     "vfio_iommu_group_notifier" };
	_cleanup_close_ int fd = proc_open_file("kallsyms");
	enum { CHUNK = 256 * 1024, KEEP = 64 };
	_cleanup_free_ char *buf = NULL;
	size_t have = 0;
	unsigned found = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	buf = xmalloc(CHUNK + KEEP + 1);
	for (;;) {
		size_t len;

		n = read(fd, buf + have, CHUNK);
		if (n < 0)
			return -errno;
		len = have + (size_t)n;
		for (size_t i = 0; i < ELEMENTSOF(names); i++)
			if (kallsyms_has_symbol(buf, len, names[i], n == 0))
				found |= 1u << i;
		if (n == 0)
			break;
		/* Keep a tail so that a name split across reads is still found. */
		have = len < KEEP ? len : KEEP;
		memmove(buf, buf + len - have, have);
	}
	*ret = found;
	return 0;
}

/* kallsyms is megabytes that the kernel formats on every read (tens of milliseconds, far more
 * under emulation). Its verdict stands for the whole boot when the claim API was found (it is
 * built into the kernel), and when the VFIO notifier was found without it (the kernel has no
 * claim API to gain): remember both under /run, keyed by the boot id. Without either symbol
 * (VFIO not loaded yet) the release decides, and the next run looks again.
 * Returns 1 or 0 for a remembered verdict, -1 for none. */
static int cached_claim(const char *boot_id)
{
	_cleanup_free_ char *s = NULL;
	_cleanup_free_ char *prefix = NULL;

	if (!boot_id || run_file_read("kernel-checks", &s) < 0)
		return -1;
	prefix = xasprintf("boot_id=%s\nclaim=", boot_id);
	if (!startswith(s, prefix))
		return -1;
	if (streq(s + strlen(prefix), "1\n"))
		return 1;
	if (streq(s + strlen(prefix), "0\n"))
		return 0;
	return -1;
}

static void remember_claim(const char *boot_id, bool claim)
{
	_cleanup_free_ char *text = NULL;

	if (!boot_id || geteuid() != 0)
		return;
	text = xasprintf("boot_id=%s\nclaim=%d\n", boot_id, claim);
	(void)run_file_replace("kernel-checks", text, false);
}

int kernel_info_load(struct kernel_info *k)
{
	_cleanup_free_ char *boot_id = NULL;
	unsigned syms = 0;
	int r;

	r = proc_read_text("sys/kernel/osrelease", &k->release);
	if (r < 0) {
		struct utsname u;
		uname(&u);
		k->release = xstrdup(u.release);
	}
	r = sysfs_iommu_units(&k->iommus);
	if (r < 0)
		k->iommus = xcalloc(1, sizeof(char *));

	if (proc_read_text("sys/kernel/random/boot_id", &boot_id) < 0)
		boot_id = NULL;
	r = cached_claim(boot_id);
	if (r >= 0) {
		k->dma_ownership_checks = r;
		k->checks_source = "kallsyms";
		return 0;
	}
	r = scan_kallsyms(&syms);
	if (r >= 0 && syms)
		remember_claim(boot_id, syms & SYM_CLAIM);
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
	_cleanup_fclose_ FILE *f = proc_fopen("cpuinfo");
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
