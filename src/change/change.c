/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>

#include "change.h"
#include "config.h"
#include "journal-file.h"
#include "lock.h"
#include "nodes.h"
#include "holders.h"
#include "policy.h"
#include "report.h"
#include "scan.h"
#include "sriov.h"
#include "sysfs.h"
#include "txn.h"
#include "util.h"

/* The JSON document of a run (usage errors print nothing on stdout). */
static int finish(struct change_ctx *c, struct plan *p, const char *result, const char *error,
		  const struct txn_outcome *o, int code)
{
	if (c->cli->out.json) {
		json_object *j = report_json(
			p, c->json_command ? c->json_command : change_kind_to_string(c->kind),
			c->driver_arg, c->cli->dry_run, result, error, o);
		if (c->amend_json)
			c->amend_json(c->userdata, j);
		if (c->cli->run) {
			/* devown run prints one document with this report in it. */
			json_object_put(c->cli->run->report);
			c->cli->run->report = j;
			return code;
		}
		json_print(j);
		json_object_put(j);
	}
	return code;
}

/* A run that stopped before it could plan: one line on stderr (detail, what went wrong below,
 * when there is one; else the message) and, with --json, a document that scripts can read
 * ("result": "failed", "error": the message). */
static int fail_early_detail(struct change_ctx *c, const char *detail, const char *fmt, ...)
	_printf_(3, 4);
static int fail_early_detail(struct change_ctx *c, const char *detail, const char *fmt, ...)
{
	struct plan empty = { .kind = c->kind };
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	log_error("%s", detail ? detail : msg);
	return finish(c, &empty, RESULT_FAILED, msg, NULL, EXIT_FAILED);
}
#define fail_early(c, ...) fail_early_detail((c), NULL, __VA_ARGS__)

/* Takes the exclusive change lock, waiting up to timeout_ms and saying so on stderr once (the
 * command is waiting, so it is said while it waits). On timeout returns -EBUSY and, when known,
 * the holder's description ("pid 812: devown bind ...") in *ret_holder; other errors come with
 * *ret_error (one line, caller frees). */
static int lock_take(int timeout_ms, int *ret_fd, char **ret_holder, char **ret_error)
{
	_cleanup_close_ int fd = -1;
	long long deadline = now_ms() + timeout_ms;
	bool told = false;
	int r;

	*ret_holder = NULL;
	r = lock_open(&fd, ret_error);
	if (r < 0)
		return r;
	while ((r = lock_try(fd, ret_error)) < 0) {
		if (r != -EWOULDBLOCK)
			return r;
		if (now_ms() >= deadline) {
			*ret_holder = lock_holder(fd);
			return -EBUSY;
		}
		if (!told) {
			log_info("waiting for another devown to finish (up to %d s)...",
				 (timeout_ms + 999) / 1000);
			told = true;
		}
		usleep(50 * 1000);
	}
	lock_claim(fd);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static void say_scan_warnings(const struct host *h)
{
	for (size_t i = 0; h->warnings && h->warnings[i]; i++)
		log_warning("%s", h->warnings[i]);
}

int change_scan(struct host *h, const struct scan_options *o)
{
	_cleanup_free_ char *err = NULL;
	int r = host_scan(h, o, &err);

	say_scan_warnings(h);
	if (r < 0)
		log_error("%s", err);
	return r;
}

void change_check_runs(struct journal *j)
{
	for (size_t i = 0; i < j->n_entries; i++) {
		struct journal_entry *e = &j->entries[i];
		unsigned long long start;
		e->run_alive = e->run_pid && proc_pid_starttime(e->run_pid, &start) >= 0 &&
			       start == e->run_start;
	}
}

int change_begin(struct change_ctx *c, enum change_kind kind, const char *command,
		 const char *driver_arg, const struct change_options *cli)
{
	struct scan_options so = {
		.names = true, .modules = true, .in_use = true, .holders = true
	};
	_cleanup_free_ char *err = NULL;
	int r;

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->cli = cli;
	c->command = xstrdup(command);
	c->driver_arg = driver_arg;
	c->lock_fd = -1;
	c->json_command = cli->json_command;

	if (!cli->dry_run && geteuid() != 0)
		return fail_early(c, "changing who owns a device needs root: run it with sudo, or "
				     "add --dry-run to see what it would do");
	sysfs_set_write_timeout(cli->timeout_ms);
	if (!cli->dry_run) {
		_cleanup_free_ char *holder = NULL;
		int lock_ms = cli->lock_timeout_ms > 0 ? cli->lock_timeout_ms : cli->timeout_ms;
		r = lock_take(lock_ms, &c->lock_fd, &holder, &err);
		if (r == -EBUSY)
			return fail_early(c,
					  "another devown (%s) is still changing devices; gave up "
					  "after %d s (--timeout)",
					  holder ? holder : "pid unknown", (lock_ms + 999) / 1000);
		if (r < 0)
			return fail_early_detail(c, err, "cannot take the lock under %s: %s",
						 DEVOWN_RUNDIR, strerror(-r));
	}

	if (journal_load(&c->journal, &err) < 0)
		return fail_early_detail(c, err, "cannot read the journal under %s", DEVOWN_RUNDIR);
	change_check_runs(&c->journal);
	c->journal.origin = cli->origin;
	if (journal_interrupted(&c->journal, cli->dry_run ? lock_busy() : false)) {
		_cleanup_free_ char *list = strv_join(c->journal.txn_devices, ", ");
		if (kind != CHANGE_RESTORE)
			return fail_early(
				c,
				"a previous devown (pid %d, '%s') was interrupted while "
				"changing %s; run 'devown restore' to put them back first",
				c->journal.txn_pid, c->journal.txn_command, list);
		log_notice("finishing the job of an interrupted devown (pid %d, '%s')",
			   c->journal.txn_pid, c->journal.txn_command);
	}

	r = host_scan(&c->host, &so, &err);
	say_scan_warnings(&c->host);
	if (r < 0)
		return fail_early_detail(c, err, "cannot read the PCI devices of this host");
	return -1;
}

static void save_journal(const struct journal *j)
{
	_cleanup_free_ char *err = NULL;

	if (journal_save(j, &err) < 0)
		log_error("%s", err);
}

static void probe_group_of(struct host *h, const struct device *d)
{
	struct group *g = d->group >= 0 ? host_find_group(h, d->group) : NULL;

	if (g)
		holders_probe_group(g);
}

/* Holders that the /proc scan cannot see (another mount namespace) show as EBUSY on
 * /dev/vfio/N: ask for every group a change touches, and for the groups of the VFs of an
 * SR-IOV physical function, which unbinding its driver removes (rule sriov). */
static void probe_touched_groups(struct host *h, struct device **devs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		probe_group_of(h, devs[i]);
		if (devs[i]->sriov_numvfs <= 0)
			continue;
		for (size_t k = 0; k < h->n_devices; k++)
			if (streq_ptr(h->devices[k].physfn, devs[i]->addr))
				probe_group_of(h, &h->devices[k]);
	}
}

/* --owner: VFIO pins a VM's memory against the owner's RLIMIT_MEMLOCK; say what it is when a
 * process of the owner shows it, and what to raise when nobody raised it. */
static void say_memlock(unsigned uid)
{
	_cleanup_free_ char *user = NULL, *text = NULL;
	unsigned long long soft;
	int pid;

	if (uid == 0)
		return;
	user = user_name(uid);
	if (proc_uid_memlock(uid, &soft, &pid) < 0) {
		log_info("note: VFIO pins a VM's memory against %s's locked-memory limit; no "
			 "process of %s runs, so devown cannot tell what it is",
			 user, user);
		return;
	}
	text = memlock_text(user, soft);
	if (memlock_is_default(soft))
		log_warning("note: %s", text);
	else
		log_info("note: %s (pid %d)", text, pid);
}

/* What the run's command gets (DEVOWN_DEVICES, DEVOWN_GROUPS): every device the bind leaves
 * on DRIVER, changed or not. */
static void run_devices(struct change_run *run, const struct plan *p)
{
	for (size_t i = 0; i < p->n_items; i++) {
		const struct item *it = &p->items[i];
		_cleanup_free_ char *g = NULL;
		if (it->action == ACT_SKIP)
			continue;
		strv_push(&run->devices, xstrdup(it->dev->addr));
		if (it->dev->group < 0)
			continue;
		g = xasprintf("%d", it->dev->group);
		if (!strv_contains(run->groups, g))
			strv_push(&run->groups, TAKE_PTR(g));
	}
}

/* The bind of a run went through: the entries it made (devices it moved, and those it only
 * gave an owner: entries that were not there before, in had) belong to the run until it
 * restores them. A device on record from an earlier change that the run only gave an owner
 * is not the run's to give back. */
static void mark_run(struct change_ctx *c, const struct plan *p, char **had,
		     struct txn_outcome *out)
{
	struct change_run *run = c->cli->run;
	_cleanup_free_ char *err = NULL;

	for (size_t i = 0; i < p->n_items; i++) {
		const struct item *it = &p->items[i];
		struct journal_entry *e = journal_find(&c->journal, it->dev->addr);
		bool moved = it->action == ACT_BIND || it->action == ACT_UNBIND;
		if (!e || (!moved && strv_contains(had, e->addr)) ||
		    (!moved && !e->group_node.saved && !e->cdev_node.saved))
			continue;
		if (e->run_pid && e->run_pid != run->pid)
			continue; /* another run's: not ours to give back */
		journal_mark_run(e, run->pid, run->start, run->command);
		strv_push(&run->changed, xstrdup(it->dev->addr));
	}
	if (journal_save(&c->journal, &err) < 0)
		strv_push(&out->journal_errors, TAKE_PTR(err));
}

int change_run(struct change_ctx *c, struct change_request *rq, struct device **devs,
	       const bool *explicit_target, size_t n)
{
	const struct change_options *cli = c->cli;
	struct plan plan = { .kind = c->kind };
	struct txn_outcome out = { 0 };
	_cleanup_strv_free_ char **had = NULL; /* devown run: the entries before its bind */
	int code;

	rq->journal = &c->journal;
	rq->unprivileged = cli->dry_run && geteuid() != 0;
	rq->owner = cli->owner;
	rq->owner_uid = cli->owner_uid;
	rq->owner_gid = cli->owner_gid;
	rq->owner_has_group = cli->owner_has_group;
	if (cli->run && cli->run->restoring)
		rq->run_pid = cli->run->pid;
	probe_touched_groups(&c->host, devs, n);
	plan_build(&c->host, rq, devs, explicit_target, n, &plan);
	if (cli->run && c->kind == CHANGE_BIND)
		run_devices(cli->run, &plan);

	if (plan.n_refusals > 0) {
		for (size_t i = 0; i < plan.n_refusals; i++)
			log_error("%s", plan.refusals[i].message);
		fprintf(stderr, "devown: nothing was changed.\n");
		code = finish(c, &plan, RESULT_REFUSED, NULL, NULL, EXIT_REFUSED);
		goto out;
	}

	if (cli->dry_run) {
		int after;
		if (!cli->out.json)
			report_print_dry_run(&plan, c->command);
		after = c->after ? c->after(c->userdata, c) : 0;
		code = finish(c, &plan,
			      plan_changes(&plan) ? RESULT_WOULD_CHANGE : RESULT_UNCHANGED, NULL,
			      NULL, EXIT_OK);
		code = after ? after : code;
		goto out;
	}

	if (c->kind == CHANGE_RESTORE) {
		/* Devices already back (a devown killed before touching them, or someone else put
		 * them back): their journal entries have done their job. */
		bool pruned = false;
		for (size_t i = 0; i < plan.n_items; i++)
			if (plan.items[i].action == ACT_NONE &&
			    journal_find(&c->journal, plan.items[i].dev->addr) &&
			    !journal_find(&c->journal, plan.items[i].dev->addr)->group_node.saved &&
			    !journal_find(&c->journal, plan.items[i].dev->addr)->cdev_node.saved) {
				journal_remove(&c->journal, plan.items[i].dev->addr);
				pruned = true;
			}
		if (pruned || (!plan_changes(&plan) && rq->n_targets == 0 && c->journal.txn_pid)) {
			if (!plan_changes(&plan) && rq->n_targets == 0)
				journal_end(&c->journal);
			save_journal(&c->journal);
		}
	}

	if (!plan_changes(&plan)) {
		int after;
		if (!cli->out.json)
			report_print_unchanged(&plan);
		after = c->after ? c->after(c->userdata, c) : 0;
		code = finish(c, &plan, RESULT_UNCHANGED, NULL, NULL, EXIT_OK);
		code = after ? after : code;
		goto out;
	}

	if (cli->out.verbose && !cli->out.json) {
		fprintf(stderr, "Plan:\n");
		report_plan_text(&plan, stderr);
	}
	for (size_t i = 0; cli->run && i < c->journal.n_entries; i++)
		strv_push(&had, xstrdup(c->journal.entries[i].addr));
	txn_execute(&c->host, &c->journal, &plan, c->command, cli->timeout_ms, &out);
	for (size_t i = 0; out.journal_errors && out.journal_errors[i]; i++)
		log_error("%s", out.journal_errors[i]);
	if (out.exit_code == EXIT_OK && cli->run && c->kind == CHANGE_BIND)
		mark_run(c, &plan, had, &out);
	if (out.exit_code == EXIT_OK && cli->owner)
		say_memlock(cli->owner_uid);
	if (out.exit_code == EXIT_OK) {
		int after;
		if (!cli->out.json)
			report_print_done(&plan);
		after = c->after ? c->after(c->userdata, c) : 0;
		code = finish(c, &plan, RESULT_DONE, NULL, &out, EXIT_OK);
		code = after ? after : code;
	} else if (out.exit_code == EXIT_FAILED) {
		log_error("%s; every change was undone, the host is as it was before",
			  out.detail ? out.detail : out.error);
		code = finish(c, &plan, RESULT_FAILED, out.error, &out, EXIT_FAILED);
	} else {
		log_error("%s; undoing it failed too, these devices differ from before:",
			  out.error);
		for (size_t i = 0; out.differs && out.differs[i]; i++)
			fprintf(stderr, "  %s\n", out.differs[i]);
		fprintf(stderr, "devown: the journal keeps their original state: try 'devown "
				"restore' once the cause is fixed\n");
		code = finish(c, &plan, RESULT_UNDO_FAILED, out.error, &out, EXIT_UNDO_FAILED);
	}
out:
	txn_outcome_done(&out);
	plan_done(&plan);
	return code;
}

void change_end(struct change_ctx *c)
{
	journal_done(&c->journal);
	host_done(&c->host);
	free(c->command);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	memset(c, 0, sizeof(*c));
	c->lock_fd = -1;
}

int change_check_early(const struct target *targets, size_t n, const char *driver_arg)
{
	_cleanup_free_ char *err = NULL;

	/* Without a PCI bus the scan says so, as an operational failure. */
	for (size_t i = 0; i < n && sysfs_pci_present(); i++)
		if (targets[i].kind == TARGET_GROUP ? !sysfs_group_present(targets[i].group)
						    : !sysfs_device_present(targets[i].addr)) {
			err = target_missing_error(&targets[i]);
			log_error("%s", err);
			return EXIT_USAGE;
		}
	if (driver_arg && driver_arg_check(driver_arg, &err) < 0) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	return -1;
}

static char *describe_command(enum change_kind kind, int argc, char **argv, const char *driver_arg,
			      bool group)
{
	char *s = xstrdup(change_kind_to_string(kind));

	for (int i = 0; i < argc; i++)
		strextendf(&s, " %s", argv[i]);
	if (driver_arg)
		strextendf(&s, " %s", driver_arg);
	if (group)
		strextendf(&s, " --group");
	return s;
}

/* What a restore that gave PFs back their VFs adds to its report. */
struct sriov_amend {
	json_object *pfs; /* the "sriov" objects */
	bool changed;
};

static void amend_sriov(void *userdata, json_object *report)
{
	struct sriov_amend *a = userdata;
	json_object *res;

	json_object_object_add(report, "sriov", json_object_get(a->pfs));
	if (a->changed && json_object_object_get_ex(report, "result", &res) &&
	    (streq(json_object_get_string(res), RESULT_DONE) ||
	     streq(json_object_get_string(res), RESULT_UNCHANGED))) {
		json_object_object_add(report, "result", json_object_new_string(RESULT_DONE));
		json_object_object_add(report, "changed", json_object_new_boolean(true));
	}
}

/* Restore with nothing on record: forget entries of devices that are gone. */
static int restore_nothing(struct change_ctx *c)
{
	struct plan empty = { .kind = c->kind };
	bool dropped = false;

	for (size_t i = c->journal.n_entries; i-- > 0;)
		if (!host_find_device(&c->host, c->journal.entries[i].addr)) {
			log_notice("%s is no longer present; forgetting its journal entry",
				   c->journal.entries[i].addr);
			journal_remove(&c->journal, c->journal.entries[i].addr);
			dropped = true;
		}
	if (!c->cli->dry_run && (dropped || c->journal.txn_pid)) {
		journal_end(&c->journal);
		save_journal(&c->journal);
	}
	if (!c->cli->out.json && !c->amend_json)
		report_print_nothing_to_restore();
	return finish(c, &empty, RESULT_UNCHANGED, NULL, NULL, EXIT_OK);
}

int change_main(enum change_kind kind, int argc, char **argv, const char *driver_arg,
		const struct change_options *cli)
{
	_cleanup_free_ struct target *targets = NULL;
	_cleanup_free_ struct device **devs = NULL;
	_cleanup_free_ bool *explicit_target = NULL;
	_cleanup_free_ char *command = describe_command(kind, argc, argv, driver_arg, cli->group);
	struct driver_choice *choices = NULL;
	struct change_request rq = {
		.kind = kind, .group = cli->group, .force = cli->force, .driver_arg = driver_arg
	};
	struct change_ctx c;
	struct sriov_amend sa = { 0 };
	_cleanup_free_ char *err = NULL;
	size_t n = 0;
	int code;

	targets = xcalloc((size_t)argc + 1, sizeof(struct target));
	for (int i = 0; i < argc; i++)
		if (target_parse(argv[i], &targets[i]) < 0) {
			_cleanup_free_ char *e = target_parse_error(argv[i]);
			log_error("%s", e);
			return EXIT_USAGE;
		}
	rq.targets = targets;
	rq.n_targets = (size_t)argc;
	code = change_check_early(targets, (size_t)argc, driver_arg);
	if (code >= 0)
		return code;
	/* A usage error too, before the root check: "vfio" or a VFIO driver's name. (What a name
	 * resolves to is checked again below, once the drivers are known.) */
	if (cli->owner && kind == CHANGE_BIND && driver_arg && !streq(driver_arg, "vfio") &&
	    !driver_is_vfio(driver_arg)) {
		log_error("--owner gives VFIO device nodes to a user, but %s is not a VFIO driver: "
			  "bind to vfio (or vfio-pci) with --owner",
			  driver_arg);
		return EXIT_USAGE;
	}

	code = change_begin(&c, kind, command, driver_arg, cli);
	if (code >= 0)
		goto out;
	rq.journal = &c.journal;
	if (kind == CHANGE_RESTORE) {
		/* PFs whose VF count devown changed first: their VFs are theirs to give back. */
		code = sriov_restore(&c, &rq, &sa.pfs, &sa.changed);
		if (code >= 0)
			goto out;
		if (sa.pfs) {
			c.amend_json = amend_sriov;
			c.userdata = &sa;
		}
		if (argc > 0 && rq.n_targets == 0) {
			/* Every target was such a PF: nothing else to restore. */
			struct plan empty = { .kind = c.kind };
			code = finish(&c, &empty, sa.changed ? RESULT_DONE : RESULT_UNCHANGED, NULL,
				      NULL, EXIT_OK);
			goto out;
		}
	}
	if (plan_select(&c.host, &rq, &devs, &explicit_target, &n, &err) < 0) {
		log_error("%s", err);
		code = EXIT_USAGE;
		goto out;
	}
	if (kind == CHANGE_BIND) {
		choices = xcalloc(n + 1, sizeof(*choices));
		for (size_t i = 0; i < n; i++) {
			if (bind_resolve_driver(&c.host, driver_arg, devs[i], &choices[i]) < 0) {
				_cleanup_free_ char *e = driver_arg_unknown_error(driver_arg);
				log_error("%s", e);
				code = EXIT_USAGE;
				goto out;
			}
		}
		rq.choices = choices;
		change_request_vfio(&rq, n);
		for (size_t i = 0; cli->owner && i < n; i++)
			if (choices[i].driver && !driver_is_vfio(choices[i].driver)) {
				log_error(
					"--owner gives VFIO device nodes to a user, but %s is not "
					"a VFIO driver: bind to vfio (or vfio-pci) with --owner",
					choices[i].driver);
				code = EXIT_USAGE;
				goto out;
			}
	}
	if (kind == CHANGE_RESTORE) {
		/* An original driver whose module was unloaded meanwhile comes back first. */
		choices = xcalloc(n + 1, sizeof(*choices));
		for (size_t i = 0; i < n; i++) {
			struct journal_entry *e = journal_find(&c.journal, devs[i]->addr);
			if (e && e->driver && !sysfs_driver_registered(e->driver) &&
			    bind_resolve_driver(&c.host, e->driver, devs[i], &choices[i]) < 0)
				log_warning("%s: no module provides its original driver %s",
					    devs[i]->addr, e->driver);
		}
		rq.choices = choices;
	}
	if (kind == CHANGE_RESTORE && n == 0 && rq.n_targets == 0)
		code = restore_nothing(&c);
	else
		code = change_run(&c, &rq, devs, explicit_target, n);
out:
	if (choices) {
		for (size_t i = 0; i < n; i++)
			driver_choice_done(&choices[i]);
		free(choices);
	}
	json_object_put(sa.pfs);
	change_end(&c);
	return code;
}

int change_resolve_owner(const char *arg, struct change_options *o, char **ret_error)
{
	_cleanup_free_ char *user = xstrdup(arg);
	char *colon = strchr(user, ':');
	unsigned uid, gid;

	if (colon)
		*colon++ = '\0';
	if (!*user || user_lookup(user, &uid, &gid) < 0) {
		*ret_error =
			xasprintf("unknown user '%s' in owner %s: give a user name or uid that "
				  "exists on this host",
				  user, arg);
		return -ENOENT;
	}
	if (colon && (!*colon || group_lookup(colon, &gid) < 0)) {
		*ret_error = xasprintf("unknown group '%s' in owner %s: give a group name or gid "
				       "that exists on this host",
				       colon, arg);
		return -ENOENT;
	}
	o->owner = arg;
	o->owner_uid = uid;
	o->owner_gid = gid;
	o->owner_has_group = colon != NULL;
	return 0;
}

int change_wait_released(char **groups, int timeout_ms, char **ret_error)
{
	struct scan_options so = { .holders = true };
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		struct host h = { 0 };
		_cleanup_free_ char *err = NULL, *held = NULL;
		int r = host_scan(&h, &so, &err);

		for (char **g = groups; r >= 0 && g && *g; g++) {
			struct group *grp = host_find_group(&h, atoi(*g));
			if (!grp)
				continue;
			holders_probe_group(grp);
			if (!group_held(grp))
				continue;
			held = grp->n_holders
				       ? xasprintf("group %d is still held by pid %d (%s)",
						   grp->number, grp->holders[0].pid,
						   grp->holders[0].command)
				       : xasprintf("group %d is still held by a process devown "
						   "cannot see",
						   grp->number);
			break;
		}
		host_done(&h);
		if (!held)
			return 0;
		if (now_ms() >= deadline) {
			*ret_error = TAKE_PTR(held);
			return -EBUSY;
		}
		usleep(100 * 1000);
	}
}

void change_run_done(struct change_run *r)
{
	strv_free(r->devices);
	strv_free(r->groups);
	strv_free(r->changed);
	json_object_put(r->report);
	r->devices = r->groups = r->changed = NULL;
	r->report = NULL;
}

int change_self_start(unsigned long long *ret)
{
	return proc_self_starttime(ret);
}
