/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The journal as a file under DEVOWN_RUNDIR. */
#include <json-c/json.h>

#include "journal-file.h"
#include "json.h"
#include "sysfs.h"
#include "util.h"

#define JOURNAL_SCHEMA 1

static char *journal_path(void)
{
	return run_file_path("journal.json");
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int get_int(json_object *o, const char *key, int def)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int(v);
}

int journal_load(struct journal *j, char **ret_error)
{
	_cleanup_free_ char *path = journal_path(), *text = NULL;
	json_object *root, *devs, *txn;
	int r;

	memset(j, 0, sizeof(*j));
	r = run_file_access("journal.json");
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	root = run_file_read("journal.json", &text) >= 0 ? json_tokener_parse(text) : NULL;
	if (!root) {
		*ret_error = xasprintf("the journal %s is unreadable or corrupt; it lists the "
				       "original drivers of changed devices, inspect it before "
				       "removing it",
				       path);
		return -EBADMSG;
	}
	if (json_object_object_get_ex(root, "devices", &devs) &&
	    json_object_is_type(devs, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(devs); i++) {
			json_object *e = json_object_array_get_idx(devs, i);
			const char *addr = get_str(e, "address");
			const char *v = get_str(e, "vendor_id"), *d = get_str(e, "device_id");
			struct journal_entry *je;
			char norm[PCI_ADDR_MAX];

			if (!addr || pci_addr_normalize(addr, norm) < 0)
				continue;
			j->entries = xrealloc(j->entries, (j->n_entries + 1) * sizeof(*j->entries));
			je = &j->entries[j->n_entries++];
			memset(je, 0, sizeof(*je));
			snprintf(je->addr, sizeof(je->addr), "%s", norm);
			je->vendor_id = v ? (unsigned)strtoul(v, NULL, 16) : 0;
			je->device_id = d ? (unsigned)strtoul(d, NULL, 16) : 0;
			je->driver = get_str(e, "driver") ? xstrdup(get_str(e, "driver")) : NULL;
			je->driver_override = get_str(e, "driver_override")
						      ? xstrdup(get_str(e, "driver_override"))
						      : NULL;
			je->group = get_int(e, "group", -1);
			je->since = xstrdup(get_str(e, "since") ? get_str(e, "since") : "");
			je->reason = xstrdup(get_str(e, "reason") ? get_str(e, "reason") : "");
		}
	}
	if (json_object_object_get_ex(root, "transaction", &txn) &&
	    json_object_is_type(txn, json_type_object)) {
		json_object *list;
		j->txn_pid = get_int(txn, "pid", 0);
		j->txn_command = xstrdup(get_str(txn, "command") ? get_str(txn, "command") : "");
		if (json_object_object_get_ex(txn, "devices", &list) &&
		    json_object_is_type(list, json_type_array))
			for (size_t i = 0; i < json_object_array_length(list); i++) {
				json_object *s = json_object_array_get_idx(list, i);
				if (json_object_is_type(s, json_type_string))
					strv_push(&j->txn_devices,
						  xstrdup(json_object_get_string(s)));
			}
	}
	json_object_put(root);
	return 0;
}

int journal_save(const struct journal *j, char **ret_error)
{
	_cleanup_free_ char *path = journal_path();
	json_object *root, *devs;
	int r;

	if (j->n_entries == 0 && j->txn_pid == 0) {
		r = run_file_remove("journal.json");
		if (r < 0 && r != -ENOENT) {
			*ret_error = xasprintf("cannot remove %s: %s", path, strerror(-r));
			return r;
		}
		return 0;
	}

	root = json_object_new_object();
	json_object_object_add(root, "schema", json_object_new_int(JOURNAL_SCHEMA));
	devs = json_object_new_array();
	for (size_t i = 0; i < j->n_entries; i++) {
		const struct journal_entry *e = &j->entries[i];
		json_object *o = json_object_new_object();
		char buf[16];
		json_object_object_add(o, "address", json_object_new_string(e->addr));
		snprintf(buf, sizeof(buf), "0x%04x", e->vendor_id);
		json_object_object_add(o, "vendor_id", json_object_new_string(buf));
		snprintf(buf, sizeof(buf), "0x%04x", e->device_id);
		json_object_object_add(o, "device_id", json_object_new_string(buf));
		json_object_object_add(o, "driver", json_str_or_null(e->driver));
		json_object_object_add(o, "driver_override", json_str_or_null(e->driver_override));
		json_object_object_add(o, "group",
				       e->group >= 0 ? json_object_new_int(e->group) : NULL);
		json_object_object_add(o, "since", json_object_new_string(e->since));
		json_object_object_add(o, "reason", json_object_new_string(e->reason));
		json_object_array_add(devs, o);
	}
	json_object_object_add(root, "devices", devs);
	if (j->txn_pid) {
		json_object *t = json_object_new_object(), *list = json_object_new_array();
		json_object_object_add(t, "pid", json_object_new_int(j->txn_pid));
		json_object_object_add(t, "command", json_object_new_string(j->txn_command));
		for (size_t i = 0; j->txn_devices && j->txn_devices[i]; i++)
			json_object_array_add(list, json_object_new_string(j->txn_devices[i]));
		json_object_object_add(t, "devices", list);
		json_object_object_add(root, "transaction", t);
	}

	r = run_file_replace(
		"journal.json",
		json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE),
		true);
	json_object_put(root);
	if (r < 0) {
		*ret_error = xasprintf("cannot write the journal %s: %s", path, strerror(-r));
		return r;
	}
	return 0;
}
