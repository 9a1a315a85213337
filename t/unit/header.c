/* SPDX-License-Identifier: ISC */
/*
 * header.c: tests of lib/header: line classification (fields, obsolete
 * blanks before ':', continuations, the empty line, body lines, partial
 * lines and the HEADER_NAME_MAX bound), field name matching, the value
 * offset, the RFC 5322 date in a fixed time zone, and display names.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "header.h"
#include "str.h"
#include "tap.h"

static void
test_kind(void)
{
	static const struct {
		const char		*line;
		bool			 in_field;
		enum header_line	 want;
	} cases[] = {
		{ "Subject: x\n", false, HEADER_FIELD },
		{ "Subject:x\n", false, HEADER_FIELD },
		{ "X-A.b_c!~:\n", false, HEADER_FIELD },
		{ "Subject : x\n", false, HEADER_FIELD },
		{ "Subject \t: x\n", false, HEADER_FIELD },
		{ "Subject", false, HEADER_MORE },
		{ "Subject ", false, HEADER_MORE },
		{ "", false, HEADER_MORE },
		{ "\n", true, HEADER_END },
		{ " folded\n", true, HEADER_CONT },
		{ "\tfolded\n", true, HEADER_CONT },
		{ " folded\n", false, HEADER_BODY },
		{ ":x\n", false, HEADER_BODY },
		{ "no colon here\n", false, HEADER_BODY },
		{ "Subject x: y\n", false, HEADER_BODY },
		{ "Subject\n", false, HEADER_BODY },
		{ "\r\n", false, HEADER_BODY },
		{ "Sub\x80ject: x\n", false, HEADER_BODY },
		{ "From foo Mon Jan 1\n", false, HEADER_BODY },
	};
	struct str	long_name = STR_INIT;
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(header_line_kind(cases[i].line, strlen(cases[i].line),
		    cases[i].in_field), cases[i].want, "kind %zu (%.*s)", i,
		    (int)strcspn(cases[i].line, "\r\n"), cases[i].line);
	}
	is_int(header_line_kind("A\0: x\n", 6, false), HEADER_BODY,
	    "kind: NUL in the name");
	for (i = 0; i < HEADER_NAME_MAX - 1; i++) {
		str_cat_char(&long_name, 'n');
	}
	is_int(header_line_kind(long_name.s, long_name.len, false),
	    HEADER_MORE, "kind: a name just under the bound is undecided");
	str_cat_char(&long_name, 'n');
	is_int(header_line_kind(long_name.s, long_name.len, false),
	    HEADER_BODY, "kind: a name at the bound is a body line");
	str_free(&long_name);
}

static void
test_names(void)
{
	ok(header_is("Subject: x\n", 11, "subject"), "is: case");
	ok(header_is("SUBJECT :x", 10, "subject"), "is: blanks");
	ok(!header_is("Subjects: x", 11, "subject"), "is: longer name");
	ok(!header_is("Subject", 7, "subject"), "is: no colon");
	ok(!header_is("Sub", 3, "subject"), "is: short");
	ok(header_is("Resent-Bcc: a", 13, "resent-bcc"), "is: resent-bcc");
	ok(!header_is("Bcc: a", 6, "resent-bcc"), "is: bcc is not resent");
	is_int((long long)header_value_offset("To: a\n", 6), 3,
	    "value offset");
	is_int((long long)header_value_offset("To", 2), 2,
	    "value offset without colon");
}

static void
test_date(void)
{
	struct str	out = STR_INIT;

	setenv("TZ", "UTC0", 1);
	tzset();
	header_date(1700000000, &out);
	is_str(out.s, "Tue, 14 Nov 2023 22:13:20 +0000 (UTC)", "date UTC");
	/* the same second again: the kept date, appended */
	header_date(1700000000, &out);
	is_str(out.s, "Tue, 14 Nov 2023 22:13:20 +0000 (UTC)"
	    "Tue, 14 Nov 2023 22:13:20 +0000 (UTC)", "date UTC, again");
	str_clear(&out);
	header_date(1700000001, &out);
	is_str(out.s, "Tue, 14 Nov 2023 22:13:21 +0000 (UTC)",
	    "date UTC, the next second");
	str_clear(&out);
	setenv("TZ", "XYZ-5:30", 1);
	tzset();
	header_date(0, &out);
	is_str(out.s, "Thu, 1 Jan 1970 05:30:00 +0530 (XYZ)",
	    "date east of UTC, half hour");
	str_clear(&out);
	setenv("TZ", "ABC+3", 1);
	tzset();
	header_date(86400 * 59, &out);
	is_str(out.s, "Sat, 28 Feb 1970 21:00:00 -0300 (ABC)",
	    "date west of UTC");
	str_free(&out);
}

static void
test_phrase(void)
{
	static const struct {
		const char	*in, *want;
	} cases[] = {
		{ "Alice Smith", "Alice Smith" },
		{ "Alice", "Alice" },
		{ "Alice Q. Smith", "\"Alice Q. Smith\"" },
		{ "Alice  Smith", "\"Alice  Smith\"" },
		{ "Alice ", "\"Alice \"" },
		{ " Alice", "\" Alice\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "a\nb\rc", "\"a b c\"" },
		{ "J\303\274rgen", "J\303\274rgen" },
		{ "", "\"\"" },
		{ "O'Brien", "O'Brien" },
		{ "a,b", "\"a,b\"" },
	};
	struct str	out = STR_INIT;
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		str_clear(&out);
		header_phrase(cases[i].in, &out);
		is_str(str_c(&out), cases[i].want, "phrase %zu", i);
	}
	str_free(&out);
}

int
main(void)
{
	test_kind();
	test_names();
	test_date();
	test_phrase();
	return done_testing();
}
