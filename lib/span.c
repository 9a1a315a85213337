/* SPDX-License-Identifier: ISC */
/*
 * span.c: how far a run of ordinary text goes (see span.h).
 *
 * Eight bytes are loaded as one 64-bit word (memcpy: no alignment is
 * needed) and tested for a CR, an LF or a NUL together with the usual
 * test for a zero byte in a word: for x = word XOR (the byte repeated),
 * (x - 0x01..01) & ~x & 0x80..80 is nonzero exactly when one byte of x is
 * zero, i.e. one byte of the word is the byte looked for.  In that
 * result the lowest 0x80 bit set is exactly the first such byte (a
 * borrow only runs upwards from it), so on a little-endian machine its
 * position is the count of trailing zero bits over eight; elsewhere, or
 * without the compiler's count, the word is read again byte by byte.  A
 * tail shorter than a word is read byte by byte.
 */
#include <stdint.h>
#include <string.h>

#include "span.h"

/* (-DSPAN_CTZ=0 tests the byte-by-byte way on any machine) */
#ifndef SPAN_CTZ
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SPAN_CTZ	1
#else
#define SPAN_CTZ	0
#endif
#endif

#define ONES	((uint64_t)0x0101010101010101ULL)
#define HIGHS	((uint64_t)0x8080808080808080ULL)

/* Nonzero when a byte of w equals the byte repeated in pattern. */
static inline uint64_t
has_byte(uint64_t w, uint64_t pattern)
{
	uint64_t	x = w ^ pattern;

	return (x - ONES) & ~x & HIGHS;
}

size_t
span_plain(const char *p, size_t n, bool stop_nul)
{
	size_t		i = 0;
	uint64_t	w, hit;

	while (n - i >= sizeof(w)) {
		memcpy(&w, p + i, sizeof(w));
		hit = has_byte(w, ONES * '\r') | has_byte(w, ONES * '\n');
		if (stop_nul) {
			hit |= has_byte(w, 0);
		}
		if (hit != 0) {
#if SPAN_CTZ
			return i + (size_t)__builtin_ctzll(hit) / 8;
#else
			break;
#endif
		}
		i += sizeof(w);
	}
	while (i < n && p[i] != '\r' && p[i] != '\n' &&
	    (!stop_nul || p[i] != '\0')) {
		i++;
	}
	return i;
}
