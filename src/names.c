/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <pci/pci.h>

#include "names.h"
#include "sysfs.h"
#include "util.h"

struct names {
	struct pci_access *pacc;
	bool broken;
};

/* libpci declares its error callback noreturn and would otherwise exit the process; jump back
 * to the lookup that called it and record that the database is unusable. */
static jmp_buf *names_jmp;

static void pci_error_cb(char *msg, ...) __attribute__((noreturn));
static void pci_error_cb(char *msg, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, msg);
	vsnprintf(buf, sizeof(buf), msg, ap);
	va_end(ap);
	log_warning("libpci: %s", buf);
	if (names_jmp)
		longjmp(*names_jmp, 1);
	abort(); /* unreachable: every libpci call below sets names_jmp */
}

static void pci_warning_cb(char *msg, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, msg);
	vsnprintf(buf, sizeof(buf), msg, ap);
	va_end(ap);
	log_debug("libpci: %s", buf);
}

static void pci_debug_cb(char *msg, ...) {}

struct names *names_new(void)
{
	struct names *n = xcalloc(1, sizeof(*n));

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
	return n;
}

void names_free(struct names *n)
{
	if (!n)
		return;
	if (n->pacc)
		pci_cleanup(n->pacc);
	free(n);
}

void names_preload(struct names *n)
{
	jmp_buf jb;

	if (!n || n->broken)
		return;
	if (setjmp(jb)) {
		names_jmp = NULL;
		n->broken = true;
		return;
	}
	names_jmp = &jb;
	/* 0 when pci.ids cannot be read: the lookups then return NULL, as they would. */
	(void)pci_load_name_list(n->pacc);
	names_jmp = NULL;
}

static char *lookup(struct names *n, int kind, unsigned a, unsigned b)
{
	/* No hwdb and no DNS: pci.ids is the one source, the same on every host and fixture. */
	const int flags = kind | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB;
	char buf[256];
	char *s = NULL;
	jmp_buf jb;

	if (!n || n->broken)
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
