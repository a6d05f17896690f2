/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>

#include "bootconf.h"
#include "devown-config.h"
#include "json.h"
#include "journal.h"
#include "model.h"
#include "targets.h"

#define DEVOWN_JSON_SCHEMA 1

struct output_options {
	bool json;
	bool verbose;
	bool color; /* decided once in main: a terminal and no NO_COLOR */
};

/* What devown itself knows, beside the kernel's view, shown in a status (cmd-status.c): the
 * devices it changed (the journal), a run that was interrupted, and configuration entries whose
 * device is not the one they describe. In JSON the keys interrupted, managed,
 * config_mismatches and config_error of the head; as text, lines under the header. */
struct status_view {
	const struct journal *journal; /* NULL when it could not be read */
	bool interrupted;	       /* journal_interrupted() */
	const struct config_mismatch *mismatches;
	size_t n_mismatches;
	const char *config_error;	/* the configuration cannot be read or resolved */
	const struct boot_report *boot; /* the boot story (bootconf.h), NULL when not made */
};

/* The JSON of a device, of a group, and of a whole status; callers own the returned object. */
json_object *device_to_json(const struct device *d);
json_object *group_to_json(const struct group *g);
json_object *kernel_to_json(const struct kernel_info *k);
json_object *status_to_json(const struct host *h, const struct selection *s,
			    const struct status_view *v);

/* Prints exactly what json_print(status_to_json(h, s)) prints, building one group or device
 * at a time so that memory stays flat however many devices the host has. */
void status_print_json(const struct host *h, const struct selection *s, const struct status_view *v,
		       FILE *f);

/* The text view of a status. */
void status_print_text(const struct host *h, const struct selection *s, const struct status_view *v,
		       const struct output_options *o, FILE *f);

/* Colour escape helpers: return "" without colour. */
const char *ansi_red(const struct output_options *o);
const char *ansi_green(const struct output_options *o);
const char *ansi_yellow(const struct output_options *o);
const char *ansi_bold(const struct output_options *o);
const char *ansi_reset(const struct output_options *o);

/* What a user's locked-memory limit means for VFIO, one line: "alice's locked-memory limit is
 * 8 MiB; a VM needs its whole memory: raise memlock in /etc/security/limits.d or
 * LimitMEMLOCK=" for a default limit, else just the limit. Caller frees. */
char *memlock_text(const char *user, unsigned long long bytes);
/* Whether such a limit is one nobody raised (the kernel's default, old or new). */
bool memlock_is_default(unsigned long long bytes);
