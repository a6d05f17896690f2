/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How holders are named (cgroup paths of systemd, libvirt and container engines) and the
 * mountinfo lines the /proc pass judges descriptors by (kernel-text.h). */
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
	return check_done();
}
