/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* The change lock under DEVOWN_RUNDIR (change.c's lock_take() waits for it). */

/* Opens the lock file, creating it and its directory. Returns 0 or -errno with *ret_error set
 * to one line (caller frees). */
int lock_open(int *ret_fd, char **ret_error);
/* Takes the lock without waiting: 0, -EWOULDBLOCK when another process holds it, or another
 * -errno with *ret_error set. */
int lock_try(int fd, char **ret_error);
/* What the holder wrote into the lock ("pid 812: devown bind ..."), or NULL. Caller frees. */
char *lock_holder(int fd);
/* Writes "pid N: COMMAND LINE" into the lock just taken, for the message of the next that
 * waits. */
void lock_claim(int fd);
/* Whether a live devown holds the change lock right now (never waits). */
bool lock_busy(void);
