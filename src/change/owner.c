/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "journal-file.h"
#include "nodes.h"
#include "owner.h"
#include "scan.h"
#include "util.h"

int owner_set(struct journal *j, struct plan *p, const struct step *st, const char *command,
	      char **ret_error)
{
	struct node_stat ns, now;
	bool any_cdev = false;
	int r;

	r = vfio_group_node_stat(st->group, &ns);
	if (r < 0) {
		*ret_error = xasprintf("cannot read the owner of /dev/vfio/%d: %s", st->group,
				       strerror(-r));
		return r;
	}
	for (size_t i = 0; i < p->n_items; i++) {
		struct item *it = &p->items[i];
		struct journal_entry *e;
		struct node_stat cs;
		if (it->dev->group != st->group || !item_ends_on_vfio(it))
			continue;
		journal_add(j, it->dev->addr, it->dev->vendor_id, it->dev->device_id,
			    it->from.driver, it->from.driver_override, it->dev->group, command);
		e = journal_find(j, it->dev->addr);
		if (!e->group_node.saved)
			e->group_node = (struct node_owner){ true, ns.uid, ns.gid, ns.mode };
		/* The cdev appears with the bind: read the device again. */
		device_refresh_state(it->dev);
		if (!it->dev->vfio_dev_name || vfio_cdev_node_stat(it->dev->vfio_dev_name, &cs) < 0)
			continue;
		any_cdev = true;
		if (!e->cdev_node.saved) {
			e->cdev_node = (struct node_owner){ true, cs.uid, cs.gid, cs.mode };
			free(e->cdev);
			e->cdev = xstrdup(it->dev->vfio_dev_name);
		}
	}
	/* The journal first: a devown killed after a chown leaves what restore needs. */
	r = journal_save(j, ret_error);
	if (r < 0)
		return r;

	r = vfio_group_node_chown(st->group, st->uid, st->gid, st->mode);
	if (r >= 0 && (r = vfio_group_node_stat(st->group, &now)) >= 0 &&
	    (now.uid != st->uid || now.gid != st->gid || now.mode != st->mode))
		r = -EIO;
	if (r < 0) {
		*ret_error = xasprintf("could not give /dev/vfio/%d to %s: %s", st->group, st->arg,
				       r == -ESTALE ? "it is not the node of that group"
				       : r == -ENOTTY || r == -ELOOP
					       ? "it is not a character device (left alone)"
				       : r == -EIO ? "it reads back another owner or mode"
						   : strerror(-r));
		goto undo;
	}
	for (size_t i = 0; any_cdev && i < p->n_items; i++) {
		struct item *it = &p->items[i];
		if (it->dev->group != st->group || !item_ends_on_vfio(it) ||
		    !it->dev->vfio_dev_name)
			continue;
		r = vfio_cdev_node_chown(it->dev->addr, it->dev->vfio_dev_name, st->uid, st->gid,
					 st->mode);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			_cleanup_free_ char *path = vfio_cdev_node_name(it->dev->vfio_dev_name);
			*ret_error = xasprintf("could not give %s (%s) to %s: %s", path,
					       it->dev->addr, st->arg, strerror(-r));
			goto undo;
		}
	}
	return 0;
undo : {
	_cleanup_free_ char *ignored = NULL;
	(void)owner_restore(j, p, st->group, &ignored);
	return r;
}
}

int owner_restore(struct journal *j, struct plan *p, int group, char **ret_error)
{
	bool group_done = false;
	int ret = 0, r;

	for (size_t i = 0; i < p->n_items; i++) {
		struct item *it = &p->items[i];
		struct journal_entry *e = journal_find(j, it->dev->addr);
		if (it->dev->group != group || !e)
			continue;
		if (e->group_node.saved && !group_done) {
			r = vfio_group_node_chown(group, e->group_node.uid, e->group_node.gid,
						  e->group_node.mode);
			if (r < 0 && r != -ENOENT && ret == 0) {
				ret = r;
				*ret_error =
					xasprintf("could not give /dev/vfio/%d back to uid %u: "
						  "%s",
						  group, e->group_node.uid, strerror(-r));
			}
			group_done = true;
		}
		if (e->cdev_node.saved && e->cdev) {
			r = vfio_cdev_node_chown(it->dev->addr, e->cdev, e->cdev_node.uid,
						 e->cdev_node.gid, e->cdev_node.mode);
			if (r < 0 && r != -ENOENT && ret == 0) {
				_cleanup_free_ char *path = vfio_cdev_node_name(e->cdev);
				ret = r;
				*ret_error = xasprintf("could not give %s back to uid %u: %s", path,
						       e->cdev_node.uid, strerror(-r));
			}
		}
	}
	if (ret < 0)
		return ret;
	/* Only once everything is back: a failure keeps the records for the next restore. */
	for (size_t i = 0; i < p->n_items; i++) {
		struct journal_entry *e = journal_find(j, p->items[i].dev->addr);
		if (p->items[i].dev->group != group || !e)
			continue;
		e->group_node.saved = e->cdev_node.saved = false;
		free(e->cdev);
		e->cdev = NULL;
	}
	return 0;
}
