/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdio.h>
#include <json-c/json.h>

#include "plan.h"

/* Rendering of bind, unbind and restore: the plan, the result and the refusals, as text and as
 * JSON from the same structures. */

/* Result words of the JSON "result" key. */
#define RESULT_DONE	    "done"
#define RESULT_UNCHANGED    "unchanged"
#define RESULT_WOULD_CHANGE "would-change"
#define RESULT_REFUSED	    "refused"
#define RESULT_FAILED	    "failed"
#define RESULT_UNDO_FAILED  "undo-failed"

/* The plan, one line per step (dry run, and --verbose). */
void report_plan_text(const struct plan *p, FILE *f);
/* One line per device: what happened to it, or why nothing did. */
void report_items_text(const struct plan *p, bool dry_run, FILE *f);

/* The text on stdout of bind, unbind, restore and apply (change.c), for each way a run ends:
 * a dry run (the plan, each device, the notes and the verdict); nothing to do; a transaction
 * that went through (each device, and the groups now ready for VFIO); restore with nothing
 * on record; apply with nothing to do, and why. */
void report_print_dry_run(const struct plan *p, const char *command);
void report_print_unchanged(const struct plan *p);
void report_print_done(const struct plan *p);
void report_print_nothing_to_restore(void);
void report_print_nothing_to_do(const char *why);

json_object *report_json(const struct plan *p, const char *command, const char *driver_arg,
			 bool dry_run, const char *result, const char *error,
			 const struct txn_outcome *o);

/* devown run --dry-run: the command it would run once the devices are bound. */
void report_print_would_run(const char *command);
