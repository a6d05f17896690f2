/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

#include "driver.h"
#include "journal.h"
#include "model.h"
#include "output.h"
#include "plan.h"
#include "scan.h"

/* What `devown run` needs of the change flow around its command (cmd-run.c). */
struct change_run {
	/* in: the run's identity, marked on the journal entries its bind makes */
	int pid;
	unsigned long long start;
	const char *command; /* COMMAND and its arguments, space separated */
	bool restoring;	     /* this is the restore after the command: pid's own entries */
	/* out of the bind: the devices it leaves on DRIVER (strv), their groups (strv of
	 * numbers) and the devices it changed, which the restore gives back */
	char **devices, **groups, **changed;
	/* out: the JSON report, kept for the run's one document instead of printed */
	json_object *report;
};

/* What the command line asks of a change (main.c parses it into struct cli). */
struct change_options {
	bool group, dry_run, force;
	int timeout_ms;
	int lock_timeout_ms; /* how long to wait for the lock; 0: timeout_ms */
	const char *origin;  /* apply --origin: JOURNAL_ORIGINS, NULL for "command" */
	struct output_options out;
	/* --owner USER[:GROUP], resolved by the command (NULL: none) */
	const char *owner;
	unsigned owner_uid, owner_gid;
	bool owner_has_group;
	struct change_run *run;	  /* NULL but for devown run */
	const char *json_command; /* the JSON report's "command" when not the change kind (sriov) */
};

/* Resolves --owner's USER[:GROUP] (names or numbers) into o. Returns 0, or -ENOENT with
 * *ret_error (one line, caller frees) naming what is unknown (a usage error: exit 2). */
int change_resolve_owner(const char *arg, struct change_options *o, char **ret_error);

/* Waits, up to timeout_ms, until no process holds any of the groups (numbers, strv): 0, or
 * -EBUSY with *ret_error naming the holder and the group (one line, caller frees). */
int change_wait_released(char **groups, int timeout_ms, char **ret_error);

/* The start time of this devown (/proc/self/stat), which tells its entries from those of a
 * later process with the same pid. Returns 0 or -errno. */
int change_self_start(unsigned long long *ret);

/* Sets run_alive of the entries a `devown run` made that is still running: the pid lives and
 * started when the journal says (a pid reused since is another process). */
void change_check_runs(struct journal *j);

/* Frees what a change_run received. */
void change_run_done(struct change_run *r);

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
	/* Set by apply: runs once the devices are as planned (also in a dry run, and when nothing
	 * needed a change), before the report, for the VF counts of SR-IOV PFs; an exit code
	 * other than 0 becomes the command's. */
	int (*after)(void *userdata, struct change_ctx *c);
};

int change_begin(struct change_ctx *c, enum change_kind kind, const char *command,
		 const char *driver_arg, const struct change_options *cli);
int change_run(struct change_ctx *c, struct change_request *rq, struct device **devs,
	       const bool *explicit_target, size_t n);
void change_end(struct change_ctx *c);

/* What can be told wrong before the lock, the journal and the scan: targets that name no
 * present device or group, a DRIVER that is no driver (driver_arg_check). Logs the one line and
 * returns EXIT_USAGE, or -1 when the caller should go on. driver_arg may be NULL. */
int change_check_early(const struct target *targets, size_t n, const char *driver_arg);

/* bind, unbind and restore: parse targets, then the three steps above. */
int change_main(enum change_kind kind, int argc, char **argv, const char *driver_arg,
		const struct change_options *cli);
