/* SPDX-License-Identifier: ISC */
/*
 * addr_edit.c: address header fields rewritten in place (addr_edit.h),
 * from the spans that addr_list_parse records for each address.
 */
#include <string.h>

#include "addr.h"
#include "addr_edit.h"
#include "header.h"

int
addr_edit_field(const char *f, size_t len, addr_edit_fn fn, void *ctx,
    struct str *out)
{
	struct addr_list	 l = ADDR_LIST_INIT;
	struct str		 addr = STR_INIT, quoted = STR_INIT;
	size_t			 i, off = header_value_offset(f, len);
	size_t			 done = 0, at;
	int			 rc = 0;

	str_clear(out);
	/* too many addresses: the first ADDR_LIST_MAX are rewritten */
	(void)addr_list_parse(f + off, len - off, ADDR_PATH_UTF8, &l);
	for (i = 0; i < l.count; i++) {
		if (l.item[i].len == 0) {
			continue;
		}
		if (fn(ctx, l.item[i].s, &addr) == -1) {
			rc = -1;
			goto out;
		}
		if (str_eq(&addr, l.item[i].s)) {
			continue;
		}
		at = off + l.span[i].pos;
		str_cat_mem(out, f + done, at - done);
		str_clear(&quoted);
		addr_quote(addr.s, addr.len, &quoted);
		str_cat_mem(out, quoted.s, quoted.len);
		done = at + l.span[i].len;
		rc = 1;
	}
	if (rc == 1) {
		str_cat_mem(out, f + done, len - done);
	}
out:
	if (rc != 1) {
		str_clear(out);
	}
	addr_list_free(&l);
	str_free(&addr);
	str_free(&quoted);
	return rc;
}
