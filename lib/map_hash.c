/* SPDX-License-Identifier: ISC */
/*
 * map_hash.c: the in-memory tables behind texthash:, inline: and static:,
 * and the reading of text sources shared with map_cdb_build.
 *
 * The index is open addressing with linear probing, at most half full,
 * hashed with 64-bit FNV-1a.  Keys come from the administrator's own
 * files, so we do not defend against chosen collisions; lookup keys from
 * the network only probe, and probes stop at the first free slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "fd.h"
#include "bounds.h"
#include "log.h"
#include "map_int.h"

struct map_load {
	struct map_hash	*hash;
	const char	*file;
	struct str	*msgs;
};

static uint64_t	map_hash_key(const char *, size_t);
static void	map_hash_grow(struct map_hash *);
static int	map_load_entry(void *, const char *, size_t, const char *,
		    size_t, int);
static bool	map_is_blank(int);
static void	map_trim(const char **, size_t *);
static int	map_log_msgs(const struct str *, struct str *);

void
map_fold(char *dst, const char *src, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		unsigned char	c = (unsigned char)src[i];

		dst[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') :
		    (char)c;
	}
}

static uint64_t
map_hash_key(const char *key, size_t n)
{
	uint64_t	h = 14695981039346656037ULL;
	size_t		i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void
map_hash_free(struct map_hash *h)
{
	str_free(&h->data);
	free(h->entries);
	free(h->slots);
	memset(h, 0, sizeof(*h));
}

static void
map_hash_grow(struct map_hash *h)
{
	size_t	nslots, i, j;

	nslots = h->nslots == 0 ? 16 : h->nslots * 2;
	if (nslots < h->nslots) {
		fatalx(EX_TEMPFAIL, "map: hash table too large");
	}
	free(h->slots);
	h->slots = xreallocarray(NULL, nslots, sizeof(*h->slots));
	memset(h->slots, 0, nslots * sizeof(*h->slots));
	h->nslots = nslots;
	for (i = 0; i < h->n; i++) {
		j = map_hash_key(h->data.s + h->entries[i].key,
		    h->entries[i].keylen) & (nslots - 1);
		while (h->slots[j] != 0) {
			j = (j + 1) & (nslots - 1);
		}
		h->slots[j] = i + 1;
	}
}

const struct map_entry *
map_hash_find(const struct map_hash *h, const char *key, size_t keylen)
{
	const struct map_entry	*e;
	size_t			 j;

	if (h->nslots == 0) {
		return NULL;
	}
	j = map_hash_key(key, keylen) & (h->nslots - 1);
	while (h->slots[j] != 0) {
		e = &h->entries[h->slots[j] - 1];
		if (e->keylen == keylen &&
		    memcmp(h->data.s + e->key, key, keylen) == 0) {
			return e;
		}
		j = (j + 1) & (h->nslots - 1);
	}
	return NULL;
}

const struct map_entry *
map_hash_add(struct map_hash *h, const char *key, size_t keylen,
    const char *value, size_t valuelen, int line)
{
	const struct map_entry	*old;
	struct map_entry	*e;
	size_t			 j;

	if ((old = map_hash_find(h, key, keylen)) != NULL) {
		return old;
	}
	/* At most half full: probes stay short, and one slot is free. */
	if (h->n >= h->nslots / 2) {
		map_hash_grow(h);
	}
	if (h->n == h->cap) {
		/* xreallocarray checks the multiplication. */
		h->entries = xreallocarray(h->entries,
		    h->cap == 0 ? 16 : h->cap, 2 * sizeof(*h->entries));
		h->cap = h->cap == 0 ? 32 : h->cap * 2;
	}
	e = &h->entries[h->n];
	e->key = h->data.len;
	e->keylen = keylen;
	str_cat_mem(&h->data, key, keylen);
	str_cat_char(&h->data, '\0');
	e->value = h->data.len;
	e->valuelen = valuelen;
	str_cat_mem(&h->data, value, valuelen);
	str_cat_char(&h->data, '\0');
	e->line = line;
	j = map_hash_key(key, keylen) & (h->nslots - 1);
	while (h->slots[j] != 0) {
		j = (j + 1) & (h->nslots - 1);
	}
	h->slots[j] = ++h->n;
	return NULL;
}

int
map_source_read(const char *path, struct str *text, mode_t *mode,
    struct str *msgs)
{
	struct stat	st;
	char		chunk[16384];
	ssize_t		n;
	int		fd, saved;

	str_clear(text);
	/* O_NONBLOCK: a FIFO planted under the name must not hang us. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		saved = errno;
		str_catf(msgs, "open %s: %s\n", path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		saved = errno;
		str_catf(msgs, "stat %s: %s\n", path, strerror(saved));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		saved = EINVAL;
		str_catf(msgs, "%s: not a regular file\n", path);
		goto fail;
	}
	if (st.st_size > MAP_SOURCE_MAX) {
		saved = EFBIG;
		str_catf(msgs, "%s: larger than %ld bytes\n", path,
		    (long)MAP_SOURCE_MAX);
		goto fail;
	}
	for (;;) {
		if ((n = fd_read(fd, chunk, sizeof(chunk))) == -1) {
			saved = errno;
			str_catf(msgs, "read %s: %s\n", path, strerror(saved));
			goto fail;
		}
		if (n == 0) {
			break;
		}
		/* The file may grow while we read it. */
		if ((size_t)n > (size_t)MAP_SOURCE_MAX - text->len) {
			saved = EFBIG;
			str_catf(msgs, "%s: larger than %ld bytes\n", path,
			    (long)MAP_SOURCE_MAX);
			goto fail;
		}
		str_cat_mem(text, chunk, (size_t)n);
	}
	(void)close(fd);
	if (mode != NULL) {
		*mode = st.st_mode & 07777;
	}
	return 0;

fail:
	(void)close(fd);
	str_clear(text);
	errno = saved;
	return -1;
}

static int
map_load_entry(void *ctx, const char *key, size_t keylen, const char *value,
    size_t valuelen, int line)
{
	struct map_load		*ld = ctx;
	const struct map_entry	*old;
	char			 folded[MAP_KEY_MAX];

	/* mapsrc_parse passes no key over MAP_KEY_MAX. */
	if (keylen > sizeof(folded)) {
		panic("map_load_entry: key of %zu bytes", keylen);
	}
	map_fold(folded, key, keylen);
	old = map_hash_add(ld->hash, folded, keylen, value, valuelen, line);
	if (old != NULL) {
		str_catf(ld->msgs, "warning: %s, line %d: duplicate entry: "
		    "\"%.*s\" (ignored, line %d is kept)\n", ld->file, line,
		    (int)keylen, key, old->line);
	}
	return 0;
}

int
map_source_load(struct map_hash *h, const char *text, size_t len,
    const char *file, enum mapsrc_format format, struct str *msgs)
{
	struct map_load	ld;

	ld.hash = h;
	ld.file = file;
	ld.msgs = msgs;
	return mapsrc_parse(text, len, format, file, map_load_entry, &ld,
	    msgs);
}

/*
 * Log the lines of msgs (met while opening a table), except the first
 * error, which goes to err when err is not NULL, with a count of the
 * others.  Returns the number of errors.
 */
static int
map_log_msgs(const struct str *msgs, struct str *err)
{
	const char	*p = str_c(msgs), *end = p + msgs->len;
	size_t		 n;
	int		 nerr = 0;

	for (; p < end; p += n + 1) {
		n = strcspn(p, "\n");	/* msgs->s[len] is a NUL guard */
		if (n >= 9 && memcmp(p, "warning: ", 9) == 0) {
			log_warnx("%.*s", (int)(n - 9), p + 9);
		} else if (nerr++ == 0 && err != NULL) {
			str_set_mem(err, p, n);
		} else {
			log_error("%.*s", (int)n, p);
		}
	}
	if (nerr > 1 && err != NULL) {
		str_catf(err, " (and %d more problem%s)", nerr - 1,
		    nerr == 2 ? "" : "s");
	}
	return nerr;
}

int
map_open_texthash(struct map *m, const char *name, struct str *err)
{
	struct str	text = STR_INIT, msgs = STR_INIT;
	int		saved;

	str_clear(err);
	if (map_source_read(name, &text, NULL, &msgs) == -1) {
		saved = errno;
		goto fail;
	}
	if (map_source_load(&m->hash, text.s, text.len, name,
	    MAPSRC_POSTMAP, &msgs) > 0) {
		saved = EINVAL;
		goto fail;
	}
	(void)map_log_msgs(&msgs, NULL);
	str_free(&text);
	str_free(&msgs);
	return 0;

fail:
	(void)map_log_msgs(&msgs, err);
	str_free(&text);
	str_free(&msgs);
	map_hash_free(&m->hash);
	errno = saved;
	return -1;
}

static bool
map_is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\f' || c == '\v';
}

/* Drop white space at both ends of (*p, *n). */
static void
map_trim(const char **p, size_t *n)
{
	while (*n > 0 && map_is_blank((unsigned char)(*p)[0])) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && map_is_blank((unsigned char)(*p)[*n - 1])) {
		(*n)--;
	}
}

/*
 * inline:{key=value, {key = value with blanks}, ...} (Postfix 3.0).  The
 * whole name must be in braces; inside, entries are words as in a list.
 */
int
map_open_inline(struct map *m, const char *name, struct str *err)
{
	struct str	 word = STR_INIT, msgs = STR_INIT;
	const char	*body, *p, *eq, *key, *value;
	size_t		 len, pos = 0, n, keylen, valuelen;
	const struct map_entry	*old;
	char		 folded[MAP_KEY_MAX];

	body = name;
	len = strlen(name);
	map_trim(&body, &len);
	if (len < 2 || body[0] != '{' || body[len - 1] != '}') {
		str_catf(err, "%s: expected inline:{key=value, ...}", m->spec);
		goto fail;
	}
	body++;
	len -= 2;
	while (map_word_next(body, len, &pos, &word) == 1) {
		p = word.s;
		n = word.len;
		if (p[0] == '{') {
			if (n < 2 || p[n - 1] != '}') {
				str_catf(err, "%s: unbalanced '{' in %s",
				    m->spec, word.s);
				goto fail;
			}
			p++;
			n -= 2;
		}
		if ((eq = memchr(p, '=', n)) == NULL) {
			str_catf(err, "%s: missing '=' in %s", m->spec,
			    word.s);
			goto fail;
		}
		key = p;
		keylen = (size_t)(eq - p);
		value = eq + 1;
		valuelen = n - keylen - 1;
		map_trim(&key, &keylen);
		map_trim(&value, &valuelen);
		if (keylen == 0) {
			str_catf(err, "%s: empty key in %s", m->spec,
			    word.s);
			goto fail;
		}
		if (keylen > MAP_KEY_MAX) {
			str_catf(err, "%s: key longer than %d bytes", m->spec,
			    MAP_KEY_MAX);
			goto fail;
		}
		if (valuelen > MAP_VALUE_MAX) {
			str_catf(err, "%s: value longer than %d bytes",
			    m->spec, MAP_VALUE_MAX);
			goto fail;
		}
		map_fold(folded, key, keylen);
		old = map_hash_add(&m->hash, folded, keylen, value, valuelen,
		    0);
		if (old != NULL) {
			str_catf(&msgs, "warning: %s: duplicate entry: "
			    "\"%.*s\" (ignored, the first is kept)\n",
			    m->spec, (int)keylen, key);
		}
	}
	(void)map_log_msgs(&msgs, NULL);
	str_free(&msgs);
	str_free(&word);
	return 0;

fail:
	str_free(&msgs);
	str_free(&word);
	map_hash_free(&m->hash);
	errno = EINVAL;
	return -1;
}

/* static:value, or static:{value with blanks} (braces stripped, trimmed). */
int
map_open_static(struct map *m, const char *name, struct str *err)
{
	const char	*p = name;
	size_t		 n = strlen(name);

	if (n > 0 && p[0] == '{') {
		if (n < 2 || p[n - 1] != '}') {
			str_catf(err, "%s: unbalanced '{'", m->spec);
			errno = EINVAL;
			return -1;
		}
		p++;
		n -= 2;
		map_trim(&p, &n);
	}
	if (n > MAP_VALUE_MAX) {
		str_catf(err, "%s: value longer than %d bytes", m->spec,
		    MAP_VALUE_MAX);
		errno = EINVAL;
		return -1;
	}
	str_set_mem(&m->value, p, n);
	return 0;
}
