/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel command line and modprobe.d parser (status's boot story): any text parses, and
 * what it yields is plain: module names without "-", sources and texts set. The first byte
 * chooses the parser. */
#include <stdint.h>
#include <stdlib.h>

#include "bootconf.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_directives b = { 0 };
	char *text;
	char *mods[] = { "e1000e", "vfio-pci", NULL };

	if (size == 0)
		return 0;
	text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] & 1)
		boot_parse_cmdline(&b, text);
	else
		boot_parse_modprobe(&b, "/etc/modprobe.d/fuzz.conf", text);
	for (size_t i = 0; i < b.n; i++) {
		if (!b.items[i].module || strchr(b.items[i].module, '-') || !b.items[i].source ||
		    !b.items[i].text)
			abort();
		if (b.items[i].kind == BOOT_VFIO_IDS &&
		    (b.items[i].vendor == BOOT_ANY_ID && b.items[i].device == BOOT_ANY_ID))
			abort();
		(void)boot_directive_concerns(&b.items[i], 0x8086, 0x10d3, mods);
	}
	boot_directives_done(&b);
	free(text);
	return 0;
}
