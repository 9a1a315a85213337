/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/dns.c: DNS answers (lib/dns_packet.c) as a name server or a
 * spoofer could send them, and the MX list built from them.
 *
 * The first input byte picks the type asked (A, AAAA, MX, PTR, TXT,
 * CNAME); the rest is the packet.  The ID expected is the packet's own,
 * and the name expected is read from the packet's question when it is
 * plain (else "example.org"), so the fuzzer reaches the records instead
 * of stopping at "not ours".  Checked besides "no crash": an answer
 * taken has a status that parse may give, at most DNS_RR_MAX records,
 * TXT data within DNS_TXT_MAX and its records' offsets inside it, every
 * name given out in text made of letters, digits, '-', '_' and dots
 * only, addresses of records that match their text; after dns_mx_sort
 * the preferences never decrease and a null MX is alone.
 */
#include <arpa/inet.h>

#include "dns.h"
#include "fuzz.h"

static const unsigned	types[] = {
	DNS_T_A, DNS_T_AAAA, DNS_T_MX, DNS_T_PTR, DNS_T_TXT, DNS_T_CNAME,
};

static unsigned long	rnd_state;

static unsigned long
rnd(void)
{
	rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
	return rnd_state >> 16;
}

static void
check_text(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.' || *s == ':')) {
			abort();
		}
	}
}

/* The question's name when it is plain labels of safe bytes. */
static void
question_name(const uint8_t *p, size_t n, char *out, size_t size)
{
	size_t	pos = 12, o = 0, len, i;

	strncpy(out, "example.org", size);
	while (pos < n && p[pos] != 0) {
		len = p[pos];
		if (len > 63 || pos + 1 + len > n || o + len + 2 > size) {
			return;
		}
		if (o > 0) {
			out[o++] = '.';
		}
		for (i = 0; i < len; i++) {
			uint8_t	c = p[pos + 1 + i];

			if (c <= 0x20 || c >= 0x7f || c == '.') {
				strncpy(out, "example.org", size);
				return;
			}
			out[o++] = (char)c;
		}
		pos += 1 + len;
	}
	if (o == 0) {
		return;
	}
	out[o] = '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_answer	ans;
	enum dns_packet_result	r;
	enum dns_status		st;
	char			qname[DNS_NAME_SIZE], text[DNS_ADDR_SIZE];
	unsigned		type, id;
	size_t			i;

	if (size < 1) {
		return 0;
	}
	type = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	data++;
	size--;
	id = size >= 2 ? ((unsigned)data[0] << 8 | data[1]) : 0;
	question_name(data, size, qname, sizeof(qname));
	dns_answer_init(&ans);
	r = dns_packet_parse(data, size, id, qname, type, &ans);
	if (r == DNS_PKT_DONE) {
		if (ans.status != DNS_OK && ans.status != DNS_NXDOMAIN &&
		    ans.status != DNS_NODATA) {
			abort();
		}
		if (ans.nrr > DNS_RR_MAX || ans.txt.len > DNS_TXT_MAX) {
			abort();
		}
		check_text(ans.cname);
		for (i = 0; i < ans.nrr; i++) {
			const struct dns_rr *rr = &ans.rr[i];

			if (rr->type != type) {
				abort();
			}
			check_text(rr->name);
			if (rr->txt_off + rr->txt_len > ans.txt.len) {
				abort();
			}
			if ((type == DNS_T_A || type == DNS_T_AAAA) &&
			    (inet_ntop(type == DNS_T_A ? AF_INET : AF_INET6,
			    rr->addr, text, sizeof(text)) == NULL ||
			    strcmp(text, rr->name) != 0)) {
				abort();
			}
		}
		if (type == DNS_T_MX) {
			rnd_state = size;
			st = dns_mx_sort(&ans, rnd);
			if (st == DNS_NULLMX && ans.nrr != 1) {
				abort();
			}
			for (i = 1; st == DNS_OK && i < ans.nrr; i++) {
				if (ans.rr[i - 1].pref > ans.rr[i].pref ||
				    ans.rr[i].name[0] == '\0') {
					abort();
				}
			}
		}
	} else if (r == DNS_PKT_BAD && ans.why.len == 0) {
		abort();
	}
	dns_answer_free(&ans);
	return 0;
}
