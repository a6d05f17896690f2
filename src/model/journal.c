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
	free(e->run_command);
	free(e->cdev);
}

static void sriov_done(struct journal_sriov *s)
{
	for (size_t i = 0; i < s->n_vfs; i++) {
		free(s->vfs[i].driver);
		free(s->vfs[i].driver_override);
	}
	free(s->vfs);
	free(s->since);
	free(s->reason);
}

void journal_done(struct journal *j)
{
	for (size_t i = 0; i < j->n_entries; i++)
		entry_done(&j->entries[i]);
	free(j->entries);
	free(j->txn_command);
	strv_free(j->txn_devices);
	for (size_t i = 0; i < j->n_sriov; i++)
		sriov_done(&j->sriov[i]);
	free(j->sriov);
	memset(j, 0, sizeof(*j));
}

struct journal_entry *journal_find(struct journal *j, const char *addr)
{
	for (size_t i = 0; i < j->n_entries; i++)
		if (streq(j->entries[i].addr, addr))
			return &j->entries[i];
	return NULL;
}

static void now_iso(char buf[static 32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
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

void journal_mark_run(struct journal_entry *e, int pid, unsigned long long start,
		      const char *command)
{
	free(e->run_command);
	e->run_pid = pid;
	e->run_start = start;
	e->run_command = pid && command ? xstrdup(command) : NULL;
}

const struct journal_entry *journal_live_run(const struct journal *j, const char *addr)
{
	for (size_t i = 0; i < j->n_entries; i++)
		if (streq(j->entries[i].addr, addr))
			return j->entries[i].run_pid && j->entries[i].run_alive ? &j->entries[i]
										: NULL;
	return NULL;
}

struct journal_sriov *journal_sriov_find(struct journal *j, const char *pf)
{
	for (size_t i = 0; pf && i < j->n_sriov; i++)
		if (streq(j->sriov[i].addr, pf))
			return &j->sriov[i];
	return NULL;
}

struct journal_sriov *journal_sriov_add(struct journal *j, const char *pf, unsigned vendor_id,
					unsigned device_id, int numvfs, bool autoprobe,
					const char *reason)
{
	struct journal_sriov *s = journal_sriov_find(j, pf);
	char since[32];

	if (s)
		return s;
	now_iso(since);
	j->sriov = xrealloc(j->sriov, (j->n_sriov + 1) * sizeof(*j->sriov));
	s = &j->sriov[j->n_sriov++];
	memset(s, 0, sizeof(*s));
	snprintf(s->addr, sizeof(s->addr), "%s", pf);
	s->vendor_id = vendor_id;
	s->device_id = device_id;
	s->numvfs = numvfs;
	s->autoprobe = autoprobe;
	s->since = xstrdup(since);
	s->reason = xstrdup(reason);
	return s;
}

void journal_sriov_add_vf(struct journal_sriov *s, const char *addr, const char *driver,
			  const char *driver_override)
{
	struct journal_vf *v;

	s->vfs = xrealloc(s->vfs, (s->n_vfs + 1) * sizeof(*s->vfs));
	v = &s->vfs[s->n_vfs++];
	memset(v, 0, sizeof(*v));
	snprintf(v->addr, sizeof(v->addr), "%s", addr);
	v->driver = driver ? xstrdup(driver) : NULL;
	v->driver_override = driver_override ? xstrdup(driver_override) : NULL;
}

void journal_sriov_remove(struct journal *j, const char *pf)
{
	for (size_t i = 0; i < j->n_sriov; i++)
		if (streq(j->sriov[i].addr, pf)) {
			sriov_done(&j->sriov[i]);
			memmove(&j->sriov[i], &j->sriov[i + 1],
				(j->n_sriov - i - 1) * sizeof(*j->sriov));
			j->n_sriov--;
			return;
		}
}

void journal_sriov_copy(struct journal *dst, const struct journal *src)
{
	for (size_t i = 0; i < src->n_sriov; i++) {
		const struct journal_sriov *s = &src->sriov[i];
		struct journal_sriov *d;
		if (journal_sriov_find(dst, s->addr))
			continue;
		d = journal_sriov_add(dst, s->addr, s->vendor_id, s->device_id, s->numvfs,
				      s->autoprobe, s->reason);
		free(d->since);
		d->since = xstrdup(s->since);
		for (size_t k = 0; k < s->n_vfs; k++)
			journal_sriov_add_vf(d, s->vfs[k].addr, s->vfs[k].driver,
					     s->vfs[k].driver_override);
	}
}

bool journal_origin_valid(const char *origin)
{
	static const char *const known[] = { JOURNAL_ORIGINS };

	for (size_t i = 0; origin && i < ELEMENTSOF(known); i++)
		if (streq(origin, known[i]))
			return true;
	return false;
}
