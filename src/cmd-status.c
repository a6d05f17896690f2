/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "commands.h"
#include "scan.h"
#include "targets.h"
#include "util.h"

int cmd_status(int argc, char **argv, const struct cli *cli)
{
	struct scan_options so = { .names = true, .modules = true, .in_use = true, .holders = true };
	struct host h;
	struct selection sel;
	int r;

	r = host_scan(&h, &so);
	if (r < 0) {
		host_done(&h);
		return EXIT_FAILED;
	}
	if (argc > 0) {
		r = targets_resolve(&h, argv, argc, &sel);
		if (r < 0) {
			host_done(&h);
			return EXIT_USAGE;
		}
	} else
		selection_all(&h, &sel);

	if (cli->out.json)
		status_print_json(&h, &sel, stdout);
	else
		status_print_text(&h, &sel, &cli->out, stdout);

	selection_done(&sel);
	host_done(&h);
	return EXIT_OK;
}
