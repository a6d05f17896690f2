/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration of `devown apply`: parsing, and resolving it against the model. No I/O:
 * the files are read by the change layer (config-load.c), the identities of the devices by the
 * probe layer (ident.c), and output/config-text.c writes entries back. */
#include <ctype.h>
#include <stdarg.h>

#include "devown-config.h"
#include "policy.h"
#include "util.h"

#define NAME_MAX_LEN 64

static const char *const key_names[_KEY_MAX] = {
	[KEY_ADDRESS] = "address", [KEY_SLOT] = "slot",		  [KEY_PATH] = "path",
	[KEY_VENDOR] = "vendor",   [KEY_DEVICE] = "device",	  [KEY_SUBSYSTEM] = "subsystem",
	[KEY_CLASS] = "class",	   [KEY_SERIAL] = "serial",	  [KEY_DRIVER] = "driver",
	[KEY_GROUP] = "group",	   [KEY_MATCH] = "match",	  [KEY_OWNER] = "owner",
	[KEY_VFS] = "vfs",	   [KEY_VF_DRIVER] = "vf_driver",
};

const char *config_match_to_string(enum config_match m)
{
	static const char *const names[] = { "one", "optional", "all" };
	return names[m];
}

static bool is_location_key(enum config_key k)
{
	return k == KEY_ADDRESS || k == KEY_SLOT || k == KEY_PATH;
}

static bool is_identity_key(enum config_key k)
{
	return k >= KEY_VENDOR && k <= KEY_SERIAL;
}

static bool has(const struct config_entry *e, enum config_key k)
{
	return config_entry_has(e, k);
}

static bool has_location(const struct config_entry *e)
{
	return has(e, KEY_ADDRESS) || has(e, KEY_SLOT) || has(e, KEY_PATH);
}

/* ---- values ---- */

/* Exactly n hex digits at s (nothing after them when whole); returns the value or -1. */
static long hex_exact(const char *s, size_t n, bool whole)
{
	long v = 0;

	for (size_t i = 0; i < n; i++) {
		int d = unhexchar(s[i]);
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	if (whole && s[n])
		return -1;
	return v;
}

static const char *skip_0x(const char *s)
{
	return (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? s + 2 : s;
}

/* "0000:00:1c.4/00.0": an address (domain optional, as everywhere in devown), then DEV.FN
 * for each level below. Normalised into a new string, or NULL. */
static char *parse_path(const char *v)
{
	_cleanup_free_ char *copy = xstrdup(v);
	char *slash = strchr(copy, '/'), *out;
	char norm[PCI_ADDR_MAX];
	const char *p;

	if (slash)
		*slash = '\0';
	if (pci_addr_normalize(copy, norm) < 0)
		return NULL;
	out = xstrdup(norm);
	for (p = slash ? v + (slash - copy) : NULL; p; p = strchr(p + 1, '/')) {
		long dev = hex_exact(p + 1, 2, false);
		char *t;
		if (dev < 0 || dev > 0x1f || p[3] != '.' || p[4] < '0' || p[4] > '7' ||
		    (p[5] != '\0' && p[5] != '/')) {
			free(out);
			return NULL;
		}
		t = xasprintf("%s/%02lx.%c", out, dev, p[4]);
		free(out);
		out = t;
	}
	return out;
}

/* "00-1b-21-ff-ff-6b-8e-5c" (lspci's notation), normalised to lower case, or NULL. */
static char *parse_serial(const char *v)
{
	char *out;

	if (strlen(v) != 23)
		return NULL;
	for (size_t i = 0; i < 23; i++)
		if (i % 3 == 2 ? v[i] != '-' : unhexchar(v[i]) < 0)
			return NULL;
	out = xstrdup(v);
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return out;
}

static bool valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_.:@+-", *c))
			return false;
	return true;
}

/* USER[:GROUP]: the names the host resolves later (cmd-apply), checked for shape here. */
static bool valid_owner(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t n = strlen(s);

	if (n == 0 || n > 65 || s[0] == ':' || s[0] == '-' ||
	    (colon && (!colon[1] || colon[1] == '-')) || (colon && strchr(colon + 1, ':')))
		return false;
	for (const char *c = s; *c; c++)
		if (!(isalnum((unsigned char)*c) || strchr("._-:", *c)))
			return false;
	return true;
}

static bool valid_slot(const char *s)
{
	if (!*s || strlen(s) > 255 || streq(s, ".") || streq(s, ".."))
		return false;
	for (const char *c = s; *c; c++)
		if (*c == '/' || (unsigned char)*c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

/* Sets the key of e from value; on a bad value returns the reason (static text). */
static const char *set_value(struct config_entry *e, enum config_key k, const char *v)
{
	long a, b;

	switch (k) {
	case KEY_ADDRESS:
		if (pci_addr_normalize(v, e->address) < 0)
			return "a PCI address is DOMAIN:BUS:DEV.FN (0000:03:00.0) or BUS:DEV.FN";
		return NULL;
	case KEY_SLOT:
		if (!valid_slot(v))
			return "a slot is a name under /sys/bus/pci/slots (no '/')";
		e->slot = xstrdup(v);
		return NULL;
	case KEY_PATH:
		e->path = parse_path(v);
		if (!e->path)
			return "a path is the address of the function on the root bus, then DEV.FN "
			       "for each level below, e.g. 0000:00:1c.4/00.0";
		return NULL;
	case KEY_VENDOR:
	case KEY_DEVICE:
		a = hex_exact(skip_0x(v), 4, true);
		if (a < 0)
			return "an ID is 4 hex digits, e.g. 8086 or 0x10d3";
		if (k == KEY_VENDOR)
			e->vendor = (unsigned)a;
		else
			e->device = (unsigned)a;
		return NULL;
	case KEY_SUBSYSTEM:
		/* v[4] only once the four digits before it are known to be there: a shorter
		 * value may end the text (issue 17). */
		a = hex_exact(v, 4, false);
		b = a >= 0 && v[4] == ':' ? hex_exact(v + 5, 4, true) : -1;
		if (a < 0 || b < 0)
			return "a subsystem is VENDOR:DEVICE of 4 hex digits each, e.g. 8086:a01f";
		e->subsys_vendor = (unsigned)a;
		e->subsys_device = (unsigned)b;
		return NULL;
	case KEY_CLASS: {
		const char *h = skip_0x(v);
		size_t n = strlen(h);
		a = (n == 2 || n == 4 || n == 6) ? hex_exact(h, n, true) : -1;
		if (a < 0)
			return "a class is 2, 4 or 6 hex digits: base class (02), with subclass "
			       "(0200), with programming interface (020000)";
		e->class_value = (unsigned)a;
		e->class_digits = (unsigned)n;
		return NULL;
	}
	case KEY_SERIAL:
		e->serial = parse_serial(v);
		if (!e->serial)
			return "a serial number is 8 hex bytes as lspci -vv shows them, e.g. "
			       "00-1b-21-ff-ff-6b-8e-5c";
		return NULL;
	case KEY_DRIVER:
		if (!driver_name_valid(v))
			return "a driver is 'vfio', 'none', or a driver or module name (letters, "
			       "digits, '_' and '-')";
		e->driver = xstrdup(v);
		return NULL;
	case KEY_GROUP:
		if (streq(v, "yes"))
			e->group = true;
		else if (streq(v, "no"))
			e->group = false;
		else
			return "group is yes or no";
		return NULL;
	case KEY_MATCH:
		if (streq(v, "one"))
			e->match = MATCH_ONE;
		else if (streq(v, "optional"))
			e->match = MATCH_OPTIONAL;
		else if (streq(v, "all"))
			e->match = MATCH_ALL;
		else
			return "match is one, optional or all";
		return NULL;
	case KEY_OWNER:
		if (!valid_owner(v))
			return "owner is USER or USER:GROUP, names or numbers (letters, digits, "
			       "'.', "
			       "'_' and '-')";
		free(e->owner);
		e->owner = xstrdup(v);
		return NULL;
	case KEY_VFS: {
		char *end;
		long n;
		errno = 0;
		n = strtol(v, &end, 10);
		if (!isdigit((unsigned char)*v) || errno || *end || n > 65535)
			return "vfs is the number of VFs, from 0 to the PF's sriov_totalvfs";
		e->vfs = (int)n;
		return NULL;
	}
	case KEY_VF_DRIVER:
		if (!driver_name_valid(v) || streq(v, "none"))
			return "a VF driver is 'vfio' or a driver or module name (letters, digits, "
			       "'_' and '-')";
		e->vf_driver = xstrdup(v);
		return NULL;
	case _KEY_MAX:
		break;
	}
	return "unknown key";
}

/* ---- parsing ---- */

void config_entry_done(struct config_entry *e)
{
	free(e->name);
	free(e->file);
	free(e->slot);
	free(e->path);
	free(e->serial);
	free(e->driver);
	free(e->owner);
	free(e->vf_driver);
	memset(e, 0, sizeof(*e));
}

void config_done(struct config *c)
{
	for (size_t i = 0; i < c->n_entries; i++)
		config_entry_done(&c->entries[i]);
	free(c->entries);
	strv_free(c->files);
	memset(c, 0, sizeof(*c));
}

static char *strip(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static int fail(char **ret_error, int r, const char *file, unsigned line, const char *fmt, ...)
	_printf_(5, 6);
static int fail(char **ret_error, int r, const char *file, unsigned line, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	*ret_error =
		line ? xasprintf("%s:%u: %s", file, line, msg) : xasprintf("%s: %s", file, msg);
	return r;
}

static int entry_check(const struct config_entry *e, char **ret_error)
{
	bool any = false;

	for (int k = 0; k < _KEY_MAX; k++)
		if ((is_location_key(k) || is_identity_key(k)) && has(e, k))
			any = true;
	if (!any)
		return fail(ret_error, -EINVAL, e->file, e->line,
			    "entry '%s' selects nothing: give address=, slot=, path=, vendor=, "
			    "device=, subsystem=, class= or serial=",
			    e->name);
	if (!has(e, KEY_DRIVER))
		return fail(ret_error, -EINVAL, e->file, e->line,
			    "entry '%s' has no driver= (vfio, none, or a driver name)", e->name);
	if (has(e, KEY_VF_DRIVER) && !has(e, KEY_VFS))
		return fail(ret_error, -EINVAL, e->file, e->key_line[KEY_VF_DRIVER],
			    "entry '%s' has vf_driver= but no vfs= (the number of VFs)", e->name);
	/* The VFs are created through the PF's driver: an entry that takes it away cannot. */
	if (has(e, KEY_VFS) && (streq(e->driver, "none") || streq(e->driver, "vfio")))
		return fail(ret_error, -EINVAL, e->file, e->key_line[KEY_VFS],
			    "entry '%s' has vfs= but driver=%s: VFs need the PF on its own "
			    "driver (driver=igb, say)",
			    e->name, e->driver);
	if (has(e, KEY_VFS) && e->match == MATCH_ALL)
		return fail(ret_error, -EINVAL, e->file, e->key_line[KEY_VFS],
			    "entry '%s' has vfs= with match=all: give each PF its own entry",
			    e->name);
	return 0;
}

int config_parse_text(struct config *c, const char *file, const char *text, char **ret_error)
{
	_cleanup_free_ char *copy = xstrdup(text);
	struct config_entry *cur = NULL;
	size_t first_new = c->n_entries;
	unsigned lineno = 0;
	char *next = copy;
	int r;

	*ret_error = NULL;
	/* A UTF-8 byte order mark, as some editors write, is no part of the first line (systemd's
	 * parser skips it too); left in, it made an invisible error there. */
	if (startswith(next, "\xef\xbb\xbf"))
		next += 3;
	while (next) {
		char *line = next, *s, *eq;
		enum config_key k;

		next = strchr(next, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		s = strip(line);
		if (!*s || *s == '#' || *s == ';')
			continue;

		if (*s == '[') {
			char *end = s + strlen(s) - 1, *name;
			if (*end != ']') {
				r = fail(ret_error, -EINVAL, file, lineno,
					 "a section line must end with ']': '%s'", s);
				goto fail;
			}
			*end = '\0';
			s = strip(s + 1);
			if (!startswith(s, "device") || (s[6] != ' ' && s[6] != '\t')) {
				r = fail(ret_error, -EINVAL, file, lineno,
					 "unknown section '[%s]': sections are [device NAME]", s);
				goto fail;
			}
			name = strip(s + 6);
			if (!valid_name(name, NAME_MAX_LEN)) {
				r = fail(
					ret_error, -EINVAL, file, lineno,
					"invalid entry name '%s': use up to %d letters, digits and "
					"'_.:@+-'",
					name, NAME_MAX_LEN);
				goto fail;
			}
			for (size_t i = 0; i < c->n_entries; i++)
				if (streq(c->entries[i].name, name)) {
					r = fail(ret_error, -EINVAL, file, lineno,
						 "duplicate entry name '%s' (first at %s:%u)", name,
						 c->entries[i].file, c->entries[i].line);
					goto fail;
				}
			if (cur && (r = entry_check(cur, ret_error)) < 0)
				goto fail;
			c->entries = xrealloc(c->entries, (c->n_entries + 1) * sizeof(*c->entries));
			cur = &c->entries[c->n_entries++];
			memset(cur, 0, sizeof(*cur));
			cur->name = xstrdup(name);
			cur->file = xstrdup(file);
			cur->line = lineno;
			continue;
		}

		eq = strchr(s, '=');
		if (!eq) {
			r = fail(ret_error, -EINVAL, file, lineno,
				 "expected KEY=VALUE, a [device NAME] line or a # comment: '%s'",
				 s);
			goto fail;
		}
		*eq = '\0';
		{
			char *key = strip(s), *value = strip(eq + 1);
			for (k = 0; k < _KEY_MAX; k++)
				if (streq(key, key_names[k]))
					break;
			if (k == _KEY_MAX) {
				r = fail(ret_error, -EINVAL, file, lineno,
					 "unknown key '%s' (keys: address, slot, path, vendor, "
					 "device, "
					 "subsystem, class, serial, driver, group, match, vfs, "
					 "vf_driver)",
					 key);
				goto fail;
			}
			if (!cur) {
				r = fail(ret_error, -EINVAL, file, lineno,
					 "'%s=' outside of a [device NAME] section", key);
				goto fail;
			}
			if (cur->key_line[k]) {
				r = fail(ret_error, -EINVAL, file, lineno,
					 "duplicate key '%s' in entry '%s' (first at line %u)", key,
					 cur->name, cur->key_line[k]);
				goto fail;
			}
			if (!*value) {
				r = fail(ret_error, -EINVAL, file, lineno, "'%s=' has no value",
					 key);
				goto fail;
			}
			{
				const char *why = set_value(cur, k, value);
				if (why) {
					r = fail(ret_error, -EINVAL, file, lineno,
						 "invalid %s '%s': %s", key, value, why);
					goto fail;
				}
			}
			cur->key_line[k] = lineno;
		}
	}
	if (cur && (r = entry_check(cur, ret_error)) < 0)
		goto fail;
	return 0;

fail:
	/* Nothing of a file with an error is kept. */
	for (size_t i = first_new; i < c->n_entries; i++)
		config_entry_done(&c->entries[i]);
	c->n_entries = first_new;
	return r;
}

/* ---- identities ---- */

unsigned config_needs(const struct config *c)
{
	unsigned n = 0;

	for (size_t i = 0; i < c->n_entries; i++) {
		if (has(&c->entries[i], KEY_SLOT))
			n |= CONFIG_NEED_SLOT;
		if (has(&c->entries[i], KEY_PATH))
			n |= CONFIG_NEED_PATH;
		if (has(&c->entries[i], KEY_SERIAL))
			n |= CONFIG_NEED_SERIAL;
	}
	return n;
}

/* The slot's address is DOMAIN:BUS:DEV, or DOMAIN:BUS when the slot number is unknown. */
char *config_slot_of(const char *addr, char **names, char **addrs)
{
	for (size_t i = 0; names && names[i]; i++) {
		size_t n = strlen(addrs[i]);
		if (strncmp(addr, addrs[i], n) == 0 && (addr[n] == '.' || addr[n] == ':'))
			return xstrdup(names[i]);
	}
	return NULL;
}

static bool location_matches(const struct config_entry *e, const struct device_ident *id)
{
	if (has(e, KEY_ADDRESS) && !streq(id->dev->addr, e->address))
		return false;
	if (has(e, KEY_SLOT) && !streq_ptr(id->slot, e->slot))
		return false;
	if (has(e, KEY_PATH) && !streq_ptr(id->path, e->path))
		return false;
	return true;
}

/* Identity without the serial number, which costs a config space read. */
static bool ids_match(const struct config_entry *e, const struct device *d)
{
	if ((has(e, KEY_VENDOR) || has(e, KEY_DEVICE)) && !d->ids_known)
		return false;
	if (has(e, KEY_VENDOR) && d->vendor_id != e->vendor)
		return false;
	if (has(e, KEY_DEVICE) && d->device_id != e->device)
		return false;
	if (has(e, KEY_SUBSYSTEM) &&
	    (d->subsys_vendor_id != e->subsys_vendor || d->subsys_device_id != e->subsys_device))
		return false;
	if (has(e, KEY_CLASS) && (d->class_id >> (4 * (6 - e->class_digits))) != e->class_value)
		return false;
	return true;
}

bool config_wants_serial(const struct config *c, const struct device_ident *id)
{
	for (size_t k = 0; k < c->n_entries; k++) {
		const struct config_entry *e = &c->entries[k];
		if (has(e, KEY_SERIAL) && location_matches(e, id) && ids_match(e, id->dev))
			return true;
	}
	return false;
}

void device_ident_done(struct device_ident *id)
{
	free(id->slot);
	free(id->path);
	free(id->serial);
}

/* ---- resolving ---- */

/* 1: matches, 0: does not, -EACCES: the serial number decides and could not be read. */
static int identity_matches(const struct config_entry *e, const struct device_ident *id)
{
	if (!ids_match(e, id->dev))
		return 0;
	if (!has(e, KEY_SERIAL))
		return 1;
	if (id->serial_error < 0)
		return -EACCES;
	return streq_ptr(id->serial, e->serial);
}

static char *describe_expected(const struct config_entry *e)
{
	char *s = xstrdup("");

/* Appends one "key=value" word to s, a space before it unless first. */
#define APPEND(fmt, ...) strextendf(&s, "%s" fmt, *s ? " " : "", ##__VA_ARGS__)
	if (has(e, KEY_VENDOR))
		APPEND("vendor=%04x", e->vendor);
	if (has(e, KEY_DEVICE))
		APPEND("device=%04x", e->device);
	if (has(e, KEY_SUBSYSTEM))
		APPEND("subsystem=%04x:%04x", e->subsys_vendor, e->subsys_device);
	if (has(e, KEY_CLASS))
		APPEND("class=%0*x", (int)e->class_digits, e->class_value);
	if (has(e, KEY_SERIAL))
		APPEND("serial=%s", e->serial);
	return s;
}

static char *describe_location(const struct config_entry *e)
{
	char *s = xstrdup("");

	if (has(e, KEY_ADDRESS))
		APPEND("address=%s", e->address);
	if (has(e, KEY_SLOT))
		APPEND("slot=%s", e->slot);
	if (has(e, KEY_PATH))
		APPEND("path=%s", e->path);
	return s;
}

static char *describe_found(const struct config_entry *e, const struct device_ident *id)
{
	const struct device *d = id->dev;
	char *s = xstrdup("");

	if (d->ids_known)
		APPEND("vendor=%04x device=%04x", d->vendor_id, d->device_id);
	else
		APPEND("unreadable IDs");
	APPEND("subsystem=%04x:%04x class=%06x", d->subsys_vendor_id, d->subsys_device_id,
	       d->class_id);
	if (has(e, KEY_SERIAL))
		APPEND("serial=%s", id->serial ? id->serial : "none");
#undef APPEND
	return s;
}

void config_mismatch_done(struct config_mismatch *m)
{
	free(m->entry);
	free(m->file);
	free(m->expected);
	free(m->found);
	memset(m, 0, sizeof(*m));
}

void config_mismatches_free(struct config_mismatch *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++)
		config_mismatch_done(&m[i]);
	free(m);
}

char *config_mismatch_describe(const struct config_mismatch *m)
{
	/* A VF count (status only): the device is the one described, apply brings it there. */
	if (startswith(m->expected, "vfs="))
		return xasprintf("%s:%u: entry '%s' expects %s, but %s has %s; 'devown apply' "
				 "changes it",
				 m->file, m->line, m->entry, m->expected, m->address, m->found);
	return xasprintf("%s:%u: entry '%s' expects %s, but %s is %s; it is left alone", m->file,
			 m->line, m->entry, m->expected, m->address, m->found);
}

void config_result_done(struct config_result *r)
{
	free(r->picks);
	config_mismatches_free(r->mismatches, r->n_mismatches);
	strv_free(r->notes);
	memset(r, 0, sizeof(*r));
}

/* What one entry selects on the host. */
struct entry_eval {
	size_t *sel, n_sel; /* indexes into h->devices */
	size_t *loc, n_loc; /* at the entry's location (all devices without location keys) */
	bool mismatch;
};

static void eval_done(struct entry_eval *ev)
{
	free(ev->sel);
	free(ev->loc);
	memset(ev, 0, sizeof(*ev));
}

static int eval_entry(const struct config_entry *e, struct host *h, const struct device_ident *ids,
		      struct entry_eval *ev, char **ret_error)
{
	memset(ev, 0, sizeof(*ev));
	ev->sel = xcalloc(h->n_devices + 1, sizeof(size_t));
	ev->loc = xcalloc(h->n_devices + 1, sizeof(size_t));
	for (size_t i = 0; i < h->n_devices; i++) {
		int m;
		if (!location_matches(e, &ids[i]))
			continue;
		ev->loc[ev->n_loc++] = i;
		m = identity_matches(e, &ids[i]);
		if (m == -EACCES)
			return fail(ret_error, -EACCES, e->file, e->key_line[KEY_SERIAL],
				    "cannot read the serial number of %s for entry '%s': reading "
				    "PCI config space beyond its first 64 bytes needs root",
				    h->devices[i].addr, e->name);
		if (m > 0)
			ev->sel[ev->n_sel++] = i;
	}
	ev->mismatch = has_location(e) && ev->n_loc > 0 && ev->n_sel == 0;
	return 0;
}

static bool eval_contains(struct host *h, const struct config_entry *e, const struct entry_eval *ev,
			  const char *addr)
{
	const size_t *v = ev->mismatch ? ev->loc : ev->sel;
	size_t n = ev->mismatch ? ev->n_loc : ev->n_sel;

	for (size_t i = 0; i < n; i++) {
		struct device *d = &h->devices[v[i]];
		struct group *g;
		if (streq(d->addr, addr))
			return true;
		if (ev->mismatch || !e->group || d->group < 0)
			continue;
		g = host_find_group(h, d->group);
		for (size_t k = 0; g && k < g->n_devices; k++)
			if (streq(g->devices[k]->addr, addr))
				return true;
	}
	return false;
}

static char *addr_list(struct host *h, const size_t *v, size_t n)
{
	char *s = xstrdup("");

	for (size_t i = 0; i < n; i++)
		strextendf(&s, "%s%s", i ? ", " : "", h->devices[v[i]].addr);
	return s;
}

static int add_pick(struct config_result *r, struct device *d, const struct config_entry *e,
		    bool explicit_target, char **ret_error)
{
	for (size_t i = 0; i < r->n_picks; i++) {
		struct config_pick *p = &r->picks[i];
		if (p->dev != d)
			continue;
		if (!streq(p->entry->driver, e->driver))
			return fail(
				ret_error, -EINVAL, e->file, e->line,
				"entry '%s' gives %s driver %s, but entry '%s' (%s:%u) gives it "
				"driver %s%s",
				e->name, d->addr, e->driver, p->entry->name, p->entry->file,
				p->entry->line, p->entry->driver,
				explicit_target && p->explicit_target ? ""
								      : " (group=yes takes the "
									"whole IOMMU group)");
		if (explicit_target && !p->explicit_target)
			p->entry = e;
		p->explicit_target |= explicit_target;
		return 0;
	}
	r->picks = xrealloc(r->picks, (r->n_picks + 1) * sizeof(*r->picks));
	r->picks[r->n_picks++] =
		(struct config_pick){ .dev = d, .entry = e, .explicit_target = explicit_target };
	return 0;
}

static void add_mismatch(struct config_mismatch **v, size_t *n, const struct config_entry *e,
			 const struct device_ident *id)
{
	struct config_mismatch *m;

	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	m = &(*v)[(*n)++];
	memset(m, 0, sizeof(*m));
	m->entry = xstrdup(e->name);
	m->file = xstrdup(e->file);
	m->line = e->line;
	snprintf(m->address, sizeof(m->address), "%s", id->dev->addr);
	m->expected = describe_expected(e);
	m->found = describe_found(e, id);
}

static int cmp_pick(const void *a, const void *b)
{
	const struct config_pick *x = a, *y = b;
	/* Devices live in one array sorted by address: pointer order is address order. */
	return (x->dev > y->dev) - (x->dev < y->dev);
}

int config_resolve(const struct config *c, struct host *h, const struct device_ident *ids,
		   const char *only_addr, struct config_result *ret, char **ret_error)
{
	struct config_result r = { 0 };
	int err = 0;

	*ret_error = NULL;
	for (size_t i = 0; i < c->n_entries && !err; i++) {
		const struct config_entry *e = &c->entries[i];
		struct entry_eval ev;

		err = eval_entry(e, h, ids, &ev, ret_error);
		if (err < 0) {
			eval_done(&ev);
			break;
		}
		if (only_addr && !eval_contains(h, e, &ev, only_addr)) {
			eval_done(&ev);
			continue;
		}
		if (ev.mismatch) {
			for (size_t k = 0; k < ev.n_loc; k++)
				add_mismatch(&r.mismatches, &r.n_mismatches, e, &ids[ev.loc[k]]);
			eval_done(&ev);
			continue;
		}
		if (ev.n_sel == 0 && e->match == MATCH_ONE) {
			_cleanup_free_ char *where = describe_location(e),
					    *what = describe_expected(e);
			if (has_location(e))
				err = fail(ret_error, -EINVAL, e->file, e->line,
					   "entry '%s' matches no device: there is none at %s; add "
					   "match=optional if it may be absent",
					   e->name, where);
			else
				err = fail(ret_error, -EINVAL, e->file, e->line,
					   "entry '%s' matches no device: none is %s; add "
					   "match=optional if it may be absent",
					   e->name, what);
		} else if (ev.n_sel > 1 && e->match != MATCH_ALL) {
			_cleanup_free_ char *list = addr_list(h, ev.sel, ev.n_sel);
			err = fail(
				ret_error, -EINVAL, e->file, e->line,
				"entry '%s' matches %zu devices (%s); add address=, slot=, path= "
				"or serial= to tell them apart, or match=all to take them all",
				e->name, ev.n_sel, list);
		} else if (ev.n_sel == 0)
			strv_push(&r.notes,
				  xasprintf("%s:%u: entry '%s' matches no device; nothing "
					    "to do for it",
					    e->file, e->line, e->name));
		for (size_t k = 0; k < ev.n_sel && !err; k++) {
			struct device *d = &h->devices[ev.sel[k]];
			struct group *g = d->group >= 0 ? host_find_group(h, d->group) : NULL;
			err = add_pick(&r, d, e, true, ret_error);
			for (size_t m = 0; e->group && g && m < g->n_devices && !err; m++)
				if (g->devices[m] != d)
					err = add_pick(&r, g->devices[m], e, false, ret_error);
		}
		eval_done(&ev);
	}
	if (err < 0) {
		config_result_done(&r);
		memset(ret, 0, sizeof(*ret));
		return err;
	}
	/* A group=yes pick may have come before the explicit one: keep address order. */
	if (r.n_picks > 1)
		qsort(r.picks, r.n_picks, sizeof(*r.picks), cmp_pick);
	*ret = r;
	return 0;
}

/* ---- apply --device and status ---- */

bool config_entry_touches(const struct config_entry *e, const struct device_ident *id)
{
	if (!location_matches(e, id))
		return false;
	if (has_location(e))
		return true;		     /* selected, or a mismatch to report */
	return identity_matches(e, id) != 0; /* -EACCES: let the full run say so */
}

void config_find_mismatches(const struct config *c, struct host *h, const struct device_ident *ids,
			    struct config_mismatch **ret, size_t *ret_n)
{
	struct config_mismatch *v = NULL;
	size_t n = 0;

	/* Entry by entry: an entry that matches nothing or too much is apply's business, not a
	 * reason to hide the mismatches of the others. */
	for (size_t i = 0; i < c->n_entries; i++) {
		struct entry_eval ev;
		_cleanup_free_ char *ignored = NULL;
		if (eval_entry(&c->entries[i], h, ids, &ev, &ignored) >= 0 && ev.mismatch)
			for (size_t k = 0; k < ev.n_loc; k++)
				add_mismatch(&v, &n, &c->entries[i], &ids[ev.loc[k]]);
		eval_done(&ev);
	}
	*ret = v;
	*ret_n = n;
}
