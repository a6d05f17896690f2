/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

#include "devown-config.h"
#include "model.h"

/* Writes an entry in the syntax config_parse_text reads (export). */
void config_entry_format(const struct config_entry *e, FILE *f);
/* The same as JSON: every key, null when absent. Caller owns the object. */
json_object *config_entry_to_json(const struct config_entry *e);
json_object *config_mismatch_to_json(const struct config_mismatch *m);

/* One device of `devown export`, with what the comment above its entry says. */
struct export_item {
	struct config_entry e;
	const struct device *dev;
	const char *host_driver; /* the driver it had before devown, from the journal */
	bool path_unknown;	 /* selected by address: its position could not be read */
};
/* export as text (entries under a comment each) and as JSON. */
void export_print_text(const struct export_item *v, size_t n);
void export_print_json(const struct export_item *v, size_t n);
