/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/scan.c: numbers, times, sizes and booleans (lib/scan.c), as
 * main.cf, master.cf, queue files and the protocols give them.  A
 * number accepted must be at most its maximum; a time at most 100 years.
 */
#include "fuzz.h"
#include "scan.h"

#define YEARS_100	(100LL * 366 * 24 * 3600)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 units[] = "smhdw";
	unsigned long long	 n, max;
	long long		 t;
	bool			 b;
	char			*s;
	size_t			 i;

	if (size < 1) {
		return 0;
	}
	max = data[0] < 128 ? ~0ULL : (unsigned long long)data[0] * 1000;
	s = fuzz_cstr(data + 1, size - 1);
	if (scan_uint(s, max, &n) == 0 && n > max) {
		abort();
	}
	if (scan_uint_mem((const char *)data + 1, size - 1, max, &n) == 0 &&
	    n > max) {
		abort();
	}
	for (i = 0; units[i] != '\0'; i++) {
		if (scan_time(s, units[i], &t) == 0 &&
		    (t < 0 || t > YEARS_100)) {
			abort();
		}
	}
	(void)scan_bool(s, &b);
	free(s);
	return 0;
}
