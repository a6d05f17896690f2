/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>

#include "model.h"

#define DEVOWN_JSON_SCHEMA 1

struct output_options {
	bool json;
	bool verbose;
	bool color; /* decided once in main: a terminal and no NO_COLOR */
};

/* What a status shows: some groups, and devices that have no group. Pointers into the host. */
struct selection {
	struct group **groups;
	size_t n_groups;
	struct device **loose;
	size_t n_loose;
	/* What devown itself knows, beside the kernel's view (cmd-status.c): keys added to the
	 * JSON head (managed, interrupted, config_mismatches, config_error), and the same as
	 * text lines printed under the header. Owned; freed by selection_done(). */
	json_object *extra;
	char **notes;
};

/* The JSON of a device, of a group, and of a whole status; callers own the returned object. */
json_object *device_to_json(const struct device *d);
json_object *group_to_json(const struct group *g);
json_object *kernel_to_json(const struct kernel_info *k);
json_object *status_to_json(const struct host *h, const struct selection *s);

/* Prints a JSON object to stdout, pretty, with a final newline. */
void json_print(json_object *o);

/* Prints exactly what json_print(status_to_json(h, s)) prints, building one group or device
 * at a time so that memory stays flat however many devices the host has. */
void status_print_json(const struct host *h, const struct selection *s, FILE *f);

/* The text view of a status. */
void status_print_text(const struct host *h, const struct selection *s,
		       const struct output_options *o, FILE *f);

/* Colour escape helpers: return "" without colour. */
const char *ansi_red(const struct output_options *o);
const char *ansi_green(const struct output_options *o);
const char *ansi_yellow(const struct output_options *o);
const char *ansi_bold(const struct output_options *o);
const char *ansi_reset(const struct output_options *o);
