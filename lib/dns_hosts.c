/* SPDX-License-Identifier: ISC */
/*
 * dns_hosts.c: the lookups of the smtp client and smtpd on top of
 * dns_lookup (dns.c): the ordered host list for a domain (MX, null MX,
 * implicit MX, address literals), a host's addresses without MX, and the
 * forward-confirmed client name.  The contract is in dns.h.
 *
 * Lists are bounded (DNS_HOSTS_MAX entries).  A host whose lookup fails
 * is skipped while others answer; only when no host has an address does
 * the worst failure decide, temporary before permanent, so one broken MX
 * host never bounces mail another MX host would take.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "dns.h"
#include "dns_int.h"
#include "str.h"

static int	literal_parse(const char *, struct dns_host *);
static void	hosts_reset(struct dns_hosts *);
static void	hosts_add(struct dns_hosts *, const char *, unsigned, int,
		    const unsigned char *);
static enum dns_status host_addrs(const struct dns_conf *, const char *,
		    unsigned, struct dns_hosts *, struct str *);

void
dns_hosts_init(struct dns_hosts *hosts)
{
	memset(hosts, 0, sizeof(*hosts));
	hosts->status = DNS_TEMP;
}

void
dns_hosts_free(struct dns_hosts *hosts)
{
	free(hosts->host);
	str_free(&hosts->why);
	dns_hosts_init(hosts);
}

static void
hosts_reset(struct dns_hosts *hosts)
{
	hosts->n = 0;
	hosts->mx = false;
	hosts->status = DNS_TEMP;
	str_clear(&hosts->why);
}

static void
hosts_add(struct dns_hosts *hosts, const char *name, unsigned pref,
    int family, const unsigned char *addr)
{
	struct dns_host	*h;

	if (hosts->n >= DNS_HOSTS_MAX) {
		return;
	}
	if (hosts->n == hosts->cap) {
		hosts->cap = hosts->cap == 0 ? 4 : hosts->cap * 2;
		hosts->host = xreallocarray(hosts->host, hosts->cap,
		    sizeof(*hosts->host));
	}
	h = &hosts->host[hosts->n++];
	memset(h, 0, sizeof(*h));
	(void)dns_text_copy(h->name, name, sizeof(h->name));
	h->pref = pref;
	h->family = family;
	memcpy(h->addr, addr, family == AF_INET ? 4 : 16);
	(void)inet_ntop(family, addr, h->addr_text, sizeof(h->addr_text));
}

/*
 * "[192.0.2.1]", "[IPv6:2001:db8::1]", "[2001:db8::1]": 1 with h filled,
 * 0 when not bracketed, -1 when malformed.
 */
static int
literal_parse(const char *name, struct dns_host *h)
{
	char	buf[DNS_ADDR_SIZE + 8];
	size_t	len = strlen(name);
	const char *p;

	if (name[0] != '[') {
		return 0;
	}
	if (len < 3 || name[len - 1] != ']' || len - 2 >= sizeof(buf)) {
		return -1;
	}
	memcpy(buf, name + 1, len - 2);
	buf[len - 2] = '\0';
	memset(h, 0, sizeof(*h));
	if (inet_pton(AF_INET, buf, h->addr) == 1) {
		h->family = AF_INET;
		return 1;
	}
	p = strncasecmp(buf, "ipv6:", 5) == 0 ? buf + 5 : buf;
	if (inet_pton(AF_INET6, p, h->addr) == 1) {
		h->family = AF_INET6;
		return 1;
	}
	return -1;
}

/*
 * Add the addresses of host (AAAA, then A, per inet_protocols) with pref.
 * Returns DNS_OK when one was added, else the status to report, with
 * why set.
 */
static enum dns_status
host_addrs(const struct dns_conf *conf, const char *host, unsigned pref,
    struct dns_hosts *hosts, struct str *why)
{
	struct dns_answer	*ans = xmalloc(sizeof(*ans));
	enum dns_status		st, worst = DNS_NODATA;
	unsigned		type;
	size_t			i;
	bool			found = false;
	int			pass;

	dns_answer_init(ans);
	for (pass = 0; pass < 2; pass++) {
		type = pass == 0 ? DNS_T_AAAA : DNS_T_A;
		if ((type == DNS_T_AAAA && !conf->want_inet6) ||
		    (type == DNS_T_A && !conf->want_inet4)) {
			continue;
		}
		st = dns_lookup(conf, host, type, ans);
		if (st == DNS_OK) {
			for (i = 0; i < ans->nrr; i++) {
				hosts_add(hosts, host, pref, type == DNS_T_A ?
				    AF_INET : AF_INET6, ans->rr[i].addr);
			}
			found = true;
			continue;
		}
		/* a temporary failure outweighs a permanent one */
		if (st == DNS_TEMP || worst != DNS_TEMP) {
			str_set_mem(why, str_c(&ans->why), ans->why.len);
			worst = st;
		}
		if (st == DNS_NXDOMAIN || st == DNS_INVAL) {
			break;		/* no other type can exist */
		}
	}
	dns_answer_free(ans);
	free(ans);
	if (found) {
		return DNS_OK;
	}
	return worst;
}

enum dns_status
dns_host_addrs(const struct dns_conf *conf, const char *host,
    struct dns_hosts *hosts)
{
	struct dns_host	lit;
	int		r;

	hosts_reset(hosts);
	r = literal_parse(host, &lit);
	if (r == 1) {
		/* named by its address: Postfix logs 192.0.2.1[192.0.2.1] */
		(void)inet_ntop(lit.family, lit.addr, lit.addr_text,
		    sizeof(lit.addr_text));
		hosts_add(hosts, lit.addr_text, 0, lit.family, lit.addr);
		hosts->status = DNS_OK;
		return DNS_OK;
	}
	if (r == -1) {
		dns_why_set(&hosts->why, host, DNS_T_A, DNS_INVAL);
		hosts->status = DNS_INVAL;
		return DNS_INVAL;
	}
	hosts->status = host_addrs(conf, host, 0, hosts, &hosts->why);
	if (hosts->status == DNS_OK) {
		str_clear(&hosts->why);
	}
	return hosts->status;
}

enum dns_status
dns_mx_hosts(const struct dns_conf *conf, const char *domain,
    struct dns_hosts *hosts)
{
	struct dns_answer	*mx;
	struct dns_host		 lit;
	struct str		 why = STR_INIT;
	enum dns_status		 st, worst = DNS_NODATA;
	char			 safe[DNS_NAME_SIZE];
	size_t			 i;

	if (literal_parse(domain, &lit) != 0) {
		return dns_host_addrs(conf, domain, hosts);
	}
	hosts_reset(hosts);
	mx = xmalloc(sizeof(*mx));
	dns_answer_init(mx);
	st = dns_lookup(conf, domain, DNS_T_MX, mx);
	if (st == DNS_NODATA) {
		/* RFC 5321 5.1: no MX, the domain is its own implicit MX */
		st = dns_host_addrs(conf, domain, hosts);
		goto out;
	}
	if (st == DNS_OK) {
		st = dns_mx_sort(mx, NULL);
	}
	if (st == DNS_NULLMX) {
		dns_name_safe(safe, sizeof(safe), domain);
		str_set(&hosts->why, "");
		str_catf(&hosts->why, "Domain %s does not accept mail (nullMX)",
		    safe);
	}
	if (st != DNS_OK) {
		if (st != DNS_NULLMX) {
			str_set_mem(&hosts->why, str_c(&mx->why), mx->why.len);
		}
		hosts->status = st;
		goto out;
	}
	hosts->mx = true;
	for (i = 0; i < mx->nrr; i++) {
		st = host_addrs(conf, mx->rr[i].name, mx->rr[i].pref, hosts,
		    &why);
		if (st == DNS_TEMP) {
			worst = DNS_TEMP;
			str_set_mem(&hosts->why, str_c(&why), why.len);
		} else if (st != DNS_OK && worst != DNS_TEMP) {
			worst = st;
			str_set_mem(&hosts->why, str_c(&why), why.len);
		}
	}
	st = hosts->n > 0 ? DNS_OK : worst;
	hosts->status = st;
	if (st == DNS_OK) {
		str_clear(&hosts->why);
	}
out:
	dns_answer_free(mx);
	free(mx);
	str_free(&why);
	return st;
}

/*
 * smtpd's client name.
 */

void
dns_client_name_init(struct dns_client_name *cn)
{
	memset(cn, 0, sizeof(*cn));
	(void)dns_text_copy(cn->name, "unknown", sizeof(cn->name));
	(void)dns_text_copy(cn->reverse_name, "unknown",
	    sizeof(cn->reverse_name));
	cn->name_status = cn->reverse_status = DNS_TEMP;
}

void
dns_client_name_free(struct dns_client_name *cn)
{
	str_free(&cn->why);
}

enum dns_status
dns_client_name(const struct dns_conf *conf, const char *addr,
    struct dns_client_name *cn)
{
	static const char	 hex[] = "0123456789abcdef";
	struct dns_answer	*ptr, *fwd;
	unsigned char		 bin[16];
	char			 qname[80], text[DNS_ADDR_SIZE];
	int			 family, i, n = 0;
	size_t			 j, k;
	enum dns_status		 st, worst = DNS_NODATA;

	str_clear(&cn->why);
	(void)dns_text_copy(cn->name, "unknown", sizeof(cn->name));
	(void)dns_text_copy(cn->reverse_name, "unknown",
	    sizeof(cn->reverse_name));
	if (inet_pton(AF_INET, addr, bin) == 1) {
		family = AF_INET;
	} else if (inet_pton(AF_INET6, addr, bin) == 1) {
		family = AF_INET6;
		if (memcmp(bin, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			memmove(bin, bin + 12, 4);
			family = AF_INET;
		}
	} else {
		cn->name_status = cn->reverse_status = DNS_INVAL;
		str_set(&cn->why, "not an IP address");
		return DNS_INVAL;
	}
	(void)inet_ntop(family, bin, text, sizeof(text));
	if (family == AF_INET) {
		snprintf(qname, sizeof(qname), "%u.%u.%u.%u.in-addr.arpa",
		    bin[3], bin[2], bin[1], bin[0]);
	} else {
		for (i = 15; i >= 0; i--) {
			qname[n++] = hex[bin[i] & 0xf];
			qname[n++] = '.';
			qname[n++] = hex[bin[i] >> 4];
			qname[n++] = '.';
		}
		(void)dns_text_copy(qname + n, "ip6.arpa",
		    sizeof(qname) - (size_t)n);
	}
	ptr = xmalloc(sizeof(*ptr));
	fwd = xmalloc(sizeof(*fwd));
	dns_answer_init(ptr);
	dns_answer_init(fwd);
	st = dns_lookup(conf, qname, DNS_T_PTR, ptr);
	if (st != DNS_OK) {
		cn->name_status = cn->reverse_status = st;
		str_set_mem(&cn->why, str_c(&ptr->why), ptr->why.len);
		goto out;
	}
	(void)dns_text_copy(cn->reverse_name, ptr->rr[0].name,
	    sizeof(cn->reverse_name));
	cn->reverse_status = DNS_OK;
	/* a client that controls its reverse zone must not hold smtpd
	 * for many lookups: the first DNS_PTR_NAMES_MAX names only */
	for (j = 0; j < ptr->nrr && j < DNS_PTR_NAMES_MAX; j++) {
		st = dns_lookup(conf, ptr->rr[j].name, family == AF_INET ?
		    DNS_T_A : DNS_T_AAAA, fwd);
		if (st == DNS_TEMP) {
			worst = DNS_TEMP;
		}
		for (k = 0; st == DNS_OK && k < fwd->nrr; k++) {
			if (memcmp(fwd->rr[k].addr, bin, family == AF_INET ?
			    4 : 16) == 0) {
				(void)dns_text_copy(cn->name, ptr->rr[j].name,
				    sizeof(cn->name));
				cn->name_status = DNS_OK;
				st = DNS_OK;
				goto out;
			}
		}
	}
	cn->name_status = worst;
	str_catf(&cn->why, "hostname %s does not resolve to address %s%s",
	    ptr->rr[0].name, text,
	    worst == DNS_TEMP ? ": Host not found, try again" : "");
	st = worst;
out:
	dns_answer_free(ptr);
	dns_answer_free(fwd);
	free(ptr);
	free(fwd);
	return st;
}
