/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

#include "driver.h"
#include "journal.h"
#include "model.h"
#include "output.h"
#include "plan.h"
#include "scan.h"

/* What the command line asks of a change (main.c parses it into struct cli). */
struct change_options {
	bool group, dry_run, force;
	int timeout_ms;
	const char *origin; /* apply --origin: JOURNAL_ORIGINS, NULL for "command" */
	struct output_options out;
};

/* host_scan() for the commands that only read (status, export): says what the scan went on
 * without (warnings) or why it failed (one error line). Returns 0 or -errno. */
int change_scan(struct host *h, const struct scan_options *o);

/* The flow shared by every command that changes devices (bind, unbind, restore, apply):
 *   change_begin: root check (unless dry run), the lock, the journal and its interrupted-run
 *                 check, and a full scan of the host;
 *   change_run:   plan, refuse (exit 3), print the plan (dry run), or execute and report;
 *   change_end:   release everything.
 * Both return an exit code; change_begin returns -1 when the caller should go on. */
struct change_ctx {
	enum change_kind kind;
	const struct change_options *cli;
	char *command; /* "bind 0000:03:00.0 vfio", for the journal, syslog and messages */
	const char *driver_arg;
	struct host host;
	struct journal journal;
	int lock_fd;
	/* Set by apply after change_begin: the JSON report's "command" (NULL: the change kind),
	 * and a hook that adds the caller's own keys to the report before it is printed. */
	const char *json_command;
	void (*amend_json)(void *userdata, json_object *report);
	void *userdata;
};

int change_begin(struct change_ctx *c, enum change_kind kind, const char *command,
		 const char *driver_arg, const struct change_options *cli);
int change_run(struct change_ctx *c, struct change_request *rq, struct device **devs,
	       const bool *explicit_target, size_t n);
void change_end(struct change_ctx *c);

/* bind, unbind and restore: parse targets, then the three steps above. */
int change_main(enum change_kind kind, int argc, char **argv, const char *driver_arg,
		const struct change_options *cli);
