/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The readers of kernel text and messages in kernel-text.h that have no harness of their own:
 * a uevent file, a kallsyms excerpt, an rtnetlink RTM_GETADDR dump. Any bytes: no crash, no
 * read beyond the input, and what they report stays inside it. The first byte picks the
 * reader. */
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_addr(void *userdata, const unsigned char addr[4], unsigned prefixlen, int ifindex,
		    const char *label)
{
	const unsigned char *buf = userdata;
	(void)buf;
	(void)addr[3];
	(void)prefixlen;
	(void)ifindex;
	if (label && strlen(label) >= IF_NAMESIZE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0: {
		char *text = malloc(size);
		char *v;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		v = uevent_value(text, "DEVNAME");
		if (v && (v < text || v > text + size - 1 || strchr(v, '\n')))
			abort();
		free(text);
		break;
	}
	case 1: {
		/* Not NUL-terminated: exactly the bytes, as the streaming reader passes them. */
		char *buf = malloc(size - 1 ? size - 1 : 1);
		memcpy(buf, data + 1, size - 1);
		(void)kallsyms_has_symbol(buf, size - 1, "iommu_group_claim_dma_owner", true);
		(void)kallsyms_has_symbol(buf, size - 1, "vfio_iommu_group_notifier", false);
		free(buf);
		break;
	}
	default: {
		/* Aligned as the kernel's messages are. */
		uint32_t *buf = malloc((size - 1) / 4 * 4 + 4);
		memcpy(buf, data + 1, size - 1);
		(void)rtnl_getaddr_parse((const unsigned char *)buf, size - 1, 0, on_addr, buf);
		(void)rtnl_getaddr_parse((const unsigned char *)buf, size - 1, 7, on_addr, buf);
		free(buf);
		break;
	}
	}
	return 0;
}
