/* SPDX-License-Identifier: ISC */
/*
 * dns_packet.c: the DNS wire format (RFC 1035 4.1): building a query and
 * checking an answer, byte by byte, against the query it answers.
 *
 * Every offset is checked against the packet length before it is read.
 * Names are read iteratively; a compression pointer must point strictly
 * before the pointer itself (so reading always ends), hops are bounded
 * too, and a name is refused past 255 bytes in wire form or with a label
 * over 63.  The answer section is read three times at most (check, follow
 * the CNAME chain, collect), which costs nothing next to the network and
 * needs no copy of the records.  Names handed to callers as text contain
 * only letters, digits, '-', '_' and dots: a record naming anything else
 * is skipped (it could not be a host name), so no caller ever prints
 * bytes from the network that are not safe.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include "dns.h"
#include "dns_int.h"
#include "str.h"

#define HDR_SIZE	12
#define WIRE_MAX	255	/* RFC 1035 2.3.4 */
#define LABEL_MAX	63
#define HOPS_MAX	127	/* compression pointers followed per name */
#define CLASS_IN	1

#define RCODE_NOERROR	0
#define RCODE_NXDOMAIN	3

static unsigned	get16(const unsigned char *);
static unsigned long get32(const unsigned char *);
static int	name_read(const unsigned char *, size_t, size_t *,
		    unsigned char *, size_t *);
static int	name_text(const unsigned char *, size_t, char *, size_t);
static int	rr_walk(const unsigned char *, size_t, size_t *, size_t,
		    struct str *);
static int	rr_check(const unsigned char *, size_t, unsigned, size_t,
		    struct str *);

int
dns_text_copy(char *dst, const char *src, size_t size)
{
	size_t	len = strlen(src);

	if (len >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

static unsigned
get16(const unsigned char *p)
{
	return ((unsigned)p[0] << 8) | p[1];
}

static unsigned long
get32(const unsigned char *p)
{
	return ((unsigned long)p[0] << 24) | ((unsigned long)p[1] << 16) |
	    ((unsigned long)p[2] << 8) | p[3];
}

size_t
dns_name_wire(const char *name, unsigned char *out, size_t size)
{
	size_t	 n = 0, label;
	const char *p = name, *dot;

	if (strcmp(name, ".") == 0) {
		name = "";
		p = name;
	}
	while (*p != '\0') {
		dot = strchr(p, '.');
		label = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (label == 0 || label > LABEL_MAX) {
			return 0;
		}
		if (n + 1 + label + 1 > WIRE_MAX || n + 1 + label + 1 > size) {
			return 0;
		}
		out[n++] = (unsigned char)label;
		memcpy(out + n, p, label);
		n += label;
		p += label;
		if (*p == '.') {
			p++;		/* a final dot ends the name */
		}
	}
	if (n + 1 > size) {
		return 0;
	}
	out[n++] = 0;
	return n;
}

size_t
dns_packet_query(unsigned char *buf, size_t size, unsigned id,
    const char *name, unsigned type)
{
	size_t	n;

	if (size < HDR_SIZE + 1 + 4) {
		return 0;
	}
	memset(buf, 0, HDR_SIZE);
	buf[0] = (id >> 8) & 0xff;
	buf[1] = id & 0xff;
	buf[2] = 0x01;			/* RD */
	buf[5] = 1;			/* QDCOUNT */
	n = dns_name_wire(name, buf + HDR_SIZE, size - HDR_SIZE - 4);
	if (n == 0) {
		return 0;
	}
	n += HDR_SIZE;
	buf[n++] = (type >> 8) & 0xff;
	buf[n++] = type & 0xff;
	buf[n++] = 0;
	buf[n++] = CLASS_IN;
	return n;
}

/*
 * Read the name at *off into out (wire form, lowercased, at most 255
 * bytes, *outlen set) and move *off past it.  0, or -1 when malformed.
 */
static int
name_read(const unsigned char *pkt, size_t len, size_t *off,
    unsigned char *out, size_t *outlen)
{
	size_t	 pos = *off, n = 0, end = 0, label, i;
	unsigned hops = 0;
	bool	 jumped = false;

	for (;;) {
		if (pos >= len) {
			return -1;
		}
		if ((pkt[pos] & 0xc0) == 0xc0) {
			size_t	target;

			if (pos + 1 >= len || ++hops > HOPS_MAX) {
				return -1;
			}
			target = ((size_t)(pkt[pos] & 0x3f) << 8) |
			    pkt[pos + 1];
			if (target >= pos) {
				return -1;	/* forward or self: may loop */
			}
			if (!jumped) {
				end = pos + 2;
				jumped = true;
			}
			pos = target;
			continue;
		}
		if ((pkt[pos] & 0xc0) != 0) {
			return -1;	/* 0x40, 0x80: no such labels */
		}
		label = pkt[pos];
		if (n + 1 + label > WIRE_MAX) {
			return -1;
		}
		if (label == 0) {
			out[n++] = 0;
			if (!jumped) {
				end = pos + 1;
			}
			break;
		}
		if (pos + 1 + label > len) {
			return -1;
		}
		out[n++] = (unsigned char)label;
		for (i = 0; i < label; i++) {
			unsigned char	c = pkt[pos + 1 + i];

			if (c >= 'A' && c <= 'Z') {
				c = (unsigned char)(c - 'A' + 'a');
			}
			out[n++] = c;
		}
		pos += 1 + label;
	}
	*off = end;
	*outlen = n;
	return 0;
}

/*
 * A wire name as text without the final dot ("" for the root), only
 * when every byte is a letter, digit, '-' or '_'.  0, or -1.
 */
static int
name_text(const unsigned char *wire, size_t wlen, char *out, size_t size)
{
	size_t	 i = 0, n = 0, label, j;

	while (i < wlen && wire[i] != 0) {
		label = wire[i++];
		if (n > 0) {
			if (n + 1 >= size) {
				return -1;
			}
			out[n++] = '.';
		}
		for (j = 0; j < label; j++) {
			unsigned char	c = wire[i + j];

			if (!((c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_')) {
				return -1;
			}
			if (n + 1 >= size) {
				return -1;
			}
			out[n++] = (char)c;
		}
		i += label;
	}
	if (n >= size) {
		return -1;
	}
	out[n] = '\0';
	return 0;
}

/*
 * Check the RDATA at off (rdlen bytes) of a record of type: a name must
 * fill it exactly, an address has its size, TXT strings fill it.
 */
static int
rr_check(const unsigned char *pkt, size_t off, unsigned type, size_t rdlen,
    struct str *why)
{
	unsigned char	wire[WIRE_MAX + 1];
	size_t		pos = off, wlen, end = off + rdlen;

	switch (type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (rdlen != (type == DNS_T_A ? 4u : 16u)) {
			str_set(why, "address record of wrong length");
			return -1;
		}
		return 0;
	case DNS_T_MX:
		if (rdlen < 3) {
			str_set(why, "MX record too short");
			return -1;
		}
		pos += 2;
		/* FALLTHROUGH */
	case DNS_T_CNAME:
	case DNS_T_PTR:
		if (name_read(pkt, end, &pos, wire, &wlen) == -1 ||
		    pos != end) {
			str_set(why, "malformed name in record data");
			return -1;
		}
		return 0;
	case DNS_T_TXT:
		while (pos < end) {
			pos += 1 + (size_t)pkt[pos];
		}
		if (pos != end || rdlen == 0) {
			str_set(why, "malformed TXT record");
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

/*
 * Check count records from *off on; move *off past them.  0, or -1 with
 * why set.
 */
static int
rr_walk(const unsigned char *pkt, size_t len, size_t *off, size_t count,
    struct str *why)
{
	unsigned char	wire[WIRE_MAX + 1];
	size_t		wlen, i, rdlen;

	for (i = 0; i < count; i++) {
		if (name_read(pkt, len, off, wire, &wlen) == -1) {
			str_set(why, "malformed record name");
			return -1;
		}
		if (*off + 10 > len) {
			str_set(why, "record truncated");
			return -1;
		}
		rdlen = get16(pkt + *off + 8);
		if (*off + 10 + rdlen > len) {
			str_set(why, "record data truncated");
			return -1;
		}
		if (get16(pkt + *off + 2) == CLASS_IN &&
		    rr_check(pkt, *off + 10, get16(pkt + *off), rdlen,
		    why) == -1) {
			return -1;
		}
		*off += 10 + rdlen;
	}
	return 0;
}

enum dns_packet_result
dns_packet_parse(const unsigned char *pkt, size_t len, unsigned id,
    const char *qname, unsigned qtype, struct dns_answer *ans)
{
	unsigned char	want[WIRE_MAX + 1], got[WIRE_MAX + 1];
	unsigned char	cur[WIRE_MAX + 1], tmp[WIRE_MAX + 1];
	size_t		wantlen, gotlen, curlen, tmplen, off, answers, pos, i;
	size_t		ancount, nscount, arcount, hops = 0, rdlen;
	unsigned	rcode, type;
	bool		moved;

	ans->type = qtype;
	ans->nrr = 0;
	ans->status = DNS_TEMP;
	str_clear(&ans->txt);
	str_clear(&ans->why);
	if (dns_text_copy(ans->qname, qname, sizeof(ans->qname)) == -1) {
		ans->qname[0] = '\0';
	}
	ans->cname[0] = '\0';
	wantlen = dns_name_wire(qname, want, sizeof(want));
	if (wantlen == 0) {
		str_set(&ans->why, "invalid query name");
		return DNS_PKT_BAD;
	}
	for (i = 0; i < wantlen; i++) {
		if (want[i] >= 'A' && want[i] <= 'Z') {
			want[i] = (unsigned char)(want[i] - 'A' + 'a');
		}
	}
	/* Anything we cannot match to our question is not ours. */
	if (len < HDR_SIZE || get16(pkt) != (id & 0xffff) ||
	    (pkt[2] & 0x80) == 0 || (pkt[2] & 0x78) != 0) {
		return DNS_PKT_FOREIGN;
	}
	rcode = pkt[3] & 0x0f;
	if (get16(pkt + 4) != 1) {
		if (get16(pkt + 4) == 0 && rcode != RCODE_NOERROR) {
			str_catf(&ans->why, "server error (rcode %u)", rcode);
			return DNS_PKT_BAD;
		}
		return DNS_PKT_FOREIGN;
	}
	off = HDR_SIZE;
	if (name_read(pkt, len, &off, got, &gotlen) == -1 ||
	    off + 4 > len || gotlen != wantlen ||
	    memcmp(got, want, wantlen) != 0 || get16(pkt + off) != qtype ||
	    get16(pkt + off + 2) != CLASS_IN) {
		return DNS_PKT_FOREIGN;
	}
	off += 4;
	if (pkt[2] & 0x02) {
		return DNS_PKT_TRUNC;
	}
	if (rcode != RCODE_NOERROR && rcode != RCODE_NXDOMAIN) {
		str_catf(&ans->why, "server error (rcode %u%s)", rcode,
		    rcode == 2 ? ": SERVFAIL" : rcode == 5 ? ": REFUSED" : "");
		return DNS_PKT_BAD;
	}
	ancount = get16(pkt + 6);
	nscount = get16(pkt + 8);
	arcount = get16(pkt + 10);
	answers = off;
	if (rr_walk(pkt, len, &off, ancount, &ans->why) == -1 ||
	    rr_walk(pkt, len, &off, nscount, &ans->why) == -1 ||
	    rr_walk(pkt, len, &off, arcount, &ans->why) == -1) {
		return DNS_PKT_BAD;
	}
	if (off != len) {
		str_set(&ans->why, "junk after the last record");
		return DNS_PKT_BAD;
	}

	/* Follow the CNAME chain from the question's name. */
	memcpy(cur, want, wantlen);
	curlen = wantlen;
	do {
		moved = false;
		if (qtype == DNS_T_CNAME) {
			break;
		}
		pos = answers;
		for (i = 0; i < ancount; i++) {
			(void)name_read(pkt, len, &pos, tmp, &tmplen);
			type = get16(pkt + pos);
			rdlen = get16(pkt + pos + 8);
			if (type == DNS_T_CNAME &&
			    get16(pkt + pos + 2) == CLASS_IN &&
			    tmplen == curlen && memcmp(tmp, cur, curlen) == 0) {
				size_t	rd = pos + 10;

				if (++hops > DNS_CNAME_MAX) {
					str_set(&ans->why, "CNAME loop");
					return DNS_PKT_BAD;
				}
				(void)name_read(pkt, len, &rd, cur, &curlen);
				moved = true;
				break;
			}
			pos += 10 + rdlen;
		}
	} while (moved);
	if (name_text(cur, curlen, ans->cname, sizeof(ans->cname)) == -1) {
		str_set(&ans->why, "unusable name in CNAME record");
		return DNS_PKT_BAD;
	}
	if (rcode == RCODE_NXDOMAIN) {
		ans->status = DNS_NXDOMAIN;
		return DNS_PKT_DONE;
	}

	/* Collect the records of the type owned by the chain's end. */
	pos = answers;
	for (i = 0; i < ancount; i++) {
		struct dns_rr	*rr = &ans->rr[ans->nrr];
		size_t		 rd;

		(void)name_read(pkt, len, &pos, tmp, &tmplen);
		type = get16(pkt + pos);
		rdlen = get16(pkt + pos + 8);
		rd = pos + 10;
		pos += 10 + rdlen;
		if (type != qtype || get16(pkt + rd - 8) != CLASS_IN ||
		    tmplen != curlen || memcmp(tmp, cur, curlen) != 0 ||
		    ans->nrr >= DNS_RR_MAX) {
			continue;
		}
		memset(rr, 0, sizeof(*rr));
		rr->type = type;
		rr->ttl = get32(pkt + rd - 6);
		switch (type) {
		case DNS_T_A:
		case DNS_T_AAAA:
			memcpy(rr->addr, pkt + rd, rdlen);
			if (inet_ntop(type == DNS_T_A ? AF_INET : AF_INET6,
			    rr->addr, rr->name, sizeof(rr->name)) == NULL) {
				continue;
			}
			break;
		case DNS_T_MX:
			rr->pref = get16(pkt + rd);
			rd += 2;
			/* FALLTHROUGH */
		case DNS_T_CNAME:
		case DNS_T_PTR:
			(void)name_read(pkt, len, &rd, tmp, &tmplen);
			if (name_text(tmp, tmplen, rr->name,
			    sizeof(rr->name)) == -1) {
				continue;	/* not a host name: skip */
			}
			break;
		case DNS_T_TXT: {
			size_t	p = rd, end = rd + rdlen, n;

			rr->txt_off = ans->txt.len;
			while (p < end) {
				n = pkt[p];
				if (ans->txt.len + n > DNS_TXT_MAX) {
					break;
				}
				str_cat_mem(&ans->txt, pkt + p + 1, n);
				p += 1 + n;
			}
			rr->txt_len = ans->txt.len - rr->txt_off;
			break;
		}
		default:
			break;
		}
		ans->nrr++;
	}
	if (ans->nrr > 0 || hops > 0) {
		/* nrr == 0 here: the chain's end must be asked for itself */
		ans->status = DNS_OK;
	} else {
		ans->status = DNS_NODATA;
	}
	return DNS_PKT_DONE;
}

enum dns_status
dns_mx_sort(struct dns_answer *ans, unsigned long (*rnd)(void))
{
	unsigned long	key[DNS_RR_MAX];
	size_t		i, j, n;

	if (ans->status != DNS_OK) {
		return ans->status;
	}
	if (ans->nrr == 1 && ans->rr[0].type == DNS_T_MX &&
	    ans->rr[0].name[0] == '\0') {
		ans->status = DNS_NULLMX;
		return DNS_NULLMX;
	}
	/* Drop a "." among other MX records (RFC 7505 3: not a null MX). */
	for (i = 0, n = 0; i < ans->nrr; i++) {
		if (ans->rr[i].type == DNS_T_MX && ans->rr[i].name[0] != '\0') {
			if (n != i) {
				ans->rr[n] = ans->rr[i];
			}
			n++;
		}
	}
	ans->nrr = n;
	if (n == 0) {
		ans->status = DNS_NODATA;
		return DNS_NODATA;
	}
	if (rnd == NULL) {
		if (dns_random(key, n * sizeof(key[0])) == -1) {
			memset(key, 0, sizeof(key));
		}
	} else {
		for (i = 0; i < n; i++) {
			key[i] = rnd();
		}
	}
	/* Insertion sort on (preference, random key): n <= DNS_RR_MAX. */
	for (i = 1; i < n; i++) {
		struct dns_rr	rr = ans->rr[i];
		unsigned long	k = key[i];

		for (j = i; j > 0 && (ans->rr[j - 1].pref > rr.pref ||
		    (ans->rr[j - 1].pref == rr.pref && key[j - 1] > k)); j--) {
			ans->rr[j] = ans->rr[j - 1];
			key[j] = key[j - 1];
		}
		ans->rr[j] = rr;
		key[j] = k;
	}
	return DNS_OK;
}
