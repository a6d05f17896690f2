/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel command line and modprobe.d parser of status's boot story. */
#include "bootconf.h"
#include "check.h"
#include "util.h"

static void test_cmdline(void)
{
	struct boot_directives b = { 0 };
	char *e1000e[] = { "e1000e", NULL }, *nvme[] = { "nvme", NULL };

	boot_parse_cmdline(&b, "BOOT_IMAGE=/vmlinuz root=/dev/vda quiet vfio-pci.ids=8086:10d3,"
			       "10de:1eb8:10de:12a2 modprobe.blacklist=nouveau,nvme "
			       "vfio_pci.ids=\"1b36:0010\" module_blacklist=e1000-e bad.ids=1:2 "
			       "vfio-pci.ids=zz:1,:,1234: vfio-pci.ids");
	CHECK(b.n == 7);
	if (b.n != 7)
		goto out;
	CHECK(b.items[0].kind == BOOT_VFIO_IDS && b.items[0].vendor == 0x8086 &&
	      b.items[0].device == 0x10d3);
	CHECK_STREQ(b.items[0].source, "/proc/cmdline");
	CHECK_STREQ(b.items[0].text, "vfio-pci.ids=8086:10d3,10de:1eb8:10de:12a2");
	CHECK(b.items[1].vendor == 0x10de && b.items[1].device == 0x1eb8);
	CHECK(b.items[2].kind == BOOT_BLACKLIST);
	CHECK_STREQ(b.items[2].module, "nouveau");
	CHECK_STREQ(b.items[3].module, "nvme");
	CHECK(b.items[4].kind == BOOT_VFIO_IDS && b.items[4].vendor == 0x1b36 &&
	      b.items[4].device == 0x0010);
	CHECK_STREQ(b.items[5].module, "e1000_e");
	/* "zz:1" and ":" are skipped; "1234:" leaves the device out: any device of vendor 1234;
	 * a word without "=" is no directive. */
	CHECK(b.items[6].vendor == 0x1234 && b.items[6].device == BOOT_ANY_ID);
	CHECK(boot_directive_concerns(&b.items[0], 0x8086, 0x10d3, NULL));
	CHECK(!boot_directive_concerns(&b.items[0], 0x8086, 0x10d4, e1000e));
	CHECK(boot_directive_concerns(&b.items[3], 0x1b36, 0x0010, nvme));
	CHECK(!boot_directive_concerns(&b.items[3], 0x1b36, 0x0010, e1000e));
	CHECK(boot_directive_concerns(&b.items[6], 0x1234, 0x5678, NULL));
out:
	boot_directives_done(&b);
}

static void test_modprobe(void)
{
	struct boot_directives b = { 0 };
	char *e1000e[] = { "e1000e", NULL }, *dash[] = { "snd-hda-intel", NULL };

	boot_parse_modprobe(&b, "/etc/modprobe.d/vfio.conf",
			    "# comment vfio-pci ids=1:2\n"
			    "options vfio-pci ids=8086:10d3 disable_vga=1\n"
			    "softdep e1000e pre: vfio-pci\n"
			    "softdep nvme post: vfio-pci\n"
			    "softdep snd_hda_intel pre: foo \\\n  vfio_pci\n"
			    "  blacklist   nouveau  \n"
			    "install nvme /bin/false\n"
			    "options e1000e ids=1:2\n"
			    "blacklist\n");
	CHECK(b.n == 5);
	if (b.n != 5)
		goto out;
	CHECK(b.items[0].kind == BOOT_VFIO_IDS && b.items[0].device == 0x10d3);
	CHECK_STREQ(b.items[0].source, "/etc/modprobe.d/vfio.conf:2");
	CHECK(b.items[1].kind == BOOT_SOFTDEP);
	CHECK_STREQ(b.items[1].module, "e1000e");
	CHECK(boot_directive_concerns(&b.items[1], 0, 0, e1000e));
	CHECK(b.items[2].kind == BOOT_SOFTDEP);
	CHECK_STREQ(b.items[2].source, "/etc/modprobe.d/vfio.conf:5");
	CHECK(boot_directive_concerns(&b.items[2], 0, 0, dash));
	CHECK(b.items[3].kind == BOOT_BLACKLIST);
	CHECK_STREQ(b.items[3].text, "blacklist   nouveau");
	CHECK_STREQ(b.items[3].source, "/etc/modprobe.d/vfio.conf:7");
	CHECK(b.items[4].kind == BOOT_INSTALL);
	CHECK_STREQ(b.items[4].module, "nvme");
	CHECK_STREQ(boot_directive_kind_name(b.items[4].kind), "install");
out:
	boot_directives_done(&b);
	/* Nothing at all, a lone backslash, no newline at the end. */
	boot_parse_modprobe(&b, "f", "");
	boot_parse_modprobe(&b, "f", "\\");
	boot_parse_modprobe(&b, "f", "blacklist x");
	CHECK(b.n == 1);
	boot_directives_done(&b);
	boot_parse_cmdline(&b, "");
	boot_parse_cmdline(&b, "   \"unterminated vfio-pci.ids=1:2");
	CHECK(b.n == 0);
	boot_directives_done(&b);
}

int main(void)
{
	test_cmdline();
	test_modprobe();
	return check_done();
}
