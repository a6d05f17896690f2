/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "json.h"
#include "report.h"
#include "sriov-report.h"
#include "util.h"

static json_object *devs_json(struct device *const *v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]->addr));
	return a;
}

json_object *sriov_plan_to_json(const struct sriov_plan *p, char *const *vfs_after)
{
	json_object *o = json_object_new_object(), *steps = json_object_new_array();

	json_object_object_add(o, "address", json_object_new_string(p->pf->addr));
	json_object_object_add(o, "totalvfs", json_object_new_int(p->pf->sriov_totalvfs));
	json_object_object_add(o, "numvfs_before", json_object_new_int(p->from));
	json_object_object_add(o, "numvfs", json_object_new_int(p->to));
	json_object_object_add(o, "autoprobe_before", json_object_new_boolean(p->autoprobe));
	json_object_object_add(o, "autoprobe", json_object_new_boolean(p->final_autoprobe));
	json_object_object_add(o, "vf_driver", json_str_or_null(p->vf_driver));
	json_object_object_add(o, "removed", devs_json(p->removed, p->n_removed));
	json_object_object_add(o, "vfs", vfs_after ? json_strv(vfs_after) : NULL);
	for (size_t i = 0; i < p->n_steps; i++) {
		json_object *s = json_object_new_object();
		json_object_object_add(
			s, "step",
			json_object_new_string(sriov_step_kind_to_string(p->steps[i].kind)));
		json_object_object_add(s, "value", json_object_new_int(p->steps[i].value));
		json_object_array_add(steps, s);
	}
	json_object_object_add(o, "steps", steps);
	json_object_object_add(o, "note", json_str_or_null(p->note));
	return o;
}

void sriov_plan_text(const struct sriov_plan *p, FILE *f)
{
	const char *a = p->pf->addr;

	for (size_t i = 0; i < p->n_steps; i++) {
		const struct sriov_step *s = &p->steps[i];
		switch (s->kind) {
		case SRIOV_STEP_AUTOPROBE:
			fprintf(f, "  %s: set sriov_drivers_autoprobe to %d\n", a, s->value);
			break;
		case SRIOV_STEP_NUMVFS:
			fprintf(f, "  %s: set sriov_numvfs to %d%s\n", a, s->value,
				s->value == 0 && p->n_removed ? " (removes its VFs)" : "");
			break;
		case SRIOV_STEP_WAIT_VFS:
			fprintf(f, "  %s: wait for its %d VF%s\n", a, s->value,
				s->value == 1 ? "" : "s");
			break;
		case SRIOV_STEP_BIND_VFS:
			/* VFs that are there already: the bind plan lists their writes. */
			if (!p->n_rebind)
				fprintf(f,
					"  %s: bind each new VF to %s (with the checks of bind)\n",
					a, p->vf_driver);
			break;
		case SRIOV_STEP_RESTORE_VFS:
			fprintf(f,
				"  %s: move its VFs back to the drivers they had before devown\n",
				a);
			break;
		}
	}
}

void sriov_result_text(const struct sriov_plan *p, bool dry_run, FILE *f)
{
	if (!sriov_plan_changes(p)) {
		fprintf(f, "%s: %s\n", p->pf->addr, p->note ? p->note : "nothing to do");
		return;
	}
	if (p->from == p->to && p->vf_driver) {
		fprintf(f, "%s: %s%zu VF%s to %s\n", p->pf->addr,
			dry_run ? "would move " : "moved ", p->n_rebind,
			p->n_rebind == 1 ? "" : "s", p->vf_driver);
		return;
	}
	fprintf(f, "%s: %s%d VF%s -> %d VF%s", p->pf->addr, dry_run ? "would go from " : "",
		p->from, p->from == 1 ? "" : "s", p->to, p->to == 1 ? "" : "s");
	if (p->vf_driver && p->to > 0)
		fprintf(f, " on %s", p->vf_driver);
	fprintf(f, " (autoprobe %s)\n", p->final_autoprobe ? "on" : "off");
}

void sriov_print_dry_run(const struct sriov_plan *p, const struct plan *rebind, const char *command)
{
	printf("Plan for '%s' (dry run, nothing is changed):\n", command);
	sriov_plan_text(p, stdout);
	if (rebind && rebind->n_items)
		report_plan_text(rebind, stdout);
	sriov_result_text(p, true, stdout);
	for (size_t i = 0; p->notes && p->notes[i]; i++)
		printf("Note: %s\n", p->notes[i]);
	printf(sriov_plan_changes(p) ? "It would go ahead.\n"
				     : "Nothing to do: the VFs are already as asked.\n");
}

void sriov_print_unchanged(const struct sriov_plan *p)
{
	sriov_result_text(p, false, stdout);
	printf("Nothing to do.\n");
}

void sriov_print_pending(const char *pf, const char *entry, int count)
{
	printf("%s: entry '%s' would create %d VF%s once the PF is on its driver\n", pf, entry,
	       count, count == 1 ? "" : "s");
}
