/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The address and TARGET parsers: a normalised address normalises to itself. */
#include <stdint.h>
#include <stdlib.h>

#include "addr.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[PCI_ADDR_MAX], buf2[PCI_ADDR_MAX];
	struct target t;

	memcpy(s, data, size);
	s[size] = '\0';
	if (pci_addr_normalize(s, buf) == 0) {
		if (pci_addr_normalize(buf, buf2) != 0 || strcmp(buf, buf2) != 0)
			abort();
	}
	if (target_parse(s, &t) < 0)
		free(target_parse_error(s));
	free(s);
	return 0;
}
