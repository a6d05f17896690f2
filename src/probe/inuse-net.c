/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * In use for networking: interfaces below a device that are up, carry addresses or routes, or
 * have upper devices (bond, bridge, team, VLAN), and the one devown's own SSH connection runs
 * over. The host's addresses come from /proc/net/if_inet6 and an rtnetlink RTM_GETADDR dump
 * (under DEVOWN_ROOT, the bytes of such a reply from $DEVOWN_ROOT/netlink/RTM_GETADDR, through
 * the same parser), routes from /proc/net/{route,ipv6_route}, connections from SSH_CONNECTION
 * and the sockets of devown's ancestors (/proc/PID/{stat,fd}, /proc/net/{tcp,tcp6}).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "inuse-int.h"
#include "kernel-text.h"
#include "procfs.h"
#include "sysfs.h"
#include "util.h"

#define RTF_UP_FLAG 0x0001 /* <linux/route.h> RTF_UP, same value for IPv4 and IPv6 */
#define RTF6_REJECT 0x0200
#define RTF6_CACHE  0x01000000
#define RTF6_LOCAL  0x80000000U

static void net_error(struct ctx *c, int r, const char *what)
{
	strv_push(&c->net_errors, xasprintf("%s: %s", what, strerror(-r)));
}

static void add_addr(struct ctx *c, int family, const void *addr, unsigned prefix, int ifindex,
		     const char *ifname)
{
	struct addr_entry *a;

	c->addrs = xrealloc(c->addrs, (c->n_addrs + 1) * sizeof(*c->addrs));
	a = &c->addrs[c->n_addrs++];
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(a->addr, addr, family == AF_INET ? 4 : 16);
	a->prefix = prefix;
	a->ifindex = ifindex;
	if (ifname) {
		snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
		a->ifname[strcspn(a->ifname, ":")] = '\0';
	}
}

static void add_route(struct ctx *c, int family, const void *dst, unsigned dst_len,
		      const char *ifname)
{
	struct route_entry *e;

	c->routes = xrealloc(c->routes, (c->n_routes + 1) * sizeof(*c->routes));
	e = &c->routes[c->n_routes++];
	memset(e, 0, sizeof(*e));
	e->family = family;
	memcpy(e->dst, dst, family == AF_INET ? 4 : 16);
	e->dst_len = dst_len;
	snprintf(e->ifname, sizeof(e->ifname), "%s", ifname);
}

static int hex_to_bytes(const char *hex, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* /proc/net/if_inet6: "fd000000000000000000000000000002 04 40 00 82     eth0" */
static void load_if_inet6(struct ctx *c)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r = proc_read_file("net/if_inet6", &text);

	if (r == -ENOENT)
		return; /* IPv6 disabled */
	if (r < 0)
		return net_error(c, r, "IPv6 addresses (/proc/net/if_inet6)");
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char hex[33], name[IF_NAMESIZE];
		unsigned idx, plen, scope, flags;
		unsigned char a[16];
		if (sscanf(l, "%32s %x %x %x %x %15s", hex, &idx, &plen, &scope, &flags, name) !=
			    6 ||
		    strlen(hex) != 32 || hex_to_bytes(hex, a, 16) < 0 || plen > 128)
			continue;
		add_addr(c, AF_INET6, a, plen, (int)idx, name);
	}
}

/* /proc/net/route: the main table, addresses as the host-order print of a __be32. */
static void load_route4(struct ctx *c)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r = proc_read_file("net/route", &text);

	if (r == -ENOENT)
		return;
	if (r < 0)
		return net_error(c, r, "IPv4 routes (/proc/net/route)");
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char name[IF_NAMESIZE];
		unsigned dst, gw, flags, mask;
		uint32_t be;
		unsigned len = 0;
		if (sscanf(l, "%15s %x %x %x %*d %*u %*d %x", name, &dst, &gw, &flags, &mask) != 5)
			continue; /* the header */
		if (!(flags & RTF_UP_FLAG) || streq(name, "*"))
			continue;
		for (uint32_t m = mask; m; m &= m - 1)
			len++;
		be = dst;
		add_route(c, AF_INET, &be, len, name);
	}
}

/* /proc/net/ipv6_route: every table, host and multicast routes included (skipped here). */
static void load_route6(struct ctx *c)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r = proc_read_file("net/ipv6_route", &text);

	if (r == -ENOENT)
		return;
	if (r < 0)
		return net_error(c, r, "IPv6 routes (/proc/net/ipv6_route)");
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char dhex[33], shex[33], nhex[33], name[IF_NAMESIZE];
		unsigned dlen, slen, metric, ref, use, flags;
		unsigned char dst[16];
		if (sscanf(l, "%32s %x %32s %x %32s %x %x %x %x %15s", dhex, &dlen, shex, &slen,
			   nhex, &metric, &ref, &use, &flags, name) != 10 ||
		    hex_to_bytes(dhex, dst, 16) < 0 || dlen > 128)
			continue;
		if (!(flags & RTF_UP_FLAG) || (flags & (RTF6_REJECT | RTF6_CACHE | RTF6_LOCAL)) ||
		    streq(name, "lo") || (dst[0] == 0xff && dlen >= 8))
			continue;
		add_route(c, AF_INET6, dst, dlen, name);
	}
}

static void add_addr4(void *userdata, const unsigned char addr[4], unsigned prefixlen, int ifindex,
		      const char *label)
{
	add_addr(userdata, AF_INET, addr, prefixlen, ifindex, label);
}

static int parse_getaddr(struct ctx *c, const unsigned char *buf, size_t len, uint32_t seq)
{
	return rtnl_getaddr_parse(buf, len, seq, add_addr4, c);
}

static int parse_getaddr_reply(void *userdata, const unsigned char *buf, size_t n, unsigned seq)
{
	return parse_getaddr(userdata, buf, n, seq);
}

/* IPv4 addresses: the one source without a procfs file. The fixture file holds the bytes of
 * the kernel's reply to the same RTM_GETADDR dump, so both go through rtnl_getaddr_parse()
 * (kernel-text.h). */
static void load_addr4(struct ctx *c)
{
	int r;

	if (root_is_fake()) {
		_cleanup_free_ unsigned char *buf = NULL;
		size_t n = 0;

		r = netlink_fixture_read(&buf, &n);
		if (r < 0) {
			if (r != -ENOENT)
				net_error(c, r, "IPv4 addresses (netlink/RTM_GETADDR)");
			return;
		}
		r = parse_getaddr(c, buf, n, 0);
	} else
		r = netlink_dump_getaddr(parse_getaddr_reply, c);
	if (r < 0)
		net_error(c, r, "IPv4 addresses (rtnetlink)");
}

/* ::ffff:a.b.c.d is an IPv4 connection on a dual-stack socket. */
static void unmap_v4(int *family, unsigned char addr[16])
{
	static const unsigned char prefix[12] = { [10] = 0xff, [11] = 0xff };

	if (*family == AF_INET6 && memcmp(addr, prefix, sizeof(prefix)) == 0) {
		memmove(addr, addr + 12, 4);
		*family = AF_INET;
	}
}

/* SSH_CONNECTION="client port server port": the server side is our local address. */

static int parse_inet(const char *s, int *family, unsigned char out[16])
{
	char buf[INET6_ADDRSTRLEN + 16];

	snprintf(buf, sizeof(buf), "%s", s);
	buf[strcspn(buf, "%")] = '\0'; /* zone of a link-local address */
	if (inet_pton(AF_INET, buf, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out) == 1) {
		*family = AF_INET6;
		unmap_v4(family, out);
		return 0;
	}
	return -EINVAL;
}

static void add_conn(struct ctx *c, int family, const unsigned char *local,
		     const unsigned char *peer, const char *how)
{
	size_t n = family == AF_INET ? 4 : 16;
	char text[INET6_ADDRSTRLEN];
	struct conn *x;

	for (size_t i = 0; i < c->n_conns; i++)
		if (c->conns[i].family == family && memcmp(c->conns[i].local, local, n) == 0 &&
		    memcmp(c->conns[i].peer, peer, n) == 0)
			return;
	inet_ntop(family, peer, text, sizeof(text));
	c->conns = xrealloc(c->conns, (c->n_conns + 1) * sizeof(*c->conns));
	x = &c->conns[c->n_conns++];
	memset(x, 0, sizeof(*x));
	x->family = family;
	memcpy(x->local, local, n);
	memcpy(x->peer, peer, n);
	x->label = how ? xasprintf("connection from %s held by %s", text, how)
		       : xasprintf("SSH connection from %s", text);
}

static void load_ssh_env(struct ctx *c)
{
	const char *e = getenv("SSH_CONNECTION");
	char peer[64], local[64]; /* %63s below: an address (46 at most) and slack */
	unsigned char p[16], l[16];
	int fp, fl;

	if (!e || sscanf(e, "%63s %*s %63s", peer, local) != 2)
		return;
	if (parse_inet(peer, &fp, p) < 0 || parse_inet(local, &fl, l) < 0 || fp != fl)
		return;
	add_conn(c, fl, l, p, NULL);
}

/* "0100007F:0016" (IPv4) or 32 hex digits (IPv6): 32-bit words printed in host order. */
static int parse_tcp_addr(const char *hex, int *family, unsigned char out[16])
{
	size_t n = strlen(hex);

	if (n != 8 && n != 32)
		return -EINVAL;
	for (size_t i = 0; i < n / 8; i++) {
		char word[9];
		uint32_t v;
		memcpy(word, hex + 8 * i, 8);
		word[8] = '\0';
		if (strspn(word, "0123456789abcdefABCDEF") != 8)
			return -EINVAL;
		v = (uint32_t)strtoul(word, NULL, 16);
		memcpy(out + 4 * i, &v, 4);
	}
	*family = n == 8 ? AF_INET : AF_INET6;
	unmap_v4(family, out);
	return 0;
}

struct sock_owner {
	unsigned long inode;
	char *who; /* "sshd (pid 812)" */
};

/* Adds the sockets process pid has open. */
static void process_sockets(const char *pid, const char *comm, struct sock_owner **socks,
			    size_t *n_socks)
{
	_cleanup_free_ char *dir = xasprintf("%s/fd", pid);
	_cleanup_close_ int fd = proc_open_dir(dir);
	_cleanup_strv_free_ char **fds = NULL;

	if (fd < 0 || list_dir_at(fd, ".", &fds) < 0)
		return;
	for (size_t i = 0; fds[i]; i++) {
		char target[64];
		unsigned long inode;
		ssize_t n = readlinkat(fd, fds[i], target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (sscanf(target, "socket:[%lu]", &inode) != 1)
			continue;
		*socks = xrealloc(*socks, (*n_socks + 1) * sizeof(**socks));
		(*socks)[(*n_socks)++] = (struct sock_owner){
			.inode = inode,
			.who = xasprintf("%s (pid %s)", comm, pid),
		};
	}
}

/* Reads /proc/PID/stat: the command and the parent's pid. */
static int process_parent(const char *pid, char *comm, size_t size, int *ppid)
{
	_cleanup_free_ char *path = xasprintf("%s/stat", pid);
	_cleanup_free_ char *stat = NULL;
	const char *open_paren, *close_paren;
	int r = proc_read_text(path, &stat);

	if (r < 0)
		return r;
	/* "812 (sshd: admin@pts/0) S 790 ...": the command may hold spaces and parentheses. */
	open_paren = strchr(stat, '(');
	close_paren = strrchr(stat, ')');
	if (!open_paren || !close_paren || close_paren < open_paren ||
	    sscanf(close_paren + 1, " %*c %d", ppid) != 1)
		return -EINVAL;
	snprintf(comm, size, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
	return 0;
}

/* Established TCP connections of devown's ancestors: a handful of /proc/PID reads up the
 * parent chain (not a /proc scan), then /proc/net/tcp and tcp6 for the sockets found. */
static void load_ancestor_conns(struct ctx *c)
{
	struct sock_owner *socks = NULL;
	size_t n_socks = 0;
	char pid[32] = "self";

	for (int depth = 0; depth < 32; depth++) {
		char comm[64];
		int ppid;

		if (process_parent(pid, comm, sizeof(comm), &ppid) < 0)
			break;
		if (!streq(pid, "self"))
			process_sockets(pid, comm, &socks, &n_socks);
		if (ppid <= 1)
			break;
		snprintf(pid, sizeof(pid), "%d", ppid);
	}

	for (int v6 = 0; socks && v6 <= 1; v6++) {
		_cleanup_free_ char *text = NULL;
		char *save = NULL;
		if (proc_read_file(v6 ? "net/tcp6" : "net/tcp", &text) < 0)
			continue;
		/* "0: 0A00020F:0016 0700710B:C386 01 00000000:00000000 00:00000000 00000000
		 *  0 0 31337 ...": local, remote, state, queues, timer, retransmits, uid, timeout,
		 * inode. */
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char lhex[33], rhex[33];
			unsigned lport, rport, state;
			unsigned long inode;
			unsigned char local[16], peer[16];
			int fl, fr;
			if (sscanf(l,
				   " %*u: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x %*x:%*x %*x:%*x "
				   "%*x %*u %*d %lu",
				   lhex, &lport, rhex, &rport, &state, &inode) != 6 ||
			    state != 1 /* TCP_ESTABLISHED */ ||
			    parse_tcp_addr(lhex, &fl, local) < 0 ||
			    parse_tcp_addr(rhex, &fr, peer) < 0 || fl != fr)
				continue;
			for (size_t i = 0; i < n_socks; i++)
				if (socks[i].inode == inode) {
					add_conn(c, fl, local, peer, socks[i].who);
					break;
				}
		}
	}
	for (size_t i = 0; i < n_socks; i++)
		free(socks[i].who);
	free(socks);
}

void load_net(struct ctx *c)
{
	if (c->net_loaded)
		return;
	c->net_loaded = true;
	load_addr4(c);
	load_if_inet6(c);
	load_route4(c);
	load_route6(c);
	load_ssh_env(c);
	load_ancestor_conns(c);
}

/* ---- what lies below each device ----
 *
 * Rather than walking every PCI device's directory (thousands on big hosts), start from the
 * kernel's own indexes: every network interface is in /sys/class/net, every block device
 * (partitions and hidden NVMe path devices included) in /sys/class/block, and every other
 * device with a device number in /sys/dev/char. Their links lead into /sys/devices; the last
 * path component that names a PCI device is the device it belongs to, however deep below
 * (ADDR/usb1/1-1/.../host6/target6:0:0/6:0:0:0/block/sdb). The cost grows with the number of
 * interfaces and nodes, not with the number of PCI functions. */

void netif_done(struct netif *n)
{
	free(n->name);
	free(n->master);
	strv_free(n->uppers);
}

/* Reads an interface's directory: flags (IFF_UP), ifindex, master, upper_* links. */
static bool netif_load(const char *name, struct netif *ret)
{
	_cleanup_close_ int fd = open_class("class/net", name);
	_cleanup_strv_free_ char **ents = NULL;
	unsigned flags = 0;
	int idx = 0;

	memset(ret, 0, sizeof(*ret));
	ret->name = xstrdup(name);
	if (fd < 0)
		return false;
	ret->up = read_uint_at(fd, "flags", &flags) >= 0 && (flags & IFF_UP);
	if (read_int_at(fd, "ifindex", &idx) >= 0 && idx > 0)
		ret->ifindex = idx;
	if (read_link_base_at(fd, "master", &ret->master) < 0)
		ret->master = NULL;
	if (list_dir_at(fd, ".", &ents) >= 0)
		for (size_t i = 0; ents[i]; i++)
			if (startswith(ents[i], "upper_") && ents[i][6])
				strv_push(&ret->uppers, xstrdup(ents[i] + 6));
	if (ret->master && !strv_contains(ret->uppers, ret->master))
		strv_push(&ret->uppers, xstrdup(ret->master));
	return true;
}

void collect_net(struct host *h, struct found *f)
{
	_cleanup_strv_free_ char **names = NULL, **links = NULL;

	if (list_class("class/net", &names, &links) < 0)
		return;
	for (size_t i = 0; names[i]; i++) {
		struct device *d = link_owner(h, links[i]);
		struct found *x;
		if (!d)
			continue;
		x = &f[d - h->devices];
		x->ifs = xrealloc(x->ifs, (x->n_ifs + 1) * sizeof(struct netif));
		netif_load(names[i], &x->ifs[x->n_ifs++]);
	}
}

/* ---- network findings ---- */

static bool addr_on(const struct addr_entry *a, const struct netif *n)
{
	if (a->ifindex > 0 && n->ifindex > 0)
		return a->ifindex == n->ifindex;
	return a->ifname[0] && streq(a->ifname, n->name);
}

static char *format_prefix(int family, const unsigned char *addr, unsigned len)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(family, addr, buf, sizeof(buf));
	return xasprintf("%s/%u", buf, len);
}

static bool prefix_match(int family, const unsigned char *net, unsigned len, const unsigned char *a)
{
	unsigned bytes = len / 8, bits = len % 8, max = family == AF_INET ? 32 : 128;

	if (len > max || memcmp(net, a, bytes) != 0)
		return false;
	if (bits) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits));
		return (net[bytes] & mask) == (a[bytes] & mask);
	}
	return true;
}

/* The interface a packet to the connection's peer leaves by: longest matching prefix. */
static const char *route_to_peer(const struct ctx *c, const struct conn *x)
{
	const struct route_entry *best = NULL;

	for (size_t i = 0; i < c->n_routes; i++) {
		const struct route_entry *r = &c->routes[i];
		if (r->family != x->family || !prefix_match(r->family, r->dst, r->dst_len, x->peer))
			continue;
		if (!best || r->dst_len > best->dst_len)
			best = r;
	}
	return best ? best->ifname : NULL;
}

/* The connection runs over one of these interfaces: it carries the local address, or the
 * route back to the peer leaves by it (every interface has a route to fe80::/64, so that one
 * says nothing). */
static bool conn_over(const struct ctx *c, const struct conn *x, const struct netif *chain,
		      size_t n_chain)
{
	bool link_local =
		x->family == AF_INET6 && x->peer[0] == 0xfe && (x->peer[1] & 0xc0) == 0x80;
	const char *peer_if = link_local ? NULL : route_to_peer(c, x);

	for (size_t i = 0; i < n_chain; i++) {
		if (peer_if && streq(peer_if, chain[i].name))
			return true;
		for (size_t k = 0; k < c->n_addrs; k++) {
			const struct addr_entry *a = &c->addrs[k];
			if (a->family == x->family && addr_on(a, &chain[i]) &&
			    memcmp(a->addr, x->local, a->family == AF_INET ? 4 : 16) == 0)
				return true;
		}
	}
	return false;
}

void net_finding(struct ctx *c, struct device *d, const struct netif *nif)
{
	struct netif *chain = NULL; /* the interface, then every upper device, breadth first */
	size_t n_chain = 0;
	char **addrs = NULL, **routes = NULL, **uppers = NULL, **parts = NULL;
	bool def = false;
	char **own = NULL; /* labels of the connections that run over it */
	struct in_use *u;
	_cleanup_free_ char *addr_text = NULL, *detail = NULL;

	chain = xcalloc(1, sizeof(*chain));
	chain[0] = *nif; /* borrowed: not freed below */
	n_chain = 1;
	for (size_t i = 0; i < n_chain && n_chain < 16; i++)
		for (size_t k = 0; chain[i].uppers && chain[i].uppers[k]; k++) {
			const char *up = chain[i].uppers[k];
			if (streq(up, nif->name) || strv_contains(uppers, up))
				continue;
			strv_push(&uppers, xstrdup(up));
			chain = xrealloc(chain, (n_chain + 1) * sizeof(*chain));
			netif_load(up, &chain[n_chain++]);
		}

	for (size_t i = 0; i < c->n_conns; i++)
		if (conn_over(c, &c->conns[i], chain, n_chain))
			strv_push(&own, xstrdup(c->conns[i].label));
	for (size_t i = 0; i < n_chain; i++) {
		for (size_t k = 0; k < c->n_addrs; k++) {
			const struct addr_entry *a = &c->addrs[k];
			if (!addr_on(a, &chain[i]))
				continue;
			strv_push(&addrs, format_prefix(a->family, a->addr, a->prefix));
		}
		for (size_t k = 0; k < c->n_routes; k++) {
			const struct route_entry *r = &c->routes[k];
			char *s;
			if (!streq(r->ifname, chain[i].name))
				continue;
			/* fe80::/64 comes with every IPv6 interface */
			if (r->family == AF_INET6 && r->dst[0] == 0xfe &&
			    (r->dst[1] & 0xc0) == 0x80)
				continue;
			if (r->dst_len == 0)
				def = true;
			s = format_prefix(r->family, r->dst, r->dst_len);
			if (strv_contains(routes, s))
				free(s);
			else
				strv_push(&routes, s);
		}
	}

	if (nif->up || addrs || routes || uppers) {
		strv_push(&parts, xstrdup(nif->up ? "up" : "down"));
		if (nif->master)
			strv_push(&parts, xasprintf("enslaved to %s", nif->master));
		for (size_t i = 0; uppers && uppers[i]; i++)
			if (!streq_ptr(uppers[i], nif->master))
				strv_push(&parts, xasprintf("below %s", uppers[i]));
		if (def)
			strv_push(&parts, xstrdup("default route"));
		if (addrs) {
			addr_text = strv_join(addrs, " ");
			strv_push(&parts, xstrdup(addr_text));
		} else if (routes)
			strv_push(&parts, xasprintf("%zu route%s", strv_length(routes),
						    strv_length(routes) == 1 ? "" : "s"));
		for (size_t i = 0; own && own[i]; i++)
			strv_push(&parts, xstrdup(own[i]));
		detail = strv_join(parts, ", ");
		u = inuse_add(d, "net", nif->name, detail);
		u->up = nif->up;
		u->default_route = def;
		u->own_connection = own != NULL;
		u->addresses = addrs ? TAKE_PTR(addrs) : xcalloc(1, sizeof(char *));
		u->routes = routes ? TAKE_PTR(routes) : xcalloc(1, sizeof(char *));
		u->uppers = TAKE_PTR(uppers);
		u->master = nif->master ? xstrdup(nif->master) : NULL;
	} else if (c->net_errors) {
		/* Down, without IPv6 addresses or uppers: only an IPv4 address we could not
		 * read would make it a use. */
		_cleanup_free_ char *why = strv_join(c->net_errors, "; ");
		_cleanup_free_ char *note =
			xasprintf("net %s: addresses unknown (%s)", nif->name, why);
		inuse_note_unknown(d, note);
	}
	for (size_t i = 1; i < n_chain; i++)
		netif_done(&chain[i]);
	free(chain);
	strv_free(addrs);
	strv_free(routes);
	strv_free(uppers);
	strv_free(parts);
	strv_free(own);
}
