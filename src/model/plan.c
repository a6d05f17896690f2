/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "holder-name.h"
#include "plan.h"
#include "policy.h"
#include "util.h"

const char *change_kind_to_string(enum change_kind k)
{
	switch (k) {
	case CHANGE_BIND:
		return "bind";
	case CHANGE_UNBIND:
		return "unbind";
	case CHANGE_RESTORE:
	default:
		return "restore";
	}
}

const char *item_action_to_string(enum item_action a)
{
	static const char *const names[] = { "bind", "unbind", "restore", "none", "skip" };
	return names[a];
}

const char *step_kind_to_string(enum step_kind k)
{
	static const char *const names[] = { "load-module", "set-override", "unbind",
					     "bind",	    "wait-vfio",    "check-viable",
					     "probe",	    "set-owner",    "restore-owner" };
	return names[k];
}

void driver_choice_done(struct driver_choice *c)
{
	free(c->driver);
	free(c->module);
	memset(c, 0, sizeof(*c));
}

bool group_held(const struct group *g)
{
	return g && (g->n_holders > 0 || g->held_unseen);
}

/* ---- selection ---- */

struct picked {
	struct device **devs;
	bool *explicit_target;
	size_t n;
};

static void pick(struct picked *p, struct device *d, bool explicit_target)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->devs[i] == d) {
			p->explicit_target[i] |= explicit_target;
			return;
		}
	p->devs = xrealloc(p->devs, (p->n + 1) * sizeof(*p->devs));
	p->explicit_target = xrealloc(p->explicit_target, (p->n + 1) * sizeof(bool));
	p->devs[p->n] = d;
	p->explicit_target[p->n++] = explicit_target;
}

static void pick_group(struct picked *p, struct group *g, struct journal *j, bool only_journaled)
{
	for (size_t i = 0; i < g->n_devices; i++)
		if (!only_journaled || journal_find(j, g->devices[i]->addr))
			pick(p, g->devices[i], false);
}

int plan_select(struct host *h, const struct change_request *rq, struct device ***ret_devs,
		bool **ret_explicit, size_t *ret_n, char **ret_error)
{
	struct picked p = { 0 };
	bool restore = rq->kind == CHANGE_RESTORE;

	if (restore && rq->n_targets == 0)
		for (size_t i = 0; i < rq->journal->n_entries; i++) {
			struct device *d = host_find_device(h, rq->journal->entries[i].addr);
			if (d)
				pick(&p, d, true);
		}

	for (size_t i = 0; i < rq->n_targets; i++) {
		const struct target *t = &rq->targets[i];
		if (t->kind == TARGET_GROUP) {
			struct group *g = host_find_group(h, t->group);
			if (!g) {
				free(p.devs);
				free(p.explicit_target);
				*ret_error = target_missing_error(t);
				return -ENOENT;
			}
			pick_group(&p, g, rq->journal, restore);
		} else {
			struct device *d = host_find_device(h, t->addr);
			struct group *g;
			if (!d) {
				free(p.devs);
				free(p.explicit_target);
				*ret_error = target_missing_error(t);
				return -ENOENT;
			}
			pick(&p, d, true);
			g = d->group >= 0 ? host_find_group(h, d->group) : NULL;
			if (rq->group && g)
				pick_group(&p, g, rq->journal, restore);
		}
	}

	/* Address order: devices live in one sorted array. */
	for (size_t i = 1; i < p.n; i++)
		for (size_t k = i; k > 0 && p.devs[k - 1] > p.devs[k]; k--) {
			struct device *td = p.devs[k];
			bool te = p.explicit_target[k];
			p.devs[k] = p.devs[k - 1];
			p.explicit_target[k] = p.explicit_target[k - 1];
			p.devs[k - 1] = td;
			p.explicit_target[k - 1] = te;
		}
	*ret_devs = p.devs;
	*ret_explicit = p.explicit_target;
	*ret_n = p.n;
	return 0;
}

/* ---- planning ---- */

static void refuse(struct plan *p, struct device *d, const char *rule, char *message)
{
	p->refusals = xrealloc(p->refusals, (p->n_refusals + 1) * sizeof(*p->refusals));
	p->refusals[p->n_refusals++] =
		(struct refusal){ .dev = d, .rule = rule, .message = message };
}

static void add_step(struct plan *p, enum step_kind kind, struct item *it, const char *arg,
		     int group)
{
	p->steps = xrealloc(p->steps, (p->n_steps + 1) * sizeof(*p->steps));
	p->steps[p->n_steps++] = (struct step){
		.kind = kind,
		.item = it,
		.arg = arg ? xstrdup(arg) : NULL,
		.group = group,
	};
}

static char *dupn(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static char *holders_text(const struct host *h, const struct group *g)
{
	char *s = NULL;

	if (!g->n_holders && h->n_unattributed > 0) {
		/* The kernel said EBUSY; these are the only VFIO users in sight. */
		for (size_t i = 0; i < h->n_unattributed; i++) {
			_cleanup_free_ char *who = holder_describe(&h->unattributed[i]);
			strextendf(&s, "%s%s", i ? " or " : "", who);
		}
		strextendf(&s, " (a VFIO device this kernel does not tie to a group)");
		return s;
	}
	if (!g->n_holders)
		return xstrdup("a process devown cannot see");
	for (size_t i = 0; i < g->n_holders; i++) {
		_cleanup_free_ char *who = NULL;
		/* One process may hold the group through several descriptors. */
		bool seen = false;
		for (size_t k = 0; k < i; k++)
			seen |= g->holders[k].pid == g->holders[i].pid;
		if (seen)
			continue;
		who = holder_describe(&g->holders[i]);
		strextendf(&s, "%s%s", s ? ", " : "", who);
	}
	return s;
}

static const char *drv_or_none(const char *d)
{
	return d ? d : "no driver";
}

static char *who(const struct device *d)
{
	if (d->group >= 0)
		return xasprintf("%s (%s, group %d)", d->addr, drv_or_none(d->driver), d->group);
	return xasprintf("%s (%s, no IOMMU group)", d->addr, drv_or_none(d->driver));
}

/* Rules 3 and 4 of devown(8): a group held by user space. */
static void check_held(struct host *h, struct plan *p, struct item *it, const char *verb)
{
	struct device *d = it->dev;
	struct group *g = d->group >= 0 ? host_find_group(h, d->group) : NULL;
	_cleanup_free_ char *holders = NULL, *w = NULL;

	if (!group_held(g))
		return;
	holders = holders_text(h, g);
	w = who(d);
	if (it->to.driver && !driver_is_dma_managed(it->to.driver)) {
		if (h->kernel.dma_ownership_checks)
			refuse(p, d, "held-group",
			       xasprintf("refusing to %s %s to %s: group %d is in use by %s; the "
					 "kernel would refuse a kernel DMA driver while user space "
					 "owns the group. Stop the VM or program first",
					 verb, w, it->to.driver, g->number, holders));
		else
			refuse(p, d, "held-group",
			       xasprintf("refusing to %s %s to %s: group %d is in use by %s, and "
					 "this kernel (%s) has no DMA ownership checks: binding a "
					 "kernel DMA driver now would crash it. Stop the VM or "
					 "program first",
					 verb, w, it->to.driver, g->number, holders,
					 h->kernel.release));
		return;
	}
	if (it->from.driver)
		refuse(p, d, "held-unbind",
		       xasprintf("refusing to %s %s: group %d is in use by %s; unbinding %s now "
				 "would hang until it lets go. Stop the VM or program first",
				 verb, w, g->number, holders, it->from.driver));
}

static void check_in_use(struct plan *p, struct item *it, const char *verb,
			 const struct change_request *rq)
{
	struct device *d = it->dev;

	if (rq->force)
		return;
	for (size_t i = 0; i < d->n_in_use; i++) {
		const struct in_use *u = &d->in_use[i];
		refuse(p, d, "in-use",
		       xasprintf("refusing to %s %s: the host is using it: %s %s%s%s%s%s; add "
				 "--force to take it anyway",
				 verb, d->addr, u->kind, u->name, u->detail ? " (" : "",
				 u->detail ? u->detail : "", u->detail ? ")" : "",
				 u->own_connection ? ", your own connection" : ""));
	}
	/* A check that could not be made is not a clean bill: fail closed. A normal user's dry
	 * run cannot make the checks that need root, which the real run (as root) makes. */
	for (size_t i = 0; d->in_use_unknown && d->in_use_unknown[i]; i++)
		if (rq->unprivileged)
			strv_push(&p->notes, xasprintf("%s: not checked as a normal user: %s",
						       d->addr, d->in_use_unknown[i]));
		else
			refuse(p, d, "in-use",
			       xasprintf("refusing to %s %s: devown cannot tell whether the host "
					 "uses it (%s); add --force to take it anyway",
					 verb, d->addr, d->in_use_unknown[i]));
}

/* Rule 6 of devown(8): the driver of an SR-IOV physical function removes its VFs when it is
 * unbound. A VF that user space holds would hang that unbind (its VFIO driver waits for the
 * holder), so that is refused even with --force; otherwise the VFs (and what the host does
 * with them) are given up only with --force (restore has none). */
static void check_sriov(struct host *h, struct plan *p, struct item *it, const char *verb,
			bool force)
{
	bool can_force = !streq(verb, "restore");
	struct device *d = it->dev;
	_cleanup_free_ char *vfs = xstrdup(""), *w = NULL, *used = NULL;
	size_t n = 0;

	if (!d->driver || d->sriov_numvfs <= 0)
		return;
	w = who(d);
	if (it->action == ACT_BIND) {
		char *t = xasprintf("%s to %s", w, it->to.driver);
		free(w);
		w = t;
	}
	for (size_t i = 0; i < h->n_devices; i++) {
		struct device *vf = &h->devices[i];
		struct group *g;
		char *t;
		if (!streq_ptr(vf->physfn, d->addr))
			continue;
		g = vf->group >= 0 ? host_find_group(h, vf->group) : NULL;
		if (group_held(g)) {
			_cleanup_free_ char *holders = holders_text(h, g);
			refuse(p, d, "sriov",
			       xasprintf("refusing to %s %s: its VF %s (group %d) is in use by %s; "
					 "unbinding %s removes its VFs and would hang until that "
					 "lets go. Stop the VM or program first",
					 verb, w, vf->addr, g->number, holders, d->driver));
			return;
		}
		if (!used && vf->n_in_use > 0) {
			const struct in_use *u = &vf->in_use[0];
			used = xasprintf("; the host uses VF %s: %s %s", vf->addr, u->kind,
					 u->name);
		}
		t = xasprintf("%s%s%s", vfs, n ? ", " : "", vf->addr);
		free(vfs);
		vfs = t;
		n++;
	}
	if (force)
		return;
	refuse(p, d, "sriov",
	       xasprintf(
		       "refusing to %s %s: it is an SR-IOV physical function with %d VF%s enabled "
		       "(%s), which unbinding %s removes%s. Write 0 to its sriov_numvfs first%s",
		       verb, w, d->sriov_numvfs, d->sriov_numvfs == 1 ? "" : "s",
		       n ? vfs : "not visible", d->driver, used ? used : "",
		       can_force ? ", or add --force to let them go" : ""));
}

/* Bridges: a whole-group move leaves them alone (note), naming one is refused (message, which
 * this takes). */
static void leave_bridge(struct plan *p, struct item *it, const char *note, char *message)
{
	it->action = ACT_SKIP;
	if (it->explicit_target) {
		it->note = xstrdup("refused: a bridge");
		refuse(p, it->dev, "bridge", message);
	} else {
		it->note = xstrdup(note);
		free(message);
	}
}

/* Why a bridge on pcieport stays there; what is "unbind 0000:00:1c.0 (pcieport, group 1)". */
static char *port_message(const char *what, const struct device *d)
{
	return xasprintf("refusing to %s: it is a bridge on %s, which never keeps a group from "
			 "VFIO; without it, hotplug, AER and power management stop for everything "
			 "below it",
			 what, d->driver);
}

static void plan_bind_item(struct host *h, const struct change_request *rq, struct plan *p,
			   struct item *it, const struct driver_choice *c)
{
	struct device *d = it->dev;
	bool vfio = driver_is_vfio(c->driver);

	it->to.driver = xstrdup(c->driver);
	it->to.driver_override = xstrdup(c->driver);
	it->to_module = dupn(c->module);

	if (d->bridge && vfio) {
		_cleanup_free_ char *w = who(d);
		leave_bridge(
			p, it, "bridge, left alone (VFIO does not take bridges)",
			xasprintf("refusing to bind %s to %s: it is a bridge, and VFIO drivers "
				  "do not take bridges; a whole-group bind leaves bridges on "
				  "pcieport",
				  w, c->driver));
		return;
	}
	if (d->bridge && !streq_ptr(d->driver, c->driver) &&
	    (!it->explicit_target || driver_is_dma_managed(d->driver))) {
		/* Moving a bridge off pcieport stops hotplug, AER and power management below it and
		 * never helps VFIO; a whole-group move leaves every bridge alone. */
		_cleanup_free_ char *w = who(d);
		_cleanup_free_ char *what = xasprintf("bind %s to %s", w, c->driver);
		leave_bridge(p, it, "bridge, left alone", port_message(what, d));
		return;
	}
	if (streq_ptr(d->driver, c->driver)) {
		it->action = ACT_NONE;
		it->note = xasprintf("already bound to %s", c->driver);
		return;
	}
	it->action = ACT_BIND;
	check_held(h, p, it, "bind");
	check_in_use(p, it, "bind", rq);
	check_sriov(h, p, it, "bind", rq->force);
	if (!c->supports && !rq->force) {
		_cleanup_free_ char *w = who(d);
		refuse(p, d, "unsupported",
		       xasprintf("refusing to bind %s to %s: the driver does not claim this device "
				 "(no alias of its module matches %s); add --force if you know "
				 "better",
				 w, c->driver, d->modalias ? d->modalias : "the device"));
	}
}

static void plan_unbind_item(struct host *h, const struct change_request *rq, struct plan *p,
			     struct item *it)
{
	struct device *d = it->dev;

	it->to.driver = NULL;
	it->to.driver_override = xstrdup("none");
	/* A bridge on pcieport never blocks VFIO, and without it hotplug, AER and power management
	 * stop below it. A bridge on a DMA-using driver (shpchp) does block its group, so the
	 * administrator may unbind that one by name. */
	if (d->bridge && (!it->explicit_target || driver_is_dma_managed(d->driver))) {
		_cleanup_free_ char *w = who(d);
		_cleanup_free_ char *what = xasprintf("unbind %s", w);
		leave_bridge(p, it, "bridge, left alone", port_message(what, d));
		return;
	}
	if (!d->driver && streq_ptr(d->driver_override, "none")) {
		it->action = ACT_NONE;
		it->note = xstrdup("already unbound and parked");
		return;
	}
	it->action = ACT_UNBIND;
	check_held(h, p, it, "unbind");
	if (d->driver)
		check_in_use(p, it, "unbind", rq);
	check_sriov(h, p, it, "unbind", rq->force);
}

static void plan_restore_item(struct host *h, const struct change_request *rq, struct plan *p,
			      struct item *it)
{
	struct device *d = it->dev;
	struct journal_entry *e = journal_find(rq->journal, d->addr);

	if (!e) {
		it->action = ACT_NONE;
		it->note = xstrdup("devown has not changed this device; nothing to restore");
		return;
	}
	it->to.driver = dupn(e->driver);
	it->to.driver_override = dupn(e->driver_override);
	if (d->vendor_id != e->vendor_id || d->device_id != e->device_id) {
		/* Nothing is planned for another device: left at ACT_BIND it got a bind step,
		 * without a driver when the journal recorded none. */
		it->action = ACT_SKIP;
		it->note = xasprintf("not the device devown changed (it is now %04x:%04x)",
				     d->vendor_id, d->device_id);
		refuse(p, d, "identity",
		       xasprintf("refusing to restore %s: it is now %04x:%04x, not the %04x:%04x "
				 "devown changed (was the hardware replaced or renumbered?); "
				 "remove its entry from the journal by hand",
				 d->addr, d->vendor_id, d->device_id, e->vendor_id, e->device_id));
		return;
	}
	if (streq_ptr(d->driver, e->driver) && streq_ptr(d->driver_override, e->driver_override)) {
		it->action = ACT_NONE;
		it->note = xasprintf("already back on %s", drv_or_none(e->driver));
		return;
	}
	it->action = ACT_RESTORE;
	if (rq->choices && rq->choices[it - p->items].module)
		it->to_module = xstrdup(rq->choices[it - p->items].module);
	if (streq_ptr(d->driver, e->driver))
		return; /* only the override differs: nothing is unbound or bound */
	check_held(h, p, it, "restore");
	check_sriov(h, p, it, "restore", rq->force);
}

/* Rule 1: a driver-managed driver on some members while other non-bridge members stay on
 * kernel DMA drivers leaves the group unusable. */
static void check_partial_groups(struct host *h, struct plan *p)
{
	for (size_t i = 0; i < p->n_items; i++) {
		struct item *it = &p->items[i];
		struct group *g;
		bool seen = false;
		char *names = NULL;
		size_t n = 0;

		if (it->action != ACT_BIND || !driver_is_dma_managed(it->to.driver))
			continue;
		g = it->dev->group >= 0 ? host_find_group(h, it->dev->group) : NULL;
		if (!g)
			continue;
		for (size_t k = 0; k < i; k++)
			if (p->items[k].action == ACT_BIND && p->items[k].dev->group == g->number &&
			    driver_is_dma_managed(p->items[k].to.driver))
				seen = true;
		if (seen)
			continue; /* one refusal per group */
		for (size_t m = 0; m < g->n_devices; m++) {
			struct device *md = g->devices[m];
			enum dma_role post = md->dma;
			for (size_t k = 0; k < p->n_items; k++)
				if (p->items[k].dev == md && (p->items[k].action == ACT_BIND ||
							      p->items[k].action == ACT_UNBIND))
					post = dma_role_classify(p->items[k].to.driver, false);
			if (post != DMA_KERNEL)
				continue;
			if (md->bridge && !h->kernel.dma_ownership_checks)
				continue; /* old kernels let any bridge pass */
			if (md->bridge) {
				/* --group leaves bridges alone: name it, and how to free it. */
				refuse(p, it->dev, "partial-group",
				       xasprintf("refusing to bind %s to %s: group %d would not be "
						 "usable by VFIO because the bridge %s is on %s, "
						 "which "
						 "uses kernel DMA; unbind it first ('devown unbind "
						 "%s', "
						 "which stops %s for that bridge)",
						 it->dev->addr, it->to.driver, g->number, md->addr,
						 md->driver, md->addr, md->driver));
				continue;
			}
			{
				char *t = xasprintf("%s%s%s on %s", names ? names : "",
						    names ? ", " : "", md->addr, md->driver);
				free(names);
				names = t;
				n++;
			}
		}
		if (n)
			refuse(p, it->dev, "partial-group",
			       xasprintf(
				       "refusing to bind %s to %s: group %d would not be usable "
				       "by VFIO because %s still use%s kernel DMA; add --group to "
				       "move every member of the group",
				       it->dev->addr, it->to.driver, g->number, names,
				       n == 1 ? "s" : ""));
		free(names);
	}
}

static bool overrides_equal(const char *a, const char *b)
{
	return streq_ptr(a, b);
}

/* Rule run: a device a live `devown run` bound stays with the command it runs until that run
 * restores it. Restoring everything leaves such devices out instead of refusing the rest.
 * Returns whether the item was dealt with (nothing more is planned for it). */
static bool check_live_run(const struct change_request *rq, struct plan *p, struct item *it)
{
	const struct journal_entry *e =
		rq->journal ? journal_live_run(rq->journal, it->dev->addr) : NULL;

	if (!e || e->run_pid == rq->run_pid)
		return false;
	it->action = ACT_SKIP;
	if (rq->kind == CHANGE_RESTORE && rq->n_targets == 0) {
		it->note = xasprintf("in use by devown run (pid %d, '%s'); it restores the device "
				     "when its command ends",
				     e->run_pid, e->run_command);
		return true;
	}
	it->note = xasprintf("in use by devown run (pid %d)", e->run_pid);
	refuse(p, it->dev, "run",
	       xasprintf("refusing to %s %s: devown run (pid %d) holds it for '%s' and restores "
			 "it when that command ends; stop the command instead",
			 change_kind_to_string(rq->kind), it->dev->addr, e->run_pid,
			 e->run_command));
	return true;
}

bool item_ends_on_vfio(const struct item *it)
{
	if (it->action == ACT_BIND)
		return driver_is_vfio(it->to.driver);
	if (it->action == ACT_NONE)
		return driver_is_vfio(it->dev->driver);
	return false;
}

static bool has_group_step(const struct plan *p, enum step_kind kind, int group)
{
	for (size_t k = 0; k < p->n_steps; k++)
		if (p->steps[k].kind == kind && p->steps[k].group == group)
			return true;
	return false;
}

/* --owner: one step per group that ends on VFIO, after it is usable. */
static void plan_owner_steps(const struct change_request *rq, struct plan *p)
{
	for (size_t i = 0; i < p->n_items; i++) {
		struct item *it = &p->items[i];
		const struct driver_choice *ch = rq->choices ? &rq->choices[i] : NULL;
		bool own = ch && ch->owner;
		struct step *st;
		if ((!own && !rq->owner) || !item_ends_on_vfio(it) || it->dev->group < 0 ||
		    has_group_step(p, STEP_SET_OWNER, it->dev->group))
			continue;
		add_step(p, STEP_SET_OWNER, NULL, own ? ch->owner : rq->owner, it->dev->group);
		st = &p->steps[p->n_steps - 1];
		st->uid = own ? ch->owner_uid : rq->owner_uid;
		st->gid = own ? ch->owner_gid : rq->owner_gid;
		st->mode = (own ? ch->owner_has_group : rq->owner_has_group) ? 0660 : 0600;
	}
}

/* Restore: nodes devown gave to a user go back first, while they still exist. */
static void plan_restore_owner_steps(const struct change_request *rq, struct plan *p)
{
	for (size_t i = 0; rq->journal && i < p->n_items; i++) {
		struct item *it = &p->items[i];
		const struct journal_entry *e = journal_find(rq->journal, it->dev->addr);
		if (it->action == ACT_SKIP || !e || (!e->group_node.saved && !e->cdev_node.saved) ||
		    it->dev->group < 0 || has_group_step(p, STEP_RESTORE_OWNER, it->dev->group))
			continue;
		add_step(p, STEP_RESTORE_OWNER, NULL, NULL, it->dev->group);
	}
}

static void plan_steps(struct host *h, const struct change_request *rq, struct plan *p)
{
	if (rq->kind == CHANGE_RESTORE)
		plan_restore_owner_steps(rq, p);
	/* Modules first: nothing is written to a device before every driver is there. */
	for (size_t i = 0; i < p->n_items; i++) {
		struct item *it = &p->items[i];
		bool dup = false;
		if ((it->action != ACT_BIND && it->action != ACT_RESTORE) || !it->to_module)
			continue;
		for (size_t k = 0; k < p->n_steps; k++)
			if (p->steps[k].kind == STEP_LOAD_MODULE &&
			    streq(p->steps[k].arg, it->to_module))
				dup = true;
		if (!dup)
			add_step(p, STEP_LOAD_MODULE, NULL, it->to_module, -1);
	}
	/* Only for a device that moves to VFIO: apply may choose VFIO for some devices that are
	 * already there while it moves others to host drivers. */
	for (size_t i = 0; rq->need_type1 && i < p->n_items; i++)
		if (p->items[i].action == ACT_BIND && driver_is_vfio(p->items[i].to.driver)) {
			add_step(p, STEP_LOAD_MODULE, NULL, "vfio_iommu_type1", -1);
			break;
		}

	for (size_t i = 0; i < p->n_items; i++) {
		struct item *it = &p->items[i];
		const char *cur = it->from.driver, *want = it->to.driver;

		switch (it->action) {
		case ACT_BIND:
			/* docs/kernel.md, "Writing to sysfs": override first, so that nothing hands
			 * the device back to its old driver in between. */
			if (!overrides_equal(it->from.driver_override, want))
				add_step(p, STEP_SET_OVERRIDE, it, want, -1);
			if (cur)
				add_step(p, STEP_UNBIND, it, cur, -1);
			add_step(p, STEP_BIND, it, want, -1);
			break;
		case ACT_UNBIND:
			if (!overrides_equal(it->from.driver_override, "none"))
				add_step(p, STEP_SET_OVERRIDE, it, "none", -1);
			if (cur)
				add_step(p, STEP_UNBIND, it, cur, -1);
			break;
		case ACT_RESTORE: {
			struct move_step seq[4];
			size_t n = move_sequence(&it->from, &it->to, seq);
			for (size_t k = 0; k < n; k++)
				add_step(p, seq[k].kind, it, seq[k].arg, -1);
			/* It had no driver because none was loaded yet when devown took it (at
			 * boot, say): give the kernel the choice it would have made then
			 * (docs/kernel.md, "Writing to sysfs"). An original override keeps its
			 * meaning. */
			if (!it->to.driver && !it->to.driver_override)
				add_step(p, STEP_PROBE, it, NULL, -1);
			break;
		}
		case ACT_NONE:
		case ACT_SKIP:
			break;
		}
	}

	/* Every group that gains a VFIO driver must end up usable from /dev/vfio. */
	for (size_t i = 0; i < p->n_items; i++) {
		struct item *it = &p->items[i];
		bool dup = false;
		if (it->action != ACT_BIND || !driver_is_vfio(it->to.driver) || it->dev->group < 0)
			continue;
		for (size_t k = 0; k < p->n_steps; k++)
			if (p->steps[k].kind == STEP_WAIT_VFIO &&
			    p->steps[k].group == it->dev->group)
				dup = true;
		if (dup)
			continue;
		add_step(p, STEP_WAIT_VFIO, NULL, NULL, it->dev->group);
		add_step(p, STEP_CHECK_VIABLE, NULL, NULL, it->dev->group);
	}
	if (rq->kind == CHANGE_BIND)
		plan_owner_steps(rq, p);
	(void)h;
}

void plan_build(struct host *h, const struct change_request *rq, struct device **devs,
		const bool *explicit_target, size_t n, struct plan *ret)
{
	struct plan p = { .kind = rq->kind };
	bool vfio_wanted = false;

	p.items = xcalloc(n + 1, sizeof(struct item));
	p.n_items = n;
	for (size_t i = 0; i < n; i++) {
		struct item *it = &p.items[i];
		it->dev = devs[i];
		it->explicit_target = explicit_target[i];
		it->from.driver = dupn(devs[i]->driver);
		it->from.driver_override = dupn(devs[i]->driver_override);
		if (check_live_run(rq, &p, it))
			continue;
		switch (rq->kind) {
		case CHANGE_BIND:
			/* A choice without a driver ("none") parks the device, as unbind does. */
			if (!rq->choices[i].driver) {
				plan_unbind_item(h, rq, &p, it);
				break;
			}
			if (driver_is_vfio(rq->choices[i].driver))
				vfio_wanted = true;
			plan_bind_item(h, rq, &p, it, &rq->choices[i]);
			break;
		case CHANGE_UNBIND:
			plan_unbind_item(h, rq, &p, it);
			break;
		case CHANGE_RESTORE:
			plan_restore_item(h, rq, &p, it);
			break;
		}
	}
	if (rq->kind == CHANGE_BIND) {
		if (vfio_wanted && !h->kernel.iommu)
			refuse(&p, NULL, "no-iommu",
			       xasprintf("refusing to bind a VFIO driver: no IOMMU is enabled; add "
					 "%s to the kernel command line (and enable VT-d/AMD-Vi in "
					 "the firmware), then reboot",
					 h->kernel.iommu_parameter));
		check_partial_groups(h, &p);
	}
	plan_steps(h, rq, &p);
	*ret = p;
}

bool plan_changes(const struct plan *p)
{
	for (size_t k = 0; k < p->n_steps; k++)
		if (p->steps[k].kind == STEP_SET_OWNER || p->steps[k].kind == STEP_RESTORE_OWNER)
			return true;
	for (size_t i = 0; i < p->n_items; i++)
		if (p->items[i].action == ACT_BIND || p->items[i].action == ACT_UNBIND ||
		    p->items[i].action == ACT_RESTORE)
			return true;
	return false;
}

void plan_done(struct plan *p)
{
	for (size_t i = 0; i < p->n_items; i++) {
		struct item *it = &p->items[i];
		free(it->from.driver);
		free(it->from.driver_override);
		free(it->to.driver);
		free(it->to.driver_override);
		free(it->to_module);
		free(it->note);
	}
	free(p->items);
	for (size_t i = 0; i < p->n_steps; i++)
		free(p->steps[i].arg);
	free(p->steps);
	for (size_t i = 0; i < p->n_refusals; i++)
		free(p->refusals[i].message);
	free(p->refusals);
	strv_free(p->notes);
	memset(p, 0, sizeof(*p));
}

size_t move_sequence(const struct dev_state *cur, const struct dev_state *want,
		     struct move_step out[static 4])
{
	const char *o = want->driver_override;
	bool same_driver = streq_ptr(cur->driver, want->driver);
	bool detour = want->driver && o && !streq(o, want->driver) && !same_driver;
	size_t n = 0;

	if (cur->driver && !same_driver)
		out[n++] = (struct move_step){ STEP_UNBIND, cur->driver };
	if (detour)
		out[n++] = (struct move_step){ STEP_SET_OVERRIDE, want->driver };
	else if (!overrides_equal(cur->driver_override, o))
		out[n++] = (struct move_step){ STEP_SET_OVERRIDE, o };
	if (want->driver && !same_driver)
		out[n++] = (struct move_step){ STEP_BIND, want->driver };
	if (detour)
		out[n++] = (struct move_step){ STEP_SET_OVERRIDE, o };
	return n;
}

void txn_outcome_done(struct txn_outcome *o)
{
	free(o->error);
	strv_free(o->differs);
	strv_free(o->done);
	free(o->detail);
	strv_free(o->journal_errors);
	memset(o, 0, sizeof(*o));
}

char *plan_holders_text(const struct host *h, const struct group *g)
{
	return holders_text(h, g);
}
