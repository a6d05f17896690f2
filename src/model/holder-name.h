/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Names a process the way an administrator knows it, from the text of /proc/PID/cgroup: the
 * systemd unit it runs in, the libvirt domain (machine-qemu\x2dN\x2dNAME.scope, or
 * /machine/qemu-N-NAME.libvirt-qemu without systemd) and the container (Docker, Podman,
 * containerd and CRI-O scopes, or the cgroupfs layouts of Docker and Podman). Pure: parses the
 * text it is given, no I/O. */
struct holder_name {
	char *unit;	 /* "libvirtd.service", "machine-qemu\x2d1\x2dwin11.scope", or NULL */
	char *domain;	 /* libvirt domain name ("win11"), or NULL */
	char *container; /* "docker 0123456789ab", "podman ...", "containerd ...", or NULL */
};

/* Fills *ret from cgroup text (every line of /proc/PID/cgroup; the unified "0::" line wins
 * over v1 lines, then the "name=systemd" one). Fields not found stay NULL; the caller frees
 * them with holder_name_done(). */
void holder_name_parse(const char *cgroup_text, struct holder_name *ret);
void holder_name_done(struct holder_name *n);

/* "libvirt domain win11", "docker 0123456789ab", "unit foo.service", or NULL when nothing is
 * known: the words status and refusals put after the command. Caller frees. */
char *holder_name_label(const char *unit, const char *domain, const char *container);

struct holder;
/* "pid 812 (qemu-system-x86, libvirt domain win11)": how status and refusals name a holder.
 * Caller frees. */
char *holder_describe(const struct holder *x);
