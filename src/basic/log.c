/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <syslog.h>
#include <pwd.h>

#include "util.h"

int log_max_level = LOG_LEVEL_INFO;

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

	if (test_hooks_built() && getenv("DEVOWN_ROOT") && *getenv("DEVOWN_ROOT"))
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
