/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* Parsers of the text the kernel writes in /proc and /sys: pure, no I/O (the probe layer reads
 * the files), exposed for the unit tests and the fuzzers. */

/* Undoes the octal escapes (\040 and the like) of mountinfo and /proc/swaps, in place. */
void unescape_octal(char *s);

/* "MAJOR:MINOR" (a dev attribute, mountinfo's third field) -> 0, else -EINVAL. */
int parse_majmin(const char *s, unsigned *major, unsigned *minor);

/* One line of /proc/PID/mountinfo:
 * "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue". */
struct mountinfo_line {
	int id;
	unsigned major, minor;
	char *fsroot, *point, *fstype, *source; /* escapes undone */
};

/* Fills *ret from line (true), or returns false, leaving *ret untouched, for a line that does
 * not parse. Free with mountinfo_line_done(). */
bool mountinfo_parse_line(const char *line, struct mountinfo_line *ret);
void mountinfo_line_done(struct mountinfo_line *m);
