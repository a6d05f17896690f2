/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sriov-plan.h"
#include "util.h"

const char *sriov_step_kind_to_string(enum sriov_step_kind k)
{
	static const char *const names[] = { "set-autoprobe", "set-numvfs", "wait-vfs", "bind-vfs",
					     "restore-vfs" };
	return names[k];
}

int sriov_check(struct host *h, const char *pf, int count, char **ret_error)
{
	struct device *d = host_find_device(h, pf);

	if (!d) {
		*ret_error = xasprintf("there is no PCI device %s; 'devown status' lists the "
				       "devices",
				       pf);
		return -ENOENT;
	}
	if (d->physfn) {
		*ret_error = xasprintf("%s is a virtual function of %s: give the physical "
				       "function",
				       pf, d->physfn);
		return -EINVAL;
	}
	if (d->sriov_totalvfs < 0) {
		*ret_error = xasprintf("%s does not support SR-IOV (it has no sriov_totalvfs)", pf);
		return -EINVAL;
	}
	if (!d->driver || d->sriov_numvfs < 0) {
		*ret_error = xasprintf("%s has no driver, and only a PF's driver creates VFs "
				       "(sriov_numvfs); bind it to its driver first",
				       pf);
		return -EINVAL;
	}
	if (count > d->sriov_totalvfs) {
		*ret_error = xasprintf("%s supports at most %d VF%s (sriov_totalvfs)", pf,
				       d->sriov_totalvfs, d->sriov_totalvfs == 1 ? "" : "s");
		return -EINVAL;
	}
	return 0;
}

static void refuse(struct sriov_plan *p, struct device *d, const char *rule, char *message)
{
	p->refusals = xrealloc(p->refusals, (p->n_refusals + 1) * sizeof(*p->refusals));
	p->refusals[p->n_refusals++] =
		(struct refusal){ .dev = d, .rule = rule, .message = message };
}

static void add_step(struct sriov_plan *p, enum sriov_step_kind kind, int value)
{
	p->steps = xrealloc(p->steps, (p->n_steps + 1) * sizeof(*p->steps));
	p->steps[p->n_steps++] = (struct sriov_step){ .kind = kind, .value = value };
}

static void add_dev(struct device ***v, size_t *n, struct device *d)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = d;
}

static char *vf_who(const struct device *vf)
{
	if (vf->group >= 0)
		return xasprintf("VF %s (group %d)", vf->addr, vf->group);
	return xasprintf("VF %s (no IOMMU group)", vf->addr);
}

/* Every VF goes when the count changes: the kernel removes them all on the write of 0. */
static void check_removed(struct host *h, const struct sriov_request *rq, struct sriov_plan *p,
			  const char *verb)
{
	bool force = rq->force && !rq->restore;

	for (size_t i = 0; i < p->n_removed; i++) {
		struct device *vf = p->removed[i];
		struct group *g = vf->group >= 0 ? host_find_group(h, vf->group) : NULL;
		_cleanup_free_ char *w = vf_who(vf);

		if (group_held(g)) {
			_cleanup_free_ char *holders = plan_holders_text(h, g);
			refuse(p, vf, "sriov",
			       xasprintf("refusing to %s %s: its %s is in use by %s; removing "
					 "the VFs would hang until that lets go. Stop the VM or "
					 "program first",
					 verb, p->pf->addr, w, holders));
			continue;
		}
		/* A VF bound for a live `devown run` must not go from under its command. */
		const struct journal_entry *run =
			rq->journal ? journal_live_run(rq->journal, vf->addr) : NULL;
		if (run) {
			refuse(p, vf, "sriov",
			       xasprintf("refusing to %s %s: its %s is bound for a running "
					 "'devown run' (pid %d, '%s'); let that command end first",
					 verb, p->pf->addr, w, run->run_pid, run->run_command));
			continue;
		}
		if (force)
			continue;
		for (size_t k = 0; k < vf->n_in_use; k++) {
			const struct in_use *u = &vf->in_use[k];
			refuse(p, vf, "sriov",
			       xasprintf("refusing to %s %s: the host uses its %s: %s %s%s%s%s%s",
					 verb, p->pf->addr, w, u->kind, u->name,
					 u->detail ? " (" : "", u->detail ? u->detail : "",
					 u->detail ? ")" : "",
					 rq->restore ? "; stop using it first"
						     : "; add --force to let it go"));
		}
		for (size_t k = 0; vf->in_use_unknown && vf->in_use_unknown[k]; k++)
			if (rq->unprivileged)
				strv_push(&p->notes,
					  xasprintf("%s: not checked as a normal user: %s",
						    vf->addr, vf->in_use_unknown[k]));
			else
				refuse(p, vf, "sriov",
				       xasprintf("refusing to %s %s: devown cannot tell whether "
						 "the host uses its %s (%s)%s",
						 verb, p->pf->addr, w, vf->in_use_unknown[k],
						 rq->restore ? "" : "; add --force to let it go"));
	}
}

static void plan_forward(struct host *h, const struct sriov_request *rq, struct sriov_plan *p)
{
	bool autoprobe_off;

	p->to = rq->count;
	p->final_autoprobe = p->autoprobe;
	p->vf_driver = rq->vf_driver ? xstrdup(rq->vf_driver) : NULL;
	if (p->from == p->to) {
		for (size_t i = 0; p->vf_driver && p->pf->sriov_vfs && p->pf->sriov_vfs[i]; i++) {
			struct device *vf = host_find_device(h, p->pf->sriov_vfs[i]);
			if (vf && !streq_ptr(vf->driver, p->vf_driver))
				add_dev(&p->rebind, &p->n_rebind, vf);
		}
		if (p->n_rebind)
			add_step(p, SRIOV_STEP_BIND_VFS, 0);
		else if (p->vf_driver && p->to > 0)
			p->note = xasprintf("already %d VF%s on %s", p->to, p->to == 1 ? "" : "s",
					    p->vf_driver);
		else
			p->note = xasprintf("already %d VF%s", p->to, p->to == 1 ? "" : "s");
		return;
	}
	for (size_t i = 0; p->pf->sriov_vfs && p->pf->sriov_vfs[i]; i++) {
		struct device *vf = host_find_device(h, p->pf->sriov_vfs[i]);
		if (vf)
			add_dev(&p->removed, &p->n_removed, vf);
	}
	check_removed(h, rq, p, "change the VF count of");
	autoprobe_off = p->vf_driver && p->to > 0 && p->autoprobe != 0;
	if (autoprobe_off)
		add_step(p, SRIOV_STEP_AUTOPROBE, 0);
	if (p->from > 0)
		add_step(p, SRIOV_STEP_NUMVFS, 0);
	if (p->to > 0) {
		add_step(p, SRIOV_STEP_NUMVFS, p->to);
		add_step(p, SRIOV_STEP_WAIT_VFS, p->to);
		if (p->vf_driver)
			add_step(p, SRIOV_STEP_BIND_VFS, 0);
	}
	if (autoprobe_off)
		add_step(p, SRIOV_STEP_AUTOPROBE, p->autoprobe);
}

/* Whether a journalled VF is not as it was. */
static bool vf_differs(struct host *h, const struct journal_vf *v)
{
	struct device *vf = host_find_device(h, v->addr);

	return !vf || !streq_ptr(vf->driver, v->driver) ||
	       !streq_ptr(vf->driver_override, v->driver_override);
}

static void plan_restore(struct host *h, const struct sriov_request *rq, struct sriov_plan *p)
{
	struct journal_sriov *rec = journal_sriov_find(rq->journal, p->pf->addr);
	bool vfs_differ = false;

	if (!rec) {
		p->to = p->from;
		p->final_autoprobe = p->autoprobe;
		p->note = xstrdup("devown has not changed its VFs; nothing to restore");
		return;
	}
	p->to = rec->numvfs;
	p->final_autoprobe = rec->autoprobe;
	if (p->pf->vendor_id != rec->vendor_id || p->pf->device_id != rec->device_id) {
		refuse(p, p->pf, "identity",
		       xasprintf("refusing to restore %s: it is now %04x:%04x, not the %04x:%04x "
				 "devown changed (was the hardware replaced or renumbered?); "
				 "remove its record from the journal by hand",
				 p->pf->addr, p->pf->vendor_id, p->pf->device_id, rec->vendor_id,
				 rec->device_id));
		return;
	}
	for (size_t i = 0; i < rec->n_vfs; i++)
		vfs_differ |= vf_differs(h, &rec->vfs[i]);
	if (p->from != p->to) {
		for (size_t i = 0; p->pf->sriov_vfs && p->pf->sriov_vfs[i]; i++) {
			struct device *vf = host_find_device(h, p->pf->sriov_vfs[i]);
			if (vf)
				add_dev(&p->removed, &p->n_removed, vf);
		}
		check_removed(h, rq, p, "restore");
		/* Autoprobe first: the VFs come back on the driver the kernel gives them, as
		 * they did before devown. */
		if (p->autoprobe != p->final_autoprobe)
			add_step(p, SRIOV_STEP_AUTOPROBE, p->final_autoprobe);
		if (p->from > 0)
			add_step(p, SRIOV_STEP_NUMVFS, 0);
		if (p->to > 0) {
			add_step(p, SRIOV_STEP_NUMVFS, p->to);
			add_step(p, SRIOV_STEP_WAIT_VFS, p->to);
			if (rec->n_vfs)
				add_step(p, SRIOV_STEP_RESTORE_VFS, 0);
		}
		return;
	}
	if (vfs_differ)
		add_step(p, SRIOV_STEP_RESTORE_VFS, 0);
	if (p->autoprobe != p->final_autoprobe)
		add_step(p, SRIOV_STEP_AUTOPROBE, p->final_autoprobe);
	if (!p->n_steps)
		p->note = xasprintf("already back to %d VF%s", p->to, p->to == 1 ? "" : "s");
}

void sriov_plan_build(struct host *h, const struct sriov_request *rq, struct sriov_plan *ret)
{
	struct sriov_plan p = { 0 };

	p.pf = host_find_device(h, rq->pf);
	p.from = p.pf->sriov_numvfs > 0 ? p.pf->sriov_numvfs : 0;
	/* The kernel's default; a kernel without the attribute probes always. */
	p.autoprobe = p.pf->sriov_autoprobe == 0 ? 0 : 1;
	if (rq->restore)
		plan_restore(h, rq, &p);
	else
		plan_forward(h, rq, &p);
	*ret = p;
}

bool sriov_plan_changes(const struct sriov_plan *p)
{
	return p->n_steps > 0;
}

void sriov_plan_done(struct sriov_plan *p)
{
	free(p->vf_driver);
	free(p->removed);
	free(p->rebind);
	free(p->steps);
	for (size_t i = 0; i < p->n_refusals; i++)
		free(p->refusals[i].message);
	free(p->refusals);
	strv_free(p->notes);
	free(p->note);
	memset(p, 0, sizeof(*p));
}
