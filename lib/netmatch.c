/* SPDX-License-Identifier: ISC */
/*
 * netmatch.c: matching an IP address against a list of networks
 * (mynetworks).  See netmatch.h.
 */
#include <arpa/inet.h>

#include <stdbool.h>
#include <string.h>

#include "conf.h"
#include "netmatch.h"
#include "scan.h"
#include "str.h"

/* An address as 16 bytes (IPv4 in the last 4) and its family. */
struct netaddr {
	unsigned char	b[16];
	int		v4;
};

static int	parse_addr(const char *, size_t, struct netaddr *);
static int	parse_pattern(const char *, struct netaddr *, unsigned *);
static bool	in_net(const struct netaddr *, const struct netaddr *,
		    unsigned);

static const unsigned char	v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* Parse n bytes of text into a; 0 or -1. */
static int
parse_addr(const char *s, size_t n, struct netaddr *a)
{
	char	text[INET6_ADDRSTRLEN + 1];

	if (n == 0 || n >= sizeof(text)) {
		return -1;
	}
	memcpy(text, s, n);
	text[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, a->b + 12) == 1) {
		a->v4 = 1;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a->b) == 1) {
		if (memcmp(a->b, v4mapped, sizeof(v4mapped)) == 0) {
			a->v4 = 1;
			memset(a->b, 0, 12);
		}
		return 0;
	}
	return -1;
}

/* "net[/len]" or "[net][/len]" into net and *len; 0 or -1. */
static int
parse_pattern(const char *w, struct netaddr *net, unsigned *len)
{
	const char		*slash, *end;
	unsigned long long	 n;
	unsigned		 max, i;

	slash = strchr(w, '/');
	end = slash != NULL ? slash : w + strlen(w);
	if (*w == '[') {
		if (end - w < 2 || end[-1] != ']') {
			return -1;
		}
		if (parse_addr(w + 1, (size_t)(end - w - 2), net) == -1 ||
		    net->v4) {
			return -1;
		}
	} else if (parse_addr(w, (size_t)(end - w), net) == -1) {
		return -1;
	}
	max = net->v4 ? 32 : 128;
	if (slash == NULL) {
		*len = max;
		return 0;
	}
	if (scan_uint(slash + 1, max, &n) == -1) {
		return -1;
	}
	*len = (unsigned)n;
	/* host bits must be zero, as Postfix insists */
	for (i = *len; i < max; i++) {
		unsigned	bit = (net->v4 ? 96 : 0) + i;

		if (net->b[bit / 8] & (0x80 >> (bit % 8))) {
			return -1;
		}
	}
	return 0;
}

static bool
in_net(const struct netaddr *a, const struct netaddr *net, unsigned len)
{
	unsigned	off = net->v4 ? 12 : 0;
	unsigned	full = len / 8, rest = len % 8;
	unsigned char	mask;

	if (a->v4 != net->v4) {
		return false;
	}
	if (memcmp(a->b + off, net->b + off, full) != 0) {
		return false;
	}
	if (rest == 0) {
		return true;
	}
	mask = (unsigned char)(0xff << (8 - rest));
	return (a->b[off + full] & mask) == (net->b[off + full] & mask);
}

int
netmatch_list(const char *list, const char *addr, struct str *err)
{
	struct str	word = STR_INIT;
	struct netaddr	a, net;
	const char	*w;
	size_t		pos = 0;
	unsigned	len;
	bool		negate;
	int		rc = 0;

	str_clear(err);
	if (parse_addr(addr, strlen(addr), &a) == -1) {
		str_catf(err, "not an IP address: %s", addr);
		return -1;
	}
	while (conf_list_next(list, &pos, &word) == 1) {
		w = word.s;
		negate = *w == '!';
		if (negate) {
			w++;
		}
		if (parse_pattern(w, &net, &len) == -1) {
			str_catf(err, "unsupported or malformed network "
			    "pattern: %s", word.s);
			rc = -1;
			break;
		}
		if (in_net(&a, &net, len)) {
			rc = negate ? 0 : 1;
			break;
		}
	}
	str_free(&word);
	return rc;
}
