/* SPDX-License-Identifier: ISC */
/*
 * rewrite.c: canonical addresses, domain lists, and the resolution of a
 * recipient into address class, transport, next hop and recipient, as
 * Postfix's trivial-rewrite(8) does (rewrite.h has the rules).
 *
 * Compiled domain lists and the transport tables are cached per process,
 * keyed by the expanded value they were built from: a changed value (a
 * new conf_load) builds them again, and a failure caches nothing, so the
 * next call tries again.  A failure is always reported (-1, MAP_ERROR)
 * and never taken for "not found": a recipient resolved with a table
 * missing could go to the wrong place, a deferred one only waits.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "bounds.h"
#include "conf.h"
#include "log.h"
#include "map.h"
#include "rewrite.h"
#include "str.h"

/* One word of a domain list: a pattern or a table, maybe negated. */
struct rewrite_pattern {
	/* lowercase pattern without trailing dots, or NULL for a table */
	char		*text;
	/* the table, when text is NULL */
	struct map	*map;
	/* "!pattern" */
	bool		 negate;
};

/* A compiled domain list, for the parameter param. */
struct rewrite_dlist {
	struct rewrite_dlist	*next;
	char			*param;
	/* the expanded value it was compiled from */
	char			*value;
	/* parent_domain_matches_subdomains then, and its verdict */
	char			*parent_value;
	bool			 parent;
	struct rewrite_pattern	*pat;
	size_t			 n;
	/* conf_generation() when the values above were last found
	 * current: while it is the same, they need no comparing */
	unsigned long		 generation;
};

/* Postfix's text for a virtual alias domain address without an alias. */
#define REWRITE_VALIAS_ERROR	"5.1.1 User unknown in virtual alias table"

static struct rewrite_dlist	*rewrite_dlists;
/* transport_maps as opened, and the value it was opened from. */
static struct map_list		*rewrite_tmaps;
static char			*rewrite_tmaps_spec;

static void	rewrite_dlist_free(struct rewrite_dlist *);
static int	rewrite_dlist_compile(struct rewrite_dlist *, const char *,
		    struct str *);
static struct rewrite_dlist *rewrite_dlist_get(const char *, struct str *);
static bool	rewrite_parent_style(const char *);
static int	rewrite_pattern_match(const struct rewrite_pattern *,
		    const char *, bool, struct str *, struct str *);
static enum map_result rewrite_dlist_match(const char *, const char *,
		    struct str *);
static void	rewrite_domain_norm(const char *, size_t, struct str *);
static struct map_list *rewrite_tmaps_get(struct str *);
static enum map_result rewrite_tmaps_lookup(const char *, size_t,
		    const char *, struct str *, struct str *);
static int	rewrite_class_transport(const char *, const char *,
		    struct rewrite_result *);

void
rewrite_result_free(struct rewrite_result *r)
{
	str_free(&r->transport);
	str_free(&r->nexthop);
	str_free(&r->recipient);
	r->class = REWRITE_DEFAULT;
}

const char *
rewrite_class_name(enum rewrite_class c)
{
	switch (c) {
	case REWRITE_LOCAL:
		return "local";
	case REWRITE_VIRTUAL_ALIAS:
		return "virtual alias";
	case REWRITE_VIRTUAL_MAILBOX:
		return "virtual mailbox";
	case REWRITE_RELAY:
		return "relay";
	case REWRITE_DEFAULT:
		return "default";
	}
	panic("rewrite_class_name: bad class %d", (int)c);
}

const char *
rewrite_class_word(enum rewrite_class c)
{
	switch (c) {
	case REWRITE_LOCAL:
		return "local";
	case REWRITE_VIRTUAL_ALIAS:
		return "virtual_alias";
	case REWRITE_VIRTUAL_MAILBOX:
		return "virtual_mailbox";
	case REWRITE_RELAY:
		return "relay";
	case REWRITE_DEFAULT:
		return "default";
	}
	panic("rewrite_class_word: bad class %d", (int)c);
}

void
rewrite_canonical(const char *addr, struct str *out)
{
	const char	*at = strrchr(addr, '@'), *v;
	size_t		 len = strlen(addr), dom = 0;

	str_set(out, "");
	if (at != NULL) {
		/* "user@host." is user@host; "user@" has no domain. */
		dom = (size_t)(at - addr) + 1;
		while (len > dom && addr[len - 1] == '.') {
			len--;
		}
		if (len == dom) {
			len = dom - 1;
			at = NULL;
		}
	}
	if (len == 0) {
		/* The null address (or a lone "@") stays empty. */
		return;
	}
	str_set_mem(out, addr, len);
	if (at == NULL) {
		if (!conf_bool("append_at_myorigin") ||
		    *(v = conf_value("myorigin")) == '\0') {
			return;
		}
		str_cat_char(out, '@');
		dom = out->len;
		str_cat(out, v);
	}
	if (conf_bool("append_dot_mydomain") && out->s[dom] != '[' &&
	    strchr(out->s + dom, '.') == NULL &&
	    *(v = conf_value("mydomain")) != '\0') {
		str_cat_char(out, '.');
		str_cat(out, v);
	}
}

/* The domain s (len bytes) in lowercase without trailing dots, in out. */
static void
rewrite_domain_norm(const char *s, size_t len, struct str *out)
{
	size_t	i;

	while (len > 0 && s[len - 1] == '.') {
		len--;
	}
	str_set_mem(out, s, len);
	for (i = 0; i < out->len; i++) {
		out->s[i] = (char)tolower((unsigned char)out->s[i]);
	}
}

static void
rewrite_dlist_free(struct rewrite_dlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->pat[i].text);
		map_close(l->pat[i].map);
	}
	free(l->pat);
	free(l->value);
	free(l->parent_value);
	free(l->param);
	free(l);
}

/*
 * Compile value, the domain list of parameter l->param, into l (empty on
 * entry).  0, or -1 with a message in err and errno; l then holds what
 * was compiled so far and is freed by the caller.
 */
static int
rewrite_dlist_compile(struct rewrite_dlist *l, const char *value,
    struct str *err)
{
	struct rewrite_pattern	 p;
	struct str		 word = STR_INIT, norm = STR_INIT;
	size_t			 pos = 0, cap = 0, ntables = 0;
	const char		*w;
	int			 ret = -1;

	while (conf_list_next(value, &pos, &word) == 1) {
		memset(&p, 0, sizeof(p));
		w = word.s;
		if (*w == '!') {
			p.negate = true;
			w++;
		}
		if (*w == '\0') {
			continue;
		}
		if (*w == '/') {
			/* XXX: Postfix reads the file's words instead. */
			str_set(err, l->param);
			str_catf(err, ": %s: \"/file\" patterns are not "
			    "supported", w);
			errno = ENOTSUP;
			goto out;
		}
		if (*w != '[' && strchr(w, ':') != NULL) {
			if (++ntables > MAP_LIST_MAX) {
				str_set(err, l->param);
				str_catf(err, ": more than %d tables",
				    MAP_LIST_MAX);
				errno = E2BIG;
				goto out;
			}
			if ((p.map = map_open(w, &norm)) == NULL) {
				str_set(err, l->param);
				str_catf(err, ": %s", str_c(&norm));
				goto out;
			}
		} else {
			rewrite_domain_norm(w, strlen(w), &norm);
			p.text = str_take(&norm);
		}
		if (l->n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			l->pat = xreallocarray(l->pat, cap, sizeof(*l->pat));
		}
		l->pat[l->n++] = p;
	}
	ret = 0;
out:
	str_free(&word);
	str_free(&norm);
	return ret;
}

/*
 * The compiled list of param for its current value: cached, or compiled
 * now.  NULL with a message in err when compiling failed.
 */
static struct rewrite_dlist *
rewrite_dlist_get(const char *param, struct str *err)
{
	struct rewrite_dlist	**pp, *l;
	const char		 *value, *pvalue;
	int			  saved;

	for (pp = &rewrite_dlists; (l = *pp) != NULL; pp = &l->next) {
		if (strcmp(l->param, param) == 0 &&
		    l->generation == conf_generation()) {
			return l;
		}
	}
	value = conf_value(param);
	pvalue = conf_value("parent_domain_matches_subdomains");
	for (pp = &rewrite_dlists; (l = *pp) != NULL; pp = &l->next) {
		if (strcmp(l->param, param) == 0) {
			if (strcmp(l->value, value) == 0 &&
			    strcmp(l->parent_value, pvalue) == 0) {
				l->generation = conf_generation();
				return l;
			}
			*pp = l->next;
			rewrite_dlist_free(l);
			break;
		}
	}
	l = xcalloc(1, sizeof(*l));
	l->param = xstrdup(param);
	l->value = xstrdup(value);
	l->parent_value = xstrdup(pvalue);
	l->parent = rewrite_parent_style(param);
	l->generation = conf_generation();
	if (rewrite_dlist_compile(l, value, err) == -1) {
		saved = errno;
		rewrite_dlist_free(l);
		errno = saved;
		return NULL;
	}
	l->next = rewrite_dlists;
	rewrite_dlists = l;
	return l;
}

/* Does "example.org" in the list param match its subdomains too? */
static bool
rewrite_parent_style(const char *param)
{
	struct str	 word = STR_INIT;
	const char	*list = conf_value("parent_domain_matches_subdomains");
	size_t		 pos = 0;
	bool		 found = false;

	while (!found && conf_list_next(list, &pos, &word) == 1) {
		found = strcasecmp(word.s, param) == 0;
	}
	str_free(&word);
	return found;
}

/*
 * Does pattern p match dom (normalized, not empty)?  1, 0, or -1 with a
 * message in err (a table could not be read).  key is scratch space.
 */
static int
rewrite_pattern_match(const struct rewrite_pattern *p, const char *dom,
    bool parent, struct str *key, struct str *err)
{
	const char	*dot;
	size_t		 len = strlen(dom), plen;
	enum map_result	 m;

	if (p->text != NULL) {
		plen = strlen(p->text);
		if (p->text[0] == '.') {
			return plen > 1 && len > plen &&
			    memcmp(dom + len - plen, p->text, plen) == 0;
		}
		if (strcmp(dom, p->text) == 0) {
			return 1;
		}
		return parent && plen > 0 && dom[0] != '[' &&
		    len > plen + 1 && dom[len - plen - 1] == '.' &&
		    memcmp(dom + len - plen, p->text, plen) == 0;
	}
	if ((m = map_lookup(p->map, dom, key, err)) != MAP_NOTFOUND) {
		return m == MAP_FOUND ? 1 : -1;
	}
	if (dom[0] == '[') {
		/* An address literal has no parent domains. */
		return 0;
	}
	/* sub.example.org: example.org, org (parent) or .example.org, .org. */
	for (dot = strchr(dom, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
		if (dot[1] == '\0') {
			break;
		}
		m = map_lookup(p->map, parent ? dot + 1 : dot, key, err);
		if (m != MAP_NOTFOUND) {
			return m == MAP_FOUND ? 1 : -1;
		}
	}
	return 0;
}

/* rewrite_domain_in for a domain that is already normalized. */
static enum map_result
rewrite_dlist_match(const char *param, const char *dom, struct str *err)
{
	struct rewrite_dlist	*l;
	struct str		 key = STR_INIT;
	enum map_result		 r = MAP_NOTFOUND;
	size_t			 i;
	int			 m = 0, saved;

	if (*dom == '\0') {
		return MAP_NOTFOUND;
	}
	if ((l = rewrite_dlist_get(param, err)) == NULL) {
		return MAP_ERROR;
	}
	for (i = 0; i < l->n; i++) {
		if ((m = rewrite_pattern_match(&l->pat[i], dom, l->parent,
		    &key, err)) != 0) {
			break;
		}
	}
	if (m == -1) {
		/* Name the list too: "relay_domains: cdb:/x: ...". */
		str_set_mem(&key, str_c(err), err->len);
		str_set(err, param);
		str_catf(err, ": %s", str_c(&key));
		r = MAP_ERROR;
	} else if (m == 1) {
		r = l->pat[i].negate ? MAP_NOTFOUND : MAP_FOUND;
	}
	str_free(&key);
	saved = errno;
	log_debug("%s: %s: %s", param, dom, r == MAP_FOUND ? "found" :
	    r == MAP_NOTFOUND ? "not found" : str_c(err));
	errno = saved;
	return r;
}

enum map_result
rewrite_domain_in(const char *param, const char *domain, struct str *err)
{
	const struct conf_param	*p = conf_param_find(param);
	struct str		 dom = STR_INIT;
	enum map_result		 r;

	if (p == NULL || p->type != CONF_LIST) {
		panic("rewrite_domain_in: \"%s\" is not a list parameter",
		    param);
	}
	rewrite_domain_norm(domain, strlen(domain), &dom);
	r = rewrite_dlist_match(param, str_c(&dom), err);
	str_free(&dom);
	return r;
}

/* transport_maps, opened for its current value; NULL with err on error. */
static struct map_list *
rewrite_tmaps_get(struct str *err)
{
	const char	*spec = conf_value("transport_maps");
	struct str	 msg = STR_INIT;
	int		 saved;

	if (rewrite_tmaps != NULL && strcmp(rewrite_tmaps_spec, spec) == 0) {
		return rewrite_tmaps;
	}
	map_list_close(rewrite_tmaps);
	free(rewrite_tmaps_spec);
	rewrite_tmaps_spec = NULL;
	if ((rewrite_tmaps = map_list_open(spec, &msg)) == NULL) {
		saved = errno;
		str_set(err, "transport_maps: ");
		str_cat(err, str_c(&msg));
		str_free(&msg);
		errno = saved;
		return NULL;
	}
	str_free(&msg);
	rewrite_tmaps_spec = xstrdup(spec);
	return rewrite_tmaps;
}

/*
 * Search transport_maps for addr, whose local part is local bytes long
 * and whose normalized domain is dom ("" for none), in transport(5)'s
 * order: user+ext@domain, user@domain, domain, .parent ..., *.  Results
 * as map_list_lookup.
 */
static enum map_result
rewrite_tmaps_lookup(const char *addr, size_t local, const char *dom,
    struct str *value, struct str *err)
{
	struct map_list	*maps;
	struct str	 key = STR_INIT;
	const char	*dot;
	size_t		 user;
	enum map_result	 r = MAP_NOTFOUND;

	if ((maps = rewrite_tmaps_get(err)) == NULL) {
		return MAP_ERROR;
	}
	if (map_list_count(maps) == 0) {
		return MAP_NOTFOUND;
	}
	if (*dom != '\0') {
		str_set_mem(&key, addr, local);
		str_catf(&key, "@%s", dom);
		if ((r = map_list_lookup(maps, key.s, value, err)) !=
		    MAP_NOTFOUND) {
			goto out;
		}
		user = map_ext_split(addr, local,
		    conf_value("recipient_delimiter"));
		if (user < local) {
			str_set_mem(&key, addr, user);
			str_catf(&key, "@%s", dom);
			if ((r = map_list_lookup(maps, key.s, value, err)) !=
			    MAP_NOTFOUND) {
				goto out;
			}
		}
		if ((r = map_list_lookup(maps, dom, value, err)) !=
		    MAP_NOTFOUND) {
			goto out;
		}
		for (dot = dom[0] == '[' ? NULL : strchr(dom, '.');
		    dot != NULL; dot = strchr(dot + 1, '.')) {
			if (dot[1] == '\0') {
				break;
			}
			if ((r = map_list_lookup(maps, dot, value, err)) !=
			    MAP_NOTFOUND) {
				goto out;
			}
		}
	}
	r = map_list_lookup(maps, "*", value, err);
out:
	str_free(&key);
	return r;
}

/*
 * Set r's transport and next hop from the value of param ("name" or
 * "name:nexthop"); an empty next hop becomes nexthop.  0, or -1 with a
 * message in r->nexthop when the name is empty.
 */
static int
rewrite_class_transport(const char *param, const char *nexthop,
    struct rewrite_result *r)
{
	const char	*v = conf_value(param), *colon;

	colon = strchr(v, ':');
	str_set_mem(&r->transport, v, colon != NULL ? (size_t)(colon - v) :
	    strlen(v));
	if (r->transport.len == 0) {
		str_set(&r->nexthop, param);
		str_catf(&r->nexthop, ": no transport name in \"%s\"", v);
		errno = EINVAL;
		return -1;
	}
	str_set(&r->nexthop, colon != NULL && colon[1] != '\0' ? colon + 1 :
	    nexthop);
	return 0;
}

int
rewrite_resolve(const char *addr, struct rewrite_result *r)
{
	struct str	 dom = STR_INIT, err = STR_INIT, value = STR_INIT;
	const char	*at = strrchr(addr, '@'), *domhop, *nexthop, *colon;
	const char	*param;
	size_t		 len = strlen(addr), local;
	enum map_result	 m = MAP_NOTFOUND;
	int		 ret = -1;

	str_clear(&r->transport);
	str_clear(&r->nexthop);
	r->routed = false;
	local = len;
	if (at != NULL) {
		local = (size_t)(at - addr);
		while (len > local + 1 && addr[len - 1] == '.') {
			len--;
		}
		rewrite_domain_norm(at + 1, len - local - 1, &dom);
	}
	str_set_mem(&r->recipient, addr, len);
	/* The default next hop: the recipient's domain. */
	domhop = dom.len > 0 ? dom.s : conf_value("myhostname");
	nexthop = domhop;

	/* The address classes, in Postfix's order. */
	if (dom.len == 0 ||
	    (m = rewrite_dlist_match("mydestination", dom.s, &err)) ==
	    MAP_FOUND) {
		r->class = REWRITE_LOCAL;
		param = "local_transport";
	} else if (m == MAP_ERROR) {
		goto out;
	} else if ((m = rewrite_dlist_match("virtual_alias_domains", dom.s,
	    &err)) != MAP_NOTFOUND) {
		if (m == MAP_ERROR) {
			goto out;
		}
		/* cleanup expanded aliases earlier; no transport_maps. */
		r->class = REWRITE_VIRTUAL_ALIAS;
		str_set(&r->transport, "error");
		str_set(&r->nexthop, REWRITE_VALIAS_ERROR);
		ret = 0;
		goto out;
	} else if ((m = rewrite_dlist_match("virtual_mailbox_domains", dom.s,
	    &err)) != MAP_NOTFOUND) {
		if (m == MAP_ERROR) {
			goto out;
		}
		r->class = REWRITE_VIRTUAL_MAILBOX;
		param = "virtual_transport";
	} else if ((m = rewrite_dlist_match("relay_domains", dom.s,
	    &err)) != MAP_NOTFOUND) {
		if (m == MAP_ERROR) {
			goto out;
		}
		r->class = REWRITE_RELAY;
		param = "relay_transport";
	} else {
		r->class = REWRITE_DEFAULT;
		param = "default_transport";
	}
	if ((r->class == REWRITE_RELAY || r->class == REWRITE_DEFAULT) &&
	    *conf_value("relayhost") != '\0') {
		nexthop = conf_value("relayhost");
	}
	if (rewrite_class_transport(param, nexthop, r) == -1) {
		str_set(&err, str_c(&r->nexthop));
		goto out;
	}

	/* transport(5): overrides what the class chose. */
	if ((m = rewrite_tmaps_lookup(addr, local, str_c(&dom), &value,
	    &err)) == MAP_ERROR) {
		goto out;
	}
	r->routed = m == MAP_FOUND;
	if (m == MAP_FOUND) {
		colon = strchr(value.s, ':');
		if (colon == NULL) {
			colon = value.s + value.len;
		}
		if (colon > value.s) {
			/* A transport: its next hop, or the domain. */
			str_set_mem(&r->transport, value.s,
			    (size_t)(colon - value.s));
			str_set(&r->nexthop, *colon != '\0' &&
			    colon[1] != '\0' ? colon + 1 : domhop);
		} else if (*colon != '\0' && colon[1] != '\0') {
			str_set(&r->nexthop, colon + 1);
		}
	}
	ret = 0;
out:
	if (ret == -1) {
		str_set(&r->nexthop, str_c(&err));
		str_clear(&r->transport);
		log_debug("resolve %s: %s", addr, str_c(&err));
	} else {
		log_debug("resolve %s: class %s, transport %s, nexthop %s",
		    addr, rewrite_class_name(r->class), str_c(&r->transport),
		    str_c(&r->nexthop));
	}
	str_free(&dom);
	str_free(&err);
	str_free(&value);
	return ret;
}

void
rewrite_close_tables(void)
{
	struct rewrite_dlist	**pp, *l;
	size_t			  i;
	bool			  has_table;

	for (pp = &rewrite_dlists; (l = *pp) != NULL; ) {
		has_table = false;
		for (i = 0; i < l->n; i++) {
			has_table = has_table || l->pat[i].map != NULL;
		}
		if (has_table) {
			*pp = l->next;
			rewrite_dlist_free(l);
		} else {
			pp = &l->next;
		}
	}
	map_list_close(rewrite_tmaps);
	rewrite_tmaps = NULL;
	free(rewrite_tmaps_spec);
	rewrite_tmaps_spec = NULL;
}

void
rewrite_close(void)
{
	struct rewrite_dlist	*l;

	rewrite_close_tables();
	while ((l = rewrite_dlists) != NULL) {
		rewrite_dlists = l->next;
		rewrite_dlist_free(l);
	}
}
