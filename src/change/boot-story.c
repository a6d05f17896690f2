/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot-story.h"
#include "bootfiles.h"
#include "config-load.h"
#include "ident.h"
#include "util.h"

void boot_story(struct host *h, const struct journal *j, struct boot_directives *dirs,
		struct boot_report *r)
{
	_cleanup_free_ char *cmdline = NULL, *err = NULL;
	_cleanup_strv_free_ char **files = NULL;
	struct config c = { 0 };
	struct config_result res = { 0 };
	struct device_ident *ids = NULL;
	bool resolved = false;

	memset(dirs, 0, sizeof(*dirs));
	if (boot_read_cmdline(&cmdline) >= 0)
		boot_parse_cmdline(dirs, cmdline);
	boot_modprobe_files(&files);
	for (char **f = files; f && *f; f++) {
		_cleanup_free_ char *text = NULL;
		if (boot_read_modprobe_file(*f, &text) >= 0)
			boot_parse_modprobe(dirs, *f, text);
	}
	if (config_load(NULL, 0, &c, &err) >= 0 && c.n_entries > 0) {
		ids = config_idents(&c, h);
		free(err);
		err = NULL;
		resolved = config_resolve(&c, h, ids, NULL, &res, &err) >= 0;
	}
	boot_report_build(h, j, resolved ? &res : NULL, dirs, r);
	/* The report copies what it keeps of the entries; the picks point into c and h. */
	if (resolved)
		config_result_done(&res);
	if (ids)
		config_idents_free(ids, h->n_devices);
	config_done(&c);
}
