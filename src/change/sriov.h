/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

#include "change.h"

/* `devown sriov PF COUNT [--driver DRIVER]`: the whole command (sriov-plan.h has the order of
 * the writes). pf_arg and count_arg as the user gave them; driver_arg NULL without --driver.
 * Returns the exit code. */
int sriov_main(const char *pf_arg, const char *count_arg, const char *driver_arg,
	       const struct change_options *cli);

/* For restore, inside change_main() after change_begin(): gives back the VF count of each PF
 * that the targets name (all targets empty: every PF on record) and that has an SR-IOV record,
 * and drops those targets from rq. A target that is a VF of a PF on record, without an entry
 * of its own, is a usage error: "restore its PF". Text goes to stdout as it goes; with --json
 * *ret_json gets an array of the PFs' "sriov" objects (NULL when none) for the report, and
 * *ret_changed whether any PF changed. Returns -1 to go on with the ordinary restore, or an
 * exit code to end with (having printed its report). */
int sriov_restore(struct change_ctx *c, struct change_request *rq, json_object **ret_json,
		  bool *ret_changed);

/* What an apply entry with vfs= asks of one PF. */
struct sriov_want {
	const char *pf;	       /* address */
	int count;	       /* vfs= */
	const char *vf_driver; /* vf_driver=, or NULL */
	const char *entry;     /* the entry's name, for messages */
};

/* apply, once the devices are bound (change_ctx.after): brings each PF to its VF count on a
 * fresh scan, through the same planner and execution as `devown sriov`; in a dry run it says
 * what it would do. *ret_json gets an array of the PFs' "sriov" objects (caller puts it),
 * *ret_changed whether any PF changed. Returns 0 or the worst exit code. */
int sriov_apply(struct change_ctx *c, const struct sriov_want *w, size_t n, json_object **ret_json,
		bool *ret_changed);
