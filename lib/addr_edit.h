/* SPDX-License-Identifier: ISC */
/*
 * addr_edit.h: rewrite the addresses of an address header field (From,
 * To, Cc, Reply-To, ...) in place, keeping everything around them
 * (display names, comments, groups, folding): what cleanup does with the
 * canonical maps and smtp with smtp_generic_maps.
 */
#ifndef POSTLET_ADDR_EDIT_H
#define POSTLET_ADDR_EDIT_H

#include <stddef.h>

#include "str.h"

/*
 * The new form of one address (internal form, not empty) into out
 * (replaced): 0, or -1 to stop with an error of the caller's.  An out
 * equal to addr changes nothing.
 */
typedef int	(*addr_edit_fn)(void *ctx, const char *addr, struct str *out);

/*
 * The header field f (its name, ':' and value, possibly folded, len
 * bytes) with each addr-spec of its value that fn changes replaced by
 * the new address, quoted as needed (addr_quote), into out (replaced).
 * Returns 1 when something changed, 0 when nothing did (out is then
 * empty), -1 when fn failed.  At most ADDR_LIST_MAX addresses are
 * looked at; unparseable list elements are left alone.
 */
int	addr_edit_field(const char *f, size_t len, addr_edit_fn fn,
	    void *ctx, struct str *out);

#endif
