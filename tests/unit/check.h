/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
/* A minimal checker: each CHECK prints its failure with the line and counts it. */
#include <stdio.h>
#include <string.h>

static int check_failures, check_count;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		check_count++;                                                                   \
		if (!(cond)) {                                                                   \
			check_failures++;                                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                                \
	} while (0)

#define CHECK_STREQ(a, b)                                                            \
	do {                                                                         \
		const char *_a = (a), *_b = (b);                                     \
		check_count++;                                                       \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                             \
			check_failures++;                                            \
			fprintf(stderr, "%s:%d: '%s' != '%s'\n", __FILE__, __LINE__, \
				_a ? _a : "(null)", _b ? _b : "(null)");             \
		}                                                                    \
	} while (0)

static inline int check_done(void)
{
	printf("%d checks, %d failed\n", check_count, check_failures);
	return check_failures ? 1 : 0;
}
