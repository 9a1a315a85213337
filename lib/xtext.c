/* SPDX-License-Identifier: ISC */
/*
 * xtext.c: RFC 3461 xtext decoding and encoding (see xtext.h).
 */
#include <string.h>

#include "str.h"
#include "xtext.h"

int
xtext_decode(const char *in, struct str *out)
{
	static const char	hex[] = "0123456789ABCDEF";
	const char		*a, *b;

	str_set(out, "");
	for (; *in != '\0'; in++) {
		if (*in != '+') {
			str_cat_char(out, *in);
			continue;
		}
		if (in[1] == '\0' || in[2] == '\0' ||
		    (a = strchr(hex, in[1])) == NULL ||
		    (b = strchr(hex, in[2])) == NULL) {
			return -1;
		}
		if (a == hex && b == hex) {
			return -1;
		}
		str_cat_char(out, (int)((a - hex) * 16 + (b - hex)));
		in += 2;
	}
	return 0;
}

void
xtext_encode(const char *in, struct str *out)
{
	const unsigned char	*p;

	str_set(out, "");
	for (p = (const unsigned char *)in; *p != '\0'; p++) {
		if (*p < '!' || *p > '~' || *p == '+' || *p == '=') {
			str_catf(out, "+%02X", *p);
		} else {
			str_cat_char(out, *p);
		}
	}
}
