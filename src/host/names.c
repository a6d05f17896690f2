/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <pci/pci.h>

#include "names.h"
#include "strmap.h"
#include "sysfs.h"
#include "util.h"

/* Parsing pci.ids costs libpci tens of milliseconds on every run, more than reading the
 * devices of a host with a thousand functions, while a host has few distinct IDs. So the
 * answers are remembered in DEVOWN_RUNDIR/names, for one pci.ids file (path, device, inode,
 * size and modification time: update-pciids replaces it), and pci.ids is parsed only when a
 * lookup is not there. Only root writes that file; everyone reads it. */
#define CACHE_FILE   "names"
#define CACHE_HEADER "devown-names 1\n"

struct names {
	struct pci_access *pacc;
	bool broken;	     /* libpci failed: every lookup returns NULL */
	char *source;	     /* "source PATH DEV INO SIZE MTIME\n" of pci.ids, or NULL */
	struct strmap known; /* "v8086", "d8086:10d3", "c0200" -> name ("" unknown) */
	bool dirty;	     /* known has answers the cache file lacks */
};

/* libpci declares its error callback noreturn and would otherwise exit the process; jump back
 * to the lookup that called it and record that the database is unusable. */
static jmp_buf *names_jmp;

static void log_libpci(int level, const char *msg, va_list ap) _printf_(2, 0);
static void log_libpci(int level, const char *msg, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), msg, ap);
	log_internal(level, 0, "libpci: %s", buf);
}

static void pci_error_cb(char *msg, ...) __attribute__((noreturn));
static void pci_error_cb(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	log_libpci(LOG_LEVEL_WARNING, msg, ap);
	va_end(ap);
	if (names_jmp)
		longjmp(*names_jmp, 1);
	abort(); /* unreachable: every libpci call below sets names_jmp */
}

static void pci_warning_cb(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	log_libpci(LOG_LEVEL_DEBUG, msg, ap);
	va_end(ap);
}

static void pci_debug_cb(char *msg, ...) {}

/* The file libpci will parse: its name, or, for a name ending in ".gz" that does not exist,
 * the name without it (Debian's libpci is built for pci.ids.gz and ships pci.ids). */
static int ids_file(const char *name, char **ret_path, struct stat *st)
{
	size_t len = name ? strlen(name) : 0;

	if (!name)
		return -ENOENT;
	if (stat(name, st) == 0) {
		*ret_path = xstrdup(name);
		return 0;
	}
	if (len < 3 || !endswith(name, ".gz"))
		return -errno;
	*ret_path = xasprintf("%.*s", (int)(len - 3), name);
	if (stat(*ret_path, st) == 0)
		return 0;
	return -errno;
}

struct names *names_new(void)
{
	struct names *n = xcalloc(1, sizeof(*n));
	_cleanup_free_ char *path = NULL;
	struct stat st;

	n->pacc = pci_alloc();
	if (!n->pacc) {
		n->broken = true;
		return n;
	}
	n->pacc->error = pci_error_cb;
	n->pacc->warning = pci_warning_cb;
	n->pacc->debug = pci_debug_cb;
	if (root_is_fake()) {
		char *p = root_path("/usr/share/misc/pci.ids");
		if (access(p, R_OK) == 0)
			pci_set_name_list_path(n->pacc, p, 1);
		else
			free(p);
	}
	if (ids_file(n->pacc->id_file_name, &path, &st) == 0)
		n->source = xasprintf("source %s %llu %llu %lld %lld.%09ld\n", path,
				      (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
				      (long long)st.st_size, (long long)st.st_mtim.tv_sec,
				      st.st_mtim.tv_nsec);
	return n;
}

void names_free(struct names *n)
{
	if (!n)
		return;
	if (n->pacc)
		pci_cleanup(n->pacc);
	strmap_free(&n->known, free);
	free(n->source);
	free(n);
}

/* Loads the cache file when it is for this pci.ids; a malformed one is ignored whole. */
static bool cache_load(struct names *n)
{
	_cleanup_free_ char *text = NULL;
	char *line, *next;

	if (!n->source || run_file_read(CACHE_FILE, &text) < 0 || !startswith(text, CACHE_HEADER) ||
	    !startswith(text + strlen(CACHE_HEADER), n->source))
		return false;
	for (line = text + strlen(CACHE_HEADER) + strlen(n->source); *line; line = next) {
		char *nl = strchr(line, '\n'), *tab = strchr(line, '\t');
		bool added;
		void **v;
		if (!nl || !tab || tab > nl || tab == line) {
			strmap_free(&n->known, free);
			return false;
		}
		*nl = *tab = '\0';
		next = nl + 1;
		v = strmap_put(&n->known, line, &added);
		if (added)
			*v = xstrdup(tab + 1);
	}
	return true;
}

void names_save(struct names *n)
{
	_cleanup_free_ char *text = NULL;
	size_t len, cap;

	if (!n || !n->dirty || n->broken || !n->source || geteuid() != 0)
		return;
	len = strlen(CACHE_HEADER) + strlen(n->source);
	cap = len + 1;
	STRMAP_FOREACH(slot, &n->known) cap += strlen(slot->key) + strlen(slot->value) + 2;
	text = xmalloc(cap);
	len = (size_t)sprintf(text, "%s%s", CACHE_HEADER, n->source);
	STRMAP_FOREACH(slot, &n->known)
	{
		const char *name = slot->value;
		/* pci.ids names hold no tabs or newlines; one that did would break the format. */
		if (!strpbrk(name, "\t\n"))
			len += (size_t)sprintf(text + len, "%s\t%s\n", slot->key, name);
	}
	if (run_file_replace(CACHE_FILE, text, false) < 0)
		log_debug("cannot write %s: %m", CACHE_FILE);
	n->dirty = false;
}

/* libpci's answer; parses pci.ids first if that has not been done. */
static char *lookup_libpci(struct names *n, int flags, unsigned a, unsigned b)
{
	char buf[256];
	char *s = NULL;
	jmp_buf jb;

	if (n->broken)
		return NULL;
	if (setjmp(jb)) {
		names_jmp = NULL;
		n->broken = true;
		return NULL;
	}
	names_jmp = &jb;
	if (flags & PCI_LOOKUP_DEVICE)
		s = pci_lookup_name(n->pacc, buf, sizeof(buf), flags, a, b);
	else
		s = pci_lookup_name(n->pacc, buf, sizeof(buf), flags, a);
	names_jmp = NULL;
	return s ? xstrdup(s) : NULL;
}

void names_preload(struct names *n)
{
	if (!n || n->broken || cache_load(n))
		return;
	/* A first lookup parses pci.ids (or finds that it cannot, and every later one returns
	 * NULL, as it would have); its answer is not needed. */
	free(lookup_libpci(n, PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB,
			   0x8086, 0));
}

static char *lookup(struct names *n, int kind, unsigned a, unsigned b)
{
	/* No hwdb and no DNS: pci.ids is the one source, the same on every host and fixture. */
	const int flags = kind | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB;
	char key[32];
	char *s;
	void **v;
	bool added;

	if (!n || n->broken)
		return NULL;
	if (kind == PCI_LOOKUP_DEVICE)
		snprintf(key, sizeof(key), "d%04x:%04x", a, b);
	else
		snprintf(key, sizeof(key), "%c%04x", kind == PCI_LOOKUP_VENDOR ? 'v' : 'c', a);
	v = strmap_get(&n->known, key);
	if (v)
		return **(char **)v ? xstrdup(*v) : NULL;
	s = lookup_libpci(n, flags, a, b);
	if (n->broken)
		return NULL;
	v = strmap_put(&n->known, key, &added);
	*v = xstrdup(s ? s : "");
	n->dirty = true;
	return s;
}

char *names_vendor(struct names *n, unsigned vendor)
{
	return lookup(n, PCI_LOOKUP_VENDOR, vendor, 0);
}

char *names_device(struct names *n, unsigned vendor, unsigned device)
{
	return lookup(n, PCI_LOOKUP_DEVICE, vendor, device);
}

char *names_class(struct names *n, unsigned class_id)
{
	unsigned cls = class_id >> 8;
	char *s = lookup(n, PCI_LOOKUP_CLASS, cls, 0);
	char suffix[16];

	/* When pci.ids knows the base class but not the subclass, libpci appends the number
	 * (" [0c80]") even with PCI_LOOKUP_NO_NUMBERS: keep the name alone. */
	snprintf(suffix, sizeof(suffix), " [%04x]", cls);
	if (s && endswith(s, suffix))
		s[strlen(s) - strlen(suffix)] = '\0';
	return s;
}
