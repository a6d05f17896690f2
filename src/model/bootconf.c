/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel command line and modprobe.d, as far as they decide which driver takes a PCI
 * device at boot. */
#include <ctype.h>

#include "bootconf.h"
#include "devown-config.h"
#include "journal.h"
#include "model.h"
#include "policy.h"
#include "util.h"

const char *boot_directive_kind_name(enum boot_directive_kind k)
{
	switch (k) {
	case BOOT_VFIO_IDS:
		return "vfio-pci.ids";
	case BOOT_BLACKLIST:
		return "blacklist";
	case BOOT_SOFTDEP:
		return "softdep";
	case BOOT_INSTALL:
		return "install";
	}
	return "?";
}

void boot_directives_done(struct boot_directives *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->items[i].module);
		free(b->items[i].source);
		free(b->items[i].text);
	}
	free(b->items);
	memset(b, 0, sizeof(*b));
}

static char *dup_n(const char *s, size_t n)
{
	return xasprintf("%.*s", (int)n, s);
}

/* s without the white space around it. */
static char *dup_trimmed(const char *s)
{
	size_t n;

	while (*s && isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return dup_n(s, n);
}

/* modprobe treats "-" and "_" in module names alike. */
static char *module_name(const char *s, size_t n)
{
	char *m = dup_n(s, n);

	for (char *c = m; *c; c++)
		if (*c == '-')
			*c = '_';
	return m;
}

static void add(struct boot_directives *b, enum boot_directive_kind kind, const char *module,
		size_t module_len, unsigned vendor, unsigned device, const char *source,
		const char *text)
{
	struct boot_directive *d;

	b->items = xrealloc(b->items, (b->n + 1) * sizeof(*b->items));
	d = &b->items[b->n++];
	d->kind = kind;
	d->module = module_name(module, module_len);
	d->vendor = vendor;
	d->device = device;
	d->source = xstrdup(source);
	d->text = xstrdup(text);
}

/* One vfio-pci ID field: hex, at most 8 digits; empty means any (the kernel's sscanf reads
 * "%x:%x:%x:%x:%x:%x:%x" and leaves missing fields PCI_ANY_ID). */
static int parse_hex_field(const char *s, size_t n, unsigned *ret)
{
	unsigned v = 0;

	if (n == 0 || n > 8) {
		if (n == 0)
			*ret = BOOT_ANY_ID;
		return n == 0 ? 0 : -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		int x = unhexchar(s[i]);
		if (x < 0)
			return -EINVAL;
		v = v * 16 + (unsigned)x;
	}
	*ret = v;
	return 0;
}

/* "V:D[:SV:SD:C:CM],V:D..." into one directive per ID; the subsystem and class fields are
 * accepted and not compared (they narrow, never widen, what the IDs take). */
static void add_vfio_ids(struct boot_directives *b, const char *list, size_t len,
			 const char *source, const char *text)
{
	const char *p = list, *end = list + len;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p)), *colon;
		const char *item_end = comma ? comma : end;
		unsigned v, d;

		colon = memchr(p, ':', (size_t)(item_end - p));
		if (colon && parse_hex_field(p, (size_t)(colon - p), &v) == 0) {
			const char *d_end = memchr(colon + 1, ':', (size_t)(item_end - colon - 1));
			if (!d_end)
				d_end = item_end;
			if (parse_hex_field(colon + 1, (size_t)(d_end - colon - 1), &d) == 0 &&
			    (v != BOOT_ANY_ID || d != BOOT_ANY_ID))
				add(b, BOOT_VFIO_IDS, "vfio_pci", 8, v, d, source, text);
		}
		p = item_end + (comma ? 1 : 0);
	}
}

static void add_module_list(struct boot_directives *b, const char *list, size_t len,
			    const char *source, const char *text)
{
	const char *p = list, *end = list + len;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *item_end = comma ? comma : end;
		if (item_end > p)
			add(b, BOOT_BLACKLIST, p, (size_t)(item_end - p), 0, 0, source, text);
		p = item_end + (comma ? 1 : 0);
	}
}

/* A key=value word whose key is module.param with "-" and "_" alike. */
static bool key_is(const char *word, size_t key_len, const char *key)
{
	if (strlen(key) != key_len)
		return false;
	for (size_t i = 0; i < key_len; i++) {
		char a = word[i] == '-' ? '_' : word[i], k = key[i] == '-' ? '_' : key[i];
		if (a != k)
			return false;
	}
	return true;
}

static void cmdline_word(struct boot_directives *b, const char *w, size_t n)
{
	_cleanup_free_ char *text = dup_n(w, n), *value = NULL;
	const char *eq = memchr(w, '=', n);
	size_t klen, vlen;

	if (!eq)
		return;
	klen = (size_t)(eq - w);
	/* The kernel strips one pair of quotes around a value: vfio-pci.ids="8086:10d3". */
	value = dup_n(eq + 1, n - klen - 1);
	vlen = strlen(value);
	if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
		memmove(value, value + 1, vlen - 2);
		value[vlen - 2] = '\0';
		vlen -= 2;
	}
	if (key_is(w, klen, "vfio_pci.ids"))
		add_vfio_ids(b, value, vlen, "/proc/cmdline", text);
	else if (key_is(w, klen, "modprobe.blacklist") || key_is(w, klen, "module_blacklist"))
		add_module_list(b, value, vlen, "/proc/cmdline", text);
}

void boot_parse_cmdline(struct boot_directives *b, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *start;
		bool quoted = false;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && (quoted || !isspace((unsigned char)*p))) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		cmdline_word(b, start, (size_t)(p - start));
	}
}

/* The next white-space separated word of s (advanced past it); NULL at the end. */
static const char *next_word(const char **s, size_t *ret_len)
{
	const char *p = *s, *start;

	while (*p && isspace((unsigned char)*p))
		p++;
	if (!*p)
		return NULL;
	start = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	*ret_len = (size_t)(p - start);
	*s = p;
	return start;
}

static bool word_is(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(w, s, n) == 0;
}

static void modprobe_line(struct boot_directives *b, const char *line, const char *source)
{
	const char *p = line, *cmd, *mod;
	size_t cn, mn;
	_cleanup_free_ char *text = NULL;

	cmd = next_word(&p, &cn);
	if (!cmd || !(mod = next_word(&p, &mn)))
		return;
	text = dup_trimmed(line);
	if (word_is(cmd, cn, "blacklist"))
		add(b, BOOT_BLACKLIST, mod, mn, 0, 0, source, text);
	else if (word_is(cmd, cn, "install"))
		add(b, BOOT_INSTALL, mod, mn, 0, 0, source, text);
	else if (word_is(cmd, cn, "softdep")) {
		/* Only what loads vfio-pci first: "softdep M pre: vfio-pci" and the like. */
		bool pre = false;
		const char *w;
		size_t wn;
		while ((w = next_word(&p, &wn))) {
			_cleanup_free_ char *name = NULL;
			if (word_is(w, wn, "pre:") || word_is(w, wn, "post:")) {
				pre = word_is(w, wn, "pre:");
				continue;
			}
			name = module_name(w, wn);
			if (pre && streq(name, "vfio_pci")) {
				add(b, BOOT_SOFTDEP, mod, mn, 0, 0, source, text);
				break;
			}
		}
	} else if (word_is(cmd, cn, "options")) {
		_cleanup_free_ char *m = module_name(mod, mn);
		const char *w;
		size_t wn;
		if (!streq(m, "vfio_pci"))
			return;
		while ((w = next_word(&p, &wn)))
			if (wn > 4 && memcmp(w, "ids=", 4) == 0)
				add_vfio_ids(b, w + 4, wn - 4, source, text);
	}
}

void boot_parse_modprobe(struct boot_directives *b, const char *file, const char *text)
{
	_cleanup_free_ char *line = NULL;
	unsigned lineno = 0, first = 0;
	const char *p = text;

	/* modprobe joins a line ending in "\" with the next; "#" starts a comment line. */
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		bool cont;

		lineno++;
		if (!line) {
			line = xstrdup("");
			first = lineno;
		}
		cont = n > 0 && p[n - 1] == '\\';
		{
			_cleanup_free_ char *part = dup_n(p, cont ? n - 1 : n);
			strextendf(&line, "%s%s", *line ? " " : "", part);
		}
		p += n + (nl ? 1 : 0);
		if (cont && *p)
			continue;
		{
			const char *s = line;
			while (*s && isspace((unsigned char)*s))
				s++;
			if (*s && *s != '#') {
				_cleanup_free_ char *source = xasprintf("%s:%u", file, first);
				modprobe_line(b, line, source);
			}
		}
		free(line);
		line = NULL;
	}
}

bool boot_directive_concerns(const struct boot_directive *d, unsigned vendor, unsigned device,
			     char *const *modules)
{
	if (d->kind == BOOT_VFIO_IDS)
		return (d->vendor == BOOT_ANY_ID || d->vendor == vendor) &&
		       (d->device == BOOT_ANY_ID || d->device == device);
	for (size_t i = 0; modules && modules[i]; i++) {
		_cleanup_free_ char *m = module_name(modules[i], strlen(modules[i]));
		if (streq(m, d->module))
			return true;
	}
	return false;
}

/* Whether the device's current driver is what entry driver `want` asks for. */
static bool driver_satisfies(const char *cur, const char *want)
{
	if (streq(want, "vfio"))
		return driver_is_vfio(cur);
	if (streq(want, "none"))
		return !cur;
	return cur && driver_name_eq(cur, want);
}

/* The module names a device's host driver goes by: its modalias matches and its bound driver. */
static char **host_modules(const struct device *d)
{
	char **v = NULL;

	for (size_t i = 0; d->modules && d->modules[i]; i++)
		strv_push(&v, xstrdup(d->modules[i]));
	if (d->driver && !driver_is_dma_managed(d->driver))
		strv_push(&v, xstrdup(d->driver));
	if (d->driver_module)
		strv_push(&v, xstrdup(d->driver_module));
	return v;
}

static char *conflict_message(const struct boot_directive *d, char **devices, char **others)
{
	_cleanup_free_ char *devs = strv_join(devices, ", ");
	const char *kind = boot_directive_kind_name(d->kind);

	switch (d->kind) {
	case BOOT_VFIO_IDS:
		if (others) {
			_cleanup_free_ char *o = strv_join(others, ", ");
			return xasprintf("'%s' (%s) gives vfio-pci every device with these IDs, "
					 "also %s, which no entry names: remove it and let the "
					 "configuration choose %s by address",
					 d->text, d->source, o, devs);
		}
		return xasprintf("'%s' (%s) binds %s to vfio-pci by ID, outside devown's journal: "
				 "remove it so that the configuration alone decides and 'devown "
				 "restore' can give %s back",
				 d->text, d->source, devs, devs);
	case BOOT_BLACKLIST:
		return xasprintf(
			"'%s' (%s) keeps %s, the host driver of %s, from loading for every "
			"device: 'devown restore' cannot give it back while it stays",
			d->text, d->source, d->module, devs);
	case BOOT_SOFTDEP:
		return xasprintf("'%s' (%s) loads vfio-pci before %s, the host driver of %s: with "
				 "vfio-pci IDs it takes every such device; the configuration, "
				 "per address, needs neither",
				 d->text, d->source, d->module, devs);
	case BOOT_INSTALL:
		return xasprintf("'%s' (%s) replaces loading %s, the host driver of %s, with a "
				 "command devown cannot see into",
				 d->text, d->source, d->module, devs);
	}
	return xasprintf("%s (%s)", kind, d->source);
}

void boot_report_build(const struct host *h, const struct journal *j,
		       const struct config_result *res, const struct boot_directives *dirs,
		       struct boot_report *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; j && i < j->n_entries; i++) {
		const struct journal_entry *e = &j->entries[i];
		const struct device *d = host_find_device((struct host *)h, e->addr);
		struct boot_bound *b;
		if (!e->origin)
			continue;
		r->bound = xrealloc(r->bound, (r->n_bound + 1) * sizeof(*r->bound));
		b = &r->bound[r->n_bound++];
		b->address = xstrdup(e->addr);
		b->origin = xstrdup(e->origin);
		b->driver = d && d->driver ? xstrdup(d->driver) : NULL;
		b->previous_driver = e->driver ? xstrdup(e->driver) : NULL;
	}
	for (size_t i = 0; res && i < res->n_picks; i++) {
		const struct config_pick *p = &res->picks[i];
		const struct device *d = p->dev;
		struct boot_taken *t;
		if (!p->explicit_target || !d->driver || driver_is_dma_managed(d->driver) ||
		    driver_satisfies(d->driver, p->entry->driver) ||
		    (j && journal_find((struct journal *)j, d->addr)))
			continue;
		r->taken = xrealloc(r->taken, (r->n_taken + 1) * sizeof(*r->taken));
		t = &r->taken[r->n_taken++];
		t->address = xstrdup(d->addr);
		t->entry = xstrdup(p->entry->name);
		t->driver = xstrdup(d->driver);
		t->wanted = xstrdup(p->entry->driver);
		t->hint = xasprintf(
			"%s took %s before devown could act (its module is in the initramfs or "
			"built in): install devown's initramfs hook and run 'update-initramfs -u' "
			"(dracut: 'dracut -f'), then reboot; or run 'devown apply' to move it now",
			d->driver, d->addr);
	}
	for (size_t k = 0; dirs && k < dirs->n; k++) {
		const struct boot_directive *dir = &dirs->items[k];
		char **devices = NULL, **others = NULL;
		struct boot_conflict *c;
		for (size_t i = 0; res && i < res->n_picks; i++) {
			const struct device *d = res->picks[i].dev;
			_cleanup_strv_free_ char **mods = host_modules(d);
			if (boot_directive_concerns(dir, d->vendor_id, d->device_id, mods) &&
			    !strv_contains(devices, d->addr))
				strv_push(&devices, xstrdup(d->addr));
		}
		if (!devices)
			continue;
		if (dir->kind == BOOT_VFIO_IDS)
			for (size_t i = 0; i < h->n_devices; i++) {
				const struct device *d = &h->devices[i];
				if (boot_directive_concerns(dir, d->vendor_id, d->device_id,
							    NULL) &&
				    !strv_contains(devices, d->addr))
					strv_push(&others, xstrdup(d->addr));
			}
		r->conflicts = xrealloc(r->conflicts, (r->n_conflicts + 1) * sizeof(*r->conflicts));
		c = &r->conflicts[r->n_conflicts++];
		c->directive = dir;
		c->devices = devices;
		c->others = others;
		c->message = conflict_message(dir, devices, others);
	}
}

void boot_report_done(struct boot_report *r)
{
	for (size_t i = 0; i < r->n_bound; i++) {
		free(r->bound[i].address);
		free(r->bound[i].origin);
		free(r->bound[i].driver);
		free(r->bound[i].previous_driver);
	}
	for (size_t i = 0; i < r->n_taken; i++) {
		free(r->taken[i].address);
		free(r->taken[i].entry);
		free(r->taken[i].driver);
		free(r->taken[i].wanted);
		free(r->taken[i].hint);
	}
	for (size_t i = 0; i < r->n_conflicts; i++) {
		strv_free(r->conflicts[i].devices);
		strv_free(r->conflicts[i].others);
		free(r->conflicts[i].message);
	}
	free(r->bound);
	free(r->taken);
	free(r->conflicts);
	memset(r, 0, sizeof(*r));
}
