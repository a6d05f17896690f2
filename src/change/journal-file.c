/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The journal as a file under DEVOWN_RUNDIR. */
#include <ctype.h>
#include <json-c/json.h>
#include <limits.h>

#include "journal-file.h"
#include "json.h"
#include "sysfs.h"
#include "util.h"

#define JOURNAL_SCHEMA 1

static char *journal_path(void)
{
	return run_file_path("journal.json");
}

/* A member that must be a string (or null, when null_ok): 0 with *ret set (NULL for null or
 * absent when optional), -EBADMSG for anything else. */
static int member_str(json_object *o, const char *key, bool null_ok, bool optional,
		      const char **ret)
{
	json_object *v;

	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return optional ? 0 : -EBADMSG;
	if (!v)
		return null_ok ? 0 : -EBADMSG;
	if (!json_object_is_type(v, json_type_string))
		return -EBADMSG;
	*ret = json_object_get_string(v);
	return 0;
}

/* An integer from 0 to max (null when null_ok gives -1). */
static int member_int(json_object *o, const char *key, bool null_ok, int64_t max, int *ret)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v))
		return -EBADMSG;
	if (!v && null_ok) {
		*ret = -1;
		return 0;
	}
	if (!v || !json_object_is_type(v, json_type_int))
		return -EBADMSG;
	n = json_object_get_int64(v);
	if (n < 0 || n > max)
		return -EBADMSG;
	*ret = (int)n;
	return 0;
}

/* restore writes the recorded driver's name into a path under /sys/bus/pci/drivers: a plain
 * name, never a path; and the override back into driver_override. Kernel driver names are
 * printable ASCII; an override is what root wrote, blanks included. Anything else (control
 * characters, bytes beyond ASCII) is no name the kernel gave, and would not survive the
 * journal's own save (which writes non-UTF-8 bytes as \xNN) unchanged. */
static bool journal_value_ok(const char *s, bool blanks)
{
	if (!s)
		return true;
	if (!*s || strlen(s) > 255)
		return false;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f || (*c == ' ' && !blanks))
			return false;
	return true;
}

static bool driver_name_ok(const char *s, bool blanks)
{
	return journal_value_ok(s, blanks) &&
	       !(s && (strchr(s, '/') || streq(s, ".") || streq(s, "..")));
}

/* "0x" and four hex digits, as journal_save writes IDs. */
static int parse_id(const char *s, unsigned *ret)
{
	char *end;
	unsigned long v;

	if (!s || strlen(s) != 6 || !startswith(s, "0x") || !isxdigit((unsigned char)s[2]))
		return -EBADMSG;
	errno = 0;
	v = strtoul(s + 2, &end, 16);
	if (errno || *end || v > 0xffff)
		return -EBADMSG;
	*ret = (unsigned)v;
	return 0;
}

/* An unsigned member below or at max, as a 64-bit value. */
static int member_u64(json_object *o, const char *key, uint64_t max, unsigned long long *ret)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v) || !v || !json_object_is_type(v, json_type_int))
		return -EBADMSG;
	n = json_object_get_int64(v);
	if (n < 0 || (uint64_t)n > max)
		return -EBADMSG;
	*ret = (unsigned long long)n;
	return 0;
}

/* The optional {"uid", "gid", "mode"} of a node devown changed the owner of. */
static int load_node(json_object *e, const char *key, struct node_owner *ret, const char **name)
{
	unsigned long long uid, gid, mode;
	json_object *o;

	if (!json_object_object_get_ex(e, key, &o) || !o)
		return 0;
	if (!json_object_is_type(o, json_type_object) ||
	    member_u64(o, "uid", UINT32_MAX, &uid) < 0 ||
	    member_u64(o, "gid", UINT32_MAX, &gid) < 0 || member_u64(o, "mode", 07777, &mode) < 0)
		return -EBADMSG;
	if (name) {
		/* A name under /dev/vfio/devices, "vfio" and digits as the kernel makes them: never
		 * a path, nothing the save would write back otherwise. */
		if (member_str(o, "name", false, false, name) < 0 || !startswith(*name, "vfio") ||
		    strlen(*name) > 64 || strspn(*name + 4, "0123456789") != strlen(*name + 4))
			return -EBADMSG;
	}
	*ret = (struct node_owner){
		.saved = true, .uid = (unsigned)uid, .gid = (unsigned)gid, .mode = (unsigned)mode
	};
	return 0;
}

/* The optional "run" {"pid", "start", "command"} of an entry a `devown run` made. */
static int load_run(json_object *e, struct journal_entry *je)
{
	json_object *o;
	const char *cmd;
	int pid;
	unsigned long long start;

	if (!json_object_object_get_ex(e, "run", &o) || !o)
		return 0;
	if (!json_object_is_type(o, json_type_object) ||
	    member_int(o, "pid", false, INT_MAX, &pid) < 0 || pid == 0 ||
	    member_u64(o, "start", INT64_MAX, &start) < 0 ||
	    member_str(o, "command", false, false, &cmd) < 0)
		return -EBADMSG;
	journal_mark_run(je, pid, start, cmd);
	return 0;
}

static int load_entry(struct journal *j, json_object *e)
{
	const char *addr, *v, *d, *drv, *ovr, *since, *reason, *cdev = NULL, *origin;
	char norm[PCI_ADDR_MAX];
	struct journal_entry je = { 0 };

	if (!json_object_is_type(e, json_type_object))
		return -EBADMSG;
	if (member_str(e, "address", false, false, &addr) < 0 ||
	    pci_addr_normalize(addr, norm) < 0 || journal_find(j, norm))
		return -EBADMSG;
	if (member_str(e, "vendor_id", false, false, &v) < 0 || parse_id(v, &je.vendor_id) < 0 ||
	    member_str(e, "device_id", false, false, &d) < 0 || parse_id(d, &je.device_id) < 0)
		return -EBADMSG;
	if (member_str(e, "driver", true, false, &drv) < 0 || !driver_name_ok(drv, false) ||
	    member_str(e, "driver_override", true, false, &ovr) < 0 || !driver_name_ok(ovr, true))
		return -EBADMSG;
	if (member_int(e, "group", true, INT_MAX, &je.group) < 0)
		return -EBADMSG;
	if (member_str(e, "since", false, true, &since) < 0 ||
	    member_str(e, "reason", false, true, &reason) < 0)
		return -EBADMSG;
	/* Optional (journals before it have none); one of the known places. */
	if (member_str(e, "origin", false, true, &origin) < 0 ||
	    (origin && !journal_origin_valid(origin)))
		return -EBADMSG;
	/* Last of the checks: load_run allocates. */
	if (load_node(e, "group_node", &je.group_node, NULL) < 0 ||
	    load_node(e, "cdev_node", &je.cdev_node, &cdev) < 0 || load_run(e, &je) < 0) {
		free(je.run_command);
		return -EBADMSG;
	}
	j->entries = xrealloc(j->entries, (j->n_entries + 1) * sizeof(*j->entries));
	je.cdev = cdev ? xstrdup(cdev) : NULL;
	snprintf(je.addr, sizeof(je.addr), "%s", norm);
	je.driver = drv ? xstrdup(drv) : NULL;
	je.driver_override = ovr ? xstrdup(ovr) : NULL;
	je.since = xstrdup(since ? since : "");
	je.reason = xstrdup(reason ? reason : "");
	je.origin = origin && !streq(origin, "command") ? xstrdup(origin) : NULL;
	j->entries[j->n_entries++] = je;
	return 0;
}

static int load_transaction(struct journal *j, json_object *txn)
{
	json_object *list;
	const char *cmd;

	if (!json_object_is_type(txn, json_type_object) ||
	    member_int(txn, "pid", false, INT_MAX, &j->txn_pid) < 0 || j->txn_pid == 0 ||
	    member_str(txn, "command", false, false, &cmd) < 0 ||
	    !json_object_object_get_ex(txn, "devices", &list) ||
	    !json_object_is_type(list, json_type_array))
		return -EBADMSG;
	j->txn_command = xstrdup(cmd);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *s = json_object_array_get_idx(list, i);
		if (!json_object_is_type(s, json_type_string))
			return -EBADMSG;
		strv_push(&j->txn_devices, xstrdup(json_object_get_string(s)));
	}
	return 0;
}

static int load_sriov(struct journal *j, json_object *list);
static void save_sriov(const struct journal *j, json_object *root);

int journal_parse(struct journal *j, const char *text)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *root, *devs, *txn, *schema;
	size_t len = strlen(text);
	int r = -EBADMSG;

	memset(j, 0, sizeof(*j));
	root = json_tokener_parse_ex(tok, text, (int)len);
	/* One object and nothing after it but white space. */
	if (root && json_tokener_get_error(tok) == json_tokener_success) {
		size_t off = json_tokener_get_parse_end(tok);
		while (off < len && strchr(" \t\r\n", text[off]))
			off++;
		if (off == len && json_object_is_type(root, json_type_object))
			r = 0;
	}
	json_tokener_free(tok);
	if (r == 0 && (!json_object_object_get_ex(root, "schema", &schema) ||
		       !json_object_is_type(schema, json_type_int) ||
		       json_object_get_int64(schema) != JOURNAL_SCHEMA))
		r = -EBADMSG;
	if (r == 0 && json_object_object_get_ex(root, "devices", &devs)) {
		if (!json_object_is_type(devs, json_type_array))
			r = -EBADMSG;
		for (size_t i = 0; r == 0 && i < json_object_array_length(devs); i++)
			r = load_entry(j, json_object_array_get_idx(devs, i));
	}
	if (r == 0 && json_object_object_get_ex(root, "transaction", &txn))
		r = load_transaction(j, txn);
	if (r == 0 && json_object_object_get_ex(root, "sriov", &txn))
		r = load_sriov(j, txn);
	json_object_put(root);
	if (r < 0)
		journal_done(j);
	return r;
}

int journal_load(struct journal *j, char **ret_error)
{
	_cleanup_free_ char *path = journal_path(), *text = NULL;
	int r;

	memset(j, 0, sizeof(*j));
	{
		_cleanup_free_ char *why = NULL;
		if (run_dir_check(&why) < 0) {
			*ret_error = xasprintf("refusing the run directory: %s", why);
			return -EPERM;
		}
	}
	r = run_file_access("journal.json");
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	r = run_file_read("journal.json", &text);
	if (r >= 0 && strlen(text) == 0)
		r = -EBADMSG;
	if (r >= 0)
		r = journal_parse(j, text);
	if (r < 0) {
		*ret_error = xasprintf("the journal %s is unreadable or corrupt; it lists the "
				       "original drivers of changed devices, inspect it before "
				       "removing it",
				       path);
		return -EBADMSG;
	}
	return 0;
}

static void save_node(json_object *e, const char *key, const struct node_owner *n, const char *name)
{
	json_object *o;

	if (!n->saved)
		return;
	o = json_object_new_object();
	if (name)
		json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "uid", json_object_new_int64(n->uid));
	json_object_object_add(o, "gid", json_object_new_int64(n->gid));
	json_object_object_add(o, "mode", json_object_new_int((int)n->mode));
	json_object_object_add(e, key, o);
}

/* "address", "vendor_id" and "device_id" of an entry or an SR-IOV record, as parse_id reads
 * them back ("0x" and four hex digits). */
static void save_identity(json_object *o, const char *addr, unsigned vendor_id, unsigned device_id)
{
	char buf[16];

	json_object_object_add(o, "address", json_object_new_string(addr));
	snprintf(buf, sizeof(buf), "0x%04x", vendor_id);
	json_object_object_add(o, "vendor_id", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "0x%04x", device_id);
	json_object_object_add(o, "device_id", json_object_new_string(buf));
}

char *journal_format(const struct journal *j)
{
	json_object *root, *devs;
	char *text, *fixed;

	if (j->n_entries == 0 && j->txn_pid == 0 && j->n_sriov == 0)
		return NULL;
	root = json_object_new_object();
	json_object_object_add(root, "schema", json_object_new_int(JOURNAL_SCHEMA));
	devs = json_object_new_array();
	for (size_t i = 0; i < j->n_entries; i++) {
		const struct journal_entry *e = &j->entries[i];
		json_object *o = json_object_new_object();
		save_identity(o, e->addr, e->vendor_id, e->device_id);
		json_object_object_add(o, "driver", json_str_or_null(e->driver));
		json_object_object_add(o, "driver_override", json_str_or_null(e->driver_override));
		json_object_object_add(o, "group",
				       e->group >= 0 ? json_object_new_int(e->group) : NULL);
		json_object_object_add(o, "since", json_object_new_string(e->since));
		json_object_object_add(o, "reason", json_object_new_string(e->reason));
		save_node(o, "group_node", &e->group_node, NULL);
		save_node(o, "cdev_node", &e->cdev_node, e->cdev);
		if (e->run_pid) {
			json_object *run = json_object_new_object();
			json_object_object_add(run, "pid", json_object_new_int(e->run_pid));
			json_object_object_add(run, "start",
					       json_object_new_int64((int64_t)e->run_start));
			json_object_object_add(run, "command",
					       json_object_new_string(e->run_command));
			json_object_object_add(o, "run", run);
		}
		json_object_object_add(o, "origin",
				       json_object_new_string(e->origin ? e->origin : "command"));
		json_object_array_add(devs, o);
	}
	json_object_object_add(root, "devices", devs);
	save_sriov(j, root);
	if (j->txn_pid) {
		json_object *t = json_object_new_object(), *list = json_object_new_array();
		json_object_object_add(t, "pid", json_object_new_int(j->txn_pid));
		json_object_object_add(t, "command", json_object_new_string(j->txn_command));
		for (size_t i = 0; j->txn_devices && j->txn_devices[i]; i++)
			json_object_array_add(list, json_object_new_string(j->txn_devices[i]));
		json_object_object_add(t, "devices", list);
		json_object_object_add(root, "transaction", t);
	}

	text = xstrdup(json_object_to_json_string_ext(
		root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	/* The reasons hold command lines, whose bytes need not be UTF-8. */
	fixed = str_json_utf8(text);
	if (fixed) {
		free(text);
		text = fixed;
	}
	return text;
}

int journal_copy(const struct journal *src, struct journal *dst)
{
	_cleanup_free_ char *text = journal_format(src);

	memset(dst, 0, sizeof(*dst));
	/* What journal_format writes journal_parse reads back whole: every field, as it was (a
	 * copy made with journal_add would give every entry a new "since"). */
	return text ? journal_parse(dst, text) : 0;
}

int journal_save(const struct journal *j, char **ret_error)
{
	_cleanup_free_ char *path = journal_path(), *text = journal_format(j);
	int r;

	if (!text) {
		r = run_file_remove("journal.json");
		if (r < 0 && r != -ENOENT) {
			*ret_error = xasprintf("cannot remove %s: %s", path, strerror(-r));
			return r;
		}
		return 0;
	}
	r = run_file_replace("journal.json", text, true);
	if (r < 0) {
		*ret_error = xasprintf("cannot write the journal %s: %s", path, strerror(-r));
		return r;
	}
	return 0;
}

/* ---- SR-IOV records: "sriov": [{"address", "vendor_id", "device_id", "numvfs", "autoprobe",
 * "vfs": [{"address", "driver", "driver_override"}], "since", "reason"}] ---- */

static int load_sriov_vf(struct journal_sriov *s, json_object *v)
{
	const char *addr, *drv, *ovr;
	char norm[PCI_ADDR_MAX];

	if (!json_object_is_type(v, json_type_object) ||
	    member_str(v, "address", false, false, &addr) < 0 ||
	    pci_addr_normalize(addr, norm) < 0 || streq(norm, s->addr) ||
	    member_str(v, "driver", true, false, &drv) < 0 || !driver_name_ok(drv, false) ||
	    member_str(v, "driver_override", true, false, &ovr) < 0 || !driver_name_ok(ovr, true))
		return -EBADMSG;
	for (size_t i = 0; i < s->n_vfs; i++)
		if (streq(s->vfs[i].addr, norm))
			return -EBADMSG;
	journal_sriov_add_vf(s, norm, drv, ovr);
	return 0;
}

static int load_sriov_record(struct journal *j, json_object *e)
{
	const char *addr, *v, *d, *since, *reason;
	char norm[PCI_ADDR_MAX];
	unsigned vendor_id, device_id;
	json_object *ap, *vfs;
	struct journal_sriov *s;
	int numvfs;

	if (!json_object_is_type(e, json_type_object) ||
	    member_str(e, "address", false, false, &addr) < 0 ||
	    pci_addr_normalize(addr, norm) < 0 || journal_sriov_find(j, norm))
		return -EBADMSG;
	if (member_str(e, "vendor_id", false, false, &v) < 0 || parse_id(v, &vendor_id) < 0 ||
	    member_str(e, "device_id", false, false, &d) < 0 || parse_id(d, &device_id) < 0)
		return -EBADMSG;
	/* sriov_totalvfs is a 16-bit field of the capability. */
	if (member_int(e, "numvfs", false, 65535, &numvfs) < 0)
		return -EBADMSG;
	if (!json_object_object_get_ex(e, "autoprobe", &ap) ||
	    !json_object_is_type(ap, json_type_boolean))
		return -EBADMSG;
	if (!json_object_object_get_ex(e, "vfs", &vfs) ||
	    !json_object_is_type(vfs, json_type_array))
		return -EBADMSG;
	if (member_str(e, "since", false, true, &since) < 0 ||
	    member_str(e, "reason", false, true, &reason) < 0)
		return -EBADMSG;
	s = journal_sriov_add(j, norm, vendor_id, device_id, numvfs, json_object_get_boolean(ap),
			      reason ? reason : "");
	free(s->since);
	s->since = xstrdup(since ? since : "");
	for (size_t i = 0; i < json_object_array_length(vfs); i++)
		if (load_sriov_vf(s, json_object_array_get_idx(vfs, i)) < 0)
			return -EBADMSG;
	return 0;
}

static int load_sriov(struct journal *j, json_object *list)
{
	if (!json_object_is_type(list, json_type_array))
		return -EBADMSG;
	for (size_t i = 0; i < json_object_array_length(list); i++)
		if (load_sriov_record(j, json_object_array_get_idx(list, i)) < 0)
			return -EBADMSG;
	return 0;
}

static void save_sriov(const struct journal *j, json_object *root)
{
	json_object *list;

	/* Absent when empty: journals of devown before SR-IOV look the same. */
	if (j->n_sriov == 0)
		return;
	list = json_object_new_array();
	for (size_t i = 0; i < j->n_sriov; i++) {
		const struct journal_sriov *s = &j->sriov[i];
		json_object *o = json_object_new_object(), *vfs = json_object_new_array();
		save_identity(o, s->addr, s->vendor_id, s->device_id);
		json_object_object_add(o, "numvfs", json_object_new_int(s->numvfs));
		json_object_object_add(o, "autoprobe", json_object_new_boolean(s->autoprobe));
		for (size_t k = 0; k < s->n_vfs; k++) {
			json_object *v = json_object_new_object();
			json_object_object_add(v, "address",
					       json_object_new_string(s->vfs[k].addr));
			json_object_object_add(v, "driver", json_str_or_null(s->vfs[k].driver));
			json_object_object_add(v, "driver_override",
					       json_str_or_null(s->vfs[k].driver_override));
			json_object_array_add(vfs, v);
		}
		json_object_object_add(o, "vfs", vfs);
		json_object_object_add(o, "since", json_object_new_string(s->since));
		json_object_object_add(o, "reason", json_object_new_string(s->reason));
		json_object_array_add(list, o);
	}
	json_object_object_add(root, "sriov", list);
}
