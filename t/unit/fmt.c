/* SPDX-License-Identifier: ISC */
/*
 * fmt.c: unit tests for lib/fmt, postlet's vsnprintf for the common
 * formats.  Each case formats the same format and arguments with
 * fmt_snprintf and with the C library's snprintf, into buffers of several
 * sizes (none, one byte, a few, enough), and wants the same return value
 * and the same bytes, NUL included: the formats this file handles itself
 * and those it hands to the C library must both come out as snprintf's.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "fmt.h"
#include "tap.h"

static void	test_same(void);
static void	test_null(void);

/* The sizes each case is formatted into. */
static const size_t	sizes[] = { 0, 1, 2, 5, 17, 200 };

/*
 * SAME(fmt, ...): fmt_snprintf and snprintf agree at every size.  The
 * buffers start filled with 'Z' so that a byte written past the NUL is
 * seen.
 */
#define SAME(...) do {							\
	char	 mine[256], libc[256];					\
	size_t	 k;							\
	int	 nm, nl;						\
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {	\
		memset(mine, 'Z', sizeof(mine));			\
		memset(libc, 'Z', sizeof(libc));			\
		nm = fmt_snprintf(sizes[k] ? mine : NULL, sizes[k],	\
		    __VA_ARGS__);					\
		nl = snprintf(sizes[k] ? libc : NULL, sizes[k],		\
		    __VA_ARGS__);					\
		if (!ok(nm == nl && memcmp(mine, libc,			\
		    sizeof(mine)) == 0, "%s, size %zu",			\
		    #__VA_ARGS__, sizes[k])) {				\
			diag("got %d \"%.*s\", want %d \"%.*s\"", nm,	\
			    nm > 0 ? nm : 0, mine, nl, nl > 0 ? nl : 0,	\
			    libc);					\
		}							\
	}								\
} while (0)

static void
test_same(void)
{
	static const char	unterminated[3] = { 'a', 'b', 'c' };

	/* plain text and %% */
	SAME("no conversion at all");
	SAME("100%% sure, %%%%");
	/* strings */
	SAME("%s", "");
	SAME("%s", "word");
	SAME("<%s> and <%s>", "sender@example.com", "rcpt@example.net");
	SAME("%s%s%s", "a", "", "c");
	SAME("%.3s|", "abcdef");
	SAME("%.0s|", "abcdef");
	SAME("%.10s|", "abc");
	SAME("%.3s|", unterminated);
	SAME("%.*s|", 2, "abcdef");
	SAME("%.*s|", 0, "abcdef");
	SAME("%.*s|", -1, "abcdef");
	SAME("%.*s|", 3, unterminated);
	/* characters, the NUL one too */
	SAME("%c%c%c", 'x', 'y', 'z');
	SAME("a%cb", 0);
	SAME("%c", 0xe9);
	/* signed integers */
	SAME("%d %d %d", 0, 7, -7);
	SAME("%d %d", INT_MAX, INT_MIN);
	SAME("%i", -12345);
	SAME("%ld %ld", LONG_MAX, LONG_MIN);
	SAME("%lld %lld", LLONG_MAX, LLONG_MIN);
	SAME("%zd %zd", (ssize_t)-1, (ssize_t)SSIZE_MAX);
	SAME("%jd %jd", INTMAX_MAX, INTMAX_MIN);
	/* unsigned integers, decimal and hexadecimal */
	SAME("%u %u", 0U, UINT_MAX);
	SAME("%lu %llu", ULONG_MAX, ULLONG_MAX);
	SAME("%zu %zu", (size_t)0, SIZE_MAX);
	SAME("%ju", UINTMAX_MAX);
	SAME("%x %X %x", 0U, 0xabcdefU, UINT_MAX);
	SAME("%lx %llX %zx", 0xdeadbeefUL, 0x0123456789abcdefULL,
	    (size_t)4096);
	/* widths, with the 0 flag and without */
	SAME("%02d:%02d:%02d", 1, 23, 0);
	SAME("%02d", -5);
	SAME("%05d|%5d|%-5d|", -42, -42, -42);
	SAME("%06ld %09ld", 123456L, 12L);
	SAME("%020llu", 1234567890123ULL);
	SAME("%04x %04X %08x", 0xbeU, 0xbeU, 0xdeadbeefU);
	SAME("%8lld|%3d|%1d", 42LL, 12345, 7);
	SAME("%0d|%01d", 5, 5);
	SAME("%64d|", 1);
	/* what goes to the C library: other flags, conversions, lengths */
	SAME("%5s|%-5s|%-*s|", "ab", "ab", 4, "ab");
	SAME("%+d % d %#x %#o", 5, 5, 255U, 8U);
	SAME("%o %04o", 8U, 0644U);
	SAME("%.2f %e", 3.14159, 2.5);
	SAME("%hhu %hd", 300, 70000);
	SAME("%.3d", 7);
	SAME("%65d|", 1);
	SAME("%p", (void *)0);
	SAME("%s %5s %d", "mixed", "fast", 3);
	/* a longer line, as a log line */
	SAME("%s: to=<%s>, relay=%s[%s]:%u, delay=%ld.%02ld, dsn=%s, "
	    "status=%s (%s)", "06B0E4425DB8782002B", "rcpt@example.com",
	    "127.0.0.1", "127.0.0.1", 2526U, 0L, 3L, "2.0.0", "sent",
	    "250 2.0.0 Ok");
}

static void
test_null(void)
{
	/* volatile: the compiler would warn of a NULL it can see */
	const char	*volatile nothing = NULL;
	char		 buf[32];
	int		 n;

	/* what musl's and glibc's printf both print */
	n = fmt_snprintf(buf, sizeof(buf), "<%s>", nothing);
	is_int(n, 8, "NULL string: length");
	is_str(buf, "<(null)>", "NULL string: text");
	n = fmt_snprintf(buf, sizeof(buf), "<%.3s>", nothing);
	is_str(buf, "<(nu>", "NULL string with a precision: text");
	is_int(n, 5, "NULL string with a precision: length");
	/* a percent sign at the end is left to the C library */
	n = fmt_snprintf(buf, sizeof(buf), "%s", "50%");
	is_str(buf, "50%", "a %% in an argument is not a conversion");
	is_int(n, 3, "its length");
}

int
main(void)
{
	test_same();
	test_null();
	return done_testing();
}
