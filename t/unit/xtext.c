/* SPDX-License-Identifier: ISC */
/*
 * xtext.c: unit tests for lib/xtext (RFC 3461 xtext): known answers both
 * ways, and the malformed encodings the decoder refuses.
 */
#include "str.h"
#include "tap.h"
#include "xtext.h"

int
main(void)
{
	static const struct {
		const char	*plain;
		const char	*xtext;
	} pairs[] = {
		{ "a@example.org", "a@example.org" },
		{ "a+b=c d@x", "a+2Bb+3Dc+20d@x" },
		{ "\xc3\xa9", "+C3+A9" },
	};
	static const char *const bad[] = { "a+", "a+2", "a+2b", "a+GG",
	    "+00" };
	struct str	out = STR_INIT;
	size_t		i;

	plan((int)(3 * sizeof(pairs) / sizeof(pairs[0]) +
	    sizeof(bad) / sizeof(bad[0])));
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		xtext_encode(pairs[i].plain, &out);
		is_str(str_c(&out), pairs[i].xtext, "encode %s",
		    pairs[i].xtext);
		is_int(xtext_decode(pairs[i].xtext, &out), 0, "decode %s",
		    pairs[i].xtext);
		is_str(str_c(&out), pairs[i].plain, "decode %s: result",
		    pairs[i].xtext);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_int(xtext_decode(bad[i], &out), -1, "refused: %s",
		    bad[i]);
	}
	str_free(&out);
	return done_testing();
}
