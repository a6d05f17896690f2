/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration parser, and the export round trip: what config_entry_format writes of a
 * parsed entry parses back to the same text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config-text.h"
#include "devown-config.h"
#include "util.h"

static char *format(const struct config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < c->n_entries; i++)
		config_entry_format(&c->entries[i], f);
	fclose(f);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c = { 0 }, c2 = { 0 };
	char *text = malloc(size + 1), *err = NULL, *out, *out2;

	memcpy(text, data, size);
	text[size] = '\0';
	if (config_parse_text(&c, "f.conf", text, &err) == 0) {
		out = format(&c);
		free(err);
		err = NULL;
		if (config_parse_text(&c2, "f.conf", out, &err) != 0) {
			fprintf(stderr, "export does not parse back: %s\n%s", err, out);
			abort();
		}
		out2 = format(&c2);
		if (strcmp(out, out2) != 0) {
			fprintf(stderr, "export round trip differs:\n%s---\n%s", out, out2);
			abort();
		}
		free(out);
		free(out2);
	}
	free(err);
	config_done(&c);
	config_done(&c2);
	free(text);
	return 0;
}
