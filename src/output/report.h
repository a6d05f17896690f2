/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdio.h>
#include <json-c/json.h>

#include "plan.h"
#include "txn.h"

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

json_object *report_json(const struct plan *p, const char *command, const char *driver_arg,
			 bool dry_run, const char *result, const char *error,
			 const struct txn_outcome *o);
