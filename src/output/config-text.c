/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration of `devown apply` written back: an entry as text (export) and as JSON,
 * and a mismatch as JSON. */
#include "config-text.h"
#include "output.h"
#include "json.h"
#include "util.h"

/* ---- writing ---- */

static char *class_text(const struct config_entry *e)
{
	return xasprintf("%0*x", (int)e->class_digits, e->class_value);
}

void config_entry_format(const struct config_entry *e, FILE *f)
{
	fprintf(f, "[device %s]\n", e->name);
	if (config_entry_has(e, KEY_ADDRESS))
		fprintf(f, "address=%s\n", e->address);
	if (config_entry_has(e, KEY_SLOT))
		fprintf(f, "slot=%s\n", e->slot);
	if (config_entry_has(e, KEY_PATH))
		fprintf(f, "path=%s\n", e->path);
	if (config_entry_has(e, KEY_VENDOR))
		fprintf(f, "vendor=%04x\n", e->vendor);
	if (config_entry_has(e, KEY_DEVICE))
		fprintf(f, "device=%04x\n", e->device);
	if (config_entry_has(e, KEY_SUBSYSTEM))
		fprintf(f, "subsystem=%04x:%04x\n", e->subsys_vendor, e->subsys_device);
	if (config_entry_has(e, KEY_CLASS)) {
		_cleanup_free_ char *cl = class_text(e);
		fprintf(f, "class=%s\n", cl);
	}
	if (config_entry_has(e, KEY_SERIAL))
		fprintf(f, "serial=%s\n", e->serial);
	fprintf(f, "driver=%s\n", e->driver);
	if (e->group)
		fprintf(f, "group=yes\n");
	if (e->match != MATCH_ONE)
		fprintf(f, "match=%s\n", config_match_to_string(e->match));
	if (e->owner)
		fprintf(f, "owner=%s\n", e->owner);
	if (config_entry_has(e, KEY_VFS))
		fprintf(f, "vfs=%d\n", e->vfs);
	if (e->vf_driver)
		fprintf(f, "vf_driver=%s\n", e->vf_driver);
}

static json_object *hex_or_null(bool present, unsigned v)
{
	char buf[8];

	if (!present)
		return NULL;
	snprintf(buf, sizeof(buf), "%04x", v);
	return json_object_new_string(buf);
}

json_object *config_entry_to_json(const struct config_entry *e)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(e->name));
	json_object_object_add(o, "file", json_str_or_null(e->file));
	json_object_object_add(o, "line", e->line ? json_object_new_int((int)e->line) : NULL);
	json_object_object_add(o, "address",
			       config_entry_has(e, KEY_ADDRESS) ? json_object_new_string(e->address)
								: NULL);
	json_object_object_add(o, "slot", json_str_or_null(e->slot));
	json_object_object_add(o, "path", json_str_or_null(e->path));
	json_object_object_add(o, "vendor",
			       hex_or_null(config_entry_has(e, KEY_VENDOR), e->vendor));
	json_object_object_add(o, "device",
			       hex_or_null(config_entry_has(e, KEY_DEVICE), e->device));
	if (config_entry_has(e, KEY_SUBSYSTEM)) {
		char buf[16];
		snprintf(buf, sizeof(buf), "%04x:%04x", e->subsys_vendor, e->subsys_device);
		json_object_object_add(o, "subsystem", json_object_new_string(buf));
	} else
		json_object_object_add(o, "subsystem", NULL);
	if (config_entry_has(e, KEY_CLASS)) {
		_cleanup_free_ char *cl = class_text(e);
		json_object_object_add(o, "class", json_object_new_string(cl));
	} else
		json_object_object_add(o, "class", NULL);
	json_object_object_add(o, "serial", json_str_or_null(e->serial));
	json_object_object_add(o, "driver", json_str_or_null(e->driver));
	json_object_object_add(o, "group", json_object_new_boolean(e->group));
	json_object_object_add(o, "match",
			       json_object_new_string(config_match_to_string(e->match)));
	json_object_object_add(o, "vfs",
			       config_entry_has(e, KEY_VFS) ? json_object_new_int(e->vfs) : NULL);
	json_object_object_add(o, "vf_driver", json_str_or_null(e->vf_driver));
	return o;
}

json_object *config_mismatch_to_json(const struct config_mismatch *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "entry", json_object_new_string(m->entry));
	json_object_object_add(o, "file", json_object_new_string(m->file));
	json_object_object_add(o, "line", json_object_new_int((int)m->line));
	json_object_object_add(o, "address", json_object_new_string(m->address));
	json_object_object_add(o, "expected", json_object_new_string(m->expected));
	json_object_object_add(o, "found", json_object_new_string(m->found));
	return o;
}

void export_print_text(const struct export_item *v, size_t n)
{
	printf("# The devices devown manages on this host, as configuration for 'devown apply'.\n"
	       "# Entries select devices by vendor, device, subsystem and position (path=), not\n"
	       "# by address, so they survive renumbering. Names are only labels.\n");
	for (size_t i = 0; i < n; i++) {
		const struct device *d = v[i].dev;
		printf("\n# %s", d->addr);
		if (d->vendor || d->device)
			printf(": %s%s%s", strna(d->vendor), d->device ? " " : "",
			       d->device ? d->device : "");
		printf(" (host driver: %s)\n", v[i].host_driver ? v[i].host_driver : "none");
		if (v[i].path_unknown)
			printf("# Its position below the host bridge is unknown: selected by "
			       "address.\n");
		config_entry_format(&v[i].e, stdout);
	}
}

void export_print_json(const struct export_item *v, size_t n)
{
	json_object *root = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(root, "schema", json_object_new_int(DEVOWN_JSON_SCHEMA));
	for (size_t i = 0; i < n; i++) {
		json_object *o = config_entry_to_json(&v[i].e);
		json_object_object_add(o, "current_address",
				       json_object_new_string(v[i].dev->addr));
		json_object_object_add(o, "host_driver", json_str_or_null(v[i].host_driver));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "entries", a);
	json_print(root);
	json_object_put(root);
}
