/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "output.h"
#include "report.h"
#include "util.h"

static const char *nodrv(const char *d)
{
	return d ? d : "no driver";
}

void report_plan_text(const struct plan *p, FILE *f)
{
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct step *s = &p->steps[i];
		const char *who = s->item ? s->item->dev->addr : "";
		switch (s->kind) {
		case STEP_LOAD_MODULE:
			fprintf(f, "  load module %s\n", s->arg);
			break;
		case STEP_SET_OVERRIDE:
			if (s->arg)
				fprintf(f, "  %s: set driver_override to %s\n", who, s->arg);
			else
				fprintf(f, "  %s: clear driver_override\n", who);
			break;
		case STEP_UNBIND:
			fprintf(f, "  %s: unbind from %s\n", who, nodrv(s->arg));
			break;
		case STEP_BIND:
			fprintf(f, "  %s: bind to %s\n", who, nodrv(s->arg));
			break;
		case STEP_WAIT_VFIO:
			fprintf(f, "  group %d: wait for /dev/vfio/%d\n", s->group, s->group);
			break;
		case STEP_CHECK_VIABLE:
			fprintf(f, "  group %d: check that VFIO can use the group\n", s->group);
			break;
		case STEP_PROBE:
			fprintf(f,
				"  %s: let the kernel probe a driver (it had none before devown)\n",
				who);
			break;
		case STEP_SET_OWNER:
			fprintf(f,
				"  group %d: give /dev/vfio/%d and its devices' VFIO nodes to %s\n",
				s->group, s->group, s->arg);
			break;
		case STEP_RESTORE_OWNER:
			fprintf(f,
				"  group %d: give /dev/vfio/%d and its devices' VFIO nodes back "
				"their "
				"previous owner and mode\n",
				s->group, s->group);
			break;
		}
	}
}

void report_items_text(const struct plan *p, bool dry_run, FILE *f)
{
	for (size_t i = 0; i < p->n_items; i++) {
		const struct item *it = &p->items[i];
		switch (it->action) {
		case ACT_UNBIND:
			if (!it->from.driver) {
				fprintf(f, "%s: %s unbound (driver_override none)\n", it->dev->addr,
					dry_run ? "would be parked" : "parked");
				break;
			}
			/* fall through */
		case ACT_BIND:
		case ACT_RESTORE:
			fprintf(f, "%s: %s%s -> %s\n", it->dev->addr, dry_run ? "would move " : "",
				nodrv(it->from.driver), nodrv(it->to.driver));
			break;
		case ACT_NONE:
		case ACT_SKIP:
			fprintf(f, "%s: %s\n", it->dev->addr, it->note);
			break;
		}
	}
}

static json_object *state_json(const char *driver, const char *override)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "driver", json_str_or_null(driver));
	json_object_object_add(o, "driver_override", json_str_or_null(override));
	return o;
}

json_object *report_json(const struct plan *p, const char *command, const char *driver_arg,
			 bool dry_run, const char *result, const char *error,
			 const struct txn_outcome *o)
{
	json_object *root = json_object_new_object();
	json_object *devices = json_object_new_array(), *steps = json_object_new_array();
	json_object *refusals = json_object_new_array();

	json_object_object_add(root, "schema", json_object_new_int(DEVOWN_JSON_SCHEMA));
	json_object_object_add(root, "command", json_object_new_string(command));
	json_object_object_add(root, "driver",
			       driver_arg ? json_object_new_string(driver_arg) : NULL);
	json_object_object_add(root, "dry_run", json_object_new_boolean(dry_run));
	json_object_object_add(root, "result", json_object_new_string(result));
	json_object_object_add(
		root, "changed",
		json_object_new_boolean(streq(result, RESULT_DONE) && plan_changes(p)));
	json_object_object_add(root, "error", error ? json_object_new_string(error) : NULL);

	for (size_t i = 0; i < p->n_items; i++) {
		const struct item *it = &p->items[i];
		json_object *d = json_object_new_object();
		json_object_object_add(d, "address", json_object_new_string(it->dev->addr));
		json_object_object_add(d, "group",
				       it->dev->group >= 0 ? json_object_new_int(it->dev->group)
							   : NULL);
		json_object_object_add(d, "action",
				       json_object_new_string(item_action_to_string(it->action)));
		json_object_object_add(d, "from",
				       state_json(it->from.driver, it->from.driver_override));
		if (it->action == ACT_BIND || it->action == ACT_UNBIND || it->action == ACT_RESTORE)
			json_object_object_add(
				d, "to",
				state_json(it->to.driver, it->action == ACT_UNBIND
								  ? "none"
								  : it->to.driver_override));
		else
			json_object_object_add(d, "to", NULL);
		json_object_object_add(d, "note",
				       it->note ? json_object_new_string(it->note) : NULL);
		json_object_array_add(devices, d);
	}
	json_object_object_add(root, "devices", devices);

	for (size_t i = 0; i < p->n_steps; i++) {
		const struct step *s = &p->steps[i];
		json_object *st = json_object_new_object();
		json_object_object_add(st, "step",
				       json_object_new_string(step_kind_to_string(s->kind)));
		if (s->item)
			json_object_object_add(st, "address",
					       json_object_new_string(s->item->dev->addr));
		if (s->kind == STEP_LOAD_MODULE)
			json_object_object_add(st, "module", json_str_or_null(s->arg));
		else if (s->kind == STEP_SET_OVERRIDE)
			json_object_object_add(st, "value",
					       s->arg ? json_object_new_string(s->arg) : NULL);
		else if (s->kind == STEP_UNBIND || s->kind == STEP_BIND)
			json_object_object_add(st, "driver", json_str_or_null(s->arg));
		else if (s->kind == STEP_PROBE)
			;
		else
			json_object_object_add(st, "group", json_object_new_int(s->group));
		if (s->kind == STEP_SET_OWNER)
			json_object_object_add(st, "owner", json_str_or_null(s->arg));
		json_object_array_add(steps, st);
	}
	json_object_object_add(root, "plan", steps);

	for (size_t i = 0; i < p->n_refusals; i++) {
		const struct refusal *r = &p->refusals[i];
		json_object *rj = json_object_new_object();
		json_object_object_add(rj, "address",
				       r->dev ? json_object_new_string(r->dev->addr) : NULL);
		json_object_object_add(
			rj, "driver",
			r->dev && r->dev->driver ? json_object_new_string(r->dev->driver) : NULL);
		json_object_object_add(
			rj, "group",
			r->dev && r->dev->group >= 0 ? json_object_new_int(r->dev->group) : NULL);
		json_object_object_add(rj, "rule", json_object_new_string(r->rule));
		json_object_object_add(rj, "message", json_object_new_string(r->message));
		json_object_array_add(refusals, rj);
	}
	json_object_object_add(root, "refusals", refusals);
	json_object_object_add(root, "rolled_back", json_object_new_boolean(o && o->rolled_back));
	json_object_object_add(root, "differs", json_strv(o ? o->differs : NULL));
	json_object_object_add(root, "notes", json_strv(p->notes));
	return root;
}

void report_print_dry_run(const struct plan *p, const char *command)
{
	printf("Plan for '%s' (dry run, nothing is changed):\n", command);
	report_plan_text(p, stdout);
	report_items_text(p, true, stdout);
	for (size_t i = 0; p->notes && p->notes[i]; i++)
		printf("Note: %s\n", p->notes[i]);
	printf(plan_changes(p) ? "It would go ahead.\n"
			       : "Nothing to do: every device is already as asked.\n");
}

void report_print_unchanged(const struct plan *p)
{
	report_items_text(p, false, stdout);
	printf("Nothing to do.\n");
}

void report_print_done(const struct plan *p)
{
	report_items_text(p, false, stdout);
	for (size_t i = 0; i < p->n_steps; i++)
		if (p->steps[i].kind == STEP_CHECK_VIABLE)
			printf("Group %d is ready for VFIO: /dev/vfio/%d\n", p->steps[i].group,
			       p->steps[i].group);
		else if (p->steps[i].kind == STEP_SET_OWNER)
			printf("Group %d: /dev/vfio/%d belongs to %s\n", p->steps[i].group,
			       p->steps[i].group, p->steps[i].arg);
		else if (p->steps[i].kind == STEP_RESTORE_OWNER)
			printf("Group %d: /dev/vfio/%d has its previous owner and mode again\n",
			       p->steps[i].group, p->steps[i].group);
}

void report_print_nothing_to_restore(void)
{
	printf("Nothing to restore: devown has no changed devices on record.\n");
}

void report_print_nothing_to_do(const char *why)
{
	printf("Nothing to do: %s.\n", why);
}

void report_print_would_run(const char *command)
{
	printf("Would run: %s\n", command);
}
