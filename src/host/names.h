/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Vendor, device and class names from pci.ids, through libpci. */
struct names;

/* Opens the name database. With DEVOWN_ROOT set, <root>/usr/share/misc/pci.ids is used when it
 * exists, so fixture trees carry their own. Never fails: without a database every lookup
 * returns NULL. Free with names_free(). */
struct names *names_new(void);
void names_free(struct names *n);
/* Loads the names remembered for this pci.ids under DEVOWN_RUNDIR or, when there are none,
 * parses pci.ids now rather than at the first lookup (tens of milliseconds), so that it can be
 * done while something else waits. */
void names_preload(struct names *n);
/* Remembers the answers of this run for the next (root only; nothing when none was new). */
void names_save(struct names *n);

/* Each returns a newly allocated name, or NULL when pci.ids does not know the ID. */
char *names_vendor(struct names *n, unsigned vendor);
char *names_device(struct names *n, unsigned vendor, unsigned device);
/* class_id is the 24-bit class code; the name is of its base class and subclass. */
char *names_class(struct names *n, unsigned class_id);
