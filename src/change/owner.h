/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "journal.h"
#include "model.h"
#include "plan.h"

/* STEP_SET_OWNER of a transaction: journals the owner and mode that group st->group's
 * /dev/vfio/N and the VFIO cdevs of its devices in the plan have (the first change wins; an
 * entry is added for a device that was on VFIO already), saves the journal, then gives the
 * nodes to st->uid:st->gid with st->mode and reads them back. On failure what it changed is
 * given back. Returns 0 or -errno with *ret_error (one line, caller frees). */
int owner_set(struct journal *j, struct plan *p, const struct step *st, const char *command,
	      char **ret_error);

/* STEP_RESTORE_OWNER, and the undo of owner_set(): gives the nodes of the group's devices in
 * the plan back what their journal entries recorded, and forgets the records. A node that is
 * gone (the group left VFIO) has nothing to give back. Returns 0 or -errno with
 * *ret_error. */
int owner_restore(struct journal *j, struct plan *p, int group, char **ret_error);
