/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The journal loader: any text is a journal or -EBADMSG, and what it accepts is plain. */
#include <stdint.h>
#include <stdlib.h>

#include "journal-file.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal j;
	char *text = malloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	if (journal_parse(&j, text) == 0)
		for (size_t i = 0; i < j.n_entries; i++)
			if (j.entries[i].driver && strchr(j.entries[i].driver, '/'))
				abort();
	journal_done(&j);
	free(text);
	return 0;
}
