/* SPDX-License-Identifier: ISC */
/*
 * addr.c: unit tests for lib/addr (RFC 5321 paths, RFC 5322 address lists,
 * quoting, domain syntax, recipient_delimiter splitting).
 *
 * Table-driven: each case names the input, the flags and the exact
 * expected result (address bytes, end offset, errno, reply code, status
 * and text), so a changed byte or a changed reply fails.  Inputs that
 * hold NUL bytes carry their length.  Length limits are checked at the
 * limit and one past it with generated strings.  Last, a pseudo-random
 * run over hostile bytes checks that parsing always ends, never yields a
 * control byte and that quoting an accepted address parses back to the
 * same address.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "bounds.h"
#include "str.h"
#include "tap.h"

/* A string literal with its length (it may hold NUL bytes). */
#define IN(s)	(s), (sizeof(s) - 1)
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define NUL_OK	ADDR_PATH_NULL_OK
#define LAX	ADDR_PATH_LAX
#define UTF8	ADDR_PATH_UTF8
#define STRICT	ADDR_PATH_STRICT
#define RCPT	ADDR_PATH_RCPT

#define SYN_S	"5.1.7", "Bad sender address syntax"
#define SYN_R	"5.1.3", "Bad recipient address syntax"
#define LONG_S	"5.1.7", "Path too long"
#define U8	"5.6.7", "Must declare SMTPUTF8 to send unicode address"

struct path_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	int		 flags;
	const char	*addr;		/* NULL: must fail */
	size_t		 end;		/* on success */
	int		 error;		/* errno on failure */
	int		 code;
	const char	*status;
	const char	*text;
};

static const struct path_case path_cases[] = {
	{ "plain", IN("<user@example.org>"), 0,
	    "user@example.org", 18, 0, 0, NULL, NULL },
	{ "case kept", IN("<User@Example.ORG>"), 0,
	    "User@Example.ORG", 18, 0, 0, NULL, NULL },
	{ "ESMTP parameters follow", IN("<a@b.example> SIZE=100"), 0,
	    "a@b.example", 13, 0, 0, NULL, NULL },
	{ "quoted local part", IN("<\"john doe\"@example.org>"), 0,
	    "john doe@example.org", 24, 0, 0, NULL, NULL },
	{ "quoted-pairs", IN("<\"a\\\"b\\\\c\"@x.org>"), 0,
	    "a\"b\\c@x.org", 17, 0, 0, NULL, NULL },
	{ "quoted-pair of a letter", IN("<\"\\a\"@x>"), 0,
	    "a@x", 8, 0, 0, NULL, NULL },
	{ "empty quoted local part", IN("<\"\"@x.org>"), 0,
	    "@x.org", 10, 0, 0, NULL, NULL },
	{ "quoted '@' in local part", IN("<\"a@b\"@x.org>"), 0,
	    "a@b@x.org", 13, 0, 0, NULL, NULL },
	{ "quoted '>' in local part", IN("<\"a>b\"@x> X"), 0,
	    "a>b@x", 9, 0, 0, NULL, NULL },
	{ "atext specials", IN("<!#$%&'*+-/=?^_`{|}~@x>"), 0,
	    "!#$%&'*+-/=?^_`{|}~@x", 23, 0, 0, NULL, NULL },
	{ "null path allowed", IN("<>"), NUL_OK,
	    "", 2, 0, 0, NULL, NULL },
	{ "null path with parameters", IN("<> BODY=8BITMIME"), NUL_OK,
	    "", 2, 0, 0, NULL, NULL },
	{ "null path refused (MAIL)", IN("<>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "null path refused (RCPT)", IN("<>"), RCPT,
	    NULL, 0, EINVAL, 501, SYN_R },
	{ "source route", IN("<@a.example,@b.example:user@c.example>"), 0,
	    "user@c.example", 38, 0, 0, NULL, NULL },
	{ "source route of one", IN("<@a.example:u@c>"), 0,
	    "u@c", 16, 0, 0, NULL, NULL },
	{ "source route, bad domain", IN("<@-a:u@c>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "source route without ':'", IN("<@a.example,u@c>"), RCPT,
	    NULL, 0, EINVAL, 501, SYN_R },
	{ "source route, empty domain", IN("<@:u@c>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "source route, ',' then no '@'", IN("<@a,b:u@c>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "source route, literal refused", IN("<@[192.0.2.1]:u@c>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "IPv4 literal", IN("<u@[192.0.2.1]>"), 0,
	    "u@[192.0.2.1]", 15, 0, 0, NULL, NULL },
	{ "IPv4 literal, 255", IN("<u@[255.255.255.255]>"), 0,
	    "u@[255.255.255.255]", 21, 0, 0, NULL, NULL },
	{ "IPv4 literal, 256", IN("<u@[192.0.2.256]>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "IPv4 literal, three parts", IN("<u@[192.0.2]>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "IPv4 literal, five parts", IN("<u@[192.0.2.1.5]>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "IPv4 literal, four digits", IN("<u@[0192.0.2.1]>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "IPv4 literal, empty part", IN("<u@[192..2.1]>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "IPv6 literal", IN("<u@[IPv6:2001:db8::1]>"), 0,
	    "u@[IPv6:2001:db8::1]", 22, 0, 0, NULL, NULL },
	{ "IPv6 literal, lower-case tag", IN("<u@[ipv6:::1]>"), 0,
	    "u@[ipv6:::1]", 14, 0, 0, NULL, NULL },
	{ "IPv6 literal, IPv4 tail", IN("<u@[IPv6:::ffff:192.0.2.1]>"), 0,
	    "u@[IPv6:::ffff:192.0.2.1]", 27, 0, 0, NULL, NULL },
	{ "IPv6 literal, bad", IN("<u@[IPv6:2001:db8:::1]>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "IPv6 literal, zone", IN("<u@[IPv6:fe80::1%eth0]>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "IPv6 literal, empty", IN("<u@[IPv6:]>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "IPv6 address without tag", IN("<u@[::1]>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "general literal refused", IN("<u@[x-tag:foo]>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "literal not closed", IN("<u@[192.0.2.1>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "empty literal", IN("<u@[]>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "literal then junk", IN("<u@[192.0.2.1]x>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "no domain", IN("<postmaster>"), RCPT,
	    "postmaster", 12, 0, 0, NULL, NULL },
	{ "no domain, quoted '@'", IN("<\"a@b\">"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "no domain, empty quoted", IN("<\"\">"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "empty domain", IN("<u@>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "no local part", IN("<@x.org>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "no local part after route", IN("<@a:@x.org>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "two '@'", IN("<a@b@c>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "label with inner hyphens", IN("<u@a--b.example>"), 0,
	    "u@a--b.example", 16, 0, 0, NULL, NULL },
	{ "label starts with '-'", IN("<u@-x.org>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "label ends with '-'", IN("<u@x-.org>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "domain ends with '-'", IN("<u@x.org->"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "domain with final dot", IN("<u@x.org.>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "domain with empty label", IN("<u@x..org>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "domain with '_'", IN("<u@a_b.org>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "numeric domain", IN("<u@123>"), 0,
	    "u@123", 7, 0, 0, NULL, NULL },
	{ "obsolete final dot", IN("<john.@x.org>"), 0,
	    "john.@x.org", 13, 0, 0, NULL, NULL },
	{ "obsolete leading dot", IN("<.a@x>"), 0,
	    ".a@x", 6, 0, 0, NULL, NULL },
	{ "obsolete double dot", IN("<a..b@x>"), 0,
	    "a..b@x", 8, 0, 0, NULL, NULL },
	{ "strict: final dot", IN("<john.@x.org>"), STRICT,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "strict: double dot", IN("<a..b@x>"), STRICT | RCPT,
	    NULL, 0, EINVAL, 501, SYN_R },
	{ "strict: only a dot", IN("<.@x>"), STRICT,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "mixed quoting", IN("<\"a\".b@x>"), 0,
	    "a.b@x", 9, 0, 0, NULL, NULL },
	{ "strict: mixed quoting", IN("<\"a\".b@x>"), STRICT,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "strict: quoted string", IN("<\"a b\"@x>"), STRICT,
	    "a b@x", 9, 0, 0, NULL, NULL },
	{ "strict: dot-string", IN("<a.b.c@x>"), STRICT,
	    "a.b.c@x", 9, 0, 0, NULL, NULL },
	{ "no brackets", IN("user@example.org"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "no brackets, lax", IN("user@example.org SIZE=1"), LAX,
	    "user@example.org", 16, 0, 0, NULL, NULL },
	{ "no brackets, lax, end of input", IN("u@x"), LAX,
	    "u@x", 3, 0, 0, NULL, NULL },
	{ "no brackets, lax, quoted blank", IN("\"a b\"@x Y"), LAX,
	    "a b@x", 7, 0, 0, NULL, NULL },
	{ "no brackets, lax, route", IN("@a.b:u@c"), LAX,
	    "u@c", 8, 0, 0, NULL, NULL },
	{ "no brackets, lax, stray '>'", IN("a@b>"), LAX,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "no brackets, lax, no domain", IN("postmaster\tX"), LAX,
	    "postmaster", 10, 0, 0, NULL, NULL },
	{ "blank before path", IN(" <a@b>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "blanks before path, lax", IN(" \t <a@b> X"), LAX,
	    "a@b", 8, 0, 0, NULL, NULL },
	{ "null path, lax", IN(" <>"), LAX | NUL_OK,
	    "", 3, 0, 0, NULL, NULL },
	{ "empty (MAIL)", IN(""), 0,
	    NULL, 0, EINVAL, 501, "5.5.4", "Syntax: MAIL FROM:<address>" },
	{ "empty (RCPT)", IN(""), RCPT,
	    NULL, 0, EINVAL, 501, "5.5.4", "Syntax: RCPT TO:<address>" },
	{ "blanks only, lax", IN("  \t"), LAX | RCPT,
	    NULL, 0, EINVAL, 501, "5.5.4", "Syntax: RCPT TO:<address>" },
	{ "blank only, not lax", IN(" "), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "only '<'", IN("<"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "'>' missing", IN("<a@b"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "'>' missing, parameters", IN("<a@b SIZE=1"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "blank inside", IN("<a b@x>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "blank after '<'", IN("< a@b>"), LAX,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "blank before '>'", IN("<a@b >"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "nested brackets", IN("<<a@b>>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "display name form", IN("John <a@b>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	/* Lax: the path ends at the blank; "<a@b>" is left as a parameter. */
	{ "display name form, lax", IN("John <a@b>"), LAX,
	    "John", 4, 0, 0, NULL, NULL },
	{ "unclosed quote", IN("<\"a@b>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "quote ends in quoted-pair", IN("<\"a\\"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "CR in local part", IN("<a\rb@x>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "LF in quoted string", IN("<\"a\nb\"@x>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "TAB in quoted string", IN("<\"a\tb\"@x>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "CR as quoted-pair", IN("<\"a\\\rb\"@x>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "NUL in local part", IN("<a\0b@x>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "NUL in quoted string", IN("<\"a\0\"@x>"), UTF8,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "NUL in domain", IN("<a@x\0y>"), RCPT,
	    NULL, 0, EINVAL, 501, SYN_R },
	{ "NUL after path", IN("<a@x>\0"), 0,
	    "a@x", 5, 0, 0, NULL, NULL },
	{ "DEL in local part", IN("<a\x7f@x>"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "CRLF after local part", IN("<a\r\n"), 0,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "8-bit local part", IN("<j\xc3\xb6rg@x>"), 0,
	    NULL, 0, EILSEQ, 553, U8 },
	{ "8-bit local part (RCPT)", IN("<j\xc3\xb6rg@x>"), RCPT,
	    NULL, 0, EILSEQ, 553, U8 },
	{ "UTF-8 local part", IN("<j\xc3\xb6rg@x>"), UTF8,
	    "j\xc3\xb6rg@x", 9, 0, 0, NULL, NULL },
	{ "8-bit domain", IN("<a@b\xc3\xbc.de>"), 0,
	    NULL, 0, EILSEQ, 553, U8 },
	{ "UTF-8 domain", IN("<a@b\xc3\xbc.de>"), UTF8,
	    "a@b\xc3\xbc.de", 10, 0, 0, NULL, NULL },
	{ "8-bit quoted string", IN("<\"\xc3\xb6 x\"@y>"), 0,
	    NULL, 0, EILSEQ, 553, U8 },
	{ "UTF-8 quoted string", IN("<\"\xc3\xb6 x\"@y>"), UTF8,
	    "\xc3\xb6 x@y", 10, 0, 0, NULL, NULL },
	{ "8-bit quoted-pair", IN("<\"\\\xc3\xb6\"@y>"), UTF8,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "8-bit route", IN("<@\xc3\xbc:a@b>"), 0,
	    NULL, 0, EILSEQ, 553, U8 },
	{ "UTF-8 cut short", IN("<j\xc3(rg@x>"), UTF8,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "UTF-8 at end of input", IN("<j\xc3"), UTF8,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "UTF-8 overlong", IN("<\xc0\xaf@y>"), UTF8,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "UTF-8 overlong, 3 bytes", IN("<\xe0\x80\xaf@y>"), UTF8,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "UTF-8 surrogate", IN("<\xed\xa0\x80@y>"), UTF8,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "UTF-8 above U+10FFFF", IN("<\xf4\x90\x80\x80@y>"), UTF8,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "UTF-8 U+10FFFF", IN("<\xf4\x8f\xbf\xbf@y>"), UTF8,
	    "\xf4\x8f\xbf\xbf@y", 8, 0, 0, NULL, NULL },
	{ "Latin-1 with UTF8", IN("<j\xf6rg@x>"), UTF8,
	    NULL, 0, EINVAL, 501, SYN_S },
	{ "UTF-8 domain, bad", IN("<a@b\xc3.de>"), UTF8,
	    NULL, 0, EINVAL, 501, SYN_S },
};

/* Generated cases: lengths at the limits. */
static char	*repeat(int, size_t);
static char	*path_of(size_t, size_t, const char *);
static void	test_path_table(void);
static void	check_path(const char *, const char *, size_t, int,
		    const char *, size_t, int, const char *);
static void	test_path_limits(void);
static void	test_quote(void);
static void	test_unquote(void);
static void	test_roundtrip(void);
static void	test_valid_domain(void);
static void	test_valid_local(void);
static void	test_domain(void);
static void	test_split_ext(void);
static void	test_list_table(void);
static void	test_list_limits(void);
static void	test_list_append(void);
static int	has_control(const struct str *);
static void	test_random(void);

/* A NUL-terminated string of n bytes c; the caller frees it. */
static char *
repeat(int c, size_t n)
{
	char	*p;

	if ((p = malloc(n + 1)) == NULL) {
		abort();
	}
	memset(p, c, n);
	p[n] = '\0';
	return p;
}

/*
 * "<" local "@" domain ">": a local part of nlocal 'l' bytes and a domain
 * of about ndomain bytes in labels of 63 ('d' and dots), then tail.
 */
static char *
path_of(size_t nlocal, size_t ndomain, const char *tail)
{
	struct str	s = STR_INIT;
	size_t		i, label = 0;

	str_cat_char(&s, '<');
	for (i = 0; i < nlocal; i++) {
		str_cat_char(&s, 'l');
	}
	str_cat_char(&s, '@');
	for (i = 0; i < ndomain; i++) {
		if (label == 63 && i + 1 < ndomain) {
			str_cat_char(&s, '.');
			label = 0;
		} else {
			str_cat_char(&s, 'd');
			label++;
		}
	}
	str_cat_char(&s, '>');
	str_cat(&s, tail);
	return str_take(&s);
}

static void
test_path_table(void)
{
	const struct path_case	*c;
	struct addr_error	 err;
	struct str		 addr = STR_INIT;
	size_t			 i, end;
	int			 r;

	for (i = 0; i < NELEM(path_cases); i++) {
		c = &path_cases[i];
		end = 9999;
		err.code = 0;
		err.status = err.text = NULL;
		errno = 0;
		str_set(&addr, "junk");
		r = addr_parse_path(c->in, c->len, c->flags, &addr, &end,
		    &err);
		if (c->addr != NULL) {
			if (!is_int(r, 0, "path: %s: accepted", c->name)) {
				diag("reply %d %s %s", err.code,
				    err.status ? err.status : "-",
				    err.text ? err.text : "-");
			}
			is_mem(addr.s, addr.len, c->addr, strlen(c->addr),
			    "path: %s: address", c->name);
			is_int((long long)end, (long long)c->end,
			    "path: %s: end", c->name);
			continue;
		}
		is_int(r, -1, "path: %s: refused", c->name);
		is_int(errno, c->error, "path: %s: errno", c->name);
		is_int(addr.len, 0, "path: %s: address left empty", c->name);
		is_int(end, 9999, "path: %s: end not set", c->name);
		is_int(err.code, c->code, "path: %s: reply code", c->name);
		is_str(err.status, c->status, "path: %s: status", c->name);
		is_str(err.text, c->text, "path: %s: text", c->name);
	}
	/* err and end may be NULL. */
	ok(addr_parse_path(IN("<a@b>"), 0, &addr, NULL, NULL) == 0 &&
	    str_eq(&addr, "a@b"), "path: NULL end and err, accepted");
	ok(addr_parse_path(IN("<a@b"), 0, &addr, NULL, NULL) == -1 &&
	    errno == EINVAL, "path: NULL end and err, refused");
	str_free(&addr);
}

/*
 * One generated path case: the address expected (NULL: refused with
 * errno error and reply text).
 */
static void
check_path(const char *name, const char *in, size_t len, int flags,
    const char *want, size_t want_end, int error, const char *text)
{
	struct str		addr = STR_INIT;
	struct addr_error	err = { 0, NULL, NULL };
	size_t			end = 0;
	int			r;

	errno = 0;
	r = addr_parse_path(in, len, flags, &addr, &end, &err);
	if (want != NULL) {
		if (!is_int(r, 0, "limits: %s: accepted", name)) {
			diag("reply %d %s %s", err.code,
			    err.status ? err.status : "-",
			    err.text ? err.text : "-");
		}
		ok(str_eq(&addr, want), "limits: %s: address", name);
		is_int(end, want_end, "limits: %s: end", name);
	} else {
		is_int(r, -1, "limits: %s: refused", name);
		is_int(errno, error, "limits: %s: errno", name);
		is_str(err.text, text, "limits: %s: text", name);
	}
	str_free(&addr);
}

static void
test_path_limits(void)
{
	char	*p, *want;
	size_t	 n;

	/* Labels: 63 octets, 64. */
	n = strlen("<u@") + 63 + 1;
	p = path_of(1, 63, "");
	p[1] = 'u';
	want = strndup(p + 1, n - 2);
	check_path("label of 63", p, n, 0, want, n, 0, NULL);
	free(p);
	free(want);
	p = path_of(1, 64, "");
	check_path("label of 64", p, strlen(p), 0, NULL, 0, EINVAL,
	    "Bad sender address syntax");
	free(p);

	/* Domain: 255 octets, 256. */
	p = path_of(1, 255, " X");
	n = strlen(p) - 2;
	want = strndup(p + 1, n - 2);
	check_path("domain of 255", p, strlen(p), 0, want, n, 0, NULL);
	ok(addr_valid_domain(want + 2, 255, 0), "limits: domain of 255 valid");
	free(p);
	free(want);
	p = path_of(1, 256, "");
	check_path("domain of 256", p, strlen(p), RCPT, NULL, 0, EMSGSIZE,
	    "Path too long");
	free(p);

	/* Local part: 64 and 65, strict and not. */
	p = path_of(64, 10, "");
	n = strlen(p);
	want = strndup(p + 1, n - 2);
	check_path("local part of 64, strict", p, n, STRICT, want, n, 0,
	    NULL);
	free(p);
	free(want);
	p = path_of(65, 10, "");
	n = strlen(p);
	want = strndup(p + 1, n - 2);
	check_path("local part of 65", p, n, 0, want, n, 0, NULL);
	check_path("local part of 65, strict", p, n, STRICT, NULL, 0,
	    EMSGSIZE, "Path too long");
	free(p);
	free(want);

	/* RFC path: 256 octets with the brackets, strict; 257. */
	p = path_of(60, 256 - 60 - 3, "");
	n = strlen(p);
	is_int(n, 256, "limits: generated path of 256");
	want = strndup(p + 1, n - 2);
	check_path("path of 256, strict", p, n, STRICT, want, n, 0, NULL);
	free(p);
	free(want);
	p = path_of(61, 256 - 60 - 3, "");
	n = strlen(p);
	want = strndup(p + 1, n - 2);
	check_path("path of 257", p, n, 0, want, n, 0, NULL);
	check_path("path of 257, strict", p, n, STRICT, NULL, 0, EMSGSIZE,
	    "Path too long");
	free(p);
	free(want);

	/* ADDR_PATH_MAX: at the limit, one past, far past. */
	p = path_of(ADDR_PATH_MAX - 3 - 10, 10, " SIZE=1");
	n = strlen(p) - 7;
	is_int(n, ADDR_PATH_MAX, "limits: generated path of ADDR_PATH_MAX");
	want = strndup(p + 1, n - 2);
	check_path("path of ADDR_PATH_MAX", p, strlen(p), 0, want, n, 0,
	    NULL);
	free(p);
	free(want);
	p = path_of(ADDR_PATH_MAX - 3 - 10 + 1, 10, " SIZE=1");
	check_path("path of ADDR_PATH_MAX + 1", p, strlen(p), 0, NULL, 0,
	    EMSGSIZE, "Path too long");
	free(p);
	p = path_of(100000, 10, "");
	check_path("path of 100000", p, strlen(p), RCPT, NULL, 0, EMSGSIZE,
	    "Path too long");
	free(p);
	p = repeat('a', 100000);
	p[0] = '<';
	check_path("'<' and 99999 bytes", p, strlen(p), 0, NULL, 0,
	    EMSGSIZE, "Path too long");
	p[0] = '"';
	check_path("lax, '\"' and 99999 bytes", p, strlen(p), LAX, NULL, 0,
	    EMSGSIZE, "Path too long");
	free(p);
	/* Lax, no brackets: exactly ADDR_PATH_MAX, then a blank. */
	p = path_of(ADDR_PATH_MAX - 2, 1, " X");
	p[ADDR_PATH_MAX + 1] = ' ';	/* was the '>' */
	n = ADDR_PATH_MAX;
	want = strndup(p + 1, n);
	check_path("lax, ADDR_PATH_MAX without brackets", p + 1, strlen(p + 1),
	    LAX, want, n, 0, NULL);
	free(want);
	p[ADDR_PATH_MAX + 1] = 'd';	/* one byte more */
	check_path("lax, ADDR_PATH_MAX + 1 without brackets", p + 1,
	    strlen(p + 1), LAX, NULL, 0, EMSGSIZE, "Path too long");
	free(p);
}

static void
test_quote(void)
{
	static const struct {
		const char	*name;
		const char	*in;
		size_t		 len;
		const char	*want;
		size_t		 wlen;
	} cases[] = {
		{ "dot-atom", IN("user@x"), IN("user@x") },
		{ "dots", IN("a.b.c@x"), IN("a.b.c@x") },
		{ "blank", IN("john doe@x"), IN("\"john doe\"@x") },
		{ "'\"'", IN("a\"b@x"), IN("\"a\\\"b\"@x") },
		{ "'\\'", IN("a\\b@x"), IN("\"a\\\\b\"@x") },
		{ "'@' in local part", IN("a@b@x"), IN("\"a@b\"@x") },
		{ "null sender", IN(""), IN("") },
		{ "empty local part", IN("@x"), IN("\"\"@x") },
		{ "final dot", IN("john.@x"), IN("\"john.\"@x") },
		{ "leading dot", IN(".a@x"), IN("\".a\"@x") },
		{ "double dot", IN("a..b@x"), IN("\"a..b\"@x") },
		{ "only a dot", IN(".@x"), IN("\".\"@x") },
		{ "no domain", IN("postmaster"), IN("postmaster") },
		{ "no domain, blank", IN("john doe"), IN("\"john doe\"") },
		{ "UTF-8", IN("j\xc3\xb6rg@x"), IN("j\xc3\xb6rg@x") },
		{ "parentheses", IN("a(b)@x"), IN("\"a(b)\"@x") },
		{ "comma", IN("a,b@x"), IN("\"a,b\"@x") },
		{ "domain untouched", IN("a b@[IPv6:::1]"),
		    IN("\"a b\"@[IPv6:::1]") },
		{ "length, not NUL", IN("a@b\0junk"), IN("a@b\0junk") },
	};
	struct str	out = STR_INIT;
	size_t		i;

	for (i = 0; i < NELEM(cases); i++) {
		str_set(&out, "junk");
		addr_quote(cases[i].in, cases[i].len, &out);
		is_mem(out.s, out.len, cases[i].want, cases[i].wlen,
		    "quote: %s", cases[i].name);
	}
	str_free(&out);
}

static void
test_unquote(void)
{
	static const struct {
		const char	*name;
		const char	*in;
		size_t		 len;
		const char	*want;	/* NULL: EINVAL */
	} cases[] = {
		{ "blank", IN("\"john doe\"@x"), "john doe@x" },
		{ "quoted-pair", IN("\"a\\\"b\"@x"), "a\"b@x" },
		{ "plain", IN("user@x"), "user@x" },
		{ "quoted '@'", IN("\"a@b\"@x"), "a@b@x" },
		{ "words", IN("\"a\".\"b\"@x"), "a.b@x" },
		{ "pair outside quotes", IN("a\\ b@x"), "a b@x" },
		{ "escaped '@'", IN("a\\@b"), "a@b" },
		{ "domain untouched", IN("\"a\"@\"b\""), "a@\"b\"" },
		{ "empty", IN(""), "" },
		{ "empty quoted", IN("\"\"@x"), "@x" },
		{ "not closed", IN("\"unclosed@x"), NULL },
		{ "final '\\'", IN("a\\"), NULL },
		{ "final '\\' in domain", IN("a@b\\"), NULL },
		{ "NUL", IN("a\0@x"), NULL },
	};
	struct str	out = STR_INIT;
	size_t		i;
	int		r;

	for (i = 0; i < NELEM(cases); i++) {
		str_set(&out, "junk");
		errno = 0;
		r = addr_unquote(cases[i].in, cases[i].len, &out);
		if (cases[i].want == NULL) {
			ok(r == -1 && errno == EINVAL && out.len == 0,
			    "unquote: %s: EINVAL", cases[i].name);
		} else {
			is_int(r, 0, "unquote: %s: accepted", cases[i].name);
			is_mem(out.s, out.len, cases[i].want,
			    strlen(cases[i].want), "unquote: %s",
			    cases[i].name);
		}
	}
	str_free(&out);
}

/* Internal → quote → path parse → the same internal address. */
static void
test_roundtrip(void)
{
	static const char *const	addrs[] = {
		"user@x.org", "john doe@x.org", "a\"b\\c@x", "a@b@x",
		"@x", ".a.@x", "postmaster", "a b", "j\xc3\xb6rg@b\xc3\xbc.de",
		"!#$%&'*+-/=?^_`{|}~@x", "a<b>c@[192.0.2.1]",
	};
	struct str	ext = STR_INIT, back = STR_INIT, path = STR_INIT;
	size_t		i;

	for (i = 0; i < NELEM(addrs); i++) {
		addr_quote(addrs[i], strlen(addrs[i]), &ext);
		str_set(&path, "<");
		str_cat_mem(&path, ext.s, ext.len);
		str_cat(&path, ">");
		ok(addr_parse_path(path.s, path.len, UTF8, &back, NULL,
		    NULL) == 0 && str_eq(&back, addrs[i]),
		    "roundtrip: %s via %s", addrs[i], path.s);
		ok(addr_unquote(ext.s, ext.len, &back) == 0 &&
		    str_eq(&back, addrs[i]), "roundtrip: unquote %s", ext.s);
	}
	str_free(&ext);
	str_free(&back);
	str_free(&path);
}

static void
test_valid_domain(void)
{
	static const struct {
		const char	*name;
		const char	*in;
		size_t		 len;
		int		 flags;
		int		 want;
	} cases[] = {
		{ "simple", IN("example.org"), 0, 1 },
		{ "one label", IN("localhost"), 0, 1 },
		{ "digits", IN("0.9"), 0, 1 },
		{ "A-label", IN("xn--bcher-kva.example"), 0, 1 },
		{ "empty", IN(""), 0, 0 },
		{ "dot", IN("."), 0, 0 },
		{ "final dot", IN("a."), 0, 0 },
		{ "leading dot", IN(".a"), 0, 0 },
		{ "leading '-'", IN("-a"), 0, 0 },
		{ "final '-'", IN("a-"), 0, 0 },
		{ "only '-'", IN("-"), 0, 0 },
		{ "inner '--'", IN("a--b"), 0, 1 },
		{ "blank", IN("a b"), 0, 0 },
		{ "'_'", IN("a_b"), 0, 0 },
		{ "NUL inside", IN("a.b\0c"), 0, 0 },
		{ "8-bit", IN("m\xc3\xbcnchen.de"), 0, 0 },
		{ "UTF-8", IN("m\xc3\xbcnchen.de"), UTF8, 1 },
		{ "UTF-8 label ends '-'", IN("\xc3\xbc-.de"), UTF8, 0 },
		{ "bad UTF-8", IN("m\xfc" "nchen.de"), UTF8, 0 },
		{ "literal without flag", IN("[192.0.2.1]"), 0, 0 },
		{ "literal", IN("[192.0.2.1]"), ADDR_DOMAIN_LITERAL, 1 },
		{ "IPv6 literal", IN("[IPv6:::]"), ADDR_DOMAIN_LITERAL, 1 },
		{ "IPv6 literal, NUL", IN("[IPv6:::1\0:1]"),
		    ADDR_DOMAIN_LITERAL, 0 },
		{ "IPv6 literal, long",
		    IN("[IPv6:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1]"),
		    ADDR_DOMAIN_LITERAL, 0 },
		{ "IPv6 literal, 45 octets",
		    IN("[IPv6:0000:0000:0000:0000:0000:0000:255.255.255.255]"),
		    ADDR_DOMAIN_LITERAL, 1 },
		{ "IPv6 literal, longest",
		    IN("[IPv6:ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]"),
		    ADDR_DOMAIN_LITERAL, 1 },
		{ "literal unclosed", IN("[192.0.2.1"), ADDR_DOMAIN_LITERAL,
		    0 },
		{ "'[' alone", IN("["), ADDR_DOMAIN_LITERAL, 0 },
		{ "'[]'", IN("[]"), ADDR_DOMAIN_LITERAL, 0 },
	};
	char	*p;
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++) {
		is_int(addr_valid_domain(cases[i].in, cases[i].len,
		    cases[i].flags), cases[i].want, "valid_domain: %s",
		    cases[i].name);
	}
	p = repeat('a', 300);
	ok(addr_valid_domain(p, 63, 0), "valid_domain: label of 63");
	ok(!addr_valid_domain(p, 64, 0), "valid_domain: label of 64");
	memcpy(p, "\xc3\xbc", 2);
	ok(!addr_valid_domain(p, 64, UTF8), "valid_domain: UTF-8 label of 64");
	ok(addr_valid_domain(p, 63, UTF8), "valid_domain: UTF-8 label of 63");
	for (i = 63; i < 300; i += 64) {
		p[i] = '.';
	}
	ok(addr_valid_domain(p + 2, 255, 0), "valid_domain: 255 octets");
	ok(!addr_valid_domain(p + 2, 256, 0), "valid_domain: 256 octets");
	free(p);
}

static void
test_valid_local(void)
{
	static const struct {
		const char	*name;
		const char	*in;
		size_t		 len;
		int		 flags;
		int		 want;
	} cases[] = {
		{ "empty", IN(""), 0, 1 },
		{ "blank", IN("john doe"), 0, 1 },
		{ "all printable", IN(" !\"#()<>@[\\]~"), 0, 1 },
		{ "TAB", IN("a\tb"), 0, 0 },
		{ "CR", IN("a\r"), 0, 0 },
		{ "NUL", IN("a\0"), UTF8, 0 },
		{ "DEL", IN("\x7f"), 0, 0 },
		{ "8-bit", IN("\xc3\xb6"), 0, 0 },
		{ "UTF-8", IN("\xc3\xb6"), UTF8, 1 },
		{ "bad UTF-8", IN("\xff"), UTF8, 0 },
		{ "UTF-8 cut", IN("\xe2\x82"), UTF8, 0 },
		{ "UTF-8 4 bytes", IN("\xf0\x9f\x98\x80"), UTF8, 1 },
		{ "UTF-8 overlong 4", IN("\xf0\x8f\xbf\xbf"), UTF8, 0 },
	};
	size_t	i;

	for (i = 0; i < NELEM(cases); i++) {
		is_int(addr_valid_local(cases[i].in, cases[i].len,
		    cases[i].flags), cases[i].want, "valid_local: %s",
		    cases[i].name);
	}
}

static void
test_domain(void)
{
	is_str(addr_domain("u@x.org"), "x.org", "domain: simple");
	is_str(addr_domain("a@b@c"), "c", "domain: last '@'");
	ok(addr_domain("postmaster") == NULL, "domain: none");
	is_str(addr_domain("u@"), "", "domain: empty");
	is_str(addr_domain("@x"), "x", "domain: empty local part");
	ok(addr_domain_eq("Example.ORG", "example.org"), "domain_eq: case");
	ok(addr_domain_eq("", ""), "domain_eq: empty");
	ok(!addr_domain_eq("example.org", "example.org."),
	    "domain_eq: final dot differs");
	ok(!addr_domain_eq("a", "ab"), "domain_eq: prefix");
	ok(!addr_domain_eq("ab", "a"), "domain_eq: longer");
	ok(!addr_domain_eq("\xc3\x9c", "\xc3\xbc"),
	    "domain_eq: 8-bit compared exactly");
	ok(!addr_domain_eq("[", "{"), "domain_eq: no folding outside A-Z");
}

static void
test_split_ext(void)
{
	static const struct {
		const char	*name;
		const char	*addr;
		const char	*delims;
		int		 split;
		const char	*user;
		const char	*ext;
		const char	*domain;
		int		 delim;
	} cases[] = {
		{ "plus", "user+ext@x", "+", 1, "user", "ext", "x", '+' },
		{ "set", "user+ext@x", "-+", 1, "user", "ext", "x", '+' },
		{ "first found wins", "user-a+b@x", "+-", 1, "user", "a+b",
		    "x", '-' },
		{ "first found wins, order", "user+a-b@x", "-+", 1, "user",
		    "a-b", "x", '+' },
		{ "no delimiter", "user@x", "+", 0, "user", "", "x", 0 },
		{ "empty user", "+ext@x", "+", 0, "+ext", "", "x", 0 },
		{ "empty extension", "user+@x", "+", 1, "user", "", "x", '+' },
		{ "owner-", "owner-list@x", "-", 0, "owner-list", "", "x", 0 },
		{ "owner- with '+'", "owner-list+foo@x", "+", 1, "owner-list",
		    "foo", "x", '+' },
		{ "owner- with '+-'", "owner-list+foo@x", "+-", 0,
		    "owner-list+foo", "", "x", 0 },
		{ "OWNER-", "OWNER-list@x", "-", 0, "OWNER-list", "", "x", 0 },
		{ "-request", "list-request@x", "-", 0, "list-request", "",
		    "x", 0 },
		{ "-request with '+'", "list-request+a@x", "+", 1,
		    "list-request", "a", "x", '+' },
		{ "postmaster", "Postmaster@y", "+-", 0, "Postmaster", "",
		    "y", 0 },
		/* As Postfix: the whole local part is compared. */
		{ "postmaster+x", "Postmaster+x@y", "+", 1, "Postmaster", "x",
		    "y", '+' },
		{ "postmaster, exact", "postmaster@y", "+", 0, "postmaster",
		    "", "y", 0 },
		{ "postmaster prefix", "postmasterx+a@y", "+", 1,
		    "postmasterx", "a", "y", '+' },
		{ "MAILER-DAEMON", "MAILER-DAEMON@x", "-", 0, "MAILER-DAEMON",
		    "", "x", 0 },
		{ "double-bounce", "double-bounce@x", "-", 0, "double-bounce",
		    "", "x", 0 },
		{ "no domain", "user+ext", "+", 1, "user", "ext", "", '+' },
		{ "'@' in local part", "a+b@c+d@x", "+", 1, "a", "b@c+d", "x",
		    '+' },
		{ "delimiter in domain only", "user@a+b", "+", 0, "user", "",
		    "a+b", 0 },
		{ "empty local part", "@x", "+", 0, "", "", "x", 0 },
		{ "empty delimiters", "user+ext@x", "", 0, "user+ext", "", "x",
		    0 },
		{ "NULL delimiters", "user+ext@x", NULL, 0, "user+ext", "", "x",
		    0 },
	};
	struct addr_parts	parts = ADDR_PARTS_INIT;
	size_t			i;

	for (i = 0; i < NELEM(cases); i++) {
		str_set(&parts.ext, "junk");
		parts.delim = 'J';
		is_int(addr_split_ext(cases[i].addr, cases[i].delims, &parts),
		    cases[i].split, "split_ext: %s: result", cases[i].name);
		is_str(str_c(&parts.user), cases[i].user, "split_ext: %s: user",
		    cases[i].name);
		is_str(str_c(&parts.ext), cases[i].ext, "split_ext: %s: ext",
		    cases[i].name);
		is_str(str_c(&parts.domain), cases[i].domain,
		    "split_ext: %s: domain", cases[i].name);
		is_int(parts.delim, cases[i].delim, "split_ext: %s: delim",
		    cases[i].name);
	}
	addr_parts_free(&parts);
	ok(parts.user.s == NULL && parts.ext.s == NULL &&
	    parts.domain.s == NULL, "split_ext: parts_free releases all");
}

struct list_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	int		 flags;
	const char	*want;	/* the addresses joined by '|' */
	size_t		 bad;
};

static const struct list_case list_cases[] = {
	{ "one", IN("a@x"), 0, "a@x", 0 },
	{ "two", IN("a@x, b@y"), 0, "a@x|b@y", 0 },
	{ "no blank", IN("a@x,b@y"), 0, "a@x|b@y", 0 },
	{ "quoted display name with comma", IN("\"Doe, John\" <john@x>"), 0,
	    "john@x", 0 },
	{ "display names", IN("John Doe <john@x>, Jane <jane@y>"), 0,
	    "john@x|jane@y", 0 },
	{ "display name with dots", IN("J. R. Doe <jrd@x>"), 0, "jrd@x", 0 },
	{ "comment after", IN("john@x (John Doe)"), 0, "john@x", 0 },
	{ "nested comments", IN("john@x (a (b) c), (x(y)) jane@y"), 0,
	    "john@x|jane@y", 0 },
	{ "comments inside", IN("john(c)@(d)x"), 0, "john@x", 0 },
	{ "comment with quoted-pair", IN("a@x (a \\) b), b@y"), 0,
	    "a@x|b@y", 0 },
	{ "comment holding '<' and ','", IN("(<a@x>, ) b@y"), 0, "b@y", 0 },
	{ "comment with CRLF", IN("a@x (a\r\n b)"), 0, "a@x", 0 },
	{ "empty group", IN("undisclosed-recipients:;"), 0, "", 0 },
	{ "empty group, blanks", IN("Undisclosed recipients: ;"), 0, "", 0 },
	{ "group", IN("team: a@x, b@y;"), 0, "a@x|b@y", 0 },
	{ "group then more", IN("team: a@x;, c@z"), 0, "a@x|c@z", 0 },
	{ "group with display names", IN("team: John <a@x>, b@y; c@z"), 0,
	    "a@x|b@y|c@z", 0 },
	{ "quoted group name", IN("\"my: team\": a@x;"), 0, "a@x", 0 },
	{ "group without ';'", IN("team: a@x, b@y"), 0, "a@x|b@y", 0 },
	{ "two groups", IN("g1: a@x; g2: b@y;"), 0, "a@x|b@y", 0 },
	{ "nested group", IN("g1: g2: a@x;;"), 0, "", 1 },
	{ "quoted local part", IN("\"john doe\"@x"), 0, "john doe@x", 0 },
	{ "quoted-pair", IN("\"a\\\"b\"@x"), 0, "a\"b@x", 0 },
	{ "quoted '@'", IN("\"a@b\"@x"), 0, "a@b@x", 0 },
	{ "quoted words", IN("\"a\".b@x"), 0, "a.b@x", 0 },
	{ "bare local part", IN("postmaster"), 0, "postmaster", 0 },
	{ "bare local parts", IN("alice, bob"), 0, "alice|bob", 0 },
	{ "bare local part, quoted", IN("\"john doe\""), 0, "john doe", 0 },
	{ "bare quoted '@'", IN("\"a@b\""), 0, "", 1 },
	{ "bare empty quoted", IN("\"\""), 0, "", 1 },
	{ "empty quoted local part", IN("\"\"@x"), 0, "@x", 0 },
	{ "unquoted comma in name", IN("Doe, John <j@x>"), 0, "Doe|j@x", 0 },
	{ "route", IN("<@a.example,@b.example:c@d>"), 0, "c@d", 0 },
	{ "route with name", IN("Joe <@a:joe@x>, b@y"), 0, "joe@x|b@y", 0 },
	{ "route without ':'", IN("<@a,b@y>"), 0, "", 1 },
	{ "folding CRLF", IN("a@x,\r\n b@y"), 0, "a@x|b@y", 0 },
	{ "folding LF", IN("John\n Doe <j@x>"), 0, "j@x", 0 },
	{ "folding in quoted string", IN("\"john\r\n doe\"@x"), 0,
	    "john doe@x", 0 },
	{ "folding TAB", IN("a@x,\r\n\tb@y"), 0, "a@x|b@y", 0 },
	{ "empty elements", IN(", a@x,, ,b@y,"), 0, "a@x|b@y", 0 },
	{ "semicolons", IN("a@x; b@y"), 0, "a@x|b@y", 0 },
	{ "obsolete blanks", IN("john . doe @ x . org"), 0,
	    "john.doe@x.org", 0 },
	{ "obsolete dots", IN("john.@x, .a..b@y"), 0, "john.@x|.a..b@y", 0 },
	{ "literal", IN("u@[192.0.2.1]"), 0, "u@[192.0.2.1]", 0 },
	{ "IPv6 literal", IN("<u@[IPv6:::1]>"), 0, "u@[IPv6:::1]", 0 },
	{ "bad literal", IN("u@[999.1.1.1], a@x"), 0, "a@x", 1 },
	{ "literal then label", IN("u@[192.0.2.1].x"), 0, "", 1 },
	{ "label then literal", IN("u@x[192.0.2.1]"), 0, "", 1 },
	{ "literal unclosed", IN("u@[192.0.2.1, a@x"), 0, "", 1 },
	{ "bad domain", IN("u@-x, v@x_y, a@x"), 0, "a@x", 2 },
	{ "empty domain", IN("u@, a@x"), 0, "a@x", 1 },
	{ "garbage", IN("@@@, a@x"), 0, "a@x", 1 },
	{ "two words", IN("John Doe, a@x"), 0, "a@x", 1 },
	{ "two addresses, no comma", IN("a@x b@y"), 0, "", 1 },
	{ "colon after address", IN("a@x: b@y"), 0, "", 1 },
	{ "'<' not closed", IN("John <a@x, b@y"), 0, "", 1 },
	{ "'>' alone", IN("a@x>, b@y"), 0, "b@y", 1 },
	{ "two angle addresses", IN("<a@x> <b@y>, c@z"), 0, "c@z", 1 },
	{ "nested angle", IN("<<a@x>>"), 0, "", 1 },
	{ "junk after angle", IN("<a@x> (c) junk"), 0, "a@x", 0 },
	{ "empty angle", IN("<>, a@x"), 0, "a@x", 1 },
	{ "quote not closed", IN("\"abc, a@x"), 0, "", 1 },
	{ "comment not closed", IN("a@x, b@y (oops"), 0, "a@x", 1 },
	{ "stray ')'", IN("a@x), b@y"), 0, "b@y", 1 },
	{ "stray '\\'", IN("a\\b@x, b@y"), 0, "b@y", 1 },
	{ "final '\\' in quote", IN("\"a\\"), 0, "", 1 },
	{ "NUL", IN("a\0b@x, c@y"), 0, "c@y", 1 },
	{ "NUL in quoted string", IN("\"a\0b\"@x, c@y"), 0, "c@y", 1 },
	{ "NUL in display name", IN("J\0e <j@x>"), 0, "j@x", 0 },
	{ "control byte", IN("a\x01@x, c@y"), 0, "c@y", 1 },
	{ "TAB in quoted string", IN("\"a\tb\"@x"), 0, "", 1 },
	{ "DEL", IN("a\x7f@x"), 0, "", 1 },
	{ "8-bit", IN("j\xc3\xb6rg@x, a@y"), 0, "a@y", 1 },
	{ "UTF-8", IN("j\xc3\xb6rg@x, a@y"), UTF8, "j\xc3\xb6rg@x|a@y", 0 },
	{ "UTF-8 domain", IN("a@b\xc3\xbc.de"), UTF8, "a@b\xc3\xbc.de", 0 },
	{ "bad UTF-8", IN("j\xf6rg@x, a@y"), UTF8, "a@y", 1 },
	{ "8-bit display name", IN("J\xc3\xb6rg <j@x>"), 0, "j@x", 0 },
	{ "empty", IN(""), 0, "", 0 },
	{ "blanks only", IN(" \r\n\t "), 0, "", 0 },
	{ "comment only", IN("(nobody)"), 0, "", 0 },
	{ "strict, local part of 64", IN(
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "@x"), STRICT,
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "@x", 0 },
	{ "strict, local part of 65", IN(
	    "01234567890123456789012345678901234567890123456789012345678901234"
	    "@x"), STRICT, "", 1 },
};

static void
test_list_table(void)
{
	const struct list_case	*c;
	struct addr_list	 list = ADDR_LIST_INIT;
	struct str		 got = STR_INIT;
	size_t			 i, j;
	int			 r;

	for (i = 0; i < NELEM(list_cases); i++) {
		c = &list_cases[i];
		errno = 0;
		r = addr_list_parse(c->in, c->len, c->flags, &list);
		str_clear(&got);
		for (j = 0; j < list.count; j++) {
			if (j > 0) {
				str_cat_char(&got, '|');
			}
			str_cat_mem(&got, list.item[j].s, list.item[j].len);
		}
		is_int(r, 0, "list: %s: result", c->name);
		is_mem(got.s == NULL ? "" : got.s, got.len, c->want,
		    strlen(c->want), "list: %s: addresses", c->name);
		is_int(list.bad, c->bad, "list: %s: bad", c->name);
		addr_list_free(&list);
	}
	str_free(&got);
}

static void
test_list_limits(void)
{
	struct addr_list	list = ADDR_LIST_INIT;
	struct str		in = STR_INIT;
	size_t			i;
	int			r;
	char			*p;

	for (i = 0; i < ADDR_LIST_MAX; i++) {
		str_catf(&in, "%su%zu@x", i > 0 ? ", " : "", i);
	}
	str_cat(&in, ",,, (no more) ,");
	r = addr_list_parse(in.s, in.len, 0, &list);
	ok(r == 0 && list.count == ADDR_LIST_MAX && list.bad == 0,
	    "list limits: ADDR_LIST_MAX addresses");
	ok(str_eq(&list.item[ADDR_LIST_MAX - 1], "u999@x"),
	    "list limits: the last one kept");
	addr_list_free(&list);
	str_cat(&in, "extra@x, more@x");
	errno = 0;
	r = addr_list_parse(in.s, in.len, 0, &list);
	ok(r == -1 && errno == EMSGSIZE && list.count == ADDR_LIST_MAX,
	    "list limits: ADDR_LIST_MAX + 1 is EMSGSIZE, first ones kept");
	ok(str_eq(&list.item[0], "u0@x"), "list limits: order kept");
	addr_list_free(&list);

	/* Bad items do not count toward the limit. */
	str_clear(&in);
	for (i = 0; i < ADDR_LIST_MAX + 10; i++) {
		str_cat(&in, "@@, ");
	}
	str_cat(&in, "last@x");
	r = addr_list_parse(in.s, in.len, 0, &list);
	ok(r == 0 && list.count == 1 && list.bad == ADDR_LIST_MAX + 10,
	    "list limits: bad items are counted, not limited");
	addr_list_free(&list);

	/* An address longer than ADDR_PATH_MAX. */
	p = repeat('a', ADDR_PATH_MAX + 1);
	p[ADDR_PATH_MAX - 2] = '@';
	r = addr_list_parse(p, ADDR_PATH_MAX, 0, &list);
	ok(r == 0 && list.count == 1 && list.item[0].len == ADDR_PATH_MAX,
	    "list limits: address of ADDR_PATH_MAX");
	addr_list_free(&list);
	p[ADDR_PATH_MAX - 2] = 'a';
	p[ADDR_PATH_MAX - 1] = '@';
	r = addr_list_parse(p, ADDR_PATH_MAX + 1, 0, &list);
	ok(r == 0 && list.count == 0 && list.bad == 1,
	    "list limits: address of ADDR_PATH_MAX + 1 is bad");
	addr_list_free(&list);
	free(p);

	/* Deep comments do not recurse; a long one-byte run does not loop. */
	str_clear(&in);
	for (i = 0; i < 200000; i++) {
		str_cat_char(&in, '(');
	}
	str_cat(&in, "x");
	for (i = 0; i < 200000; i++) {
		str_cat_char(&in, ')');
	}
	str_cat(&in, " a@x");
	r = addr_list_parse(in.s, in.len, 0, &list);
	ok(r == 0 && list.count == 1 && str_eq(&list.item[0], "a@x"),
	    "list limits: comments nested 200000 deep");
	addr_list_free(&list);
	str_truncate(&in, 200000);
	r = addr_list_parse(in.s, in.len, 0, &list);
	ok(r == 0 && list.count == 0 && list.bad == 1,
	    "list limits: 200000 unclosed comments are one bad item");
	addr_list_free(&list);
	str_clear(&in);
	for (i = 0; i < 100000; i++) {
		str_cat(&in, ":<");
	}
	r = addr_list_parse(in.s, in.len, 0, &list);
	ok(r == 0 && list.count == 0 && list.bad == 1,
	    "list limits: 100000 \":<\" are one bad item");
	addr_list_free(&list);
	str_free(&in);
}

static void
test_list_append(void)
{
	struct addr_list	list = ADDR_LIST_INIT;

	ok(addr_list_parse(IN("a@x, @"), 0, &list) == 0 &&
	    addr_list_parse(IN("b@y"), 0, &list) == 0,
	    "list append: two calls");
	ok(list.count == 2 && str_eq(&list.item[0], "a@x") &&
	    str_eq(&list.item[1], "b@y") && list.bad == 1,
	    "list append: both kept, bad counted");
	addr_list_free(&list);
	ok(list.item == NULL && list.count == 0 && list.cap == 0 &&
	    list.bad == 0, "list append: free resets");
	addr_list_free(&list);
	ok(1, "list append: free twice is harmless");
}

/* Where each item was: the addr-spec's tokens, nothing around them. */
static void
test_list_span(void)
{
	static const char	 in[] = "\"Bob B.\" <bob@x>, carol @ y (C),\n"
	    "\tg: <@r1,@r2:d@z>;, \"q u\"@w";
	static const char *const want[] = { "bob@x", "carol @ y",
	    "d@z", "\"q u\"@w" };
	struct addr_list	 list = ADDR_LIST_INIT;
	size_t			 i;
	int			 same = 1;

	ok(addr_list_parse(in, sizeof(in) - 1, 0, &list) == 0 &&
	    list.count == 4, "list span: four items");
	for (i = 0; i < list.count && i < 4; i++) {
		if (list.span[i].pos + list.span[i].len > sizeof(in) - 1 ||
		    list.span[i].len != strlen(want[i]) ||
		    memcmp(in + list.span[i].pos, want[i],
		    list.span[i].len) != 0) {
			diag("item %zu: span %zu+%zu", i, list.span[i].pos,
			    list.span[i].len);
			same = 0;
		}
	}
	ok(same, "list span: the addr-spec of each, route and display "
	    "name outside");
	addr_list_free(&list);
	ok(list.span == NULL, "list span: freed");
}

/* True when s holds a byte no internal address may hold. */
static int
has_control(const struct str *s)
{
	size_t	i;

	for (i = 0; i < s->len; i++) {
		if ((unsigned char)s->s[i] < 0x20 ||
		    (unsigned char)s->s[i] == 0x7f) {
			return 1;
		}
	}
	return 0;
}

/*
 * Pseudo-random hostile inputs, mostly from an alphabet of the bytes
 * that matter to the parsers.  Each run must end; what is accepted must
 * be clean and must quote back to a path that parses to the same thing.
 */
static void
test_random(void)
{
	static const char	alphabet[] = "<>@\"\\.,:;()[] \t\r\nab-1"
	    "\0\x01\x7f\xc3\xb6\xff";
	struct addr_list	list = ADDR_LIST_INIT;
	struct str		addr = STR_INIT, ext = STR_INIT;
	struct str		back = STR_INIT;
	unsigned long		seed = 12345;
	char			in[64];
	size_t			i, j, n, end, accepted = 0, items = 0;
	int			flags, bad = 0;

	for (i = 0; i < 200000; i++) {
		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		n = (seed >> 33) % sizeof(in);
		for (j = 0; j < n; j++) {
			seed = seed * 6364136223846793005UL +
			    1442695040888963407UL;
			in[j] = alphabet[(seed >> 33) % (sizeof(alphabet) - 1)];
		}
		flags = (int)(i % 32) & (NUL_OK | LAX | UTF8 | STRICT | RCPT);
		if (addr_parse_path(in, n, flags, &addr, &end, NULL) == 0) {
			accepted++;
			if (end > n || has_control(&addr) || (addr.len == 0 &&
			    !(flags & NUL_OK)) || !addr_valid_local(addr.s,
			    addr.len, flags & UTF8)) {
				bad++;
				diag("path accepted %.*s", (int)n, in);
			}
			if (addr.len > 0) {
				addr_quote(addr.s, addr.len, &ext);
				str_set(&back, "<");
				str_cat_mem(&back, ext.s, ext.len);
				str_cat(&back, ">");
				if (addr_parse_path(back.s, back.len,
				    flags & UTF8, &ext, NULL, NULL) != 0 ||
				    !str_eq(&ext, addr.s)) {
					bad++;
					diag("roundtrip %s", back.s);
				}
			}
		}
		if (addr_list_parse(in, n, flags & (UTF8 | STRICT), &list)
		    != 0) {
			bad++;
		}
		for (j = 0; j < list.count; j++) {
			items++;
			if (has_control(&list.item[j]) ||
			    list.item[j].len == 0) {
				bad++;
				diag("list item from %.*s", (int)n, in);
			}
			addr_quote(list.item[j].s, list.item[j].len, &ext);
			str_set(&back, "<");
			str_cat_mem(&back, ext.s, ext.len);
			str_cat(&back, ">");
			if (addr_parse_path(back.s, back.len, UTF8, &addr,
			    NULL, NULL) != 0 || !str_eq(&addr,
			    list.item[j].s)) {
				bad++;
				diag("list roundtrip %s", back.s);
			}
		}
		addr_list_free(&list);
	}
	diag("random: %zu paths accepted, %zu list items", accepted, items);
	is_int(bad, 0, "random: accepted addresses are clean and round-trip");
	ok(accepted > 0 && items > 0, "random: some inputs were accepted");
	str_free(&addr);
	str_free(&ext);
	str_free(&back);
}

int
main(void)
{
	test_path_table();
	test_path_limits();
	test_quote();
	test_unquote();
	test_roundtrip();
	test_valid_domain();
	test_valid_local();
	test_domain();
	test_split_ext();
	test_list_table();
	test_list_limits();
	test_list_append();
	test_list_span();
	test_random();
	return done_testing();
}
