/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The configuration of `devown apply`: *.conf files of INI-like [device NAME] entries, each
 * selecting devices by where they are (address, slot, path) and what they are (vendor, device,
 * subsystem, class, serial) and naming the driver they should have. The format is specified in
 * devown(8) (section CONFIGURATION).
 *
 * (The header is not called config.h: meson's generated config.h, with DEVOWN_VERSION and the
 * directories, comes first on the include path and would hide it.)
 *
 * Nothing here prints or reads a file: errors come back as one line "FILE:LINE: problem" for
 * the command to log. Loading the files is config-load.h's (change layer), reading the
 * identities of devices ident.h's (probe), writing entries back config-text.h's (output). */

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "model.h"

enum config_match {
	MATCH_ONE,	/* exactly one device (the default) */
	MATCH_OPTIONAL, /* at most one; none is fine */
	MATCH_ALL,	/* every device the selectors match, any number */
};
const char *config_match_to_string(enum config_match m);

/* The keys of an entry, in the order the formatter writes them. */
enum config_key {
	KEY_ADDRESS,
	KEY_SLOT,
	KEY_PATH,
	KEY_VENDOR,
	KEY_DEVICE,
	KEY_SUBSYSTEM,
	KEY_CLASS,
	KEY_SERIAL,
	KEY_DRIVER,
	KEY_GROUP,
	KEY_MATCH,
	KEY_OWNER,
	KEY_VFS,       /* an SR-IOV PF's VF count */
	KEY_VF_DRIVER, /* where its VFs go: vfio, or a driver name */
	_KEY_MAX,
};

struct config_entry {
	char *name;
	char *file;		     /* as given or found, for messages */
	unsigned line;		     /* of the [device NAME] line */
	unsigned key_line[_KEY_MAX]; /* line of each key, 0 when absent */
	/* Location selectors. */
	char address[PCI_ADDR_MAX]; /* normalised; "" when absent */
	char *slot;		    /* name under /sys/bus/pci/slots, or NULL */
	char *path;		    /* "0000:00:1c.4/00.0", normalised, or NULL */
	/* Identity selectors; valid when key_line[...] != 0. */
	unsigned vendor, device;
	unsigned subsys_vendor, subsys_device;
	unsigned class_value;  /* right-aligned, class_digits hex digits */
	unsigned class_digits; /* 2 (base class), 4 (+ subclass) or 6 (+ programming interface) */
	char *serial;	       /* "00-1b-21-ff-ff-6b-8e-5c", lower case, or NULL */
	/* What to do. */
	char *driver; /* "vfio", a driver or module name, or "none" */
	bool group;
	enum config_match match;
	char *owner; /* "USER[:GROUP]" for the VFIO nodes (as --owner), or NULL */
	/* SR-IOV, valid when key_line[KEY_VFS] != 0: the PF's VF count and the driver its VFs go
	 * to (NULL: whatever the kernel probes). driver= still names the PF's own driver. */
	int vfs;
	char *vf_driver;
};

struct config {
	struct config_entry *entries;
	size_t n_entries;
	char **files; /* the files read, in order (strv, may be NULL) */
};

/* Whether an entry has a key (key_line[k] != 0). */
static inline bool config_entry_has(const struct config_entry *e, enum config_key k)
{
	return e->key_line[k] != 0;
}

/* Parses one file's text into c (appending): the loader's core (config_load). Entry names must
 * be unique across everything already in c. Returns -EINVAL (syntax, values) with *ret_error
 * set to one line "FILE:LINE: problem" (caller frees). */
int config_parse_text(struct config *c, const char *file, const char *text, char **ret_error);

void config_done(struct config *c);
/* Frees an entry's strings (config_done does this for every entry of a config). */
void config_entry_done(struct config_entry *e);

/* What a device is beyond the model: read from sysfs only when some entry asks for it. */
struct device_ident {
	struct device *dev;
	char *slot;	  /* NULL: not in a known slot */
	char *path;	  /* NULL: unknown */
	char *serial;	  /* NULL: no Device Serial Number capability */
	int serial_error; /* < 0: config space could not be read (e.g. -EACCES without root) */
};

void device_ident_done(struct device_ident *id);

/* What the entries of c need read beyond the model: CONFIG_NEED_* bits. */
enum { CONFIG_NEED_SLOT = 1, CONFIG_NEED_PATH = 2, CONFIG_NEED_SERIAL = 4 };
unsigned config_needs(const struct config *c);
/* The slot of addr, from parallel vectors of slot names and addresses (DOMAIN:BUS:DEV, or
 * DOMAIN:BUS when the slot number is unknown); NULL when in none. Caller frees. */
char *config_slot_of(const char *addr, char **names, char **addrs);
/* Whether an entry with serial= would select id->dev but for its serial number: only then is
 * it worth reading. */
bool config_wants_serial(const struct config *c, const struct device_ident *id);
/* Whether entry e, judged from one device alone, can concern it (apply --device). */
bool config_entry_touches(const struct config_entry *e, const struct device_ident *id);

/* The device at an entry's location that is not the device the entry describes. */
struct config_mismatch {
	char *entry, *file;
	unsigned line;
	char address[PCI_ADDR_MAX];
	char *expected; /* "vendor=10de device=1eb8" */
	char *found;	/* "vendor=8086 device=10d3 subsystem=8086:a01f class=020000" */
};
void config_mismatch_done(struct config_mismatch *m);
/* "FILE:LINE: entry 'gpu' expects vendor=10de device=1eb8 at 0000:03:00.0 but found ...". */
char *config_mismatch_describe(const struct config_mismatch *m);

/* One device the configuration selects, and the entry that gives it its driver. */
struct config_pick {
	struct device *dev;
	const struct config_entry *entry;
	bool explicit_target; /* selected by the entry's selectors, not pulled in by group=yes */
};

struct config_result {
	struct config_pick *picks; /* in address order */
	size_t n_picks;
	struct config_mismatch *mismatches;
	size_t n_mismatches;
	char **notes; /* optional entries that matched nothing (strv) */
};
void config_result_done(struct config_result *r);

/* Resolves the entries against the host (pure: ids come from config_idents, or tests):
 * - an entry with location selectors whose location holds devices none of which match its
 *   identity selectors yields a mismatch for each of them and selects nothing;
 * - otherwise it selects the devices matching all its selectors: exactly one (match=one), at
 *   most one (optional) or any number (all); group=yes adds every other member of each
 *   selected device's IOMMU group (bridges too: the planner leaves them alone);
 * - a device two entries give different drivers is an error.
 * only_addr (apply --device) keeps only the entries that concern that device: those whose
 * selection, mismatch or group=yes expansion contains it; NULL keeps every entry.
 * Returns 0; -EINVAL with *ret_error (one line naming file and line) for a selection error;
 * -EACCES with *ret_error when a serial number needed for the decision cannot be read. */
int config_resolve(const struct config *c, struct host *h, const struct device_ident *ids,
		   const char *only_addr, struct config_result *ret, char **ret_error);

/* The mismatches of c on host h, entry by entry (an entry that selects nothing or too much is
 * not a reason to hide the others'). Allocated; free with config_mismatches_free(). */
void config_find_mismatches(const struct config *c, struct host *h, const struct device_ident *ids,
			    struct config_mismatch **ret, size_t *ret_n);
void config_mismatches_free(struct config_mismatch *m, size_t n);
