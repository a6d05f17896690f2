/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config-text.h"
#include "holder-name.h"
#include "json.h"
#include "kernel-text.h"
#include "output.h"
#include "policy.h"
#include "util.h"

static json_object *hex_id(unsigned v, int width)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "0x%0*x", width, v);
	return json_object_new_string(buf);
}

static json_object *int_or_null(int v, int none)
{
	return v == none ? NULL : json_object_new_int(v);
}

static json_object *words_to_json(const char *s)
{
	json_object *a = json_object_new_array();
	_cleanup_free_ char *copy = s ? xstrdup(s) : NULL;
	char *save = NULL;

	for (char *w = copy ? strtok_r(copy, " ", &save) : NULL; w; w = strtok_r(NULL, " ", &save))
		json_object_array_add(a, json_object_new_string(w));
	return a;
}

/* One in_use finding: kind, name, detail, and the keys of its kind (devown(8)). */
static json_object *in_use_to_json(const struct in_use *u)
{
	json_object *o = json_object_new_object();

	json_put(o, "kind", json_object_new_string(u->kind));
	json_put(o, "name", json_object_new_string(u->name));
	json_put(o, "detail", json_str_or_null(u->detail));
	if (streq(u->kind, "net")) {
		json_put(o, "addresses", json_strv(u->addresses));
		json_put(o, "routes", json_strv(u->routes));
		json_put(o, "up", json_object_new_boolean(u->up));
		json_put(o, "default_route", json_object_new_boolean(u->default_route));
		json_put(o, "master", json_str_or_null(u->master));
		json_put(o, "uppers", json_strv(u->uppers));
		json_put(o, "own_connection", json_object_new_boolean(u->own_connection));
	} else if (streq(u->kind, "mount")) {
		json_put(o, "source", json_str_or_null(u->source));
		json_put(o, "mountpoint", json_str_or_null(u->mountpoint));
		json_put(o, "mountpoints", json_strv(u->mountpoints));
		json_put(o, "fstype", json_str_or_null(u->fstype));
		json_put(o, "root", json_object_new_boolean(u->root));
	} else if (streq(u->kind, "swap")) {
		json_put(o, "source", json_str_or_null(u->source));
	} else if (streq(u->kind, "holder")) {
		json_put(o, "chain", json_strv(u->chain));
		json_put(o, "mountpoint", json_str_or_null(u->mountpoint));
		json_put(o, "mountpoints", json_strv(u->mountpoints));
		json_put(o, "fstype", json_str_or_null(u->fstype));
		json_put(o, "root", json_object_new_boolean(u->root));
		json_put(o, "swap", json_object_new_boolean(u->swap));
	} else if (streq(u->kind, "devnode")) {
		json_put(o, "pid", json_object_new_int(u->pid));
		json_put(o, "command", json_str_or_null(u->command));
		json_put(o, "path", json_str_or_null(u->path));
		json_put(o, "subsystem", json_str_or_null(u->subsystem));
	} else if (u->own_connection)
		json_put(o, "own_connection", json_object_new_boolean(true));
	return o;
}

json_object *device_to_json(const struct device *d)
{
	json_object *o = json_object_new_object();
	json_object *inuse = json_object_new_array();

	json_put(o, "address", json_object_new_string(d->addr));
	json_put(o, "vendor_id", d->ids_known ? hex_id(d->vendor_id, 4) : NULL);
	json_put(o, "device_id", d->ids_known ? hex_id(d->device_id, 4) : NULL);
	json_put(o, "subsystem_vendor_id", hex_id(d->subsys_vendor_id, 4));
	json_put(o, "subsystem_device_id", hex_id(d->subsys_device_id, 4));
	json_put(o, "class_id", hex_id(d->class_id, 6));
	json_put(o, "revision", d->revision_known ? hex_id(d->revision, 2) : NULL);
	json_put(o, "vendor", json_str_or_null(d->vendor));
	json_put(o, "device", json_str_or_null(d->device));
	json_put(o, "class", json_str_or_null(d->class_name));
	json_put(o, "iommu_group", int_or_null(d->group, -1));
	json_put(o, "driver", json_str_or_null(d->driver));
	json_put(o, "driver_module", json_str_or_null(d->driver_module));
	json_put(o, "driver_override", json_str_or_null(d->driver_override));
	json_put(o, "modules", json_strv(d->modules));
	json_put(o, "modules_known", json_object_new_boolean(d->modules_known));
	json_put(o, "dma", json_object_new_string(dma_role_to_string(d->dma)));
	json_put(o, "bridge", json_object_new_boolean(d->bridge));
	json_put(o, "boot_vga", json_object_new_boolean(d->boot_vga));
	json_put(o, "numa_node", int_or_null(d->numa_node, -1));
	json_put(o, "reset_methods", words_to_json(d->reset_method));
	json_put(o, "physfn", json_str_or_null(d->physfn));
	json_put(o, "sriov_totalvfs", int_or_null(d->sriov_totalvfs, -1));
	json_put(o, "sriov_numvfs", int_or_null(d->sriov_numvfs, -1));
	json_put(o, "sriov_drivers_autoprobe",
		 d->sriov_autoprobe >= 0 ? json_object_new_boolean(d->sriov_autoprobe) : NULL);
	json_put(o, "sriov_vfs",
		 d->sriov_totalvfs >= 0 || d->sriov_vfs ? json_strv(d->sriov_vfs) : NULL);
	json_put(o, "vfio_device", json_str_or_null(d->vfio_dev_name));
	for (size_t i = 0; i < d->n_in_use; i++)
		json_object_array_add(inuse, in_use_to_json(&d->in_use[i]));
	json_put(o, "in_use", inuse);
	json_put(o, "in_use_unknown", json_strv(d->in_use_unknown));
	return o;
}

static json_object *holder_to_json(const struct holder *x)
{
	json_object *hj = json_object_new_object();

	json_put(hj, "pid", json_object_new_int(x->pid));
	json_put(hj, "command", json_object_new_string(x->command));
	json_put(hj, "path", json_object_new_string(x->path));
	json_put(hj, "via", json_object_new_string(x->via));
	json_put(hj, "device", json_str_or_null(x->device));
	json_put(hj, "unit", json_str_or_null(x->unit));
	json_put(hj, "domain", json_str_or_null(x->domain));
	json_put(hj, "container", json_str_or_null(x->container));
	return hj;
}

static char *size_text(unsigned long long bytes)
{
	if (bytes == UINT64_MAX)
		return xstrdup("unlimited");
	if (bytes >= (1ULL << 30) && bytes % (1ULL << 30) == 0)
		return xasprintf("%llu GiB", bytes >> 30);
	if (bytes >= (1ULL << 20) && bytes % (1ULL << 20) == 0)
		return xasprintf("%llu MiB", bytes >> 20);
	if (bytes >= 1024 && bytes % 1024 == 0)
		return xasprintf("%llu KiB", bytes >> 10);
	return xasprintf("%llu bytes", bytes);
}

bool memlock_is_default(unsigned long long bytes)
{
	return bytes == MEMLOCK_DEFAULT || bytes == MEMLOCK_OLD_DEFAULT;
}

char *memlock_text(const char *user, unsigned long long bytes)
{
	_cleanup_free_ char *size = size_text(bytes);

	if (memlock_is_default(bytes))
		return xasprintf("%s's locked-memory limit is %s, the default; a VM needs its "
				 "whole memory locked: raise memlock in /etc/security/limits.d or "
				 "LimitMEMLOCK= of its service",
				 user, size);
	return xasprintf("%s's locked-memory limit is %s (VFIO pins a VM's whole memory "
			 "against it)",
			 user, size);
}

static json_object *node_to_json(const struct group *g)
{
	json_object *o;
	char buf[32];

	if (!g->node_known)
		return NULL;
	o = json_object_new_object();
	json_put(o, "path", json_object_new_string(g->node_path));
	json_put(o, "uid", json_object_new_int64(g->node_uid));
	json_put(o, "user", json_str_or_null(g->node_user));
	json_put(o, "gid", json_object_new_int64(g->node_gid));
	json_put(o, "group", json_str_or_null(g->node_group));
	snprintf(buf, sizeof(buf), "%04o", g->node_mode);
	json_put(o, "mode", json_object_new_string(buf));
	if (g->node_memlock_pid <= 0)
		json_put(o, "memlock", NULL);
	else if (g->node_memlock == UINT64_MAX)
		json_put(o, "memlock", json_object_new_string("unlimited"));
	else
		json_put(o, "memlock", json_object_new_int64((int64_t)g->node_memlock));
	json_put(o, "memlock_pid",
		 g->node_memlock_pid > 0 ? json_object_new_int(g->node_memlock_pid) : NULL);
	return o;
}

json_object *group_to_json(const struct group *g)
{
	json_object *o = json_object_new_object();
	json_object *blockers = json_object_new_array();
	json_object *holders = json_object_new_array();
	json_object *devices = json_object_new_array();

	json_put(o, "group", json_object_new_int(g->number));
	json_put(o, "type", json_str_or_null(g->type));
	json_put(o, "viable", json_object_new_boolean(g->viable));
	json_put(o, "vfio_bound", json_object_new_boolean(g->vfio_bound));
	for (size_t i = 0; i < g->n_blockers; i++)
		json_object_array_add(blockers, json_object_new_string(g->blockers[i]->addr));
	json_put(o, "blockers", blockers);
	for (size_t i = 0; i < g->n_holders; i++)
		json_object_array_add(holders, holder_to_json(&g->holders[i]));
	json_put(o, "holders", holders);
	json_put(o, "holders_state", json_object_new_string(g->holders_state));
	json_put(o, "holders_note", json_str_or_null(g->holders_note));
	json_put(o, "node", node_to_json(g));
	for (size_t i = 0; i < g->n_devices; i++)
		json_object_array_add(devices, device_to_json(g->devices[i]));
	json_put(o, "devices", devices);
	return o;
}

json_object *kernel_to_json(const struct kernel_info *k)
{
	json_object *o = json_object_new_object();

	json_put(o, "release", json_object_new_string(k->release));
	json_put(o, "iommu", json_object_new_boolean(k->iommu));
	json_put(o, "iommu_units", json_strv(k->iommus));
	if (!k->iommu)
		json_put(o, "iommu_hint", json_object_new_string(k->iommu_parameter));
	json_put(o, "dma_ownership_checks", json_object_new_boolean(k->dma_ownership_checks));
	json_put(o, "dma_ownership_checks_source", json_object_new_string(k->checks_source));
	return o;
}

/* The members of a status before its two lists; shared by status_to_json() and
 * status_print_json() so that both always print the same document. */
static json_object *journal_entry_to_json(const struct journal_entry *e)
{
	json_object *o = json_object_new_object();

	json_put(o, "address", json_object_new_string(e->addr));
	json_put(o, "driver", json_str_or_null(e->driver));
	json_put(o, "driver_override", json_str_or_null(e->driver_override));
	json_put(o, "since", json_object_new_string(e->since));
	json_put(o, "reason", json_object_new_string(e->reason));
	if (e->run_pid && e->run_alive) {
		json_object *r = json_object_new_object();
		json_put(r, "pid", json_object_new_int(e->run_pid));
		json_put(r, "command", json_object_new_string(e->run_command));
		json_put(o, "run", r);
	} else
		json_put(o, "run", NULL);
	json_put(o, "origin", json_object_new_string(e->origin ? e->origin : "command"));
	return o;
}

static json_object *interrupted_to_json(const struct journal *j)
{
	json_object *o = json_object_new_object();

	json_put(o, "pid", json_object_new_int(j->txn_pid));
	json_put(o, "command", json_object_new_string(j->txn_command));
	json_put(o, "devices", json_strv(j->txn_devices));
	return o;
}

/* status's "boot": what devown did at boot, what a host driver took first, and what of the
 * kernel command line and modprobe.d concerns the configured devices. */
static json_object *boot_report_to_json(const struct boot_report *r)
{
	json_object *o = json_object_new_object(), *bound = json_object_new_array(),
		    *taken = json_object_new_array(), *conflicts = json_object_new_array();

	for (size_t i = 0; i < r->n_bound; i++) {
		json_object *b = json_object_new_object();
		json_put(b, "address", json_object_new_string(r->bound[i].address));
		json_put(b, "origin", json_object_new_string(r->bound[i].origin));
		json_put(b, "driver", json_str_or_null(r->bound[i].driver));
		json_put(b, "previous_driver", json_str_or_null(r->bound[i].previous_driver));
		json_object_array_add(bound, b);
	}
	for (size_t i = 0; i < r->n_taken; i++) {
		json_object *t = json_object_new_object();
		json_put(t, "address", json_object_new_string(r->taken[i].address));
		json_put(t, "entry", json_object_new_string(r->taken[i].entry));
		json_put(t, "driver", json_object_new_string(r->taken[i].driver));
		json_put(t, "wanted", json_object_new_string(r->taken[i].wanted));
		json_put(t, "hint", json_object_new_string(r->taken[i].hint));
		json_object_array_add(taken, t);
	}
	for (size_t i = 0; i < r->n_conflicts; i++) {
		const struct boot_conflict *c = &r->conflicts[i];
		json_object *x = json_object_new_object();
		json_put(x, "directive",
			 json_object_new_string(boot_directive_kind_name(c->directive->kind)));
		json_put(x, "source", json_object_new_string(c->directive->source));
		json_put(x, "text", json_object_new_string(c->directive->text));
		json_put(x, "module", json_object_new_string(c->directive->module));
		json_put(x, "devices", json_strv(c->devices));
		json_put(x, "others", json_strv(c->others));
		json_put(x, "message", json_object_new_string(c->message));
		json_object_array_add(conflicts, x);
	}
	json_put(o, "bound", bound);
	json_put(o, "taken_first", taken);
	json_put(o, "conflicts", conflicts);
	return o;
}

static void status_view_to_json(const struct status_view *v, json_object *o)
{
	json_object *managed = json_object_new_array(), *mismatches = json_object_new_array();

	json_put(o, "interrupted",
		 v->journal && v->interrupted ? interrupted_to_json(v->journal) : NULL);
	for (size_t i = 0; v->journal && i < v->journal->n_entries; i++)
		json_object_array_add(managed, journal_entry_to_json(&v->journal->entries[i]));
	json_put(o, "managed", managed);
	for (size_t i = 0; i < v->n_mismatches; i++)
		json_object_array_add(mismatches, config_mismatch_to_json(&v->mismatches[i]));
	json_put(o, "config_mismatches", mismatches);
	json_put(o, "config_error", json_str_or_null(v->config_error));
	json_put(o, "boot", v->boot ? boot_report_to_json(v->boot) : NULL);
}

static json_object *status_head_to_json(const struct host *h, const struct status_view *v)
{
	json_object *o = json_object_new_object(), *loose;

	json_put(o, "schema", json_object_new_int(DEVOWN_JSON_SCHEMA));
	json_put(o, "kernel", kernel_to_json(&h->kernel));
	json_put(o, "group_count", json_object_new_int((int)h->n_groups));
	loose = json_object_new_array();
	for (size_t i = 0; i < h->n_unattributed; i++)
		json_object_array_add(loose, holder_to_json(&h->unattributed[i]));
	json_put(o, "vfio_unattributed", loose);
	if (v)
		status_view_to_json(v, o);
	return o;
}

json_object *status_to_json(const struct host *h, const struct selection *s,
			    const struct status_view *v)
{
	json_object *o = status_head_to_json(h, v);
	json_object *groups = json_object_new_array();
	json_object *loose = json_object_new_array();

	for (size_t i = 0; i < s->n_groups; i++)
		json_object_array_add(groups, group_to_json(s->groups[i]));
	json_put(o, "groups", groups);
	for (size_t i = 0; i < s->n_loose; i++)
		json_object_array_add(loose, device_to_json(s->loose[i]));
	json_put(o, "devices_without_group", loose);
	return o;
}

#define JSON_PRINT_FLAGS \
	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Prints o as json_print() would print it nested `level` deep (two spaces a level): json-c's
 * pretty printer indents uniformly, and strings never hold a raw newline. */
static void json_print_nested(json_object *o, int level, FILE *f)
{
	static const char spaces[] = "                ";
	const char *s = json_object_to_json_string_ext(o, JSON_PRINT_FLAGS);
	_cleanup_free_ char *fixed = str_json_utf8(s); /* as json_print() */
	size_t indent = 2 * (size_t)level;

	if (fixed)
		s = fixed;
	if (indent > sizeof(spaces) - 1)
		indent = sizeof(spaces) - 1;
	/* Only this thread writes f: no stdio locking (megabytes for a large host). */
	for (const char *nl; (nl = strchr(s, '\n')); s = nl + 1) {
		fwrite_unlocked(s, 1, (size_t)(nl - s) + 1, f);
		fwrite_unlocked(spaces, 1, indent, f);
	}
	fputs_unlocked(s, f);
}

static void json_print_list_item(json_object *o, bool first, FILE *f)
{
	fputs(first ? "\n    " : ",\n    ", f);
	json_print_nested(o, 2, f);
	json_object_put(o);
}

void status_print_json(const struct host *h, const struct selection *s, const struct status_view *v,
		       FILE *f)
{
	json_object *head = status_head_to_json(h, v);
	bool first = true;

	/* Byte for byte what json_print(status_to_json()) prints, one group or device at a time:
	 * the whole tree of a host with thousands of functions took tens of megabytes. */
	fputc('{', f);
	json_object_object_foreach(head, key, val)
	{
		fprintf(f, "%s\n  \"%s\": ", first ? "" : ",", key);
		if (val)
			json_print_nested(val, 1, f);
		else
			fputs("null", f);
		first = false;
	}
	json_object_put(head);
	fputs(",\n  \"groups\": [", f);
	for (size_t i = 0; i < s->n_groups; i++)
		json_print_list_item(group_to_json(s->groups[i]), i == 0, f);
	fputs("\n  ],\n  \"devices_without_group\": [", f);
	for (size_t i = 0; i < s->n_loose; i++)
		json_print_list_item(device_to_json(s->loose[i]), i == 0, f);
	fputs("\n  ]\n}\n", f);
}

/* ---- text ---- */

#define COLOR(name, code)                                       \
	const char *ansi_##name(const struct output_options *o) \
	{                                                       \
		return o->color ? code : "";                    \
	}
COLOR(red, "\033[31m")
COLOR(green, "\033[32m")
COLOR(yellow, "\033[33m")
COLOR(bold, "\033[1m")
COLOR(reset, "\033[0m")

struct widths {
	int addr, driver, dma;
	const struct host *h; /* a PF's line names its VFs' holders and uses */
};

static void measure(const struct device *d, struct widths *w)
{
	int n = (int)strlen(d->addr);
	if (n > w->addr)
		w->addr = n;
	n = (int)strlen(d->driver ? d->driver : "-");
	if (n > w->driver)
		w->driver = n;
	n = (int)strlen(dma_role_to_string(d->dma));
	if (n > w->dma)
		w->dma = n;
}

static void print_names(const struct device *d, FILE *f)
{
	if (d->class_name)
		fprintf(f, "%s: ", d->class_name);
	else
		fprintf(f, "[%06x]: ", d->class_id);
	if (d->vendor)
		fprintf(f, "%s ", d->vendor);
	if (d->device)
		fprintf(f, "%s ", d->device);
	if (d->ids_known)
		fprintf(f, "[%04x:%04x]", d->vendor_id, d->device_id);
	else
		fprintf(f, "[unknown IDs]");
}

/* A PF's VFs on one line, each with who holds its group or what the host uses it for: what keeps
 * `devown sriov` from changing the count. */
static void print_vfs(const struct device *pf, const struct widths *w,
		      const struct output_options *o, FILE *f)
{
	fprintf(f, "  %*s  VFs ", w->addr, "");
	for (size_t i = 0; pf->sriov_vfs[i]; i++) {
		struct device *vf =
			w->h ? host_find_device((struct host *)w->h, pf->sriov_vfs[i]) : NULL;
		struct group *g = vf && vf->group >= 0
					  ? host_find_group((struct host *)w->h, vf->group)
					  : NULL;
		fprintf(f, "%s%s", i ? ", " : "", pf->sriov_vfs[i]);
		if (g && g->n_holders > 0) {
			_cleanup_free_ char *who = holder_describe(&g->holders[0]);
			fprintf(f, " %s(held by %s)%s", ansi_yellow(o), who, ansi_reset(o));
		} else if (g && g->held_unseen)
			fprintf(f, " %s(held)%s", ansi_yellow(o), ansi_reset(o));
		else if (vf && vf->n_in_use > 0)
			fprintf(f, " %s(in use: %s %s)%s", ansi_yellow(o), vf->in_use[0].kind,
				vf->in_use[0].name, ansi_reset(o));
	}
	fputc('\n', f);
}

static void print_device(const struct device *d, const struct group *g, const struct widths *w,
			 const struct output_options *o, FILE *f)
{
	bool blocker = false;

	for (size_t i = 0; g && i < g->n_blockers; i++)
		if (g->blockers[i] == d)
			blocker = true;
	fprintf(f, "  %s%-*s%s  %-*s  %s%-*s%s  ", blocker ? ansi_red(o) : "", w->addr, d->addr,
		blocker ? ansi_reset(o) : "", w->driver, d->driver ? d->driver : "-",
		blocker ? ansi_red(o) : "", w->dma, dma_role_to_string(d->dma),
		blocker ? ansi_reset(o) : "");
	print_names(d, f);
	fputc('\n', f);

	/* Flags worth a glance, in one indented line. */
	{
		char line[1024] = "";
		size_t len = 0;
#define ADD(...)                                                                         \
	len += (size_t)snprintf(line + len, len < sizeof(line) ? sizeof(line) - len : 0, \
				__VA_ARGS__)
		if (d->bridge)
			ADD("%sbridge", len ? ", " : "");
		if (d->driver_override)
			ADD("%soverride %s", len ? ", " : "", d->driver_override);
		if (d->physfn)
			ADD("%sVF of %s", len ? ", " : "", d->physfn);
		if (d->sriov_totalvfs > 0)
			ADD("%sSR-IOV PF, %d of %d VFs%s", len ? ", " : "", d->sriov_numvfs,
			    d->sriov_totalvfs,
			    d->sriov_autoprobe == 0   ? " (autoprobe off)"
			    : d->sriov_autoprobe == 1 ? " (autoprobe on)"
						      : "");
		if (d->boot_vga)
			ADD("%sboot VGA", len ? ", " : "");
		if (len)
			fprintf(f, "  %*s  %s\n", w->addr, "", line);
#undef ADD
	}
	if (d->sriov_vfs)
		print_vfs(d, w, o, f);
	for (size_t i = 0; i < d->n_in_use; i++) {
		const struct in_use *u = &d->in_use[i];
		fprintf(f, "  %*s  %sin use: %s %s%s%s%s%s", w->addr, "", ansi_yellow(o), u->kind,
			u->name, u->detail ? " (" : "", u->detail ? u->detail : "",
			u->detail ? ")" : "", ansi_reset(o));
		if (u->own_connection)
			fprintf(f, " %s%s<- your own connection%s", ansi_bold(o), ansi_red(o),
				ansi_reset(o));
		fputc('\n', f);
	}
	for (size_t i = 0; d->in_use_unknown && d->in_use_unknown[i]; i++)
		fprintf(f, "  %*s  %sin use unknown: %s%s\n", w->addr, "", ansi_yellow(o),
			d->in_use_unknown[i], ansi_reset(o));
	if (o->verbose) {
		const char *pad = "      ";
		char rev[8];
		if (d->revision_known)
			snprintf(rev, sizeof(rev), "%02x", d->revision);
		else
			snprintf(rev, sizeof(rev), "n/a");
		fprintf(f, "%s%*s  subsystem %04x:%04x, revision %s, class %06x\n", pad,
			w->addr - 4, "", d->subsys_vendor_id, d->subsys_device_id, rev,
			d->class_id);
		fprintf(f, "%s%*s  driver_override %s, driver module %s\n", pad, w->addr - 4, "",
			d->driver_override ? d->driver_override : "(none)",
			strna(d->driver_module));
		fprintf(f, "%s%*s  modules ", pad, w->addr - 4, "");
		if (!d->modules_known)
			fputs("unknown (no module index)", f);
		else if (!d->modules[0])
			fputs("(none match)", f);
		for (size_t i = 0; d->modules[i]; i++)
			fprintf(f, "%s%s", i ? " " : "", d->modules[i]);
		fputc('\n', f);
		fprintf(f, "%s%*s  NUMA node ", pad, w->addr - 4, "");
		if (d->numa_node >= 0)
			fprintf(f, "%d", d->numa_node);
		else
			fputs("n/a", f);
		fprintf(f, ", reset methods %s", d->reset_method ? d->reset_method : "(none)");
		if (d->vfio_dev_name)
			fprintf(f, ", VFIO device /dev/vfio/devices/%s", d->vfio_dev_name);
		fputc('\n', f);
		if (d->modalias)
			fprintf(f, "%s%*s  modalias %s\n", pad, w->addr - 4, "", d->modalias);
	}
}

static void print_group(const struct group *g, const struct widths *w,
			const struct output_options *o, FILE *f)
{
	fprintf(f, "%sGroup %d%s  (%s, %zu device%s)  ", ansi_bold(o), g->number, ansi_reset(o),
		g->type ? g->type : "type unknown", g->n_devices, g->n_devices == 1 ? "" : "s");
	if (g->viable)
		fprintf(f, "%susable by VFIO%s", ansi_green(o), ansi_reset(o));
	else {
		fprintf(f, "%snot usable by VFIO:%s ", ansi_red(o), ansi_reset(o));
		for (size_t i = 0; i < g->n_blockers; i++)
			fprintf(f, "%s%s on %s", i ? ", " : "", g->blockers[i]->addr,
				g->blockers[i]->driver);
		fprintf(f, " use%s kernel DMA", g->n_blockers == 1 ? "s" : "");
	}
	fputc('\n', f);
	if (g->n_holders > 0) {
		for (size_t i = 0; i < g->n_holders; i++) {
			_cleanup_free_ char *who = holder_describe(&g->holders[i]);
			fprintf(f, "  %sheld by %s through %s%s%s%s\n", ansi_yellow(o), who,
				g->holders[i].path, g->holders[i].device ? " for " : "",
				g->holders[i].device ? g->holders[i].device : "", ansi_reset(o));
		}
	} else if (streq(g->holders_state, "unknown"))
		fprintf(f, "  %sholders unknown: %s%s\n", ansi_yellow(o), g->holders_note,
			ansi_reset(o));
	else if (g->vfio_bound)
		fprintf(f, "  not held by user space\n");
	if (g->node_known)
		fprintf(f, "  %s owned by %s:%s, mode %04o\n", g->node_path, g->node_user,
			g->node_group, g->node_mode);
	if (g->node_known && o->verbose && g->node_memlock_pid > 0) {
		_cleanup_free_ char *t = memlock_text(g->node_user, g->node_memlock);
		fprintf(f, "  %s%s (pid %d)%s\n",
			memlock_is_default(g->node_memlock) ? ansi_yellow(o) : "", t,
			g->node_memlock_pid,
			memlock_is_default(g->node_memlock) ? ansi_reset(o) : "");
	}
	for (size_t i = 0; i < g->n_devices; i++)
		print_device(g->devices[i], g, w, o, f);
}

/* Where a journal entry was made, as the text view says it after the address. */
static const char *origin_phrase(const char *origin)
{
	if (streq_ptr(origin, "initramfs"))
		return " at boot, in the initramfs";
	if (streq_ptr(origin, "unit"))
		return " at boot, by devown-apply.service";
	if (streq_ptr(origin, "udev"))
		return " as it appeared, by the udev rule";
	return "";
}

/* The lines of a status_view under the header of the text view. */
static void status_view_print_text(const struct status_view *v, const struct output_options *o,
				   FILE *f)
{
	const char *y = ansi_yellow(o), *z = ansi_reset(o);
	const struct journal *j = v->journal;

	for (size_t i = 0; j && i < j->n_entries; i++) {
		const struct journal_entry *e = &j->entries[i];
		if (e->run_pid && e->run_alive)
			fprintf(f,
				"%sdevown run (pid %d, '%s') holds %s (it was on %s; the run gives "
				"it back when that command ends)%s\n",
				y, e->run_pid, e->run_command, e->addr,
				e->driver ? e->driver : "no driver", z);
		else
			fprintf(f,
				"%sdevown changed %s%s (it was on %s; 'devown restore %s' gives it "
				"back)%s\n",
				y, e->addr, origin_phrase(e->origin),
				e->driver ? e->driver : "no driver", e->addr, z);
	}
	for (size_t i = 0; j && i < j->n_sriov; i++)
		fprintf(f,
			"%sdevown changed the VFs of %s (it had %d; 'devown restore %s' gives them "
			"back)%s\n",
			y, j->sriov[i].addr, j->sriov[i].numvfs, j->sriov[i].addr, z);
	if (j && v->interrupted)
		fprintf(f,
			"%sa devown (pid %d, '%s') was interrupted mid-way: run 'devown "
			"restore'%s\n",
			y, j->txn_pid, j->txn_command, z);
	for (size_t i = 0; i < v->n_mismatches; i++) {
		_cleanup_free_ char *m = config_mismatch_describe(&v->mismatches[i]);
		fprintf(f, "%s%s%s\n", y, m, z);
	}
	if (v->config_error)
		fprintf(f, "%sconfiguration: %s%s\n", y, v->config_error, z);
	for (size_t i = 0; v->boot && i < v->boot->n_taken; i++)
		fprintf(f, "%s%s (entry %s, driver=%s): %s%s\n", y, v->boot->taken[i].address,
			v->boot->taken[i].entry, v->boot->taken[i].wanted, v->boot->taken[i].hint,
			z);
	for (size_t i = 0; v->boot && i < v->boot->n_conflicts; i++)
		fprintf(f, "%sboot: %s%s\n", y, v->boot->conflicts[i].message, z);
}

void status_print_text(const struct host *h, const struct selection *s, const struct status_view *v,
		       const struct output_options *o, FILE *f)
{
	const struct kernel_info *k = &h->kernel;
	struct widths w = { 12, 6, 6, h };

	fprintf(f, "Kernel %s, ", k->release);
	if (k->iommu) {
		fprintf(f, "IOMMU on");
		if (k->iommus && k->iommus[0]) {
			fputs(" (", f);
			for (size_t i = 0; k->iommus[i]; i++)
				fprintf(f, "%s%s", i ? ", " : "", k->iommus[i]);
			fputc(')', f);
		}
	} else
		fprintf(f, "%sIOMMU off%s", ansi_red(o), ansi_reset(o));
	fprintf(f, ", DMA ownership checks %s, %zu IOMMU group%s\n",
		k->dma_ownership_checks ? "present" : "ABSENT (devown enforces them)", h->n_groups,
		h->n_groups == 1 ? "" : "s");
	if (!k->iommu)
		fprintf(f,
			"No IOMMU is enabled: add %s to the kernel command line (and enable "
			"VT-d/AMD-Vi in the firmware), then reboot.\n",
			k->iommu_parameter);
	if (v)
		status_view_print_text(v, o, f);
	for (size_t i = 0; i < h->n_unattributed; i++) {
		_cleanup_free_ char *who = holder_describe(&h->unattributed[i]);
		fprintf(f,
			"%s%s has a VFIO device %s (%s) that this kernel does not tie to a "
			"group: changes to VFIO groups ask the kernel first%s\n",
			ansi_yellow(o), who,
			streq(h->unattributed[i].via, "mapping") ? "mapped" : "open",
			h->unattributed[i].path, ansi_reset(o));
	}

	for (size_t i = 0; i < s->n_groups; i++)
		for (size_t j = 0; j < s->groups[i]->n_devices; j++)
			measure(s->groups[i]->devices[j], &w);
	for (size_t i = 0; i < s->n_loose; i++)
		measure(s->loose[i], &w);

	for (size_t i = 0; i < s->n_groups; i++) {
		fputc('\n', f);
		print_group(s->groups[i], &w, o, f);
	}
	if (s->n_loose > 0) {
		fprintf(f, "\n%sDevices without an IOMMU group%s\n", ansi_bold(o), ansi_reset(o));
		for (size_t i = 0; i < s->n_loose; i++)
			print_device(s->loose[i], NULL, &w, o, f);
	}
}
