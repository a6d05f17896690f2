/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot-story.h"
#include "commands.h"
#include "config-load.h"
#include "journal-file.h"
#include "lock.h"
#include "output.h"
#include "scan.h"
#include "targets.h"
#include "util.h"

int cmd_status(int argc, char **argv, const struct cli *cli)
{
	struct scan_options so = {
		.names = true, .modules = true, .in_use = true, .holders = true
	};
	struct host h;
	struct selection sel;
	struct journal j = { 0 };
	struct config_mismatch *mm = NULL;
	_cleanup_free_ char *err = NULL, *cerr = NULL, *jerr = NULL;
	struct status_view view = { 0 };
	struct boot_directives dirs = { 0 };
	struct boot_report boot = { 0 };
	long long t0;
	int r;

	if (change_scan(&h, &so) < 0) {
		host_done(&h);
		return EXIT_FAILED;
	}
	if (argc > 0) {
		r = targets_resolve(&h, argv, argc, &sel, &err);
		if (r < 0) {
			log_error("%s", err);
			host_done(&h);
			return EXIT_USAGE;
		}
	} else
		selection_all(&h, &sel);

	/* What devown itself knows: the devices it changed, a run that was interrupted, and
	 * configuration entries whose device is not the one they describe. */
	if (journal_load(&j, &jerr) >= 0) {
		change_check_runs(&j);
		view.journal = &j;
		view.interrupted = journal_interrupted(&j, lock_busy());
	} else if (jerr)
		log_error("%s", jerr); /* status goes on without what devown changed */
	if (config_mismatches(&h, &mm, &view.n_mismatches, &cerr) < 0)
		view.config_error = cerr;
	view.mismatches = mm;
	/* The boot story: what devown did at boot, what a host driver took first, and what of
	 * the command line and modprobe.d concerns the configured devices. */
	boot_story(&h, view.journal, &dirs, &boot);
	view.boot = &boot;

	t0 = now_us();
	if (cli->out.json)
		status_print_json(&h, &sel, &view, stdout);
	else
		status_print_text(&h, &sel, &view, &cli->out, stdout);
	log_debug("printed in %.1f ms", (double)(now_us() - t0) / 1000);

	boot_report_done(&boot);
	boot_directives_done(&dirs);
	config_mismatches_free(mm, view.n_mismatches);
	journal_done(&j);
	selection_done(&sel);
	host_done(&h);
	return EXIT_OK;
}
