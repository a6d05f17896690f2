/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The display form of strings other users choose (str_escape_display) and the UTF-8 repair of
 * JSON text (str_json_utf8). */
#include "check.h"
#include "util.h"

static void shows(const char *in, const char *want)
{
	_cleanup_free_ char *out = str_escape_display(in);

	CHECK_STREQ(out, want);
	CHECK(str_display_safe(in) == streq(in, want));
	/* The display form is valid UTF-8 with no control byte (escaping it again would only
	 * double its backslashes). */
	CHECK(str_json_utf8(out) == NULL);
	for (const char *c = out; c && *c; c++)
		CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
}

int main(void)
{
	/* Plain text and valid UTF-8 stay. */
	shows("qemu-system-x86", "qemu-system-x86");
	shows("/mnt/data dir", "/mnt/data dir");
	shows("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7",
	      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7");
	shows("", "");
	/* Terminal controls, DEL and C1 controls become \xNN, byte by byte. */
	shows("\x1b[2Jevil", "\\x1b[2Jevil");
	shows("a\nb\tc\rd", "a\\x0ab\\x09c\\x0dd");
	shows("del\x7f", "del\\x7f");
	shows("c1\xc2\x9b"
	      "31m",
	      "c1\\xc2\\x9b31m");
	/* Backslashes are doubled, so that an escape cannot be faked. */
	shows("a\\x1b", "a\\\\x1b");
	/* Bidirectional overrides and isolates (U+202E, U+2066) are escaped. */
	shows("abc\xe2\x80\xae"
	      "def",
	      "abc\\xe2\\x80\\xaedef");
	shows("\xe2\x81\xa6x", "\\xe2\\x81\\xa6x");
	/* Invalid UTF-8: stray continuation bytes, truncated and overlong sequences, surrogates,
	 * beyond U+10FFFF. */
	shows("\xff\xfe", "\\xff\\xfe");
	shows("x\x80y", "x\\x80y");
	shows("trunc\xe2\x82", "trunc\\xe2\\x82");
	shows("\xc0\xaf", "\\xc0\\xaf");
	shows("\xed\xa0\x80", "\\xed\\xa0\\x80");
	shows("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	CHECK(str_escape_display(NULL) == NULL);

	{
		char *s = xstrdup("ok"), *keep = s;
		str_make_display_safe(&s);
		CHECK(s == keep); /* nothing to escape: the same string */
		free(s);
		s = xstrdup("\x1b");
		str_make_display_safe(&s);
		CHECK_STREQ(s, "\\x1b");
		free(s);
	}

	/* JSON text: valid UTF-8 needs nothing; each invalid byte becomes an escaped backslash
	 * and its hex digits, which keeps the document valid. */
	CHECK(str_json_utf8("{\"a\": \"caf\xc3\xa9\"}") == NULL);
	{
		_cleanup_free_ char *j = str_json_utf8("{\"a\": \"x\xffy\xc3\"}");
		CHECK_STREQ(j, "{\"a\": \"x\\\\xffy\\\\xc3\"}");
	}
	return check_done();
}
