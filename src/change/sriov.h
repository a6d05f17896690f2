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
