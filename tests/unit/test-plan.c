/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The planner is pure: these tests build a model by hand and check the plan and the refusals
 * for every rule of devown(8). */
#include <errno.h>

#include "check.h"
#include "plan.h"
#include "policy.h"
#include "util.h"

/* A host: group 1 = root port 00:1c.0 (pcieport, bridge) + 01:00.0 and 01:00.1 (e1000e);
 * group 2 = 02:00.0 (unbound); group 3 = 03:00.0 (vfio-pci); an SR-IOV NIC: group 4 = PF
 * 04:00.0 (igb, 2 VFs enabled), group 5 = VF 04:10.0 (igbvf), group 6 = VF 04:10.1
 * (vfio-pci). */
#define N_DEVS	 8
#define N_GROUPS 6
static struct host h;
static struct device devs[N_DEVS];
static struct group groups[N_GROUPS];

static void set_dev(struct device *d, const char *addr, const char *driver, unsigned class_id,
		    int group)
{
	free(d->driver);
	free(d->driver_override);
	free(d->modalias);
	free(d->physfn);
	memset(d, 0, sizeof(*d));
	d->sriov_numvfs = d->sriov_totalvfs = -1;
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	d->vendor_id = 0x8086;
	d->device_id = 0x10d3;
	d->driver = driver ? xstrdup(driver) : NULL;
	d->class_id = class_id;
	d->bridge = class_is_bridge(class_id);
	d->group = group;
	d->vfio_dev = driver && driver_is_vfio(driver);
	d->dma = dma_role_classify(d->driver, d->vfio_dev);
	d->modalias = xstrdup("pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00");
}

static void setup(void)
{
	set_dev(&devs[0], "0000:00:1c.0", "pcieport", 0x060400, 1);
	set_dev(&devs[1], "0000:01:00.0", "e1000e", 0x020000, 1);
	set_dev(&devs[2], "0000:01:00.1", "e1000e", 0x020000, 1);
	set_dev(&devs[3], "0000:02:00.0", NULL, 0x020000, 2);
	set_dev(&devs[4], "0000:03:00.0", "vfio-pci", 0x020000, 3);
	set_dev(&devs[5], "0000:04:00.0", "igb", 0x020000, 4);
	devs[5].sriov_totalvfs = 7;
	devs[5].sriov_numvfs = 2;
	set_dev(&devs[6], "0000:04:10.0", "igbvf", 0x020000, 5);
	devs[6].physfn = xstrdup("0000:04:00.0");
	set_dev(&devs[7], "0000:04:10.1", "vfio-pci", 0x020000, 6);
	devs[7].physfn = xstrdup("0000:04:00.0");
	for (size_t i = 0; i < N_GROUPS; i++) {
		free(groups[i].devices);
		free(groups[i].blockers);
		memset(&groups[i], 0, sizeof(groups[i]));
		groups[i].number = (int)i + 1;
		groups[i].holders_state = "known";
	}
	for (size_t i = 0; i < N_DEVS; i++) {
		struct group *g = &groups[devs[i].group - 1];
		g->devices = xrealloc(g->devices, (g->n_devices + 1) * sizeof(void *));
		g->devices[g->n_devices++] = &devs[i];
	}
	for (size_t i = 0; i < N_GROUPS; i++)
		group_evaluate(&groups[i], true);
	memset(&h, 0, sizeof(h));
	h.devices = devs;
	h.n_devices = N_DEVS;
	h.groups = groups;
	h.n_groups = N_GROUPS;
	h.kernel.iommu = true;
	h.kernel.dma_ownership_checks = true;
	h.kernel.release = (char *)"6.1.0";
}

static struct holder qemu = { .pid = 812,
			      .command = (char *)"qemu-system-x86",
			      .path = (char *)"/dev/vfio/3" };

struct run {
	struct plan p;
	struct device **sel;
	bool *expl;
	size_t n;
	struct driver_choice *choices;
};

static bool unprivileged; /* plan as for a normal user's dry run */
static bool need_type1;	  /* as driver.c sets it when some choice is a VFIO driver */
static const char *owner; /* --owner as resolved: owner_uid:owner_gid */
static unsigned owner_uid = 1000, owner_gid = 1000;
static bool owner_has_group;
static int run_pid; /* the devown run restoring its own devices */

static int run(struct run *r, enum change_kind kind, const char *const *targets, size_t nt,
	       const char *driver, bool group, bool force, struct journal *j)
{
	struct target t[8];
	struct change_request rq = { .kind = kind,
				     .targets = t,
				     .n_targets = nt,
				     .group = group,
				     .force = force,
				     .unprivileged = unprivileged,
				     .need_type1 = need_type1,
				     .driver_arg = driver,
				     .journal = j,
				     .owner = owner,
				     .owner_uid = owner_uid,
				     .owner_gid = owner_gid,
				     .owner_has_group = owner_has_group,
				     .run_pid = run_pid };
	_cleanup_free_ char *err = NULL;
	int e;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < nt; i++)
		CHECK(target_parse(targets[i], &t[i]) == 0);
	e = plan_select(&h, &rq, &r->sel, &r->expl, &r->n, &err);
	if (e < 0)
		return e;
	if (kind == CHANGE_BIND) {
		r->choices = xcalloc(r->n + 1, sizeof(*r->choices));
		for (size_t i = 0; i < r->n; i++) {
			r->choices[i].driver = xstrdup(driver);
			r->choices[i].supports = true;
		}
		rq.choices = r->choices;
	}
	plan_build(&h, &rq, r->sel, r->expl, r->n, &r->p);
	return 0;
}

static void run_done(struct run *r)
{
	for (size_t i = 0; r->choices && i < r->n; i++)
		driver_choice_done(&r->choices[i]);
	free(r->choices);
	free(r->sel);
	free(r->expl);
	plan_done(&r->p);
}

static bool has_refusal(const struct plan *p, const char *rule, const char *needle)
{
	for (size_t i = 0; i < p->n_refusals; i++)
		if (streq(p->refusals[i].rule, rule) &&
		    (!needle || strstr(p->refusals[i].message, needle)))
			return true;
	return false;
}

/* The steps as one string: "set-override:0000:01:00.0:vfio-pci unbind:..." */
static char *steps_str(const struct plan *p)
{
	char *s = xstrdup("");
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct step *st = &p->steps[i];
		char *t;
		if (st->item)
			t = xasprintf("%s%s%s:%s:%s", s, *s ? " " : "",
				      step_kind_to_string(st->kind), st->item->dev->addr,
				      st->arg ? st->arg : "-");
		else if (st->kind == STEP_LOAD_MODULE)
			t = xasprintf("%s%s%s:%s", s, *s ? " " : "", step_kind_to_string(st->kind),
				      st->arg);
		else
			t = xasprintf("%s%s%s:%d", s, *s ? " " : "", step_kind_to_string(st->kind),
				      st->group);
		free(s);
		s = t;
	}
	return s;
}

int main(void)
{
	struct run r;
	struct journal j = { 0 };
	char *s;

	/* Rule 1: part of a group to VFIO is refused, naming the member left behind. */
	setup();
	{
		const char *t[] = { "01:00.0" };
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, false, &j) == 0);
		CHECK(r.p.n_refusals == 1);
		CHECK(has_refusal(&r.p, "partial-group", "0000:01:00.1 on e1000e"));
		CHECK(has_refusal(&r.p, "partial-group", "--group"));
		run_done(&r);
	}
	/* --group moves every non-bridge member; the bridge is left alone; safe order. */
	{
		const char *t[] = { "01:00.0" };
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", true, false, &j) == 0);
		CHECK(r.p.n_refusals == 0);
		CHECK(r.n == 3);
		CHECK(r.p.items[0].action == ACT_SKIP && r.p.items[0].dev == &devs[0]);
		CHECK(r.p.items[1].action == ACT_BIND && r.p.items[2].action == ACT_BIND);
		s = steps_str(&r.p);
		CHECK_STREQ(s, "set-override:0000:01:00.0:vfio-pci unbind:0000:01:00.0:e1000e "
			       "bind:0000:01:00.0:vfio-pci set-override:0000:01:00.1:vfio-pci "
			       "unbind:0000:01:00.1:e1000e bind:0000:01:00.1:vfio-pci wait-vfio:1 "
			       "check-viable:1");
		free(s);
		CHECK(plan_changes(&r.p));
		run_done(&r);
	}
	/* A group number means the whole group, too. */
	{
		const char *t[] = { "1" };
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, false, &j) == 0);
		CHECK(r.p.n_refusals == 0 && r.n == 3);
		run_done(&r);
	}
	/* Rule 2: a bridge named explicitly to a VFIO driver. */
	{
		const char *t[] = { "00:1c.0" };
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", true, false, &j) == 0);
		CHECK(has_refusal(&r.p, "bridge", "0000:00:1c.0"));
		run_done(&r);
	}
	/* A bridge on a DMA-using driver (shpchp) blocks its group: --group names it and says
	 * how to free it; unbinding it by name is allowed, unbinding pcieport is not. */
	{
		const char *t[] = { "01:00.0" };
		free(devs[0].driver);
		devs[0].driver = xstrdup("shpchp");
		devs[0].dma = DMA_KERNEL;
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", true, false, &j) == 0);
		CHECK(r.p.n_refusals == 1);
		CHECK(has_refusal(&r.p, "partial-group", "bridge 0000:00:1c.0 is on shpchp"));
		run_done(&r);
		const char *tb[] = { "00:1c.0" };
		CHECK(run(&r, CHANGE_UNBIND, tb, 1, NULL, false, false, &j) == 0);
		CHECK(r.p.n_refusals == 0 && r.p.items[0].action == ACT_UNBIND);
		run_done(&r);
		free(devs[0].driver);
		devs[0].driver = xstrdup("pcieport");
		devs[0].dma = DMA_MANAGED;
		CHECK(run(&r, CHANGE_UNBIND, tb, 1, NULL, false, false, &j) == 0);
		CHECK(has_refusal(&r.p, "bridge", "pcieport"));
		run_done(&r);
	}
	/* Bridges stay on pcieport whatever the driver: skipped by --group, refused by name. */
	{
		const char *t[] = { "01:00.0" };
		CHECK(run(&r, CHANGE_BIND, t, 1, "pci-stub", true, false, &j) == 0);
		CHECK(r.p.n_refusals == 0 && r.p.items[0].action == ACT_SKIP);
		run_done(&r);
		const char *tb[] = { "00:1c.0" };
		CHECK(run(&r, CHANGE_BIND, tb, 1, "pci-stub", false, false, &j) == 0);
		CHECK(has_refusal(&r.p, "bridge", "pcieport"));
		run_done(&r);
	}
	/* Idempotence: already bound, nothing to do. */
	{
		const char *t[] = { "03:00.0" };
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, false, &j) == 0);
		CHECK(r.p.n_refusals == 0 && !plan_changes(&r.p) && r.p.n_steps == 0);
		CHECK(r.p.items[0].action == ACT_NONE);
		run_done(&r);
	}
	/* Rules 3 and 4: a held group. */
	groups[2].holders = &qemu;
	groups[2].n_holders = 1;
	{
		const char *t[] = { "03:00.0" };
		CHECK(run(&r, CHANGE_BIND, t, 1, "e1000e", false, true, &j) == 0);
		CHECK(has_refusal(&r.p, "held-group", "pid 812 (qemu-system-x86)"));
		run_done(&r);
		CHECK(run(&r, CHANGE_UNBIND, t, 1, NULL, false, true, &j) == 0);
		CHECK(has_refusal(&r.p, "held-unbind", "would hang"));
		run_done(&r);
		CHECK(run(&r, CHANGE_BIND, t, 1, "pci-stub", false, true, &j) == 0);
		CHECK(has_refusal(&r.p, "held-unbind", NULL));
		run_done(&r);
		h.kernel.dma_ownership_checks = false;
		CHECK(run(&r, CHANGE_BIND, t, 1, "e1000e", false, true, &j) == 0);
		CHECK(has_refusal(&r.p, "held-group", "would crash"));
		run_done(&r);
		h.kernel.dma_ownership_checks = true;
	}
	/* Binding a driver-managed driver to an unbound member of a held group is allowed. */
	groups[1].holders = &qemu;
	groups[1].n_holders = 1;
	{
		const char *t[] = { "02:00.0" };
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, false, &j) == 0);
		CHECK(r.p.n_refusals == 0);
		run_done(&r);
		CHECK(run(&r, CHANGE_BIND, t, 1, "e1000e", false, true, &j) == 0);
		CHECK(has_refusal(&r.p, "held-group", NULL));
		run_done(&r);
	}
	groups[1].n_holders = groups[2].n_holders = 0;
	groups[1].holders = groups[2].holders = NULL;
	/* An EBUSY from an unseen holder counts as held. */
	groups[2].held_unseen = true;
	{
		const char *t[] = { "03:00.0" };
		CHECK(run(&r, CHANGE_UNBIND, t, 1, NULL, false, false, &j) == 0);
		CHECK(has_refusal(&r.p, "held-unbind", "cannot see"));
		run_done(&r);
	}
	groups[2].held_unseen = false;

	/* Rule 5: in use, unless --force. */
	{
		const char *t[] = { "1" };
		struct in_use u = { (char *)"net", (char *)"eth0", (char *)"up, 192.0.2.1/24",
				    true };
		devs[1].in_use = &u;
		devs[1].n_in_use = 1;
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, false, &j) == 0);
		CHECK(has_refusal(&r.p, "in-use", "eth0"));
		CHECK(has_refusal(&r.p, "in-use", "your own connection"));
		CHECK(r.p.n_refusals == 1);
		run_done(&r);
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, true, &j) == 0);
		CHECK(r.p.n_refusals == 0);
		run_done(&r);
		CHECK(run(&r, CHANGE_UNBIND, t, 1, NULL, false, false, &j) == 0);
		CHECK(has_refusal(&r.p, "in-use", "eth0"));
		run_done(&r);
		devs[1].in_use = NULL;
		devs[1].n_in_use = 0;
	}
	/* Rule 6: VFIO without an IOMMU. */
	h.kernel.iommu = false;
	h.kernel.iommu_parameter = "intel_iommu=on"; /* what probe/kernel.c finds */
	{
		const char *t[] = { "02:00.0" };
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, false, &j) == 0);
		CHECK(has_refusal(&r.p, "no-iommu", "_iommu=on"));
		run_done(&r);
		CHECK(run(&r, CHANGE_BIND, t, 1, "e1000e", false, false, &j) == 0);
		CHECK(r.p.n_refusals == 0);
		run_done(&r);
	}
	h.kernel.iommu = true;
	/* A driver that does not claim the device. */
	{
		const char *t[] = { "02:00.0" };
		CHECK(run(&r, CHANGE_BIND, t, 1, "nvme", false, false, &j) == 0);
		r.choices[0].supports = false;
		plan_done(&r.p);
		{
			struct target tt;
			struct change_request rq = { .kind = CHANGE_BIND,
						     .targets = &tt,
						     .n_targets = 1,
						     .choices = r.choices,
						     .journal = &j };
			target_parse("02:00.0", &tt);
			plan_build(&h, &rq, r.sel, r.expl, r.n, &r.p);
		}
		CHECK(has_refusal(&r.p, "unsupported", "nvme"));
		run_done(&r);
	}
	/* Unbind parks the device with override "none"; a parked device is left alone. */
	{
		const char *t[] = { "02:00.0" };
		CHECK(run(&r, CHANGE_UNBIND, t, 1, NULL, false, false, &j) == 0);
		s = steps_str(&r.p);
		CHECK_STREQ(s, "set-override:0000:02:00.0:none");
		free(s);
		run_done(&r);
		devs[3].driver_override = xstrdup("none");
		CHECK(run(&r, CHANGE_UNBIND, t, 1, NULL, false, false, &j) == 0);
		CHECK(!plan_changes(&r.p) && r.p.items[0].action == ACT_NONE);
		run_done(&r);
	}
	/* Restore: back to the journaled driver and override, in the safe order. */
	{
		const char *t[] = { "03:00.0" };
		free(devs[4].driver_override);
		devs[4].driver_override = xstrdup("vfio-pci");
		journal_add(&j, "0000:03:00.0", 0x8086, 0x10d3, "e1000e", NULL, 3, "bind vfio-pci");
		CHECK(run(&r, CHANGE_RESTORE, t, 1, NULL, false, false, &j) == 0);
		s = steps_str(&r.p);
		CHECK_STREQ(s, "unbind:0000:03:00.0:vfio-pci set-override:0000:03:00.0:- "
			       "bind:0000:03:00.0:e1000e");
		free(s);
		run_done(&r);
		/* no TARGET: every journaled device */
		CHECK(run(&r, CHANGE_RESTORE, NULL, 0, NULL, false, false, &j) == 0);
		CHECK(r.n == 1 && r.sel[0] == &devs[4]);
		run_done(&r);
		/* held: restoring a kernel DMA driver is refused */
		groups[2].holders = &qemu;
		groups[2].n_holders = 1;
		CHECK(run(&r, CHANGE_RESTORE, t, 1, NULL, false, false, &j) == 0);
		CHECK(has_refusal(&r.p, "held-group", NULL));
		run_done(&r);
		groups[2].holders = NULL;
		groups[2].n_holders = 0;
		/* identity: a different device now at that address */
		devs[4].device_id = 0x1533;
		CHECK(run(&r, CHANGE_RESTORE, t, 1, NULL, false, false, &j) == 0);
		CHECK(has_refusal(&r.p, "identity", "8086:1533"));
		run_done(&r);
		devs[4].device_id = 0x10d3;
		/* a device devown never changed */
		{
			const char *t2[] = { "02:00.0" };
			CHECK(run(&r, CHANGE_RESTORE, t2, 1, NULL, false, false, &j) == 0);
			CHECK(!plan_changes(&r.p) && r.p.n_refusals == 0);
			run_done(&r);
		}
	}
	/* Restore of a device that had no driver: the kernel probes one, as at boot. */
	{
		const char *t[] = { "03:00.0" };
		struct journal j2 = { 0 };
		journal_add(&j2, "0000:03:00.0", 0x8086, 0x10d3, NULL, NULL, 3, "apply");
		CHECK(run(&r, CHANGE_RESTORE, t, 1, NULL, false, false, &j2) == 0);
		s = steps_str(&r.p);
		CHECK_STREQ(s, "unbind:0000:03:00.0:vfio-pci set-override:0000:03:00.0:- "
			       "probe:0000:03:00.0:-");
		free(s);
		run_done(&r);
		journal_done(&j2);
	}
	/* Identity refusal of a device that had no driver: nothing is planned for it (a bind
	 * step without a driver crashed restore --json). */
	{
		const char *t[] = { "03:00.0" };
		struct journal j3 = { 0 };
		journal_add(&j3, "0000:03:00.0", 0x8086, 0x1533, NULL, NULL, 3, "apply");
		CHECK(run(&r, CHANGE_RESTORE, t, 1, NULL, false, false, &j3) == 0);
		CHECK(has_refusal(&r.p, "identity", "8086:10d3"));
		CHECK(r.p.n_steps == 0);
		CHECK(r.p.n_items == 1 && r.p.items[0].action == ACT_SKIP);
		for (size_t i = 0; i < r.p.n_steps; i++)
			CHECK(r.p.steps[i].arg ||
			      (r.p.steps[i].kind != STEP_BIND && r.p.steps[i].kind != STEP_UNBIND));
		run_done(&r);
		journal_done(&j3);
	}
	/* vfio_iommu_type1 is loaded only when a device moves to a VFIO driver: not for a move
	 * away from VFIO, even when another choice of the same run is VFIO (apply). */
	{
		const char *t[] = { "03:00.0" };
		need_type1 = true;
		CHECK(run(&r, CHANGE_BIND, t, 1, "e1000e", false, false, &j) == 0);
		s = steps_str(&r.p);
		CHECK(plan_changes(&r.p));
		CHECK(s && !strstr(s, "vfio_iommu_type1"));
		free(s);
		run_done(&r);
		need_type1 = false;
	}
	/* Unknown targets. */
	{
		const char *t[] = { "0000:09:00.0" };
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, false, &j) == -ENOENT);
		const char *t2[] = { "42" };
		CHECK(run(&r, CHANGE_UNBIND, t2, 1, NULL, false, false, &j) == -ENOENT);
	}
	/* move_sequence: an original override naming another driver is restored last. */
	{
		struct dev_state cur = { (char *)"vfio-pci", (char *)"vfio-pci" };
		struct dev_state want = { (char *)"e1000e", (char *)"igb" };
		struct move_step seq[4];
		size_t n = move_sequence(&cur, &want, seq);
		CHECK(n == 4);
		CHECK(seq[0].kind == STEP_UNBIND && streq(seq[0].arg, "vfio-pci"));
		CHECK(seq[1].kind == STEP_SET_OVERRIDE && streq(seq[1].arg, "e1000e"));
		CHECK(seq[2].kind == STEP_BIND && streq(seq[2].arg, "e1000e"));
		CHECK(seq[3].kind == STEP_SET_OVERRIDE && streq(seq[3].arg, "igb"));
		struct dev_state unb = { NULL, NULL };
		n = move_sequence(&cur, &unb, seq);
		CHECK(n == 2 && seq[0].kind == STEP_UNBIND && seq[1].kind == STEP_SET_OVERRIDE &&
		      seq[1].arg == NULL);
		n = move_sequence(&unb, &unb, seq);
		CHECK(n == 0);
	}

	/* Rule 5 fails closed: a use devown could not check refuses like a use, unless --force. */
	setup();
	{
		const char *t[] = { "02:00.0" };
		char *unknown[] = { (char *)"net enp2s0: addresses unknown (netlink: Permission "
					    "denied)",
				    NULL };
		devs[3].in_use_unknown = unknown;
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, false, &j) == 0);
		CHECK(r.p.n_refusals == 1);
		CHECK(has_refusal(&r.p, "in-use",
				  "refusing to bind 0000:02:00.0: devown cannot "
				  "tell whether the host uses it (net enp2s0: "
				  "addresses unknown"));
		run_done(&r);
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, true, &j) == 0);
		CHECK(r.p.n_refusals == 0);
		run_done(&r);
		/* A normal user's dry run notes what it could not check; root's run refuses. */
		unprivileged = true;
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, false, &j) == 0);
		CHECK(r.p.n_refusals == 0 && r.p.notes && !r.p.notes[1]);
		CHECK(r.p.notes && strstr(r.p.notes[0], "0000:02:00.0: not checked as a normal "
							"user: net enp2s0: addresses unknown"));
		run_done(&r);
		unprivileged = false;
		devs[3].in_use_unknown = NULL;
	}
	/* Rule 6: unbinding the driver of an SR-IOV PF removes its VFs. */
	setup();
	{
		const char *t[] = { "04:00.0" };
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, false, &j) == 0);
		CHECK(r.p.n_refusals == 1);
		CHECK(has_refusal(&r.p, "sriov", "2 VFs enabled (0000:04:10.0, 0000:04:10.1)"));
		CHECK(has_refusal(&r.p, "sriov",
				  "which unbinding igb removes. Write 0 to its "
				  "sriov_numvfs first, or add --force"));
		run_done(&r);
		CHECK(run(&r, CHANGE_UNBIND, t, 1, NULL, false, false, &j) == 0);
		CHECK(r.p.n_refusals == 1 && has_refusal(&r.p, "sriov", "refusing to unbind"));
		run_done(&r);
		/* --force lets unused VFs go. */
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, true, &j) == 0);
		CHECK(r.p.n_refusals == 0 && r.p.items[0].action == ACT_BIND);
		run_done(&r);
		/* The first host use of a VF is named. */
		struct in_use u = { .kind = (char *)"net",
				    .name = (char *)"enp4s16",
				    .detail = (char *)"up, 192.0.2.7/24" };
		devs[6].in_use = &u;
		devs[6].n_in_use = 1;
		CHECK(run(&r, CHANGE_UNBIND, t, 1, NULL, false, false, &j) == 0);
		CHECK(has_refusal(&r.p, "sriov", "; the host uses VF 0000:04:10.0: net enp4s16."));
		run_done(&r);
		devs[6].in_use = NULL;
		devs[6].n_in_use = 0;
		/* A VF held by user space: refused even with --force, naming the holder. */
		groups[5].holders = &qemu;
		groups[5].n_holders = 1;
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, true, &j) == 0);
		CHECK(r.p.n_refusals == 1);
		CHECK(has_refusal(&r.p, "sriov",
				  "its VF 0000:04:10.1 (group 6) is in use by pid "
				  "812 (qemu-system-x86)"));
		run_done(&r);
		groups[5].holders = NULL;
		groups[5].n_holders = 0;
		groups[5].held_unseen = true;
		CHECK(run(&r, CHANGE_UNBIND, t, 1, NULL, false, true, &j) == 0);
		CHECK(has_refusal(&r.p, "sriov", "a process devown cannot see"));
		run_done(&r);
		groups[5].held_unseen = false;
		/* Binding a VF, or a PF without VFs, is none of this rule's business. */
		const char *vf[] = { "04:10.0" };
		CHECK(run(&r, CHANGE_BIND, vf, 1, "vfio-pci", false, false, &j) == 0);
		CHECK(r.p.n_refusals == 0 && r.p.items[0].action == ACT_BIND);
		run_done(&r);
		devs[5].sriov_numvfs = 0;
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, false, &j) == 0);
		CHECK(r.p.n_refusals == 0);
		run_done(&r);
		devs[5].sriov_numvfs = 2;
		/* restore has no --force: the message does not offer it. */
		struct journal j2 = { 0 };
		journal_add(&j2, "0000:04:00.0", 0x8086, 0x10d3, "ixgbe", NULL, 4, "bind");
		CHECK(run(&r, CHANGE_RESTORE, t, 1, NULL, false, false, &j2) == 0);
		CHECK(has_refusal(&r.p, "sriov", "refusing to restore"));
		CHECK(has_refusal(&r.p, "sriov", "sriov_numvfs first") &&
		      !has_refusal(&r.p, "sriov", "--force"));
		run_done(&r);
		journal_done(&j2);
	}

	/* --owner: one set-owner step per group left on VFIO, after it is usable; 0600, or 0660
	 * with a group. */
	setup();
	owner = "alice";
	{
		const char *t[] = { "02:00.0" };
		struct journal j0 = { 0 };
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, false, &j0) == 0);
		s = steps_str(&r.p);
		CHECK_STREQ(s, "set-override:0000:02:00.0:vfio-pci bind:0000:02:00.0:vfio-pci "
			       "wait-vfio:2 check-viable:2 set-owner:2");
		free(s);
		CHECK(r.p.steps[4].uid == 1000 && r.p.steps[4].gid == 1000 &&
		      r.p.steps[4].mode == 0600 && streq(r.p.steps[4].arg, "alice"));
		run_done(&r);
		owner_has_group = true;
		CHECK(run(&r, CHANGE_BIND, t, 1, "vfio-pci", false, false, &j0) == 0);
		CHECK(r.p.steps[4].mode == 0660);
		run_done(&r);
		owner_has_group = false;
		/* Already on vfio-pci: only the owner changes, and that is a change. */
		const char *t3[] = { "03:00.0" };
		CHECK(run(&r, CHANGE_BIND, t3, 1, "vfio-pci", false, false, &j0) == 0);
		s = steps_str(&r.p);
		CHECK_STREQ(s, "set-owner:3");
		free(s);
		CHECK(r.p.items[0].action == ACT_NONE && plan_changes(&r.p));
		run_done(&r);
		/* A kernel driver gets no owner step (the command refuses it beforehand). */
		CHECK(run(&r, CHANGE_BIND, t, 1, "e1000e", false, false, &j0) == 0);
		s = steps_str(&r.p);
		CHECK(!strstr(s, "set-owner"));
		free(s);
		run_done(&r);
		/* apply: an entry's owner= wins over --owner. */
		CHECK(run(&r, CHANGE_BIND, t3, 1, "vfio-pci", false, false, &j0) == 0);
		r.choices[0].owner = "bob:kvm";
		r.choices[0].owner_uid = 1001;
		r.choices[0].owner_gid = 36;
		r.choices[0].owner_has_group = true;
		plan_done(&r.p);
		{
			struct target tt;
			struct change_request rq = { .kind = CHANGE_BIND,
						     .targets = &tt,
						     .n_targets = 1,
						     .choices = r.choices,
						     .journal = &j0,
						     .owner = owner };
			target_parse("03:00.0", &tt);
			plan_build(&h, &rq, r.sel, r.expl, r.n, &r.p);
		}
		CHECK(r.p.n_steps == 1 && streq(r.p.steps[0].arg, "bob:kvm") &&
		      r.p.steps[0].uid == 1001 && r.p.steps[0].gid == 36 &&
		      r.p.steps[0].mode == 0660);
		r.choices[0].owner = NULL;
		run_done(&r);
		journal_done(&j0);
	}
	owner = NULL;
	/* Restore gives the nodes back first, before the group leaves VFIO; a device already
	 * on its driver still gets its node back. */
	{
		const char *t[] = { "03:00.0" };
		struct journal j4 = { 0 };
		journal_add(&j4, "0000:03:00.0", 0x8086, 0x10d3, "e1000e", NULL, 3, "bind");
		j4.entries[0].group_node = (struct node_owner){ true, 0, 0, 0600 };
		CHECK(run(&r, CHANGE_RESTORE, t, 1, NULL, false, false, &j4) == 0);
		s = steps_str(&r.p);
		CHECK_STREQ(s, "restore-owner:3 unbind:0000:03:00.0:vfio-pci "
			       "bind:0000:03:00.0:e1000e");
		free(s);
		run_done(&r);
		free(j4.entries[0].driver);
		j4.entries[0].driver = xstrdup("vfio-pci");
		CHECK(run(&r, CHANGE_RESTORE, t, 1, NULL, false, false, &j4) == 0);
		s = steps_str(&r.p);
		CHECK_STREQ(s, "restore-owner:3");
		free(s);
		CHECK(r.p.items[0].action == ACT_NONE && plan_changes(&r.p));
		run_done(&r);
		journal_done(&j4);
	}
	/* Rule run: a live devown run's device is not another devown's to take. */
	{
		const char *t[] = { "03:00.0" };
		struct journal j5 = { 0 };
		journal_add(&j5, "0000:03:00.0", 0x8086, 0x10d3, "e1000e", NULL, 3, "bind");
		journal_mark_run(&j5.entries[0], 4444, 777, "qemu-system-x86_64 -m 4G");
		CHECK(!journal_live_run(&j5, "0000:03:00.0")); /* not known to be alive */
		j5.entries[0].run_alive = true;
		CHECK(journal_live_run(&j5, "0000:03:00.0") == &j5.entries[0]);
		CHECK(!journal_live_run(&j5, "0000:02:00.0"));
		CHECK(run(&r, CHANGE_RESTORE, t, 1, NULL, false, false, &j5) == 0);
		CHECK(r.p.n_refusals == 1 && has_refusal(&r.p, "run",
							 "devown run (pid 4444) holds it for "
							 "'qemu-system-x86_64 -m 4G'"));
		CHECK(r.p.n_steps == 0);
		run_done(&r);
		CHECK(run(&r, CHANGE_BIND, t, 1, "e1000e", false, true, &j5) == 0);
		CHECK(has_refusal(&r.p, "run", "refusing to bind"));
		run_done(&r);
		CHECK(run(&r, CHANGE_UNBIND, t, 1, NULL, false, true, &j5) == 0);
		CHECK(has_refusal(&r.p, "run", "refusing to unbind"));
		run_done(&r);
		/* restore without targets leaves it out and restores the rest */
		CHECK(run(&r, CHANGE_RESTORE, NULL, 0, NULL, false, false, &j5) == 0);
		CHECK(r.p.n_refusals == 0 && r.p.items[0].action == ACT_SKIP &&
		      strstr(r.p.items[0].note, "pid 4444") && !plan_changes(&r.p));
		run_done(&r);
		/* the run itself restores it */
		run_pid = 4444;
		CHECK(run(&r, CHANGE_RESTORE, t, 1, NULL, false, false, &j5) == 0);
		CHECK(r.p.n_refusals == 0 && r.p.items[0].action == ACT_RESTORE);
		run_done(&r);
		run_pid = 0;
		/* once that devown is gone, an ordinary entry */
		j5.entries[0].run_alive = false;
		CHECK(run(&r, CHANGE_RESTORE, t, 1, NULL, false, false, &j5) == 0);
		CHECK(r.p.n_refusals == 0 && r.p.items[0].action == ACT_RESTORE);
		run_done(&r);
		journal_done(&j5);
	}

	journal_done(&j);
	for (size_t i = 0; i < N_DEVS; i++) {
		free(devs[i].driver);
		free(devs[i].driver_override);
		free(devs[i].modalias);
		free(devs[i].physfn);
	}
	for (size_t i = 0; i < N_GROUPS; i++) {
		free(groups[i].devices);
		free(groups[i].blockers);
	}
	return check_done();
}
