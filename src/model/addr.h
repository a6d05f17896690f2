/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* "ffffffff:ff:1f.7" plus NUL */
#define PCI_ADDR_MAX 17

struct pci_addr {
	uint32_t domain;
	uint8_t bus, dev, fn;
};

/* Parses a PCI address: DOMAIN:BUS:DEV.FN with a domain of 4 to 8 hex digits, or BUS:DEV.FN
 * meaning domain 0000. Bus and device are exactly two hex digits, the function one digit 0-7,
 * device at most 1f; case does not matter. Returns 0 or -EINVAL. */
int pci_addr_parse(const char *s, struct pci_addr *ret);

/* Formats the way the kernel names devices: lower-case, domain at least four digits. */
void pci_addr_format(const struct pci_addr *a, char buf[static PCI_ADDR_MAX]);

/* Normalises a textual address into buf; returns 0 or -EINVAL. */
int pci_addr_normalize(const char *s, char buf[static PCI_ADDR_MAX]);

/* Orders PCI addresses numerically (domain, bus, device, function). */
int pci_addr_cmp(const char *a, const char *b);

enum target_kind { TARGET_DEVICE, TARGET_GROUP };
struct target {
	enum target_kind kind;
	char addr[PCI_ADDR_MAX]; /* TARGET_DEVICE */
	int group;		 /* TARGET_GROUP */
};

/* A TARGET on the command line: a PCI address or an IOMMU group number (decimal, no sign,
 * no leading '+'). Returns 0 or -EINVAL. */
int target_parse(const char *s, struct target *ret);
/* What is wrong with a TARGET target_parse() rejects, in one line. Caller frees. */
char *target_parse_error(const char *s);
/* The one line for a well-formed target that names no present device or group. Caller frees. */
char *target_missing_error(const struct target *t);
