/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "sriov-plan.h"

/* The "sriov" object of a report of `devown sriov` (and of each PF a restore gives back its
 * VFs): address, totalvfs, numvfs_before, numvfs, autoprobe_before, autoprobe, vf_driver,
 * removed, vfs (vfs_after: the VFs there afterwards; NULL: not known, as in a dry run that
 * creates them), steps, note. Caller owns the object. */
json_object *sriov_plan_to_json(const struct sriov_plan *p, char *const *vfs_after);

/* The SR-IOV writes of a plan, one indented line each, as report_plan_text() does for bind. */
void sriov_plan_text(const struct sriov_plan *p, FILE *f);

/* One line of what came of it: "0000:04:00.0: 2 VFs -> 4 VFs on vfio-pci", with "would go
 * from" in a dry run, or the plan's note when nothing changes. */
void sriov_result_text(const struct sriov_plan *p, bool dry_run, FILE *f);

struct plan;
/* The text of a dry run of `devown sriov`: the PF's writes, the bind plan of the VFs that
 * stay (rebind, may be empty), the result line, and whether it would go ahead. */
void sriov_print_dry_run(const struct sriov_plan *p, const struct plan *rebind,
			 const char *command);
/* The text of a run with nothing to do. */
void sriov_print_unchanged(const struct sriov_plan *p);
/* apply --dry-run, a PF that is not on its driver yet: its VFs come once the bind gives it one. */
void sriov_print_pending(const char *pf, const char *entry, int count);
