/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who a process is, from its cgroup path. systemd puts every service in a cgroup named after
 * its unit, libvirt puts every QEMU in machine.slice/machine-qemu\x2dID\x2dNAME.scope (systemd
 * escapes '-' in the name as \x2d), and container engines put a container in a scope named
 * after the engine and the container's id. See docs/kernel.md, "Who holds a group".
 */
#include "holder-name.h"
#include "model.h"
#include "util.h"

/* Undoes systemd's unit name escaping (\xNN); other backslashes are kept. */
/* Undoes systemd's unit name escaping (\xNN); other backslashes are kept. */
static char *unit_unescape(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && unhexchar(s[i + 2]) >= 0 &&
		    unhexchar(s[i + 3]) >= 0 && (unhexchar(s[i + 2]) | unhexchar(s[i + 3]))) {
			*o++ = (char)(unhexchar(s[i + 2]) * 16 + unhexchar(s[i + 3]));
			i += 3;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* The cgroup path of the line that tells most: the unified hierarchy ("0::/..."), else the
 * named systemd hierarchy, else the first line. Returns a pointer into text and its length. */
static const char *pick_path(const char *text, size_t *ret_len)
{
	const char *best = NULL, *p = text;
	size_t best_len = 0;
	int best_rank = -1;

	while (p && *p) {
		const char *eol = strchr(p, '\n'), *c1, *c2;
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		int rank = 0;

		c1 = memchr(p, ':', len);
		c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - p)) : NULL;
		if (c2) {
			if (c1 == p + 1 && p[0] == '0' && c2 == c1 + 1)
				rank = 2;
			else if ((size_t)(c2 - c1 - 1) == strlen("name=systemd") &&
				 startswith(c1 + 1, "name=systemd"))
				rank = 1;
			if (rank > best_rank) {
				best_rank = rank;
				best = c2 + 1;
				best_len = len - (size_t)(c2 + 1 - p);
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	*ret_len = best_len;
	return best;
}

static bool all_hex(const char *s, size_t n)
{
	if (n < 12)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

/* "docker-ID.scope", "libpod-ID.scope", "cri-containerd-ID.scope", "crio-ID.scope", or the
 * cgroupfs layouts "/docker/ID" and "/libpod_parent/libpod-ID": "ENGINE ID12". */
static char *container_of(const char *comp, size_t n, const char *parent, size_t pn)
{
	static const struct {
		const char *prefix, *engine;
	} scopes[] = {
		{ "docker-", "docker" },
		{ "libpod-", "podman" },
		{ "cri-containerd-", "containerd" },
		{ "crio-", "cri-o" },
	};
	size_t idn = n;

	if (n > 6 && strncmp(comp + n - 6, ".scope", 6) == 0)
		idn = n - 6;
	for (size_t i = 0; i < ELEMENTSOF(scopes); i++) {
		size_t pl = strlen(scopes[i].prefix);
		if (idn > pl && strncmp(comp, scopes[i].prefix, pl) == 0 &&
		    all_hex(comp + pl, idn - pl))
			return xasprintf("%s %.12s", scopes[i].engine, comp + pl);
	}
	if (parent && pn == strlen("docker") && strncmp(parent, "docker", pn) == 0 &&
	    all_hex(comp, n))
		return xasprintf("docker %.12s", comp);
	return NULL;
}

/* "qemu-ID-NAME" (libvirt's machine name, unescaped) -> "NAME". */
static char *domain_of_machine(const char *m)
{
	const char *p;

	if (!startswith(m, "qemu-"))
		return NULL;
	p = m + strlen("qemu-");
	if (!*p || !strchr("0123456789", *p))
		return NULL;
	p += strspn(p, "0123456789");
	if (*p != '-' || !p[1])
		return NULL;
	return xstrdup(p + 1);
}

void holder_name_parse(const char *text, struct holder_name *ret)
{
	const char *path, *p, *prev = NULL;
	size_t len, prev_n = 0;

	*ret = (struct holder_name){ 0 };
	if (!text)
		return;
	path = pick_path(text, &len);
	if (!path)
		return;
	/* Walk the components; the innermost unit wins, the outermost domain and container. */
	p = path;
	while (p < path + len) {
		const char *slash = memchr(p, '/', (size_t)(path + len - p));
		size_t n = slash ? (size_t)(slash - p) : (size_t)(path + len - p);

		if (n > 0) {
			bool unit = (n > 8 && strncmp(p + n - 8, ".service", 8) == 0) ||
				    (n > 6 && strncmp(p + n - 6, ".scope", 6) == 0);
			if (unit) {
				free(ret->unit);
				ret->unit = xasprintf("%.*s", (int)n, p);
			}
			if (!ret->domain && n >= strlen("machine-.scope") &&
			    startswith(p, "machine-") && strncmp(p + n - 6, ".scope", 6) == 0) {
				_cleanup_free_ char *m = unit_unescape(p + strlen("machine-"),
								       n - strlen("machine-") - 6);
				ret->domain = domain_of_machine(m);
			}
			if (!ret->domain && n > 13 &&
			    strncmp(p + n - 13, ".libvirt-qemu", 13) == 0) {
				_cleanup_free_ char *m = xasprintf("%.*s", (int)(n - 13), p);
				ret->domain = domain_of_machine(m);
			}
			if (!ret->container)
				ret->container = container_of(p, n, prev, prev_n);
			prev = p;
			prev_n = n;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
}

void holder_name_done(struct holder_name *n)
{
	free(n->unit);
	free(n->domain);
	free(n->container);
	*n = (struct holder_name){ 0 };
}

char *holder_name_label(const char *unit, const char *domain, const char *container)
{
	if (domain)
		return xasprintf("libvirt domain %s", domain);
	if (container)
		return xstrdup(container);
	if (unit && !streq(unit, "init.scope"))
		return xasprintf("unit %s", unit);
	return NULL;
}

char *holder_describe(const struct holder *x)
{
	_cleanup_free_ char *label = holder_name_label(x->unit, x->domain, x->container);

	if (label)
		return xasprintf("pid %d (%s, %s)", x->pid, x->command, label);
	return xasprintf("pid %d (%s)", x->pid, x->command);
}
