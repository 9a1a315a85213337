/* SPDX-License-Identifier: ISC */
/*
 * mapsrc.c: unit tests for lib/mapsrc, the parser of postmap and aliases
 * sources, and its alias value splitter.
 *
 * Each parse case gives the source bytes (with an explicit length, so a
 * case may hold NUL bytes), the format, and the exact expected entries
 * ("LINE|KEY|VALUE" lines), problem messages and problem count.  Limit
 * cases are built at run time: at the limit, and one past it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "mapsrc.h"
#include "tap.h"

#define S(lit)	lit, sizeof(lit) - 1

struct parse_case {
	const char		*name;
	enum mapsrc_format	 format;
	const char		*in;
	size_t			 len;
	const char		*entries;	/* LINE|KEY|VALUE\n ... */
	const char		*errs;
	int			 nerr;
};

static int	collect(void *, const char *, size_t, const char *, size_t,
		    int);
static int	stop_at_second(void *, const char *, size_t, const char *,
		    size_t, int);
static void	run_parse(const struct parse_case *);
static void	test_postmap(void);
static void	test_aliases(void);
static void	test_limits(void);
static void	test_callback_stop(void);
static void	test_alias_next(void);

static int
collect(void *ctx, const char *key, size_t keylen, const char *value,
    size_t valuelen, int line)
{
	struct str	*out = ctx;

	/* The contract: NUL-terminated after the length, no NUL inside. */
	if (key[keylen] != '\0' || value[valuelen] != '\0' ||
	    memchr(key, '\0', keylen) != NULL ||
	    memchr(value, '\0', valuelen) != NULL) {
		str_cat(out, "BAD TERMINATION\n");
	}
	str_catf(out, "%d|", line);
	str_cat_mem(out, key, keylen);
	str_cat_char(out, '|');
	str_cat_mem(out, value, valuelen);
	str_cat_char(out, '\n');
	return 0;
}

static void
run_parse(const struct parse_case *c)
{
	struct str	out = STR_INIT, errs = STR_INIT;
	int		n;

	n = mapsrc_parse(c->in, c->len, c->format, "src", collect, &out,
	    &errs);
	is_int(n, c->nerr, "%s: problem count", c->name);
	is_mem(out.s, out.len, c->entries, strlen(c->entries),
	    "%s: entries", c->name);
	is_mem(errs.s, errs.len, c->errs, strlen(c->errs),
	    "%s: messages", c->name);
	str_free(&out);
	str_free(&errs);
}

static void
test_postmap(void)
{
	static const struct parse_case cases[] = {
		{ "empty", MAPSRC_POSTMAP, S(""), "", "", 0 },
		{ "one entry", MAPSRC_POSTMAP, S("a b\n"), "1|a|b\n", "", 0 },
		{ "no trailing newline", MAPSRC_POSTMAP, S("a b"),
		    "1|a|b\n", "", 0 },
		{ "blanks around and inside the value", MAPSRC_POSTMAP,
		    S("key \t value  with   blanks \t \n"),
		    "1|key|value  with   blanks\n", "", 0 },
		{ "CRLF", MAPSRC_POSTMAP, S("a b\r\nc d\r\n"),
		    "1|a|b\n2|c|d\n", "", 0 },
		{ "CRLF without final newline", MAPSRC_POSTMAP,
		    S("a b\r\nc d\r"), "1|a|b\n2|c|d\n", "", 0 },
		{ "comments and blank lines", MAPSRC_POSTMAP,
		    S("# comment\n\n   \t\nk v\n#k2 v2\n"), "4|k|v\n", "", 0 },
		{ "hash inside a line is data", MAPSRC_POSTMAP,
		    S("a b # not a comment\n"), "1|a|b # not a comment\n",
		    "", 0 },
		{ "continuation joins with one space", MAPSRC_POSTMAP,
		    S("a b   \n   c\n\td  \n"), "1|a|b c d\n", "", 0 },
		{ "continuation across blank and comment lines",
		    MAPSRC_POSTMAP, S("a b\n\n  # indented comment\n c\nd e\n"),
		    "1|a|b c\n5|d|e\n", "", 0 },
		{ "continuation gives a key its value", MAPSRC_POSTMAP,
		    S("a\n b\n"), "1|a|b\n", "", 0 },
		{ "key without value", MAPSRC_POSTMAP, S("a\nb c\n"),
		    "2|b|c\n",
		    "src, line 1: expected format: key whitespace value\n", 1 },
		{ "key with trailing blanks only", MAPSRC_POSTMAP,
		    S("a \t \n"), "",
		    "src, line 1: expected format: key whitespace value\n", 1 },
		{ "continuation first", MAPSRC_POSTMAP, S(" a b\nc d\n"),
		    "2|c|d\n", "src, line 1: continuation line without "
		    "anything before it\n", 1 },
		{ "NUL byte", MAPSRC_POSTMAP, S("a b\0c\nd e\n"),
		    "2|d|e\n", "src, line 1: NUL byte in line\n", 1 },
		{ "8-bit bytes and case kept", MAPSRC_POSTMAP,
		    S("K\xc3\xa9Y V\xff" "ALUE\n"),
		    "1|K\xc3\xa9Y|V\xff" "ALUE\n",
		    "", 0 },
		{ "duplicates are passed on", MAPSRC_POSTMAP,
		    S("a b\na c\n"), "1|a|b\n2|a|c\n", "", 0 },
		{ "several problems, all reported", MAPSRC_POSTMAP,
		    S("x\ny\nok v\nz\n"), "3|ok|v\n",
		    "src, line 1: expected format: key whitespace value\n"
		    "src, line 2: expected format: key whitespace value\n"
		    "src, line 4: expected format: key whitespace value\n",
		    3 },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_parse(&cases[i]);
	}
}

static void
test_aliases(void)
{
	static const struct parse_case cases[] = {
		{ "alias", MAPSRC_ALIASES, S("root: admin\n"),
		    "1|root|admin\n", "", 0 },
		{ "blanks before the colon", MAPSRC_ALIASES,
		    S("Root \t: a, b\n"), "1|Root|a, b\n", "", 0 },
		{ "colon in the value", MAPSRC_ALIASES, S("a: b:c\n"),
		    "1|a|b:c\n", "", 0 },
		{ "list with command, file, include", MAPSRC_ALIASES,
		    S("a: \"|/bin/cmd x, y\", /var/f, :include:/etc/l\n"),
		    "1|a|\"|/bin/cmd x, y\", /var/f, :include:/etc/l\n",
		    "", 0 },
		{ "quoted name", MAPSRC_ALIASES, S("\"x y\": z\n"),
		    "1|x y|z\n", "", 0 },
		{ "quoted name with escapes and colon", MAPSRC_ALIASES,
		    S("\"a\\\"b:c\" : z\n"), "1|a\"b:c|z\n", "", 0 },
		{ "continuation", MAPSRC_ALIASES, S("a: b,\n  c\n\n\t,d\n"),
		    "1|a|b, c ,d\n", "", 0 },
		{ "CRLF", MAPSRC_ALIASES, S("a: b\r\nc: d\r\n"),
		    "1|a|b\n2|c|d\n", "", 0 },
		{ "no colon", MAPSRC_ALIASES, S("root admin\n"), "",
		    "src, line 1: expected format: name: value\n", 1 },
		{ "empty name", MAPSRC_ALIASES, S(": x\n"), "",
		    "src, line 1: empty name before ':'\n", 1 },
		{ "empty quoted name", MAPSRC_ALIASES, S("\"\": x\n"), "",
		    "src, line 1: empty name before ':'\n", 1 },
		{ "empty value", MAPSRC_ALIASES, S("a:\nb:  \t\n"), "",
		    "src, line 1: expected format: name: value\n"
		    "src, line 2: expected format: name: value\n", 2 },
		{ "blank in unquoted name", MAPSRC_ALIASES, S("a b: c\n"),
		    "", "src, line 1: white space in name (put the name in "
		    "double quotes)\n", 1 },
		{ "unclosed quoted name", MAPSRC_ALIASES, S("\"abc: z\n"),
		    "", "src, line 1: unbalanced quote in name\n", 1 },
		{ "backslash ends quoted name", MAPSRC_ALIASES,
		    S("\"abc\\"), "",
		    "src, line 1: unbalanced quote in name\n", 1 },
		{ "quoted name without colon", MAPSRC_ALIASES,
		    S("\"abc\" z\n"), "",
		    "src, line 1: expected format: name: value\n", 1 },
		{ "unbalanced quote in value", MAPSRC_ALIASES,
		    S("a: \"|cmd\nb: c\n"), "2|b|c\n",
		    "src, line 1: unbalanced quote in value\n", 1 },
		/* The whole entry is dropped and counted, so the source as
		 * a whole is refused by every caller. */
		{ "NUL in a continuation", MAPSRC_ALIASES,
		    S("a: b\n c\0\nd: e\n"), "3|d|e\n",
		    "src, line 2: NUL byte in line\n", 1 },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_parse(&cases[i]);
	}
}

static void
test_limits(void)
{
	struct str		 in = STR_INIT, want = STR_INIT;
	struct parse_case	 c;
	char			 msg[200];

	/* A key of exactly MAP_KEY_MAX bytes, then one more. */
	str_clear(&in);
	while (in.len < MAP_KEY_MAX) {
		str_cat_char(&in, 'k');
	}
	str_set(&want, "1|");
	str_cat_mem(&want, in.s, in.len);
	str_cat(&want, "|v\n");
	str_cat(&in, " v\n");
	c = (struct parse_case){ "key at MAP_KEY_MAX", MAPSRC_POSTMAP,
	    in.s, in.len, want.s, "", 0 };
	run_parse(&c);

	str_set(&in, "k");
	while (in.len < MAP_KEY_MAX) {
		str_cat_char(&in, 'k');
	}
	str_cat(&in, "K v\nok v\n");
	snprintf(msg, sizeof(msg), "src, line 1: key longer than %d bytes\n",
	    MAP_KEY_MAX);
	c = (struct parse_case){ "key at MAP_KEY_MAX + 1", MAPSRC_POSTMAP,
	    in.s, in.len, "2|ok|v\n", msg, 1 };
	run_parse(&c);

	/* An alias name of MAP_KEY_MAX + 1 bytes once unquoted. */
	str_set(&in, "\"");
	while (in.len < MAP_KEY_MAX + 2) {
		str_cat_char(&in, 'n');
	}
	str_cat(&in, "\": x\n");
	c = (struct parse_case){ "alias name at MAP_KEY_MAX + 1",
	    MAPSRC_ALIASES, in.s, in.len, "", msg, 1 };
	run_parse(&c);

	/* A logical line of exactly MAP_LINE_MAX bytes, over two physical
	 * lines, then one byte more. */
	str_set(&in, "k ");
	while (in.len < MAP_LINE_MAX - 10) {
		str_cat_char(&in, 'v');
	}
	str_cat(&in, "\n   ");
	while (in.len < MAP_LINE_MAX + 3) {
		str_cat_char(&in, 'w');
	}
	str_set(&want, "1|k|");
	str_cat_mem(&want, in.s + 2, MAP_LINE_MAX - 12);
	str_cat_char(&want, ' ');
	str_cat_mem(&want, in.s + MAP_LINE_MAX - 6, 9);
	str_cat_char(&want, '\n');
	c = (struct parse_case){ "logical line at MAP_LINE_MAX",
	    MAPSRC_POSTMAP, in.s, in.len, want.s, "", 0 };
	run_parse(&c);

	str_cat(&in, "w\nok v\n");
	snprintf(msg, sizeof(msg), "src, line 1: logical line longer than "
	    "%d bytes\n", MAP_LINE_MAX);
	c = (struct parse_case){ "logical line at MAP_LINE_MAX + 1",
	    MAPSRC_POSTMAP, in.s, in.len, "3|ok|v\n", msg, 1 };
	run_parse(&c);

	str_free(&in);
	str_free(&want);
}

static int
stop_at_second(void *ctx, const char *key, size_t keylen,
    const char *value, size_t valuelen, int line)
{
	int	*calls = ctx;

	(void)key;
	(void)keylen;
	(void)value;
	(void)valuelen;
	(void)line;
	if (++*calls == 2) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

static void
test_callback_stop(void)
{
	struct str	errs = STR_INIT;
	int		calls = 0, n;

	errno = 0;
	n = mapsrc_parse(S("a b\nc d\ne f\n"), MAPSRC_POSTMAP, "src",
	    stop_at_second, &calls, &errs);
	is_int(n, -1, "callback -1: parse returns -1");
	is_int(errno, ENOSPC, "callback -1: its errno is kept");
	is_int(calls, 2, "callback -1: no call after it");
	str_free(&errs);
}

static void
test_alias_next(void)
{
	static const struct {
		const char	*name;
		const char	*in;
		size_t		 len;
		const char	*want;	/* [elem][elem]... */
		int		 last;	/* 0 or -1 */
	} cases[] = {
		{ "empty", S(""), "", 0 },
		{ "blanks and commas only", S(" , ,\t,"), "", 0 },
		{ "two", S("a, b"), "[a][b]", 0 },
		{ "empty elements skipped", S(" , ,a,,b ,"), "[a][b]", 0 },
		{ "blank inside an element kept", S("a\tb , c"), "[a\tb][c]",
		    0 },
		{ "quoted command with comma", S("\"|cmd x, y\", /f"),
		    "[|cmd x, y][/f]", 0 },
		{ "quoted local part kept", S("\"john doe\"@example.org, b"),
		    "[\"john doe\"@example.org][b]", 0 },
		{ "escapes in quotes", S("\"a\\\"b\\\\\""), "[a\"b\\]", 0 },
		{ "empty quoted string", S("\"\", x"), "[][x]", 0 },
		{ "include and file", S(":include:/etc/l,/var/mbox"),
		    "[:include:/etc/l][/var/mbox]", 0 },
		{ "8-bit bytes", S("\xc3\xa9t\xc3\xa9"), "[\xc3\xa9t\xc3\xa9]",
		    0 },
		{ "unclosed quote", S("a, \"b, c"), "[a]", -1 },
		{ "backslash at the end in quotes", S("\"b\\"), "", -1 },
	};
	struct str	got = STR_INIT, elem = STR_INIT;
	size_t		i, pos;
	int		r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		str_clear(&got);
		pos = 0;
		while ((r = mapsrc_alias_next(cases[i].in, cases[i].len, &pos,
		    &elem)) == 1) {
			str_cat_char(&got, '[');
			str_cat_mem(&got, elem.s, elem.len);
			str_cat_char(&got, ']');
			if (got.len > 1000) {
				break;
			}
		}
		is_mem(got.s, got.len, cases[i].want, strlen(cases[i].want),
		    "alias_next %s: elements", cases[i].name);
		is_int(r, cases[i].last, "alias_next %s: last result",
		    cases[i].name);
		if (r == -1) {
			is_int(errno, EINVAL, "alias_next %s: EINVAL",
			    cases[i].name);
		}
	}
	str_free(&got);
	str_free(&elem);
}

int
main(void)
{
	test_postmap();
	test_aliases();
	test_limits();
	test_callback_stop();
	test_alias_next();
	return done_testing();
}
