/* SPDX-License-Identifier: ISC */
/*
 * cfline.c: unit tests for lib/cfline (logical lines of Postfix-style
 * configuration files).
 *
 * Each case gives an input (with its length, so it may hold NUL bytes), a
 * line limit, and the expected result written out as text: every logical
 * line as "N|text\n" (N its first physical line), every problem exactly as
 * cfline appends it, and the problem count.  Comparing whole transcripts
 * catches a lost, merged or renumbered line as well as a wrong message.
 */
#include <stdio.h>
#include <string.h>

#include "cfline.h"
#include "str.h"
#include "tap.h"

#define MEM(s)	(s), (sizeof(s) - 1)

struct cfline_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	size_t		 max;
	/* "N|text\n" per logical line */
	const char	*want;
	/* problems, exactly */
	const char	*errs;
	int		 nerr;
};

static void	run_case(const struct cfline_case *);
static void	test_cases(void);
static void	test_end_is_sticky(void);
static void	test_big_limit(void);

static const struct cfline_case cases[] = {
	{ "empty input", MEM(""), 100, "", "", 0 },
	{ "only a newline", MEM("\n"), 100, "", "", 0 },
	{ "comments and blank lines", MEM("# one\n\n   \n\t# two\n#\n"),
	    100, "", "", 0 },
	{ "one line", MEM("a = b\n"), 100, "1|a = b\n", "", 0 },
	{ "no final newline", MEM("a = b"), 100, "1|a = b\n", "", 0 },
	{ "no final newline after a continuation", MEM("a = b\n c"), 100,
	    "1|a = b c\n", "", 0 },
	{ "two lines", MEM("a\nb\n"), 100, "1|a\n2|b\n", "", 0 },
	{ "blank lines count for numbering", MEM("\n\n\na\n\n\nb\n"), 100,
	    "4|a\n7|b\n", "", 0 },
	{ "comment between lines", MEM("a\n# x\nb\n"), 100,
	    "1|a\n3|b\n", "", 0 },
	{ "'#' after text is not a comment", MEM("a = b # c\n"), 100,
	    "1|a = b # c\n", "", 0 },
	{ "continuation lines", MEM("a = b\n  c\n\td\ne\n"), 100,
	    "1|a = b c d\n4|e\n", "", 0 },
	{ "continuation after a comment line", MEM("a = b\n# c\n  d\n"),
	    100, "1|a = b d\n", "", 0 },
	{ "continuation after an indented comment",
	    MEM("a = b\n   # c\n  d\n"), 100, "1|a = b d\n", "", 0 },
	{ "continuation after a blank line", MEM("a = b\n\n  d\n"), 100,
	    "1|a = b d\n", "", 0 },
	{ "continuation after a white-space-only line",
	    MEM("a = b\n \t \n  d\n"), 100, "1|a = b d\n", "", 0 },
	{ "inner white space kept, outer dropped",
	    MEM("a  =  b   c \t\n \t d  e  \n"), 100,
	    "1|a  =  b   c d  e\n", "", 0 },
	{ "continuation at the start of the file", MEM("  x\na\n"), 100,
	    "2|a\n",
	    "f, line 1: continuation line without anything before it\n", 1 },
	{ "continuation after a leading comment", MEM("# c\n\n\tx\na\n"),
	    100, "4|a\n",
	    "f, line 3: continuation line without anything before it\n", 1 },
	{ "only continuation lines", MEM(" a\n b\n"), 100, "",
	    "f, line 1: continuation line without anything before it\n"
	    "f, line 2: continuation line without anything before it\n", 2 },
	{ "CRLF", MEM("a = b\r\nc = d\r\n  e\r\n\r\n# x\r\nf\r\n"), 100,
	    "1|a = b\n2|c = d e\n6|f\n", "", 0 },
	{ "CRLF without final newline", MEM("a = b\r"), 100, "1|a = b\n",
	    "", 0 },
	{ "NUL in a line", MEM("a\nb\0c\nd\n"), 100, "1|a\n3|d\n",
	    "f, line 2: NUL byte in line\n", 1 },
	{ "NUL in the first line", MEM("\0\nd\n"), 100, "2|d\n",
	    "f, line 1: NUL byte in line\n", 1 },
	{ "NUL in a line drops its continuations too",
	    MEM("a\nb\0\n  c\nd\n"), 100, "1|a\n4|d\n",
	    "f, line 2: NUL byte in line\n", 1 },
	{ "NUL in a continuation drops the whole logical line",
	    MEM("a\n  b\0\n  c\nd\n"), 100, "4|d\n",
	    "f, line 2: NUL byte in line\n", 1 },
	{ "NUL in a CRLF continuation line",
	    MEM("a\r\nx = 1\r\n  b\0\r\n  c\r\nd\r\n"), 100,
	    "1|a\n5|d\n", "f, line 3: NUL byte in line\n", 1 },
	{ "NUL in a continuation at the start", MEM(" \0x\n  y\na\n"), 100,
	    "3|a\n", "f, line 1: NUL byte in line\n", 1 },
	{ "NUL in a comment", MEM("# \0\na\n"), 100, "2|a\n",
	    "f, line 1: NUL byte in line\n", 1 },
	{ "NUL in a comment inside a logical line",
	    MEM("a\n  # \0\n  c\nd\n"), 100, "1|a c\n4|d\n",
	    "f, line 2: NUL byte in line\n", 1 },
	{ "NUL in the last line, no newline", MEM("a\nb\0"), 100, "1|a\n",
	    "f, line 2: NUL byte in line\n", 1 },
	{ "exactly at the limit", MEM("0123456789\nb\n"), 10,
	    "1|0123456789\n2|b\n", "", 0 },
	{ "one byte over the limit", MEM("a\n01234567890\nb\n"), 10,
	    "1|a\n3|b\n", "f, line 2: logical line longer than 10 bytes\n",
	    1 },
	{ "trailing blanks do not count", MEM("0123456789 \t \r\n"), 10,
	    "1|0123456789\n", "", 0 },
	{ "continuation exactly at the limit", MEM("01234\n  5678\nb\n"),
	    10, "1|01234 5678\n3|b\n", "", 0 },
	{ "continuation one byte over", MEM("01234\n  56789\nb\n"), 10,
	    "3|b\n", "f, line 1: logical line longer than 10 bytes\n", 1 },
	{ "joining space over the limit", MEM("0123456789\n x\nb\n"), 10,
	    "3|b\n", "f, line 1: logical line longer than 10 bytes\n", 1 },
	{ "too long, then its continuations skipped",
	    MEM("0123456789x\n  y\n# c\n  z\nb\n"), 10, "5|b\n",
	    "f, line 1: logical line longer than 10 bytes\n", 1 },
	{ "two long lines in a row", MEM("0123456789x\n0123456789y\nb"), 10,
	    "3|b\n",
	    "f, line 1: logical line longer than 10 bytes\n"
	    "f, line 2: logical line longer than 10 bytes\n", 2 },
	{ "too long at the end", MEM("a\n0123456789x"), 10, "1|a\n",
	    "f, line 2: logical line longer than 10 bytes\n", 1 },
	{ "several problems, all reported",
	    MEM(" x\na\nb\0\n0123456789x\nc\n"), 10, "2|a\n5|c\n",
	    "f, line 1: continuation line without anything before it\n"
	    "f, line 3: NUL byte in line\n"
	    "f, line 4: logical line longer than 10 bytes\n", 3 },
};

static void
run_case(const struct cfline_case *tc)
{
	struct cfline	cl;
	struct str	out = STR_INIT, got = STR_INIT, errs = STR_INIT;
	int		line = -1, rc;

	cfline_init(&cl, tc->in, tc->len, "f", tc->max);
	while ((rc = cfline_next(&cl, &out, &line, &errs)) == 1) {
		str_catf(&got, "%d|", line);
		str_cat_mem(&got, out.s, out.len);
		str_cat_char(&got, '\n');
		if (memchr(out.s, '\0', out.len) != NULL) {
			str_cat(&got, "(NUL in result)\n");
		}
		if (out.len > tc->max) {
			str_cat(&got, "(over the limit)\n");
		}
	}
	is_str(str_c(&got), tc->want, "%s: lines", tc->name);
	is_str(str_c(&errs), tc->errs, "%s: problems", tc->name);
	is_int(cl.nerr, tc->nerr, "%s: problem count", tc->name);
	str_free(&out);
	str_free(&got);
	str_free(&errs);
}

static void
test_cases(void)
{
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_case(&cases[i]);
	}
}

/* After the end, more calls keep returning 0 and report nothing new. */
static void
test_end_is_sticky(void)
{
	struct cfline	cl;
	struct str	out = STR_INIT, errs = STR_INIT;
	int		line = 0;

	cfline_init(&cl, MEM(" x\na\n"), "f", 100);
	is_int(cfline_next(&cl, &out, &line, &errs), 1, "sticky end: line");
	is_int(line, 2, "sticky end: line number");
	is_int(cfline_next(&cl, &out, &line, &errs), 0, "sticky end: end");
	is_int(cfline_next(&cl, &out, &line, &errs), 0, "sticky end: again");
	is_int(cl.nerr, 1, "sticky end: one problem only");
	str_free(&out);
	str_free(&errs);
}

/* The real limit: a 64 KiB logical line built from many short lines. */
static void
test_big_limit(void)
{
	struct cfline	cl;
	struct str	in = STR_INIT, out = STR_INIT, errs = STR_INIT;
	int		line = 0, n = 0;
	const size_t	max = 64 * 1024;

	/* "x" then 100-byte continuations "  y...y" (98 y's, 99 joined). */
	str_cat(&in, "x");
	while (1 + (size_t)n * 99 + 99 <= max) {
		str_cat(&in, "\n  ");
		str_reserve(&in, 98);
		memset(in.s + in.len, 'y', 98);
		in.len += 98;
		in.s[in.len] = '\0';
		n++;
	}
	str_cat(&in, "\nz = 1\n");
	cfline_init(&cl, in.s, in.len, "f", max);
	is_int(cfline_next(&cl, &out, &line, &errs), 1, "big: first line");
	is_int((long long)out.len, 1 + (long long)n * 99, "big: its length");
	is_int(cfline_next(&cl, &out, &line, &errs), 1, "big: next line");
	is_str(str_c(&out), "z = 1", "big: next line text");
	is_int(line, n + 2, "big: next line number");
	is_str(str_c(&errs), "", "big: no problems");
	str_free(&in);
	str_free(&out);
	str_free(&errs);
}

int
main(void)
{
	test_cases();
	test_end_is_sticky();
	test_big_limit();
	return done_testing();
}
