/* SPDX-License-Identifier: ISC */
/*
 * netstring.c: reading and writing netstrings (see netstring.h).
 */
#include <errno.h>
#include <stdio.h>

#include "buf.h"
#include "netstring.h"
#include "str.h"

/* Data is read (and the string grown) this much at a time. */
#define NETSTRING_READ	(64 * 1024)

/* One byte: 1, 0 at end of input, -1 with errno. */
static int
get_byte(struct buf *b, unsigned char *c)
{
	ssize_t	n = buf_read(b, c, 1);

	return n == 1 ? 1 : (int)n;
}

int
netstring_get_length(struct buf *b, unsigned long long max,
    unsigned long long *len, unsigned long long *used)
{
	unsigned long long	v = 0;
	unsigned char		c;
	size_t			digits = 0;
	int			r;

	for (;;) {
		if ((r = get_byte(b, &c)) != 1) {
			if (r == 0 && digits > 0) {
				errno = EBADMSG;
				return -1;
			}
			return r;
		}
		if (c == ':' && digits > 0) {
			break;
		}
		if (c < '0' || c > '9' || digits == NETSTRING_DIGITS_MAX) {
			errno = EBADMSG;
			return -1;
		}
		v = v * 10 + (unsigned long long)(c - '0');
		digits++;
		if (v > max) {
			errno = EMSGSIZE;
			return -1;
		}
	}
	*len = v;
	if (used != NULL) {
		*used = digits + 1;
	}
	return 1;
}

int
netstring_get_data(struct buf *b, unsigned long long len, struct str *out)
{
	unsigned char	c;
	size_t		n;
	int		r;

	str_clear(out);
	while (len > 0) {
		n = len < NETSTRING_READ ? (size_t)len : NETSTRING_READ;
		str_reserve(out, n);
		if ((r = buf_read_exact(b, out->s + out->len, n)) != 1) {
			out->s[out->len] = '\0';
			if (r == 0) {
				errno = EBADMSG;
			}
			return -1;
		}
		out->len += n;
		out->s[out->len] = '\0';
		len -= n;
	}
	if ((r = get_byte(b, &c)) != 1 || c != ',') {
		if (r != -1) {
			errno = EBADMSG;
		}
		return -1;
	}
	if (out->s == NULL) {
		str_set(out, "");
	}
	return 1;
}

int
netstring_get(struct buf *b, unsigned long long max, struct str *out,
    unsigned long long *used)
{
	unsigned long long	len, head;
	int			r;

	if ((r = netstring_get_length(b, max, &len, &head)) != 1) {
		return r;
	}
	if (netstring_get_data(b, len, out) == -1) {
		return -1;
	}
	if (used != NULL) {
		*used = head + len + 1;
	}
	return 1;
}

void
netstring_put(struct buf *b, const void *p, size_t n)
{
	char	head[32];
	int	k;

	k = snprintf(head, sizeof(head), "%zu:", n);
	if (k > 0 && (size_t)k < sizeof(head)) {
		buf_put(b, head, (size_t)k);
	}
	buf_put(b, p, n);
	buf_put(b, ",", 1);
}
