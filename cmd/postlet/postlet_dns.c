/* SPDX-License-Identifier: ISC */
/*
 * postlet_dns.c: `postlet dns TYPE NAME', postlet's DNS stub resolver
 * (lib/dns) from the command line, with main.cf's dns_servers,
 * dns_resolv_conf and inet_protocols: what the smtp client and smtpd
 * would see.
 *
 *	a|aaaa|mx|ptr|txt|cname NAME	the records of one type (CNAMEs
 *			followed); ptr also takes an IP address
 *	hosts DOMAIN	the smtp client's list for mail to DOMAIN: MX hosts
 *			by preference (random among equals), each address,
 *			or the domain's own addresses without MX
 *	host NAME	the addresses of NAME without MX (relayhost=[NAME])
 *	client ADDR	smtpd's client name: PTR, forward-confirmed
 *
 * Output goes to standard output, one record or host per line; a failed
 * lookup prints the status code and text the smtp client would report
 * on standard error, and exits 68 (EX_NOHOST) when permanent, 75
 * (EX_TEMPFAIL) when temporary.  Names from the network are printed
 * only after lib/dns checked them (letters, digits, '-', '_', dots); TXT
 * data is escaped.
 */
#include <arpa/inet.h>

#include <string.h>
#include <sysexits.h>

#include "dns.h"
#include "fd.h"
#include "log.h"
#include "postlet.h"
#include "str.h"

static int	dns_fail(enum dns_status, const struct str *);
static int	dns_records(const struct dns_conf *, unsigned, const char *);
static void	dns_print_hosts(const struct dns_hosts *, bool,
		    struct str *);

static int
dns_fail(enum dns_status st, const struct str *why)
{
	struct str	out = STR_INIT;

	str_catf(&out, "%s: %s %s\n", log_progname(), dns_status_code(st),
	    str_c(why));
	(void)fd_write_all(2, out.s, out.len);
	str_free(&out);
	return dns_status_perm(st) ? EX_NOHOST : EX_TEMPFAIL;
}

static int
dns_records(const struct dns_conf *conf, unsigned type, const char *name)
{
	static const char	 hex[] = "0123456789abcdef";
	struct dns_answer	 ans;
	struct str		 out = STR_INIT;
	unsigned char		 bin[16];
	char			 qname[80];
	size_t			 i, j, n = 0;
	int			 rc = 0, k;

	/* ptr of an address: its in-addr.arpa or ip6.arpa name */
	if (type == DNS_T_PTR && inet_pton(AF_INET, name, bin) == 1) {
		str_catf(&out, "%u.%u.%u.%u.in-addr.arpa", bin[3], bin[2],
		    bin[1], bin[0]);
	} else if (type == DNS_T_PTR && inet_pton(AF_INET6, name, bin) == 1) {
		for (k = 15; k >= 0; k--) {
			qname[n++] = hex[bin[k] & 0xf];
			qname[n++] = '.';
			qname[n++] = hex[bin[k] >> 4];
			qname[n++] = '.';
		}
		str_set_mem(&out, qname, n);
		str_cat(&out, "ip6.arpa");
	} else {
		str_set(&out, name);
	}
	dns_answer_init(&ans);
	if (dns_lookup(conf, str_c(&out), type, &ans) != DNS_OK) {
		rc = dns_fail(ans.status, &ans.why);
		goto out;
	}
	str_clear(&out);
	for (i = 0; i < ans.nrr; i++) {
		const struct dns_rr *rr = &ans.rr[i];

		if (type == DNS_T_MX) {
			str_catf(&out, "%u %s\n", rr->pref,
			    rr->name[0] != '\0' ? rr->name : ".");
		} else if (type == DNS_T_TXT) {
			str_cat_char(&out, '"');
			for (j = 0; j < rr->txt_len; j++) {
				unsigned char c = (unsigned char)
				    ans.txt.s[rr->txt_off + j];

				if (c < 0x20 || c >= 0x7f || c == '"' ||
				    c == '\\') {
					str_catf(&out, "\\%03o", c);
				} else {
					str_cat_char(&out, c);
				}
			}
			str_cat(&out, "\"\n");
		} else {
			str_catf(&out, "%s\n", rr->name);
		}
	}
	if (fd_write_all(1, out.s, out.len) == -1) {
		rc = EX_IOERR;
	}
out:
	dns_answer_free(&ans);
	str_free(&out);
	return rc;
}

static void
dns_print_hosts(const struct dns_hosts *hosts, bool pref, struct str *out)
{
	size_t	i;

	for (i = 0; i < hosts->n; i++) {
		const struct dns_host *h = &hosts->host[i];

		if (pref) {
			str_catf(out, "%u ", h->pref);
		}
		str_catf(out, "%s[%s]\n", h->name, h->addr_text);
	}
}

int
postlet_dns(int argc, char *argv[])
{
	static const char	 usage[] = "usage: postlet dns "
	    "a|aaaa|mx|ptr|txt|cname|hosts|host|client name\n";
	struct dns_conf		 conf;
	struct dns_hosts	 hosts;
	struct dns_client_name	 cn;
	struct str		 err = STR_INIT, out = STR_INIT;
	const char		*what, *name;
	unsigned		 type;
	int			 rc = 0;

	if (argc != 3) {
		(void)fd_write_all(2, usage, sizeof(usage) - 1);
		return EX_USAGE;
	}
	what = argv[1];
	name = argv[2];
	if (dns_conf_main(&conf, &err) == -1) {
		log_error("%s", str_c(&err));
		str_free(&err);
		return EX_CONFIG;
	}
	if (strcmp(what, "hosts") == 0 || strcmp(what, "host") == 0) {
		dns_hosts_init(&hosts);
		if ((what[4] == 's' ? dns_mx_hosts(&conf, name, &hosts) :
		    dns_host_addrs(&conf, name, &hosts)) != DNS_OK) {
			rc = dns_fail(hosts.status, &hosts.why);
		} else {
			dns_print_hosts(&hosts, what[4] == 's', &out);
		}
		dns_hosts_free(&hosts);
	} else if (strcmp(what, "client") == 0) {
		dns_client_name_init(&cn);
		if (dns_client_name(&conf, name, &cn) != DNS_OK) {
			rc = dns_fail(cn.name_status, &cn.why);
		}
		str_catf(&out, "%s[%s]\n", cn.name, name);
		dns_client_name_free(&cn);
	} else if ((type = dns_type_from_name(what)) != 0) {
		rc = dns_records(&conf, type, name);
	} else {
		(void)fd_write_all(2, usage, sizeof(usage) - 1);
		rc = EX_USAGE;
	}
	if (out.len > 0 && fd_write_all(1, out.s, out.len) == -1) {
		rc = EX_IOERR;
	}
	str_free(&out);
	str_free(&err);
	return rc;
}
