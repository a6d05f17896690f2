/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "journal.h"

/* Loads the journal; a missing file is an empty journal. Returns 0 or -errno; -EBADMSG with
 * *ret_error (one line naming the file, caller frees) when it is unreadable or corrupt. */
int journal_load(struct journal *j, char **ret_error);
/* Parses the text of a journal: one JSON object of schema 1, every member of the type the
 * manual gives it, drivers as plain names (no '/', not "." or ".."), no duplicate address and
 * nothing after the object. Returns 0, or -EBADMSG with *j empty. */
int journal_parse(struct journal *j, const char *text);
/* Writes it atomically, creating the directory; removes the file when empty. Returns 0 or
 * -errno with *ret_error set to one line naming the file (caller frees). */
int journal_save(const struct journal *j, char **ret_error);
