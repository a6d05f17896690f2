/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "commands.h"
#include "sriov.h"

int cmd_sriov(int argc, char **argv, const struct cli *cli)
{
	struct change_options o = cli_change_options(cli);

	(void)argc;
	return sriov_main(argv[0], argv[1], cli->driver, &o);
}
