/* SPDX-License-Identifier: ISC */
/*
 * netmatch.c: unit tests for lib/netmatch (mynetworks matching): IPv4
 * and IPv6 networks, single addresses, brackets, negation, first match
 * wins, IPv4-mapped IPv6 clients, and the errors (bad patterns, tables,
 * host bits set, a client that is not an address).
 */
#include <stdio.h>

#include "netmatch.h"
#include "tap.h"

struct nm_case {
	const char	*list;
	const char	*addr;
	int		 want;
};

static const struct nm_case	cases[] = {
	{ "127.0.0.0/8 [::1]/128", "127.0.0.1", 1 },
	{ "127.0.0.0/8 [::1]/128", "127.255.3.4", 1 },
	{ "127.0.0.0/8 [::1]/128", "128.0.0.1", 0 },
	{ "127.0.0.0/8 [::1]/128", "::1", 1 },
	{ "127.0.0.0/8 [::1]/128", "::2", 0 },
	{ "127.0.0.0/8, [::1]/128", "::ffff:127.0.0.1", 1 },
	{ "192.0.2.0/24", "127.0.0.1", 0 },
	{ "192.0.2.0/24", "192.0.2.77", 1 },
	{ "192.0.2.128/25", "192.0.2.77", 0 },
	{ "192.0.2.128/25", "192.0.2.200", 1 },
	{ "192.0.2.1", "192.0.2.1", 1 },
	{ "192.0.2.1", "192.0.2.2", 0 },
	{ "0.0.0.0/0", "203.0.113.9", 1 },
	{ "0.0.0.0/0", "2001:db8::1", 0 },
	{ "2001:db8::/32", "2001:db8:ffff::1", 1 },
	{ "[2001:db8::]/33", "2001:db8:ffff::1", 0 },
	{ "[2001:db8::1]", "2001:db8::1", 1 },
	{ "!127.0.0.2 127.0.0.0/8", "127.0.0.2", 0 },
	{ "!127.0.0.2 127.0.0.0/8", "127.0.0.3", 1 },
	{ "", "127.0.0.1", 0 },
	{ "127.0.0.1/8", "127.0.0.1", -1 },
	{ "127.0.0.0/33", "127.0.0.1", -1 },
	{ "cdb:/etc/postlet/networks", "127.0.0.1", -1 },
	{ "/etc/networks", "127.0.0.1", -1 },
	{ "example.org", "127.0.0.1", -1 },
	{ "127.0.0.0/8", "unknown", -1 },
	{ "[127.0.0.1]", "127.0.0.1", -1 },
	{ "10.0.0.0/8 junk", "127.0.0.1", -1 },
	{ "127.0.0.0/8 junk", "127.0.0.1", 1 },
};

int
main(void)
{
	struct str	err = STR_INIT;
	size_t		i;
	int		r;

	plan((int)(sizeof(cases) / sizeof(cases[0])) + 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = netmatch_list(cases[i].list, cases[i].addr, &err);
		is_int(r, cases[i].want, "\"%s\" ~ %s", cases[i].list,
		    cases[i].addr);
	}
	r = netmatch_list("10/8", "10.0.0.1", &err);
	ok(r == -1 && err.len > 0, "error text: %s", str_c(&err));
	str_free(&err);
	return done_testing();
}
