/* SPDX-License-Identifier: ISC */
/* scan.c: strict number and word parsing (see scan.h). */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "scan.h"

int
scan_uint_mem(const char *s, size_t n, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long	v = 0;
	size_t			i;

	if (n == 0) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned	d;

		if (s[i] < '0' || s[i] > '9') {
			errno = EINVAL;
			return -1;
		}
		d = (unsigned)(s[i] - '0');
		if (d > max || v > (max - d) / 10) {
			/* Finish the syntax check: junk beats overflow. */
			for (; i < n; i++) {
				if (s[i] < '0' || s[i] > '9') {
					errno = EINVAL;
					return -1;
				}
			}
			errno = ERANGE;
			return -1;
		}
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
scan_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	return scan_uint_mem(s, strlen(s), max, out);
}

int
scan_time(const char *s, char default_unit, long long *seconds)
{
	const unsigned long long	limit = 100ULL * 366 * 86400;
	unsigned long long		v, mult;
	size_t				n = strlen(s);
	char				unit = default_unit;

	if (n > 0 && (s[n - 1] < '0' || s[n - 1] > '9')) {
		unit = s[n - 1];
		n--;
	}
	switch (unit) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (scan_uint_mem(s, n, limit, &v) == -1) {
		return -1;
	}
	if (v > limit / mult) {
		errno = ERANGE;
		return -1;
	}
	*seconds = (long long)(v * mult);
	return 0;
}

int
scan_bool(const char *s, bool *out)
{
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0) {
		*out = true;
		return 0;
	}
	if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0) {
		*out = false;
		return 0;
	}
	errno = EINVAL;
	return -1;
}
