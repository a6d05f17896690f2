/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ELEMENTSOF(x)  (sizeof(x) / sizeof((x)[0]))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_       __attribute__((unused))

/* CLOCK_MONOTONIC, for timeouts and the debug timings. */
static inline long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
static inline long long now_ms(void)
{
	return now_us() / 1000;
}

static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
void strv_free(char **v);
static inline void strv_freep(char ***v)
{
	strv_free(*v);
}

#define _cleanup_(f)	    __attribute__((cleanup(f)))
#define _cleanup_free_	    _cleanup_(freep)
#define _cleanup_close_	    _cleanup_(closep)
#define _cleanup_fclose_    _cleanup_(fclosep)
#define _cleanup_closedir_  _cleanup_(closedirp)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Hands ownership of *p to the caller and leaves NULL behind (for cleanup-managed locals). */
#define TAKE_PTR(p)                     \
	({                              \
		__typeof__(p) _t = (p); \
		(p) = NULL;             \
		_t;                     \
	})
#define TAKE_FD(fd)            \
	({                     \
		int _t = (fd); \
		(fd) = -1;     \
		_t;            \
	})

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return streq(a, b);
}
/* The value of a hexadecimal digit, or -1. */
static inline int unhexchar(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
static inline const char *strna(const char *s)
{
	return s ? s : "n/a";
}
static inline bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}
bool endswith(const char *s, const char *suffix);

/* Allocation helpers abort on out-of-memory: devown's allocations are tiny and a partial
 * model is worse than a clear crash. Returned strings are owned by the caller. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
char *xvasprintf(const char *fmt, va_list ap) _printf_(1, 0);
/* Appends the formatted text to *s (NULL counts as ""), which it reallocates. */
void strextendf(char **s, const char *fmt, ...) _printf_(2, 3);

/* Strings that come from other users (process names, mount points, cgroup names) may carry
 * terminal escape sequences, bidirectional overrides and bytes that are not UTF-8. Their display
 * form is valid, printable UTF-8: a backslash becomes "\\", each byte of a control character,
 * DEL, a C1 control, a bidi mark/override/isolate or an invalid sequence becomes "\xNN".
 * Printable ASCII and valid UTF-8 text stay as they are. str_escape_display: caller frees
 * (NULL for NULL); str_make_display_safe replaces *s only when it needs escaping. */
bool str_display_safe(const char *s);
char *str_escape_display(const char *s);
void str_make_display_safe(char **s);
/* The JSON text json (json-c's output) with every byte that is not valid UTF-8 written as
 * "\\xNN", so that the document is valid UTF-8; NULL when it is already (nothing to free). */
char *str_json_utf8(const char *json);

/* Growable string vector, NULL-terminated; strv_push takes ownership of s. */
size_t strv_length(char *const *v);
void strv_push(char ***v, char *s);
bool strv_contains(char *const *v, const char *s);
/* The strings of v with sep between them ("" for none or NULL). Caller frees. */
char *strv_join(char *const *v, const char *sep);

/* Logging: every diagnostic goes to stderr and, for changes, to syslog (log_change). */
enum { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_NOTICE, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
extern int log_max_level;
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);
/* Logs "devown: <message>" with %m expanding to strerror(-error); returns error (negative). */
#define log_error_errno(error, ...)   log_internal(LOG_LEVEL_ERROR, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_internal(LOG_LEVEL_WARNING, (error), __VA_ARGS__)
#define log_error(...)		      log_internal(LOG_LEVEL_ERROR, 0, __VA_ARGS__)
#define log_warning(...)	      log_internal(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_notice(...)		      log_internal(LOG_LEVEL_NOTICE, 0, __VA_ARGS__)
#define log_info(...)		      log_internal(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...)		      log_internal(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
/* Records a change in syslog (facility daemon), with the invoking user. */
void log_change(const char *fmt, ...) _printf_(1, 2);

/* The testing aids (DEVOWN_ROOT, DEVOWN_FAIL_WRITE, DEVOWN_KILL_AFTER_WRITE,
 * DEVOWN_PAUSE_BEFORE_WRITE; devown(8), ENVIRONMENT): test_getenv() returns the variable's value
 * when it is set, not empty and this is a test build (meson -Dtest_hooks=true); otherwise NULL,
 * with a warning on stderr when a production build finds it set. */
bool test_hooks_built(void);
const char *test_getenv(const char *name);

/* Exit codes, documented in devown(8). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_REFUSED = 3,
	EXIT_UNDO_FAILED = 4,
};
