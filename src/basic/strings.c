/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Strings and allocation. */
#include <stdarg.h>

#include "util.h"

bool endswith(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		abort();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0)
		abort();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		abort();
	va_end(ap);
	return p;
}

void strextendf(char **s, const char *fmt, ...)
{
	_cleanup_free_ char *more = NULL;
	char *t;
	va_list ap;

	va_start(ap, fmt);
	more = xvasprintf(fmt, ap);
	va_end(ap);
	t = xasprintf("%s%s", *s ? *s : "", more);
	free(*s);
	*s = t;
}

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 when s does not start one (a stray
 * continuation byte, an overlong form, a surrogate, beyond U+10FFFF, truncated); the code point
 * in *ret_cp. */
static size_t utf8_sequence(const unsigned char *s, unsigned *ret_cp)
{
	unsigned cp, min;
	size_t n;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

/* Code points a terminal acts on or that reorder text: C0 and C1 controls, DEL, and the
 * bidirectional marks, overrides and isolates ("Trojan Source"). */
static bool cp_is_unsafe(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Walks s: with out, appends the display form; returns whether s was safe already. */
static bool display_walk(const char *s, char **out)
{
	const unsigned char *p = (const unsigned char *)s;
	bool safe = true;

	while (*p) {
		unsigned cp = 0;
		size_t n = utf8_sequence(p, &cp);

		if (n > 0 && !cp_is_unsafe(cp) && cp != '\\') {
			if (out)
				strextendf(out, "%.*s", (int)n, (const char *)p);
			p += n;
			continue;
		}
		safe = false;
		if (!out)
			return false;
		if (n == 0)
			n = 1; /* an invalid byte: escape it alone and resynchronise */
		for (size_t i = 0; i < n; i++)
			strextendf(out, cp == '\\' && n == 1 ? "\\\\" : "\\x%02x", p[i]);
		p += n;
	}
	return safe;
}

bool str_display_safe(const char *s)
{
	return !s || display_walk(s, NULL);
}

char *str_escape_display(const char *s)
{
	char *out = xstrdup("");

	if (!s) {
		free(out);
		return NULL;
	}
	display_walk(s, &out);
	return out;
}

void str_make_display_safe(char **s)
{
	char *e;

	if (!*s || str_display_safe(*s))
		return;
	e = str_escape_display(*s);
	free(*s);
	*s = e;
}

char *str_json_utf8(const char *json)
{
	const unsigned char *p = (const unsigned char *)json;
	char *out = NULL;
	size_t start = 0, i = 0;

	while (p[i]) {
		unsigned cp;
		size_t n = utf8_sequence(p + i, &cp);
		if (n > 0) {
			i += n;
			continue;
		}
		/* Inside a JSON string (the only place a byte >= 0x80 can be), "\\xNN" is the
		 * escaped backslash and the hex digits: the value reads \xNN, as the text view. */
		strextendf(&out, "%.*s\\\\x%02x", (int)(i - start), json + start, p[i]);
		start = ++i;
	}
	if (!out)
		return NULL;
	strextendf(&out, "%s", json + start);
	return out;
}
