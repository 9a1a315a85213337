/* SPDX-License-Identifier: ISC */
/*
 * map.c: opening tables by "type:name", map lists, and the address and
 * alias lookup orders (see map.h).  The tables themselves live in
 * map_cdb.c (cdb:) and map_hash.c (texthash:, inline:, static:).
 *
 * Postfix behaviour followed here, from virtual(5), canonical(5),
 * aliases(5) and local(8): the address forms and their order, tables
 * searched in list order with the first match winning, a lookup error
 * ending the search (a temporary failure, not "not found"), keys folded
 * to lowercase, and which local parts are never split at the recipient
 * delimiter.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "bounds.h"
#include "log.h"
#include "map_int.h"

struct map_list {
	struct map	**maps;
	size_t		  n;
};

struct map_type_entry {
	const char	*name;
	enum map_type	 type;
	int		(*open)(struct map *, const char *, struct str *);
};

static const struct map_type_entry map_types[] = {
	{ "cdb", MAP_TYPE_CDB, map_open_cdb },
	{ "inline", MAP_TYPE_INLINE, map_open_inline },
	{ "static", MAP_TYPE_STATIC, map_open_static },
	{ "texthash", MAP_TYPE_TEXTHASH, map_open_texthash },
};

/* map_keep_open: every table opened since, by spec. */
static bool		  map_keeping;
static struct map	**map_kept;
static size_t		  map_nkept, map_capkept;

static bool	map_list_sep(int);
static bool	map_tried(struct str *, const struct str *);

struct map *
map_open(const char *spec, struct str *err)
{
	const struct map_type_entry	*t = NULL;
	const char			*colon;
	struct map			*m;
	size_t				 i, n;
	int				 saved;

	str_clear(err);
	for (i = 0; i < map_nkept; i++) {
		if (strcmp(map_kept[i]->spec, spec) == 0) {
			return map_kept[i];
		}
	}
	if ((colon = strchr(spec, ':')) == NULL) {
		str_catf(err, "%s: expected type:name", spec);
		errno = EINVAL;
		return NULL;
	}
	n = (size_t)(colon - spec);
	for (i = 0; i < sizeof(map_types) / sizeof(map_types[0]); i++) {
		if (strlen(map_types[i].name) == n &&
		    memcmp(map_types[i].name, spec, n) == 0) {
			t = &map_types[i];
			break;
		}
	}
	if (t == NULL) {
		str_catf(err, "%s: unsupported table type \"%.*s\" (postlet "
		    "has cdb, texthash, inline and static)", spec,
		    n > 64 ? 64 : (int)n, spec);
		errno = EINVAL;
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->type = t->type;
	m->fd = -1;
	m->spec = xstrdup(spec);
	if (t->open(m, colon + 1, err) == -1) {
		saved = errno;
		map_close(m);
		errno = saved;
		return NULL;
	}
	if (map_keeping) {
		if (map_nkept == map_capkept) {
			map_capkept = map_capkept == 0 ? 8 : map_capkept * 2;
			map_kept = xreallocarray(map_kept, map_capkept,
			    sizeof(*map_kept));
		}
		m->kept = true;
		map_kept[map_nkept++] = m;
	}
	return m;
}

void
map_keep_open(void)
{
	map_keeping = true;
}

const char *
map_kept_changed(void)
{
	size_t	i;

	for (i = 0; i < map_nkept; i++) {
		if (map_kept[i]->type == MAP_TYPE_CDB &&
		    map_cdb_changed(map_kept[i])) {
			return map_kept[i]->spec;
		}
	}
	return NULL;
}

void
map_close(struct map *m)
{
	if (m == NULL || m->kept) {
		return;
	}
	map_close_cdb(m);
	map_hash_free(&m->hash);
	str_free(&m->value);
	free(m->path);
	free(m->spec);
	free(m);
}

const char *
map_spec(const struct map *m)
{
	return m->spec;
}

enum map_result
map_lookup(struct map *m, const char *key, struct str *value,
    struct str *err)
{
	const struct map_entry	*e;
	enum map_result		 r;
	char			 folded[MAP_KEY_MAX];
	size_t			 n;

	str_clear(value);
	n = strnlen(key, MAP_KEY_MAX + 1);
	if (m->type == MAP_TYPE_STATIC) {
		str_set_mem(value, m->value.s, m->value.len);
		return MAP_FOUND;
	}
	if (n > MAP_KEY_MAX) {
		return MAP_NOTFOUND;
	}
	map_fold(folded, key, n);
	if (m->type == MAP_TYPE_CDB) {
		str_clear(err);
		r = map_lookup_cdb(m, folded, n, value, err);
		if (r == MAP_ERROR) {
			str_clear(value);
		}
		return r;
	}
	if ((e = map_hash_find(&m->hash, folded, n)) == NULL) {
		return MAP_NOTFOUND;
	}
	str_set_mem(value, m->hash.data.s + e->value, e->valuelen);
	return MAP_FOUND;
}

/* List separators, as conf_list_next: commas and white space. */
static bool
map_list_sep(int c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\f' || c == '\v';
}

int
map_word_next(const char *s, size_t len, size_t *pos, struct str *word)
{
	size_t	p = *pos, start, depth = 0;

	while (p < len && map_list_sep((unsigned char)s[p])) {
		p++;
	}
	if (p >= len) {
		*pos = len;
		return 0;
	}
	start = p;
	for (; p < len; p++) {
		if (s[p] == '{') {
			depth++;
		} else if (s[p] == '}' && depth > 0) {
			depth--;
		} else if (depth == 0 && map_list_sep((unsigned char)s[p])) {
			break;
		}
	}
	str_set_mem(word, s + start, p - start);
	*pos = p;
	return 1;
}

struct map_list *
map_list_new(void)
{
	return xcalloc(1, sizeof(struct map_list));
}

int
map_list_add(struct map_list *l, struct map *m)
{
	if (l->n >= MAP_LIST_MAX) {
		errno = E2BIG;
		return -1;
	}
	l->maps = xreallocarray(l->maps, l->n + 1, sizeof(*l->maps));
	l->maps[l->n++] = m;
	return 0;
}

struct map_list *
map_list_open(const char *tables, struct str *err)
{
	struct map_list	*l;
	struct str	 word = STR_INIT;
	struct map	*m;
	size_t		 pos = 0, len = strlen(tables);
	int		 saved;

	str_clear(err);
	l = map_list_new();
	while (map_word_next(tables, len, &pos, &word) == 1) {
		if (l->n == MAP_LIST_MAX) {
			str_catf(err, "more than %d tables in one list",
			    MAP_LIST_MAX);
			saved = E2BIG;
			goto fail;
		}
		if ((m = map_open(word.s, err)) == NULL) {
			saved = errno;
			goto fail;
		}
		(void)map_list_add(l, m);
	}
	str_free(&word);
	return l;

fail:
	str_free(&word);
	map_list_close(l);
	errno = saved;
	return NULL;
}

void
map_list_close(struct map_list *l)
{
	size_t	i;

	if (l == NULL) {
		return;
	}
	for (i = 0; i < l->n; i++) {
		map_close(l->maps[i]);
	}
	free(l->maps);
	free(l);
}

size_t
map_list_count(const struct map_list *l)
{
	return l->n;
}

struct map *
map_list_get(const struct map_list *l, size_t i)
{
	if (i >= l->n) {
		panic("map_list_get: %zu of %zu", i, l->n);
	}
	return l->maps[i];
}

enum map_result
map_list_lookup(struct map_list *l, const char *key, struct str *value,
    struct str *err)
{
	enum map_result	r;
	size_t		i;

	str_clear(value);
	for (i = 0; i < l->n; i++) {
		if ((r = map_lookup(l->maps[i], key, value, err)) !=
		    MAP_NOTFOUND) {
			return r;
		}
	}
	return MAP_NOTFOUND;
}

size_t
map_ext_split(const char *local, size_t len, const char *delims)
{
	static const char	owner[] = "owner-", request[] = "-request";
	size_t			i;

	if (delims == NULL || *delims == '\0') {
		return len;
	}
	if ((len == 10 && strncasecmp(local, "postmaster", 10) == 0) ||
	    (len == 13 && strncasecmp(local, "mailer-daemon", 13) == 0)) {
		return len;
	}
	if (strchr(delims, '-') != NULL &&
	    ((len >= sizeof(owner) - 1 &&
	    strncasecmp(local, owner, sizeof(owner) - 1) == 0) ||
	    (len >= sizeof(request) - 1 &&
	    strncasecmp(local + len - (sizeof(request) - 1), request,
	    sizeof(request) - 1) == 0))) {
		return len;
	}
	for (i = 0; i < len; i++) {
		if (local[i] != '\0' && strchr(delims, local[i]) != NULL) {
			break;
		}
	}
	/* "+foo": an empty user would turn into the key "@domain". */
	return i == 0 ? len : i;
}

/*
 * Has key been looked up already?  tried holds the keys so far, each
 * followed by a NUL; a new key is added.  Case does not matter, since
 * lookups fold.
 */
static bool
map_tried(struct str *tried, const struct str *key)
{
	const char	*p = str_c(tried), *end = p + tried->len;
	size_t		 n;

	for (; p < end; p += n + 1) {
		n = strlen(p);
		if (n == key->len && strncasecmp(p, key->s, n) == 0) {
			return true;
		}
	}
	str_cat_mem(tried, key->s, key->len);
	str_cat_char(tried, '\0');
	return false;
}

enum map_result
map_lookup_addr(struct map_list *l, const char *addr, const char *delims,
    int flags, struct str *value, enum map_addr_form *form,
    struct str *err)
{
	struct map_addr_try {
		/* of addr's local part */
		size_t			 len;
		/* + addr's @domain */
		bool			 domain;
		enum map_addr_form	 form;
	}			 forms[5];
	struct str		 key = STR_INIT, tried = STR_INIT;
	const char		*at;
	size_t			 len, local, user, i, n = 0;
	enum map_result		 r = MAP_NOTFOUND;

	str_clear(value);
	len = strlen(addr);
	at = strrchr(addr, '@');
	local = at != NULL ? (size_t)(at - addr) : len;
	user = map_ext_split(addr, local, delims);
	if (at != NULL) {
		forms[n++] = (struct map_addr_try){ local, true,
		    MAP_FORM_ADDR };
		if (user < local) {
			forms[n++] = (struct map_addr_try){ user, true,
			    MAP_FORM_ADDR_NOEXT };
		}
	}
	if ((at == NULL || (flags & MAP_ADDR_OURS) != 0) && local > 0) {
		forms[n++] = (struct map_addr_try){ local, false,
		    MAP_FORM_LOCAL };
		if (user < local) {
			forms[n++] = (struct map_addr_try){ user, false,
			    MAP_FORM_LOCAL_NOEXT };
		}
	}
	if (at != NULL && at[1] != '\0') {
		forms[n++] = (struct map_addr_try){ 0, true,
		    MAP_FORM_DOMAIN };
	}
	for (i = 0; i < n; i++) {
		str_set_mem(&key, addr, forms[i].len);
		if (forms[i].domain) {
			str_cat(&key, at);
		}
		if (map_tried(&tried, &key)) {
			continue;
		}
		if ((r = map_list_lookup(l, key.s, value, err)) !=
		    MAP_NOTFOUND) {
			if (r == MAP_FOUND && form != NULL) {
				*form = forms[i].form;
			}
			break;
		}
	}
	str_free(&key);
	str_free(&tried);
	return r;
}

enum map_result
map_lookup_alias(struct map_list *l, const char *local, const char *delims,
    struct str *value, int *noext, struct str *err)
{
	struct str	key = STR_INIT;
	enum map_result	r;
	size_t		len = strlen(local), user;

	if ((r = map_list_lookup(l, local, value, err)) != MAP_NOTFOUND) {
		if (noext != NULL) {
			*noext = 0;
		}
		return r;
	}
	if ((user = map_ext_split(local, len, delims)) < len) {
		str_set_mem(&key, local, user);
		r = map_list_lookup(l, key.s, value, err);
		str_free(&key);
		if (r != MAP_NOTFOUND && noext != NULL) {
			*noext = 1;
		}
	}
	return r;
}
