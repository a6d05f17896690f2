/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

/* Adds v under key to a new object o; key must be a string literal, not yet in o (json-c
 * neither copies it nor looks for an earlier value). */
void json_put(json_object *o, const char *key, json_object *v);
/* A string, or null for NULL. */
json_object *json_str_or_null(const char *s);
/* An array of the strings of a vector (empty for NULL). */
json_object *json_strv(char *const *v);

/* Prints a JSON object to stdout, pretty, with a final newline. */
void json_print(json_object *o);
