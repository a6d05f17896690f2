/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <syslog.h>
#include <pwd.h>

#include "util.h"

int log_max_level = LOG_LEVEL_INFO;

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **s = v; *s; s++)
		free(*s);
	free(v);
}

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

int log_internal(int level, int error, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	if (level > log_max_level)
		return error;
	/* %m must describe the error we were given, not whatever errno happens to be. */
	errno = error < 0 ? -error : error;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "devown: %s\n", buf);
	return error;
}

void log_change(const char *fmt, ...)
{
	char buf[1024], who[64];
	va_list ap;
	const char *user = getenv("SUDO_USER");
	struct passwd *pw = NULL;

	if (getenv("DEVOWN_ROOT") && *getenv("DEVOWN_ROOT"))
		return; /* a fixture tree's changes are not the host's */
	if (user)
		snprintf(who, sizeof(who), "user %s", user);
	else if ((pw = getpwuid(getuid())))
		snprintf(who, sizeof(who), "user %s", pw->pw_name);
	else /* no passwd entry (an initramfs, a container) */
		snprintf(who, sizeof(who), "uid %u", (unsigned)getuid());
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	openlog("devown", LOG_PID, LOG_DAEMON);
	syslog(LOG_NOTICE, "%s: %s", who, buf);
	closelog();
}
