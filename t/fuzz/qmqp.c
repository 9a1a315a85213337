/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/qmqp.c: QMQP requests as qmqpd(8) reads them with
 * lib/netstring.c: the outer length, then netstrings (message, sender,
 * recipients) counted down against it, then its comma.  The first byte
 * picks the read size, the second the bound on each part (so that both
 * EMSGSIZE and long data are reached).  Checked besides "no crash": a
 * part never exceeds its bound, the bytes a read says it used are the
 * bytes it consumed, an error always sets errno to one of the documented
 * values, and every part read is written back by netstring_put to the
 * same bytes it was read from.
 */
#include <errno.h>

#include "fuzz.h"
#include "netstring.h"

/* Output into a str, for the round trip. */
static ssize_t
str_write(struct buf *b, const void *p, size_t n, long long deadline)
{
	(void)deadline;
	str_cat_mem(b->ctx, p, n);
	return (ssize_t)n;
}

static void
check_error(int r)
{
	if (r == -1 && errno != EBADMSG && errno != EMSGSIZE) {
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf		 b, w;
	struct fuzz_mem		 m;
	unsigned char		 mem[512], wmem[64];
	struct str		 part = STR_INIT, echo = STR_INIT;
	unsigned long long	 left, used, max;
	size_t			 before, nparts = 0;
	int			 r;

	if (size < 2) {
		return 0;
	}
	max = (unsigned long long)data[1] * 64;
	fuzz_buf(&b, mem, sizeof(mem), &m, data + 2, size - 2, data[0]);
	buf_init_fd(&w, -1, wmem, sizeof(wmem), -1);
	buf_set_io(&w, NULL, str_write, &echo);
	r = netstring_get_length(&b, ~0ULL, &left, &used);
	check_error(r);
	if (r != 1) {
		goto out;
	}
	if (used != m.pos - buf_pending(&b)) {
		abort();
	}
	while (left > 0 && nparts < 100000) {
		before = m.pos - buf_pending(&b);
		r = netstring_get(&b, max, &part, &used);
		check_error(r);
		if (r != 1) {
			break;
		}
		if (part.len > max || used != m.pos - buf_pending(&b) -
		    before || part.s == NULL) {
			abort();
		}
		/* the part written back is the bytes it came from, but
		 * for leading zeros in its length */
		str_clear(&echo);
		netstring_put(&w, part.s, part.len);
		if (buf_flush(&w) == -1 || echo.len > used ||
		    memcmp(echo.s + echo.len - part.len - 1,
		    data + 2 + before + (used - part.len - 1),
		    part.len + 1) != 0) {
			abort();
		}
		if (used > left) {
			break;
		}
		left -= used;
		nparts++;
	}
out:
	str_free(&part);
	str_free(&echo);
	return 0;
}
