/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <sys/socket.h>

#include "kernel-text.h"
#include "util.h"

void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else
			*w++ = *r;
	}
	*w = '\0';
}

int parse_majmin(const char *s, unsigned *major, unsigned *minor)
{
	char end;

	if (!s || sscanf(s, "%u:%u%c", major, minor, &end) != 2)
		return -EINVAL;
	return 0;
}

bool mountinfo_parse_line(const char *line, struct mountinfo_line *ret)
{
	_cleanup_free_ char *copy = xstrdup(line);
	char *f[5], *sep, *save = NULL, *fstype, *source;
	unsigned major, minor;
	size_t i;

	/* The optional fields end at a lone "-"; what follows is fstype, source, options. */
	sep = strstr(copy, " - ");
	if (!sep)
		return false;
	*sep = '\0';
	for (i = 0; i < 5; i++) {
		f[i] = strtok_r(i ? NULL : copy, " ", &save);
		if (!f[i])
			return false;
	}
	if (strspn(f[0], "0123456789") != strlen(f[0]) || strlen(f[0]) > 9 ||
	    parse_majmin(f[2], &major, &minor) < 0 || f[4][0] != '/')
		return false;
	save = NULL;
	fstype = strtok_r(sep + 3, " ", &save);
	source = strtok_r(NULL, " ", &save);
	if (!fstype)
		return false;
	*ret = (struct mountinfo_line){
		.id = atoi(f[0]),
		.major = major,
		.minor = minor,
		.fsroot = xstrdup(f[3]),
		.point = xstrdup(f[4]),
		.fstype = xstrdup(fstype),
		.source = xstrdup(source ? source : ""),
	};
	unescape_octal(ret->fsroot);
	unescape_octal(ret->point);
	unescape_octal(ret->source);
	return true;
}

void mountinfo_line_done(struct mountinfo_line *m)
{
	free(m->fsroot);
	free(m->point);
	free(m->fstype);
	free(m->source);
}

int proc_stat_starttime(const char *text, unsigned long long *ret)
{
	const char *p = text ? strrchr(text, ')') : NULL;
	unsigned long long v;
	char *end;

	if (!p || !strchr(text, '('))
		return -EINVAL;
	p++;
	/* After the command: field 3 (state) ... field 22 (starttime), 20 fields in all. */
	for (int field = 3; field < 22; field++) {
		if (*p != ' ')
			return -EINVAL;
		p += strspn(p, " ");
		p += strcspn(p, " \n");
	}
	if (*p != ' ')
		return -EINVAL;
	p += strspn(p, " ");
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || (*end && *end != ' ' && *end != '\n'))
		return -EINVAL;
	*ret = v;
	return 0;
}

static int limit_value(const char *s, const char **ret_end, unsigned long long *ret)
{
	char *end;

	s += strspn(s, " ");
	if (startswith(s, "unlimited")) {
		*ret = UINT64_MAX;
		*ret_end = s + strlen("unlimited");
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*ret = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	*ret_end = end;
	return 0;
}

int proc_limits_memlock(const char *text, unsigned long long *ret_soft,
			unsigned long long *ret_hard)
{
	static const char key[] = "Max locked memory";
	const char *line = text;

	while (line && *line) {
		if (startswith(line, key) && line[strlen(key)] == ' ') {
			unsigned long long soft, hard;
			const char *p = line + strlen(key);
			if (limit_value(p, &p, &soft) < 0 || *p != ' ' ||
			    limit_value(p, &p, &hard) < 0 || (*p != ' ' && *p != '\n' && *p))
				return -EINVAL;
			*ret_soft = soft;
			*ret_hard = hard;
			return 0;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -ENOENT;
}

bool kallsyms_has_symbol(const char *buf, size_t len, const char *name, bool at_eof)
{
	const char *p = buf, *end = buf + len;
	size_t n = strlen(name);

	while ((p = memmem(p, (size_t)(end - p), name, n))) {
		const char *after = p + n;
		if (p > buf && p[-1] == ' ' &&
		    (after == end ? at_eof : (*after == '\n' || *after == '\t')))
			return true;
		p++;
	}
	return false;
}

char *uevent_value(char *text, const char *key)
{
	size_t n = strlen(key);
	char *found = NULL;

	for (char *l = text; l && *l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(l, key, n) == 0 && l[n] == '=')
			found = l + n + 1;
		l = nl ? nl + 1 : NULL;
	}
	return found;
}

int rtnl_getaddr_parse(const unsigned char *buf, size_t len, uint32_t seq,
		       void (*add)(void *userdata, const unsigned char addr[4], unsigned prefixlen,
				   int ifindex, const char *label),
		       void *userdata)
{
	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nh = (const void *)buf;
		size_t msglen = nh->nlmsg_len, step = NLMSG_ALIGN(msglen);
		const struct ifaddrmsg *ifa;
		const unsigned char *local = NULL, *address = NULL;
		char label[IF_NAMESIZE] = "";
		size_t off;

		if (msglen < sizeof(struct nlmsghdr) || msglen > len)
			return -EBADMSG;
		if (seq && nh->nlmsg_seq != seq)
			goto next;
		if (nh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);
			if (msglen < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			return e->error < 0 ? e->error : -EPROTO;
		}
		if (nh->nlmsg_type != RTM_NEWADDR || msglen < NLMSG_LENGTH(sizeof(*ifa)))
			goto next;
		ifa = NLMSG_DATA(nh);
		if (ifa->ifa_family != AF_INET)
			goto next;
		off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*ifa)));
		while (off + sizeof(struct rtattr) <= msglen) {
			const struct rtattr *rta = (const void *)(buf + off);
			size_t alen = rta->rta_len;
			if (alen < sizeof(struct rtattr) || off + alen > msglen)
				break;
			if (rta->rta_type == IFA_LOCAL && alen >= RTA_LENGTH(4))
				local = RTA_DATA(rta);
			else if (rta->rta_type == IFA_ADDRESS && alen >= RTA_LENGTH(4))
				address = RTA_DATA(rta);
			else if (rta->rta_type == IFA_LABEL && alen > RTA_LENGTH(0))
				snprintf(label, sizeof(label), "%.*s", (int)(alen - RTA_LENGTH(0)),
					 (const char *)RTA_DATA(rta));
			off += RTA_ALIGN(alen);
		}
		/* On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours. */
		if (local || address)
			add(userdata, local ? local : address, ifa->ifa_prefixlen,
			    (int)ifa->ifa_index, label[0] ? label : NULL);
	next:
		if (step >= len)
			break;
		buf += step;
		len -= step;
	}
	return 0;
}
