/* SPDX-License-Identifier: ISC */
/*
 * scan.c: unit tests for lib/scan (strict number, time and boolean
 * parsing) and lib/clock (monotonic milliseconds and deadlines).
 *
 * Each scan case names the input, the expected return, errno and value;
 * the output variable starts as a sentinel so that a failed parse which
 * writes anyway is caught.  Clock cases sleep a little and check bounds
 * that are generous: they test direction and order, not speed.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "scan.h"
#include "tap.h"

#define SENTINEL	777ULL
#define CENTURY		(100LL * 366 * 86400)

static const char *errname(int);
static void	test_uint(void);
static void	test_uint_mem(void);
static void	test_time(void);
static void	test_bool(void);
static void	test_clock(void);


static const char *
errname(int e)
{
	switch (e) {
	case 0:
		return "0";
	case EINVAL:
		return "EINVAL";
	case ERANGE:
		return "ERANGE";
	default:
		return "other";
	}
}

static void
test_uint(void)
{
	static const struct {
		const char		*name;
		const char		*in;
		unsigned long long	 max;
		int			 err;	/* 0: success */
		unsigned long long	 want;
	} cases[] = {
		{ "zero", "0", 10, 0, 0 },
		{ "zero with max 0", "0", 0, 0, 0 },
		{ "one with max 0", "1", 0, ERANGE, 0 },
		{ "leading zeros", "007", 10, 0, 7 },
		{ "many leading zeros",
		    "0000000000000000000000000000000000000000000000000001",
		    10, 0, 1 },
		{ "max", "10", 10, 0, 10 },
		{ "max+1", "11", 10, ERANGE, 0 },
		{ "max 5, digit 5", "5", 5, 0, 5 },
		{ "max 5, digit 6", "6", 5, ERANGE, 0 },
		{ "max 5, digit 9", "9", 5, ERANGE, 0 },
		{ "max 9, two digits", "10", 9, ERANGE, 0 },
		{ "max 15, 16", "16", 15, ERANGE, 0 },
		{ "max 15, 19", "19", 15, ERANGE, 0 },
		{ "max 100, 100", "100", 100, 0, 100 },
		{ "max 100, 101", "101", 100, ERANGE, 0 },
		{ "max 100, 109", "109", 100, ERANGE, 0 },
		{ "max 100, 1000", "1000", 100, ERANGE, 0 },
		{ "UINT_MAX", "4294967295", UINT_MAX, 0, UINT_MAX },
		{ "UINT_MAX+1", "4294967296", UINT_MAX, ERANGE, 0 },
		{ "ULLONG_MAX", "18446744073709551615", ULLONG_MAX, 0,
		    ULLONG_MAX },
		{ "ULLONG_MAX+1", "18446744073709551616", ULLONG_MAX, ERANGE,
		    0 },
		{ "ULLONG_MAX*10", "184467440737095516150", ULLONG_MAX,
		    ERANGE, 0 },
		{ "ULLONG_MAX-1", "18446744073709551614", ULLONG_MAX, 0,
		    ULLONG_MAX - 1 },
		{ "20 digits below max", "09999999999999999999", ULLONG_MAX,
		    0, 9999999999999999999ULL },
		{ "very long digits",
		    "99999999999999999999999999999999999999999999999999999999",
		    ULLONG_MAX, ERANGE, 0 },
		{ "empty", "", 10, EINVAL, 0 },
		{ "plus sign", "+1", 10, EINVAL, 0 },
		{ "minus sign", "-1", 10, EINVAL, 0 },
		{ "minus zero", "-0", 10, EINVAL, 0 },
		{ "leading blank", " 1", 10, EINVAL, 0 },
		{ "trailing blank", "1 ", 10, EINVAL, 0 },
		{ "trailing newline", "1\n", 10, EINVAL, 0 },
		{ "trailing junk", "1x", 10, EINVAL, 0 },
		{ "only junk", "x", 10, EINVAL, 0 },
		{ "hex", "0x10", 100, EINVAL, 0 },
		{ "decimal point", "1.5", 10, EINVAL, 0 },
		{ "exponent", "1e3", 10000, EINVAL, 0 },
		{ "thousands", "1,000", 10000, EINVAL, 0 },
		{ "8-bit digit", "\xd9\xa1", 10, EINVAL, 0 },
		{ "junk after overflow", "99999999999999999999999x",
		    ULLONG_MAX, EINVAL, 0 },
		{ "junk after max+1", "11x", 10, EINVAL, 0 },
	};
	unsigned long long	v;
	size_t			i;
	int			r, e;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = SENTINEL;
		errno = 0;
		r = scan_uint(cases[i].in, cases[i].max, &v);
		e = errno;
		if (cases[i].err == 0) {
			if (!ok(r == 0 && v == cases[i].want,
			    "uint %s: \"%s\" max %llu is %llu", cases[i].name,
			    cases[i].in, cases[i].max, cases[i].want)) {
				diag("got %d, %llu (%s)", r, v, errname(e));
			}
		} else {
			if (!ok(r == -1 && e == cases[i].err && v == SENTINEL,
			    "uint %s: \"%s\" max %llu is -1/%s",
			    cases[i].name, cases[i].in, cases[i].max,
			    errname(cases[i].err))) {
				diag("got %d, errno %s, value %llu", r,
				    errname(e), v);
			}
		}
	}
}

static void
test_uint_mem(void)
{
	static const struct {
		const char	*name;
		const char	*in;
		size_t		 n;
		int		 err;
		unsigned long long want;
	} cases[] = {
		{ "prefix of digits", "123456", 3, 0, 123 },
		{ "stops before junk", "12x", 2, 0, 12 },
		{ "zero bytes", "123", 0, EINVAL, 0 },
		{ "NUL inside", "1\0002", 3, EINVAL, 0 },
		{ "junk inside", "1x2", 3, EINVAL, 0 },
	};
	unsigned long long	v;
	size_t			i;
	int			r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = SENTINEL;
		errno = 0;
		r = scan_uint_mem(cases[i].in, cases[i].n, ULLONG_MAX, &v);
		if (cases[i].err == 0) {
			if (!ok(r == 0 && v == cases[i].want,
			    "uint_mem %s: %llu", cases[i].name,
			    cases[i].want)) {
				diag("got %d, %llu", r, v);
			}
		} else {
			if (!ok(r == -1 && errno == cases[i].err &&
			    v == SENTINEL, "uint_mem %s: -1/%s", cases[i].name,
			    errname(cases[i].err))) {
				diag("got %d, %llu", r, v);
			}
		}
	}
}

static void
test_time(void)
{
	static const struct {
		const char	*name;
		const char	*in;
		char		 unit;	/* the default unit */
		int		 err;
		long long	 want;
	} cases[] = {
		{ "zero", "0", 's', 0, 0 },
		{ "zero with unit", "0w", 's', 0, 0 },
		{ "default s", "10", 's', 0, 10 },
		{ "default m", "10", 'm', 0, 600 },
		{ "default h", "10", 'h', 0, 36000 },
		{ "default d", "10", 'd', 0, 864000 },
		{ "default w", "10", 'w', 0, 6048000 },
		{ "unit s", "10s", 'd', 0, 10 },
		{ "unit m", "10m", 'd', 0, 600 },
		{ "unit h", "2h", 's', 0, 7200 },
		{ "unit d", "3d", 's', 0, 259200 },
		{ "unit w", "1w", 's', 0, 604800 },
		{ "unit beats bad default", "10s", 'x', 0, 10 },
		{ "leading zeros", "0005m", 's', 0, 300 },
		{ "100 years of s", "3162240000s", 's', 0, CENTURY },
		{ "100 years of d", "36600d", 's', 0, CENTURY },
		{ "100 years of d, default", "36600", 'd', 0, CENTURY },
		{ "most weeks", "5228w", 's', 0, 5228LL * 604800 },
		{ "over 100 years of s", "3162240001s", 's', ERANGE, 0 },
		{ "over 100 years of d", "36601d", 's', ERANGE, 0 },
		{ "over 100 years of w", "5229w", 's', ERANGE, 0 },
		{ "over 100 years default d", "36601", 'd', ERANGE, 0 },
		{ "overflow of the number", "18446744073709551616", 's',
		    ERANGE, 0 },
		{ "overflow times unit", "9999999999999999w", 's', ERANGE, 0 },
		{ "empty", "", 's', EINVAL, 0 },
		{ "unit only", "s", 's', EINVAL, 0 },
		{ "bad unit", "10x", 's', EINVAL, 0 },
		{ "upper-case unit", "10S", 's', EINVAL, 0 },
		{ "two units", "10ms", 's', EINVAL, 0 },
		{ "unit twice", "1ss", 's', EINVAL, 0 },
		{ "unit first", "s10", 's', EINVAL, 0 },
		{ "bad default unit", "10", 'x', EINVAL, 0 },
		{ "NUL default unit", "10", '\0', EINVAL, 0 },
		{ "leading blank", " 10s", 's', EINVAL, 0 },
		{ "trailing blank", "10s ", 's', EINVAL, 0 },
		{ "blank before unit", "10 s", 's', EINVAL, 0 },
		{ "minus", "-1s", 's', EINVAL, 0 },
		{ "plus", "+1s", 's', EINVAL, 0 },
		{ "fraction", "1.5h", 's', EINVAL, 0 },
		{ "junk", "1x0s", 's', EINVAL, 0 },
	};
	long long	v;
	size_t		i;
	int		r, e;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = (long long)SENTINEL;
		errno = 0;
		r = scan_time(cases[i].in, cases[i].unit, &v);
		e = errno;
		if (cases[i].err == 0) {
			if (!ok(r == 0 && v == cases[i].want,
			    "time %s: \"%s\" is %lld s", cases[i].name,
			    cases[i].in, cases[i].want)) {
				diag("got %d, %lld (%s)", r, v, errname(e));
			}
		} else {
			if (!ok(r == -1 && e == cases[i].err &&
			    v == (long long)SENTINEL,
			    "time %s: \"%s\" is -1/%s", cases[i].name,
			    cases[i].in, errname(cases[i].err))) {
				diag("got %d, errno %s, value %lld", r,
				    errname(e), v);
			}
		}
	}
}

static void
test_bool(void)
{
	static const struct {
		const char	*in;
		/* 1 true, 0 false, -1 EINVAL */
		int		 want;
	} cases[] = {
		{ "yes", 1 }, { "YES", 1 }, { "Yes", 1 }, { "true", 1 },
		{ "TRUE", 1 }, { "tRuE", 1 },
		{ "no", 0 }, { "NO", 0 }, { "No", 0 }, { "false", 0 },
		{ "FALSE", 0 }, { "fAlSe", 0 },
		{ "", -1 }, { "y", -1 }, { "n", -1 }, { "t", -1 },
		{ "f", -1 }, { "1", -1 }, { "0", -1 }, { "on", -1 },
		{ "off", -1 }, { "yes ", -1 }, { " yes", -1 }, { "yess", -1 },
		{ "ye", -1 }, { "nope", -1 }, { "true\n", -1 },
		{ "falsehood", -1 },
	};
	size_t	i;
	bool	v;
	int	r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		if (cases[i].want >= 0) {
			v = !cases[i].want;
			r = scan_bool(cases[i].in, &v);
			ok(r == 0 && v == (cases[i].want == 1),
			    "bool \"%s\" is %s", cases[i].in,
			    cases[i].want ? "true" : "false");
		} else {
			bool	w = true, f = false;

			r = scan_bool(cases[i].in, &w);
			ok(r == -1 && errno == EINVAL && w &&
				    scan_bool(cases[i].in, &f) == -1 && !f,
				    "bool \"%s\" is -1/EINVAL, value untouched",
				    cases[i].in);
		}
	}
}

static void
test_clock(void)
{
	long long	t0, t1, prev, d;
	int		i, bad, l1, l2;

	is_int(clock_deadline(-1), -1, "clock: deadline(-1) is none");
	is_int(clock_deadline(-1000), -1, "clock: deadline(-1000) is none");
	is_int(clock_deadline(INT_MIN), -1, "clock: deadline(INT_MIN) is none");
	is_int(clock_left(-1), -1, "clock: left(none) is -1");
	is_int(clock_left(clock_deadline(-1)), -1,
	    "clock: left(deadline(-1)) is -1");
	is_int(clock_left(clock_deadline(0)), 0, "clock: deadline(0) is now");
	is_int(clock_left(0), 0, "clock: a deadline at 0 is past");
	is_int(clock_left(clock_ms() - 5000), 0, "clock: past deadline is 0");
	is_int(clock_left(LLONG_MAX / 2), INT_MAX,
	    "clock: a far deadline is capped at INT_MAX");

	t0 = clock_ms();
	d = clock_deadline(INT_MAX);
	ok(d >= t0 + INT_MAX, "clock: deadline(INT_MAX) does not overflow");
	l1 = clock_left(clock_deadline(1000));
	if (!ok(l1 > 500 && l1 <= 1000,
	    "clock: deadline(1000) leaves (500, 1000]")) {
		diag("left %d", l1);
	}

	prev = clock_ms();
	bad = 0;
	for (i = 0; i < 100000; i++) {
		t1 = clock_ms();
		if (t1 < prev) {
			bad++;
		}
		prev = t1;
	}
	is_int(bad, 0, "clock: clock_ms never goes back in 100000 calls");

	d = clock_deadline(5000);
	l1 = clock_left(d);
	t0 = clock_ms();
	tap_sleep_ms(60);
	t1 = clock_ms();
	l2 = clock_left(d);
	if (!ok(t1 - t0 >= 59 && t1 - t0 < 3000,
	    "clock: 60 ms of sleep is seen as 60 ms")) {
		diag("took %lld ms", t1 - t0);
	}
	if (!ok(l2 < l1 && l1 - l2 >= 59 && l1 - l2 < 3000,
	    "clock: time left shrinks with the sleep")) {
		diag("left %d then %d", l1, l2);
	}

	d = clock_deadline(50);
	tap_sleep_ms(80);
	is_int(clock_left(d), 0, "clock: a deadline passed while asleep is 0");
}

int
main(void)
{
	test_uint();
	test_uint_mem();
	test_time();
	test_bool();
	test_clock();
	return done_testing();
}
