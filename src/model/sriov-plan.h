/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "journal.h"
#include "model.h"
#include "plan.h"

/* Planning of `devown sriov PF COUNT [--driver DRIVER]` and of the restore of a PF's VF count:
 * pure, like plan.h. The kernel changes a VF count only through 0 (a write between two counts
 * that are not 0 fails with EBUSY), and writing 0 removes every VF at once, under whoever uses
 * it; a VF held through VFIO makes that write block until the holder lets go. So the plan
 * says which VFs would disappear and refuses (rule sriov) when one of them is held (never
 * overridable), used by the host (--force lets it go), or bound for a live `devown run`.
 *
 * The writes, in order (docs/kernel.md, "SR-IOV"):
 *   set-autoprobe 0   only with a VF driver, when VFs are created and autoprobe is 1: no host
 *                     VF driver (iavf, igbvf, mlx5_core) ever probes them
 *   set-numvfs 0      when VFs exist and the count changes
 *   set-numvfs COUNT  when COUNT > 0 and it changes
 *   wait-vfs COUNT    the virtfnN links and the VF devices appear (bounded by --timeout)
 *   bind-vfs          each VF not on the VF driver is bound to it with the checks of bind
 *   set-autoprobe 1   autoprobe back as it was
 * The journal record (journal.h, journal_sriov) is written before the first of them. */

enum sriov_step_kind {
	SRIOV_STEP_AUTOPROBE,	/* write value to sriov_drivers_autoprobe */
	SRIOV_STEP_NUMVFS,	/* write value to sriov_numvfs */
	SRIOV_STEP_WAIT_VFS,	/* wait until value VFs are there */
	SRIOV_STEP_BIND_VFS,	/* bind every VF that is not on the VF driver, as bind does */
	SRIOV_STEP_RESTORE_VFS, /* restore: move the journalled VFs back to their drivers */
};
/* "set-autoprobe", "set-numvfs", "wait-vfs", "bind-vfs", "restore-vfs" */
const char *sriov_step_kind_to_string(enum sriov_step_kind k);

struct sriov_step {
	enum sriov_step_kind kind;
	int value; /* autoprobe 0/1, a count; 0 for the VF steps */
};

struct sriov_request {
	const char *pf;	       /* normalised address */
	int count;	       /* the wanted sriov_numvfs (ignored with restore) */
	const char *vf_driver; /* PCI driver for the VFs ("vfio-pci"); NULL: whatever the kernel
				* probes, with autoprobe untouched */
	bool force;	       /* let VFs go that the host uses (never held ones) */
	bool unprivileged;     /* a normal user's dry run: unknown host use is noted */
	bool restore;	       /* back to the journal's record of the PF */
	struct journal *journal;
};

struct sriov_plan {
	struct device *pf;
	int from, to;		 /* sriov_numvfs now and afterwards */
	int autoprobe;		 /* sriov_drivers_autoprobe now (1 when unknown) */
	int final_autoprobe;	 /* and afterwards */
	char *vf_driver;	 /* NULL: the kernel's choice */
	struct device **removed; /* the VFs that disappear, by address */
	size_t n_removed;
	struct device **rebind; /* VFs that stay and are not on vf_driver */
	size_t n_rebind;
	struct sriov_step *steps;
	size_t n_steps;
	struct refusal *refusals; /* rule sriov (or identity for a restore) */
	size_t n_refusals;
	char **notes;
	char *note; /* with no steps: why ("already 4 VFs on vfio-pci") */
};

/* The checks that make a request a usage error (exit 2) rather than a refusal: no such device,
 * a VF instead of a PF, a device without SR-IOV (no sriov_totalvfs), a PF without a driver
 * (sriov_numvfs only exists with a driver that supports SR-IOV), COUNT above sriov_totalvfs
 * ("0000:01:00.0 supports at most 7 VFs (sriov_totalvfs)"). Returns 0, or -ENOENT/-EINVAL
 * with *ret_error (one line, caller frees). */
int sriov_check(struct host *h, const char *pf, int count, char **ret_error);

/* Builds the plan; with rq->restore, rq->journal must hold a record of the PF. The PF must
 * pass sriov_check() (restore: must exist). */
void sriov_plan_build(struct host *h, const struct sriov_request *rq, struct sriov_plan *ret);
bool sriov_plan_changes(const struct sriov_plan *p);
void sriov_plan_done(struct sriov_plan *p);
