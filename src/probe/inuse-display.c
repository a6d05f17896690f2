/* SPDX-License-Identifier: GPL-2.0-or-later */
/* In use for display: the firmware's boot display (boot_vga), and the framebuffers the console
 * (fbcon) draws on, from /sys/class/vtconsole, /sys/class/graphics and /proc/cmdline. */
#include <fcntl.h>

#include "inuse-int.h"
#include "procfs.h"
#include "sysfs.h"
#include "util.h"

/* The framebuffers fbcon draws the consoles on: fb0 for every console unless fbcon=map:
 * on the kernel command line says otherwise (fbcon maps by fb number). Empty when no
 * virtual console is bound to fbcon. */
static void fbcon_fbs(bool used[10])
{
	_cleanup_close_ int vt = sys_open_dir("class/vtconsole");
	_cleanup_strv_free_ char **cons = NULL;
	_cleanup_free_ char *cmdline = NULL;
	bool bound = false;

	memset(used, 0, 10 * sizeof(bool));
	if (vt < 0 || list_dir_at(vt, ".", &cons) < 0)
		return;
	for (size_t i = 0; cons[i]; i++) {
		_cleanup_close_ int fd = openat(vt, cons[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		_cleanup_free_ char *name = NULL;
		unsigned b = 0;
		if (fd < 0 || read_text_at(fd, "name", &name) < 0)
			continue;
		if (strstr(name, "frame buffer") && read_uint_at(fd, "bind", &b) >= 0 && b == 1)
			bound = true;
	}
	if (!bound)
		return;
	used[0] = true;
	if (proc_read_text("cmdline", &cmdline) >= 0) {
		const char *m = strstr(cmdline, "fbcon=map:");
		if (m && (m == cmdline || m[-1] == ' ')) {
			used[0] = false;
			for (m += strlen("fbcon=map:"); *m >= '0' && *m <= '9'; m++)
				used[*m - '0'] = true;
		}
	}
}

/* ---- display ---- */

void display_findings(struct host *h)
{
	_cleanup_close_ int dir = -1;
	_cleanup_strv_free_ char **fbs = NULL;
	bool used[10];

	for (size_t i = 0; i < h->n_devices; i++)
		if (h->devices[i].boot_vga)
			inuse_add(&h->devices[i], "display", "boot_vga",
				  "the firmware's boot display");

	dir = sys_open_dir("class/graphics");
	if (dir < 0 || list_dir_at(dir, ".", &fbs) < 0)
		return;
	fbcon_fbs(used);
	for (size_t i = 0; fbs[i]; i++) {
		_cleanup_free_ char *addr = NULL;
		_cleanup_close_ int fd = -1;
		struct device *d;
		unsigned n;
		int end = 0;

		if (sscanf(fbs[i], "fb%u%n", &n, &end) != 1 || fbs[i][end] || n >= 10 || !used[n])
			continue;
		fd = openat(dir, fbs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || read_link_base_at(fd, "device", &addr) < 0)
			continue;
		d = host_find_device(h, addr);
		if (d)
			inuse_add(d, "display", fbs[i], "framebuffer console (fbcon)");
	}
}
