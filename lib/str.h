/* SPDX-License-Identifier: ISC */
/*
 * str.h: the one growable byte string of postlet.
 *
 * Binary-safe: len counts the bytes, and s[len] is always a NUL guard when
 * s != NULL, so s can be passed where a C string is wanted when the data
 * holds no NUL.  Growth checks for overflow; allocation failure is fatal
 * with EX_TEMPFAIL (see alloc.h).  A struct str owns its memory: str_free
 * releases it, str_clear keeps it for reuse.
 */
#ifndef POSTLET_STR_H
#define POSTLET_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct str {
	char	*s;	/* data; s[len] is always NUL when s != NULL */
	size_t	 len;	/* bytes in use, NUL not counted */
	size_t	 cap;	/* bytes allocated */
};
#define STR_INIT	{ NULL, 0, 0 }

/* Make room for n more bytes (plus the NUL guard). */
void	str_reserve(struct str *, size_t n);
void	str_set(struct str *, const char *);
void	str_set_mem(struct str *, const void *, size_t);
void	str_cat(struct str *, const char *);
void	str_cat_mem(struct str *, const void *, size_t);
void	str_cat_char(struct str *, int);
/* The arguments of str_catf must not point into the string itself. */
void	str_catf(struct str *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	str_vcatf(struct str *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
/* Shorten to n bytes; n larger than len is a caller bug (panic). */
void	str_truncate(struct str *, size_t n);
void	str_clear(struct str *);
void	str_free(struct str *);
/* s as a C string: "" when nothing was ever stored. */
const char *str_c(const struct str *);
/* Hand the data over to the caller (who frees it); s is left empty. */
char	*str_take(struct str *);
/* True when the contents equal the C string. */
bool	str_eq(const struct str *, const char *);

#endif
