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

struct node_owner {
	bool saved;
	unsigned uid, gid, mode; /* mode: the permission bits (07777) */
};

struct journal_entry {
	char addr[PCI_ADDR_MAX];
	unsigned vendor_id, device_id;
	char *driver;	       /* original driver, NULL when it was unbound */
	char *driver_override; /* original override, NULL when unset */
	int group;	       /* -1 without one */
	char *since;	       /* ISO 8601 UTC */
	char *reason;	       /* the command that first changed it, e.g. "bind vfio-pci" */
	char *origin;	       /* where that command ran: JOURNAL_ORIGINS; NULL for "command" */
	/* Set by `devown run` on the entries it made, for as long as it runs: its pid, its start
	 * time (field 22 of /proc/PID/stat, so that a reused pid is not taken for it) and the
	 * command it runs. run_pid is 0 on other entries. */
	int run_pid;
	unsigned long long run_start;
	char *run_command;
	bool run_alive; /* not saved: the change layer sets it after loading (journal_check_runs) */
	/* --owner: the owner and mode the group's /dev/vfio/N and the device's VFIO cdev had
	 * before devown first changed them (saved false: not changed). */
	struct node_owner group_node, cdev_node;
	char *cdev; /* "vfio3" for /dev/vfio/devices/vfio3, when cdev_node is saved */
};

/* An SR-IOV physical function as it was before devown first changed its VF count: restore gives
 * back the count (the kernel recreates the VFs) with autoprobe as it was, then moves each VF
 * listed here back to its driver and override. The VFs of such a PF get no entries of their
 * own: their original state is here, and the VFs devown created had none. */
struct journal_vf {
	char addr[PCI_ADDR_MAX];
	char *driver;	       /* NULL when it was unbound */
	char *driver_override; /* NULL when unset */
};

struct journal_sriov {
	char addr[PCI_ADDR_MAX];
	unsigned vendor_id, device_id;
	int numvfs;	/* sriov_numvfs before devown */
	bool autoprobe; /* sriov_drivers_autoprobe before devown */
	struct journal_vf *vfs;
	size_t n_vfs;
	char *since;  /* ISO 8601 UTC */
	char *reason; /* e.g. "sriov 0000:04:00.0 4 --driver vfio" */
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
	/* SR-IOV physical functions whose VF count devown changed (devown sriov). */
	struct journal_sriov *sriov;
	size_t n_sriov;
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

/* Marks an entry as made by the `devown run` with this pid and start time. */
void journal_mark_run(struct journal_entry *e, int pid, unsigned long long start,
		      const char *command);
/* Whether a device is bound by a `devown run` that is still alive (another devown must not
 * take it from under the command it runs): its entry, or NULL. Needs run_alive set. */
const struct journal_entry *journal_live_run(const struct journal *j, const char *addr);
/* ---- SR-IOV records ---- */
struct journal_sriov *journal_sriov_find(struct journal *j, const char *pf);
/* Adds a record unless the PF has one (the first change wins) and returns it, or the one that
 * was there; journal_sriov_add_vf() appends a VF to it. Copies the strings. */
struct journal_sriov *journal_sriov_add(struct journal *j, const char *pf, unsigned vendor_id,
					unsigned device_id, int numvfs, bool autoprobe,
					const char *reason);
void journal_sriov_add_vf(struct journal_sriov *s, const char *addr, const char *driver,
			  const char *driver_override);
void journal_sriov_remove(struct journal *j, const char *pf);
/* Appends copies of src's SR-IOV records to dst (a snapshot for rollback). */
void journal_sriov_copy(struct journal *dst, const struct journal *src);
