/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/header.c: RFC 5322 header sections (lib/header.c).  The input
 * is a message: its lines are classified as cleanup does, each line fed
 * first in a prefix of a size taken from the input (HEADER_MORE must
 * only come before a newline), then whole; each field's name and value
 * offset are taken, and each value made into a display name.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "header.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*p = (const char *)data, *end, *nl;
	struct str		 phrase = STR_INIT;
	enum header_line	 k;
	size_t			 n, cut, off;
	bool			 in_field = false;
	char			*s;

	if (size < 1) {
		return 0;
	}
	cut = data[0];
	p++;
	end = (const char *)data + size;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl == NULL ? (size_t)(end - p) : (size_t)(nl - p) + 1;
		(void)header_line_kind(p, n < cut ? n : cut, in_field);
		k = header_line_kind(p, n, in_field);
		if (k == HEADER_MORE && nl != NULL) {
			abort();
		}
		if (k == HEADER_END || k == HEADER_BODY) {
			break;
		}
		if (k == HEADER_FIELD) {
			(void)header_is(p, n, "to");
			(void)header_is(p, n, "resent-message-id");
			off = header_value_offset(p, n);
			if (off > n) {
				abort();
			}
			s = fuzz_cstr((const uint8_t *)p + off, n - off);
			str_clear(&phrase);
			header_phrase(s, &phrase);
			if (phrase.s != NULL &&
			    (memchr(phrase.s, '\n', phrase.len) != NULL ||
			    memchr(phrase.s, '\r', phrase.len) != NULL)) {
				abort();
			}
			free(s);
		}
		in_field = k == HEADER_FIELD || k == HEADER_CONT;
		p += n;
	}
	str_free(&phrase);
	return 0;
}
