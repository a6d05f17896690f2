/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>

#include "holders.h"
#include "journal-file.h"
#include "modules.h"
#include "owner.h"
#include "policy.h"
#include "scan.h"
#include "sysfs.h"
#include "txn.h"
#include "util.h"
#include "vfio.h"

/* Saves the journal after changes; a failure is for the command to say (journal_errors). */
static void save_journal(const struct journal *j, struct txn_outcome *out)
{
	char *err = NULL;

	if (journal_save(j, &err) < 0)
		strv_push(&out->journal_errors, err);
}

/* The live state of a device, read fresh from sysfs. */
struct live {
	bool exists;
	unsigned vendor_id, device_id;
	char *driver, *driver_override;
};

static void live_done(struct live *l)
{
	free(l->driver);
	free(l->driver_override);
	memset(l, 0, sizeof(*l));
}

static void live_read(const char *addr, struct live *l)
{
	_cleanup_close_ int fd = -1;

	memset(l, 0, sizeof(*l));
	if (sysfs_open_device(addr, &fd) < 0)
		return;
	l->exists = true;
	(void)read_uint_at(fd, "vendor", &l->vendor_id);
	(void)read_uint_at(fd, "device", &l->device_id);
	(void)read_link_base_at(fd, "driver", &l->driver);
	l->driver_override = sysfs_read_override(fd);
}

static const char *nodrv(const char *d)
{
	return d ? d : "no driver";
}
static const char *noovr(const char *o)
{
	return o ? o : "(none)";
}

/* Re-reads the driver link until it shows want (drivers may probe asynchronously), up to 1 s. */
static void wait_driver(const char *addr, const char *want, struct live *l)
{
	long long deadline = now_ms() + 1000;

	for (;;) {
		live_read(addr, l);
		if (streq_ptr(l->driver, want) || now_ms() >= deadline)
			return;
		live_done(l);
		usleep(20 * 1000);
	}
}

/* Turns a failed write into what it means, after re-reading the state it depends on. */
static char *explain(struct host *h, struct device *d, enum step_kind kind, const char *arg,
		     int err, int timeout_ms)
{
	struct live l;
	char *s;

	if (err == -ETIMEDOUT)
		return xasprintf("the kernel did not finish within %d s (is user space holding "
				 "the device?); the write may still take effect",
				 (timeout_ms + 999) / 1000);
	if (kind != STEP_BIND)
		return xasprintf("kernel: %s", strerror(-err));
	live_read(d->addr, &l);
	if (err == -EBUSY && l.driver && !streq(l.driver, arg)) {
		s = xasprintf("it is already bound to %s (something bound it in between)",
			      l.driver);
		live_done(&l);
		return s;
	}
	live_done(&l);
	if (err == -EBUSY && d->group >= 0) {
		struct group *g = host_find_group(h, d->group);
		/* The kernel says nothing more: look again at who holds the group. */
		holders_rescan_vfio(h);
		if (g && g->n_holders > 0)
			return xasprintf("group %d is in use by pid %d (%s) through %s, and the "
					 "kernel refuses a kernel DMA driver while user space owns "
					 "the group",
					 g->number, g->holders[0].pid, g->holders[0].command,
					 g->holders[0].path);
	}
	if (err == -ENODEV)
		return xasprintf("%s does not accept the device (kernel: %s): its ID table does "
				 "not match or driver_override names another driver",
				 arg, strerror(-err));
	if (err == -EINVAL && driver_is_vfio(arg))
		return xasprintf("%s rejected the device (kernel: %s): it is a bridge or has no "
				 "IOMMU group",
				 arg, strerror(-err));
	return xasprintf("kernel: %s", strerror(-err));
}

static int do_write(enum step_kind kind, const char *addr, const char *arg)
{
	switch (kind) {
	case STEP_SET_OVERRIDE:
		return sysfs_set_override(addr, arg);
	case STEP_UNBIND:
		return sysfs_unbind(addr, arg);
	case STEP_BIND:
		return sysfs_bind(addr, arg);
	case STEP_PROBE:
		return sysfs_probe(addr);
	default:
		return -EINVAL;
	}
}

static const char *step_verb(enum step_kind kind)
{
	switch (kind) {
	case STEP_SET_OVERRIDE:
		return "set driver_override of";
	case STEP_UNBIND:
		return "unbind";
	case STEP_BIND:
		return "bind";
	default:
		return "change";
	}
}

/* A driver provided by a module we just loaded may be named differently from the module
 * (xe_vfio_pci registers xe-vfio-pci): take the name the module registered. */
static void resolve_loaded_driver(struct plan *p, const char *module)
{
	_cleanup_strv_free_ char **drivers = NULL;

	if (sysfs_module_pci_drivers(module, &drivers) < 0 || !drivers[0])
		return;
	for (size_t i = 0; i < p->n_items; i++) {
		struct item *it = &p->items[i];
		char *old;
		if (!it->to_module || !streq(it->to_module, module) || !it->to.driver ||
		    sysfs_driver_registered(it->to.driver))
			continue;
		old = it->to.driver;
		it->to.driver = xstrdup(drivers[0]);
		if (streq_ptr(it->to.driver_override, old)) {
			free(it->to.driver_override);
			it->to.driver_override = xstrdup(drivers[0]);
		}
		for (size_t k = 0; k < p->n_steps; k++)
			if (p->steps[k].item == it && streq_ptr(p->steps[k].arg, old)) {
				free(p->steps[k].arg);
				p->steps[k].arg = xstrdup(drivers[0]);
			}
		free(old);
	}
}

/* Whether the plan lets the kernel pick the device's driver. */
static bool probed(const struct plan *p, const struct item *it)
{
	for (size_t k = 0; k < p->n_steps; k++)
		if (p->steps[k].kind == STEP_PROBE && p->steps[k].item == it)
			return true;
	return false;
}

/* The override a device must read back once its item is done. */
static const char *final_override(const struct item *it)
{
	return it->action == ACT_UNBIND ? "none" : it->to.driver_override;
}

static int check_viable(struct host *h, int group, char **ret_error)
{
	_cleanup_strv_free_ char **bad = NULL;
	struct group *g = host_find_group(h, group);
	int r;

	for (size_t i = 0; g && i < g->n_devices; i++) {
		struct device *d = g->devices[i];
		device_refresh_state(d);
		if (device_blocks_vfio(d, h->kernel.dma_ownership_checks))
			strv_push(&bad, xasprintf("%s on %s", d->addr, d->driver));
	}
	if (bad) {
		_cleanup_free_ char *list = NULL;
		for (char **b = bad; *b; b++) {
			char *t = xasprintf("%s%s%s", list ? list : "", list ? ", " : "", *b);
			free(list);
			list = t;
		}
		*ret_error =
			xasprintf("group %d is not usable by VFIO: %s use kernel DMA", group, list);
		return -EBUSY;
	}
	r = vfio_group_viable(group);
	if (r == 0) {
		*ret_error = xasprintf("VFIO reports group %d as not viable", group);
		return -EBUSY;
	}
	/* -EBUSY: somebody opened it already, which needs a viable group; other errors leave
	 * sysfs's verdict standing. */
	return 0;
}

/* Returns one device to the state it had before the transaction. */
static int undo_device(struct item *it, struct txn_outcome *out)
{
	struct live l;
	struct dev_state cur;
	struct move_step seq[4];
	size_t n;
	int r = 0;

	live_read(it->dev->addr, &l);
	if (!l.exists) {
		/* Removed (hot-unplug, 'remove') while devown worked: nothing of it is left to put
		 * back, and the kernel probes it afresh should it come back. */
		log_notice("%s is gone: nothing to undo for it", it->dev->addr);
		live_done(&l);
		return 0;
	}
	cur.driver = l.driver;
	cur.driver_override = l.driver_override;
	n = move_sequence(&cur, &it->from, seq);
	for (size_t k = 0; k < n; k++) {
		int w = do_write(seq[k].kind, it->dev->addr, seq[k].arg);
		if (w < 0 && r == 0)
			r = w;
		if (seq[k].kind == STEP_UNBIND || seq[k].kind == STEP_BIND) {
			/* The link changes with the write; nothing to wait for on unbind. */
		}
	}
	live_done(&l);
	wait_driver(it->dev->addr, it->from.driver, &l);
	if (!streq_ptr(l.driver, it->from.driver) ||
	    !streq_ptr(l.driver_override, it->from.driver_override)) {
		strv_push(&out->differs,
			  xasprintf("%s: driver %s (was %s), driver_override %s (was %s)",
				    it->dev->addr, nodrv(l.driver), nodrv(it->from.driver),
				    noovr(l.driver_override), noovr(it->from.driver_override)));
		r = r < 0 ? r : -EIO;
	}
	live_done(&l);
	return r;
}

void txn_execute(struct host *h, struct journal *j, struct plan *p, const char *command,
		 int timeout_ms, struct txn_outcome *out)
{
	_cleanup_strv_free_ char **addrs = NULL;
	_cleanup_free_ bool *touched = NULL, *checked = NULL;
	struct journal before = { 0 };
	size_t stuck = (size_t)-1; /* an item whose write is still blocked in the kernel */
	bool owned = false;	   /* an owner step changed a node (and maybe the journal) */
	size_t n_run = 0;	   /* steps begun */
	int r;

	memset(out, 0, sizeof(*out));
	touched = xcalloc(p->n_items + 1, sizeof(bool));
	checked = xcalloc(p->n_items + 1, sizeof(bool));

	/* Journal first: a devown killed after any write leaves enough behind for restore. What
	 * it was (an interrupted run's marker included) is what a rollback writes back. */
	if (journal_copy(j, &before) < 0) {
		out->error = xstrdup("the journal holds what it could not read back; nothing was "
				     "changed");
		out->exit_code = EXIT_FAILED;
		return;
	}
	for (size_t i = 0; i < p->n_items; i++) {
		struct item *it = &p->items[i];
		if (it->action != ACT_BIND && it->action != ACT_UNBIND && it->action != ACT_RESTORE)
			continue;
		strv_push(&addrs, xstrdup(it->dev->addr));
		/* A VF of a PF whose count devown changed is the PF record's business: restoring
		 * the PF gives it back (or removes it, when devown created it). */
		if (p->kind != CHANGE_RESTORE &&
		    !(it->dev->physfn && journal_sriov_find(j, it->dev->physfn)))
			journal_add(j, it->dev->addr, it->dev->vendor_id, it->dev->device_id,
				    it->from.driver, it->from.driver_override, it->dev->group,
				    command);
	}
	journal_begin(j, command, addrs);
	{
		/* What cannot be read back would leave the next devown a corrupt journal. */
		struct journal check;
		r = journal_copy(j, &check);
		journal_done(&check);
		if (r < 0) {
			out->error = xstrdup("an original state of these devices cannot be "
					     "journalled (a driver_override with blanks or control "
					     "characters?); nothing was changed");
			out->exit_code = EXIT_FAILED;
			journal_done(&before);
			return;
		}
	}
	r = journal_save(j, &out->detail);
	if (r < 0) {
		out->error = xstrdup("could not write the journal; nothing was changed");
		out->exit_code = EXIT_FAILED;
		journal_done(&before);
		return;
	}

	for (size_t s = 0; s < p->n_steps && !out->error; s++) {
		struct step *st = &p->steps[s];

		n_run = s + 1;
		struct item *it = st->item;

		switch (st->kind) {
		case STEP_LOAD_MODULE:
			if (sysfs_module_loaded(st->arg))
				break;
			r = modctx_load(h->mods, st->arg);
			if (r < 0) {
				out->error = xasprintf("could not load module %s: %s", st->arg,
						       strerror(-r));
				break;
			}
			log_info("loaded module %s", st->arg);
			resolve_loaded_driver(p, st->arg);
			break;
		case STEP_SET_OVERRIDE:
		case STEP_UNBIND:
		case STEP_BIND:
		case STEP_PROBE: {
			size_t idx = (size_t)(it - p->items);
			if (!checked[idx]) {
				/* Identity right before acting: the device we planned for, in the
				 * state we planned from. */
				struct live l;
				live_read(it->dev->addr, &l);
				checked[idx] = true;
				if (!l.exists || l.vendor_id != it->dev->vendor_id ||
				    l.device_id != it->dev->device_id ||
				    !streq_ptr(l.driver, it->from.driver) ||
				    !streq_ptr(l.driver_override, it->from.driver_override)) {
					out->error = xasprintf(
						"%s changed while devown was working (now %s, "
						"driver_override %s); it was left alone",
						it->dev->addr, l.exists ? nodrv(l.driver) : "gone",
						noovr(l.driver_override));
					live_done(&l);
					break;
				}
				live_done(&l);
			}
			touched[idx] = true;
			r = do_write(st->kind, it->dev->addr, st->arg);
			if (r == -ETIMEDOUT)
				stuck = idx;
			if (r < 0) {
				_cleanup_free_ char *why =
					explain(h, it->dev, st->kind, st->arg, r, timeout_ms);
				struct live gone;
				live_read(it->dev->addr, &gone);
				if (!gone.exists)
					out->error =
						xasprintf("%s disappeared (removed or unplugged) "
							  "while devown was changing it",
							  it->dev->addr);
				else if (st->kind == STEP_PROBE)
					out->error = xasprintf("could not ask the kernel to probe "
							       "%s: %s",
							       it->dev->addr, why);
				else if (st->kind == STEP_SET_OVERRIDE)
					out->error =
						xasprintf("could not set driver_override of %s "
							  "to %s: %s",
							  it->dev->addr, noovr(st->arg), why);
				else
					out->error =
						xasprintf("could not %s %s %s %s: %s",
							  step_verb(st->kind), it->dev->addr,
							  st->kind == STEP_BIND ? "to" : "from",
							  st->arg, why);
				live_done(&gone);
				break;
			}
			if (st->kind == STEP_BIND) {
				struct live l;
				wait_driver(it->dev->addr, st->arg, &l);
				if (!streq_ptr(l.driver, st->arg))
					out->error =
						xasprintf("the kernel accepted binding %s to %s, "
							  "but the device is on %s",
							  it->dev->addr, st->arg, nodrv(l.driver));
				live_done(&l);
			}
			break;
		}
		case STEP_WAIT_VFIO:
			if (vfio_wait_group_node(st->group, timeout_ms) < 0) {
				_cleanup_free_ char *node = vfio_group_node(st->group);
				out->error = xasprintf("%s did not appear within %d s", node,
						       (timeout_ms + 999) / 1000);
			}
			break;
		case STEP_CHECK_VIABLE: {
			char *why = NULL;
			if (check_viable(h, st->group, &why) < 0)
				out->error = why;
			break;
		}
		case STEP_SET_OWNER: {
			char *why = NULL;
			if (owner_set(j, p, st, command, &why) < 0)
				out->error = why;
			else
				owned = true;
			break;
		}
		case STEP_RESTORE_OWNER: {
			char *why = NULL;
			if (owner_restore(j, p, st->group, &why) < 0)
				out->error = why;
			else
				owned = true;
			break;
		}
		}
	}

	/* Every device must now read back exactly what the plan wanted. */
	for (size_t i = 0; i < p->n_items && !out->error; i++) {
		struct item *it = &p->items[i];
		struct live l;
		if (!touched[i])
			continue;
		live_read(it->dev->addr, &l);
		if (probed(p, it)) {
			/* Whatever the kernel chose is the answer; the override must be clear. */
			if (l.driver_override)
				out->error = xasprintf("%s kept driver_override %s after restore",
						       it->dev->addr, l.driver_override);
			live_done(&l);
			continue;
		}
		if (!streq_ptr(l.driver, it->to.driver) ||
		    !streq_ptr(l.driver_override, final_override(it)))
			out->error =
				xasprintf("%s ended on %s with driver_override %s, not %s with "
					  "%s",
					  it->dev->addr, nodrv(l.driver), noovr(l.driver_override),
					  nodrv(it->to.driver), noovr(final_override(it)));
		live_done(&l);
	}

	if (!out->error) {
		for (size_t i = 0; i < p->n_items; i++) {
			struct item *it = &p->items[i];
			struct journal_entry *e;
			if (!touched[i])
				continue;
			strv_push(&out->done,
				  xasprintf("%s: %s -> %s", it->dev->addr, nodrv(it->from.driver),
					    nodrv(it->to.driver)));
			log_change("%s [%04x:%04x] %s: %s -> %s (driver_override %s)",
				   it->dev->addr, it->dev->vendor_id, it->dev->device_id, command,
				   nodrv(it->from.driver), nodrv(it->to.driver),
				   noovr(final_override(it)));
			/* A device back in its original state needs no journal entry, unless
			 * devown still owes its nodes their owner. */
			e = journal_find(j, it->dev->addr);
			if (e && !e->group_node.saved && !e->cdev_node.saved &&
			    (it->action == ACT_RESTORE ||
			     (streq_ptr(e->driver, it->to.driver) &&
			      streq_ptr(e->driver_override, final_override(it)))))
				journal_remove(j, it->dev->addr);
		}
		/* A restore that only gave nodes back: the entries of devices on their original
		 * driver have done their job. */
		for (size_t i = 0; owned && p->kind == CHANGE_RESTORE && i < p->n_items; i++) {
			struct item *it = &p->items[i];
			struct journal_entry *e = journal_find(j, it->dev->addr);
			if (!touched[i] && e && !e->group_node.saved && !e->cdev_node.saved &&
			    streq_ptr(e->driver, it->dev->driver) &&
			    streq_ptr(e->driver_override, it->dev->driver_override))
				journal_remove(j, it->dev->addr);
		}
		journal_end(j);
		save_journal(j, out);
		out->exit_code = EXIT_OK;
		journal_done(&before);
		return;
	}

	/* Roll back, newest first: the owners of nodes that stay (a group that was on VFIO
	 * already) first; a failed set-owner step has given its own back. */
	for (size_t k = n_run; k-- > 0;) {
		char *why = NULL;

		if (p->steps[k].kind != STEP_SET_OWNER || k == n_run - 1)
			continue;
		/* The message names the node; a node left to the user counts as a difference. */
		if (owner_restore(j, p, p->steps[k].group, &why) < 0)
			strv_push(&out->differs, TAKE_PTR(why));
		free(why);
	}
	for (size_t i = p->n_items; i-- > 0;) {
		if (!touched[i])
			continue;
		if (i == stuck) {
			/* Reading or writing its attributes would block devown too (docs/kernel.md,
			 * "Writing to sysfs"): leave it, say so. */
			strv_push(
				&out->differs,
				xasprintf(
					"%s: a write is still blocked in the kernel; left as it is "
					"(was %s, driver_override %s)",
					p->items[i].dev->addr, nodrv(p->items[i].from.driver),
					noovr(p->items[i].from.driver_override)));
			continue;
		}
		(void)undo_device(&p->items[i], out);
	}
	if (out->differs) {
		/* Keep the journal entries: `devown restore` can try again later. */
		journal_end(j);
		save_journal(j, out);
		out->exit_code = EXIT_UNDO_FAILED;
		for (size_t i = 0; i < p->n_items; i++)
			if (touched[i])
				log_change("%s: %s failed and could not be fully undone",
					   p->items[i].dev->addr, command);
	} else {
		/* Back as it was: the journal too. */
		save_journal(&before, out);
		out->rolled_back = true;
		out->exit_code = EXIT_FAILED;
	}
	journal_done(&before);
}

int txn_move_device(const char *addr, const struct dev_state *want, char **ret_differs)
{
	struct live l;
	struct dev_state cur;
	struct move_step seq[4];
	size_t n;
	int r = 0;

	*ret_differs = NULL;
	live_read(addr, &l);
	if (!l.exists) {
		*ret_differs = xasprintf("%s: gone (was %s, driver_override %s)", addr,
					 nodrv(want->driver), noovr(want->driver_override));
		live_done(&l);
		return -ENODEV;
	}
	cur.driver = l.driver;
	cur.driver_override = l.driver_override;
	n = move_sequence(&cur, want, seq);
	for (size_t k = 0; k < n; k++) {
		int w = do_write(seq[k].kind, addr, seq[k].arg);
		if (w < 0 && r == 0)
			r = w;
	}
	live_done(&l);
	wait_driver(addr, want->driver, &l);
	if (!streq_ptr(l.driver, want->driver) ||
	    !streq_ptr(l.driver_override, want->driver_override)) {
		*ret_differs = xasprintf("%s: driver %s (was %s), driver_override %s (was %s)",
					 addr, nodrv(l.driver), nodrv(want->driver),
					 noovr(l.driver_override), noovr(want->driver_override));
		r = r < 0 ? r : -EIO;
	}
	live_done(&l);
	return r;
}
