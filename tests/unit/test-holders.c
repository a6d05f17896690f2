/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How holders are named (cgroup paths of systemd, libvirt and container engines) and the
 * mountinfo lines the /proc pass judges descriptors by (kernel-text.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "holder-name.h"
#include "kernel-text.h"

static void named(const char *cgroup, const char *unit, const char *domain, const char *container,
		  const char *label)
{
	struct holder_name n;
	char *l;

	holder_name_parse(cgroup, &n);
	CHECK((n.unit == NULL) == (unit == NULL));
	if (unit)
		CHECK_STREQ(n.unit, unit);
	CHECK((n.domain == NULL) == (domain == NULL));
	if (domain)
		CHECK_STREQ(n.domain, domain);
	CHECK((n.container == NULL) == (container == NULL));
	if (container)
		CHECK_STREQ(n.container, container);
	l = holder_name_label(n.unit, n.domain, n.container);
	CHECK((l == NULL) == (label == NULL));
	if (label)
		CHECK_STREQ(l, label);
	free(l);
	holder_name_done(&n);
}

static void mountinfo(const char *line, int id, const char *point, const char *fstype)
{
	struct mountinfo_line m;
	bool ok = mountinfo_parse_line(line, &m);

	CHECK(ok == (point != NULL));
	if (ok && point) {
		CHECK(m.id == id);
		CHECK_STREQ(m.point, point);
		CHECK_STREQ(m.fstype, fstype);
	}
	if (ok)
		mountinfo_line_done(&m);
}

int main(void)
{
	/* /proc/PID/stat: the start time is field 22, counted from the command's last ')'. */
	{
		unsigned long long st = 0, soft = 0, hard = 0;
		CHECK(proc_stat_starttime("4321 (devown) S 1 4321 4321 0 -1 4194560 100 0 0 0 0 0 "
					  "0 0 20 0 1 0 987654 1000000 100 18446744073709551615",
					  &st) == 0 &&
		      st == 987654);
		CHECK(proc_stat_starttime(
			      "7 (a) b) (c) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0 "
			      "0\n",
			      &st) == 0 &&
		      st == 42);
		CHECK(proc_stat_starttime("7 (short) R 1 1", &st) == -EINVAL);
		CHECK(proc_stat_starttime("no parenthesis 1 2 3", &st) == -EINVAL);
		CHECK(proc_stat_starttime("", &st) == -EINVAL);
		CHECK(proc_stat_starttime("1 (x) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5 0",
					  &st) == -EINVAL);
		/* /proc/PID/limits: "Max locked memory", soft and hard, bytes or unlimited. */
		const char *limits = "Limit                     Soft Limit           Hard Limit    "
				     "       Units     \n"
				     "Max cpu time              unlimited            unlimited     "
				     "       seconds   \n"
				     "Max locked memory         8388608              8388608       "
				     "       bytes     \n"
				     "Max address space         unlimited            unlimited     "
				     "       bytes     \n";
		CHECK(proc_limits_memlock(limits, &soft, &hard) == 0 && soft == MEMLOCK_DEFAULT &&
		      hard == 8388608);
		CHECK(proc_limits_memlock(
			      "Max locked memory         unlimited            unlimited "
			      "           bytes\n",
			      &soft, &hard) == 0 &&
		      soft == UINT64_MAX && hard == UINT64_MAX);
		CHECK(proc_limits_memlock("Max locked memory         65536 unlimited bytes", &soft,
					  &hard) == 0 &&
		      soft == 65536 && hard == UINT64_MAX);
		CHECK(proc_limits_memlock("Max cpu time unlimited unlimited seconds\n", &soft,
					  &hard) == -ENOENT);
		CHECK(proc_limits_memlock(
			      "Max locked memory         lots                 8388608\n", &soft,
			      &hard) == -EINVAL);
		CHECK(proc_limits_memlock("Max locked memory         123x 5\n", &soft, &hard) ==
		      -EINVAL);
		CHECK(proc_limits_memlock("", &soft, &hard) == -ENOENT);
	}

	/* libvirt under systemd: the machine scope, '-' escaped as \x2d; newer libvirt adds
	 * libvirt/emulator below it. */
	named("0::/machine.slice/machine-qemu\\x2d3\\x2dwin11.scope/libvirt/emulator\n",
	      "machine-qemu\\x2d3\\x2dwin11.scope", "win11", NULL, "libvirt domain win11");
	named("0::/machine.slice/machine-qemu\\x2d12\\x2dmy\\x2dvm.scope\n",
	      "machine-qemu\\x2d12\\x2dmy\\x2dvm.scope", "my-vm", NULL, "libvirt domain my-vm");
	/* libvirt without systemd (cgroupfs). */
	named("0::/machine/qemu-1-db01.libvirt-qemu/emulator\n", NULL, "db01", NULL,
	      "libvirt domain db01");
	/* Containers. */
	named("0::/system.slice/"
	      "docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n",
	      "docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope", NULL,
	      "docker 0123456789ab", "docker 0123456789ab");
	named("0::/user.slice/user-1000.slice/user@1000.service/user.slice/"
	      "libpod-aabbccddeeff00112233.scope/container\n",
	      "libpod-aabbccddeeff00112233.scope", NULL, "podman aabbccddeeff",
	      "podman aabbccddeeff");
	named("0::/docker/fedcba9876543210fedcba9876543210\n", NULL, NULL, "docker fedcba987654",
	      "docker fedcba987654");
	named("0::/kubepods.slice/kubepods-besteffort.slice/"
	      "cri-containerd-99887766554433221100aabb.scope\n",
	      "cri-containerd-99887766554433221100aabb.scope", NULL, "containerd 998877665544",
	      "containerd 998877665544");
	/* A service, and the unified line winning over v1 lines. */
	named("12:cpu,cpuacct:/foo\n1:name=systemd:/system.slice/old.service\n0::/system.slice/"
	      "spdk.service\n",
	      "spdk.service", NULL, NULL, "unit spdk.service");
	named("1:name=systemd:/system.slice/old.service\n2:cpu:/x\n", "old.service", NULL, NULL,
	      "unit old.service");
	/* Nothing to say: a login shell, init, garbage. */
	named("0::/init.scope\n", "init.scope", NULL, NULL, NULL);
	named("0::/\n", NULL, NULL, NULL, NULL);
	named("", NULL, NULL, NULL, NULL);
	named("garbage without colons", NULL, NULL, NULL, NULL);
	named("0::/machine.slice/machine-qemu\\x2dX\\x2dbad.scope\n",
	      "machine-qemu\\x2dX\\x2dbad.scope", NULL, NULL,
	      "unit machine-qemu\\x2dX\\x2dbad.scope");
	named("0::/machine.slice/machine-.scope\n", "machine-.scope", NULL, NULL,
	      "unit machine-.scope");
	/* Short or non-hex ids are not containers. */
	named("0::/system.slice/docker-abc.scope\n", "docker-abc.scope", NULL, NULL,
	      "unit docker-abc.scope");

	mountinfo("22 1 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,size=10m", 22, "/dev",
		  "devtmpfs");
	mountinfo("40 29 0:36 / /srv/my\\040root/dev rw - tmpfs tmpfs rw", 40, "/srv/my root/dev",
		  "tmpfs");
	mountinfo("41 29 0:37 / /mnt/fuse rw,nosuid - fuse.sshfs host:/ rw", 41, "/mnt/fuse",
		  "fuse.sshfs");
	mountinfo("41 29 0:37 / /mnt rw shared:1 master:2 - overlay overlay rw", 41, "/mnt",
		  "overlay");
	mountinfo("41 29 0:37 / /mnt rw", 0, NULL, NULL);	      /* no separator */
	mountinfo("x 29 0:37 / /mnt rw - tmpfs t rw", 0, NULL, NULL); /* no id */
	mountinfo("", 0, NULL, NULL);
	mountinfo("1 2 3 4", 0, NULL, NULL);
	/* uevent: the key's value up to its line end, the last one, whole keys only. */
	{
		char u[] = "MAJOR=259\nMINOR=0\nDEVNAMEX=no\nDEVNAME=nvme0n1\nDEVTYPE=disk\n";
		char none[] = "MAJOR=1\n";
		CHECK_STREQ(uevent_value(u, "DEVNAME"), "nvme0n1");
		CHECK(uevent_value(none, "DEVNAME") == NULL);
	}
	/* kallsyms: whole names only, at a line end or before a module's tab. */
	{
		const char k[] = "ffffffff81000000 T iommu_group_claim_dma_owner_unrelated\n"
				 "ffffffffc0a01000 t vfio_iommu_group_notifier\t[vfio]\n";
		CHECK(!kallsyms_has_symbol(k, strlen(k), "iommu_group_claim_dma_owner", true));
		CHECK(kallsyms_has_symbol(k, strlen(k), "vfio_iommu_group_notifier", false));
		CHECK(kallsyms_has_symbol(" x", 2, "x", true) &&
		      !kallsyms_has_symbol(" x", 2, "x", false));
	}
	return check_done();
}
