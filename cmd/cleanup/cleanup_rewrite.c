/* SPDX-License-Identifier: ISC */
/*
 * cleanup_rewrite.c: address rewriting, in Postfix's order:
 *
 *	sender:     rewrite_canonical, sender_canonical_maps, canonical_maps
 *		    (when canonical_classes has envelope_sender),
 *		    masquerade_domains (when masquerade_classes has it)
 *	recipient:  rewrite_canonical, recipient_canonical_maps,
 *		    canonical_maps, masquerade_domains (class
 *		    envelope_recipient), then virtual_alias_maps expansion
 *	header addresses: the same as the envelope sender (classes
 *		    header_sender) or recipient (header_recipient), without
 *		    virtual alias expansion
 *
 * Tables are searched with map_lookup_addr (user+ext@domain, user@domain,
 * then user+ext and user when the domain is ours, i.e. $myorigin or in
 * $mydestination, then @domain).  A value is one address (canonical) or
 * a list (virtual), in external form as in a header; a value that starts
 * with '@' keeps the local part and replaces the domain.  Results are
 * canonicalized again (a bare user gets @$myorigin).
 *
 * Virtual alias expansion is depth first with an explicit stack (no
 * recursion on table contents).  An address that expands to a list
 * holding itself keeps itself, unexpanded (Postfix's way to end the
 * recursion); an address that equals one of its own ancestors in the
 * expansion is a loop and is kept as it is, with a warning.  Deeper than
 * virtual_alias_recursion_limit, or more than
 * virtual_alias_expansion_limit addresses made from one recipient, and
 * the message is deferred (TEMP 4.3.0), as Postfix does; so is any table
 * error.  XXX propagate_unmatched_extensions is not implemented: an
 * extension that the table did not match is not carried to the result.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "alloc.h"
#include "conf.h"
#include "log.h"
#include "map.h"
#include "rewrite.h"
#include "cleanup.h"

/* A node of one recipient's virtual alias expansion. */
struct vnode {
	char		*addr;
	long long	 depth;
	size_t		 parent;	/* index; VNODE_ROOT for none */
};
#define VNODE_ROOT	((size_t)-1)

static int	open_one(const char *, struct map_list **, struct str *);
static int	addr_ours(struct cleanup *, const char *, int *);
static int	table_lookup(struct cleanup *, struct map_list *,
		    const char *, struct str *, int *);
static void	value_list(const char *, const char *, struct addr_list *);
static int	canonical(struct cleanup *, struct map_list *, struct str *);
static void	masquerade(struct str *);

/* Open the tables of parameter name into *l. */
static int
open_one(const char *name, struct map_list **l, struct str *err)
{
	struct str	msg = STR_INIT;

	if ((*l = map_list_open(conf_value(name), &msg)) == NULL) {
		str_set(err, name);
		str_cat(err, ": ");
		str_cat(err, str_c(&msg));
		str_free(&msg);
		return -1;
	}
	str_free(&msg);
	return 0;
}

int
cleanup_rewrite_init(struct cleanup *c, struct str *err)
{
	if (open_one("canonical_maps", &c->canonical_maps, err) == -1 ||
	    open_one("sender_canonical_maps", &c->sender_canonical_maps,
	    err) == -1 ||
	    open_one("recipient_canonical_maps",
	    &c->recipient_canonical_maps, err) == -1 ||
	    open_one("virtual_alias_maps", &c->virtual_alias_maps,
	    err) == -1) {
		return -1;
	}
	return 0;
}

void
cleanup_rewrite_free(struct cleanup *c)
{
	map_list_close(c->canonical_maps);
	map_list_close(c->sender_canonical_maps);
	map_list_close(c->recipient_canonical_maps);
	map_list_close(c->virtual_alias_maps);
	c->canonical_maps = c->sender_canonical_maps = NULL;
	c->recipient_canonical_maps = c->virtual_alias_maps = NULL;
	rewrite_close_tables();
}

/* MAP_ADDR_OURS when addr's domain is $myorigin or in $mydestination. */
static int
addr_ours(struct cleanup *c, const char *addr, int *flags)
{
	struct str	 err = STR_INIT;
	const char	*domain = addr_domain(addr);
	enum map_result	 r;

	*flags = 0;
	if (domain == NULL) {
		return 0;
	}
	if (addr_domain_eq(domain, conf_value("myorigin"))) {
		*flags = MAP_ADDR_OURS;
		return 0;
	}
	r = rewrite_domain_in("mydestination", domain, &err);
	if (r == MAP_ERROR) {
		(void)cleanup_fail(c, DSN_TEMP, "4.3.0", "%s", err.s);
		str_free(&err);
		return -1;
	}
	if (r == MAP_FOUND) {
		*flags = MAP_ADDR_OURS;
	}
	str_free(&err);
	return 0;
}

/* Look addr up in l: 1 found (value), 0 not, -1 after cleanup_fail. */
static int
table_lookup(struct cleanup *c, struct map_list *l, const char *addr,
    struct str *value, int *found)
{
	struct str	err = STR_INIT;
	int		flags;

	*found = 0;
	if (l == NULL || map_list_count(l) == 0) {
		return 0;
	}
	if (addr_ours(c, addr, &flags) == -1) {
		return -1;
	}
	switch (map_lookup_addr(l, addr, conf_value("recipient_delimiter"),
	    flags, value, NULL, &err)) {
	case MAP_FOUND:
		*found = 1;
		break;
	case MAP_NOTFOUND:
		break;
	case MAP_ERROR:
		(void)cleanup_fail(c, DSN_TEMP, "4.3.0", "%s", err.s);
		str_free(&err);
		return -1;
	}
	str_free(&err);
	return 0;
}

/*
 * The addresses of a table value for addr (internal form), canonicalized,
 * into list: "@domain" keeps addr's local part.
 */
static void
value_list(const char *addr, const char *value, struct addr_list *list)
{
	struct str	 tmp = STR_INIT, local = STR_INIT;
	const char	*at;
	size_t		 i;

	while (*value == ' ' || *value == '\t') {
		value++;
	}
	if (*value == '@') {
		at = strrchr(addr, '@');
		str_set_mem(&local, addr, at != NULL ? (size_t)(at - addr) :
		    strlen(addr));
		addr_quote(local.s, local.len, &tmp);
		str_cat(&tmp, value);
		(void)addr_list_parse(tmp.s, tmp.len, ADDR_PATH_UTF8, list);
	} else {
		(void)addr_list_parse(value, strlen(value), ADDR_PATH_UTF8,
		    list);
	}
	for (i = 0; i < list->count; i++) {
		rewrite_canonical(list->item[i].s, &tmp);
		str_set(&list->item[i], tmp.s);
	}
	str_free(&tmp);
	str_free(&local);
}

/* One canonical table on addr (replaced when found). */
static int
canonical(struct cleanup *c, struct map_list *l, struct str *addr)
{
	struct str		value = STR_INIT;
	struct addr_list	list = ADDR_LIST_INIT;
	int			found;

	if (table_lookup(c, l, addr->s, &value, &found) == -1) {
		str_free(&value);
		return -1;
	}
	if (found) {
		value_list(addr->s, value.s, &list);
		if (list.count > 0 && list.item[0].len > 0) {
			str_set(addr, list.item[0].s);
		} else {
			log_warnx("NOQUEUE: canonical table value for %s is "
			    "not an address: ignored", addr->s);
		}
	}
	addr_list_free(&list);
	str_free(&value);
	return 0;
}

/* masquerade_domains, with masquerade_exceptions; addr is replaced. */
static void
masquerade(struct str *addr)
{
	const char	*list = conf_value("masquerade_domains");
	const char	*exceptions = conf_value("masquerade_exceptions");
	const char	*at, *domain, *w;
	struct str	 word = STR_INIT, local = STR_INIT;
	size_t		 pos = 0, dlen, wlen;
	bool		 excl;

	if (*list == '\0' || (at = strrchr(addr->s, '@')) == NULL) {
		return;
	}
	str_set_mem(&local, addr->s, (size_t)(at - addr->s));
	while (conf_list_next(exceptions, &pos, &word) == 1) {
		if (strcasecmp(word.s, local.s) == 0) {
			goto out;
		}
	}
	domain = at + 1;
	dlen = strlen(domain);
	pos = 0;
	while (conf_list_next(list, &pos, &word) == 1) {
		excl = word.s[0] == '!';
		w = word.s + excl;
		wlen = strlen(w);
		if (wlen == 0) {
			continue;
		}
		if (strcasecmp(domain, w) == 0) {
			break;
		}
		if (dlen > wlen && domain[dlen - wlen - 1] == '.' &&
		    strcasecmp(domain + dlen - wlen, w) == 0) {
			if (!excl) {
				str_cat_char(&local, '@');
				str_cat(&local, w);
				str_set(addr, local.s);
			}
			break;
		}
	}
out:
	str_free(&word);
	str_free(&local);
}

/*
 * addr through rewrite_canonical, then, when canon_class is in
 * canonical_classes, the class's own table and canonical_maps, then,
 * when masq_class is in masquerade_classes, masquerading.
 */
static int
rewrite_class(struct cleanup *c, const char *addr, struct map_list *own,
    unsigned class, struct str *out)
{
	rewrite_canonical(addr, out);
	if (out->len == 0) {
		return 0;	/* the null sender stays null */
	}
	if ((c->conf.canonical_classes & class) &&
	    (canonical(c, own, out) == -1 ||
	    canonical(c, c->canonical_maps, out) == -1)) {
		return -1;
	}
	if (c->conf.masquerade_classes & class) {
		masquerade(out);
	}
	return 0;
}

int
cleanup_rewrite_sender(struct cleanup *c, const char *addr, struct str *out)
{
	return rewrite_class(c, addr, c->sender_canonical_maps,
	    CLEANUP_CLASS_ENVELOPE_SENDER, out);
}

int
cleanup_rewrite_recipient(struct cleanup *c, const char *addr,
    struct str *out)
{
	return rewrite_class(c, addr, c->recipient_canonical_maps,
	    CLEANUP_CLASS_ENVELOPE_RECIPIENT, out);
}

int
cleanup_rewrite_header(struct cleanup *c, bool sender, const char *addr,
    struct str *out)
{
	return sender ? rewrite_class(c, addr, c->sender_canonical_maps,
	    CLEANUP_CLASS_HEADER_SENDER, out) : rewrite_class(c, addr,
	    c->recipient_canonical_maps, CLEANUP_CLASS_HEADER_RECIPIENT, out);
}

int
cleanup_virtual(struct cleanup *c, const char *addr, unsigned notify,
    const char *orcpt, struct cleanup_rcpts *out)
{
	struct vnode		*nodes = NULL;
	size_t			*stack = NULL;
	size_t			 nnodes = 0, nstack = 0, cap = 0, k, a, i;
	struct str		 value = STR_INIT;
	struct addr_list	 list = ADDR_LIST_INIT;
	long long		 produced = 0;
	int			 found, rc = -1;
	bool			 loop;

	if (c->virtual_alias_maps == NULL ||
	    map_list_count(c->virtual_alias_maps) == 0) {
		cleanup_rcpt_add(out, addr, notify, orcpt);
		return 0;
	}
	cap = 16;
	nodes = xreallocarray(NULL, cap, sizeof(*nodes));
	stack = xreallocarray(NULL, cap, sizeof(*stack));
	nodes[0] = (struct vnode){ xstrdup(addr), 0, VNODE_ROOT };
	nnodes = 1;
	stack[nstack++] = 0;
	while (nstack > 0) {
		k = stack[--nstack];
		if (table_lookup(c, c->virtual_alias_maps, nodes[k].addr,
		    &value, &found) == -1) {
			goto out;
		}
		if (!found) {
			cleanup_rcpt_add(out, nodes[k].addr, notify, orcpt);
			continue;
		}
		if (nodes[k].depth + 1 > c->conf.recursion_limit) {
			(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
			    "unreasonable virtual_alias_maps map nesting "
			    "for %s: try again later", addr);
			goto out;
		}
		addr_list_free(&list);
		value_list(nodes[k].addr, value.s, &list);
		if (list.bad > 0) {
			log_warnx("NOQUEUE: virtual_alias_maps value for %s: "
			    "%zu unparseable address%s ignored",
			    nodes[k].addr, list.bad, list.bad == 1 ? "" :
			    "es");
		}
		produced += (long long)list.count;
		if (produced > c->conf.expansion_limit) {
			(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
			    "unreasonable virtual_alias_maps map expansion "
			    "size for %s: try again later", addr);
			goto out;
		}
		/* Pushed in reverse, so they come out in table order. */
		for (i = list.count; i-- > 0;) {
			if (list.item[i].len == 0) {
				continue;
			}
			if (strcasecmp(list.item[i].s, nodes[k].addr) == 0) {
				/* maps to itself: kept, not expanded */
				cleanup_rcpt_add(out, list.item[i].s, notify,
				    orcpt);
				continue;
			}
			loop = false;
			for (a = nodes[k].parent; a != VNODE_ROOT;
			    a = nodes[a].parent) {
				if (strcasecmp(nodes[a].addr,
				    list.item[i].s) == 0) {
					loop = true;
					break;
				}
			}
			if (loop) {
				log_warnx("NOQUEUE: virtual alias loop for "
				    "%s: %s kept as it is", addr,
				    list.item[i].s);
				cleanup_rcpt_add(out, list.item[i].s, notify,
				    orcpt);
				continue;
			}
			if (nnodes == cap) {
				cap *= 2;
				nodes = xreallocarray(nodes, cap,
				    sizeof(*nodes));
				stack = xreallocarray(stack, cap,
				    sizeof(*stack));
			}
			nodes[nnodes] = (struct vnode){
			    xstrdup(list.item[i].s), nodes[k].depth + 1, k };
			stack[nstack++] = nnodes++;
		}
	}
	rc = 0;
out:
	for (k = 0; k < nnodes; k++) {
		free(nodes[k].addr);
	}
	free(nodes);
	free(stack);
	addr_list_free(&list);
	str_free(&value);
	return rc;
}
