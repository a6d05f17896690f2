/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "commands.h"
#include "devown-config.h"
#include "journal.h"
#include "output.h"
#include "scan.h"
#include "sysfs-ident.h"
#include "util.h"

/* One exported entry, with what the comment above it says. */
struct exported {
	struct config_entry e;
	const struct device *dev;
	const char *host_driver; /* the driver it had before devown, from the journal */
	bool path_unknown;
};

static void set_key(struct config_entry *e, enum config_key k)
{
	e->key_line[k] = 1;
}

/* The current state of a journaled device as an entry that selects it by fingerprint: IDs
 * and the position below the host bridge, which survive renumbering (and the serial number
 * where the device has one); the address only when the position cannot be read. */
static void export_device(const struct device *d, struct exported *x)
{
	struct config_entry *e = &x->e;
	char *serial = NULL;

	e->name = xstrdup(d->addr);
	e->vendor = d->vendor_id;
	e->device = d->device_id;
	e->subsys_vendor = d->subsys_vendor_id;
	e->subsys_device = d->subsys_device_id;
	set_key(e, KEY_VENDOR);
	set_key(e, KEY_DEVICE);
	set_key(e, KEY_SUBSYSTEM);
	if (sysfs_device_path(d->addr, &e->path) >= 0)
		set_key(e, KEY_PATH);
	else {
		x->path_unknown = true;
		snprintf(e->address, sizeof(e->address), "%s", d->addr);
		set_key(e, KEY_ADDRESS);
	}
	if (sysfs_device_serial(d->addr, &serial) >= 0) {
		e->serial = serial;
		set_key(e, KEY_SERIAL);
	}
	if (d->driver)
		e->driver = xstrdup(d->driver);
	else {
		/* Unbound: parked ("none"), or waiting for the driver its override names. */
		if (d->driver_override && !streq(d->driver_override, "none"))
			log_warning(
				"%s is unbound with driver_override %s; exported as driver=none",
				d->addr, d->driver_override);
		e->driver = xstrdup("none");
	}
	set_key(e, KEY_DRIVER);
	x->dev = d;
}

static void print_text(struct exported *v, size_t n)
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

static void print_json(struct exported *v, size_t n)
{
	json_object *root = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(root, "schema", json_object_new_int(DEVOWN_JSON_SCHEMA));
	for (size_t i = 0; i < n; i++) {
		json_object *o = config_entry_to_json(&v[i].e);
		json_object_object_add(o, "current_address",
				       json_object_new_string(v[i].dev->addr));
		json_object_object_add(o, "host_driver",
				       v[i].host_driver ? json_object_new_string(v[i].host_driver)
							: NULL);
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "entries", a);
	json_print(root);
	json_object_put(root);
}

int cmd_export(int argc, char **argv, const struct cli *cli)
{
	struct scan_options so = { .names = true };
	struct journal j;
	struct host h;
	struct exported *v = NULL;
	size_t n = 0;
	int code = EXIT_OK;

	/* Read-only: no lock. The journal is replaced atomically, so a read sees a whole one. */
	if (journal_load(&j) < 0)
		return EXIT_FAILED;
	if (host_scan(&h, &so) < 0) {
		code = EXIT_FAILED;
		goto out;
	}
	v = xcalloc(j.n_entries + 1, sizeof(*v));
	for (size_t i = 0; i < h.n_devices; i++) {
		const struct device *d = &h.devices[i];
		struct journal_entry *e = journal_find(&j, d->addr);
		if (!e)
			continue;
		if (!d->ids_known || d->vendor_id != e->vendor_id || d->device_id != e->device_id) {
			log_warning("%s is now %04x:%04x, not the %04x:%04x devown changed; not "
				    "exported",
				    d->addr, d->vendor_id, d->device_id, e->vendor_id,
				    e->device_id);
			continue;
		}
		export_device(d, &v[n]);
		v[n++].host_driver = e->driver;
	}
	for (size_t i = 0; i < j.n_entries; i++)
		if (!host_find_device(&h, j.entries[i].addr))
			log_notice("%s is in the journal but no longer present; not exported",
				   j.entries[i].addr);
	if (cli->out.json)
		print_json(v, n);
	else
		print_text(v, n);
out:
	for (size_t i = 0; i < n; i++)
		config_entry_done(&v[i].e);
	free(v);
	host_done(&h);
	journal_done(&j);
	return code;
}
