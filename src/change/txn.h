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

/* Moves one device to want in the kernel's safe order (move_sequence) and verifies it, as the
 * rollback does: for the VFs of a restored SR-IOV PF. Returns 0, or -errno with *ret_differs
 * (one line naming the device and what differs; caller frees). */
int txn_move_device(const char *addr, const struct dev_state *want, char **ret_differs);
