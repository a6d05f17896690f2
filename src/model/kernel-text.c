/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "kernel-text.h"
#include "util.h"

void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else
			*w++ = *r;
	}
	*w = '\0';
}

int parse_majmin(const char *s, unsigned *major, unsigned *minor)
{
	char end;

	if (!s || sscanf(s, "%u:%u%c", major, minor, &end) != 2)
		return -EINVAL;
	return 0;
}

bool mountinfo_parse_line(const char *line, struct mountinfo_line *ret)
{
	_cleanup_free_ char *copy = xstrdup(line);
	char *f[5], *sep, *save = NULL, *fstype, *source;
	unsigned major, minor;
	size_t i;

	/* The optional fields end at a lone "-"; what follows is fstype, source, options. */
	sep = strstr(copy, " - ");
	if (!sep)
		return false;
	*sep = '\0';
	for (i = 0; i < 5; i++) {
		f[i] = strtok_r(i ? NULL : copy, " ", &save);
		if (!f[i])
			return false;
	}
	if (strspn(f[0], "0123456789") != strlen(f[0]) || strlen(f[0]) > 9 ||
	    parse_majmin(f[2], &major, &minor) < 0 || f[4][0] != '/')
		return false;
	save = NULL;
	fstype = strtok_r(sep + 3, " ", &save);
	source = strtok_r(NULL, " ", &save);
	if (!fstype)
		return false;
	*ret = (struct mountinfo_line){
		.id = atoi(f[0]),
		.major = major,
		.minor = minor,
		.fsroot = xstrdup(f[3]),
		.point = xstrdup(f[4]),
		.fstype = xstrdup(fstype),
		.source = xstrdup(source ? source : ""),
	};
	unescape_octal(ret->fsroot);
	unescape_octal(ret->point);
	unescape_octal(ret->source);
	return true;
}

void mountinfo_line_done(struct mountinfo_line *m)
{
	free(m->fsroot);
	free(m->point);
	free(m->fstype);
	free(m->source);
}
