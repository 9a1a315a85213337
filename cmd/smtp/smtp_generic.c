/* SPDX-License-Identifier: ISC */
/*
 * smtp_generic.c: smtp_generic_maps, Postfix's generic(5): addresses as
 * mail leaves, so that a board's root@router.lan reaches a smarthost as
 * a real address.  The envelope sender, each recipient and the addresses
 * of the address header fields are looked up as generic(5) says
 * (user+ext@domain, user@domain, then user+ext and user when the domain
 * is $myorigin or in $mydestination, then @domain); a value "@domain"
 * keeps the local part.  The queue file is not changed: only what is
 * sent.
 */
#include <string.h>

#include "addr.h"
#include "addr_edit.h"
#include "conf.h"
#include "header.h"
#include "map.h"
#include "rewrite.h"
#include "smtp.h"

/* for addr_edit_field */
struct generic_ctx {
	struct smtp	*cf;
	struct str	*err;
};

static int	edit(void *, const char *, struct str *);

enum map_result
smtp_generic_addr(struct smtp *cf, const char *addr, struct str *out,
    struct str *err)
{
	struct addr_list	 l = ADDR_LIST_INIT;
	struct str		 value = STR_INIT, tmp = STR_INIT;
	const char		*domain = addr_domain(addr), *v, *at;
	enum map_result		 r;
	int			 flags = 0;

	str_set(out, addr);
	if (cf->generic_maps == NULL && cf->generic_error.len == 0 &&
	    (cf->generic_maps = map_list_open(cf->generic_maps_spec,
	    &cf->generic_error)) == NULL && cf->generic_error.len == 0) {
		str_set(&cf->generic_error, "cannot open");
	}
	if (cf->generic_maps == NULL) {
		str_set(err, str_c(&cf->generic_error));
		return MAP_ERROR;
	}
	if (domain != NULL) {
		if (addr_domain_eq(domain, conf_value("myorigin"))) {
			flags = MAP_ADDR_OURS;
		} else if ((r = rewrite_domain_in("mydestination", domain,
		    err)) == MAP_ERROR) {
			return MAP_ERROR;
		} else if (r == MAP_FOUND) {
			flags = MAP_ADDR_OURS;
		}
	}
	r = map_lookup_addr(cf->generic_maps, addr,
	    conf_value("recipient_delimiter"), flags, &value, NULL, err);
	if (r != MAP_FOUND) {
		goto out;
	}
	for (v = value.s; *v == ' ' || *v == '\t'; v++) {
		continue;
	}
	if (*v == '@') {
		at = strrchr(addr, '@');
		addr_quote(addr, at != NULL ? (size_t)(at - addr) :
		    strlen(addr), &tmp);
		str_cat(&tmp, v);
		v = tmp.s;
	}
	(void)addr_list_parse(v, strlen(v), ADDR_PATH_UTF8, &l);
	if (l.count > 0 && l.item[0].len > 0) {
		str_set(out, l.item[0].s);
	} else {
		r = MAP_NOTFOUND;
	}
out:
	addr_list_free(&l);
	str_free(&value);
	str_free(&tmp);
	return r;
}

static int
edit(void *ctx, const char *addr, struct str *out)
{
	struct generic_ctx	*g = ctx;

	return smtp_generic_addr(g->cf, addr, out, g->err) == MAP_ERROR ?
	    -1 : 0;
}

int
smtp_generic_header(struct smtp *cf, const char *hdr, size_t len,
    struct str *out, struct str *err)
{
	static const char *const	names[] = { "from", "sender",
	    "reply-to", "errors-to", "return-receipt-to", "resent-from",
	    "resent-sender", "resent-reply-to", "to", "cc", "bcc",
	    "apparently-to", "resent-to", "resent-cc", "resent-bcc" };
	struct generic_ctx		 g = { cf, err };
	struct str			 f = STR_INIT;
	size_t				 i, j, k;
	int				 r;

	str_clear(out);
	for (i = 0; i < len; i = j) {
		/* one field: up to a newline not followed by a blank */
		for (j = i; j < len; j++) {
			if (hdr[j] == '\n' && (j + 1 >= len ||
			    (hdr[j + 1] != ' ' && hdr[j + 1] != '\t'))) {
				j++;
				break;
			}
		}
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			if (header_is(hdr + i, j - i, names[k])) {
				break;
			}
		}
		if (k == sizeof(names) / sizeof(names[0])) {
			str_cat_mem(out, hdr + i, j - i);
			continue;
		}
		if ((r = addr_edit_field(hdr + i, j - i, edit, &g, &f)) ==
		    -1) {
			str_free(&f);
			return -1;
		}
		if (r == 1) {
			str_cat_mem(out, f.s, f.len);
		} else {
			str_cat_mem(out, hdr + i, j - i);
		}
	}
	str_free(&f);
	return 0;
}
