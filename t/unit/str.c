/* SPDX-License-Identifier: ISC */
/*
 * str.c: unit tests for lib/str (growable byte strings).
 *
 * Every case checks exact bytes, the length, the NUL guard at s[len] and
 * that the capacity covers it, so a wrong growth step, a lost byte or a
 * missing terminator fails.  Caller bugs (truncating past the end) and
 * size overflow must end in panic/fatal, caught through TAP_FATAL.
 * Run under valgrind, the cases that set a string from a pointer into
 * itself also check that no freed or uninitialised memory is read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "str.h"
#include "tap.h"

#define MEM(s)	(s), (sizeof(s) - 1)

static int	str_sane(const struct str *);
static void	fill_pattern(char *, size_t, size_t);
static void	test_empty(void);
static void	test_growth(void);
static void	test_binary(void);
static void	test_catf(void);
static void	test_set_self(void);
static void	test_truncate(void);
static void	test_clear_free(void);
static void	test_take(void);
static void	test_eq(void);
static void	test_reserve(void);
static void	test_spares(void);

/* The invariants of struct str: a NUL guard inside the allocation. */
static int
str_sane(const struct str *sp)
{
	if (sp->s == NULL) {
		return sp->len == 0 && sp->cap == 0;
	}
	return sp->len < sp->cap && sp->s[sp->len] == '\0';
}

/* Bytes that differ at every position, so a shifted copy shows. */
static void
fill_pattern(char *p, size_t n, size_t seed)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		p[i] = (char)('a' + (i * 7 + seed) % 26);
	}
}

static void
test_empty(void)
{
	struct str	 s = STR_INIT;
	char		*p;

	ok(s.s == NULL && s.len == 0 && s.cap == 0,
	    "empty: STR_INIT is all zero");
	is_str(str_c(&s), "", "empty: str_c gives \"\"");
	ok(str_eq(&s, ""), "empty: equals \"\"");
	ok(!str_eq(&s, "a"), "empty: differs from \"a\"");
	str_cat(&s, "");
	ok(str_sane(&s) && s.len == 0, "empty: cat \"\" keeps length 0");
	is_str(str_c(&s), "", "empty: cat \"\" still reads \"\"");
	str_cat_mem(&s, "x", 0);
	ok(str_sane(&s) && s.len == 0, "empty: cat_mem of 0 bytes");
	str_free(&s);
	str_set_mem(&s, NULL, 0);
	ok(str_sane(&s) && s.len == 0 && s.s != NULL,
	    "empty: set_mem(NULL, 0) gives an empty string");
	str_free(&s);
	p = str_take(&s);
	ok(p != NULL && p[0] == '\0', "empty: str_take of STR_INIT gives \"\"");
	free(p);
}

/*
 * Append n bytes in pieces of `step` (0: all at once) and compare with
 * the pattern.  The sizes sit around the growth steps 16, 24, 36, 54, 81
 * and far beyond.
 */
static void
test_growth(void)
{
	static const size_t	sizes[] = {
		0, 1, 14, 15, 16, 17, 23, 24, 25, 35, 36, 37, 53, 54, 55,
		80, 81, 82, 1000, 4095, 4096, 4097, 65537, 1000003
	};
	static const struct {
		const char	*name;
		size_t		 step;
		/* 0 cat_mem, 1 cat_char, 2 cat */
		int		 how;
	} modes[] = {
		{ "cat_mem whole", 0, 0 },
		{ "cat_mem by 1", 1, 0 },
		{ "cat_mem by 7", 7, 0 },
		{ "cat_char", 1, 1 },
		{ "cat by 13", 13, 2 },
	};
	size_t	 i, m, done, k, maxn = 1000003;
	char	*want, piece[32];

	want = malloc(maxn);
	if (want == NULL) {
		abort();
	}
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct str	s = STR_INIT;
			size_t		n = sizes[i], bad = 0;

			fill_pattern(want, n, i);
			for (done = 0; done < n; done += k) {
				k = modes[m].step == 0 ? n : modes[m].step;
				if (k > n - done) {
					k = n - done;
				}
				switch (modes[m].how) {
				case 0:
					str_cat_mem(&s, want + done, k);
					break;
				case 1:
					str_cat_char(&s, want[done]);
					break;
				default:
					memcpy(piece, want + done, k);
					piece[k] = '\0';
					str_cat(&s, piece);
					break;
				}
				if (!str_sane(&s) || s.len != done + k) {
					bad++;
				}
			}
			ok(bad == 0 && str_sane(&s),
			    "growth %s %zu: invariants after every append",
			    modes[m].name, n);
			if (n <= 100 || n == 4097 || n == maxn) {
				is_mem(s.s, s.len, want, n,
				    "growth %s %zu: bytes", modes[m].name, n);
			} else {
				ok(s.len == n && memcmp(s.s, want, n) == 0,
				    "growth %s %zu: bytes", modes[m].name, n);
			}
			str_free(&s);
		}
	}
	free(want);
}

static void
test_binary(void)
{
	static const struct {
		const char	*name;
		const char	*data;
		size_t		 len;
	} cases[] = {
		{ "only NUL", MEM("\0") },
		{ "NUL inside", MEM("a\0b\0\0c") },
		{ "NUL at both ends", MEM("\0abc\0") },
		{ "8-bit", MEM("\xff\xfe\x80\x7f\x01") },
		{ "CRLF and NUL", MEM("\r\n\0\r\n") },
	};
	struct str	s = STR_INIT;
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		str_set_mem(&s, cases[i].data, cases[i].len);
		is_mem(s.s, s.len, cases[i].data, cases[i].len,
		    "binary %s: set_mem keeps every byte", cases[i].name);
		ok(str_sane(&s), "binary %s: NUL guard after the data",
		    cases[i].name);
		str_cat_mem(&s, cases[i].data, cases[i].len);
		ok(s.len == 2 * cases[i].len &&
		    memcmp(s.s, cases[i].data, cases[i].len) == 0 &&
		    memcmp(s.s + cases[i].len, cases[i].data,
		    cases[i].len) == 0 && str_sane(&s),
		    "binary %s: cat_mem appends every byte", cases[i].name);
	}
	str_set_mem(&s, MEM("a\0b"));
	ok(!str_eq(&s, "a"), "binary: \"a\\0b\" is not equal to \"a\"");
	is_int((long long)strlen(str_c(&s)), 1,
	    "binary: str_c stops at the first NUL (len is the length)");
	str_clear(&s);
	str_cat_char(&s, 0);
	str_cat_char(&s, 0xff);
	str_cat_char(&s, 'z');
	is_mem(s.s, s.len, "\0\xffz", 3, "binary: cat_char of 0 and 0xff");
	str_free(&s);
}

static void
test_catf(void)
{
	struct str	 s = STR_INIT;
	char		*big, want[400];
	size_t		 pre, n, bad;

	str_catf(&s, "%d-%s-%c-%zu", -42, "x", 'y', (size_t)7);
	is_mem(s.s, s.len, MEM("-42-x-y-7"), "catf: mixed conversions");
	ok(str_sane(&s), "catf: NUL guard");
	str_catf(&s, "%s", "");
	is_mem(s.s, s.len, MEM("-42-x-y-7"),
	    "catf: empty output appends nothing");
	str_catf(&s, "+%u", 1u);
	is_mem(s.s, s.len, MEM("-42-x-y-7+1"),
	    "catf: appends after existing data");
	str_free(&s);

	/* Longer than the 64 bytes tried first and than any capacity. */
	big = malloc(100001);
	if (big == NULL) {
		abort();
	}
	fill_pattern(big, 100000, 3);
	big[100000] = '\0';
	str_set(&s, "<");
	str_catf(&s, "%s>", big);
	ok(s.len == 100002 && s.s[0] == '<' &&
	    memcmp(s.s + 1, big, 100000) == 0 && s.s[100001] == '>' &&
	    str_sane(&s), "catf: 100002 bytes of output");
	str_free(&s);
	str_catf(&s, "%*s|", 5000, "r");
	ok(s.len == 5001 && s.s[0] == ' ' && s.s[4998] == ' ' &&
	    s.s[4999] == 'r' && s.s[5000] == '|' && str_sane(&s),
	    "catf: field width 5000 on an empty string");
	str_free(&s);
	free(big);

	/* Every output length 0..300 after every prefix length 0..90: the
	 * first try fits or not, the retry lands on every boundary. */
	bad = 0;
	for (pre = 0; pre <= 90; pre++) {
		for (n = 0; n <= 300; n++) {
			memset(want, 'p', pre);
			memset(want + pre, 'q', n);
			str_clear(&s);
			str_cat_mem(&s, want, pre);
			str_catf(&s, "%.*s", (int)n, want + pre);
			if (s.len != pre + n ||
			    memcmp(s.s, want, pre + n) != 0 || !str_sane(&s)) {
				if (bad++ == 0) {
					diag("first failure: prefix %zu, "
					    "output %zu, got len %zu", pre, n,
					    s.len);
				}
			}
			str_free(&s);
		}
	}
	is_int((long long)bad, 0, "catf: output 0..300 after prefix 0..90");
}

static void
test_set_self(void)
{
	static const struct {
		const char	*name;
		/* of the starting string */
		size_t		 len;
		/* where the new value starts */
		size_t		 off;
		/* its length */
		size_t		 n;
	} cases[] = {
		{ "whole of itself", 11, 0, 11 },
		{ "its tail", 11, 6, 5 },
		{ "its middle", 11, 1, 3 },
		{ "empty piece", 11, 4, 0 },
		{ "long tail", 1000, 500, 500 },
		{ "long middle", 1000, 1, 998 },
	};
	struct str	 s = STR_INIT;
	char		 want[1000];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fill_pattern(want, cases[i].len, i);
		str_set_mem(&s, want, cases[i].len);
		str_set_mem(&s, s.s + cases[i].off, cases[i].n);
		is_mem(s.s, s.len, want + cases[i].off, cases[i].n,
		    "set self %s: bytes", cases[i].name);
		ok(str_sane(&s), "set self %s: NUL guard", cases[i].name);
		str_free(&s);
	}
	str_set(&s, "hello world");
	str_set(&s, s.s + 6);
	is_mem(s.s, s.len, MEM("world"), "set self: str_set from its own tail");
	str_set(&s, s.s);
	is_mem(s.s, s.len, MEM("world"), "set self: str_set from itself");
	str_set(&s, str_c(&s) + s.len);
	is_mem(s.s, s.len, "", 0, "set self: str_set from its own NUL guard");
	str_free(&s);
	str_set(&s, str_c(&s));
	ok(s.len == 0 && str_sane(&s), "set self: str_set(str_c()) when empty");
	str_free(&s);

	/* Appending itself: the growth moves the data it reads from. */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fill_pattern(want, cases[i].len, i);
		str_set_mem(&s, want, cases[i].len);
		str_cat_mem(&s, s.s + cases[i].off, cases[i].n);
		ok(s.len == cases[i].len + cases[i].n &&
		    memcmp(s.s, want, cases[i].len) == 0 &&
		    memcmp(s.s + cases[i].len, want + cases[i].off,
		    cases[i].n) == 0 && str_sane(&s),
		    "cat self %s: bytes", cases[i].name);
		str_free(&s);
	}
	str_set(&s, "0123456789abc");
	str_cat(&s, s.s);
	is_mem(s.s, s.len, MEM("0123456789abc0123456789abc"),
	    "cat self: str_cat(s, s.s) across growth");
	str_free(&s);
}

static void
test_truncate(void)
{
	static struct str	s = STR_INIT;
	int			trapped;

	str_set(&s, "hello");
	str_truncate(&s, 3);
	is_mem(s.s, s.len, MEM("hel"), "truncate: to 3 bytes");
	ok(str_sane(&s), "truncate: NUL guard moves");
	str_truncate(&s, 3);
	is_mem(s.s, s.len, MEM("hel"), "truncate: to its own length");
	str_truncate(&s, 0);
	ok(s.len == 0 && s.s[0] == '\0', "truncate: to 0");

	str_set(&s, "abc");
	trapped = TAP_FATAL(str_truncate(&s, 4));
	ok(trapped, "truncate: one past the end panics");
	is_int(tap_fatal_status, -1, "truncate: panic status");
	ok(strstr(tap_fatal_text, "str_truncate") != NULL,
	    "truncate: panic names str_truncate (\"%s\")", tap_fatal_text);
	is_mem(s.s, s.len, MEM("abc"),
	    "truncate: string unchanged after panic");
	trapped = TAP_FATAL(str_truncate(&s, SIZE_MAX));
	ok(trapped && tap_fatal_status == -1, "truncate: SIZE_MAX panics");
	str_free(&s);

	trapped = TAP_FATAL(str_truncate(&s, 0));
	ok(!trapped && s.s == NULL && s.len == 0,
	    "truncate: empty to 0 is fine");
	trapped = TAP_FATAL(str_truncate(&s, 1));
	ok(trapped && tap_fatal_status == -1, "truncate: empty to 1 panics");
}

static void
test_clear_free(void)
{
	struct str	 s = STR_INIT;
	char		*old;
	size_t		 cap;

	str_set(&s, "some text that is longer than sixteen bytes");
	old = s.s;
	cap = s.cap;
	str_clear(&s);
	ok(s.len == 0 && s.s == old && s.cap == cap && s.s[0] == '\0',
	    "clear: keeps the memory, empties the string");
	is_str(str_c(&s), "", "clear: reads as \"\"");
	str_cat(&s, "again");
	ok(s.s == old && str_eq(&s, "again"), "clear: memory is reused");
	str_free(&s);
	ok(s.s == NULL && s.len == 0 && s.cap == 0, "free: back to STR_INIT");
	str_free(&s);
	ok(s.s == NULL, "free: twice is harmless");
	str_clear(&s);
	ok(s.s == NULL && s.len == 0, "clear: on STR_INIT is harmless");
}

static void
test_take(void)
{
	struct str	 s = STR_INIT;
	char		*old, *p;

	str_set_mem(&s, MEM("take\0me"));
	old = s.s;
	p = str_take(&s);
	ok(p == old, "take: hands over the same buffer");
	is_mem(p, 8, "take\0me", 8, "take: bytes and NUL guard");
	ok(s.s == NULL && s.len == 0 && s.cap == 0, "take: string left empty");
	str_cat(&s, "new");
	ok(str_eq(&s, "new") && s.s != p, "take: string usable again");
	free(p);
	str_clear(&s);
	p = str_take(&s);
	is_str(p, "", "take: after clear gives \"\"");
	free(p);
}

static void
test_eq(void)
{
	static const struct {
		const char	*name;
		const char	*data;
		size_t		 len;
		const char	*cmp;
		int		 want;
	} cases[] = {
		{ "same", MEM("abc"), "abc", 1 },
		{ "shorter arg", MEM("abc"), "ab", 0 },
		{ "longer arg", MEM("ab"), "abc", 0 },
		{ "last byte", MEM("abc"), "abd", 0 },
		{ "first byte", MEM("abc"), "xbc", 0 },
		{ "case", MEM("abc"), "ABC", 0 },
		{ "both empty", MEM(""), "", 1 },
		{ "empty vs a", MEM(""), "a", 0 },
		{ "a vs empty", MEM("a"), "", 0 },
		{ "NUL inside", MEM("a\0"), "a", 0 },
		{ "8-bit", MEM("\xe9t\xe9"), "\xe9t\xe9", 1 },
	};
	struct str	s = STR_INIT;
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		str_set_mem(&s, cases[i].data, cases[i].len);
		is_int(str_eq(&s, cases[i].cmp), cases[i].want, "eq: %s",
		    cases[i].name);
	}
	str_free(&s);
}

static void
test_reserve(void)
{
	static struct str	s = STR_INIT;
	int			trapped;

	str_set(&s, "abc");
	str_reserve(&s, 1000);
	ok(s.len == 3 && s.cap >= 1004 && str_eq(&s, "abc"),
	    "reserve: room for 1000 more, contents kept");
	trapped = TAP_FATAL(str_reserve(&s, SIZE_MAX));
	ok(trapped, "reserve: SIZE_MAX more is fatal");
	is_int(tap_fatal_status, EX_TEMPFAIL, "reserve: with EX_TEMPFAIL");
	trapped = TAP_FATAL(str_reserve(&s, SIZE_MAX - 3));
	ok(trapped && tap_fatal_status == EX_TEMPFAIL,
	    "reserve: len + n + 1 overflowing by one is fatal");
	ok(str_eq(&s, "abc"), "reserve: contents kept after fatal");
	str_free(&s);
}

/* Short strings given back by str_free serve the next ones (str.c),
 * but in sanitizer builds. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STR_ASAN_CLANG	1
#endif
#endif
#ifndef STR_ASAN_CLANG
#define STR_ASAN_CLANG	0
#endif
static void
test_spares(void)
{
	struct str	a = STR_INIT, b = STR_INIT, c = STR_INIT;
	char		*pa, *pb;
	int		 i, fine = 1;

	str_set(&a, "first");
	str_set(&b, "second");
	pa = a.s;
	pb = b.s;
	ok(pa != pb, "spares: two live strings, two buffers");
	str_free(&a);
	str_free(&b);
	ok(a.s == NULL && a.cap == 0 && b.s == NULL && b.len == 0,
	    "spares: str_free empties the string");
	str_set(&a, "third");
	str_set(&b, "fourth");
#if !defined(__SANITIZE_ADDRESS__) && !STR_ASAN_CLANG
	ok((a.s == pa || a.s == pb) && (b.s == pa || b.s == pb) && a.s != b.s,
	    "spares: the next short strings take the freed buffers, one each");
#else
	ok(a.s != b.s, "spares: none in a sanitizer build");
#endif
	ok(str_eq(&a, "third") && str_eq(&b, "fourth"),
	    "spares: contents are the new ones");
	/* a long string is not a spare, and a spare grows like any */
	str_set(&c, "");
	for (i = 0; i < 200; i++) {
		str_cat_char(&c, 'x');
	}
	str_free(&c);
	str_free(&a);
	for (i = 0; i < 100; i++) {
		str_cat_char(&a, (char)('a' + i % 26));
		fine &= a.len == (size_t)i + 1 &&
		    a.s[i] == (char)('a' + i % 26) && a.s[i + 1] == '\0';
	}
	ok(fine && a.cap >= 101, "spares: a reused buffer grows past its "
	    "first size, contents kept");
	str_free(&a);
	str_free(&b);
	/* more frees than spares are kept: the rest go to free() */
	{
		struct str	many[40];

		for (i = 0; i < 40; i++) {
			many[i] = (struct str)STR_INIT;
			str_set(&many[i], "x");
		}
		for (i = 0; i < 40; i++) {
			str_free(&many[i]);
		}
		for (i = 0; i < 40; i++) {
			str_set(&many[i], "y");
		}
		fine = 1;
		for (i = 0; i < 40; i++) {
			fine &= str_eq(&many[i], "y");
			str_free(&many[i]);
		}
		ok(fine, "spares: forty strings freed and made again");
	}
}

int
main(void)
{
	test_empty();
	test_growth();
	test_binary();
	test_catf();
	test_set_self();
	test_truncate();
	test_clear_free();
	test_take();
	test_eq();
	test_reserve();
	test_spares();
	return done_testing();
}
