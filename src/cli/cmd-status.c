/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "commands.h"
#include "devown-config.h"
#include "journal.h"
#include "scan.h"
#include "targets.h"
#include "util.h"

/* What devown itself knows: the devices it changed (the journal), a run that was interrupted,
 * and configuration entries whose device is not the one they describe. */
static void add_devown_view(struct host *h, struct selection *sel)
{
	struct journal j = { 0 };
	struct config_mismatch *mm = NULL;
	_cleanup_free_ char *cerr = NULL;
	json_object *managed = json_object_new_array(), *mismatches = json_object_new_array();
	size_t n_mm = 0;

	sel->extra = json_object_new_object();
	if (journal_load(&j) >= 0) {
		for (size_t i = 0; i < j.n_entries; i++) {
			struct journal_entry *e = &j.entries[i];
			json_object *o = json_object_new_object();
			json_object_object_add(o, "address", json_object_new_string(e->addr));
			json_object_object_add(
				o, "driver", e->driver ? json_object_new_string(e->driver) : NULL);
			json_object_object_add(o, "driver_override",
					       e->driver_override
						       ? json_object_new_string(e->driver_override)
						       : NULL);
			json_object_object_add(o, "since", json_object_new_string(e->since));
			json_object_object_add(o, "reason", json_object_new_string(e->reason));
			json_object_array_add(managed, o);
			strv_push(&sel->notes,
				  xasprintf("devown changed %s (it was on %s; 'devown "
					    "restore %s' gives it back)",
					    e->addr, e->driver ? e->driver : "no driver", e->addr));
		}
		if (journal_interrupted(&j, lock_busy())) {
			json_object *o = json_object_new_object(), *list = json_object_new_array();
			json_object_object_add(o, "pid", json_object_new_int(j.txn_pid));
			json_object_object_add(o, "command", json_object_new_string(j.txn_command));
			for (size_t i = 0; j.txn_devices && j.txn_devices[i]; i++)
				json_object_array_add(list,
						      json_object_new_string(j.txn_devices[i]));
			json_object_object_add(o, "devices", list);
			json_object_object_add(sel->extra, "interrupted", o);
			strv_push(&sel->notes, xasprintf("a devown (pid %d, '%s') was interrupted "
							 "mid-way: run 'devown restore'",
							 j.txn_pid, j.txn_command));
		} else
			json_object_object_add(sel->extra, "interrupted", NULL);
	} else
		json_object_object_add(sel->extra, "interrupted", NULL);
	json_object_object_add(sel->extra, "managed", managed);

	if (config_mismatches(h, &mm, &n_mm, &cerr) >= 0)
		for (size_t i = 0; i < n_mm; i++) {
			json_object_array_add(mismatches, config_mismatch_to_json(&mm[i]));
			strv_push(&sel->notes, config_mismatch_describe(&mm[i]));
		}
	else if (cerr)
		strv_push(&sel->notes, xasprintf("configuration: %s", cerr));
	json_object_object_add(sel->extra, "config_mismatches", mismatches);
	json_object_object_add(sel->extra, "config_error",
			       cerr ? json_object_new_string(cerr) : NULL);
	config_mismatches_free(mm, n_mm);
	journal_done(&j);
}

int cmd_status(int argc, char **argv, const struct cli *cli)
{
	struct scan_options so = {
		.names = true, .modules = true, .in_use = true, .holders = true
	};
	struct host h;
	struct selection sel;
	long long t0;
	int r;

	r = host_scan(&h, &so);
	if (r < 0) {
		host_done(&h);
		return EXIT_FAILED;
	}
	if (argc > 0) {
		r = targets_resolve(&h, argv, argc, &sel);
		if (r < 0) {
			host_done(&h);
			return EXIT_USAGE;
		}
	} else
		selection_all(&h, &sel);
	add_devown_view(&h, &sel);

	t0 = now_us();
	if (cli->out.json)
		status_print_json(&h, &sel, stdout);
	else
		status_print_text(&h, &sel, &cli->out, stdout);
	log_debug("printed in %.1f ms", (double)(now_us() - t0) / 1000);

	selection_done(&sel);
	host_done(&h);
	return EXIT_OK;
}
