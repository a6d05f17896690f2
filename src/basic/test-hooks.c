/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util.h"

/* DEVOWN_TEST_HOOKS comes from meson's test_hooks option (meson.build passes it to this file
 * alone). A production build must not let the environment redirect root's writes or make them
 * fail: through sudo's env_keep, a user could point them at a tree of theirs. */
#ifndef DEVOWN_TEST_HOOKS
#define DEVOWN_TEST_HOOKS 0
#endif

bool test_hooks_built(void)
{
	return DEVOWN_TEST_HOOKS;
}

const char *test_getenv(const char *name)
{
	static const char *warned[8];
	const char *e = getenv(name);
	size_t i;

	if (!e || !*e)
		return NULL;
	if (DEVOWN_TEST_HOOKS)
		return e;
	/* Once per variable: the write hooks are read at every write. */
	for (i = 0; i < ELEMENTSOF(warned) && warned[i]; i++)
		if (streq(warned[i], name))
			return NULL;
	if (i < ELEMENTSOF(warned))
		warned[i] = name;
	log_warning("%s is a testing aid that this build of devown ignores "
		    "(only builds configured with -Dtest_hooks=true honour it)",
		    name);
	return NULL;
}
