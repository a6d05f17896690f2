/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* The start time (field 22, clock ticks since boot) of /proc/PID/stat. The command name in
 * parentheses may hold spaces and ')': the fields are counted from its last ')'. Returns 0,
 * or -EINVAL for text that is not a stat line. */
int proc_stat_starttime(const char *text, unsigned long long *ret);

/* The "Max locked memory" line of /proc/PID/limits: the soft and hard limits in bytes,
 * UINT64_MAX for "unlimited". Returns 0, or -ENOENT when the line is absent and -EINVAL when
 * it does not parse. */
int proc_limits_memlock(const char *text, unsigned long long *ret_soft,
			unsigned long long *ret_hard);

/* The default RLIMIT_MEMLOCK of Linux since 5.16 (8 MiB), and of older kernels (64 KiB):
 * either means nobody raised it for the user, which no VM with VFIO can live with. */
#define MEMLOCK_DEFAULT	    (8ULL << 20)
#define MEMLOCK_OLD_DEFAULT (64ULL << 10)

/* Whether a kallsyms excerpt names the symbol as a whole: " name" followed by a newline, or by
 * a tab and the module that holds it ("\t[vfio]": VFIO is a module on most distributions).
 * at_eof also accepts the name at the very end of the data. buf need not be NUL-terminated. */
bool kallsyms_has_symbol(const char *buf, size_t len, const char *name, bool at_eof);

/* The value of KEY in a uevent file's text ("KEY=value" lines; the last one wins): a pointer
 * into text (up to its line end, which it overwrites with NUL), or NULL. */
char *uevent_value(char *text, const char *key);

/* Walks the RTM_NEWADDR messages of an AF_INET rtnetlink dump (or the fixture's copy of one)
 * and calls add for each address: IFA_LOCAL, else IFA_ADDRESS (on point-to-point links
 * IFA_ADDRESS is the peer), with the prefix length, the interface index and IFA_LABEL (NULL
 * when absent). Messages of another sequence number than seq (0: any) are skipped. Returns 1
 * at NLMSG_DONE, 0 when more is to come, -EBADMSG for a malformed message, or the dump's own
 * negative error. buf must be 4-byte aligned, as the kernel's messages are. */
int rtnl_getaddr_parse(const unsigned char *buf, size_t len, uint32_t seq,
		       void (*add)(void *userdata, const unsigned char addr[4], unsigned prefixlen,
				   int ifindex, const char *label),
		       void *userdata);
