/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration of devown apply: the parser (every error names file and line, and a file
 * with an error adds nothing), the writer (what export prints parses back the same), the
 * loader (lexical order, *.conf only, masking) and the resolver on a hand-built host
 * (location and identity, mismatches, match=, group=yes, conflicts, --device). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "check.h"
#include "config-load.h"
#include "config-text.h"
#include "config.h"
#include "devown-config.h"
#include "files.h"
#include "policy.h"
#include "util.h"

/* Parses text as file "t.conf"; returns the error line (NULL on success) in *err. */
static int parse(struct config *c, const char *text, char **err)
{
	free(*err);
	*err = NULL;
	return config_parse_text(c, "t.conf", text, err);
}

#define CHECK_CONTAINS(s, sub)                                                                     \
	do {                                                                                       \
		const char *_s = (s);                                                              \
		check_count++;                                                                     \
		if (!_s || !strstr(_s, (sub))) {                                                   \
			check_failures++;                                                          \
			fprintf(stderr, "%s:%d: '%s' does not contain '%s'\n", __FILE__, __LINE__, \
				_s ? _s : "(null)", (sub));                                        \
		}                                                                                  \
	} while (0)

/* Every malformed input: -EINVAL, an error starting with "t.conf:LINE: " and naming the
 * problem, and nothing added to the configuration. */
static void test_errors(void)
{
	static const struct {
		const char *text;
		const char *where; /* "t.conf:N: " */
		const char *says;
	} cases[] = {
		{ "[device a]\ndrivr=vfio\n", "t.conf:2: ", "unknown key 'drivr'" },
		{ "[device a]\naddress=03:00.0\naddress=04:00.0\ndriver=vfio\n",
		  "t.conf:3: ", "duplicate key 'address' in entry 'a' (first at line 2)" },
		{ "address=03:00.0\n", "t.conf:1: ", "outside of a [device NAME] section" },
		{ "# c\n[host a]\n", "t.conf:2: ", "unknown section '[host a]'" },
		{ "[device a\n", "t.conf:1: ", "must end with ']'" },
		{ "[device]\n", "t.conf:1: ", "unknown section" },
		{ "[device a b]\n", "t.conf:1: ", "invalid entry name 'a b'" },
		{ "[device a]\naddress 03:00.0\n", "t.conf:2: ", "expected KEY=VALUE" },
		{ "[device a]\naddress=\n", "t.conf:2: ", "'address=' has no value" },
		{ "[device a]\naddress=0000:03:00.8\ndriver=vfio\n",
		  "t.conf:2: ", "invalid address" },
		{ "[device a]\naddress=03:20.0\ndriver=vfio\n", "t.conf:2: ", "invalid address" },
		{ "[device a]\nvendor=808\ndriver=vfio\n", "t.conf:2: ", "invalid vendor '808'" },
		{ "[device a]\nvendor=80866\ndriver=vfio\n", "t.conf:2: ", "invalid vendor" },
		{ "[device a]\ndevice=xyzw\ndriver=vfio\n", "t.conf:2: ", "invalid device" },
		{ "[device a]\nsubsystem=8086\ndriver=vfio\n", "t.conf:2: ", "invalid subsystem" },
		{ "[device a]\nsubsystem=8086:a01f:1\ndriver=vfio\n",
		  "t.conf:2: ", "invalid subsystem" },
		{ "[device a]\nclass=020\ndriver=vfio\n", "t.conf:2: ", "invalid class" },
		{ "[device a]\nserial=00-1b-21-ff-ff-6b-8e\ndriver=vfio\n",
		  "t.conf:2: ", "invalid serial" },
		{ "[device a]\nserial=00:1b:21:ff:ff:6b:8e:5c\ndriver=vfio\n",
		  "t.conf:2: ", "invalid serial" },
		{ "[device a]\npath=0000:00:1c.0/3\ndriver=vfio\n", "t.conf:2: ", "invalid path" },
		{ "[device a]\npath=0000:00:1c.0/00.0/\ndriver=vfio\n",
		  "t.conf:2: ", "invalid path" },
		{ "[device a]\nslot=a/b\ndriver=vfio\n", "t.conf:2: ", "invalid slot" },
		{ "[device a]\naddress=03:00.0\ndriver=vfio # comment\n",
		  "t.conf:3: ", "invalid driver 'vfio # comment'" },
		{ "[device a]\naddress=03:00.0\ndriver=vfio\ngroup=true\n",
		  "t.conf:4: ", "invalid group 'true'" },
		{ "[device a]\naddress=03:00.0\ndriver=vfio\nmatch=any\n",
		  "t.conf:4: ", "invalid match 'any'" },
		{ "[device a]\ndriver=vfio\n", "t.conf:1: ", "entry 'a' selects nothing" },
		{ "[device a]\naddress=03:00.0\n[device b]\naddress=04:00.0\ndriver=vfio\n",
		  "t.conf:1: ", "entry 'a' has no driver=" },
		{ "[device a]\naddress=03:00.0\ndriver=vfio\n[device a]\n",
		  "t.conf:4: ", "duplicate entry name 'a' (first at t.conf:1)" },
		{ "[device a]\naddress=03:00.0\nDriver=vfio\n",
		  "t.conf:3: ", "unknown key 'Driver'" },
		/* Short values at the very end of the text, without a newline: the parser must
		 * not look past their end (an over-read under ASan, issue 17 item 2). */
		{ "[device a]\nsubsystem=1", "t.conf:2: ", "invalid subsystem '1'" },
		{ "[device a]\nsubsystem=12", "t.conf:2: ", "invalid subsystem '12'" },
		{ "[device a]\nsubsystem=123", "t.conf:2: ", "invalid subsystem '123'" },
		{ "[device a]\nsubsystem=1234", "t.conf:2: ", "invalid subsystem '1234'" },
		{ "[device a]\npath=0000:00:1c.0/0", "t.conf:2: ", "invalid path" },
		{ "[device a]\npath=0000:00:1c.0/00", "t.conf:2: ", "invalid path" },
		{ "[device a]\npath=0000:00:1c.0/00.", "t.conf:2: ", "invalid path" },
		{ "[device a]\nvendor=0", "t.conf:2: ", "invalid vendor '0'" },
		{ "[device a]\nclass=0", "t.conf:2: ", "invalid class '0'" },
		{ "[device", "t.conf:1: ", "must end with ']'" },
		{ "[devic]", "t.conf:1: ", "unknown section" },
	};
	_cleanup_free_ char *err = NULL;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct config c = { 0 };
		int r = parse(&c, cases[i].text, &err);
		CHECK(r == -EINVAL);
		CHECK(err && startswith(err, cases[i].where));
		CHECK_CONTAINS(err, cases[i].says);
		CHECK(!err || !strchr(err, '\n')); /* one line */
		CHECK(c.n_entries == 0);
		if (r != -EINVAL || !err || !startswith(err, cases[i].where))
			fprintf(stderr, "  case %zu: %s\n", i, err ? err : "(no error)");
		config_done(&c);
	}
}

static void test_values(void)
{
	struct config c = { 0 };
	_cleanup_free_ char *err = NULL;
	const struct config_entry *e;

	CHECK(parse(&c,
		    "# A comment, then blank lines\n\n  ; another comment\n"
		    "[device gpu]\r\n"
		    "  address = 03:00.0\t\n"
		    "path=0000:00:1C.4/00.0/1F.7\n"
		    "slot=Slot 4\n"
		    "vendor=0x10DE\ndevice=1eb8\nsubsystem=10DE:12a2\nclass=0x0300\n"
		    "serial=00-1B-21-FF-FF-6B-8E-5C\ndriver=vfio\ngroup=yes\nmatch=optional\n"
		    "[device  nic-2 ]\naddress=0000:04:00.1\ndriver=none\n",
		    &err) == 0);
	CHECK(err == NULL);
	CHECK(c.n_entries == 2);
	e = &c.entries[0];
	CHECK_STREQ(e->name, "gpu");
	CHECK(e->line == 4);
	CHECK_STREQ(e->address, "0000:03:00.0");
	CHECK(e->key_line[KEY_ADDRESS] == 5);
	CHECK_STREQ(e->path, "0000:00:1c.4/00.0/1f.7");
	CHECK_STREQ(e->slot, "Slot 4");
	CHECK(e->vendor == 0x10de && e->device == 0x1eb8);
	CHECK(e->subsys_vendor == 0x10de && e->subsys_device == 0x12a2);
	CHECK(e->class_value == 0x0300 && e->class_digits == 4);
	CHECK_STREQ(e->serial, "00-1b-21-ff-ff-6b-8e-5c");
	CHECK_STREQ(e->driver, "vfio");
	CHECK(e->group && e->match == MATCH_OPTIONAL);
	e = &c.entries[1];
	CHECK_STREQ(e->name, "nic-2");
	CHECK_STREQ(e->driver, "none");
	CHECK(!e->group && e->match == MATCH_ONE);
	CHECK(e->key_line[KEY_VENDOR] == 0);

	/* A second file may not reuse a name; its entries are not kept. */
	CHECK(config_parse_text(&c, "u.conf",
				"[device x]\naddress=05:00.0\ndriver=vfio\n"
				"[device gpu]\n",
				&err) == -EINVAL);
	CHECK_CONTAINS(err, "u.conf:4: duplicate entry name 'gpu' (first at t.conf:4)");
	CHECK(c.n_entries == 2);
	free(err);
	err = NULL;

	/* A UTF-8 byte order mark before the first line is skipped, nowhere else. */
	CHECK(config_parse_text(&c, "bom.conf",
				"\xef\xbb\xbf[device bom]\naddress=06:00.0\ndriver=vfio\n",
				&err) == 0);
	CHECK(c.n_entries == 3 && streq(c.entries[2].name, "bom"));
	CHECK(config_parse_text(&c, "bom2.conf",
				"[device b2]\n\xef\xbb\xbf"
				"driver=vfio\n",
				&err) == -EINVAL);
	config_done(&c);
}

/* owner= is USER or USER:GROUP, names or numbers; the host resolves them later. */
static void test_owner_key(void)
{
	static const char *const good[] = { "alice", "1000", "alice:kvm", "1000:36", "a.b_c-d" };
	static const char *const bad[] = { "",	 ":kvm",   "alice:", "a:b:c",
					   "-x", "al ice", "a/b",    "alice:-g" };

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		struct config c = { 0 };
		_cleanup_free_ char *err = NULL,
				    *text = xasprintf(
					    "[device x]\naddress=03:00.0\ndriver=vfio\nowner=%s\n",
					    good[i]);
		CHECK(parse(&c, text, &err) == 0);
		CHECK(c.n_entries == 1 && streq_ptr(c.entries[0].owner, good[i]));
		config_done(&c);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct config c = { 0 };
		_cleanup_free_ char *err = NULL,
				    *text = xasprintf(
					    "[device x]\naddress=03:00.0\ndriver=vfio\nowner=%s\n",
					    bad[i]);
		CHECK(parse(&c, text, &err) == -EINVAL);
		CHECK_CONTAINS(err, "t.conf:4: ");
		config_done(&c);
	}
}

/* What export writes reads back as the same entry. */
static void test_format_roundtrip(void)
{
	struct config a = { 0 }, b = { 0 };
	_cleanup_free_ char *err = NULL, *buf = NULL;
	size_t len = 0;
	FILE *f;

	CHECK(parse(&a,
		    "[device x]\naddress=03:00.0\nslot=4\npath=0000:00:1c.0/00.0\nvendor=8086\n"
		    "device=10d3\nsubsystem=8086:a01f\nclass=02\nserial=00-1b-21-ff-ff-6b-8e-5c\n"
		    "driver=vfio-pci\ngroup=yes\nmatch=all\nowner=alice:kvm\n"
		    "[device y]\nvendor=10de\ndriver=none\n",
		    &err) == 0);
	CHECK_STREQ(a.entries[0].owner, "alice:kvm");
	CHECK(a.entries[1].owner == NULL);
	f = open_memstream(&buf, &len);
	for (size_t i = 0; i < a.n_entries; i++)
		config_entry_format(&a.entries[i], f);
	fclose(f);
	CHECK(config_parse_text(&b, "again.conf", buf, &err) == 0);
	CHECK(b.n_entries == 2);
	for (size_t i = 0; i < 2 && b.n_entries == 2; i++) {
		const struct config_entry *x = &a.entries[i], *y = &b.entries[i];
		CHECK_STREQ(x->name, y->name);
		CHECK_STREQ(x->address, y->address);
		CHECK(streq_ptr(x->slot, y->slot) && streq_ptr(x->path, y->path) &&
		      streq_ptr(x->serial, y->serial));
		CHECK(x->vendor == y->vendor && x->device == y->device &&
		      x->subsys_vendor == y->subsys_vendor && x->subsys_device == y->subsys_device);
		CHECK(x->class_value == y->class_value && x->class_digits == y->class_digits);
		CHECK_STREQ(x->driver, y->driver);
		CHECK(x->group == y->group && x->match == y->match);
		CHECK(streq_ptr(x->owner, y->owner));
		for (int k = 0; k < _KEY_MAX; k++)
			CHECK(!x->key_line[k] == !y->key_line[k]);
	}
	{
		json_object *j = config_entry_to_json(&a.entries[0]);
		CHECK_STREQ(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
			    "{\"name\":\"x\",\"file\":\"t.conf\",\"line\":1,\"address\":\"0000:03:"
			    "00.0\","
			    "\"slot\":\"4\",\"path\":\"0000:00:1c.0\\/00.0\",\"vendor\":\"8086\","
			    "\"device\":\"10d3\",\"subsystem\":\"8086:a01f\",\"class\":\"02\","
			    "\"serial\":\"00-1b-21-ff-ff-6b-8e-5c\",\"driver\":\"vfio-pci\","
			    "\"group\":true,\"match\":\"all\",\"vfs\":null,\"vf_driver\":null}");
		json_object_put(j);
	}
	config_done(&a);
	config_done(&b);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* config_load with a fresh error pointer: the loader sets it, the caller frees it. */
static int load(char *const *files, size_t n, struct config *c, char **err)
{
	free(*err);
	*err = NULL;
	return config_load(files, n, c, err);
}

/* The directory: *.conf in byte order, dot files and other names ignored, a link to /dev/null
 * masks, a broken file stops everything. */
static void test_load_dir(void)
{
	char tmpl[] = "/tmp/devown-test-config.XXXXXX";
	char *root = mkdtemp(tmpl);
	_cleanup_free_ char *dir = NULL, *err = NULL;
	char *p;
	struct config c = { 0 };

	CHECK(root != NULL);
	setenv("DEVOWN_ROOT", root, 1);
	dir = config_dir();
	CHECK(startswith(dir, root));
	CHECK(endswith(dir, DEVOWN_SYSCONFDIR "/devown"));

	/* No directory: an empty configuration. */
	CHECK(load(NULL, 0, &c, &err) == 0);
	CHECK(c.n_entries == 0 && c.files == NULL);
	config_done(&c);

	p = xasprintf("mkdir -p '%s'", dir);
	CHECK(system(p) == 0);
	free(p);
#define F(name, text)                                                    \
	do {                                                             \
		_cleanup_free_ char *_p = xasprintf("%s/%s", dir, name); \
		write_file(_p, text);                                    \
	} while (0)
	F("20-b.conf", "[device b]\naddress=02:00.0\ndriver=vfio\n");
	F("10-a.conf", "[device a]\naddress=01:00.0\ndriver=vfio\n");
	F("Z-upper.conf", "[device z]\naddress=05:00.0\ndriver=vfio\n");
	F(".hidden.conf", "garbage\n");
	F("30-c.conf.bak", "garbage\n");
	F("README", "garbage\n");
	F("40-masked.conf", "garbage\n");
	p = xasprintf("%s/40-masked.conf", dir);
	unlink(p);
	CHECK(symlink("/dev/null", p) == 0);
	free(p);
	CHECK(load(NULL, 0, &c, &err) == 0);
	CHECK(c.n_entries == 3);
	if (c.n_entries == 3) {
		/* Byte order: "10-" < "20-" < "Z-" ("Z" is 0x5a, after the digits). */
		CHECK_STREQ(c.entries[0].name, "a");
		CHECK_STREQ(c.entries[1].name, "b");
		CHECK_STREQ(c.entries[2].name, "z");
	}
	CHECK(strv_length(c.files) == 4);
	config_done(&c);

	/* A broken file anywhere: the error names it, nothing is loaded. */
	F("25-broken.conf", "[device c]\naddress=03:00.0\ndriver=vfio\nfoo=bar\n");
	CHECK(load(NULL, 0, &c, &err) == -EINVAL);
	CHECK_CONTAINS(err, "25-broken.conf:4: unknown key 'foo'");
	CHECK(c.n_entries == 0 && c.entries == NULL);
	p = xasprintf("%s/25-broken.conf", dir);
	unlink(p);
	free(p);

	/* A NUL byte. */
	p = xasprintf("%s/26-nul.conf", dir);
	{
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		CHECK(write(fd, "[device n]\0\n", 12) == 12);
		close(fd);
	}
	CHECK(load(NULL, 0, &c, &err) == -EINVAL);
	CHECK_CONTAINS(err, "26-nul.conf: contains a NUL byte");
	unlink(p);
	free(p);

	/* A directory named *.conf. */
	p = xasprintf("%s/27-dir.conf", dir);
	CHECK(mkdir(p, 0755) == 0);
	CHECK(load(NULL, 0, &c, &err) == -EINVAL);
	CHECK_CONTAINS(err, "27-dir.conf: not a regular file");
	rmdir(p);
	free(p);

	/* Named files: in the order given, a missing one is an error. */
	{
		_cleanup_free_ char *a = xasprintf("%s/20-b.conf", dir),
				    *b = xasprintf("%s/10-a.conf", dir),
				    *m = xasprintf("%s/missing.conf", dir);
		char *files[] = { a, b };
		char *missing[] = { a, m };
		CHECK(load(files, 2, &c, &err) == 0);
		CHECK(c.n_entries == 2 && streq(c.entries[0].name, "b"));
		config_done(&c);
		CHECK(load(missing, 2, &c, &err) == -ENOENT);
		CHECK_CONTAINS(err, "missing.conf: cannot open it: No such file or directory");
	}
	p = xasprintf("rm -rf '%s'", root);
	CHECK(system(p) == 0);
	free(p);
	unsetenv("DEVOWN_ROOT");
}

/* ---- resolving on a hand-built host ----
 * group 1: 00:1c.0 (root port, bridge)     group 2: 03:00.0 e1000e 8086:10d3
 * group 3: 04:00.0 nouveau 10de:1eb8 and 04:00.1 snd_hda_intel 10de:10f8
 * group 4: 05:00.0 e1000e 8086:10d3 (a twin of 03:00.0 in another slot) */
static struct host h;
static struct device devs[5];
static struct group groups[4];
static struct device_ident ids[5];

static void set_dev(size_t i, const char *addr, const char *driver, unsigned v, unsigned d,
		    unsigned cls, int group, const char *path, const char *slot, const char *serial)
{
	struct device *x = &devs[i];
	memset(x, 0, sizeof(*x));
	snprintf(x->addr, sizeof(x->addr), "%s", addr);
	x->vendor_id = v;
	x->device_id = d;
	x->subsys_vendor_id = v;
	x->subsys_device_id = 0x1234;
	x->class_id = cls;
	x->ids_known = true;
	x->driver = (char *)driver;
	x->group = group;
	x->bridge = class_is_bridge(cls);
	ids[i] = (struct device_ident){
		.dev = x, .path = (char *)path, .slot = (char *)slot, .serial = (char *)serial
	};
}

static void setup_host(void)
{
	set_dev(0, "0000:00:1c.0", "pcieport", 0x8086, 0xa110, 0x060400, 1, "0000:00:1c.0", NULL,
		NULL);
	set_dev(1, "0000:03:00.0", "e1000e", 0x8086, 0x10d3, 0x020000, 2, "0000:00:1c.0/00.0", "4",
		"00-1b-21-ff-ff-6b-8e-5c");
	set_dev(2, "0000:04:00.0", "nouveau", 0x10de, 0x1eb8, 0x030000, 3, "0000:00:1d.0/00.0",
		NULL, NULL);
	set_dev(3, "0000:04:00.1", "snd_hda_intel", 0x10de, 0x10f8, 0x040300, 3,
		"0000:00:1d.0/00.1", NULL, NULL);
	set_dev(4, "0000:05:00.0", "e1000e", 0x8086, 0x10d3, 0x020000, 4, "0000:00:1e.0/00.0", "5",
		"00-1b-21-ff-ff-6b-8e-99");
	memset(groups, 0, sizeof(groups));
	for (int g = 0; g < 4; g++)
		groups[g].number = g + 1;
	for (size_t i = 0; i < 5; i++) {
		struct group *g = &groups[devs[i].group - 1];
		g->devices = xrealloc(g->devices, (g->n_devices + 1) * sizeof(void *));
		g->devices[g->n_devices++] = &devs[i];
	}
	h.devices = devs;
	h.n_devices = 5;
	h.groups = groups;
	h.n_groups = 4;
}

/* Resolves text; returns the resolver's code, the picks as "ADDR=driver[*]" ('*' for
 * explicit) joined by spaces in *ret, and the error in *err. */
static int resolve(const char *text, const char *only, char **ret, char **err,
		   struct config_result *res_out)
{
	struct config c = { 0 };
	struct config_result res = { 0 };
	char *s = xstrdup("");
	int r;

	free(*err);
	*err = NULL;
	r = config_parse_text(&c, "r.conf", text, err);
	if (r < 0) {
		fprintf(stderr, "parse failed: %s\n", *err);
		*ret = s;
		config_done(&c);
		return r;
	}
	free(*err);
	*err = NULL;
	r = config_resolve(&c, &h, ids, only, &res, err);
	for (size_t i = 0; r == 0 && i < res.n_picks; i++) {
		char *t = xasprintf("%s%s%s=%s%s", s, i ? " " : "", res.picks[i].dev->addr,
				    res.picks[i].entry->driver,
				    res.picks[i].explicit_target ? "*" : "");
		free(s);
		s = t;
	}
	*ret = s;
	if (res_out) {
		/* Keep only what outlives the config: the mismatches. */
		*res_out = (struct config_result){ .mismatches = res.mismatches,
						   .n_mismatches = res.n_mismatches };
		res.mismatches = NULL;
		res.n_mismatches = 0;
	}
	config_result_done(&res);
	config_done(&c);
	return r;
}

static void test_resolve(void)
{
	_cleanup_free_ char *err = NULL;
	char *got = NULL;
	struct config_result res;

#define R(text, only, want_r, want)                                       \
	do {                                                              \
		CHECK(resolve(text, only, &got, &err, NULL) == (want_r)); \
		CHECK_STREQ(got, want);                                   \
		free(got);                                                \
	} while (0)

	/* Address alone; identity alone; path; slot; serial; class prefix. */
	R("[device a]\naddress=03:00.0\ndriver=vfio\n", NULL, 0, "0000:03:00.0=vfio*");
	R("[device a]\nvendor=10de\ndevice=1eb8\ndriver=vfio\n", NULL, 0, "0000:04:00.0=vfio*");
	R("[device a]\npath=0000:00:1e.0/00.0\nvendor=8086\ndriver=vfio\n", NULL, 0,
	  "0000:05:00.0=vfio*");
	R("[device a]\nslot=4\ndriver=none\n", NULL, 0, "0000:03:00.0=none*");
	R("[device a]\nvendor=8086\nserial=00-1b-21-ff-ff-6b-8e-99\ndriver=vfio\n", NULL, 0,
	  "0000:05:00.0=vfio*");
	R("[device a]\nclass=0403\ndriver=vfio\n", NULL, 0, "0000:04:00.1=vfio*");
	R("[device a]\nclass=04\nvendor=10de\ndriver=vfio\n", NULL, 0, "0000:04:00.1=vfio*");
	R("[device a]\nsubsystem=10de:1234\nclass=030000\ndriver=vfio\n", NULL, 0,
	  "0000:04:00.0=vfio*");

	/* Twins: one entry must tell them apart, or say match=all. */
	R("[device a]\nvendor=8086\ndevice=10d3\ndriver=vfio\n", NULL, -EINVAL, "");
	CHECK_CONTAINS(err, "r.conf:1: entry 'a' matches 2 devices (0000:03:00.0, 0000:05:00.0)");
	R("[device a]\nvendor=8086\ndevice=10d3\nmatch=all\ndriver=vfio\n", NULL, 0,
	  "0000:03:00.0=vfio* 0000:05:00.0=vfio*");
	R("[device a]\nvendor=8086\ndevice=10d3\nmatch=optional\ndriver=vfio\n", NULL, -EINVAL, "");

	/* Nothing there. */
	R("[device a]\nvendor=1af4\ndriver=vfio\n", NULL, -EINVAL, "");
	CHECK_CONTAINS(err, "r.conf:1: entry 'a' matches no device: none is vendor=1af4");
	R("[device a]\naddress=09:00.0\ndriver=vfio\n", NULL, -EINVAL, "");
	CHECK_CONTAINS(err, "there is none at address=0000:09:00.0");
	R("[device a]\nvendor=1af4\nmatch=optional\ndriver=vfio\n", NULL, 0, "");
	R("[device a]\nvendor=1af4\nmatch=all\ndriver=vfio\n", NULL, 0, "");

	/* Mismatch: something else at the entry's place is left alone, and is no error. */
	CHECK(resolve("[device a]\naddress=03:00.0\nvendor=10de\ndevice=1eb8\ndriver=vfio\n"
		      "[device b]\naddress=04:00.1\ndriver=vfio\n",
		      NULL, &got, &err, &res) == 0);
	CHECK_STREQ(got, "0000:04:00.1=vfio*");
	free(got);
	CHECK(res.n_mismatches == 1);
	if (res.n_mismatches == 1) {
		_cleanup_free_ char *m = config_mismatch_describe(&res.mismatches[0]);
		CHECK_STREQ(res.mismatches[0].address, "0000:03:00.0");
		CHECK_STREQ(res.mismatches[0].entry, "a");
		CHECK_STREQ(m, "r.conf:1: entry 'a' expects vendor=10de device=1eb8, but "
			       "0000:03:00.0 is vendor=8086 device=10d3 subsystem=8086:1234 "
			       "class=020000; it is left alone");
	}
	config_result_done(&res);
	/* The same by path and by serial. */
	CHECK(resolve("[device a]\npath=0000:00:1c.0/00.0\nserial=00-1b-21-ff-ff-6b-8e-5d\n"
		      "driver=vfio\n",
		      NULL, &got, &err, &res) == 0);
	CHECK_STREQ(got, "");
	free(got);
	CHECK(res.n_mismatches == 1);
	if (res.n_mismatches == 1)
		CHECK_CONTAINS(res.mismatches[0].found, "serial=00-1b-21-ff-ff-6b-8e-5c");
	config_result_done(&res);

	/* group=yes takes the group; the explicit pick keeps its entry. */
	R("[device g]\nvendor=10de\ndevice=1eb8\ngroup=yes\ndriver=vfio\n", NULL, 0,
	  "0000:04:00.0=vfio* 0000:04:00.1=vfio");
	R("[device a]\naddress=04:00.1\ndriver=vfio\n[device g]\naddress=04:00.0\ngroup=yes\n"
	  "driver=vfio\n",
	  NULL, 0, "0000:04:00.0=vfio* 0000:04:00.1=vfio*");
	/* Two drivers for one device. */
	R("[device a]\naddress=04:00.1\ndriver=none\n[device g]\naddress=04:00.0\ngroup=yes\n"
	  "driver=vfio\n",
	  NULL, -EINVAL, "");
	CHECK_CONTAINS(err, "r.conf:4: entry 'g' gives 0000:04:00.1 driver vfio, but entry 'a' "
			    "(r.conf:1) gives it driver none (group=yes");
	R("[device a]\naddress=03:00.0\ndriver=vfio\n[device b]\nslot=4\ndriver=vfio\n", NULL, 0,
	  "0000:03:00.0=vfio*");

	/* --device: only the entries that concern it; the others' problems do not count. */
	R("[device g]\naddress=04:00.0\ngroup=yes\ndriver=vfio\n[device x]\nvendor=1af4\n"
	  "driver=vfio\n",
	  "0000:04:00.1", 0, "0000:04:00.0=vfio* 0000:04:00.1=vfio");
	R("[device g]\naddress=04:00.0\ngroup=yes\ndriver=vfio\n", "0000:03:00.0", 0, "");
	CHECK(resolve("[device a]\naddress=03:00.0\nvendor=10de\ndriver=vfio\n", "0000:03:00.0",
		      &got, &err, &res) == 0);
	CHECK(res.n_mismatches == 1);
	free(got);
	config_result_done(&res);

	/* An unreadable serial number where it decides. */
	ids[1].serial = NULL;
	ids[1].serial_error = -EACCES;
	R("[device a]\nvendor=8086\ndevice=10d3\nserial=00-1b-21-ff-ff-6b-8e-5c\ndriver=vfio\n",
	  NULL, -EACCES, "");
	CHECK_CONTAINS(err, "r.conf:4: cannot read the serial number of 0000:03:00.0");
	/* ... but not where the other keys already rule the device out. */
	R("[device a]\nvendor=10de\ndevice=1eb8\nserial=00-1b-21-ff-ff-6b-8e-5c\nmatch=optional\n"
	  "driver=vfio\n",
	  NULL, 0, "");
#undef R
	for (int g = 0; g < 4; g++)
		free(groups[g].devices);
}

/* vfs= and vf_driver= of an SR-IOV PF's entry: values, the rules that tie them to driver=, and
 * the way back through the formatter. */
static void test_sriov_keys(void)
{
	static const struct {
		const char *text;
		const char *says; /* NULL: accepted */
	} cases[] = {
		{ "[device p]\nvendor=8086\ndriver=igb\nvfs=4\nvf_driver=vfio\n", NULL },
		{ "[device p]\nvendor=8086\ndriver=igb\nvfs=0\n", NULL },
		{ "[device p]\nvendor=8086\ndriver=igb\nvfs=-1\n", "t.conf:4: invalid vfs '-1'" },
		{ "[device p]\nvendor=8086\ndriver=igb\nvfs=4x\n", "t.conf:4: invalid vfs '4x'" },
		{ "[device p]\nvendor=8086\ndriver=igb\nvfs=65536\n", "t.conf:4: invalid vfs" },
		{ "[device p]\nvendor=8086\ndriver=igb\nvf_driver=vfio\n",
		  "t.conf:4: entry 'p' has vf_driver= but no vfs=" },
		{ "[device p]\nvendor=8086\ndriver=igb\nvfs=2\nvf_driver=none\n",
		  "t.conf:5: invalid vf_driver 'none'" },
		{ "[device p]\nvendor=8086\ndriver=igb\nvfs=2\nvf_driver=a/b\n",
		  "t.conf:5: invalid vf_driver 'a/b'" },
		{ "[device p]\nvendor=8086\ndriver=vfio\nvfs=2\n",
		  "t.conf:4: entry 'p' has vfs= but driver=vfio" },
		{ "[device p]\nvendor=8086\ndriver=none\nvfs=2\n",
		  "t.conf:4: entry 'p' has vfs= but driver=none" },
		{ "[device p]\nvendor=8086\ndriver=igb\nmatch=all\nvfs=2\n",
		  "t.conf:5: entry 'p' has vfs= with match=all" },
	};
	struct config a = { 0 }, b = { 0 };
	_cleanup_free_ char *err = NULL, *buf = NULL;
	size_t len = 0;
	FILE *f;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct config c = { 0 };
		int r = parse(&c, cases[i].text, &err);
		if (!cases[i].says)
			CHECK(r == 0);
		else {
			CHECK(r == -EINVAL && c.n_entries == 0);
			CHECK_CONTAINS(err, cases[i].says);
		}
		config_done(&c);
	}
	CHECK(parse(&a, cases[0].text, &err) == 0);
	CHECK(a.n_entries == 1 && config_entry_has(&a.entries[0], KEY_VFS) &&
	      a.entries[0].vfs == 4);
	CHECK_STREQ(a.entries[0].vf_driver, "vfio");
	CHECK(a.entries[0].key_line[KEY_VFS] == 4 && a.entries[0].key_line[KEY_VF_DRIVER] == 5);
	f = open_memstream(&buf, &len);
	config_entry_format(&a.entries[0], f);
	fclose(f);
	CHECK_CONTAINS(buf, "driver=igb\nvfs=4\nvf_driver=vfio\n");
	CHECK(config_parse_text(&b, "again.conf", buf, &err) == 0);
	CHECK(b.n_entries == 1 && b.entries[0].vfs == 4);
	CHECK(b.n_entries == 1 && streq_ptr(b.entries[0].vf_driver, "vfio"));
	{
		json_object *j = config_entry_to_json(&a.entries[0]);
		CHECK_CONTAINS(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
			       "\"vfs\":4,\"vf_driver\":\"vfio\"}");
		json_object_put(j);
	}
	config_done(&a);
	config_done(&b);
}

int main(void)
{
	test_owner_key();
	test_errors();
	test_sriov_keys();
	test_values();
	test_format_roundtrip();
	/* The directory tests need DEVOWN_ROOT: only a test build honours it (a package build
	 * runs the unit suite without; tests/run-tests.sh always with). */
	if (test_hooks_built())
		test_load_dir();
	else
		printf("not a test build (-Dtest_hooks=false): the configuration directory tests "
		       "need DEVOWN_ROOT and do not run\n");
	setup_host();
	test_resolve();
	return check_done();
}
