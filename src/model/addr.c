/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "util.h"

/* Parses exactly n hex digits (n fixed) or between min and max digits into *ret; returns
 * the number of characters consumed, or -1. */
static int parse_hex(const char *s, int min, int max, uint32_t *ret)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < max && unhexchar(s[i]) >= 0; i++)
		v = (v << 4) | (uint32_t)unhexchar(s[i]);
	if (i < min || unhexchar(s[i]) >= 0)
		return -1;
	*ret = v;
	return i;
}

int pci_addr_parse(const char *s, struct pci_addr *ret)
{
	uint32_t domain = 0, bus, dev, fn;
	const char *p = s;
	int n;

	if (!s)
		return -EINVAL;
	/* Two colons mean a domain is present. */
	if (strchr(s, ':') && strchr(s, ':') != strrchr(s, ':')) {
		n = parse_hex(p, 4, 8, &domain);
		if (n < 0 || p[n] != ':')
			return -EINVAL;
		p += n + 1;
	}
	n = parse_hex(p, 2, 2, &bus);
	if (n < 0 || p[n] != ':')
		return -EINVAL;
	p += n + 1;
	n = parse_hex(p, 2, 2, &dev);
	if (n < 0 || p[n] != '.' || dev > 0x1f)
		return -EINVAL;
	p += n + 1;
	if (!(p[0] >= '0' && p[0] <= '7') || p[1] != '\0')
		return -EINVAL;
	fn = (uint32_t)(p[0] - '0');

	ret->domain = domain;
	ret->bus = (uint8_t)bus;
	ret->dev = (uint8_t)dev;
	ret->fn = (uint8_t)fn;
	return 0;
}

void pci_addr_format(const struct pci_addr *a, char buf[static PCI_ADDR_MAX])
{
	snprintf(buf, PCI_ADDR_MAX, "%04x:%02x:%02x.%x", (unsigned)a->domain, (unsigned)a->bus,
		 (unsigned)a->dev, (unsigned)a->fn);
}

int pci_addr_normalize(const char *s, char buf[static PCI_ADDR_MAX])
{
	struct pci_addr a;
	int r = pci_addr_parse(s, &a);

	if (r < 0)
		return r;
	pci_addr_format(&a, buf);
	return 0;
}

int target_parse(const char *s, struct target *ret)
{
	if (!s || !*s)
		return -EINVAL;
	if (strspn(s, "0123456789") == strlen(s)) {
		/* Leading zeros do not count: "0000000001" is group 1, as "000000001" is. Nine
		 * significant digits at most, so that the value fits an int. */
		const char *sig = s + strspn(s, "0");
		long v;
		if (strlen(sig) > 9)
			return -EINVAL;
		v = strtol(s, NULL, 10);
		ret->kind = TARGET_GROUP;
		ret->group = (int)v;
		ret->addr[0] = '\0';
		return 0;
	}
	ret->kind = TARGET_DEVICE;
	ret->group = -1;
	return pci_addr_normalize(s, ret->addr);
}

int pci_addr_cmp(const char *a, const char *b)
{
	struct pci_addr x, y;

	if (pci_addr_parse(a, &x) < 0 || pci_addr_parse(b, &y) < 0)
		return strcmp(a, b);
	if (x.domain != y.domain)
		return x.domain < y.domain ? -1 : 1;
	if (x.bus != y.bus)
		return x.bus < y.bus ? -1 : 1;
	if (x.dev != y.dev)
		return x.dev < y.dev ? -1 : 1;
	return (x.fn > y.fn) - (x.fn < y.fn);
}

char *target_parse_error(const char *s)
{
	return xasprintf("'%s' is neither a PCI address (DOMAIN:BUS:DEV.FN such as 0000:03:00.0, "
			 "or BUS:DEV.FN) nor an IOMMU group number",
			 s);
}

char *target_missing_error(const struct target *t)
{
	if (t->kind == TARGET_GROUP)
		return xasprintf("there is no IOMMU group %d; 'devown status' lists the groups",
				 t->group);
	return xasprintf("there is no PCI device %s; 'devown status' lists the devices", t->addr);
}
