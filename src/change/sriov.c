/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Executing an SR-IOV plan (sriov-plan.h): the PF's writes, the bind of the VFs through the
 * bind engine (plan_build + txn_execute, with every check of bind), journal and rollback. */
#include <fcntl.h>

#include "holders.h"
#include "journal-file.h"
#include "report.h"
#include "sriov-plan.h"
#include "sriov-report.h"
#include "sriov.h"
#include "sysfs.h"
#include "txn.h"
#include "util.h"

struct sriov_outcome {
	int exit_code;
	char *error;
	bool rolled_back;
	char **differs;
	char **journal_errors;
	char **vfs_after;    /* the VFs there after a successful run */
	struct plan vf_plan; /* the bind of the VFs, for the report */
	struct host vf_host; /* the scan vf_plan points into */
	bool have_vf_host;
	bool unsupported; /* the PF's driver cannot create VFs (sriov_numvfs: ENOENT) */
};

static void outcome_done(struct sriov_outcome *o)
{
	free(o->error);
	strv_free(o->differs);
	strv_free(o->journal_errors);
	strv_free(o->vfs_after);
	plan_done(&o->vf_plan);
	if (o->have_vf_host)
		host_done(&o->vf_host);
	memset(o, 0, sizeof(*o));
}

static const char *nodrv(const char *d)
{
	return d ? d : "no driver";
}

static void save(const struct journal *j, char ***errors)
{
	char *err = NULL;

	if (journal_save(j, &err) < 0)
		strv_push(errors, err);
}

/* The driver and override of a device as sysfs shows them now; false when it is gone. */
static bool live_state(const char *addr, char **ret_driver, char **ret_override)
{
	_cleanup_close_ int fd = -1;

	*ret_driver = *ret_override = NULL;
	if (sysfs_open_device(addr, &fd) < 0)
		return false;
	if (read_link_base_at(fd, "driver", ret_driver) < 0)
		*ret_driver = NULL;
	*ret_override = sysfs_read_override(fd);
	return true;
}

static bool vf_as_recorded(const struct journal_vf *v)
{
	_cleanup_free_ char *drv = NULL, *ovr = NULL;

	return live_state(v->addr, &drv, &ovr) && streq_ptr(drv, v->driver) &&
	       streq_ptr(ovr, v->driver_override);
}

static char *write_error(const char *what, int r, int timeout_ms)
{
	if (r == -ETIMEDOUT)
		return xasprintf("could not %s: the kernel did not finish within %d s (is user "
				 "space holding a VF?); the write may still take effect",
				 what, (timeout_ms + 999) / 1000);
	if (r == -EBUSY)
		return xasprintf("could not %s: the kernel says busy (VFs are still there, or "
				 "one is in use)",
				 what);
	return xasprintf("could not %s: kernel: %s", what, strerror(-r));
}

/* Waits until the PF shows n VFs (virtfn links to present devices), up to timeout_ms. */
static int wait_vfs(const char *pf, int n, int timeout_ms, char ***ret)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		char **vfs = NULL;
		int r = sysfs_sriov_vfs(pf, &vfs);
		if (r < 0)
			return r;
		if ((int)strv_length(vfs) >= n) {
			if (ret)
				*ret = vfs;
			else
				strv_free(vfs);
			return 0;
		}
		strv_free(vfs);
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(20 * 1000);
	}
}

/* Takes the PF to the state of a record (its count, autoprobe and VFs' drivers), as far as
 * the kernel lets it, and says what still differs: the rollback of a change, and the writes
 * of nothing else. */
static void reach(const struct journal_sriov *want, int timeout_ms, char ***differs)
{
	int n = -1, a = -1;

	(void)sysfs_sriov_read(want->addr, &n, &a);
	if (n != want->numvfs) {
		/* Autoprobe first: the VFs come back on the driver the kernel gives them. */
		if (a >= 0 && a != want->autoprobe)
			(void)sysfs_sriov_set_autoprobe(want->addr, want->autoprobe);
		if (n != 0)
			(void)sysfs_sriov_set_numvfs(want->addr, 0);
		if (want->numvfs > 0 && sysfs_sriov_set_numvfs(want->addr, want->numvfs) >= 0)
			(void)wait_vfs(want->addr, want->numvfs, timeout_ms, NULL);
	}
	for (size_t i = 0; i < want->n_vfs; i++) {
		const struct journal_vf *v = &want->vfs[i];
		struct dev_state st = { .driver = v->driver,
					.driver_override = v->driver_override };
		char *why = NULL;
		if (vf_as_recorded(v))
			continue;
		if (txn_move_device(v->addr, &st, &why) < 0 && why)
			strv_push(differs, why);
		else
			free(why);
	}
	n = a = -1;
	(void)sysfs_sriov_read(want->addr, &n, &a);
	if (a >= 0 && a != want->autoprobe) {
		(void)sysfs_sriov_set_autoprobe(want->addr, want->autoprobe);
		(void)sysfs_sriov_read(want->addr, &n, &a);
	}
	if (n != want->numvfs || a != want->autoprobe)
		strv_push(differs, xasprintf("%s: %d VFs (was %d), sriov_drivers_autoprobe %d "
					     "(was %d)",
					     want->addr, n, want->numvfs, a, want->autoprobe));
}

/* Binds the PF's VFs to the driver through the bind engine, on a fresh scan that sees them. */
static int bind_vfs(struct change_ctx *c, const char *pf, const char *driver_arg,
		    struct sriov_outcome *out)
{
	struct scan_options so = {
		.names = true, .modules = true, .in_use = true, .holders = true
	};
	struct change_request rq = { .kind = CHANGE_BIND,
				     .force = c->cli->force,
				     .driver_arg = driver_arg,
				     .journal = &c->journal };
	_cleanup_free_ struct device **devs = NULL;
	_cleanup_free_ bool *expl = NULL;
	_cleanup_free_ char *err = NULL;
	struct driver_choice *choices = NULL;
	struct txn_outcome t = { 0 };
	struct device *d;
	size_t n = 0;
	int r = 0;

	if (host_scan(&out->vf_host, &so, &err) < 0) {
		out->error = xasprintf("cannot read the new VFs: %s", err);
		return -EIO;
	}
	out->have_vf_host = true;
	d = host_find_device(&out->vf_host, pf);
	n = d ? strv_length(d->sriov_vfs) : 0;
	devs = xcalloc(n + 1, sizeof(*devs));
	expl = xcalloc(n + 1, sizeof(bool));
	choices = xcalloc(n + 1, sizeof(*choices));
	for (size_t i = 0; i < n; i++) {
		struct group *g;
		devs[i] = host_find_device(&out->vf_host, d->sriov_vfs[i]);
		expl[i] = true;
		g = devs[i]->group >= 0 ? host_find_group(&out->vf_host, devs[i]->group) : NULL;
		if (g)
			holders_probe_group(g);
		if (bind_resolve_driver(&out->vf_host, driver_arg, devs[i], &choices[i]) < 0) {
			out->error =
				xasprintf("no driver '%s' for VF %s", driver_arg, devs[i]->addr);
			r = -ENOENT;
			goto out;
		}
	}
	rq.choices = choices;
	change_request_vfio(&rq, n);
	plan_build(&out->vf_host, &rq, devs, expl, n, &out->vf_plan);
	if (out->vf_plan.n_refusals > 0) {
		out->error = xstrdup(out->vf_plan.refusals[0].message);
		r = -EPERM;
		goto out;
	}
	if (!plan_changes(&out->vf_plan))
		goto out;
	txn_execute(&out->vf_host, &c->journal, &out->vf_plan, c->command, c->cli->timeout_ms, &t);
	for (size_t i = 0; t.journal_errors && t.journal_errors[i]; i++)
		strv_push(&out->journal_errors, xstrdup(t.journal_errors[i]));
	if (t.exit_code != EXIT_OK) {
		out->error = xstrdup(t.detail ? t.detail : t.error);
		for (size_t i = 0; t.differs && t.differs[i]; i++)
			strv_push(&out->differs, xstrdup(t.differs[i]));
		r = -EIO;
	}
out:
	txn_outcome_done(&t);
	for (size_t i = 0; i < n; i++)
		driver_choice_done(&choices[i]);
	free(choices);
	return r;
}

/* A record of the PF as it is now: what devown sriov journals before its first write, and
 * what the rollback of a restore goes back to. VFs with an entry of their own (bound by
 * devown before) are recorded with their original state, and the entry handed over. */
static void record_now(struct journal *j, struct host *h, const struct sriov_plan *p,
		       struct journal *into, bool take_entries, const char *command)
{
	struct journal_sriov *rec =
		journal_sriov_add(into, p->pf->addr, p->pf->vendor_id, p->pf->device_id, p->from,
				  p->autoprobe, command);

	for (size_t i = 0; p->pf->sriov_vfs && p->pf->sriov_vfs[i]; i++) {
		struct device *vf = host_find_device(h, p->pf->sriov_vfs[i]);
		struct journal_entry *e =
			take_entries ? journal_find(j, p->pf->sriov_vfs[i]) : NULL;
		if (!vf)
			continue;
		if (e) {
			journal_sriov_add_vf(rec, vf->addr, e->driver, e->driver_override);
			journal_remove(j, vf->addr);
		} else
			journal_sriov_add_vf(rec, vf->addr, vf->driver, vf->driver_override);
	}
}

static void execute(struct change_ctx *c, struct host *h, struct sriov_plan *p, bool restore,
		    const char *driver_arg, struct sriov_outcome *out)
{
	struct journal *j = &c->journal;
	struct journal before, target = { 0 };
	const char *pf = p->pf->addr;
	_cleanup_strv_free_ char **addrs = NULL;
	struct journal_sriov *rec;
	int timeout = c->cli->timeout_ms;
	int n = -1, a = -1, r;

	/* What a successful rollback saves back: the journal exactly (journal_copy). */
	if (journal_copy(j, &before) < 0) {
		out->error = xstrdup("the journal holds what it could not read back; nothing was "
				     "changed");
		out->exit_code = EXIT_FAILED;
		return;
	}
	/* Journal first: a devown killed after any write leaves enough behind for restore. The
	 * rollback of a change goes back to the record (the first change wins, as for bind), the
	 * rollback of a restore to the state it started from. */
	if (restore)
		record_now(j, h, p, &target, false, c->command);
	else {
		if (!journal_sriov_find(j, pf))
			record_now(j, h, p, j, true, c->command);
		journal_sriov_copy(&target, j);
		for (size_t i = target.n_sriov; i-- > 0;)
			if (!streq(target.sriov[i].addr, pf))
				journal_sriov_remove(&target, target.sriov[i].addr);
	}
	strv_push(&addrs, xstrdup(pf));
	journal_begin(j, c->command, addrs);
	r = journal_save(j, &out->error);
	if (r < 0) {
		char *t = xasprintf("could not write the journal; nothing was changed (%s)",
				    out->error);
		free(out->error);
		out->error = t;
		out->exit_code = EXIT_FAILED;
		journal_done(j);
		*j = before;
		journal_done(&target);
		return;
	}

	for (size_t s = 0; s < p->n_steps && !out->error; s++) {
		const struct sriov_step *st = &p->steps[s];
		_cleanup_free_ char *what = NULL;
		switch (st->kind) {
		case SRIOV_STEP_AUTOPROBE:
			r = sysfs_sriov_set_autoprobe(pf, st->value);
			what = xasprintf("set sriov_drivers_autoprobe of %s to %d", pf, st->value);
			break;
		case SRIOV_STEP_NUMVFS:
			r = sysfs_sriov_set_numvfs(pf, st->value);
			what = xasprintf("set sriov_numvfs of %s to %d", pf, st->value);
			/* The kernel's answer when the PF's driver has no sriov_configure: the
			 * request cannot be met, like a count above sriov_totalvfs. */
			if (r == -ENOENT && st->value > 0) {
				out->error =
					xasprintf("%s: its driver %s does not support creating "
						  "VFs (sriov_configure)",
						  pf, nodrv(p->pf->driver));
				out->unsupported = true;
				continue;
			}
			break;
		case SRIOV_STEP_WAIT_VFS:
			r = wait_vfs(pf, st->value, timeout, NULL);
			if (r < 0)
				out->error =
					xasprintf("the %d VFs of %s did not appear within %d s",
						  st->value, pf, (timeout + 999) / 1000);
			continue;
		case SRIOV_STEP_BIND_VFS:
			(void)bind_vfs(c, pf, driver_arg, out);
			/* txn_execute ended its own transaction: this one goes on. */
			journal_begin(j, c->command, addrs);
			save(j, &out->journal_errors);
			continue;
		case SRIOV_STEP_RESTORE_VFS: {
			struct journal_sriov *want = journal_sriov_find(j, pf);
			for (size_t i = 0; want && i < want->n_vfs && !out->error; i++) {
				const struct journal_vf *v = &want->vfs[i];
				struct dev_state ds = { .driver = v->driver,
							.driver_override = v->driver_override };
				char *why = NULL;
				if (vf_as_recorded(v))
					continue;
				if (txn_move_device(v->addr, &ds, &why) < 0)
					out->error = xasprintf(
						"could not give VF %s back to %s: %s", v->addr,
						nodrv(v->driver), why ? why : "kernel error");
				free(why);
			}
			continue;
		}
		}
		if (r < 0)
			out->error = write_error(what, r, timeout);
	}
	if (!out->error) {
		r = sysfs_sriov_read(pf, &n, &a);
		if (r < 0 || n != p->to || a != p->final_autoprobe)
			out->error =
				xasprintf("%s ended with %d VFs and sriov_drivers_autoprobe %d, "
					  "not %d and %d",
					  pf, n, a, p->to, p->final_autoprobe);
	}

	if (!out->error) {
		(void)sysfs_sriov_vfs(pf, &out->vfs_after);
		log_change("%s [%04x:%04x] %s: %d VFs -> %d VFs%s%s", pf, p->pf->vendor_id,
			   p->pf->device_id, c->command, p->from, p->to,
			   p->vf_driver && p->to > 0 ? " on " : "",
			   p->vf_driver && p->to > 0 ? p->vf_driver : "");
		rec = journal_sriov_find(j, pf);
		/* Back as it was: the record has done its job. */
		if (rec &&
		    (restore || (p->to == rec->numvfs && p->final_autoprobe == rec->autoprobe))) {
			bool same = true;
			for (size_t i = 0; i < rec->n_vfs; i++)
				same &= vf_as_recorded(&rec->vfs[i]);
			if (same || restore)
				journal_sriov_remove(j, pf);
		}
		journal_end(j);
		save(j, &out->journal_errors);
		out->exit_code = EXIT_OK;
		journal_done(&before);
		journal_done(&target);
		return;
	}

	/* Roll back: back to the record. */
	if (target.n_sriov)
		reach(&target.sriov[0], timeout, &out->differs);
	if (out->differs) {
		/* Keep the record: `devown restore` can try again later. */
		journal_end(j);
		save(j, &out->journal_errors);
		out->exit_code = EXIT_UNDO_FAILED;
		log_change("%s: %s failed and could not be fully undone", pf, c->command);
	} else {
		save(&before, &out->journal_errors);
		journal_done(j);
		*j = before;
		memset(&before, 0, sizeof(before));
		out->rolled_back = true;
		out->exit_code = EXIT_FAILED;
	}
	journal_done(&before);
	journal_done(&target);
}

/* ---- reports ---- */

static json_object *sriov_json(const struct sriov_plan *sp, const struct sriov_outcome *o)
{
	bool known = o && o->exit_code == EXIT_OK && o->vfs_after;

	if (known)
		return sriov_plan_to_json(sp, o->vfs_after);
	/* Without a change the VFs are those there now. */
	if (!sriov_plan_changes(sp) || (o && o->rolled_back)) {
		char *const empty[] = { NULL };
		return sriov_plan_to_json(sp, sp->pf->sriov_vfs ? sp->pf->sriov_vfs : empty);
	}
	return sriov_plan_to_json(sp, NULL);
}

static int finish(struct change_ctx *c, const struct sriov_plan *sp, const char *driver_arg,
		  const char *result, const char *error, const struct sriov_outcome *o, int code)
{
	struct plan tmp = { .kind = CHANGE_BIND };
	const struct plan *p = &tmp;
	struct txn_outcome to = { 0 };
	json_object *j;

	if (!c->cli->out.json)
		return code;
	if (o && (o->vf_plan.n_items || o->vf_plan.n_refusals))
		p = &o->vf_plan;
	if (sp && sp->n_refusals) {
		tmp.refusals = sp->refusals;
		tmp.n_refusals = sp->n_refusals;
		p = &tmp;
	}
	if (p == &tmp && sp)
		tmp.notes = sp->notes;
	if (o) {
		to.rolled_back = o->rolled_back;
		to.differs = o->differs;
	}
	j = report_json(p, c->json_command ? c->json_command : change_kind_to_string(c->kind),
			driver_arg, c->cli->dry_run, result, error, &to);
	json_object_object_add(j, "changed",
			       json_object_new_boolean(streq(result, RESULT_DONE) && sp &&
						       sriov_plan_changes(sp)));
	if (c->kind == CHANGE_RESTORE) {
		/* restore reports every PF it gave back its VFs, in an array. */
		json_object *a = json_object_new_array();
		json_object_array_add(a, sriov_json(sp, o));
		json_object_object_add(j, "sriov", a);
	} else if (sp)
		json_object_object_add(j, "sriov", sriov_json(sp, o));
	json_print(j);
	json_object_put(j);
	return code;
}

static void probe_vf_groups(struct host *h, const struct device *pf)
{
	for (size_t i = 0; pf->sriov_vfs && pf->sriov_vfs[i]; i++) {
		struct device *vf = host_find_device(h, pf->sriov_vfs[i]);
		struct group *g = vf && vf->group >= 0 ? host_find_group(h, vf->group) : NULL;
		if (g)
			holders_probe_group(g);
	}
}

/* COUNT: a decimal number, no sign. */
static int parse_count(const char *s, int *ret)
{
	char *end;
	long v;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/* The bind plan of VFs that stay, for a dry run or the refusals of a real one. */
static void plan_rebind(struct change_ctx *c, const struct sriov_plan *sp, const char *driver_arg,
			struct plan *ret)
{
	struct change_request rq = { .kind = CHANGE_BIND,
				     .force = c->cli->force,
				     .driver_arg = driver_arg,
				     .journal = &c->journal,
				     .unprivileged = c->cli->dry_run && geteuid() != 0 };
	_cleanup_free_ bool *expl = xcalloc(sp->n_rebind + 1, sizeof(bool));
	struct driver_choice *choices = xcalloc(sp->n_rebind + 1, sizeof(*choices));

	for (size_t i = 0; i < sp->n_rebind; i++) {
		expl[i] = true;
		(void)bind_resolve_driver(&c->host, driver_arg, sp->rebind[i], &choices[i]);
	}
	rq.choices = choices;
	change_request_vfio(&rq, sp->n_rebind);
	plan_build(&c->host, &rq, sp->rebind, expl, sp->n_rebind, ret);
	for (size_t i = 0; i < sp->n_rebind; i++)
		driver_choice_done(&choices[i]);
	free(choices);
}

int sriov_main(const char *pf_arg, const char *count_arg, const char *driver_arg,
	       const struct change_options *cli_in)
{
	struct change_options cli = *cli_in;
	char pf[PCI_ADDR_MAX];
	_cleanup_free_ char *command = NULL, *err = NULL, *vf_driver = NULL;
	struct sriov_request rq = { 0 };
	struct sriov_plan sp = { 0 };
	struct sriov_outcome out = { 0 };
	struct plan rebind = { .kind = CHANGE_BIND };
	struct change_ctx c;
	struct device *pfd;
	int count, code;

	if (pci_addr_normalize(pf_arg, pf) < 0) {
		log_error("'%s' is not a PCI address (DOMAIN:BUS:DEV.FN such as 0000:03:00.0, or "
			  "BUS:DEV.FN)",
			  pf_arg);
		return EXIT_USAGE;
	}
	if (parse_count(count_arg, &count) < 0) {
		log_error("invalid VF count '%s': give a number from 0 to the PF's sriov_totalvfs",
			  count_arg);
		return EXIT_USAGE;
	}
	if (streq_ptr(driver_arg, "none")) {
		log_error("--driver none: give the driver the VFs go to (vfio, vfio-pci, ...), or "
			  "no --driver for the kernel's choice");
		return EXIT_USAGE;
	}
	command = xasprintf("sriov %s %d%s%s", pf, count, driver_arg ? " --driver " : "",
			    driver_arg ? driver_arg : "");
	cli.json_command = "sriov";
	code = change_begin(&c, CHANGE_BIND, command, driver_arg, &cli);
	if (code >= 0)
		goto out;
	if (sriov_check(&c.host, pf, count, &err) < 0) {
		log_error("%s", err);
		code = EXIT_USAGE;
		goto out;
	}
	pfd = host_find_device(&c.host, pf);
	if (driver_arg) {
		/* The name the VFs will get: the first VF's, or the PF's (for vfio, the VFIO driver
		 * matching it); each new VF is resolved again once it is there. */
		struct device *probe =
			pfd->sriov_vfs ? host_find_device(&c.host, pfd->sriov_vfs[0]) : NULL;
		struct driver_choice ch = { 0 };
		if (bind_resolve_driver(&c.host, driver_arg, probe ? probe : pfd, &ch) < 0 ||
		    !ch.driver) {
			log_error("unknown driver '%s': no PCI driver of that name is registered "
				  "and no kernel module provides it (try 'vfio' or 'vfio-pci')",
				  driver_arg);
			driver_choice_done(&ch);
			code = EXIT_USAGE;
			goto out;
		}
		vf_driver = xstrdup(ch.driver);
		driver_choice_done(&ch);
	}
	probe_vf_groups(&c.host, pfd);
	rq = (struct sriov_request){ .pf = pf,
				     .count = count,
				     .vf_driver = vf_driver,
				     .force = cli.force,
				     .unprivileged = cli.dry_run && geteuid() != 0,
				     .journal = &c.journal };
	sriov_plan_build(&c.host, &rq, &sp);
	if (sp.n_rebind)
		plan_rebind(&c, &sp, driver_arg, &rebind);

	if (sp.n_refusals || rebind.n_refusals) {
		for (size_t i = 0; i < sp.n_refusals; i++)
			log_error("%s", sp.refusals[i].message);
		for (size_t i = 0; i < rebind.n_refusals; i++)
			log_error("%s", rebind.refusals[i].message);
		fprintf(stderr, "devown: nothing was changed.\n");
		out.vf_plan = rebind;
		memset(&rebind, 0, sizeof(rebind));
		code = finish(&c, &sp, driver_arg, RESULT_REFUSED, NULL, &out, EXIT_REFUSED);
		goto out;
	}
	if (cli.dry_run) {
		if (!cli.out.json) {
			sriov_print_dry_run(&sp, &rebind, command);
		}
		out.vf_plan = rebind;
		memset(&rebind, 0, sizeof(rebind));
		code = finish(&c, &sp, driver_arg,
			      sriov_plan_changes(&sp) ? RESULT_WOULD_CHANGE : RESULT_UNCHANGED,
			      NULL, &out, EXIT_OK);
		goto out;
	}
	if (!sriov_plan_changes(&sp)) {
		if (!cli.out.json)
			sriov_print_unchanged(&sp);
		code = finish(&c, &sp, driver_arg, RESULT_UNCHANGED, NULL, &out, EXIT_OK);
		goto out;
	}

	execute(&c, &c.host, &sp, false, driver_arg, &out);
	for (size_t i = 0; out.journal_errors && out.journal_errors[i]; i++)
		log_error("%s", out.journal_errors[i]);
	if (out.exit_code == EXIT_OK) {
		if (!cli.out.json) {
			sriov_result_text(&sp, false, stdout);
			report_print_done(&out.vf_plan);
		}
		code = finish(&c, &sp, driver_arg, RESULT_DONE, NULL, &out, EXIT_OK);
	} else if (out.exit_code == EXIT_FAILED) {
		log_error("%s; every change was undone, the host is as it was before", out.error);
		code = finish(&c, &sp, driver_arg, RESULT_FAILED, out.error, &out,
			      out.unsupported ? EXIT_USAGE : EXIT_FAILED);
	} else {
		log_error("%s; undoing it failed too, these differ from before:", out.error);
		for (size_t i = 0; out.differs && out.differs[i]; i++)
			fprintf(stderr, "  %s\n", out.differs[i]);
		fprintf(stderr,
			"devown: the journal keeps the original state: try 'devown restore "
			"%s' once the cause is fixed\n",
			pf);
		code = finish(&c, &sp, driver_arg, RESULT_UNDO_FAILED, out.error, &out,
			      EXIT_UNDO_FAILED);
	}
out:
	plan_done(&rebind);
	outcome_done(&out);
	sriov_plan_done(&sp);
	change_end(&c);
	return code;
}

/* ---- restore ---- */

static bool target_names(const struct change_request *rq, const char *addr)
{
	for (size_t i = 0; i < rq->n_targets; i++)
		if (rq->targets[i].kind == TARGET_DEVICE && streq(rq->targets[i].addr, addr))
			return true;
	return false;
}

static void drop_target(struct change_request *rq, const char *addr)
{
	for (size_t i = 0; i < rq->n_targets; i++)
		if (rq->targets[i].kind == TARGET_DEVICE && streq(rq->targets[i].addr, addr)) {
			memmove(&rq->targets[i], &rq->targets[i + 1],
				(rq->n_targets - i - 1) * sizeof(*rq->targets));
			rq->n_targets--;
			return;
		}
}

int sriov_restore(struct change_ctx *c, struct change_request *rq, json_object **ret_json,
		  bool *ret_changed)
{
	_cleanup_strv_free_ char **pfs = NULL;
	bool all = rq->n_targets == 0;
	int code = -1;

	*ret_json = NULL;
	*ret_changed = false;
	/* A VF of a PF on record, without an entry of its own: its state is the PF's record. */
	for (size_t i = 0; i < rq->n_targets; i++) {
		const struct target *t = &rq->targets[i];
		struct device *d =
			t->kind == TARGET_DEVICE ? host_find_device(&c->host, t->addr) : NULL;
		if (d && d->physfn && journal_sriov_find(&c->journal, d->physfn) &&
		    !journal_find(&c->journal, d->addr)) {
			log_error("%s is a VF of %s, whose VFs devown changed: restore its PF "
				  "('devown restore %s'), which gives back the VFs it had",
				  d->addr, d->physfn, d->physfn);
			return EXIT_USAGE;
		}
	}
	for (size_t i = 0; i < c->journal.n_sriov; i++)
		if (all || target_names(rq, c->journal.sriov[i].addr))
			strv_push(&pfs, xstrdup(c->journal.sriov[i].addr));
	for (size_t i = 0; pfs && pfs[i]; i++) {
		struct sriov_request srq = { .pf = pfs[i],
					     .restore = true,
					     .journal = &c->journal,
					     .unprivileged = c->cli->dry_run && geteuid() != 0 };
		struct sriov_plan sp = { 0 };
		struct sriov_outcome out = { 0 };
		struct device *pfd = host_find_device(&c->host, pfs[i]);

		if (!all)
			drop_target(rq, pfs[i]);
		if (!pfd || pfd->sriov_totalvfs < 0) {
			log_notice("%s is no longer an SR-IOV PF here; forgetting its record",
				   pfs[i]);
			if (!c->cli->dry_run) {
				char **errs = NULL;
				journal_sriov_remove(&c->journal, pfs[i]);
				save(&c->journal, &errs);
				for (size_t k = 0; errs && errs[k]; k++)
					log_error("%s", errs[k]);
				strv_free(errs);
			}
			continue;
		}
		probe_vf_groups(&c->host, pfd);
		sriov_plan_build(&c->host, &srq, &sp);
		if (sp.n_refusals) {
			for (size_t k = 0; k < sp.n_refusals; k++)
				log_error("%s", sp.refusals[k].message);
			fprintf(stderr, "devown: nothing was changed.\n");
			code = finish(c, &sp, NULL, RESULT_REFUSED, NULL, NULL, EXIT_REFUSED);
		} else if (c->cli->dry_run || !sriov_plan_changes(&sp)) {
			if (!c->cli->out.json) {
				sriov_plan_text(&sp, stdout);
				sriov_result_text(&sp, c->cli->dry_run, stdout);
			}
			if (!c->cli->dry_run) {
				char **errs = NULL;
				journal_sriov_remove(&c->journal, pfs[i]);
				save(&c->journal, &errs);
				strv_free(errs);
			}
		} else {
			execute(c, &c->host, &sp, true, NULL, &out);
			for (size_t k = 0; out.journal_errors && out.journal_errors[k]; k++)
				log_error("%s", out.journal_errors[k]);
			if (out.exit_code == EXIT_OK) {
				*ret_changed = true;
				if (!c->cli->out.json)
					sriov_result_text(&sp, false, stdout);
			} else {
				log_error("%s%s", out.error,
					  out.exit_code == EXIT_FAILED
						  ? "; every change was undone, the host is as it "
						    "was before"
						  : "; undoing it failed too, these differ from "
						    "before:");
				for (size_t k = 0; out.differs && out.differs[k]; k++)
					fprintf(stderr, "  %s\n", out.differs[k]);
				code = finish(c, &sp, NULL,
					      out.exit_code == EXIT_FAILED ? RESULT_FAILED
									   : RESULT_UNDO_FAILED,
					      out.error, &out, out.exit_code);
			}
		}
		if (code < 0) {
			if (!*ret_json)
				*ret_json = json_object_new_array();
			json_object_array_add(*ret_json, sriov_json(&sp, &out));
		}
		outcome_done(&out);
		sriov_plan_done(&sp);
		if (code >= 0)
			break;
	}
	if (code >= 0) {
		json_object_put(*ret_json);
		*ret_json = NULL;
	}
	return code;
}

/* ---- apply ---- */

/* The VF driver's name for a PF's VFs (see sriov_main). */
static int resolve_vf_driver(struct host *h, struct device *pfd, const char *arg, char **ret)
{
	struct device *probe = pfd->sriov_vfs ? host_find_device(h, pfd->sriov_vfs[0]) : NULL;
	struct driver_choice ch = { 0 };
	int r = bind_resolve_driver(h, arg, probe ? probe : pfd, &ch);

	if (r >= 0 && !ch.driver)
		r = -EINVAL;
	*ret = r >= 0 ? xstrdup(ch.driver) : NULL;
	driver_choice_done(&ch);
	return r;
}

static int apply_one(struct change_ctx *c, struct host *h, const struct sriov_want *w,
		     json_object *array, bool *changed)
{
	_cleanup_free_ char *err = NULL, *vf_driver = NULL;
	struct sriov_request rq = { 0 };
	struct sriov_plan sp = { 0 };
	struct sriov_outcome out = { 0 };
	struct device *pfd;
	int code = 0;

	if (sriov_check(h, w->pf, w->count, &err) < 0) {
		pfd = host_find_device(h, w->pf);
		if (c->cli->dry_run && pfd && !pfd->driver && pfd->sriov_totalvfs >= 0) {
			if (!c->cli->out.json)
				sriov_print_pending(w->pf, w->entry, w->count);
			return 0;
		}
		log_error("entry '%s': %s", w->entry, err);
		return EXIT_FAILED;
	}
	pfd = host_find_device(h, w->pf);
	if (w->vf_driver && resolve_vf_driver(h, pfd, w->vf_driver, &vf_driver) < 0) {
		log_error("entry '%s': unknown vf_driver '%s': no PCI driver of that name is "
			  "registered and no kernel module provides it",
			  w->entry, w->vf_driver);
		return EXIT_USAGE;
	}
	probe_vf_groups(h, pfd);
	rq = (struct sriov_request){ .pf = w->pf,
				     .count = w->count,
				     .vf_driver = vf_driver,
				     .force = c->cli->force,
				     .unprivileged = c->cli->dry_run && geteuid() != 0,
				     .journal = &c->journal };
	sriov_plan_build(h, &rq, &sp);
	if (sp.n_refusals) {
		for (size_t i = 0; i < sp.n_refusals; i++)
			log_error("%s", sp.refusals[i].message);
		code = EXIT_REFUSED;
	} else if (c->cli->dry_run) {
		*changed |= sriov_plan_changes(&sp);
		if (!c->cli->out.json) {
			sriov_plan_text(&sp, stdout);
			sriov_result_text(&sp, true, stdout);
		}
	} else if (!sriov_plan_changes(&sp)) {
		if (!c->cli->out.json)
			sriov_result_text(&sp, false, stdout);
	} else {
		execute(c, h, &sp, false, w->vf_driver, &out);
		for (size_t i = 0; out.journal_errors && out.journal_errors[i]; i++)
			log_error("%s", out.journal_errors[i]);
		if (out.exit_code == EXIT_OK) {
			*changed = true;
			if (!c->cli->out.json)
				sriov_result_text(&sp, false, stdout);
		} else {
			log_error("entry '%s': %s%s", w->entry, out.error,
				  out.exit_code == EXIT_FAILED
					  ? "; every change was undone, the PF is as it was before"
					  : "; undoing it failed too, these differ from before:");
			for (size_t i = 0; out.differs && out.differs[i]; i++)
				fprintf(stderr, "  %s\n", out.differs[i]);
			code = out.exit_code;
		}
	}
	json_object_array_add(array, sriov_json(&sp, &out));
	outcome_done(&out);
	sriov_plan_done(&sp);
	return code;
}

int sriov_apply(struct change_ctx *c, const struct sriov_want *w, size_t n, json_object **ret_json,
		bool *ret_changed)
{
	struct scan_options so = {
		.names = true, .modules = true, .in_use = true, .holders = true
	};
	_cleanup_free_ char *err = NULL;
	struct host h;
	int code = 0;

	*ret_json = json_object_new_array();
	*ret_changed = false;
	if (n == 0)
		return 0;
	/* A fresh look: the bind before may have given a PF its driver. */
	if (host_scan(&h, &so, &err) < 0) {
		log_error("%s", err);
		return EXIT_FAILED;
	}
	for (size_t i = 0; i < n; i++) {
		/* The worst wins: undo failed, failed, refused, usage. */
		static const int rank[] = { [EXIT_OK] = 0,
					    [EXIT_USAGE] = 1,
					    [EXIT_REFUSED] = 2,
					    [EXIT_FAILED] = 3,
					    [EXIT_UNDO_FAILED] = 4 };
		int r = apply_one(c, &h, &w[i], *ret_json, ret_changed);
		if (rank[r] > rank[code])
			code = r;
	}
	host_done(&h);
	return code;
}
