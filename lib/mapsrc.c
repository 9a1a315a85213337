/* SPDX-License-Identifier: ISC */
/*
 * mapsrc.c: the parser of lookup table sources (see mapsrc.h).
 *
 * Logical lines come from cfline (continuations, comments, CRLF, NUL
 * bytes, the line limit); this file splits each one into a key and a
 * value according to the format.  An entry with any problem is reported
 * and dropped as a whole: a table built from a source with problems is
 * never written (the callers refuse when the count is not 0), so there is
 * no point in guessing what a broken line meant.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "cfline.h"
#include "bounds.h"
#include "mapsrc.h"

struct mapsrc_state {
	const char	*file;
	struct str	*errs;
	int		 nerr;
	struct str	 key;	/* the key of the current entry */
};

static bool	mapsrc_blank(int);
static void	mapsrc_problem(struct mapsrc_state *, int,
		    const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	mapsrc_split_postmap(struct mapsrc_state *,
		    const struct str *, int, size_t *);
static int	mapsrc_split_aliases(struct mapsrc_state *,
		    const struct str *, int, size_t *);

/* The same white space as cfline: what may separate a key and a value. */
static bool
mapsrc_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void
mapsrc_problem(struct mapsrc_state *st, int line, const char *fmt, ...)
{
	va_list	ap;

	str_catf(st->errs, "%s, line %d: ", st->file, line);
	va_start(ap, fmt);
	str_vcatf(st->errs, fmt, ap);
	va_end(ap);
	str_cat_char(st->errs, '\n');
	st->nerr++;
}

/*
 * "key whitespace value": the key into st->key, the offset of the value
 * in l into *value.  l has no leading or trailing blanks (cfline).
 * Returns 0, or -1 after reporting a problem.
 */
static int
mapsrc_split_postmap(struct mapsrc_state *st, const struct str *l, int line,
    size_t *value)
{
	size_t	i, j;

	for (i = 0; i < l->len && !mapsrc_blank((unsigned char)l->s[i]); i++) {
		continue;
	}
	if (i == l->len) {
		mapsrc_problem(st, line,
		    "expected format: key whitespace value");
		return -1;
	}
	for (j = i; j < l->len && mapsrc_blank((unsigned char)l->s[j]); j++) {
		continue;
	}
	str_set_mem(&st->key, l->s, i);
	*value = j;
	return 0;
}

/*
 * "name: value" or "\"quoted name\": value", as mapsrc_split_postmap.
 * The value must split cleanly into alias elements.
 */
static int
mapsrc_split_aliases(struct mapsrc_state *st, const struct str *l, int line,
    size_t *value)
{
	struct str	 elem = STR_INIT;
	const char	*colon;
	size_t		 i, n, pos;
	int		 r;

	str_clear(&st->key);
	if (l->s[0] == '"') {
		for (i = 1; i < l->len && l->s[i] != '"'; i++) {
			if (l->s[i] == '\\') {
				if (++i == l->len) {
					break;
				}
			}
			str_cat_char(&st->key, l->s[i]);
		}
		if (i >= l->len) {
			mapsrc_problem(st, line, "unbalanced quote in name");
			return -1;
		}
		for (i++; i < l->len && mapsrc_blank((unsigned char)l->s[i]);
		    i++) {
			continue;
		}
		if (i == l->len || l->s[i] != ':') {
			mapsrc_problem(st, line,
			    "expected format: name: value");
			return -1;
		}
		colon = l->s + i;
	} else {
		if ((colon = memchr(l->s, ':', l->len)) == NULL) {
			mapsrc_problem(st, line,
			    "expected format: name: value");
			return -1;
		}
		n = (size_t)(colon - l->s);
		while (n > 0 && mapsrc_blank((unsigned char)l->s[n - 1])) {
			n--;
		}
		for (i = 0; i < n; i++) {
			if (mapsrc_blank((unsigned char)l->s[i])) {
				mapsrc_problem(st, line, "white space in name "
				    "(put the name in double quotes)");
				return -1;
			}
		}
		str_set_mem(&st->key, l->s, n);
	}
	if (st->key.len == 0) {
		mapsrc_problem(st, line, "empty name before ':'");
		return -1;
	}
	for (i = (size_t)(colon - l->s) + 1;
	    i < l->len && mapsrc_blank((unsigned char)l->s[i]); i++) {
		continue;
	}
	if (i == l->len) {
		mapsrc_problem(st, line, "expected format: name: value");
		return -1;
	}
	pos = 0;
	while ((r = mapsrc_alias_next(l->s + i, l->len - i, &pos,
	    &elem)) == 1) {
		continue;
	}
	str_free(&elem);
	if (r == -1) {
		mapsrc_problem(st, line, "unbalanced quote in value");
		return -1;
	}
	*value = i;
	return 0;
}

int
mapsrc_parse(const char *text, size_t len, enum mapsrc_format format,
    const char *file, mapsrc_entry_fn fn, void *ctx, struct str *errs)
{
	struct mapsrc_state	 st;
	struct cfline		 cl;
	struct str		 l = STR_INIT;
	size_t			 value, vlen;
	int			 line = 0, r, result = 0;

	memset(&st, 0, sizeof(st));
	st.file = file;
	st.errs = errs;
	cfline_init(&cl, text, len, file, MAP_LINE_MAX);
	while (cfline_next(&cl, &l, &line, errs) == 1) {
		if (format == MAPSRC_ALIASES) {
			r = mapsrc_split_aliases(&st, &l, line, &value);
		} else {
			r = mapsrc_split_postmap(&st, &l, line, &value);
		}
		if (r == -1) {
			continue;
		}
		vlen = l.len - value;
		if (st.key.len > MAP_KEY_MAX) {
			mapsrc_problem(&st, line, "key longer than %d bytes",
			    MAP_KEY_MAX);
			continue;
		}
		if (vlen > MAP_VALUE_MAX) {
			mapsrc_problem(&st, line, "value longer than %d bytes",
			    MAP_VALUE_MAX);
			continue;
		}
		if (fn(ctx, st.key.s, st.key.len, l.s + value, vlen,
		    line) == -1) {
			result = -1;
			break;
		}
	}
	r = errno;
	str_free(&l);
	str_free(&st.key);
	errno = r;
	if (result == -1) {
		return -1;
	}
	return st.nerr + cl.nerr;
}

int
mapsrc_alias_next(const char *v, size_t len, size_t *pos, struct str *elem)
{
	size_t	p = *pos, start, end, i;
	bool	quoted = false;

	while (p < len && (v[p] == ',' || mapsrc_blank((unsigned char)v[p]))) {
		p++;
	}
	if (p >= len) {
		*pos = len;
		return 0;
	}
	start = p;
	for (; p < len; p++) {
		if (quoted) {
			if (v[p] == '\\') {
				p++;	/* past the end: caught below */
			} else if (v[p] == '"') {
				quoted = false;
			}
		} else if (v[p] == '"') {
			quoted = true;
		} else if (v[p] == ',') {
			break;
		}
	}
	if (quoted || p > len) {
		*pos = len;
		errno = EINVAL;
		return -1;
	}
	end = p;
	*pos = p < len ? p + 1 : len;
	while (end > start && mapsrc_blank((unsigned char)v[end - 1])) {
		end--;
	}
	str_clear(elem);
	if (v[start] == '"') {
		/* Where does the first quoted string end? */
		for (i = start + 1; i < end && v[i] != '"'; i++) {
			if (v[i] == '\\') {
				i++;
			}
		}
		if (i == end - 1) {
			for (i = start + 1; i < end - 1; i++) {
				if (v[i] == '\\') {
					i++;
				}
				str_cat_char(elem, v[i]);
			}
			return 1;
		}
	}
	str_set_mem(elem, v + start, end - start);
	return 1;
}
