/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "journal.h"

/* Loads the journal; a missing file is an empty journal. Returns 0 or -errno; -EBADMSG with
 * *ret_error (one line naming the file, caller frees) when it is unreadable or corrupt. */
int journal_load(struct journal *j, char **ret_error);
/* Parses the text of a journal: one JSON object of schema 1, every member of the type the
 * manual gives it, drivers as plain names (no '/', not "." or ".."), no duplicate address and
 * nothing after the object; drivers and overrides printable ASCII (overrides may hold blanks).
 * Returns 0, or -EBADMSG with *j empty. */
int journal_parse(struct journal *j, const char *text);
/* The text journal_save writes (JSON, valid UTF-8), or NULL for an empty journal (no file).
 * Caller frees. */
char *journal_format(const struct journal *j);
/* A deep copy of src into dst (which it overwrites; free with journal_done): every field
 * exactly, the entries' "since" included. -EBADMSG (dst empty) when src holds what the journal
 * cannot record and read back (a driver_override with blanks): then it must not be saved. */
int journal_copy(const struct journal *src, struct journal *dst);
/* Writes it atomically, creating the directory; removes the file when empty. Returns 0 or
 * -errno with *ret_error set to one line naming the file (caller frees). */
int journal_save(const struct journal *j, char **ret_error);
