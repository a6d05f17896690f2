/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "change.h"
#include "journal.h"
#include "policy.h"
#include "report.h"
#include "scan.h"
#include "sysfs.h"
#include "txn.h"
#include "util.h"

/* The JSON of a run that stopped before planning (usage errors print nothing on stdout). */
static int finish(const struct cli *cli, struct plan *p, const char *command,
		  const char *driver_arg, const char *result, const char *error,
		  const struct txn_outcome *o, int code)
{
	if (cli->out.json) {
		json_object *j = report_json(p, command, driver_arg, cli->dry_run, result, error, o);
		json_print(j);
		json_object_put(j);
	}
	return code;
}

static char *describe_command(enum change_kind kind, int argc, char **argv,
			      const char *driver_arg)
{
	char *s = xstrdup(change_kind_to_string(kind));

	for (int i = 0; i < argc; i++) {
		char *t = xasprintf("%s %s", s, argv[i]);
		free(s);
		s = t;
	}
	if (driver_arg) {
		char *t = xasprintf("%s %s", s, driver_arg);
		free(s);
		s = t;
	}
	return s;
}

static char *join(char **v)
{
	char *s = xstrdup("");
	for (size_t i = 0; v && v[i]; i++) {
		char *t = xasprintf("%s%s%s", s, i ? ", " : "", v[i]);
		free(s);
		s = t;
	}
	return s;
}

int change_main(enum change_kind kind, int argc, char **argv, const char *driver_arg,
		const struct cli *cli)
{
	struct scan_options so = { .names = true, .modules = true, .in_use = true, .holders = true };
	_cleanup_free_ struct target *targets = NULL;
	_cleanup_free_ struct device **devs = NULL;
	_cleanup_free_ bool *explicit_target = NULL;
	_cleanup_free_ char *command = describe_command(kind, argc, argv, driver_arg);
	_cleanup_close_ int lock_fd = -1;
	struct driver_choice *choices = NULL;
	struct change_request rq = { .kind = kind, .group = cli->group, .force = cli->force,
				     .driver_arg = driver_arg };
	struct journal journal = { 0 };
	struct plan plan = { .kind = kind };
	struct txn_outcome out = { 0 };
	struct host h = { 0 };
	size_t n = 0;
	int r, code;

	targets = xcalloc((size_t)argc + 1, sizeof(struct target));
	for (int i = 0; i < argc; i++)
		if (target_parse(argv[i], &targets[i]) < 0) {
			log_error("'%s' is neither a PCI address (DOMAIN:BUS:DEV.FN such as "
				  "0000:03:00.0, or BUS:DEV.FN) nor an IOMMU group number",
				  argv[i]);
			return EXIT_USAGE;
		}
	rq.targets = targets;
	rq.n_targets = (size_t)argc;

	if (!cli->dry_run && geteuid() != 0) {
		log_error("changing who owns a device needs root: run it with sudo, or add "
			  "--dry-run to see what it would do");
		return EXIT_FAILED;
	}
	sysfs_set_write_timeout(cli->timeout_ms);
	if (!cli->dry_run) {
		_cleanup_free_ char *holder = NULL;
		r = lock_take(cli->timeout_ms, &lock_fd, &holder);
		if (r == -EBUSY) {
			log_error("another devown (%s) is still changing devices; gave up after %d s "
				  "(--timeout)",
				  holder ? holder : "pid unknown", (cli->timeout_ms + 999) / 1000);
			return EXIT_FAILED;
		}
		if (r < 0)
			return EXIT_FAILED;
	}

	if (journal_load(&journal) < 0)
		return EXIT_FAILED;
	if (journal_interrupted(&journal, cli->dry_run ? lock_busy() : false)) {
		_cleanup_free_ char *list = join(journal.txn_devices);
		if (kind != CHANGE_RESTORE) {
			log_error("a previous devown (pid %d, '%s') was interrupted while changing "
				  "%s; run 'devown restore' to put them back first",
				  journal.txn_pid, journal.txn_command, list);
			journal_done(&journal);
			return EXIT_FAILED;
		}
		log_notice("finishing the job of an interrupted devown (pid %d, '%s')",
			   journal.txn_pid, journal.txn_command);
	}
	rq.journal = &journal;

	r = host_scan(&h, &so);
	if (r < 0) {
		code = EXIT_FAILED;
		goto out;
	}
	r = plan_select(&h, &rq, &devs, &explicit_target, &n);
	if (r < 0) {
		code = EXIT_USAGE;
		goto out;
	}

	if (kind == CHANGE_BIND) {
		choices = xcalloc(n + 1, sizeof(*choices));
		for (size_t i = 0; i < n; i++) {
			if (bind_resolve_driver(&h, driver_arg, devs[i], &choices[i]) < 0) {
				log_error("unknown driver '%s': no PCI driver of that name is "
					  "registered and no kernel module provides it (try 'vfio', "
					  "'vfio-pci' or 'pci-stub')",
					  driver_arg);
				code = EXIT_USAGE;
				goto out;
			}
			if (driver_is_vfio(choices[i].driver))
				rq.want_vfio = true;
		}
		rq.choices = choices;
		rq.need_type1 = rq.want_vfio && !sysfs_module_loaded("vfio_iommu_type1");
	}

	if (kind == CHANGE_RESTORE && n == 0 && argc == 0) {
		/* Journaled devices that are gone cannot come back; their entries go. */
		bool dropped = false;
		for (size_t i = journal.n_entries; i-- > 0;)
			if (!host_find_device(&h, journal.entries[i].addr)) {
				log_notice("%s is no longer present; forgetting its journal entry",
					   journal.entries[i].addr);
				journal_remove(&journal, journal.entries[i].addr);
				dropped = true;
			}
		if (!cli->dry_run && (dropped || journal.txn_pid)) {
			journal_end(&journal);
			journal_save(&journal);
		}
		if (!cli->out.json)
			printf("Nothing to restore: devown has no changed devices on record.\n");
		code = finish(cli, &plan, change_kind_to_string(kind), driver_arg, RESULT_UNCHANGED,
			      NULL, NULL, EXIT_OK);
		goto out;
	}

	plan_build(&h, &rq, devs, explicit_target, n, &plan);

	if (plan.n_refusals > 0) {
		for (size_t i = 0; i < plan.n_refusals; i++)
			log_error("%s", plan.refusals[i].message);
		if (!cli->out.json)
			fprintf(stderr, "devown: nothing was changed.\n");
		code = finish(cli, &plan, change_kind_to_string(kind), driver_arg, RESULT_REFUSED,
			      NULL, NULL, EXIT_REFUSED);
		goto out;
	}

	if (cli->dry_run) {
		if (!cli->out.json) {
			printf("Plan for '%s' (dry run, nothing is changed):\n", command);
			report_plan_text(&plan, stdout);
			report_items_text(&plan, true, stdout);
			printf(plan_changes(&plan) ? "It would go ahead.\n"
						   : "Nothing to do: every device is already as "
						     "asked.\n");
		}
		code = finish(cli, &plan, change_kind_to_string(kind), driver_arg,
			      plan_changes(&plan) ? RESULT_WOULD_CHANGE : RESULT_UNCHANGED, NULL,
			      NULL, EXIT_OK);
		goto out;
	}

	if (!plan_changes(&plan)) {
		if (kind == CHANGE_RESTORE) {
			/* Already back: the journal entries have done their job. */
			for (size_t i = 0; i < plan.n_items; i++)
				if (plan.items[i].action == ACT_NONE &&
				    journal_find(&journal, plan.items[i].dev->addr) &&
				    streq_ptr(plan.items[i].from.driver, plan.items[i].to.driver))
					journal_remove(&journal, plan.items[i].dev->addr);
			if (argc == 0)
				journal_end(&journal);
			journal_save(&journal);
		}
		if (!cli->out.json) {
			report_items_text(&plan, false, stdout);
			printf("Nothing to do.\n");
		}
		code = finish(cli, &plan, change_kind_to_string(kind), driver_arg, RESULT_UNCHANGED,
			      NULL, NULL, EXIT_OK);
		goto out;
	}

	if (cli->out.verbose && !cli->out.json) {
		fprintf(stderr, "Plan:\n");
		report_plan_text(&plan, stderr);
	}
	txn_execute(&h, &journal, &plan, command, cli->timeout_ms, &out);
	if (out.exit_code == EXIT_OK) {
		if (!cli->out.json) {
			report_items_text(&plan, false, stdout);
			for (size_t i = 0; i < plan.n_steps; i++)
				if (plan.steps[i].kind == STEP_CHECK_VIABLE)
					printf("Group %d is ready for VFIO: /dev/vfio/%d\n",
					       plan.steps[i].group, plan.steps[i].group);
		}
		code = finish(cli, &plan, change_kind_to_string(kind), driver_arg, RESULT_DONE, NULL,
			      &out, EXIT_OK);
	} else if (out.exit_code == EXIT_FAILED) {
		log_error("%s; every change was undone, the host is as it was before", out.error);
		code = finish(cli, &plan, change_kind_to_string(kind), driver_arg, RESULT_FAILED,
			      out.error, &out, EXIT_FAILED);
	} else {
		log_error("%s; undoing it failed too, these devices differ from before:",
			  out.error);
		for (size_t i = 0; out.differs && out.differs[i]; i++)
			fprintf(stderr, "  %s\n", out.differs[i]);
		fprintf(stderr, "devown: the journal keeps their original state: try 'devown "
				"restore' once the cause is fixed\n");
		code = finish(cli, &plan, change_kind_to_string(kind), driver_arg,
			      RESULT_UNDO_FAILED, out.error, &out, EXIT_UNDO_FAILED);
	}

out:
	if (choices) {
		for (size_t i = 0; i < n; i++)
			driver_choice_done(&choices[i]);
		free(choices);
	}
	txn_outcome_done(&out);
	plan_done(&plan);
	journal_done(&journal);
	host_done(&h);
	return code;
}
