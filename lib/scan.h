/* SPDX-License-Identifier: ISC */
/*
 * scan.h: strict parsing of numbers and words from configuration and
 * protocol text.  No sign, no leading or trailing blanks, no junk, no
 * overflow: anything else is -1 with errno EINVAL (syntax) or ERANGE (too
 * large).  Results are written only on success.
 */
#ifndef POSTLET_SCAN_H
#define POSTLET_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/* Decimal digits, value at most max. */
int	scan_uint(const char *, unsigned long long max,
	    unsigned long long *);
/* The same over n bytes that need not be NUL-terminated. */
int	scan_uint_mem(const char *, size_t n, unsigned long long max,
	    unsigned long long *);
/*
 * A time: digits with an optional unit s, m, h, d or w (seconds, minutes,
 * hours, days, weeks); without one, default_unit applies (Postfix's
 * rule: each time parameter has its own default unit).  Result in seconds,
 * at most 100 years.
 */
int	scan_time(const char *, char default_unit, long long *seconds);
/* Postfix booleans: yes/no, true/false (any case). */
int	scan_bool(const char *, bool *);

#endif
