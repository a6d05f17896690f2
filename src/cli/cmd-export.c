/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "commands.h"
#include "config-text.h"
#include "journal-file.h"
#include "policy.h"
#include "scan.h"
#include "sysfs-ident.h"
#include "util.h"

static void set_key(struct config_entry *e, enum config_key k)
{
	e->key_line[k] = 1;
}

/* The current state of a journaled device as an entry that selects it by fingerprint: IDs
 * and the position below the host bridge, which survive renumbering (and the serial number
 * where the device has one); the address only when the position cannot be read. */
static void export_device(const struct device *d, struct export_item *x)
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

/* A PF whose VF count devown changed: its count, and where its VFs are when they all share a
 * driver (a VFIO driver as "vfio", so that a variant driver is picked again). */
static void export_vfs(const struct host *h, const struct device *d, struct config_entry *e)
{
	const char *drv = NULL;
	bool same = true;

	e->vfs = d->sriov_numvfs > 0 ? d->sriov_numvfs : 0;
	set_key(e, KEY_VFS);
	for (size_t i = 0; d->sriov_vfs && d->sriov_vfs[i]; i++) {
		const struct device *vf = host_find_device((struct host *)h, d->sriov_vfs[i]);
		const char *v = vf ? vf->driver : NULL;
		if (v && driver_is_vfio(v))
			v = "vfio";
		if (i == 0)
			drv = v;
		else if (!streq_ptr(drv, v))
			same = false;
	}
	if (same && drv) {
		e->vf_driver = xstrdup(drv);
		set_key(e, KEY_VF_DRIVER);
	}
}

int cmd_export(int argc, char **argv, const struct cli *cli)
{
	struct scan_options so = { .names = true };
	struct journal j;
	struct host h;
	struct export_item *v = NULL;
	_cleanup_free_ char *err = NULL;
	size_t n = 0;
	int code = EXIT_OK;

	/* Read-only: no lock. The journal is replaced atomically, so a read sees a whole one. */
	if (journal_load(&j, &err) < 0) {
		if (err)
			log_error("%s", err);
		return EXIT_FAILED;
	}
	if (change_scan(&h, &so) < 0) {
		code = EXIT_FAILED;
		goto out;
	}
	v = xcalloc(j.n_entries + j.n_sriov + 1, sizeof(*v));
	for (size_t i = 0; i < h.n_devices; i++) {
		const struct device *d = &h.devices[i];
		struct journal_entry *e = journal_find(&j, d->addr);
		struct journal_sriov *rec = journal_sriov_find(&j, d->addr);
		if (!e && rec) {
			if (!d->ids_known || d->vendor_id != rec->vendor_id ||
			    d->device_id != rec->device_id) {
				log_warning(
					"%s is now %04x:%04x, not the %04x:%04x devown changed; "
					"not exported",
					d->addr, d->vendor_id, d->device_id, rec->vendor_id,
					rec->device_id);
				continue;
			}
			/* Its own driver stays: driver= names it, vfs= the count. */
			export_device(d, &v[n]);
			export_vfs(&h, d, &v[n].e);
			v[n++].host_driver = d->driver;
			continue;
		}
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
		if (rec)
			export_vfs(&h, d, &v[n].e);
		v[n++].host_driver = e->driver;
	}
	for (size_t i = 0; i < j.n_entries; i++)
		if (!host_find_device(&h, j.entries[i].addr))
			log_notice("%s is in the journal but no longer present; not exported",
				   j.entries[i].addr);
	if (cli->out.json)
		export_print_json(v, n);
	else
		export_print_text(v, n);
out:
	for (size_t i = 0; i < n; i++)
		config_entry_done(&v[i].e);
	free(v);
	host_done(&h);
	journal_done(&j);
	return code;
}
