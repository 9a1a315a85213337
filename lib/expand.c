/* SPDX-License-Identifier: ISC */
/*
 * expand.c: "$name" expansion of delivery templates (see expand.h).
 * One pass over the template; values are appended, never rescanned, so
 * a value cannot introduce a "$" that is expanded again.
 */
#include <ctype.h>
#include <string.h>

#include "expand.h"
#include "str.h"

static size_t	name_len(const char *, const char *);

/* The length of the name (letters, digits, '_') at t, before end. */
static size_t
name_len(const char *t, const char *end)
{
	const char	*p = t;

	while (p < end && (isalnum((unsigned char)*p) || *p == '_')) {
		p++;
	}
	return (size_t)(p - t);
}

int
expand_vars(const char *t, size_t len, const char *const *vars,
    const char *filter, struct str *out)
{
	const char	*end = t + len, *n0, *v, *p;
	size_t		 nlen, i;
	int		 undefined = 0;
	char		 op;

	str_set(out, "");
	while (t < end) {
		if (*t != '$' || t + 1 >= end) {
			str_cat_char(out, *t++);
			continue;
		}
		if (t[1] == '$') {
			/* "$$" is a '$' */
			str_cat_char(out, '$');
			t += 2;
			continue;
		}
		if (t[1] != '{' && name_len(t + 1, end) == 0) {
			/* no name: the '$' is text */
			str_cat_char(out, *t++);
			continue;
		}
		t++;
		op = 0;
		p = NULL;
		if (*t == '{') {
			n0 = ++t;
			nlen = name_len(t, end);
			t += nlen;
			if (t < end && (*t == '?' || *t == ':')) {
				op = *t++;
			}
			p = t;
			while (t < end && *t != '}') {
				t++;
			}
			if (t >= end) {
				return -1;
			}
		} else {
			n0 = t;
			nlen = name_len(t, end);
			t += nlen;
		}
		v = "";
		for (i = 0; vars[i] != NULL; i += 2) {
			if (strlen(vars[i]) == nlen &&
			    strncmp(vars[i], n0, nlen) == 0) {
				v = vars[i + 1];
				break;
			}
		}
		if (op == '?') {
			if (*v != '\0') {
				str_cat_mem(out, p, (size_t)(t - p));
			}
		} else if (op == ':') {
			if (*v == '\0') {
				str_cat_mem(out, p, (size_t)(t - p));
			}
		} else {
			if (*v == '\0') {
				undefined = 1;
			}
			for (; *v != '\0'; v++) {
				str_cat_char(out, filter == NULL ||
				    strchr(filter, *v) != NULL ? *v : '_');
			}
		}
		if (p != NULL) {
			t++;	/* the '}' */
		}
	}
	return undefined;
}
