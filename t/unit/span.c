/* SPDX-License-Identifier: ISC */
/*
 * span.c: unit tests for lib/span (the run of ordinary text).
 *
 * span_plain is checked against a plain byte loop: for every length of
 * run up to 40 (across several word boundaries), every start offset in a
 * word (unaligned loads), each stopping byte (CR, LF, NUL with and
 * without stop_nul) and none, and for every byte value put where the
 * stop would be, so that bytes next to CR, LF and NUL (0x0c, 0x0e, 0x09,
 * 0x0b, 0x01, 0xff, 0x80, 0x8a, 0x8d) cannot pass for them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "span.h"
#include "tap.h"

/* What span_plain must say, one byte at a time. */
static size_t
slow(const char *p, size_t n, bool stop_nul)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n' ||
		    (stop_nul && p[i] == '\0')) {
			break;
		}
	}
	return i;
}

int
main(void)
{
	char	mem[128];
	size_t	run, off, n, got, want;
	int	c, bad, nul, checks = 0;

	plan(6);

	/* every byte value at every position of a run, every offset */
	bad = 0;
	for (nul = 0; nul < 2; nul++) {
		for (off = 0; off < 8; off++) {
			for (run = 0; run <= 40; run++) {
				for (c = 0; c < 256; c++) {
					memset(mem, 'a', sizeof(mem));
					mem[off + run] = (char)c;
					n = run + 1 + (run % 11);
					got = span_plain(mem + off, n,
					    nul == 1);
					want = slow(mem + off, n, nul == 1);
					checks++;
					if (got != want && bad++ < 5) {
						diag("off %zu run %zu byte "
						    "%d nul %d: %zu, not %zu",
						    off, run, c, nul, got,
						    want);
					}
				}
			}
		}
	}
	ok(bad == 0, "%d cases against a byte loop", checks);

	/* high bytes around the stops, in one word, then the stop */
	memcpy(mem, "\x8d\x8a\x80\xff\x0c\x0e\x09\x0b\x01\x7f\x8d\x8a\r", 13);
	is_int((long long)span_plain(mem, 13, true), 12,
	    "bytes next to CR, LF and NUL are ordinary; the CR stops");
	/* a NUL is ordinary without stop_nul */
	memcpy(mem, "abc\0defghijkl\nz", 15);
	is_int((long long)span_plain(mem, 15, false), 13,
	    "without stop_nul, a NUL is ordinary");
	is_int((long long)span_plain(mem, 15, true), 3,
	    "with stop_nul, a NUL stops");
	/* nothing stops: the whole length; and length 0 */
	memset(mem, 'x', 64);
	is_int((long long)span_plain(mem, 64, true), 64,
	    "no stop: the whole length");
	is_int((long long)span_plain(mem, 0, true), 0, "length 0: 0");
	return done_testing();
}
