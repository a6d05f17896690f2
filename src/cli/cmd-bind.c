/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "commands.h"
#include "util.h"

int cmd_bind(int argc, char **argv, const struct cli *cli)
{
	struct change_options o = cli_change_options(cli);

	if (cli->owner) {
		_cleanup_free_ char *err = NULL;
		if (change_resolve_owner(cli->owner, &o, &err) < 0) {
			log_error("--owner: %s", err);
			return EXIT_USAGE;
		}
	}
	return change_main(CHANGE_BIND, argc - 1, argv, argv[argc - 1], &o);
}
