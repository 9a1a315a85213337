/* SPDX-License-Identifier: ISC */
/*
 * sysexits.c: unit tests for lib/sysexits (how a delivery command's exit
 * status and output decide the result), table-driven: each case is an
 * exit code and an output, and the expected status and code.
 */
#include <string.h>
#include <sysexits.h>

#include "sysexits.h"
#include "tap.h"

int
main(void)
{
	static const struct {
		const char	*name;
		int		 code;
		const char	*out;
		enum dsn_status	 status;
		const char	*dsn;
	} cases[] = {
		{ "exit 0", 0, "", DSN_OK, "2.0.0" },
		{ "exit 0 ignores a code in the output", 0, "5.1.1 x",
		    DSN_OK, "2.0.0" },
		{ "EX_TEMPFAIL defers", EX_TEMPFAIL, "", DSN_TEMP, "4.3.0" },
		{ "EX_OSERR defers", EX_OSERR, NULL, DSN_TEMP, "4.3.0" },
		{ "EX_NOUSER bounces 5.1.1", EX_NOUSER, "", DSN_PERM,
		    "5.1.1" },
		{ "EX_CONFIG bounces 5.3.5", EX_CONFIG, "", DSN_PERM,
		    "5.3.5" },
		{ "exit 1 (unknown) bounces 5.3.0", 1, "oops", DSN_PERM,
		    "5.3.0" },
		{ "output 4.2.2 wins over exit 1", 1, "4.2.2 quota\n",
		    DSN_TEMP, "4.2.2" },
		{ "output 5.7.1 wins over EX_TEMPFAIL", EX_TEMPFAIL,
		    "5.7.1 no", DSN_PERM, "5.7.1" },
		{ "a code alone", 1, "4.0.0", DSN_TEMP, "4.0.0" },
		{ "2.0.0 in the output is not a failure code", 1, "2.0.0 x",
		    DSN_PERM, "5.3.0" },
		{ "4.1 is not a code", 1, "4.1 x", DSN_PERM, "5.3.0" },
		{ "4.1.1x is not a code", 1, "4.1.1x", DSN_PERM, "5.3.0" },
		{ "4.1234.1 is not a code", 1, "4.1234.1 x", DSN_PERM,
		    "5.3.0" },
	};
	struct sysexits_result	r;
	size_t			i;
	char			code[16];

	plan((int)(2 * sizeof(cases) / sizeof(cases[0]) + 2));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sysexits_judge(cases[i].code, cases[i].out,
		    cases[i].out == NULL ? 0 : strlen(cases[i].out), &r);
		is_int(r.status, cases[i].status, "%s: status",
		    cases[i].name);
		is_str(r.code, cases[i].dsn, "%s: code", cases[i].name);
	}
	is_int((long long)sysexits_dsn_prefix("5.1.1 x", 7, code,
	    sizeof(code)), 5, "prefix: length 5");
	is_int((long long)sysexits_dsn_prefix("5.1.1 x", 7, code, 4), 0,
	    "prefix: no room is no code");
	return done_testing();
}
