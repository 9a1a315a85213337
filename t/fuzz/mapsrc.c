/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/mapsrc.c: table sources and alias sources (lib/mapsrc.c), as
 * `postlet map` and `postlet alias` read them.  The first byte picks the
 * format; each alias value is split into its elements as local(8) does
 * (mapsrc_alias_next: commas, quotes, :include:).
 */
#include <string.h>

#include "fuzz.h"
#include "mapsrc.h"

static int	entry(void *, const char *, size_t, const char *, size_t,
		    int);

static int
entry(void *ctx, const char *key, size_t keylen, const char *value,
    size_t valuelen, int line)
{
	struct str	 elem = STR_INIT;
	size_t		 pos = 0, n = 0;
	int		 r;

	(void)ctx;
	if (keylen == 0 || key[keylen] != '\0' || value[valuelen] != '\0' ||
	    memchr(key, '\0', keylen) != NULL ||
	    memchr(value, '\0', valuelen) != NULL || line < 1) {
		abort();
	}
	while ((r = mapsrc_alias_next(value, valuelen, &pos, &elem)) == 1) {
		if (pos > valuelen || ++n > valuelen + 1) {
			abort();
		}
	}
	str_free(&elem);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str	 errs = STR_INIT;

	if (size < 1) {
		return 0;
	}
	(void)mapsrc_parse((const char *)data + 1, size - 1,
	    (data[0] & 1) ? MAPSRC_ALIASES : MAPSRC_POSTMAP, "aliases", entry,
	    NULL, &errs);
	str_free(&errs);
	return 0;
}
