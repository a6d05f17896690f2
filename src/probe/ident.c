/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a device is beyond the model, for the configuration of `devown apply`: its physical
 * slot, its position below the host bridge and its serial number, read only when some entry
 * asks for them. */
#include <fcntl.h>

#include "ident.h"
#include "scan.h"
#include "sysfs-ident.h"
#include "sysfs.h"
#include "util.h"

static void ident_fill(struct device_ident *id, const struct config *c, unsigned need,
		       char **slot_names, char **slot_addrs)
{
	if (need & CONFIG_NEED_SLOT)
		id->slot = config_slot_of(id->dev->addr, slot_names, slot_addrs);
	if (need & CONFIG_NEED_PATH && sysfs_device_path(id->dev->addr, &id->path) < 0)
		id->path = NULL;
	if (need & CONFIG_NEED_SERIAL) {
		/* Only where an entry with serial= would otherwise select the device. */
		if (config_wants_serial(c, id)) {
			int r = sysfs_device_serial(id->dev->addr, &id->serial);
			if (r < 0) {
				id->serial = NULL;
				if (r != -ENOENT)
					id->serial_error = r;
			}
		}
	}
}

struct device_ident *config_idents(const struct config *c, struct host *h)
{
	struct device_ident *ids = xcalloc(h->n_devices + 1, sizeof(*ids));
	_cleanup_strv_free_ char **slot_names = NULL, **slot_addrs = NULL;
	unsigned need = config_needs(c);

	if (need & CONFIG_NEED_SLOT && sysfs_pci_slots(&slot_names, &slot_addrs) < 0)
		slot_names = slot_addrs = NULL;
	for (size_t i = 0; i < h->n_devices; i++) {
		ids[i].dev = &h->devices[i];
		ident_fill(&ids[i], c, need, slot_names, slot_addrs);
	}
	return ids;
}

void config_idents_free(struct device_ident *ids, size_t n)
{
	for (size_t i = 0; ids && i < n; i++) {
		device_ident_done(&ids[i]);
	}
	free(ids);
}

static bool load_one(const char *addr, const struct config *c, unsigned need, char **slot_names,
		     char **slot_addrs, struct device *d, struct device_ident *id)
{
	struct scan_options none = { 0 };
	struct host nohost = { 0 };
	_cleanup_close_ int fd = -1;

	memset(d, 0, sizeof(*d));
	memset(id, 0, sizeof(*id));
	if (sysfs_open_device(addr, &fd) < 0)
		return false;
	/* Without names and modules, device_load reads attributes only; the host is unused. */
	device_load(&nohost, d, addr, fd, &none);
	id->dev = d;
	ident_fill(id, c, need, slot_names, slot_addrs);
	return true;
}

static void unload_one(struct device *d, struct device_ident *id)
{
	device_ident_done(id);
	device_done(d);
}

bool config_concerns(const struct config *c, const char *addr)
{
	_cleanup_strv_free_ char **slot_names = NULL, **slot_addrs = NULL, **members = NULL;
	struct device d;
	struct device_ident id;
	unsigned need = config_needs(c);
	bool yes = false, any_group = false;
	int group;

	if (c->n_entries == 0)
		return false;
	if (need & CONFIG_NEED_SLOT && sysfs_pci_slots(&slot_names, &slot_addrs) < 0)
		slot_names = slot_addrs = NULL;
	if (!load_one(addr, c, need, slot_names, slot_addrs, &d, &id))
		return true; /* cannot tell: the full run will */
	for (size_t i = 0; i < c->n_entries && !yes; i++) {
		yes = config_entry_touches(&c->entries[i], &id);
		any_group |= c->entries[i].group;
	}
	group = d.group;
	unload_one(&d, &id);
	if (yes || !any_group || group < 0)
		return yes;

	/* group=yes: another member of its group may be the one an entry selects. */
	if (sysfs_group_devices(group, &members) < 0)
		return true;
	for (char **m = members; *m && !yes; m++) {
		if (streq(*m, addr) || !load_one(*m, c, need, slot_names, slot_addrs, &d, &id))
			continue;
		for (size_t i = 0; i < c->n_entries && !yes; i++)
			yes = c->entries[i].group && config_entry_touches(&c->entries[i], &id);
		unload_one(&d, &id);
	}
	return yes;
}
