/* SPDX-License-Identifier: ISC */
/*
 * alloc.c: allocation wrappers that end the process with EX_TEMPFAIL on
 * exhaustion (see alloc.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "alloc.h"
#include "log.h"

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL) {
		fatalx(EX_TEMPFAIL, "out of memory allocating %zu bytes", n);
	}
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL) {
		fatalx(EX_TEMPFAIL, "out of memory allocating %zu*%zu bytes",
		    n, size);
	}
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size) {
		fatalx(EX_TEMPFAIL, "allocation overflow: %zu*%zu", n, size);
	}
	if ((p = realloc(old, n * size == 0 ? 1 : n * size)) == NULL) {
		fatalx(EX_TEMPFAIL, "out of memory allocating %zu*%zu bytes",
		    n, size);
	}
	return p;
}

char *
xmemdup(const void *src, size_t n)
{
	char	*p;

	if (n == SIZE_MAX) {
		fatalx(EX_TEMPFAIL, "allocation overflow");
	}
	p = xmalloc(n + 1);
	if (n > 0) {
		memcpy(p, src, n);
	}
	p[n] = '\0';
	return p;
}

char *
xstrdup(const char *s)
{
	return xmemdup(s, strlen(s));
}
