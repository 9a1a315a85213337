/* SPDX-License-Identifier: ISC */
/* cfline.c: logical lines of configuration text (see cfline.h). */
#include <stdbool.h>
#include <string.h>

#include "cfline.h"

void
cfline_init(struct cfline *cl, const char *text, size_t len,
    const char *file, size_t max)
{
	memset(cl, 0, sizeof(*cl));
	cl->text = text;
	cl->len = len;
	cl->file = file;
	cl->max = max;
}

static bool
cfline_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Is the physical line at pos a continuation line (and not ignorable)? */
static bool
cfline_peek_continuation(const struct cfline *cl)
{
	size_t	i = cl->pos;

	return i < cl->len && cfline_blank((unsigned char)cl->text[i]);
}

int
cfline_next(struct cfline *cl, struct str *out, int *lineno, struct str *errs)
{
	bool	have, toolong, bad;

again:
	have = false;
	toolong = false;
	bad = false;
	str_clear(out);
	while (cl->pos < cl->len) {
		const char	*p = cl->text + cl->pos;
		const char	*nl = memchr(p, '\n', cl->len - cl->pos);
		size_t		 n = nl != NULL ? (size_t)(nl - p) :
		    cl->len - cl->pos;
		size_t		 i;

		/* A continuation line belongs to the logical line we have;
		 * any other meaningful line starts the next one. */
		if (have && !cfline_peek_continuation(cl)) {
			for (i = 0; i < n && cfline_blank((unsigned char)p[i]);
			    i++) {
				continue;
			}
			if (i < n && p[i] != '#') {
				break;
			}
		}
		cl->pos += nl != NULL ? n + 1 : n;
		cl->line++;
		if (n > 0 && p[n - 1] == '\r') {
			n--;
		}
		for (i = 0; i < n && cfline_blank((unsigned char)p[i]); i++) {
			continue;
		}
		if (memchr(p, '\0', n) != NULL) {
			str_catf(errs, "%s, line %d: NUL byte in line\n",
			    cl->file, cl->line);
			cl->nerr++;
			/* Outside a comment, the whole logical line goes:
			 * dropping one physical line would change it. */
			if (i < n && p[i] != '#') {
				if (!have) {
					have = true;
					*lineno = cl->line;
				}
				bad = true;
			}
			continue;
		}
		if (i == n || p[i] == '#') {
			continue;
		}
		if (i > 0 && !have) {
			str_catf(errs, "%s, line %d: continuation line without "
			    "anything before it\n", cl->file, cl->line);
			cl->nerr++;
			continue;
		}
		if (!have) {
			have = true;
			*lineno = cl->line;
		} else {
			if (out->len + 1 <= cl->max) {
				str_cat_char(out, ' ');
			} else {
				toolong = true;
			}
		}
		/* Trailing blanks do not count. */
		while (n > i && cfline_blank((unsigned char)p[n - 1])) {
			n--;
		}
		if (!toolong && out->len + (n - i) <= cl->max) {
			str_cat_mem(out, p + i, n - i);
		} else {
			toolong = true;
		}
	}
	if (!have) {
		return 0;
	}
	if (bad) {
		goto again;	/* already reported */
	}
	if (toolong) {
		str_catf(errs, "%s, line %d: logical line longer than %zu "
		    "bytes\n", cl->file, *lineno, cl->max);
		cl->nerr++;
		/* Skip it: the caller gets the next good line instead. */
		goto again;
	}
	return 1;
}
