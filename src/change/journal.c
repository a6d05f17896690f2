/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <json-c/json.h>

#include "config.h"
#include "journal.h"
#include "sysfs.h"
#include "util.h"

#define JOURNAL_SCHEMA 1

static char *rundir(void)
{
	return root_path(DEVOWN_RUNDIR);
}
static char *journal_path(void)
{
	return run_file_path("journal.json");
}
static char *lock_path(void)
{
	return run_file_path("lock");
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int get_int(json_object *o, const char *key, int def)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int(v);
}

int journal_load(struct journal *j)
{
	_cleanup_free_ char *path = journal_path();
	json_object *root, *devs, *txn;

	memset(j, 0, sizeof(*j));
	if (access(path, F_OK) < 0)
		return errno == ENOENT ? 0 : -errno;
	root = json_object_from_file(path);
	if (!root)
		return log_error_errno(-EBADMSG,
				       "the journal %s is unreadable or corrupt; it lists "
				       "the original drivers of changed devices, inspect it "
				       "before removing it",
				       path);
	if (json_object_object_get_ex(root, "devices", &devs) &&
	    json_object_is_type(devs, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(devs); i++) {
			json_object *e = json_object_array_get_idx(devs, i);
			const char *addr = get_str(e, "address");
			const char *v = get_str(e, "vendor_id"), *d = get_str(e, "device_id");
			struct journal_entry *je;
			char norm[PCI_ADDR_MAX];

			if (!addr || pci_addr_normalize(addr, norm) < 0)
				continue;
			j->entries = xrealloc(j->entries, (j->n_entries + 1) * sizeof(*j->entries));
			je = &j->entries[j->n_entries++];
			memset(je, 0, sizeof(*je));
			snprintf(je->addr, sizeof(je->addr), "%s", norm);
			je->vendor_id = v ? (unsigned)strtoul(v, NULL, 16) : 0;
			je->device_id = d ? (unsigned)strtoul(d, NULL, 16) : 0;
			je->driver = get_str(e, "driver") ? xstrdup(get_str(e, "driver")) : NULL;
			je->driver_override = get_str(e, "driver_override")
						      ? xstrdup(get_str(e, "driver_override"))
						      : NULL;
			je->group = get_int(e, "group", -1);
			je->since = xstrdup(get_str(e, "since") ? get_str(e, "since") : "");
			je->reason = xstrdup(get_str(e, "reason") ? get_str(e, "reason") : "");
		}
	}
	if (json_object_object_get_ex(root, "transaction", &txn) &&
	    json_object_is_type(txn, json_type_object)) {
		json_object *list;
		j->txn_pid = get_int(txn, "pid", 0);
		j->txn_command = xstrdup(get_str(txn, "command") ? get_str(txn, "command") : "");
		if (json_object_object_get_ex(txn, "devices", &list) &&
		    json_object_is_type(list, json_type_array))
			for (size_t i = 0; i < json_object_array_length(list); i++) {
				json_object *s = json_object_array_get_idx(list, i);
				if (json_object_is_type(s, json_type_string))
					strv_push(&j->txn_devices,
						  xstrdup(json_object_get_string(s)));
			}
	}
	json_object_put(root);
	return 0;
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

int journal_save(const struct journal *j)
{
	_cleanup_free_ char *path = journal_path();
	json_object *root, *devs;
	int r;

	if (j->n_entries == 0 && j->txn_pid == 0) {
		if (unlink(path) < 0 && errno != ENOENT)
			return log_error_errno(-errno, "cannot remove %s: %m", path);
		return 0;
	}

	root = json_object_new_object();
	json_object_object_add(root, "schema", json_object_new_int(JOURNAL_SCHEMA));
	devs = json_object_new_array();
	for (size_t i = 0; i < j->n_entries; i++) {
		const struct journal_entry *e = &j->entries[i];
		json_object *o = json_object_new_object();
		char buf[16];
		json_object_object_add(o, "address", json_object_new_string(e->addr));
		snprintf(buf, sizeof(buf), "0x%04x", e->vendor_id);
		json_object_object_add(o, "vendor_id", json_object_new_string(buf));
		snprintf(buf, sizeof(buf), "0x%04x", e->device_id);
		json_object_object_add(o, "device_id", json_object_new_string(buf));
		json_object_object_add(o, "driver", str_or_null(e->driver));
		json_object_object_add(o, "driver_override", str_or_null(e->driver_override));
		json_object_object_add(o, "group",
				       e->group >= 0 ? json_object_new_int(e->group) : NULL);
		json_object_object_add(o, "since", json_object_new_string(e->since));
		json_object_object_add(o, "reason", json_object_new_string(e->reason));
		json_object_array_add(devs, o);
	}
	json_object_object_add(root, "devices", devs);
	if (j->txn_pid) {
		json_object *t = json_object_new_object(), *list = json_object_new_array();
		json_object_object_add(t, "pid", json_object_new_int(j->txn_pid));
		json_object_object_add(t, "command", json_object_new_string(j->txn_command));
		for (size_t i = 0; j->txn_devices && j->txn_devices[i]; i++)
			json_object_array_add(list, json_object_new_string(j->txn_devices[i]));
		json_object_object_add(t, "devices", list);
		json_object_object_add(root, "transaction", t);
	}

	r = run_file_replace(
		"journal.json",
		json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE),
		true);
	json_object_put(root);
	if (r < 0)
		return log_error_errno(r, "cannot write the journal %s: %m", path);
	return 0;
}

static void entry_done(struct journal_entry *e)
{
	free(e->driver);
	free(e->driver_override);
	free(e->since);
	free(e->reason);
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

int lock_take(int timeout_ms, int *ret_fd, char **ret_holder)
{
	_cleanup_free_ char *dir = rundir(), *path = lock_path();
	_cleanup_close_ int fd = -1;
	long long deadline = now_ms() + timeout_ms;
	bool told = false;
	char buf[512];
	int n;

	*ret_holder = NULL;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "cannot create %s: %m", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return log_error_errno(-errno, "cannot open the lock %s: %m", path);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return log_error_errno(-errno, "cannot lock %s: %m", path);
		if (now_ms() >= deadline) {
			ssize_t k = pread(fd, buf, sizeof(buf) - 1, 0);
			if (k > 0) {
				buf[k] = '\0';
				buf[strcspn(buf, "\n")] = '\0';
				*ret_holder = xstrdup(buf);
			}
			return -EBUSY;
		}
		if (!told) {
			log_info("waiting for another devown to finish (up to %d s)...",
				 (timeout_ms + 999) / 1000);
			told = true;
		}
		usleep(50 * 1000);
	}
	/* Who holds it, for the message of the next one that waits. */
	{
		_cleanup_free_ char *cmd = NULL;
		_cleanup_fclose_ FILE *f = fopen("/proc/self/cmdline", "re");
		char line[400] = "";
		size_t k = f ? fread(line, 1, sizeof(line) - 1, f) : 0;
		for (size_t i = 0; i + 1 < k; i++)
			if (!line[i])
				line[i] = ' ';
		line[k] = '\0';
		n = snprintf(buf, sizeof(buf), "pid %d: %s\n", (int)getpid(), line);
		if (ftruncate(fd, 0) == 0 && n > 0)
			(void)!pwrite(fd, buf, (size_t)n, 0);
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

bool lock_busy(void)
{
	_cleanup_free_ char *path = lock_path();
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return errno == EACCES; /* cannot tell: never call a live run interrupted */
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	flock(fd, LOCK_UN);
	return false;
}
