/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/dsn.c: RFC 3463 status codes (lib/dsn.c), as agents report
 * them and cleanup's replies carry them.  A code valid for one status
 * class must be invalid for the two others.
 */
#include "dsn.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s = fuzz_cstr(data, size);
	int	 nvalid;

	nvalid = dsn_code_valid(s, DSN_OK) + dsn_code_valid(s, DSN_TEMP) +
	    dsn_code_valid(s, DSN_PERM);
	if (nvalid > 1) {
		abort();
	}
	free(s);
	return 0;
}
