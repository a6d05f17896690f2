/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "change.h"

int cmd_restore(int argc, char **argv, const struct cli *cli)
{
	return change_main(CHANGE_RESTORE, argc, argv, NULL, cli);
}
