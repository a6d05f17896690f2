/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SR-IOV planner is pure: a hand-built host with an igb PF (group 1) and two VFs (groups 2
 * and 3), and the plan, the writes in order and the refusals of every case of devown(8). */
#include <errno.h>

#include "check.h"
#include "policy.h"
#include "sriov-plan.h"
#include "util.h"

#define PF  "0000:04:00.0"
#define VF1 "0000:04:10.0"
#define VF2 "0000:04:10.1"

static struct host h;
static struct device devs[3];
static struct group groups[3];
static struct journal jrnl;

static void set_dev(struct device *d, const char *addr, const char *driver, int group)
{
	device_done(d);
	d->sriov_numvfs = d->sriov_totalvfs = d->sriov_autoprobe = -1;
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	d->vendor_id = 0x8086;
	d->device_id = 0x10c9;
	d->driver = driver ? xstrdup(driver) : NULL;
	d->class_id = 0x020000;
	d->group = group;
	d->vfio_dev = driver && driver_is_vfio(driver);
	d->dma = dma_role_classify(d->driver, d->vfio_dev);
}

/* numvfs VFs on the PF (0, 1 or 2), the first on igbvf, the second unbound. */
static void setup(int numvfs, int autoprobe)
{
	size_t n = 1 + (size_t)numvfs;

	set_dev(&devs[0], PF, "igb", 1);
	devs[0].sriov_totalvfs = 7;
	devs[0].sriov_numvfs = numvfs;
	devs[0].sriov_autoprobe = autoprobe;
	set_dev(&devs[1], VF1, "igbvf", 2);
	set_dev(&devs[2], VF2, NULL, 3);
	for (int i = 1; i <= numvfs; i++) {
		devs[i].physfn = xstrdup(PF);
		devs[i].device_id = 0x10ca;
		strv_push(&devs[0].sriov_vfs, xstrdup(devs[i].addr));
	}
	for (size_t i = 0; i < 3; i++) {
		free(groups[i].devices);
		memset(&groups[i], 0, sizeof(groups[i]));
		groups[i].number = (int)i + 1;
		groups[i].holders_state = "known";
	}
	for (size_t i = 0; i < n; i++) {
		struct group *g = &groups[devs[i].group - 1];
		g->devices = xrealloc(g->devices, (g->n_devices + 1) * sizeof(void *));
		g->devices[g->n_devices++] = &devs[i];
	}
	memset(&h, 0, sizeof(h));
	h.devices = devs;
	h.n_devices = n;
	h.groups = groups;
	h.n_groups = 3;
	h.kernel.iommu = true;
	h.kernel.dma_ownership_checks = true;
	journal_done(&jrnl);
}

static void plan(struct sriov_plan *p, int count, const char *driver, bool force, bool restore)
{
	struct sriov_request rq = { .pf = PF,
				    .count = count,
				    .vf_driver = driver,
				    .force = force,
				    .restore = restore,
				    .journal = &jrnl };
	sriov_plan_build(&h, &rq, p);
}

/* The steps as "set-autoprobe=0 set-numvfs=0 ..." */
static char *steps(const struct sriov_plan *p)
{
	char *s = xstrdup("");

	for (size_t i = 0; i < p->n_steps; i++)
		strextendf(&s, "%s%s=%d", i ? " " : "", sriov_step_kind_to_string(p->steps[i].kind),
			   p->steps[i].value);
	return s;
}

#define CHECK_STEPS(p, want)                        \
	do {                                        \
		_cleanup_free_ char *_s = steps(p); \
		CHECK_STREQ(_s, want);              \
	} while (0)

static void test_usage_errors(void)
{
	_cleanup_free_ char *err = NULL;

	setup(2, 1);
	CHECK(sriov_check(&h, PF, 7, &err) == 0);
	CHECK(sriov_check(&h, PF, 8, &err) == -EINVAL);
	CHECK_STREQ(err, "0000:04:00.0 supports at most 7 VFs (sriov_totalvfs)");
	free(err), err = NULL;
	CHECK(sriov_check(&h, VF1, 1, &err) == -EINVAL);
	CHECK(err && strstr(err, "is a virtual function of 0000:04:00.0"));
	free(err), err = NULL;
	CHECK(sriov_check(&h, "0000:09:00.0", 1, &err) == -ENOENT);
	free(err), err = NULL;
	devs[0].sriov_totalvfs = -1;
	CHECK(sriov_check(&h, PF, 1, &err) == -EINVAL);
	CHECK_STREQ(err, "0000:04:00.0 does not support SR-IOV (it has no sriov_totalvfs)");
	free(err), err = NULL;
	devs[0].sriov_totalvfs = 7;
	free(devs[0].driver);
	devs[0].driver = NULL;
	CHECK(sriov_check(&h, PF, 1, &err) == -EINVAL);
	CHECK(err && strstr(err, "has no driver"));
}

static void test_forward(void)
{
	struct sriov_plan p;

	/* Create with a driver: autoprobe off around the writes, through 0. */
	setup(2, 1);
	plan(&p, 4, "vfio-pci", false, false);
	CHECK(p.n_refusals == 0 && p.from == 2 && p.to == 4 && p.final_autoprobe == 1);
	CHECK_STEPS(&p, "set-autoprobe=0 set-numvfs=0 set-numvfs=4 wait-vfs=4 bind-vfs=0 "
			"set-autoprobe=1");
	CHECK(p.n_removed == 2 && p.removed[0] == &devs[1] && p.removed[1] == &devs[2]);
	sriov_plan_done(&p);

	/* From none: no write of 0. */
	setup(0, 1);
	plan(&p, 3, "vfio-pci", false, false);
	CHECK_STEPS(&p, "set-autoprobe=0 set-numvfs=3 wait-vfs=3 bind-vfs=0 set-autoprobe=1");
	CHECK(p.n_removed == 0);
	sriov_plan_done(&p);

	/* Autoprobe already off: left alone. */
	setup(0, 0);
	plan(&p, 3, "vfio-pci", false, false);
	CHECK_STEPS(&p, "set-numvfs=3 wait-vfs=3 bind-vfs=0");
	CHECK(p.final_autoprobe == 0);
	sriov_plan_done(&p);

	/* Without a driver: the kernel's choice, autoprobe untouched. */
	setup(2, 1);
	plan(&p, 4, NULL, false, false);
	CHECK_STEPS(&p, "set-numvfs=0 set-numvfs=4 wait-vfs=4");
	sriov_plan_done(&p);

	/* Remove them: one write, whatever the driver. */
	setup(2, 1);
	plan(&p, 0, "vfio-pci", false, false);
	CHECK_STEPS(&p, "set-numvfs=0");
	sriov_plan_done(&p);

	/* Same count: only the VFs not on the driver are bound. */
	setup(2, 1);
	plan(&p, 2, "igbvf", false, false);
	CHECK_STEPS(&p, "bind-vfs=0");
	CHECK(p.n_rebind == 1 && p.rebind[0] == &devs[2] && p.n_removed == 0);
	sriov_plan_done(&p);

	/* Nothing to do: "already". */
	setup(2, 1);
	free(devs[2].driver);
	devs[2].driver = xstrdup("igbvf");
	plan(&p, 2, "igbvf", false, false);
	CHECK(!sriov_plan_changes(&p));
	CHECK_STREQ(p.note, "already 2 VFs on igbvf");
	sriov_plan_done(&p);
	setup(0, 1);
	plan(&p, 0, NULL, false, false);
	CHECK(!sriov_plan_changes(&p));
	CHECK_STREQ(p.note, "already 0 VFs");
	sriov_plan_done(&p);
}

static struct holder qemu = { .pid = 812,
			      .command = (char *)"qemu-system-x86",
			      .path = (char *)"/dev/vfio/3" };

static void test_refusals(void)
{
	struct sriov_plan p;
	struct in_use *u;

	/* A VF held through VFIO: refused, even with --force, naming VF, group, holder. */
	setup(2, 1);
	groups[2].holders = &qemu;
	groups[2].n_holders = 1;
	for (int force = 0; force < 2; force++) {
		plan(&p, 4, "vfio-pci", force, false);
		CHECK(p.n_refusals == 1 && p.refusals[0].dev == &devs[2]);
		CHECK(p.n_refusals && streq(p.refusals[0].rule, "sriov"));
		CHECK_STREQ(p.n_refusals ? p.refusals[0].message : NULL,
			    "refusing to change the VF count of 0000:04:00.0: its VF 0000:04:10.1 "
			    "(group 3) is in use by pid 812 (qemu-system-x86); removing the VFs "
			    "would hang until that lets go. Stop the VM or program first");
		sriov_plan_done(&p);
	}
	/* An EBUSY the kernel gave without a visible holder counts too. */
	groups[2].holders = NULL;
	groups[2].n_holders = 0;
	groups[2].held_unseen = true;
	plan(&p, 0, NULL, true, false);
	CHECK(p.n_refusals == 1);
	sriov_plan_done(&p);
	/* Same count: nothing is removed, so nothing is refused for it. */
	plan(&p, 2, NULL, false, false);
	CHECK(p.n_refusals == 0);
	sriov_plan_done(&p);

	/* Used by the host: refused, --force lets it go. */
	setup(2, 1);
	u = inuse_add(&devs[1], "net", "eth1", "up, 10.0.0.2/24");
	(void)u;
	plan(&p, 4, "vfio-pci", false, false);
	CHECK(p.n_refusals == 1 && p.refusals[0].dev == &devs[1]);
	CHECK_STREQ(p.n_refusals ? p.refusals[0].message : NULL,
		    "refusing to change the VF count of 0000:04:00.0: the host uses its VF "
		    "0000:04:10.0 (group 2): net eth1 (up, 10.0.0.2/24); add --force to let it go");
	sriov_plan_done(&p);
	plan(&p, 4, "vfio-pci", true, false);
	CHECK(p.n_refusals == 0 && p.n_steps == 6);
	sriov_plan_done(&p);
	/* What could not be checked refuses too (a normal user's dry run notes it). */
	inuse_done(&devs[1]);
	inuse_note_unknown(&devs[1], "cannot read /proc/net/dev");
	plan(&p, 0, NULL, false, false);
	CHECK(p.n_refusals == 1);
	sriov_plan_done(&p);
}

static void test_restore(void)
{
	struct sriov_plan p;
	struct journal_sriov *rec;

	/* devown made 4 VFs out of none on vfio-pci: restore goes back to 0. */
	setup(2, 0);
	rec = journal_sriov_add(&jrnl, PF, 0x8086, 0x10c9, 0, true, "sriov");
	plan(&p, 0, NULL, false, true);
	CHECK(p.n_refusals == 0 && p.to == 0 && p.final_autoprobe == 1);
	CHECK_STEPS(&p, "set-autoprobe=1 set-numvfs=0");
	sriov_plan_done(&p);

	/* Back to 2 VFs, which had igbvf and no driver: count, then the VFs. */
	setup(0, 1);
	rec = journal_sriov_add(&jrnl, PF, 0x8086, 0x10c9, 2, true, "sriov");
	journal_sriov_add_vf(rec, VF1, "igbvf", NULL);
	journal_sriov_add_vf(rec, VF2, NULL, NULL);
	plan(&p, 0, NULL, false, true);
	CHECK_STEPS(&p, "set-numvfs=2 wait-vfs=2 restore-vfs=0");
	sriov_plan_done(&p);

	/* Same count, a VF moved: only that is given back; autoprobe last. */
	setup(2, 0);
	free(devs[2].driver);
	devs[2].driver = xstrdup("vfio-pci");
	rec = journal_sriov_add(&jrnl, PF, 0x8086, 0x10c9, 2, true, "sriov");
	journal_sriov_add_vf(rec, VF1, "igbvf", NULL);
	journal_sriov_add_vf(rec, VF2, NULL, NULL);
	plan(&p, 0, NULL, false, true);
	CHECK_STEPS(&p, "restore-vfs=0 set-autoprobe=1");
	sriov_plan_done(&p);

	/* Nothing differs: nothing to do. */
	free(devs[2].driver);
	devs[2].driver = NULL;
	devs[0].sriov_autoprobe = 1;
	plan(&p, 0, NULL, false, true);
	CHECK(!sriov_plan_changes(&p));
	CHECK_STREQ(p.note, "already back to 2 VFs");
	sriov_plan_done(&p);

	/* A VF in use blocks a restore that removes it; restore has no --force. */
	setup(2, 1);
	journal_sriov_add(&jrnl, PF, 0x8086, 0x10c9, 0, true, "sriov");
	inuse_add(&devs[2], "net", "eth2", NULL);
	plan(&p, 0, NULL, true, true);
	CHECK(p.n_refusals == 1);
	CHECK(p.n_refusals && strstr(p.refusals[0].message, "stop using it first"));
	sriov_plan_done(&p);

	/* Another card at the address: identity. */
	setup(2, 1);
	journal_sriov_add(&jrnl, PF, 0x8086, 0x1521, 0, true, "sriov");
	plan(&p, 0, NULL, false, true);
	CHECK(p.n_refusals == 1 && streq(p.refusals[0].rule, "identity"));
	sriov_plan_done(&p);
}

static void test_journal_records(void)
{
	struct journal a = { 0 }, b = { 0 };
	struct journal_sriov *r;

	r = journal_sriov_add(&a, PF, 0x8086, 0x10c9, 2, true, "sriov 1");
	journal_sriov_add_vf(r, VF1, "igbvf", NULL);
	/* The first change wins. */
	CHECK(journal_sriov_add(&a, PF, 0x8086, 0x10c9, 5, false, "sriov 2") == r);
	CHECK(a.n_sriov == 1 && a.sriov[0].numvfs == 2 && a.sriov[0].autoprobe);
	journal_sriov_copy(&b, &a);
	CHECK(b.n_sriov == 1 && b.sriov[0].n_vfs == 1);
	CHECK_STREQ(b.n_sriov ? b.sriov[0].vfs[0].driver : NULL, "igbvf");
	CHECK_STREQ(b.n_sriov ? b.sriov[0].reason : NULL, "sriov 1");
	journal_sriov_remove(&a, PF);
	CHECK(a.n_sriov == 0 && !journal_sriov_find(&a, PF) && journal_sriov_find(&b, PF));
	journal_done(&a);
	journal_done(&b);
}

int main(void)
{
	test_usage_errors();
	test_forward();
	test_refusals();
	test_restore();
	test_journal_records();
	for (size_t i = 0; i < 3; i++) {
		device_done(&devs[i]);
		free(groups[i].devices);
	}
	journal_done(&jrnl);
	return check_done();
}
