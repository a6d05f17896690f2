/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/PID/stat and /proc/PID/limits, which any process shapes: its command name may hold
 * spaces and parentheses (devown run's liveness check), its limits any numbers (--owner's
 * locked-memory note). */
#include <stdint.h>
#include <stdlib.h>

#include "kernel-text.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	unsigned long long start, soft, hard;

	memcpy(s, data, size);
	s[size] = '\0';
	(void)proc_stat_starttime(s, &start);
	if (proc_limits_memlock(s, &soft, &hard) == 0 && !strstr(s, "Max locked memory"))
		abort();
	free(s);
	return 0;
}
