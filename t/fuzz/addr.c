/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/addr.c: RFC 5321 paths (lib/addr.c).  The first byte picks the
 * addr_parse_path flags; the rest is the path as it follows "MAIL FROM:"
 * or "RCPT TO:".  A parsed address must survive addr_quote then
 * addr_unquote unchanged, and splitting by recipient_delimiter.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str		 addr = STR_INIT, ext = STR_INIT,
				 back = STR_INIT;
	struct addr_parts	 parts = ADDR_PARTS_INIT;
	struct addr_error	 err;
	size_t			 end = 0;
	const char		*a;
	char			*s;
	int			 flags;

	if (size < 1) {
		return 0;
	}
	flags = data[0] & 0x3f;
	data++;
	size--;
	if (addr_parse_path((const char *)data, size, flags, &addr, &end,
	    &err) == 0) {
		if (end > size) {
			abort();
		}
		a = str_c(&addr);
		addr_quote(a, addr.len, &ext);
		if (addr_unquote(str_c(&ext), ext.len, &back) == -1 ||
		    back.len != addr.len ||
		    memcmp(str_c(&back), a, addr.len) != 0) {
			abort();
		}
		(void)addr_split_ext(a, "+-", &parts);
		(void)addr_domain(a);
		(void)addr_domain_eq(a, "example.org");
	} else if (err.text == NULL || err.status == NULL) {
		abort();
	}
	/* The same bytes as an external form, a domain, a local part. */
	s = fuzz_cstr(data, size);
	if (addr_unquote(s, size, &back) == 0) {
		addr_quote(back.s, back.len, &ext);
	}
	(void)addr_valid_domain(s, size, flags);
	(void)addr_valid_local(s, size, flags);
	(void)addr_split_ext(s, "+", &parts);
	free(s);
	addr_parts_free(&parts);
	str_free(&addr);
	str_free(&ext);
	str_free(&back);
	return 0;
}
