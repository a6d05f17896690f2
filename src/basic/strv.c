/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NULL-terminated string vectors. */
#include "util.h"

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **s = v; *s; s++)
		free(*s);
	free(v);
}

size_t strv_length(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

void strv_push(char ***v, char *s)
{
	size_t n = strv_length(*v);
	*v = xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
}

bool strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (streq(v[i], s))
			return true;
	return false;
}

char *strv_join(char *const *v, const char *sep)
{
	size_t n = 1;
	char *s, *p;

	for (size_t i = 0; v && v[i]; i++)
		n += strlen(v[i]) + strlen(sep);
	s = p = xmalloc(n);
	*p = '\0';
	for (size_t i = 0; v && v[i]; i++)
		p += sprintf(p, "%s%s", i ? sep : "", v[i]);
	return s;
}
