/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "commands.h"
#include "config-load.h"
#include "config-text.h"
#include "files.h"
#include "ident.h"
#include "policy.h"
#include "report.h"
#include "sriov.h"
#include "util.h"

/* What the JSON report of apply adds to bind's: the files read, the entry behind each device,
 * and the mismatches (devices left alone because they are not what their entry describes). */
struct apply_state {
	const struct config *conf;
	const struct config_result *res;
	/* Entries with vfs=: their PFs' VF counts, after the bind. */
	struct sriov_want *wants;
	size_t n_wants;
	json_object *sriov; /* the PFs' "sriov" objects */
	bool sriov_changed;
};

static int after_bind(void *userdata, struct change_ctx *c)
{
	struct apply_state *st = userdata;

	return sriov_apply(c, st->wants, st->n_wants, &st->sriov, &st->sriov_changed);
}

static void amend_json(void *userdata, json_object *report)
{
	const struct apply_state *st = userdata;
	json_object *files = json_object_new_array(), *mm = json_object_new_array(), *devices;

	for (size_t i = 0; st->conf->files && st->conf->files[i]; i++)
		json_object_array_add(files, json_object_new_string(st->conf->files[i]));
	json_object_object_add(report, "files", files);
	for (size_t i = 0; st->res && i < st->res->n_mismatches; i++)
		json_object_array_add(mm, config_mismatch_to_json(&st->res->mismatches[i]));
	json_object_object_add(report, "mismatches", mm);
	json_object_object_add(report, "sriov",
			       st->sriov ? json_object_get(st->sriov) : json_object_new_array());
	if (st->sriov_changed) {
		/* The bind may have had nothing to do while a VF count changed. */
		json_object *dr, *res;
		bool dry = json_object_object_get_ex(report, "dry_run", &dr) &&
			   json_object_get_boolean(dr);
		if (json_object_object_get_ex(report, "result", &res) &&
		    streq(json_object_get_string(res), RESULT_UNCHANGED))
			json_object_object_add(
				report, "result",
				json_object_new_string(dry ? RESULT_WOULD_CHANGE : RESULT_DONE));
		if (!dry)
			json_object_object_add(report, "changed", json_object_new_boolean(true));
	}

	if (!st->res || !json_object_object_get_ex(report, "devices", &devices))
		return;
	for (size_t i = 0; i < json_object_array_length(devices); i++) {
		json_object *d = json_object_array_get_idx(devices, i), *a;
		const struct config_entry *e = NULL;
		if (!json_object_object_get_ex(d, "address", &a))
			continue;
		for (size_t k = 0; k < st->res->n_picks && !e; k++)
			if (streq(st->res->picks[k].dev->addr, json_object_get_string(a)))
				e = st->res->picks[k].entry;
		json_object_object_add(d, "entry", e ? json_object_new_string(e->name) : NULL);
		if (e) {
			_cleanup_free_ char *src = xasprintf("%s:%u", e->file, e->line);
			json_object_object_add(d, "source", json_object_new_string(src));
		} else
			json_object_object_add(d, "source", NULL);
	}
}

#define APPLY_DEVICE_LOCK_WAIT_MS (120 * 1000)

/* A run that ends before any scan: no configuration, or nothing that concerns --device. */
static int nothing_to_do(const struct cli *cli, const struct config *conf, const char *why)
{
	struct plan empty = { .kind = CHANGE_BIND };
	struct apply_state st = { .conf = conf };

	if (cli->out.json) {
		json_object *j = report_json(&empty, "apply", NULL, cli->dry_run, RESULT_UNCHANGED,
					     NULL, NULL);
		amend_json(&st, j);
		json_print(j);
		json_object_put(j);
	} else
		report_print_nothing_to_do(why);
	return EXIT_OK;
}

static char *describe_command(int argc, char **argv, const char *device)
{
	char *s = xstrdup("apply");

	if (device)
		strextendf(&s, " --device %s", device);
	for (int i = 0; i < argc; i++)
		strextendf(&s, " %s", argv[i]);
	return s;
}

int cmd_apply(int argc, char **argv, const struct cli *cli)
{
	_cleanup_free_ char *err = NULL, *command = NULL, *dir = NULL;
	_cleanup_free_ struct device **devs = NULL;
	_cleanup_free_ bool *explicit_target = NULL;
	struct config conf = { 0 };
	struct config_result res = { 0 };
	struct device_ident *ids = NULL;
	struct driver_choice *choices = NULL;
	struct apply_state st = { .conf = &conf };
	struct change_request rq = { .kind = CHANGE_BIND, .force = cli->force };
	struct change_ctx c;
	struct change_options opts;
	char addr[PCI_ADDR_MAX] = "";
	bool begun = false;
	size_t n = 0;
	int code, r;

	if (cli->device && pci_addr_normalize(cli->device, addr) < 0) {
		log_error("--device '%s' is not a PCI address (DOMAIN:BUS:DEV.FN such as "
			  "0000:03:00.0, or BUS:DEV.FN)",
			  cli->device);
		return EXIT_USAGE;
	}
	/* The configuration first: a broken file is found without root, the lock or a scan. */
	r = config_load(argv, (size_t)argc, &conf, &err);
	if (r < 0) {
		log_error("%s; nothing was changed", err);
		return r == -EINVAL || r == -ENOENT || r == -EFBIG || r == -EPERM ? EXIT_USAGE
										  : EXIT_FAILED;
	}
	if (conf.n_entries == 0) {
		_cleanup_free_ char *why = NULL;
		dir = config_dir();
		why = argc ? xstrdup("the files name no [device] entries")
			   : xasprintf("no [device] entries in %s/*.conf", dir);
		code = nothing_to_do(cli, &conf, why);
		goto out;
	}
	/* udev runs this for every PCI device that appears: most are none of our business. */
	if (*addr && !config_concerns(&conf, addr)) {
		_cleanup_free_ char *why =
			xasprintf("no entry of the configuration concerns %s", addr);
		code = nothing_to_do(cli, &conf, why);
		goto out;
	}

	command = describe_command(argc, argv, *addr ? addr : NULL);
	opts = cli_change_options(cli);
	/* From udev, devices come in bursts (the VFs of an SR-IOV PF, a hotplugged card's
	 * functions): each waits its turn at the lock rather than give up after the 10 s that
	 * bound a write, staying within udev's own 180 s limit for a RUN program. */
	if (*addr && !(cli->given & OPT_TIMEOUT))
		opts.lock_timeout_ms = APPLY_DEVICE_LOCK_WAIT_MS;
	if (cli->owner && change_resolve_owner(cli->owner, &opts, &err) < 0) {
		log_error("--owner: %s; nothing was changed", err);
		code = EXIT_USAGE;
		goto out;
	}
	code = change_begin(&c, CHANGE_BIND, command, NULL, &opts);
	begun = true;
	if (code >= 0)
		goto out;
	c.json_command = "apply";
	c.amend_json = amend_json;
	c.userdata = &st;

	ids = config_idents(&conf, &c.host);
	r = config_resolve(&conf, &c.host, ids, *addr ? addr : NULL, &res, &err);
	if (r < 0) {
		log_error("%s; nothing was changed", err);
		code = r == -EACCES ? EXIT_FAILED : EXIT_USAGE;
		goto out;
	}
	st.res = &res;
	for (size_t i = 0; i < res.n_mismatches; i++) {
		_cleanup_free_ char *m = config_mismatch_describe(&res.mismatches[i]);
		log_warning("%s", m);
		/* The boot-time run has nobody watching stderr: the system log keeps it. */
		if (!cli->dry_run)
			log_change("apply: %s", m);
	}
	for (size_t i = 0; res.notes && res.notes[i]; i++)
		log_info("%s", res.notes[i]);

	n = res.n_picks;
	devs = xcalloc(n + 1, sizeof(*devs));
	explicit_target = xcalloc(n + 1, sizeof(bool));
	choices = xcalloc(n + 1, sizeof(*choices));
	for (size_t i = 0; i < n; i++) {
		const struct config_entry *e = res.picks[i].entry;
		devs[i] = res.picks[i].dev;
		explicit_target[i] = res.picks[i].explicit_target;
		if (bind_resolve_driver(&c.host, e->driver, devs[i], &choices[i]) < 0) {
			log_error("%s:%u: unknown driver '%s' in entry '%s': no PCI driver of that "
				  "name is registered and no kernel module provides it (try vfio, "
				  "vfio-pci, pci-stub or none); nothing was changed",
				  e->file, e->key_line[KEY_DRIVER], e->driver, e->name);
			code = EXIT_USAGE;
			goto out;
		}
		if (e->owner) {
			struct change_options eo = { 0 };
			if (!choices[i].driver || !driver_is_vfio(choices[i].driver)) {
				log_error(
					"%s:%u: entry '%s' has owner= but driver %s is not a VFIO "
					"driver (owner= gives VFIO device nodes to a user); "
					"nothing "
					"was changed",
					e->file, e->key_line[KEY_OWNER], e->name, e->driver);
				code = EXIT_USAGE;
				goto out;
			}
			_cleanup_free_ char *oerr = NULL;
			if (change_resolve_owner(e->owner, &eo, &oerr) < 0) {
				log_error("%s:%u: %s (entry '%s'); nothing was changed", e->file,
					  e->key_line[KEY_OWNER], oerr, e->name);
				code = EXIT_USAGE;
				goto out;
			}
			choices[i].owner = e->owner;
			choices[i].owner_uid = eo.owner_uid;
			choices[i].owner_gid = eo.owner_gid;
			choices[i].owner_has_group = eo.owner_has_group;
		}
	}
	rq.choices = choices;
	change_request_vfio(&rq, n);
	st.wants = xcalloc(n + 1, sizeof(*st.wants));
	for (size_t i = 0; i < n; i++) {
		const struct config_entry *e = res.picks[i].entry;
		if (!config_entry_has(e, KEY_VFS) || !res.picks[i].explicit_target)
			continue;
		st.wants[st.n_wants++] = (struct sriov_want){ .pf = devs[i]->addr,
							      .count = e->vfs,
							      .vf_driver = e->vf_driver,
							      .entry = e->name };
	}
	c.after = after_bind;
	code = change_run(&c, &rq, devs, explicit_target, n);
	/* The rest went ahead, but a device that is not what its entry says needs a person. */
	if (code == EXIT_OK && res.n_mismatches > 0)
		code = EXIT_REFUSED;
out:
	if (choices) {
		for (size_t i = 0; i < n; i++)
			driver_choice_done(&choices[i]);
		free(choices);
	}
	if (begun) {
		config_idents_free(ids, c.host.n_devices);
		config_result_done(&res);
		change_end(&c);
	}
	config_done(&conf);
	free(st.wants);
	json_object_put(st.sriov);
	return code;
}
