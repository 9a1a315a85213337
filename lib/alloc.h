/* SPDX-License-Identifier: ISC */
/*
 * alloc.h: memory allocation that never fails for the caller.
 *
 * On exhaustion these call fatalx(EX_TEMPFAIL, ...): safe, because every
 * handoff in postlet is durable and the sender of a message retries.
 * Sizes are checked for overflow before they are multiplied.
 */
#ifndef POSTLET_ALLOC_H
#define POSTLET_ALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
/* A NUL-terminated copy of s; of n bytes of p (plus a NUL) for xmemdup. */
char	*xstrdup(const char *);
char	*xmemdup(const void *, size_t);

#endif
