/* SPDX-License-Identifier: ISC */
/*
 * smtpd_dns.c: what smtpd asks the DNS (lib/dns.h): the client's name
 * at connect (smtpd_peername_lookup), and the restrictions that need a
 * lookup: reject_unknown_client_hostname,
 * reject_unknown_reverse_client_hostname, reject_unknown_sender_domain,
 * reject_unknown_recipient_domain and reject_rbl_client.  Replies and
 * codes are Postfix's defaults (unknown_client_reject_code 450,
 * unknown_address_reject_code 450, maps_rbl_reject_code 554); a
 * temporary DNS failure always gives a 4xx reply.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "dns.h"
#include "log.h"
#include "smtpd.h"

/* The resolver settings, read once per session. */
static struct dns_conf *
resolver(void)
{
	static struct dns_conf	 conf;
	static int		 state;	/* 0 unread, 1 good, -1 bad */
	struct str		 err = STR_INIT;

	if (state == 0) {
		state = dns_conf_main(&conf, &err) == 0 ? 1 : -1;
		if (state == -1) {
			log_warnx("DNS configuration: %s", err.s);
		}
		str_free(&err);
	}
	return state == 1 ? &conf : NULL;
}

void
smtpd_dns_prepare(void)
{
	(void)resolver();
}

void
smtpd_dns_client(struct smtpd *s)
{
	struct dns_client_name	 cn;
	struct dns_conf		*conf;

	s->name_status = s->reverse_status = DNS_TEMP;
	if ((conf = resolver()) == NULL) {
		return;
	}
	dns_client_name_init(&cn);
	(void)dns_client_name(conf, s->addr, &cn);
	s->name_status = cn.name_status;
	s->reverse_status = cn.reverse_status;
	(void)snprintf(s->name, sizeof(s->name), "%s", cn.name);
	(void)snprintf(s->reverse_name, sizeof(s->reverse_name), "%s",
	    cn.reverse_name);
	if (cn.why.len > 0) {
		log_warnx("%s", cn.why.s);
	}
	dns_client_name_free(&cn);
}

int
smtpd_dns_unknown_client(struct smtpd *s, bool reverse, struct str *reply)
{
	int	status = reverse ? s->reverse_status : s->name_status;

	if (status == DNS_OK) {
		return 0;
	}
	str_catf(reply, "450 4.7.25 Client host rejected: cannot find your "
	    "%shostname, [%s]", reverse ? "reverse " : "", s->addr);
	return -1;
}

int
smtpd_dns_unknown_domain(const char *addr, const char *quoted,
    const char *what, struct str *reply)
{
	struct dns_hosts	 hosts;
	struct dns_conf		*conf;
	const char		*at = strrchr(addr, '@');
	const char		*domain;
	enum dns_status		 st;
	int			 rc = 0;

	if (at == NULL || at[1] == '\0' || at[1] == '[') {
		return 0;
	}
	domain = at + 1;
	if ((conf = resolver()) == NULL) {
		str_catf(reply, "451 4.3.0 <%s>: Temporary lookup failure",
		    quoted);
		return -1;
	}
	dns_hosts_init(&hosts);
	st = dns_mx_hosts(conf, domain, &hosts);
	if (st == DNS_NULLMX) {
		str_catf(reply, "550 5.7.27 <%s>: %s rejected: Domain %s "
		    "does not accept mail (nullMX)", quoted, what, domain);
		rc = -1;
	} else if (st != DNS_OK) {
		/* not found, or not now: 450 either way, as Postfix */
		str_catf(reply, "450 4.1.%d <%s>: %s rejected: Domain not "
		    "found", what[0] == 'S' ? 8 : 2, quoted, what);
		rc = -1;
	}
	dns_hosts_free(&hosts);
	return rc;
}

/* The DNSBL name of addr under zone: 4.3.2.1.zone, or IPv6 nibbles. */
static int
rbl_name(const char *addr, const char *zone, char *out, size_t size)
{
	unsigned char	b[16];
	size_t		i, off = 0;
	int		n;

	if (inet_pton(AF_INET, addr, b) == 1) {
		n = snprintf(out, size, "%u.%u.%u.%u.%s", b[3], b[2], b[1],
		    b[0], zone);
		return n > 0 && (size_t)n < size ? 0 : -1;
	}
	if (inet_pton(AF_INET6, addr, b) != 1) {
		return -1;
	}
	for (i = 16; i > 0; i--) {
		n = snprintf(out + off, size - off, "%x.%x.", b[i - 1] & 15,
		    b[i - 1] >> 4);
		if (n < 0 || (size_t)n >= size - off) {
			return -1;
		}
		off += (size_t)n;
	}
	n = snprintf(out + off, size - off, "%s", zone);
	return n >= 0 && (size_t)n < size - off ? 0 : -1;
}

int
smtpd_dns_rbl(struct smtpd *s, const char *arg, struct str *reply)
{
	struct dns_answer	 ans;
	struct dns_conf		*conf;
	struct str		 zone = STR_INIT, reason = STR_INIT;
	const char		*eq = strchr(arg, '=');
	char			 name[DNS_NAME_SIZE + 80];
	size_t			 i;
	int			 rc = 0;
	bool			 listed = false;

	str_set_mem(&zone, arg, eq != NULL ? (size_t)(eq - arg) :
	    strlen(arg));
	if (rbl_name(s->addr, zone.s, name, sizeof(name)) == -1 ||
	    (conf = resolver()) == NULL) {
		str_free(&zone);
		return 0;
	}
	dns_answer_init(&ans);
	if (dns_lookup(conf, name, DNS_T_A, &ans) == DNS_OK) {
		for (i = 0; i < ans.nrr && !listed; i++) {
			char a[DNS_ADDR_SIZE];

			(void)inet_ntop(AF_INET, ans.rr[i].addr, a, sizeof(a));
			/* zone=127.0.0.2: only that answer lists */
			listed = eq == NULL || strcmp(a, eq + 1) == 0;
		}
	} else if (ans.status == DNS_TEMP) {
		log_warnx("%s: RBL lookup error: %s", name, str_c(&ans.why));
	}
	dns_answer_free(&ans);
	if (listed) {
		dns_answer_init(&ans);
		if (dns_lookup(conf, name, DNS_T_TXT, &ans) == DNS_OK &&
		    ans.txt.len > 0) {
			str_cat(&reason, "; ");
			/* the zone's text, printable and short */
			for (i = 0; i < ans.txt.len && i < 200; i++) {
				int c = (unsigned char)ans.txt.s[i];

				str_cat_char(&reason, c >= 32 && c < 127 ?
				    c : '?');
			}
		}
		dns_answer_free(&ans);
		str_catf(reply, "554 5.7.1 Service unavailable; Client host "
		    "[%s] blocked using %s%s", s->addr, zone.s, str_c(&reason));
		rc = -1;
	}
	str_free(&zone);
	str_free(&reason);
	return rc;
}
