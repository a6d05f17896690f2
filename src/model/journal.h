/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

/* The journal (kept under /run/devown by journal-file.h) records, for every device devown has
 * changed, the driver and driver_override it had before devown first touched it (the first change
 * wins), so that `devown restore` can give it back exactly. It also marks a transaction in
 * progress, so that a devown killed mid-way is noticed by the next run. Written atomically
 * (temporary file, fsync, rename). /run is a tmpfs: after a reboot there is nothing to restore. */

struct journal_entry {
	char addr[PCI_ADDR_MAX];
	unsigned vendor_id, device_id;
	char *driver;	       /* original driver, NULL when it was unbound */
	char *driver_override; /* original override, NULL when unset */
	int group;	       /* -1 without one */
	char *since;	       /* ISO 8601 UTC */
	char *reason;	       /* the command that first changed it, e.g. "bind vfio-pci" */
	char *origin;	       /* where that command ran: JOURNAL_ORIGINS; NULL for "command" */
};

/* Where a change was made: at boot by the initramfs's early script, by devown-apply.service,
 * by the udev rule, or by a command someone ran ("command", also what older journals mean). */
#define JOURNAL_ORIGINS "initramfs", "unit", "udev", "command"
bool journal_origin_valid(const char *origin);

struct journal {
	struct journal_entry *entries;
	size_t n_entries;
	int txn_pid; /* 0 when no transaction is marked in progress */
	char *txn_command;
	char **txn_devices;
	/* Not saved: the origin journal_add() gives new entries (NULL: "command"). */
	const char *origin;
};

void journal_done(struct journal *j);

struct journal_entry *journal_find(struct journal *j, const char *addr);
/* Adds an entry unless the device has one (the first change wins). Copies the strings. */
void journal_add(struct journal *j, const char *addr, unsigned vendor_id, unsigned device_id,
		 const char *driver, const char *driver_override, int group, const char *reason);
void journal_remove(struct journal *j, const char *addr);

/* Marks a transaction over the given devices in progress (pid = getpid()), or clears it. */
void journal_begin(struct journal *j, const char *command, char **devices);
void journal_end(struct journal *j);

/* Whether the journal marks a transaction that nobody is running any more: its pid is not the
 * lock holder. Needs the lock state: pass whether some live devown holds the lock. */
bool journal_interrupted(const struct journal *j, bool lock_busy);
