/* SPDX-License-Identifier: ISC */
/*
 * expand.c: unit tests for lib/expand ("$name" templates of local's
 * forward_path and pipe's argv=), table-driven: a template, the filter
 * or none, the expected result and return value.  Values that hold '$',
 * blanks and quotes must come out literally, never expanded again.
 */
#include <string.h>

#include "expand.h"
#include "str.h"
#include "tap.h"

int
main(void)
{
	static const char *const vars[] = {
		"user", "joe",
		"recipient", "a b;$(id)`x`\"'@example.org",
		"loop", "${user}$user",
		"empty", "",
		NULL,
	};
	static const struct {
		const char	*name;
		const char	*t;
		int		 filter;
		const char	*want;
		int		 rc;
	} cases[] = {
		{ "plain text", "/bin/x -f", 0, "/bin/x -f", 0 },
		{ "${name}", "u=${user}.", 0, "u=joe.", 0 },
		{ "$name ends at a non-name byte", "$user-x", 0, "joe-x", 0 },
		{ "a hostile value stays literal", "${recipient}", 0,
		    "a b;$(id)`x`\"'@example.org", 0 },
		{ "a value with $ is not expanded again", "${loop}", 0,
		    "${user}$user", 0 },
		{ "the filter replaces bytes", "${recipient}", 1,
		    "a_b___id__x___@example.org", 0 },
		{ "unknown names are empty", "[${nosuch}]", 0, "[]", 1 },
		{ "an empty value", "[$empty]", 0, "[]", 1 },
		{ "${name?text} set", "${user?yes}", 0, "yes", 0 },
		{ "${name?text} empty", "${empty?yes}", 0, "", 0 },
		{ "${name:text} set", "${user:no}", 0, "", 0 },
		{ "${name:text} empty", "${empty:no}", 0, "no", 0 },
		{ "$$ is $", "a$$b", 0, "a$b", 0 },
		{ "a $ without a name stays", "a $ b $", 0, "a $ b $", 0 },
		{ "an unclosed ${", "x${user", 0, "x", -1 },
	};
	struct str	out = STR_INIT;
	size_t		i;
	int		rc;

	plan((int)(2 * sizeof(cases) / sizeof(cases[0])));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = expand_vars(cases[i].t, strlen(cases[i].t), vars,
		    cases[i].filter ? EXPAND_FILTER_DEFAULT : NULL, &out);
		is_int(rc, cases[i].rc, "%s: return", cases[i].name);
		is_str(str_c(&out), cases[i].want, "%s: result",
		    cases[i].name);
	}
	str_free(&out);
	return done_testing();
}
