/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The journal loader and saver: any text is a journal or -EBADMSG; what the loader accepts is
 * plain (no driver name with a '/'), and what the saver writes from it reads back as the same
 * journal (format, parse, format again gives the same text). */
#include <stdint.h>
#include <stdlib.h>

#include "journal-file.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal j, again;
	char *text = malloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	if (journal_parse(&j, text) == 0) {
		char *first, *second;
		for (size_t i = 0; i < j.n_entries; i++)
			if (j.entries[i].driver && strchr(j.entries[i].driver, '/'))
				abort();
		first = journal_format(&j);
		if (journal_copy(&j, &again) < 0)
			abort(); /* the saver wrote what the loader refuses */
		second = journal_format(&again);
		if (!first != !second || (first && strcmp(first, second) != 0))
			abort();
		free(first);
		free(second);
		journal_done(&again);
	}
	journal_done(&j);
	free(text);
	return 0;
}
