/* SPDX-License-Identifier: ISC */
/*
 * addr_list.c: RFC 5322 §3.4 address lists (To, Cc, Bcc, From...), as
 * sendmail -t and the header checks need them: the addr-spec of each
 * mailbox, in internal form (see addr.h).
 *
 * Two passes over a tokenizer.  The first cuts the value into list
 * elements at the commas (and semicolons) that are outside angle brackets,
 * and drops group names; the second parses each element alone, so that
 * garbage in one costs only that one (counted in list->bad).  The
 * tokenizer skips blanks, line breaks (folding) and comments, which it
 * counts instead of recursing; an unclosed comment, quoted string or
 * domain literal becomes one bad token running to the end.  Every pass is
 * linear in the input, and the number of mailboxes is bounded by
 * ADDR_LIST_MAX.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "alloc.h"
#include "bounds.h"
#include "str.h"

enum tok_type {
	TOK_END,	/* no more input */
	TOK_ATOM,	/* atext (and 8-bit) bytes */
	TOK_QSTRING,	/* "...", quotes included */
	TOK_DLIT,	/* [...], brackets included */
	TOK_SPECIAL,	/* one of < > @ , ; : . */
	TOK_BAD		/* what no address may hold */
};

struct tok {
	enum tok_type	type;
	size_t		pos;	/* first byte */
	size_t		len;	/* bytes */
};

static bool	is_space(int);
static bool	is_atom_byte(int);
static bool	is_special(const struct tok *, const unsigned char *, int);
static void	tok_next(const unsigned char *, size_t, size_t *,
		    struct tok *);
static void	cat_unquoted(struct str *, const unsigned char *,
		    const struct tok *);
static int	spec_parse(const unsigned char *, size_t, size_t, int,
		    struct str *, struct addr_span *);
static int	item_parse(const unsigned char *, size_t, size_t, int,
		    struct str *, struct addr_span *);
static int	item_add(struct addr_list *, const unsigned char *, size_t,
		    size_t, int, size_t *);

/* Blanks and the CR and LF of folding (RFC 5322 §2.2.3). */
static bool
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Bytes of an atom: printable ASCII but the specials of RFC 5322 §3.2.3
 * (which leaves exactly atext), and 8-bit bytes, checked later.
 */
static bool
is_atom_byte(int c)
{
	if (c >= 0x80) {
		return true;
	}
	return c > ' ' && c < 0x7f && strchr("()<>[]:;@\\,.\"", c) == NULL;
}

static bool
is_special(const struct tok *t, const unsigned char *s, int c)
{
	return t->type == TOK_SPECIAL && s[t->pos] == c;
}

/*
 * The next token of s at or after *pos, not past end; *pos moves past it.
 * Blanks, line breaks and comments in between are skipped.
 */
static void
tok_next(const unsigned char *s, size_t end, size_t *pos, struct tok *t)
{
	size_t	i = *pos, depth;
	int	close;

	for (;;) {
		while (i < end && is_space(s[i])) {
			i++;
		}
		if (i == end || s[i] != '(') {
			break;
		}
		/* A comment: nested parentheses and quoted-pairs. */
		t->pos = i;
		for (depth = 0; i < end; i++) {
			if (s[i] == '\\') {
				i++;
			} else if (s[i] == '(') {
				depth++;
			} else if (s[i] == ')' && --depth == 0) {
				break;
			}
		}
		if (i >= end) {
			t->type = TOK_BAD;
			t->len = end - t->pos;
			*pos = end;
			return;
		}
		i++;
	}
	t->pos = i;
	if (i == end) {
		t->type = TOK_END;
		t->len = 0;
	} else if (s[i] == '"' || s[i] == '[') {
		close = s[i] == '"' ? '"' : ']';
		for (i++; i < end && s[i] != close; i++) {
			if (s[i] == '\\') {
				i++;
			}
		}
		if (i >= end) {
			t->type = TOK_BAD;	/* not closed */
			i = end;
		} else {
			t->type = close == '"' ? TOK_QSTRING : TOK_DLIT;
			i++;
		}
	} else if (s[i] != '\0' && strchr("<>@,;:.", s[i]) != NULL) {
		t->type = TOK_SPECIAL;
		i++;
	} else if (is_atom_byte(s[i])) {
		t->type = TOK_ATOM;
		while (i < end && is_atom_byte(s[i])) {
			i++;
		}
	} else {
		t->type = TOK_BAD;	/* ) ] \ or a control byte */
		i++;
	}
	t->len = i - t->pos;
	*pos = i;
}

/*
 * Append the contents of a quoted string or domain literal: without the
 * delimiters, quoted-pairs resolved, CR and LF (folding) dropped.
 */
static void
cat_unquoted(struct str *out, const unsigned char *s, const struct tok *t)
{
	size_t	i, end = t->pos + t->len - 1;

	for (i = t->pos + 1; i < end; i++) {
		if (s[i] == '\\' && t->type == TOK_QSTRING) {
			i++;
		}
		if (s[i] != '\r' && s[i] != '\n') {
			str_cat_char(out, s[i]);
		}
	}
}

/*
 * An addr-spec, from a to b: local-part ["@" domain] into out in internal
 * form, and where its tokens are into *span.  The local part is words
 * (atoms, quoted strings) and dots, with the obsolete dot forms allowed
 * but two words without a dot refused.  Returns 1, or -1 when it is no
 * address.
 */
static int
spec_parse(const unsigned char *s, size_t a, size_t b, int flags,
    struct str *out, struct addr_span *span)
{
	struct tok	t;
	size_t		pos = a, local_len = 0, domain = 0;
	bool		at = false, word = false, literal = false;

	str_clear(out);
	span->pos = span->len = 0;
	for (;;) {
		tok_next(s, b, &pos, &t);
		if (t.type == TOK_END) {
			break;
		}
		if (span->len == 0) {
			span->pos = t.pos;
		}
		span->len = t.pos + t.len - span->pos;
		if (!at) {
			if (t.type == TOK_ATOM || t.type == TOK_QSTRING) {
				if (word) {
					return -1;
				}
				if (t.type == TOK_ATOM) {
					str_cat_mem(out, s + t.pos, t.len);
				} else {
					cat_unquoted(out, s, &t);
				}
				word = true;
			} else if (is_special(&t, s, '.')) {
				str_cat_char(out, '.');
				word = false;
			} else if (is_special(&t, s, '@')) {
				at = true;
				word = false;
				local_len = out->len;
				str_cat_char(out, '@');
				domain = out->len;
			} else {
				return -1;
			}
			continue;
		}
		/* The domain: dot-atom, or one domain literal. */
		if (literal) {
			return -1;
		}
		if (t.type == TOK_DLIT) {
			if (out->len > domain) {
				return -1;
			}
			str_cat_char(out, '[');
			cat_unquoted(out, s, &t);
			str_cat_char(out, ']');
			literal = true;
		} else if (t.type == TOK_ATOM) {
			if (word) {
				return -1;
			}
			str_cat_mem(out, s + t.pos, t.len);
			word = true;
		} else if (is_special(&t, s, '.')) {
			str_cat_char(out, '.');
			word = false;
		} else {
			return -1;
		}
	}
	if (!at) {
		local_len = out->len;
		/* As in addr_parse_path: not empty, no '@' once unquoted. */
		if (local_len == 0 || memchr(out->s, '@', local_len) != NULL) {
			return -1;
		}
	}
	if (!addr_valid_local(out->s, local_len, flags)) {
		return -1;
	}
	if ((flags & ADDR_PATH_STRICT) && local_len > ADDR_LOCAL_MAX) {
		return -1;
	}
	if (at && !addr_valid_domain(out->s + domain, out->len - domain,
	    ADDR_DOMAIN_LITERAL | (flags & ADDR_PATH_UTF8))) {
		return -1;
	}
	if (out->len > ADDR_PATH_MAX) {
		return -1;
	}
	return 1;
}

/*
 * One list element, from a to b: an addr-spec, or a name-addr whose
 * display name is dropped (RFC 5322 §3.4), with an obsolete route in the
 * angle brackets dropped too (§4.4).  Returns 1 with the address in out,
 * 0 for an empty element, -1 when it is no address.
 */
static int
item_parse(const unsigned char *s, size_t a, size_t b, int flags,
    struct str *out, struct addr_span *span)
{
	struct tok	t;
	size_t		pos = a, spec_a = a, spec_b = b;

	str_clear(out);
	tok_next(s, b, &pos, &t);
	if (t.type == TOK_END) {
		return 0;
	}
	while (t.type != TOK_END && !is_special(&t, s, '<')) {
		tok_next(s, b, &pos, &t);
	}
	if (t.type == TOK_END) {
		return spec_parse(s, a, b, flags, out, span);
	}
	/* <[route:]addr-spec>: find '>', and only junk after it. */
	spec_a = pos;
	for (;;) {
		tok_next(s, b, &pos, &t);
		if (t.type == TOK_END || is_special(&t, s, '<')) {
			return -1;
		}
		if (is_special(&t, s, '>')) {
			spec_b = t.pos;
			break;
		}
	}
	for (;;) {
		tok_next(s, b, &pos, &t);
		if (t.type == TOK_END) {
			break;
		}
		if (is_special(&t, s, '<') || is_special(&t, s, '>')) {
			return -1;
		}
	}
	pos = spec_a;
	tok_next(s, spec_b, &pos, &t);
	if (is_special(&t, s, '@')) {
		/* @a,@b: the route ends at the first ':'. */
		while (t.type != TOK_END && !is_special(&t, s, ':')) {
			tok_next(s, spec_b, &pos, &t);
		}
		if (t.type == TOK_END) {
			return -1;
		}
		spec_a = pos;
	}
	return spec_parse(s, spec_a, spec_b, flags, out, span);
}

/*
 * Parse the element from a to b and append its address to list.  *added
 * counts the addresses of this addr_list_parse call.  Returns 0, or -1
 * with errno EMSGSIZE when it would be one more than ADDR_LIST_MAX.
 */
static int
item_add(struct addr_list *list, const unsigned char *s, size_t a,
    size_t b, int flags, size_t *added)
{
	struct str		addr = STR_INIT;
	struct addr_span	span;
	int			r;

	r = item_parse(s, a, b, flags, &addr, &span);
	if (r == -1) {
		list->bad++;
	} else if (r == 1) {
		if (*added == ADDR_LIST_MAX) {
			str_free(&addr);
			errno = EMSGSIZE;
			return -1;
		}
		if (list->count == list->cap) {
			list->cap = list->cap == 0 ? 8 : list->cap * 2;
			list->item = xreallocarray(list->item, list->cap,
			    sizeof(*list->item));
			list->span = xreallocarray(list->span, list->cap,
			    sizeof(*list->span));
		}
		list->span[list->count] = span;
		list->item[list->count++] = addr;	/* the list owns it */
		(*added)++;
		return 0;
	}
	str_free(&addr);
	return 0;
}

int
addr_list_parse(const char *in, size_t len, int flags,
    struct addr_list *list)
{
	const unsigned char	*s = (const unsigned char *)in;
	struct tok		 t;
	size_t			 pos = 0, item = 0, added = 0;
	bool			 angle = false, group = false, named = true;

	for (;;) {
		tok_next(s, len, &pos, &t);
		if (t.type == TOK_END) {
			return item_add(list, s, item, len, flags, &added);
		}
		if (t.type != TOK_SPECIAL) {
			continue;
		}
		switch (s[t.pos]) {
		case '<':
			angle = true;
			named = false;
			break;
		case '>':
			angle = false;
			break;
		case '@':
			named = false;
			break;
		case ':':
			/*
			 * display-name ":" starts a group (§3.4): the name is
			 * dropped.  A ':' after '@' or '<' is not one; the
			 * element parser will refuse it.
			 */
			if (!angle && !group && named) {
				group = true;
				item = pos;
			}
			break;
		case ',':
		case ';':
			/*
			 * ';' ends a group; outside one, take it as a comma,
			 * as the lists some mail clients write need.
			 */
			if (angle) {
				break;
			}
			if (item_add(list, s, item, t.pos, flags, &added) ==
			    -1) {
				return -1;
			}
			if (s[t.pos] == ';') {
				group = false;
			}
			item = pos;
			named = true;
			break;
		default:
			break;
		}
	}
}

void
addr_list_free(struct addr_list *list)
{
	size_t	i;

	for (i = 0; i < list->count; i++) {
		str_free(&list->item[i]);
	}
	free(list->item);
	free(list->span);
	list->item = NULL;
	list->span = NULL;
	list->count = 0;
	list->cap = 0;
	list->bad = 0;
}
