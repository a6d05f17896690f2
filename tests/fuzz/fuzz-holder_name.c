/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/PID/cgroup text, which names a holder's unit, domain and container. */
#include <stdint.h>
#include <stdlib.h>

#include "holder-name.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct holder_name n;

	memcpy(s, data, size);
	s[size] = '\0';
	holder_name_parse(s, &n);
	free(holder_name_label(n.unit, n.domain, n.container));
	holder_name_done(&n);
	free(s);
	return 0;
}
