/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "model.h"

/* Fills the kernel part of the model: release, IOMMU presence and units, and whether the kernel
 * checks DMA ownership at bind time (docs/kernel.md, "DMA ownership"): by symbol in
 * /proc/kallsyms, falling back to the release (>= 5.19) only when kallsyms cannot be read. */
int kernel_info_load(struct kernel_info *k);
void kernel_info_done(struct kernel_info *k);

/* The kernel parameter that turns the IOMMU on for this machine's CPU vendor, e.g.
 * "intel_iommu=on". Static string. */
const char *kernel_iommu_parameter(void);
