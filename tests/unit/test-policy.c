/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "check.h"
#include "policy.h"
#include "util.h"

static struct device dev(const char *addr, const char *driver, bool vfio_dev, unsigned class_id)
{
	struct device d = { 0 };
	snprintf(d.addr, sizeof(d.addr), "%s", addr);
	d.driver = driver ? xstrdup(driver) : NULL;
	d.vfio_dev = vfio_dev;
	d.class_id = class_id;
	d.bridge = class_is_bridge(class_id);
	d.dma = dma_role_classify(d.driver, vfio_dev);
	return d;
}

int main(void)
{
	/* Driver classification: the allow-list of docs/kernel.md, "DMA ownership". */
	CHECK(driver_is_vfio("vfio-pci"));
	CHECK(driver_is_vfio("vfio_pci"));
	CHECK(driver_is_vfio("mlx5_vfio_pci"));
	CHECK(driver_is_vfio("hisi_acc_vfio_pci"));
	CHECK(driver_is_vfio("pds-vfio-pci"));
	CHECK(driver_is_vfio("xe-vfio-pci"));
	CHECK(driver_is_vfio("nvgrace_gpu_vfio_pci"));
	CHECK(!driver_is_vfio("vfio"));
	CHECK(!driver_is_vfio("vfio_pci_core"));
	CHECK(!driver_is_vfio("e1000e"));
	CHECK(!driver_is_vfio(NULL));
	CHECK(!driver_is_vfio("_vfio_pci"));
	CHECK(driver_is_dma_managed("pci-stub"));
	CHECK(driver_is_dma_managed("pcieport"));
	CHECK(driver_is_dma_managed("vfio-pci"));
	CHECK(!driver_is_dma_managed("pci-pf-stub"));
	CHECK(!driver_is_dma_managed("xen-pciback"));
	CHECK(!driver_is_dma_managed("nvme"));
	CHECK(dma_role_classify(NULL, false) == DMA_NONE);
	CHECK(dma_role_classify("e1000", false) == DMA_KERNEL);
	CHECK(dma_role_classify("pcieport", false) == DMA_MANAGED);
	CHECK(dma_role_classify("some_new_vfio_variant", true) == DMA_MANAGED);
	CHECK_STREQ(dma_role_to_string(DMA_KERNEL), "kernel");
	CHECK_STREQ(dma_role_to_string(DMA_MANAGED), "managed");
	CHECK_STREQ(dma_role_to_string(DMA_NONE), "none");

	/* Bridges: type 1 and 2 headers only; a host bridge is not one. */
	CHECK(class_is_bridge(0x060400));
	CHECK(class_is_bridge(0x060401));
	CHECK(class_is_bridge(0x060900));
	CHECK(class_is_bridge(0x060700));
	CHECK(!class_is_bridge(0x060000));
	CHECK(!class_is_bridge(0x020000));

	/* Viability: no kernel DMA user; bridges on pcieport or unbound are fine. */
	{
		struct device a = dev("0000:00:1c.0", "pcieport", false, 0x060400);
		struct device b = dev("0000:01:00.0", "vfio-pci", true, 0x020000);
		struct device c = dev("0000:01:00.1", NULL, false, 0x040300);
		struct device *m[] = { &a, &b, &c };
		struct group g = { .number = 3, .devices = m, .n_devices = 3 };
		group_evaluate(&g, true);
		CHECK(g.viable);
		CHECK(g.n_blockers == 0);
		CHECK(g.vfio_bound);

		free(c.driver);
		c.driver = xstrdup("snd_hda_intel");
		c.dma = dma_role_classify(c.driver, false);
		group_evaluate(&g, true);
		CHECK(!g.viable);
		CHECK(g.n_blockers == 1 && g.blockers[0] == &c);

		free(a.driver);
		a.driver = xstrdup("shpchp"); /* a bridge on a DMA-using driver does block */
		a.dma = dma_role_classify(a.driver, false);
		group_evaluate(&g, true);
		CHECK(g.n_blockers == 2 && g.blockers[0] == &a);
		/* Before the ownership checks VFIO let any bridge pass. */
		group_evaluate(&g, false);
		CHECK(g.n_blockers == 1 && g.blockers[0] == &c);
		free(g.blockers);
		free(a.driver);
		free(b.driver);
		free(c.driver);
	}
	{
		struct device a = dev("0000:00:02.0", NULL, false, 0x030000);
		struct device *m[] = { &a };
		struct group g = { .number = 1, .devices = m, .n_devices = 1 };
		group_evaluate(&g, true);
		CHECK(g.viable && !g.vfio_bound);
		free(g.blockers);
	}

	CHECK(kernel_release_at_least("5.19.0", 5, 19));
	CHECK(kernel_release_at_least("6.1.0-27-amd64", 5, 19));
	CHECK(!kernel_release_at_least("5.10.0-30-amd64", 5, 19));
	CHECK(!kernel_release_at_least("5.18.19", 5, 19));
	CHECK(kernel_release_at_least("10.0", 5, 19));
	CHECK(!kernel_release_at_least("garbage", 5, 19));
	return check_done();
}
