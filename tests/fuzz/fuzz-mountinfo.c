/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A line of /proc/PID/mountinfo, which other users' mounts fill. */
#include <stdint.h>
#include <stdlib.h>

#include "kernel-text.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct mountinfo_line m;
	unsigned a, b;

	memcpy(s, data, size);
	s[size] = '\0';
	if (mountinfo_parse_line(s, &m))
		mountinfo_line_done(&m);
	(void)parse_majmin(s, &a, &b);
	unescape_octal(s);
	free(s);
	return 0;
}
