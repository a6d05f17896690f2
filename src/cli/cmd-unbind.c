/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "commands.h"

int cmd_unbind(int argc, char **argv, const struct cli *cli)
{
	struct change_options o = cli_change_options(cli);

	return change_main(CHANGE_UNBIND, argc, argv, NULL, &o);
}
