/* SPDX-License-Identifier: ISC */
/*
 * addr_edit.c: tests of lib/addr_edit: addresses of a header field
 * replaced in place (display names, comments, groups and folding kept;
 * quoting added when the new local part needs it), fields left alone
 * when nothing changes, and an error of the callback stopping the edit.
 */
#include <string.h>

#include "addr_edit.h"
#include "str.h"
#include "tap.h"

/* root@router.lan -> alerts@example.com, "a b"@x for any user "q",
 * failure for "fail@x". */
static int
edit(void *ctx, const char *addr, struct str *out)
{
	int	*calls = ctx;

	(*calls)++;
	if (strcmp(addr, "fail@x") == 0) {
		return -1;
	}
	if (strcmp(addr, "root@router.lan") == 0) {
		str_set(out, "alerts@example.com");
	} else if (strncmp(addr, "q@", 2) == 0) {
		str_set(out, "a b@x");
	} else {
		str_set(out, addr);
	}
	return 0;
}

int
main(void)
{
	static const struct {
		const char	*in;
		int		 rc;
		const char	*out;
	} cases[] = {
		{ "From: root@router.lan\n", 1,
		    "From: alerts@example.com\n" },
		{ "From: Router <root@router.lan> (alerts)\n", 1,
		    "From: Router <alerts@example.com> (alerts)\n" },
		{ "To: a@b,\n root@router.lan, c@d\n", 1,
		    "To: a@b,\n alerts@example.com, c@d\n" },
		{ "To: list: root@router.lan, q@y;\n", 1,
		    "To: list: alerts@example.com, \"a b\"@x;\n" },
		{ "Cc: a@b, c@d\n", 0, "" },
		{ "Cc: \n", 0, "" },
		{ "To: fail@x\n", -1, "" },
	};
	struct str	out = STR_INIT;
	size_t		i;
	int		calls, rc;

	plan((int)(sizeof(cases) / sizeof(cases[0])) * 2 + 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		calls = 0;
		str_set(&out, "junk");
		rc = addr_edit_field(cases[i].in, strlen(cases[i].in), edit,
		    &calls, &out);
		is_int(rc, cases[i].rc, "case %zu: result", i);
		is_str(str_c(&out), cases[i].out, "case %zu: text", i);
	}
	calls = 0;
	(void)addr_edit_field("To: a@b, c@d, e@f\n", 18, edit, &calls, &out);
	is_int(calls, 3, "the callback sees each address once");
	str_free(&out);
	return done_testing();
}
