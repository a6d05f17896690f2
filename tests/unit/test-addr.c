/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "addr.h"
#include "check.h"

static void ok(const char *in, const char *want)
{
	char buf[PCI_ADDR_MAX];
	int r = pci_addr_normalize(in, buf);
	CHECK(r == 0);
	if (r == 0)
		CHECK_STREQ(buf, want);
	else
		fprintf(stderr, "  rejected valid address '%s'\n", in);
}

static void bad(const char *in)
{
	char buf[PCI_ADDR_MAX];
	int r = pci_addr_normalize(in, buf);
	CHECK(r == -EINVAL);
	if (r == 0)
		fprintf(stderr, "  accepted invalid address '%s' as %s\n", in, buf);
}

int main(void)
{
	struct target t;

	ok("0000:03:00.0", "0000:03:00.0");
	ok("03:00.0", "0000:03:00.0");
	ok("0000:00:1f.7", "0000:00:1f.7");
	ok("0000:FF:1F.7", "0000:ff:1f.7");
	ok("abcd:ef:01.2", "abcd:ef:01.2");
	ok("10000:01:00.0", "10000:01:00.0"); /* Intel VMD domains */
	ok("ffffffff:ff:1f.7", "ffffffff:ff:1f.7");
	ok("00010000:01:00.0", "10000:01:00.0");
	ok("ff:00.0", "0000:ff:00.0");

	bad("");
	bad("0000:03:00");	  /* no function */
	bad("0000:03:00.");	  /* empty function */
	bad("0000:03:00.8");	  /* function above 7 */
	bad("0000:03:20.0");	  /* device above 1f */
	bad("0000:3:00.0");	  /* bus needs two digits */
	bad("0000:003:00.0");	  /* three-digit bus */
	bad("000:03:00.0");	  /* short domain */
	bad("100000000:03:00.0"); /* nine-digit domain */
	bad("0000:03:0.0");	  /* one-digit device */
	bad("0000:03:00.0 ");	  /* trailing space */
	bad(" 0000:03:00.0");	  /* leading space */
	bad("0000:03:00.00");	  /* two-digit function */
	bad("0000:0g:00.0");	  /* not hex */
	bad("0000-03-00.0");
	bad("0000:03:00:0");
	bad("0000:03.00.0");
	bad(":03:00.0");
	bad("0000::03:00.0");
	bad("0x0000:03:00.0");
	bad("3");
	bad("0000:03:00.-1");
	bad("0000:03:00.0/");

	CHECK(target_parse("12", &t) == 0 && t.kind == TARGET_GROUP && t.group == 12);
	CHECK(target_parse("0", &t) == 0 && t.kind == TARGET_GROUP && t.group == 0);
	CHECK(target_parse("03:00.0", &t) == 0 && t.kind == TARGET_DEVICE);
	CHECK_STREQ(t.addr, "0000:03:00.0");
	CHECK(target_parse("-1", &t) == -EINVAL);
	CHECK(target_parse("+3", &t) == -EINVAL);
	CHECK(target_parse("1234567890", &t) == -EINVAL);
	/* Leading zeros never decide: any number of them. */
	CHECK(target_parse("000000001", &t) == 0 && t.kind == TARGET_GROUP && t.group == 1);
	CHECK(target_parse("0000000001", &t) == 0 && t.kind == TARGET_GROUP && t.group == 1);
	CHECK(target_parse("0000000000000", &t) == 0 && t.kind == TARGET_GROUP && t.group == 0);
	CHECK(target_parse("00001234567890", &t) == -EINVAL);
	CHECK(target_parse("", &t) == -EINVAL);
	CHECK(target_parse("12a", &t) == -EINVAL);
	return check_done();
}
