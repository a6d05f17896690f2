/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "commands.h"
#include "util.h"

int cmd_export(int argc, char **argv, const struct cli *cli)
{
	log_error("'devown export' is not implemented yet");
	return EXIT_FAILED;
}
