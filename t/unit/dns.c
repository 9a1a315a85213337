/* SPDX-License-Identifier: ISC */
/*
 * dns.c: unit tests for lib/dns (the stub resolver).
 *
 * First the wire format on crafted packets: good answers, every
 * truncation of one, compression pointers (backward, forward, to
 * itself), wrong ID, question mismatch, counts beyond the data, labels
 * over 63, names over 255, RDATA of the wrong length, CNAME chains and
 * loops, NXDOMAIN/NODATA/SERVFAIL/REFUSED, TC, the null MX and the MX
 * order (random among equal preferences, checked statistically).  Then
 * the configuration (resolv.conf, dns_servers).  Then the transport and
 * the high-level lookups against a tiny DNS server forked from this
 * test on 127.0.0.1 (UDP and TCP on one port picked by the kernel): a
 * wrong ID ignored and the right one taken, TC answered over TCP, a
 * timeout, SERVFAIL, NXDOMAIN texts, CNAME chased across queries, MX
 * lists, the implicit MX, the null MX, address literals, PTR with
 * forward confirmation.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "dns.h"
#include "str.h"
#include "tap.h"

/*
 * Building packets.
 */
struct pkt {
	unsigned char	b[70000];
	size_t		n;
};

static void
put8(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (unsigned char)v;
}

static void
put16(struct pkt *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v & 0xff);
}

static void
put32(struct pkt *p, unsigned long v)
{
	put16(p, (unsigned)(v >> 16));
	put16(p, (unsigned)(v & 0xffff));
}

/* A name uncompressed; "" is the root. */
static void
putname(struct pkt *p, const char *name)
{
	const char	*dot;
	size_t		 len;

	while (*name != '\0') {
		dot = strchr(name, '.');
		len = dot != NULL ? (size_t)(dot - name) : strlen(name);
		put8(p, (unsigned)len);
		memcpy(p->b + p->n, name, len);
		p->n += len;
		name += len;
		if (*name == '.') {
			name++;
		}
	}
	put8(p, 0);
}

static void
header(struct pkt *p, unsigned id, unsigned flags, unsigned qd, unsigned an,
    unsigned ns, unsigned ar)
{
	p->n = 0;
	put16(p, id);
	put16(p, flags);
	put16(p, qd);
	put16(p, an);
	put16(p, ns);
	put16(p, ar);
}

/* A response (QR, RD, RA) with one question. */
static void
response(struct pkt *p, unsigned id, unsigned rcode, const char *name,
    unsigned type, unsigned an)
{
	header(p, id, 0x8180 | rcode, 1, an, 0, 0);
	putname(p, name);
	put16(p, type);
	put16(p, 1);
}

/* The owner as a pointer to the question's name (offset 12). */
static size_t
rr_begin(struct pkt *p, unsigned type)
{
	put16(p, 0xc00c);
	put16(p, type);
	put16(p, 1);
	put32(p, 300);
	put16(p, 0);
	return p->n;
}

static size_t
rr_begin_name(struct pkt *p, const char *owner, unsigned type)
{
	putname(p, owner);
	put16(p, type);
	put16(p, 1);
	put32(p, 300);
	put16(p, 0);
	return p->n;
}

static void
rr_end(struct pkt *p, size_t start)
{
	size_t	len = p->n - start;

	p->b[start - 2] = (unsigned char)(len >> 8);
	p->b[start - 1] = (unsigned char)len;
}

static void
rr_a(struct pkt *p, const char *owner, const char *addr)
{
	size_t	s = owner == NULL ? rr_begin(p, DNS_T_A) :
	    rr_begin_name(p, owner, DNS_T_A);

	inet_pton(AF_INET, addr, p->b + p->n);
	p->n += 4;
	rr_end(p, s);
}

static void
rr_name(struct pkt *p, const char *owner, unsigned type, int pref,
    const char *target)
{
	size_t	s = owner == NULL ? rr_begin(p, type) :
	    rr_begin_name(p, owner, type);

	if (pref >= 0) {
		put16(p, (unsigned)pref);
	}
	putname(p, target);
	rr_end(p, s);
}

static const char *
pkt_name(enum dns_packet_result r)
{
	switch (r) {
	case DNS_PKT_DONE:
		return "done";
	case DNS_PKT_FOREIGN:
		return "foreign";
	case DNS_PKT_TRUNC:
		return "trunc";
	default:
		return "bad";
	}
}

static enum dns_packet_result
parse(const struct pkt *p, unsigned id, const char *name, unsigned type,
    struct dns_answer *ans)
{
	return dns_packet_parse(p->b, p->n, id, name, type, ans);
}

static void
test_query(void)
{
	unsigned char	buf[600], want[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
		0, 15, 0, 1,
	};
	char		name[400];
	size_t		n;

	n = dns_packet_query(buf, sizeof(buf), 0x1234, "example.org.", 15);
	is_mem(buf, n, want, sizeof(want), "query: bytes of an MX query");
	memset(name, 'a', sizeof(name));
	name[63] = '\0';
	ok(dns_packet_query(buf, sizeof(buf), 1, name, 1) != 0,
	    "query: label of 63 accepted");
	name[63] = 'a';
	name[64] = '\0';
	is_int(dns_packet_query(buf, sizeof(buf), 1, name, 1), 0,
	    "query: label of 64 refused");
	/* 4 x 63 + 4 dots = 256 chars: 258 in wire form */
	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[255] = '\0';
	is_int(dns_packet_query(buf, sizeof(buf), 1, name, 1), 0,
	    "query: name over 255 refused");
	name[250] = '\0';
	ok(dns_packet_query(buf, sizeof(buf), 1, name, 1) != 0,
	    "query: name of 252 accepted");
	is_int(dns_packet_query(buf, sizeof(buf), 1, "a..b", 1), 0,
	    "query: empty label refused");
	is_int(dns_packet_query(buf, 20, 1, "example.org", 1), 0,
	    "query: short buffer refused");
}

static void
test_answers(void)
{
	struct dns_answer	ans;
	struct pkt		*p = malloc(sizeof(*p));
	size_t			s, i, bad;
	enum dns_packet_result	r;

	dns_answer_init(&ans);

	/* two A records, owners compressed */
	response(p, 7, 0, "host.example", DNS_T_A, 2);
	rr_a(p, NULL, "192.0.2.1");
	rr_a(p, NULL, "192.0.2.2");
	r = parse(p, 7, "host.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "done", "A: parsed");
	is_int(ans.status, DNS_OK, "A: found");
	is_int((long long)ans.nrr, 2, "A: two records");
	is_str(ans.rr[1].name, "192.0.2.2", "A: address text");
	is_str(ans.cname, "host.example", "A: cname is the name asked");
	is_int((long long)ans.rr[0].ttl, 300, "A: ttl");

	/* every truncation of it is refused or ignored, never taken */
	bad = 0;
	for (i = 0; i < p->n; i++) {
		r = dns_packet_parse(p->b, i, 7, "host.example", DNS_T_A, &ans);
		if (r == DNS_PKT_DONE || r == DNS_PKT_TRUNC) {
			bad++;
			diag("taken at length %zu", i);
		}
	}
	is_int((long long)bad, 0, "A: no truncation (%zu lengths) taken",
	    p->n);
	r = dns_packet_parse(p->b, p->n - 1, 7, "host.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "bad", "A: cut in the last record is bad");
	is_str(str_c(&ans.why), "record data truncated",
	    "A: cut in the last record: why");

	/* a question in another case is ours; the case kept as asked */
	r = parse(p, 7, "HOST.Example.", DNS_T_A, &ans);
	is_str(pkt_name(r), "done", "A: question matched in any case");

	/* not ours */
	r = parse(p, 8, "host.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "foreign", "wrong ID ignored");
	r = parse(p, 7, "host.example.org", DNS_T_A, &ans);
	is_str(pkt_name(r), "foreign", "another name ignored");
	r = parse(p, 7, "host.example", DNS_T_AAAA, &ans);
	is_str(pkt_name(r), "foreign", "another type ignored");
	p->b[2] &= 0x7f;
	r = parse(p, 7, "host.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "foreign", "a query (QR clear) ignored");
	p->b[2] |= 0x80;

	/* counts beyond the data */
	p->b[7] = 3;
	r = parse(p, 7, "host.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "bad", "answer count larger than present");
	p->b[7] = 2;
	p->b[11] = 1;
	r = parse(p, 7, "host.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "bad", "additional count larger than present");
	p->b[11] = 0;

	/* trailing junk */
	p->b[p->n++] = 0;
	r = parse(p, 7, "host.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "bad", "junk after the records");
	is_str(str_c(&ans.why), "junk after the last record", "junk: why");

	/* pointer to itself, forward pointer */
	response(p, 7, 0, "host.example", DNS_T_A, 1);
	s = p->n;
	put16(p, 0xc000 | (unsigned)s);
	put16(p, DNS_T_A);
	put16(p, 1);
	put32(p, 1);
	put16(p, 4);
	put32(p, 0xc0000201);
	r = parse(p, 7, "host.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "bad", "pointer to itself");
	p->b[s + 1] = (unsigned char)(s + 2);
	r = parse(p, 7, "host.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "bad", "forward pointer");
	/* a pointer into the question, pointing back to the pointer */
	response(p, 7, 0, "a", DNS_T_A, 1);
	p->b[12] = 0xc0;		/* question name: pointer to 14 */
	p->b[13] = 14;
	r = parse(p, 7, "a", DNS_T_A, &ans);
	is_str(pkt_name(r), "foreign", "loop in the question ignored");
	/* pointer into the middle of a label chain backward: fine */
	response(p, 7, 0, "www.host.example", DNS_T_A, 1);
	put16(p, 0xc000 | 16);	/* owner "host.example": 12 + 1 + 3 */
	put16(p, DNS_T_A);
	put16(p, 1);
	put32(p, 1);
	put16(p, 4);
	put32(p, 0xc0000203);
	r = parse(p, 7, "www.host.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "done", "pointer to a suffix read");
	is_int(ans.status, DNS_NODATA,
	    "record of another owner is not an answer");

	/* label over 63 (0x40 is an extended label type) and name > 255 */
	response(p, 7, 0, "host.example", DNS_T_A, 1);
	put8(p, 64);
	memset(p->b + p->n, 'a', 64);
	p->n += 64;
	put8(p, 0);
	put16(p, DNS_T_A);
	put16(p, 1);
	put32(p, 1);
	put16(p, 4);
	put32(p, 0xc0000201);
	r = parse(p, 7, "host.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "bad", "label over 63");
	response(p, 7, 0, "host.example", DNS_T_A, 1);
	for (i = 0; i < 5; i++) {
		put8(p, 60);
		memset(p->b + p->n, 'a', 60);
		p->n += 60;
	}
	put8(p, 0);
	put16(p, DNS_T_A);
	put16(p, 1);
	put32(p, 1);
	put16(p, 4);
	put32(p, 0xc0000201);
	r = parse(p, 7, "host.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "bad", "name over 255");

	/* RDATA lengths */
	response(p, 7, 0, "host.example", DNS_T_A, 1);
	s = rr_begin(p, DNS_T_A);
	put32(p, 0xc0000201);
	put8(p, 0);
	rr_end(p, s);
	r = parse(p, 7, "host.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "bad", "A record of 5 bytes");
	response(p, 7, 0, "example", DNS_T_MX, 1);
	s = rr_begin(p, DNS_T_MX);
	put16(p, 10);
	putname(p, "mx.example");
	put8(p, 0);
	rr_end(p, s);
	r = parse(p, 7, "example", DNS_T_MX, &ans);
	is_str(pkt_name(r), "bad", "MX name shorter than its RDATA");
	response(p, 7, 0, "example", DNS_T_MX, 1);
	s = rr_begin(p, DNS_T_MX);
	put16(p, 10);
	putname(p, "mx.example");
	rr_end(p, s);
	p->b[s - 1] -= 2;	/* RDATA ends inside the name */
	r = parse(p, 7, "example", DNS_T_MX, &ans);
	is_str(pkt_name(r), "bad", "MX name longer than its RDATA");
	response(p, 7, 0, "example", DNS_T_TXT, 1);
	s = rr_begin(p, DNS_T_TXT);
	put8(p, 5);
	memcpy(p->b + p->n, "abcd", 4);
	p->n += 4;
	rr_end(p, s);
	r = parse(p, 7, "example", DNS_T_TXT, &ans);
	is_str(pkt_name(r), "bad", "TXT string beyond its RDATA");
	response(p, 7, 0, "example", DNS_T_TXT, 1);
	s = rr_begin(p, DNS_T_TXT);
	put8(p, 3);
	memcpy(p->b + p->n, "v=1", 3);
	p->n += 3;
	put8(p, 2);
	memcpy(p->b + p->n, " x", 2);
	p->n += 2;
	rr_end(p, s);
	r = parse(p, 7, "example", DNS_T_TXT, &ans);
	is_str(pkt_name(r), "done", "TXT parsed");
	is_mem(ans.txt.s + ans.rr[0].txt_off, ans.rr[0].txt_len, "v=1 x", 5,
	    "TXT strings joined");

	/* rcodes, TC */
	response(p, 7, 3, "nx.example", DNS_T_A, 0);
	r = parse(p, 7, "nx.example", DNS_T_A, &ans);
	ok(r == DNS_PKT_DONE && ans.status == DNS_NXDOMAIN, "NXDOMAIN");
	response(p, 7, 0, "nx.example", DNS_T_A, 0);
	r = parse(p, 7, "nx.example", DNS_T_A, &ans);
	ok(r == DNS_PKT_DONE && ans.status == DNS_NODATA, "NODATA");
	response(p, 7, 2, "nx.example", DNS_T_A, 0);
	r = parse(p, 7, "nx.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "bad", "SERVFAIL");
	is_str(str_c(&ans.why), "server error (rcode 2: SERVFAIL)",
	    "SERVFAIL: why");
	response(p, 7, 5, "nx.example", DNS_T_A, 0);
	r = parse(p, 7, "nx.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "bad", "REFUSED");
	header(p, 7, 0x8185, 0, 0, 0, 0);
	r = parse(p, 7, "nx.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "bad", "REFUSED without question");
	response(p, 7, 0, "big.example", DNS_T_A, 30);
	p->b[2] |= 0x02;
	r = parse(p, 7, "big.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "trunc", "TC set");

	/* CNAME chains */
	response(p, 7, 0, "www.example", DNS_T_A, 2);
	rr_name(p, NULL, DNS_T_CNAME, -1, "web.example");
	rr_a(p, "web.example", "192.0.2.5");
	r = parse(p, 7, "www.example", DNS_T_A, &ans);
	ok(r == DNS_PKT_DONE && ans.status == DNS_OK && ans.nrr == 1,
	    "CNAME followed in one answer");
	is_str(ans.cname, "web.example", "CNAME: end of the chain");
	is_str(ans.rr[0].name, "192.0.2.5", "CNAME: address of the target");
	response(p, 7, 0, "www.example", DNS_T_A, 1);
	rr_name(p, NULL, DNS_T_CNAME, -1, "web.example");
	r = parse(p, 7, "www.example", DNS_T_A, &ans);
	ok(r == DNS_PKT_DONE && ans.status == DNS_OK && ans.nrr == 0,
	    "CNAME without target: OK, no records, ask again");
	response(p, 7, 3, "www.example", DNS_T_A, 1);
	rr_name(p, NULL, DNS_T_CNAME, -1, "web.example");
	r = parse(p, 7, "www.example", DNS_T_A, &ans);
	ok(r == DNS_PKT_DONE && ans.status == DNS_NXDOMAIN &&
	    strcmp(ans.cname, "web.example") == 0, "CNAME to NXDOMAIN");
	response(p, 7, 0, "a.example", DNS_T_A, 2);
	rr_name(p, NULL, DNS_T_CNAME, -1, "b.example");
	rr_name(p, "b.example", DNS_T_CNAME, -1, "a.example");
	r = parse(p, 7, "a.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "bad", "CNAME loop");
	is_str(str_c(&ans.why), "CNAME loop", "CNAME loop: why");
	response(p, 7, 0, "c0.example", DNS_T_A, 10);
	for (i = 0; i < 10; i++) {
		char	from[32], to[32];

		snprintf(from, sizeof(from), "c%zu.example", i);
		snprintf(to, sizeof(to), "c%zu.example", i + 1);
		rr_name(p, from, DNS_T_CNAME, -1, to);
	}
	r = parse(p, 7, "c0.example", DNS_T_A, &ans);
	is_str(pkt_name(r), "bad", "CNAME chain of 10 refused");
	response(p, 7, 0, "www.example", DNS_T_CNAME, 1);
	rr_name(p, NULL, DNS_T_CNAME, -1, "web.example");
	r = parse(p, 7, "www.example", DNS_T_CNAME, &ans);
	ok(r == DNS_PKT_DONE && ans.nrr == 1 &&
	    strcmp(ans.rr[0].name, "web.example") == 0,
	    "CNAME asked: not followed");

	/* an MX host that is not a host name is skipped */
	response(p, 7, 0, "example", DNS_T_MX, 2);
	rr_name(p, NULL, DNS_T_MX, 10, "bad\001name.example");
	rr_name(p, NULL, DNS_T_MX, 20, "mx.example");
	r = parse(p, 7, "example", DNS_T_MX, &ans);
	ok(r == DNS_PKT_DONE && ans.nrr == 1 &&
	    strcmp(ans.rr[0].name, "mx.example") == 0,
	    "MX with a control byte in its name skipped");

	/* more records than kept */
	response(p, 7, 0, "many.example", DNS_T_A, 40);
	for (i = 0; i < 40; i++) {
		char	a[32];

		snprintf(a, sizeof(a), "192.0.2.%zu", i + 1);
		rr_a(p, NULL, a);
	}
	r = parse(p, 7, "many.example", DNS_T_A, &ans);
	ok(r == DNS_PKT_DONE && ans.nrr == DNS_RR_MAX, "40 A: %d kept",
	    DNS_RR_MAX);

	dns_answer_free(&ans);
	free(p);
}

static unsigned long	fixed_rnd_value;

static unsigned long
fixed_rnd(void)
{
	return fixed_rnd_value++;
}

static void
test_mx(void)
{
	struct dns_answer	ans;
	struct pkt		*p = malloc(sizeof(*p));
	static const unsigned	prefs[] = { 20, 10, 30, 10, 10, 0 };
	char			name[32];
	size_t			i;
	int			first[3] = { 0, 0, 0 }, sorted = 1, round;

	dns_answer_init(&ans);
	response(p, 9, 0, "example", DNS_T_MX, 1);
	rr_name(p, NULL, DNS_T_MX, 0, "");
	dns_packet_parse(p->b, p->n, 9, "example", DNS_T_MX, &ans);
	is_int(dns_mx_sort(&ans, NULL), DNS_NULLMX, "null MX");
	is_int(ans.status, DNS_NULLMX, "null MX: status kept");

	response(p, 9, 0, "example", DNS_T_MX, 2);
	rr_name(p, NULL, DNS_T_MX, 0, "");
	rr_name(p, NULL, DNS_T_MX, 10, "mx.example");
	dns_packet_parse(p->b, p->n, 9, "example", DNS_T_MX, &ans);
	ok(dns_mx_sort(&ans, NULL) == DNS_OK && ans.nrr == 1 &&
	    strcmp(ans.rr[0].name, "mx.example") == 0,
	    "\".\" among other MX dropped");

	response(p, 9, 0, "example", DNS_T_MX, 6);
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "mx%u-%zu.example", prefs[i], i);
		rr_name(p, NULL, DNS_T_MX, (int)prefs[i], name);
	}
	dns_packet_parse(p->b, p->n, 9, "example", DNS_T_MX, &ans);
	dns_mx_sort(&ans, fixed_rnd);
	ok(ans.nrr == 6 && ans.rr[0].pref == 0 && ans.rr[1].pref == 10 &&
	    ans.rr[3].pref == 10 && ans.rr[4].pref == 20 &&
	    ans.rr[5].pref == 30, "MX sorted by preference");
	is_str(ans.rr[1].name, "mx10-1.example",
	    "equal preferences follow the random keys");
	for (round = 0; round < 3000; round++) {
		dns_packet_parse(p->b, p->n, 9, "example", DNS_T_MX, &ans);
		dns_mx_sort(&ans, NULL);
		for (i = 1; i < ans.nrr; i++) {
			if (ans.rr[i - 1].pref > ans.rr[i].pref) {
				sorted = 0;
			}
		}
		if (strcmp(ans.rr[1].name, "mx10-1.example") == 0) {
			first[0]++;
		} else if (strcmp(ans.rr[1].name, "mx10-3.example") == 0) {
			first[1]++;
		} else if (strcmp(ans.rr[1].name, "mx10-4.example") == 0) {
			first[2]++;
		}
	}
	ok(sorted, "3000 random sorts all ordered by preference");
	/* each ~1000; sd ~26: 800..1200 fails about never when fair */
	ok(first[0] > 800 && first[0] < 1200 && first[1] > 800 &&
	    first[1] < 1200 && first[2] > 800 && first[2] < 1200,
	    "equal preferences first equally often (%d %d %d of 3000)",
	    first[0], first[1], first[2]);
	dns_answer_free(&ans);
	free(p);
}

static void
test_conf(void)
{
	struct dns_conf		conf;
	struct str		err = STR_INIT;
	char			path[512], text[64];
	FILE			*fp;
	const struct sockaddr_in6 *sin6;
	const struct sockaddr_in *sin;

	snprintf(path, sizeof(path), "%s/resolv.conf", tap_tmpdir());
	fp = fopen(path, "w");
	fputs("# comment\ndomain lan\nnameserver 192.0.2.53\n"
	    "nameserver 2001:db8::53 ; comment\nnameserver bogus\n"
	    "search a.example b.example\noptions ndots:2 timeout:3 "
	    "attempts:4\nnameserver 192.0.2.54\nnameserver 192.0.2.55\n",
	    fp);
	fclose(fp);
	is_int(dns_conf_init(&conf, path, NULL, "all", &err), 0,
	    "resolv.conf read");
	is_int((long long)conf.nservers, 3, "resolv.conf: 3 servers kept");
	sin = (const struct sockaddr_in *)&conf.servers[0].addr;
	inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
	ok(strcmp(text, "192.0.2.53") == 0 && ntohs(sin->sin_port) == 53,
	    "resolv.conf: first server");
	sin6 = (const struct sockaddr_in6 *)&conf.servers[1].addr;
	inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
	ok(conf.servers[1].addr.ss_family == AF_INET6 &&
	    strcmp(text, "2001:db8::53") == 0, "resolv.conf: IPv6 server");
	ok(conf.timeout_ms == 3000 && conf.attempts == 4,
	    "resolv.conf: options timeout and attempts");
	ok(conf.nsearch == 2 && strcmp(conf.search[1], "b.example") == 0,
	    "resolv.conf: search replaces domain");
	ok(conf.want_inet4 && conf.want_inet6, "inet_protocols all");

	is_int(dns_conf_init(&conf, path, "127.0.0.1:5353, [::1]:53 ::2 "
	    "192.0.2.1", "ipv4", &err), 0, "dns_servers read");
	is_int((long long)conf.nservers, 4, "dns_servers replace resolv.conf");
	sin = (const struct sockaddr_in *)&conf.servers[0].addr;
	is_int(ntohs(sin->sin_port), 5353, "dns_servers: port");
	sin6 = (const struct sockaddr_in6 *)&conf.servers[2].addr;
	is_int(ntohs(sin6->sin6_port), 53, "dns_servers: bare IPv6, port 53");
	ok(conf.want_inet4 && !conf.want_inet6 && conf.timeout_ms == 3000,
	    "inet_protocols ipv4; resolv.conf options still apply");
	is_int(dns_conf_init(&conf, path, "[::1", NULL, &err), -1,
	    "dns_servers: malformed refused");
	is_str(str_c(&err), "dns_servers: malformed address \"[::1\"",
	    "dns_servers: error text");
	is_int(dns_conf_init(&conf, path, "127.0.0.1:0", NULL, &err), -1,
	    "dns_servers: port 0 refused");
	ok(dns_conf_init(&conf, path, "fe80::1%lo", NULL, &err) == 0 &&
	    ((const struct sockaddr_in6 *)&conf.servers[0].addr)->sin6_scope_id
	    != 0, "dns_servers: link-local with its interface");
	is_int(dns_conf_init(&conf, path, "fe80::1%nosuchif0", NULL, &err),
	    -1, "dns_servers: unknown interface refused");
	is_int(dns_conf_init(&conf, path, "127.0.0.1%lo", NULL, &err), -1,
	    "dns_servers: interface on IPv4 refused");
	is_int(dns_conf_init(&conf, path, NULL, "ipv5", &err), -1,
	    "inet_protocols: unknown refused");
	is_int(dns_conf_init(&conf, "/nonexistent/resolv.conf", NULL, NULL,
	    &err), 0, "missing resolv.conf");
	sin = (const struct sockaddr_in *)&conf.servers[0].addr;
	ok(conf.nservers == 1 && sin->sin_addr.s_addr == htonl(0x7f000001) &&
	    conf.timeout_ms == 5000 && conf.attempts == 2,
	    "missing resolv.conf: 127.0.0.1, 5 s, 2 attempts");
	str_free(&err);
}

/*
 * The test server: one UDP and one TCP socket on the same port.
 */
static int	udp_fd, tcp_fd;
static unsigned	srv_port;

/* The question of a query: name (lowercase text) and type.  0 or -1. */
static int
srv_question(const unsigned char *q, size_t n, char *name, size_t size,
    unsigned *type)
{
	size_t	pos = 12, out = 0, len;

	while (pos < n && q[pos] != 0) {
		len = q[pos];
		if (pos + 1 + len > n || out + len + 2 > size) {
			return -1;
		}
		if (out > 0) {
			name[out++] = '.';
		}
		memcpy(name + out, q + pos + 1, len);
		out += len;
		pos += 1 + len;
	}
	name[out] = '\0';
	if (pos + 5 > n) {
		return -1;
	}
	*type = ((unsigned)q[pos + 1] << 8) | q[pos + 2];
	return 0;
}

/*
 * The zone.  Fills p (the answer to id/name/type), sets *silent when no
 * answer goes out, *wrongid when a first answer with a wrong ID must
 * precede the right one.  tcp: the query came over TCP.
 */
static void
srv_answer(struct pkt *p, unsigned id, const char *name, unsigned type,
    int tcp, int *silent, int *wrongid)
{
	size_t	i;

	*silent = *wrongid = 0;
	if (strcmp(name, "timeout.test") == 0) {
		*silent = 1;
	} else if (strcmp(name, "wrongid.test") == 0 && type == DNS_T_A) {
		*wrongid = 1;
		response(p, id, 0, name, type, 1);
		rr_a(p, NULL, "192.0.2.77");
	} else if (strcmp(name, "servfail.test") == 0 ||
	    (strcmp(name, "half.test") == 0 && type == DNS_T_AAAA)) {
		response(p, id, 2, name, type, 0);
	} else if ((strcmp(name, "big.test") == 0 ||
	    strcmp(name, "huge.test") == 0) && type == DNS_T_A) {
		if (!tcp && strcmp(name, "big.test") == 0) {
			response(p, id, 0, name, type, 0);
			p->b[2] |= 0x02;
		} else {
			response(p, id, 0, name, type, 40);
			for (i = 0; i < 40; i++) {
				char	a[32];

				snprintf(a, sizeof(a), "198.51.100.%zu", i + 1);
				rr_a(p, NULL, a);
			}
		}
	} else if (strcmp(name, "alias.test") == 0) {
		response(p, id, 0, name, type, 1);
		rr_name(p, NULL, DNS_T_CNAME, -1, "target.test");
	} else if (strcmp(name, "target.test") == 0 && type == DNS_T_A) {
		response(p, id, 0, name, type, 1);
		rr_a(p, NULL, "192.0.2.7");
	} else if (strcmp(name, "mx.test") == 0 && type == DNS_T_MX) {
		response(p, id, 0, name, type, 3);
		rr_name(p, NULL, DNS_T_MX, 20, "mx2.test");
		rr_name(p, NULL, DNS_T_MX, 10, "mx1.test");
		rr_name(p, NULL, DNS_T_MX, 30, "nx.test");
	} else if (strcmp(name, "mx1.test") == 0 && type == DNS_T_A) {
		response(p, id, 0, name, type, 1);
		rr_a(p, NULL, "192.0.2.1");
	} else if (strcmp(name, "mx1.test") == 0 && type == DNS_T_AAAA) {
		size_t	s;

		response(p, id, 0, name, type, 1);
		s = rr_begin(p, DNS_T_AAAA);
		inet_pton(AF_INET6, "2001:db8::1", p->b + p->n);
		p->n += 16;
		rr_end(p, s);
	} else if (strcmp(name, "mx2.test") == 0 && type == DNS_T_A) {
		response(p, id, 0, name, type, 1);
		rr_a(p, NULL, "192.0.2.2");
	} else if (strcmp(name, "nullmx.test") == 0 && type == DNS_T_MX) {
		response(p, id, 0, name, type, 1);
		rr_name(p, NULL, DNS_T_MX, 0, "");
	} else if (strcmp(name, "tempmx.test") == 0 && type == DNS_T_MX) {
		response(p, id, 0, name, type, 1);
		rr_name(p, NULL, DNS_T_MX, 0, "servfail.test");
	} else if (strcmp(name, "plain.test") == 0 && type == DNS_T_A) {
		response(p, id, 0, name, type, 1);
		rr_a(p, NULL, "192.0.2.9");
	} else if (strcmp(name, "1.2.0.192.in-addr.arpa") == 0) {
		response(p, id, 0, name, type, 1);
		rr_name(p, NULL, DNS_T_PTR, -1, "mx1.test");
	} else if (strcmp(name, "2.2.0.192.in-addr.arpa") == 0) {
		response(p, id, 0, name, type, 1);
		rr_name(p, NULL, DNS_T_PTR, -1, "mx1.test");
	} else if (strcmp(name, "3.2.0.192.in-addr.arpa") == 0) {
		response(p, id, 0, name, type, 1);
		rr_name(p, NULL, DNS_T_PTR, -1, "servfail.test");
	} else if (strcmp(name, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa") == 0) {
		response(p, id, 0, name, type, 1);
		rr_name(p, NULL, DNS_T_PTR, -1, "mx1.test");
	} else if (strncmp(name, "nx", 2) == 0 || strstr(name, ".arpa")) {
		response(p, id, 3, name, type, 0);
	} else {
		response(p, id, 0, name, type, 0);	/* NODATA */
	}
}

static void
srv_tcp(int fd)
{
	struct pkt	*p = malloc(sizeof(*p));
	unsigned char	 q[600];
	char		 name[300];
	unsigned	 type, len;
	int		 silent, wrongid;
	ssize_t		 n;
	size_t		 got = 0;

	while (got < 2 || got < 2 + (((unsigned)q[0] << 8) | q[1])) {
		n = read(fd, q + got, sizeof(q) - got);
		if (n <= 0) {
			goto out;
		}
		got += (size_t)n;
	}
	len = ((unsigned)q[0] << 8) | q[1];
	if (srv_question(q + 2, len, name, sizeof(name), &type) == -1) {
		goto out;
	}
	srv_answer(p, ((unsigned)q[2] << 8) | q[3], name, type, 1, &silent,
	    &wrongid);
	if (!silent) {
		unsigned char	head[2] = { (unsigned char)(p->n >> 8),
		    (unsigned char)p->n };

		(void)write(fd, head, 2);
		(void)write(fd, p->b, p->n);
	}
out:
	free(p);
	close(fd);
}

static void
srv_run(void)
{
	struct pkt		*p = malloc(sizeof(*p));
	struct pollfd		 pfd[2];
	struct sockaddr_storage	 from;
	socklen_t		 flen;
	unsigned char		 q[600];
	char			 name[300];
	unsigned		 type, id;
	ssize_t			 n;
	int			 silent, wrongid, c;

	alarm(60);		/* never outlive a broken test */
	for (;;) {
		pfd[0].fd = udp_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = tcp_fd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1) {
			continue;
		}
		if (pfd[1].revents & POLLIN) {
			c = accept(tcp_fd, NULL, NULL);
			if (c != -1) {
				srv_tcp(c);
			}
		}
		if (!(pfd[0].revents & POLLIN)) {
			continue;
		}
		flen = sizeof(from);
		n = recvfrom(udp_fd, q, sizeof(q), 0, (struct sockaddr *)&from,
		    &flen);
		if (n < 12 || srv_question(q, (size_t)n, name, sizeof(name),
		    &type) == -1) {
			continue;
		}
		id = ((unsigned)q[0] << 8) | q[1];
		srv_answer(p, id, name, type, 0, &silent, &wrongid);
		if (silent) {
			continue;
		}
		if (wrongid) {
			p->b[1] ^= 1;
			sendto(udp_fd, p->b, p->n, 0,
			    (struct sockaddr *)&from, flen);
			p->b[1] ^= 1;
		}
		sendto(udp_fd, p->b, p->n, 0, (struct sockaddr *)&from, flen);
	}
}

static pid_t
srv_start(int family)
{
	struct sockaddr_storage	ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		len;
	pid_t			pid;
	int			tries, one = 1;

	/* A UDP port the kernel picks, then TCP on the same number. */
	for (tries = 0; tries < 20; tries++) {
		memset(&ss, 0, sizeof(ss));
		if (family == AF_INET) {
			sin->sin_family = AF_INET;
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			len = sizeof(*sin);
		} else {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = in6addr_loopback;
			len = sizeof(*sin6);
		}
		udp_fd = socket(family, SOCK_DGRAM, 0);
		tcp_fd = socket(family, SOCK_STREAM, 0);
		if (udp_fd == -1 || tcp_fd == -1 ||
		    bind(udp_fd, (struct sockaddr *)&ss, len) == -1 ||
		    getsockname(udp_fd, (struct sockaddr *)&ss, &len) == -1) {
			return -1;
		}
		setsockopt(tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(tcp_fd, (struct sockaddr *)&ss, len) == 0 &&
		    listen(tcp_fd, 8) == 0) {
			break;
		}
		close(udp_fd);
		close(tcp_fd);
	}
	if (tries == 20) {
		return -1;
	}
	srv_port = ntohs(family == AF_INET ? sin->sin_port : sin6->sin6_port);
	pid = fork();
	if (pid == 0) {
		srv_run();
		_exit(0);
	}
	close(udp_fd);
	close(tcp_fd);
	return pid;
}

/* The transport over IPv6, when ::1 works here. */
static void
test_inet6(void)
{
	struct dns_conf		conf;
	struct dns_answer	ans;
	struct str		err = STR_INIT;
	char			servers[64];
	pid_t			pid;
	int			status;

	pid = srv_start(AF_INET6);
	if (pid == -1) {
		skip(2, "no IPv6 loopback here");
		return;
	}
	snprintf(servers, sizeof(servers), "[::1]:%u", srv_port);
	dns_conf_init(&conf, "/nonexistent", servers, "all", &err);
	conf.timeout_ms = 2000;
	dns_answer_init(&ans);
	ok(dns_lookup(&conf, "mx1.test", DNS_T_A, &ans) == DNS_OK &&
	    strcmp(ans.rr[0].name, "192.0.2.1") == 0, "IPv6 server over UDP");
	ok(dns_lookup(&conf, "big.test", DNS_T_A, &ans) == DNS_OK &&
	    ans.nrr == DNS_RR_MAX, "IPv6 server over TCP");
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	dns_answer_free(&ans);
	str_free(&err);
}

static void
test_transport(void)
{
	struct dns_conf		conf;
	struct dns_answer	ans;
	struct dns_hosts	hosts;
	struct dns_client_name	cn;
	struct str		err = STR_INIT;
	char			servers[64];
	long long		start;
	pid_t			pid;
	int			status;

	pid = srv_start(AF_INET);
	if (pid == -1) {
		skip(30, "cannot start the test DNS server on 127.0.0.1");
		return;
	}
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", srv_port);
	dns_conf_init(&conf, "/nonexistent", servers, "ipv4", &err);
	conf.timeout_ms = 2000;
	conf.attempts = 1;
	dns_answer_init(&ans);
	dns_hosts_init(&hosts);
	dns_client_name_init(&cn);

	is_int(dns_lookup(&conf, "wrongid.test", DNS_T_A, &ans), DNS_OK,
	    "wrong ID ignored, then the right answer taken");
	is_str(ans.rr[0].name, "192.0.2.77", "wrong ID: address");

	is_int(dns_lookup(&conf, "big.test", DNS_T_A, &ans), DNS_OK,
	    "TC: asked again over TCP");
	ok(ans.nrr == DNS_RR_MAX &&
	    strcmp(ans.rr[DNS_RR_MAX - 1].name, "198.51.100.32") == 0,
	    "TC: records from the TCP answer");

	is_int(dns_lookup(&conf, "huge.test", DNS_T_A, &ans), DNS_OK,
	    "UDP answer over 512 bytes without TC: asked over TCP");
	ok(ans.nrr == DNS_RR_MAX, "over 512 bytes: records from TCP");

	conf.timeout_ms = 300;
	start = clock_ms();
	is_int(dns_lookup(&conf, "timeout.test", DNS_T_A, &ans), DNS_TEMP,
	    "timeout: temporary");
	ok(clock_ms() - start >= 250 && clock_ms() - start < 2000,
	    "timeout: after about 300 ms (%lld)", clock_ms() - start);
	is_str(str_c(&ans.why), "Host or domain name not found. Name service "
	    "error for name=timeout.test type=A: Host not found, try again",
	    "timeout: text");
	conf.timeout_ms = 2000;

	is_int(dns_lookup(&conf, "servfail.test", DNS_T_MX, &ans), DNS_TEMP,
	    "SERVFAIL: temporary");
	is_int(dns_lookup(&conf, "nx.test", DNS_T_MX, &ans), DNS_NXDOMAIN,
	    "NXDOMAIN");
	is_str(str_c(&ans.why), "Host or domain name not found. Name service "
	    "error for name=nx.test type=MX: Host not found", "NXDOMAIN: text");
	is_int(dns_lookup(&conf, "plain.test.", DNS_T_MX, &ans), DNS_NODATA,
	    "NODATA");
	is_str(str_c(&ans.why), "Host or domain name not found. Name service "
	    "error for name=plain.test type=MX: Host found but no data record "
	    "of requested type", "NODATA: text");
	is_int(dns_lookup(&conf, "alias.test", DNS_T_A, &ans), DNS_OK,
	    "CNAME target asked in a second query");
	ok(ans.nrr == 1 && strcmp(ans.cname, "target.test") == 0 &&
	    strcmp(ans.qname, "alias.test") == 0 &&
	    strcmp(ans.rr[0].name, "192.0.2.7") == 0, "CNAME: result");
	is_int(dns_lookup(&conf, "bad name.test", DNS_T_A, &ans), DNS_INVAL,
	    "a name with a blank is not asked");

	/* high level */
	is_int(dns_mx_hosts(&conf, "mx.test", &hosts), DNS_OK, "MX hosts");
	ok(hosts.mx && hosts.n == 2 &&
	    strcmp(hosts.host[0].name, "mx1.test") == 0 &&
	    hosts.host[0].pref == 10 &&
	    strcmp(hosts.host[0].addr_text, "192.0.2.1") == 0 &&
	    strcmp(hosts.host[1].name, "mx2.test") == 0 &&
	    strcmp(hosts.host[1].addr_text, "192.0.2.2") == 0,
	    "MX hosts: by preference, NXDOMAIN host skipped, ipv4 only");
	conf.want_inet6 = 1;
	dns_mx_hosts(&conf, "mx.test", &hosts);
	ok(hosts.n == 3 &&
	    strcmp(hosts.host[0].addr_text, "2001:db8::1") == 0 &&
	    hosts.host[0].family == AF_INET6 &&
	    strcmp(hosts.host[1].addr_text, "192.0.2.1") == 0,
	    "MX hosts with ipv6: AAAA then A");
	is_int(dns_host_addrs(&conf, "half.test", &hosts), DNS_TEMP,
	    "AAAA failing, A missing: temporary");
	is_str(str_c(&hosts.why), "Host or domain name not found. Name "
	    "service error for name=half.test type=AAAA: Host not found, try "
	    "again", "AAAA failing, A missing: the temporary error's text");
	conf.want_inet4 = 0;
	dns_mx_hosts(&conf, "mx.test", &hosts);
	ok(hosts.n == 1 && hosts.host[0].family == AF_INET6,
	    "MX hosts with ipv6 only");
	conf.want_inet4 = 1;
	conf.want_inet6 = 0;
	is_int(dns_mx_hosts(&conf, "nullmx.test", &hosts), DNS_NULLMX,
	    "null MX");
	is_str(str_c(&hosts.why), "Domain nullmx.test does not accept mail "
	    "(nullMX)", "null MX: text");
	is_str(dns_status_code(hosts.status), "5.1.10", "null MX: 5.1.10");
	ok(dns_mx_hosts(&conf, "plain.test", &hosts) == DNS_OK && !hosts.mx &&
	    hosts.n == 1 && strcmp(hosts.host[0].name, "plain.test") == 0 &&
	    strcmp(hosts.host[0].addr_text, "192.0.2.9") == 0,
	    "no MX: the domain's own address");
	is_int(dns_mx_hosts(&conf, "nxdomain.test", &hosts), DNS_NXDOMAIN,
	    "MX of a missing domain");
	is_str(dns_status_code(hosts.status), "5.4.4", "missing domain: 5.4.4");
	is_int(dns_mx_hosts(&conf, "tempmx.test", &hosts), DNS_TEMP,
	    "MX host failing temporarily: temporary");
	is_str(dns_status_code(hosts.status), "4.4.3", "temporary: 4.4.3");
	ok(dns_mx_hosts(&conf, "[192.0.2.44]", &hosts) == DNS_OK &&
	    hosts.n == 1 &&
	    strcmp(hosts.host[0].addr_text, "192.0.2.44") == 0 &&
	    strcmp(hosts.host[0].name, "192.0.2.44") == 0,
	    "address literal");
	ok(dns_mx_hosts(&conf, "[IPv6:2001:db8::2]", &hosts) == DNS_OK &&
	    hosts.n == 1 && hosts.host[0].family == AF_INET6,
	    "IPv6 address literal");
	is_int(dns_mx_hosts(&conf, "[300.1.1.1]", &hosts), DNS_INVAL,
	    "malformed address literal");
	ok(dns_host_addrs(&conf, "mx1.test", &hosts) == DNS_OK &&
	    hosts.n == 1 && !hosts.mx && hosts.host[0].pref == 0,
	    "host without MX lookup");
	is_int(dns_host_addrs(&conf, "mx.test", &hosts), DNS_NODATA,
	    "host without address: NODATA");

	/* client names */
	is_int(dns_client_name(&conf, "192.0.2.1", &cn), DNS_OK,
	    "PTR forward-confirmed");
	is_str(cn.name, "mx1.test", "PTR: name");
	is_int(dns_client_name(&conf, "192.0.2.2", &cn), DNS_NODATA,
	    "PTR not confirmed: permanent");
	ok(strcmp(cn.name, "unknown") == 0 &&
	    strcmp(cn.reverse_name, "mx1.test") == 0 &&
	    cn.reverse_status == DNS_OK, "PTR not confirmed: unknown");
	is_str(str_c(&cn.why), "hostname mx1.test does not resolve to "
	    "address 192.0.2.2", "PTR not confirmed: text");
	is_int(dns_client_name(&conf, "192.0.2.3", &cn), DNS_TEMP,
	    "PTR forward lookup failing: temporary");
	is_int(dns_client_name(&conf, "192.0.2.99", &cn), DNS_NXDOMAIN,
	    "no PTR: permanent");
	is_str(cn.name, "unknown", "no PTR: unknown");
	conf.want_inet6 = 1;
	is_int(dns_client_name(&conf, "2001:db8::1", &cn), DNS_OK,
	    "IPv6 PTR forward-confirmed");
	is_int(dns_client_name(&conf, "::ffff:192.0.2.1", &cn), DNS_OK,
	    "IPv4-mapped address looked up as IPv4");
	is_int(dns_client_name(&conf, "foo", &cn), DNS_INVAL,
	    "not an address");

	/* a server that is not there: the next one answers */
	snprintf(servers, sizeof(servers), "127.0.0.1:1, 127.0.0.1:%u",
	    srv_port);
	dns_conf_init(&conf, "/nonexistent", servers, "ipv4", &err);
	conf.timeout_ms = 500;
	is_int(dns_lookup(&conf, "mx1.test", DNS_T_A, &ans), DNS_OK,
	    "dead first server: the second answers");
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	start = clock_ms();
	is_int(dns_lookup(&conf, "mx1.test", DNS_T_A, &ans), DNS_TEMP,
	    "no server: temporary");
	ok(clock_ms() - start < 3000, "no server: bounded time");
	dns_answer_free(&ans);
	dns_hosts_free(&hosts);
	dns_client_name_free(&cn);
	str_free(&err);
}

int
main(void)
{
	test_query();
	test_answers();
	test_mx();
	test_conf();
	test_transport();
	test_inet6();
	is_str(dns_type_name(DNS_T_AAAA), "AAAA", "type name");
	is_str(dns_type_name(99), "TYPE99", "unknown type name");
	is_int(dns_type_from_name("mx"), DNS_T_MX, "type from name");
	ok(dns_status_perm(DNS_NODATA) && !dns_status_perm(DNS_TEMP),
	    "permanent statuses");
	return done_testing();
}
