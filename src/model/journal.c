/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The journal in memory; journal-file.c (change layer) reads and writes it under /run. */
#include "journal.h"
#include "util.h"

static void entry_done(struct journal_entry *e)
{
	free(e->driver);
	free(e->driver_override);
	free(e->since);
	free(e->reason);
	free(e->origin);
}

void journal_done(struct journal *j)
{
	for (size_t i = 0; i < j->n_entries; i++)
		entry_done(&j->entries[i]);
	free(j->entries);
	free(j->txn_command);
	strv_free(j->txn_devices);
	memset(j, 0, sizeof(*j));
}

struct journal_entry *journal_find(struct journal *j, const char *addr)
{
	for (size_t i = 0; i < j->n_entries; i++)
		if (streq(j->entries[i].addr, addr))
			return &j->entries[i];
	return NULL;
}

void journal_add(struct journal *j, const char *addr, unsigned vendor_id, unsigned device_id,
		 const char *driver, const char *driver_override, int group, const char *reason)
{
	struct journal_entry *e;
	char since[32];
	time_t t = time(NULL);
	struct tm tm;

	if (journal_find(j, addr))
		return;
	gmtime_r(&t, &tm);
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	j->entries = xrealloc(j->entries, (j->n_entries + 1) * sizeof(*j->entries));
	e = &j->entries[j->n_entries++];
	memset(e, 0, sizeof(*e));
	snprintf(e->addr, sizeof(e->addr), "%s", addr);
	e->vendor_id = vendor_id;
	e->device_id = device_id;
	e->driver = driver ? xstrdup(driver) : NULL;
	e->driver_override = driver_override ? xstrdup(driver_override) : NULL;
	e->group = group;
	e->since = xstrdup(since);
	e->reason = xstrdup(reason);
	e->origin = j->origin && !streq(j->origin, "command") ? xstrdup(j->origin) : NULL;
}

void journal_remove(struct journal *j, const char *addr)
{
	for (size_t i = 0; i < j->n_entries; i++)
		if (streq(j->entries[i].addr, addr)) {
			entry_done(&j->entries[i]);
			memmove(&j->entries[i], &j->entries[i + 1],
				(j->n_entries - i - 1) * sizeof(*j->entries));
			j->n_entries--;
			return;
		}
}

void journal_begin(struct journal *j, const char *command, char **devices)
{
	journal_end(j);
	j->txn_pid = (int)getpid();
	j->txn_command = xstrdup(command);
	for (size_t i = 0; devices && devices[i]; i++)
		strv_push(&j->txn_devices, xstrdup(devices[i]));
}

void journal_end(struct journal *j)
{
	j->txn_pid = 0;
	free(j->txn_command);
	j->txn_command = NULL;
	strv_free(j->txn_devices);
	j->txn_devices = NULL;
}

bool journal_interrupted(const struct journal *j, bool busy)
{
	/* A live transaction always holds the lock; a marker without a lock holder is left
	 * over from a devown that died. */
	return j->txn_pid != 0 && !busy;
}

bool journal_origin_valid(const char *origin)
{
	static const char *const known[] = { JOURNAL_ORIGINS };

	for (size_t i = 0; origin && i < ELEMENTSOF(known); i++)
		if (streq(origin, known[i]))
			return true;
	return false;
}
