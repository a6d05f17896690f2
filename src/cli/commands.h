/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "change.h"
#include "output.h"

/* Options shared by the commands; main() parses them once and rejects those a command does not
 * take. */
enum {
	OPT_JSON = 1 << 0,
	OPT_VERBOSE = 1 << 1,
	OPT_GROUP = 1 << 2,
	OPT_DRY_RUN = 1 << 3,
	OPT_FORCE = 1 << 4,
	OPT_TIMEOUT = 1 << 5,
	OPT_DEVICE = 1 << 6,
	OPT_OWNER = 1 << 7,
	OPT_DRIVER = 1 << 8,
	OPT_ORIGIN = 1 << 9,
};

struct cli {
	unsigned given; /* OPT_* the user gave */
	bool group, dry_run, force;
	int timeout_ms;
	const char *device; /* apply --device: the PCI address udev saw appear */
	const char *driver; /* sriov --driver: where the VFs go */
	const char *origin; /* apply --origin: who runs it (JOURNAL_ORIGINS), NULL for "command" */
	struct output_options out;
	const char *owner; /* --owner USER[:GROUP] as given */
	/* The words after the first "--" (run's COMMAND); has_command says whether there was a
	 * "--" at all. */
	char **command;
	int n_command;
	bool has_command;
};

/* What of the command line the change flow (change.h) needs. */
static inline struct change_options cli_change_options(const struct cli *cli)
{
	return (struct change_options){ .group = cli->group,
					.dry_run = cli->dry_run,
					.force = cli->force,
					.timeout_ms = cli->timeout_ms,
					.origin = cli->origin,
					.out = cli->out };
}

/* A command returns a process exit code (EXIT_*). */
typedef int (*command_fn)(int argc, char **argv, const struct cli *cli);

int cmd_status(int argc, char **argv, const struct cli *cli);
int cmd_bind(int argc, char **argv, const struct cli *cli);
int cmd_unbind(int argc, char **argv, const struct cli *cli);
int cmd_restore(int argc, char **argv, const struct cli *cli);
int cmd_apply(int argc, char **argv, const struct cli *cli);
int cmd_export(int argc, char **argv, const struct cli *cli);
int cmd_run(int argc, char **argv, const struct cli *cli);
int cmd_sriov(int argc, char **argv, const struct cli *cli);
