/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The JSON helpers every JSON devown writes shares: its stdout and its journal. */
#include "json.h"
#include "util.h"

/* Every key here is a string literal, added once to a new object: json-c need neither copy it
 * nor look for an earlier value (thousands of devices, some thirty keys each). */
void json_put(json_object *o, const char *key, json_object *v)
{
	json_object_object_add_ex(o, key, v,
				  JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT);
}

json_object *json_str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

json_object *json_strv(char *const *v)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; v && v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

void json_print(json_object *o)
{
	const char *text = json_object_to_json_string_ext(
		o,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	/* json-c copies string bytes as they are: a byte that is not UTF-8 (an argument, a file
	 * name) would make the whole document invalid for every consumer. */
	_cleanup_free_ char *fixed = str_json_utf8(text);

	fputs(fixed ? fixed : text, stdout);
	fputc('\n', stdout);
}
