/* SPDX-License-Identifier: ISC */
/*
 * fmt.h: vsnprintf for the formats postlet formats per message.
 *
 * fmt_vsnprintf has vsnprintf's contract (at most size bytes with the
 * NUL, the length the whole result would have, < 0 on a bad format) and
 * gives the same bytes.  It formats the common conversions itself: %s,
 * %.Ns and %.*s; %c; %% ; %d %i %u %x %X with the length modifiers l,
 * ll, z and j, and an optional 0 flag and width.  A format with anything
 * else (another flag or conversion, a width on a string, h, hh, t, L) is
 * formatted whole by the C library's vsnprintf.  The C library's printf
 * spends most of its time on the generality these formats do not need:
 * it was a third of smtpd's and cleanup's instructions per message.
 */
#ifndef POSTLET_FMT_H
#define POSTLET_FMT_H

#include <stdarg.h>
#include <stddef.h>

int	fmt_vsnprintf(char *, size_t, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));
int	fmt_snprintf(char *, size_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
