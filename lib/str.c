/* SPDX-License-Identifier: ISC */
/*
 * str.c: growable byte strings (see str.h).  Capacity grows by half again
 * so that appending n bytes one at a time costs O(n), from STR_MIN_CAP:
 * most strings of a message (an address, a reply, a log line's parts)
 * then need one allocation, not the five or six of growing from 16, and
 * musl's malloc maps and unmaps fewer groups of small sizes per message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "alloc.h"
#include "fmt.h"
#include "log.h"
#include "str.h"

/* The first allocation of a string, in bytes. */
#define STR_MIN_CAP	64
/* str_vcatf: a result shorter than this is formatted once, on the stack,
 * when the string has less room (paths run past STR_MIN_CAP) */
#define STR_CATF_SMALL	256

/*
 * First allocations given back by str_free, for the next strings: most
 * strings of a message are short and live for one call (a reply, an
 * attribute, a resolved address), and taking a buffer from this stack
 * costs much less than malloc and free.  Not in sanitizer builds, so
 * that a use after str_free is still caught there.
 */
#if defined(__SANITIZE_ADDRESS__)
#define STR_SPARES	0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)	/* clang */
#define STR_SPARES	0
#endif
#endif
#ifndef STR_SPARES
#define STR_SPARES	32
#endif
#if STR_SPARES > 0
static char	*str_spare[STR_SPARES];
static size_t	 str_nspare;
#endif

void
str_reserve(struct str *sp, size_t n)
{
	size_t	need, cap;

	if (n > SIZE_MAX - 1 - sp->len) {
		fatalx(EX_TEMPFAIL, "string too large: %zu + %zu bytes",
		    sp->len, n);
	}
	need = sp->len + n + 1;
	if (need <= sp->cap) {
		return;
	}
#if STR_SPARES > 0
	if (sp->s == NULL && need <= STR_MIN_CAP && str_nspare > 0) {
		sp->s = str_spare[--str_nspare];
		sp->s[0] = '\0';	/* (a spare holds its last string) */
		sp->cap = STR_MIN_CAP;
		return;
	}
#endif
	cap = sp->cap < STR_MIN_CAP ? STR_MIN_CAP : sp->cap;
	while (cap < need) {
		if (cap > SIZE_MAX / 3 * 2) {
			cap = need;
			break;
		}
		cap += cap / 2;
	}
	sp->s = xreallocarray(sp->s, cap, 1);
	sp->cap = cap;
}

void
str_cat_mem(struct str *sp, const void *p, size_t n)
{
	size_t	off;

	/* p may point into sp itself: find it again after growth. */
	if (sp->s != NULL && (const char *)p >= sp->s &&
	    (const char *)p < sp->s + sp->cap) {
		off = (size_t)((const char *)p - sp->s);
		str_reserve(sp, n);
		p = sp->s + off;
	} else {
		str_reserve(sp, n);
	}
	if (n > 0) {
		memmove(sp->s + sp->len, p, n);
	}
	sp->len += n;
	sp->s[sp->len] = '\0';
}

void
str_cat(struct str *sp, const char *s)
{
	str_cat_mem(sp, s, strlen(s));
}

void
str_cat_char(struct str *sp, int c)
{
	char	ch = (char)c;

	str_cat_mem(sp, &ch, 1);
}

void
str_set_mem(struct str *sp, const void *p, size_t n)
{
	/* p may point into sp itself: memmove in str_cat_mem handles it. */
	if (sp->s != NULL && (const char *)p >= sp->s &&
	    (const char *)p < sp->s + sp->cap) {
		memmove(sp->s, p, n);
		sp->len = n;
		sp->s[n] = '\0';
		return;
	}
	sp->len = 0;
	str_cat_mem(sp, p, n);
}

void
str_set(struct str *sp, const char *s)
{
	str_set_mem(sp, s, strlen(s));
}

void
str_vcatf(struct str *sp, const char *fmt, va_list ap)
{
	char	small[STR_CATF_SMALL];
	va_list	aq;
	int	n;

	/*
	 * Format once where the result is sure to fit when it is short: in
	 * place when the string has that much room, else here (then one
	 * copy).  Only a longer result is formatted a second time, in
	 * place, once the string has grown to its length.
	 */
	if (sp->cap - sp->len >= sizeof(small) + 1) {
		va_copy(aq, ap);
		n = fmt_vsnprintf(sp->s + sp->len, sp->cap - sp->len, fmt, aq);
		va_end(aq);
	} else {
		va_copy(aq, ap);
		n = fmt_vsnprintf(small, sizeof(small), fmt, aq);
		va_end(aq);
		if (n >= 0 && (size_t)n < sizeof(small)) {
			str_cat_mem(sp, small, (size_t)n);
			return;
		}
	}
	if (n < 0) {
		panic("str_vcatf: bad format \"%s\"", fmt);
	}
	if ((size_t)n >= sp->cap - sp->len) {
		str_reserve(sp, (size_t)n);
		va_copy(aq, ap);
		n = fmt_vsnprintf(sp->s + sp->len, sp->cap - sp->len, fmt,
		    aq);
		va_end(aq);
		if (n < 0 || (size_t)n >= sp->cap - sp->len) {
			panic("str_vcatf: format changed length");
		}
	}
	sp->len += (size_t)n;
}

void
str_catf(struct str *sp, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	str_vcatf(sp, fmt, ap);
	va_end(ap);
}

void
str_truncate(struct str *sp, size_t n)
{
	if (n > sp->len) {
		panic("str_truncate: %zu past length %zu", n, sp->len);
	}
	sp->len = n;
	if (sp->s != NULL) {
		sp->s[n] = '\0';
	}
}

void
str_clear(struct str *sp)
{
	sp->len = 0;
	if (sp->s != NULL) {
		sp->s[0] = '\0';
	}
}

void
str_free(struct str *sp)
{
#if STR_SPARES > 0
	if (sp->s != NULL && sp->cap == STR_MIN_CAP &&
	    str_nspare < STR_SPARES) {
		str_spare[str_nspare++] = sp->s;
	} else {
		free(sp->s);
	}
#else
	free(sp->s);
#endif
	sp->s = NULL;
	sp->len = 0;
	sp->cap = 0;
}

const char *
str_c(const struct str *sp)
{
	return sp->s != NULL ? sp->s : "";
}

char *
str_take(struct str *sp)
{
	char	*p;

	if (sp->s == NULL) {
		return xstrdup("");
	}
	p = sp->s;
	sp->s = NULL;
	sp->len = 0;
	sp->cap = 0;
	return p;
}

bool
str_eq(const struct str *sp, const char *s)
{
	size_t	n = strlen(s);

	return sp->len == n && (n == 0 || memcmp(sp->s, s, n) == 0);
}
