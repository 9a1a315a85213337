/* SPDX-License-Identifier: ISC */
/* dsn.c: RFC 3463 status code checks (see dsn.h). */
#include <string.h>

#include "dsn.h"

bool
dsn_code_valid(const char *code, enum dsn_status status)
{
	static const char	class[] = { '2', '4', '5' };
	size_t			i, n;

	if ((unsigned)status > DSN_PERM || code[0] != class[status] ||
	    code[1] != '.') {
		return false;
	}
	/* RFC 3463 §3.2: subject 1 to 3 digits (0-7 defined), detail 1-3. */
	for (i = 2, n = 0; code[i] >= '0' && code[i] <= '9'; i++) {
		n++;
	}
	if (n < 1 || n > 3 || code[i] != '.') {
		return false;
	}
	for (i++, n = 0; code[i] >= '0' && code[i] <= '9'; i++) {
		n++;
	}
	return n >= 1 && n <= 3 && code[i] == '\0';
}
