/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "addr.h"
#include "journal.h"
#include "model.h"

/* Planning is pure: it reads the model and the journal and decides, with no I/O, what would be
 * written in which order and which safety rules refuse it. The command resolves drivers and
 * modules (I/O) beforehand; the transaction (txn.h) executes the steps. */

enum change_kind { CHANGE_BIND, CHANGE_UNBIND, CHANGE_RESTORE };
const char *change_kind_to_string(enum change_kind k);

enum item_action {
	ACT_BIND,
	ACT_UNBIND,
	ACT_RESTORE,
	ACT_NONE, /* already in the requested state */
	ACT_SKIP, /* left alone on purpose (a bridge in a whole-group move) */
};
const char *item_action_to_string(enum item_action a);

/* What a driver argument means for one device. */
struct driver_choice {
	char *driver;  /* PCI driver name; for a module not loaded yet, the name it will register;
			* NULL: no driver, the device is parked unbound (as by unbind) */
	char *module;  /* module to load first, or NULL when the driver is registered */
	bool supports; /* the driver claims the device (or binds by override: VFIO, pci-stub), or
			* nothing is known against it */
	/* apply: the entry's owner= (resolved), which wins over the request's owner */
	const char *owner;
	unsigned owner_uid, owner_gid;
	bool owner_has_group;
};
void driver_choice_done(struct driver_choice *c);

struct dev_state {
	char *driver;	       /* NULL: unbound */
	char *driver_override; /* NULL: unset */
};

struct item {
	struct device *dev;
	bool explicit_target; /* named on the command line, not pulled in by --group */
	enum item_action action;
	struct dev_state from, to;
	char *to_module; /* module that provides to.driver when it is not registered */
	char *note;	 /* why ACT_NONE or ACT_SKIP */
};

enum step_kind {
	STEP_LOAD_MODULE,
	STEP_SET_OVERRIDE,
	STEP_UNBIND,
	STEP_BIND,
	STEP_WAIT_VFIO,
	STEP_CHECK_VIABLE,
	STEP_PROBE, /* restore of a device that had no driver: let the kernel pick, as at boot */
	/* --owner: the group's /dev/vfio/N and its devices' VFIO cdevs go to the owner (arg is
	 * "USER[:GROUP]" as given); restore gives them back the owner and mode the journal
	 * recorded, before anything is unbound (the nodes go away with the group). */
	STEP_SET_OWNER,
	STEP_RESTORE_OWNER,
};
const char *step_kind_to_string(enum step_kind k);

struct step {
	enum step_kind kind;
	struct item *item;	 /* the device step, NULL for module loads and group checks */
	char *arg;		 /* module, override value (NULL clears), or driver */
	int group;		 /* STEP_WAIT_VFIO, STEP_CHECK_VIABLE, STEP_*_OWNER */
	unsigned uid, gid, mode; /* STEP_SET_OWNER */
};

struct refusal {
	struct device *dev; /* may be NULL for a refusal of the whole command */
	const char *rule;   /* stable identifier: partial-group, bridge, held-group, held-unbind,
			     * in-use, sriov, no-iommu, unsupported, identity, run */
	char *message;	    /* one line, without "devown: " */
};

struct plan {
	enum change_kind kind;
	struct item *items;
	size_t n_items;
	struct step *steps;
	size_t n_steps;
	struct refusal *refusals;
	size_t n_refusals;
	char **notes; /* informational lines (e.g. targets with nothing to restore) */
};

struct change_request {
	enum change_kind kind;
	struct target *targets; /* empty for "restore everything" */
	size_t n_targets;
	bool group, force;
	bool unprivileged;	       /* a dry run by a normal user: what only root can check
					* is noted, not refused (a real run needs root) */
	const char *driver_arg;	       /* bind: as the user gave it */
	bool want_vfio;		       /* bind: DRIVER was "vfio" or a VFIO driver */
	bool need_type1;	       /* vfio_iommu_type1 must be loaded first */
	struct driver_choice *choices; /* bind: one per device of plan_select(); restore
					* (optional): the module providing the original driver
					* when it is not registered */
	struct journal *journal;
	/* --owner (bind, run, apply): give the VFIO nodes of every group left on VFIO to this
	 * user and group (mode 0600, or 0660 with a group). */
	const char *owner; /* "USER[:GROUP]" as given, NULL without --owner */
	unsigned owner_uid, owner_gid;
	bool owner_has_group;
	int run_pid; /* the `devown run` restoring what it changed: its own entries are not
		      * refused by rule run */
};

/* The devices a request acts on, in address order, with whether each was named explicitly:
 * device targets; every member of a group target; with --group every member of each target's
 * group; bridges of whole groups are included (planned as ACT_SKIP for VFIO). For restore
 * without targets: every journaled device. Allocated arrays; -ENOENT with *ret_error (one
 * line, caller frees) for a target that does not exist. */
int plan_select(struct host *h, const struct change_request *rq, struct device ***ret_devs,
		bool **ret_explicit, size_t *ret_n, char **ret_error);

/* Builds the plan for the selected devices; rq->choices must be parallel to them (bind). */
void plan_build(struct host *h, const struct change_request *rq, struct device **devs,
		const bool *explicit_target, size_t n, struct plan *ret);
void plan_done(struct plan *p);

/* Whether a device ends the plan on a VFIO driver (bound to one now, or left on one). */
bool item_ends_on_vfio(const struct item *it);

/* True when the plan changes anything. */
bool plan_changes(const struct plan *p);

/* Whether a group is held from user space (a visible holder, or an EBUSY on open). */
bool group_held(const struct group *g);

/* The writes that move a device from cur to want, in the kernel's safe order: unbind the
 * current driver, set the override, bind the wanted driver. An original override naming
 * another driver would keep the wanted driver from binding; then the device is bound under a
 * matching override and the original value written last. Used by restore and by rollback. */
struct move_step {
	enum step_kind kind; /* STEP_UNBIND, STEP_SET_OVERRIDE or STEP_BIND */
	const char *arg;     /* points into cur or want */
};
size_t move_sequence(const struct dev_state *cur, const struct dev_state *want,
		     struct move_step out[static 4]);

/* What came of executing a plan (txn_execute() in the change layer), for the report. */
struct txn_outcome {
	int exit_code;	       /* EXIT_OK, EXIT_FAILED (rolled back) or EXIT_UNDO_FAILED */
	char *error;	       /* what failed, one line; NULL on success */
	bool rolled_back;      /* a failure was undone completely */
	char **differs;	       /* after a failed undo: one line per device whose state differs */
	char **done;	       /* one line per device changed, for the report */
	char *detail;	       /* what lies behind error, for stderr in its place; may be NULL */
	char **journal_errors; /* the journal could not be saved after the changes (strv) */
};
void txn_outcome_done(struct txn_outcome *o);

/* Who holds group g, for a refusal: "pid 812 (qemu-system-x86)", or what the kernel's EBUSY
 * leaves to guess. Caller frees. (Shared with the SR-IOV planner, sriov-plan.h.) */
char *plan_holders_text(const struct host *h, const struct group *g);
