/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* What the kernel command line and modprobe.d say about PCI drivers at boot, parsed (pure: the
 * host layer reads /proc/cmdline and the modprobe.d files). status compares it with the
 * configuration: these are the blunt remedies (every device with an ID, every device of a
 * driver) that can take or keep devices the configuration names per address. */

enum boot_directive_kind {
	BOOT_VFIO_IDS,	/* vfio-pci.ids=V:D[,...] or "options vfio-pci ids=V:D[,...]" */
	BOOT_BLACKLIST, /* modprobe.blacklist=M[,...], module_blacklist=, "blacklist M" */
	BOOT_SOFTDEP,	/* "softdep M pre: ... vfio-pci ..." (vfio-pci loaded before M) */
	BOOT_INSTALL,	/* "install M COMMAND": loading M runs something else */
};

/* The name each kind has in JSON and messages: "vfio-pci.ids", "blacklist", "softdep",
 * "install". */
const char *boot_directive_kind_name(enum boot_directive_kind k);

#define BOOT_ANY_ID 0xffffffffu /* a vfio-pci ids= field left out or ffffffff: any */

struct boot_directive {
	enum boot_directive_kind kind;
	char *module;		 /* the module it concerns, "-" spelled "_"; "vfio_pci" for IDs */
	unsigned vendor, device; /* BOOT_VFIO_IDS: one directive per ID pair */
	char *source;		 /* "/proc/cmdline" or "FILE:LINE" */
	char *text;		 /* the word or line as written (trimmed) */
};

struct boot_directives {
	struct boot_directive *items;
	size_t n;
};

void boot_directives_done(struct boot_directives *b);

/* Parses a kernel command line (words split on white space, "double quotes" keep spaces).
 * Adds vfio-pci.ids= (vfio_pci.ids= too), modprobe.blacklist= and module_blacklist= directives
 * with source "/proc/cmdline"; malformed IDs are skipped, as the kernel skips them. Never
 * fails. */
void boot_parse_cmdline(struct boot_directives *b, const char *text);

/* Parses one modprobe.d file's text (comments, "\" line continuations) and adds its
 * "blacklist", "install", "softdep ... pre: vfio-pci" / "vfio_pci" and "options vfio-pci ids="
 * directives with source "FILE:LINE". Never fails: what modprobe would ignore is ignored. */
void boot_parse_modprobe(struct boot_directives *b, const char *file, const char *text);

/* Whether directive d concerns a PCI device with these IDs and (host driver) module names:
 * its vfio-pci IDs match, or it blacklists, softdeps or replaces one of the modules. */
bool boot_directive_concerns(const struct boot_directive *d, unsigned vendor, unsigned device,
			     char *const *modules);

/* status's boot story (devown(8), BOOT), built from what is known after boot (pure). */
struct boot_bound { /* a journal entry made at boot or by the udev rule */
	char *address, *origin;
	char *driver;	       /* what it is on now, NULL for none */
	char *previous_driver; /* what it was on before devown (NULL: nothing yet, devown first) */
};

struct boot_taken { /* a configured device that a host driver holds instead */
	char *address, *entry, *driver, *wanted, *hint;
};

struct boot_conflict { /* a directive of the command line or modprobe.d that concerns them */
	const struct boot_directive *directive;
	char **devices; /* configured devices it concerns (strv) */
	char **others;	/* vfio-pci IDs: the devices it also takes that no entry names */
	char *message;
};

struct boot_report {
	struct boot_bound *bound;
	size_t n_bound;
	struct boot_taken *taken;
	size_t n_taken;
	struct boot_conflict *conflicts;
	size_t n_conflicts;
};

struct host;
struct journal;
struct config_result;

/* Fills r from the host, the journal (may be NULL), the resolved configuration (may be NULL)
 * and the directives (which r points into: keep them until boot_report_done). */
void boot_report_build(const struct host *h, const struct journal *j,
		       const struct config_result *res, const struct boot_directives *dirs,
		       struct boot_report *r);
void boot_report_done(struct boot_report *r);
