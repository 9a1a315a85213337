/* SPDX-License-Identifier: ISC */
/*
 * netstring.h: D. J. Bernstein's netstrings, "LENGTH:DATA," (LENGTH in
 * decimal ASCII), as QMQP (qmqpd(8)) frames its request and reply.
 *
 * Every reader takes a bound: a length over it is refused before any of
 * the data is read, and data grows the caller's string only as it
 * arrives, so a client that announces a large length and sends nothing
 * costs no memory.  Leading zeros in a length are accepted (as Postfix
 * does); at most NETSTRING_DIGITS_MAX digits are read.
 *
 * Results: 1 (done), 0 (end of input before the first byte), or -1 with
 * errno: EBADMSG (not a netstring: no digit, a byte other than a digit
 * before ':', no ',' after the data, or the input ends inside it),
 * EMSGSIZE (the length is over the bound), or the stream's error
 * (ETIMEDOUT...).
 */
#ifndef POSTLET_NETSTRING_H
#define POSTLET_NETSTRING_H

#include <stddef.h>

#include "buf.h"
#include "str.h"

/* Digits of a length: 10^19 - 1 still fits in unsigned long long. */
#define NETSTRING_DIGITS_MAX	19

/*
 * "LENGTH:" into *len (at most max); *used, when not NULL, gets the
 * bytes read (digits and ':').
 */
int	netstring_get_length(struct buf *, unsigned long long max,
	    unsigned long long *len, unsigned long long *used);
/* The data of a length already read, and its ',', into out (replaced). */
int	netstring_get_data(struct buf *, unsigned long long len,
	    struct str *out);
/* A whole netstring of at most max data bytes into out (replaced);
 * *used, when not NULL, gets the bytes read. */
int	netstring_get(struct buf *, unsigned long long max, struct str *out,
	    unsigned long long *used);
/* Write one netstring (errors are the buf's, seen at buf_flush). */
void	netstring_put(struct buf *, const void *, size_t);

#endif
