/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/addr_list.c: RFC 5322 address lists, the values of To:, Cc:,
 * Resent-To: ... (lib/addr_list.c, what cleanup's sendmail -t uses).  The
 * first byte picks the flags; the list is parsed twice into one
 * addr_list, as cleanup does for several header fields.
 */
#include "addr.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_list	 list = ADDR_LIST_INIT;
	struct str		 ext = STR_INIT;
	size_t			 i;
	int			 flags;

	if (size < 1) {
		return 0;
	}
	flags = data[0] & (ADDR_PATH_UTF8 | ADDR_PATH_STRICT);
	data++;
	size--;
	(void)addr_list_parse((const char *)data, size, flags, &list);
	(void)addr_list_parse((const char *)data, size / 2, flags, &list);
	for (i = 0; i < list.count; i++) {
		if (list.item[i].s == NULL) {
			abort();
		}
		addr_quote(list.item[i].s, list.item[i].len, &ext);
	}
	addr_list_free(&list);
	str_free(&ext);
	return 0;
}
