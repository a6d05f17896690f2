/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "journal.h"
#include "model.h"
#include "plan.h"

/* Executes a plan that passed every rule, as one transaction: journals the original state of
 * every device before its first write and marks the transaction in progress; loads modules;
 * checks each device's identity right before acting on it; writes in the plan's order and
 * re-reads the driver link after each bind; waits for /dev/vfio/N and checks the group is
 * viable; on any failure returns every touched device to the state it had before, in reverse
 * order, and verifies it. The caller holds the change lock. */
void txn_execute(struct host *h, struct journal *j, struct plan *p, const char *command,
		 int timeout_ms, struct txn_outcome *out);
