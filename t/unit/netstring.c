/* SPDX-License-Identifier: ISC */
/*
 * netstring.c: tests of lib/netstring: whole netstrings (empty, binary,
 * leading zeros, several in a row), every malformation with its errno
 * (no digit, non-digit, missing ':' or ',', input ending anywhere, too
 * many digits), a length at and one past the bound, all of it also read
 * one byte per read; and the exact bytes netstring_put writes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "netstring.h"
#include "str.h"
#include "tap.h"

struct src {
	const char	*data;
	size_t		 len, pos, chunk;
};

static ssize_t
src_read(struct buf *b, void *p, size_t n, long long deadline)
{
	struct src	*s = b->ctx;

	(void)deadline;
	if (n > s->chunk) {
		n = s->chunk;
	}
	if (n > s->len - s->pos) {
		n = s->len - s->pos;
	}
	memcpy(p, s->data + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static ssize_t
sink_write(struct buf *b, const void *p, size_t n, long long deadline)
{
	(void)deadline;
	str_cat_mem(b->ctx, p, n);
	return (ssize_t)n;
}

struct get_case {
	const char	*name;
	const char	*input;
	size_t		 len;		/* 0: strlen(input) */
	unsigned long long max;
	int		 r;		/* netstring_get's result */
	int		 err;		/* errno when r is -1 */
	const char	*data;		/* data when r is 1 */
	size_t		 data_len;
};

static const struct get_case cases[] = {
	{ "simple", "5:hello,", 0, 100, 1, 0, "hello", 5 },
	{ "empty", "0:,", 0, 100, 1, 0, "", 0 },
	{ "binary", "3:a\0b,", 6, 100, 1, 0, "a\0b", 3 },
	{ "leading zeros", "005:hello,", 0, 100, 1, 0, "hello", 5 },
	{ "at the bound", "5:hello,", 0, 5, 1, 0, "hello", 5 },
	{ "over the bound", "6:hello!,", 0, 5, -1, EMSGSIZE, NULL, 0 },
	{ "huge length", "99999999999999999:x", 0, 1000, -1, EMSGSIZE,
	    NULL, 0 },
	{ "too many digits", "00000000000000000000001:x,", 0, ~0ULL, -1,
	    EBADMSG, NULL, 0 },
	{ "nothing", "", 0, 100, 0, 0, NULL, 0 },
	{ "no digit", ":x,", 0, 100, -1, EBADMSG, NULL, 0 },
	{ "non-digit", "1x:a,", 0, 100, -1, EBADMSG, NULL, 0 },
	{ "sign", "-1:a,", 0, 100, -1, EBADMSG, NULL, 0 },
	{ "space", " 1:a,", 0, 100, -1, EBADMSG, NULL, 0 },
	{ "missing colon", "5hello,", 0, 100, -1, EBADMSG, NULL, 0 },
	{ "missing comma", "5:hello;", 0, 100, -1, EBADMSG, NULL, 0 },
	{ "short data", "5:hel", 0, 100, -1, EBADMSG, NULL, 0 },
	{ "ends after digits", "12", 0, 100, -1, EBADMSG, NULL, 0 },
	{ "ends before comma", "5:hello", 0, 100, -1, EBADMSG, NULL, 0 },
};

static void
reader(struct buf *b, struct src *s, unsigned char *mem, size_t size,
    const char *data, size_t len, size_t chunk)
{
	s->data = data;
	s->len = len;
	s->pos = 0;
	s->chunk = chunk;
	buf_init_fd(b, -1, mem, size, -1);
	buf_set_io(b, src_read, NULL, s);
}

static void
test_get(void)
{
	static const size_t	 chunks[] = { 4096, 1 };
	unsigned char		 mem[64];
	struct buf		 b;
	struct src		 s;
	struct str		 out = STR_INIT;
	unsigned long long	 used;
	size_t			 i, j, len;
	int			 r;

	for (j = 0; j < 2; j++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const struct get_case *c = &cases[i];

			len = c->len ? c->len : strlen(c->input);
			reader(&b, &s, mem, sizeof(mem), c->input, len,
			    chunks[j]);
			errno = 0;
			r = netstring_get(&b, c->max, &out, &used);
			if (!is_int(r, c->r, "%s (read size %zu): result",
			    c->name, chunks[j])) {
				continue;
			}
			if (r == 1) {
				is_mem(out.s, out.len, c->data, c->data_len,
				    "%s (read size %zu): data", c->name,
				    chunks[j]);
				is_int((long long)used, (long long)len,
				    "%s (read size %zu): bytes used",
				    c->name, chunks[j]);
			} else if (r == -1) {
				is_int(errno, c->err, "%s (read size %zu): "
				    "errno", c->name, chunks[j]);
			}
		}
	}
	str_free(&out);
}

static void
test_sequence(void)
{
	static const char	 in[] = "3:abc,0:,2:de,";
	unsigned char		 mem[16];
	struct buf		 b;
	struct src		 s;
	struct str		 out = STR_INIT;
	unsigned long long	 len, used;

	reader(&b, &s, mem, sizeof(mem), in, sizeof(in) - 1, 2);
	ok(netstring_get(&b, 10, &out, NULL) == 1 && str_eq(&out, "abc"),
	    "sequence: first");
	ok(netstring_get_length(&b, 10, &len, &used) == 1 && len == 0 &&
	    used == 2, "sequence: a length alone");
	ok(netstring_get_data(&b, len, &out) == 1 && out.len == 0 &&
	    out.s != NULL, "sequence: empty data is an empty string");
	ok(netstring_get(&b, 10, &out, &used) == 1 && str_eq(&out, "de") &&
	    used == 5, "sequence: third");
	is_int(netstring_get(&b, 10, &out, NULL), 0, "sequence: the end");
	str_free(&out);
}

static void
test_big(void)
{
	struct str		 in = STR_INIT, out = STR_INIT;
	unsigned char		 mem[512];
	struct buf		 b;
	struct src		 s;
	size_t			 i, n = 200000;

	str_catf(&in, "%zu:", n);
	for (i = 0; i < n; i++) {
		str_cat_char(&in, 'a' + (int)(i % 26));
	}
	str_cat_char(&in, ',');
	reader(&b, &s, mem, sizeof(mem), in.s, in.len, 1000);
	ok(netstring_get(&b, n, &out, NULL) == 1 && out.len == n &&
	    memcmp(out.s, in.s + 7, n) == 0, "200000 bytes across reads");
	str_free(&in);
	str_free(&out);
}

static void
test_put(void)
{
	unsigned char	 mem[64];
	struct buf	 b;
	struct str	 out = STR_INIT;

	buf_init_fd(&b, -1, mem, sizeof(mem), -1);
	buf_set_io(&b, NULL, sink_write, &out);
	netstring_put(&b, "KOk: queued as X", 16);
	netstring_put(&b, "", 0);
	netstring_put(&b, "a\0b", 3);
	ok(buf_flush(&b) == 0, "put: flushed");
	is_mem(out.s, out.len, "16:KOk: queued as X,0:,3:a\0b,", 29,
	    "put: exact bytes");
	str_free(&out);
}

int
main(void)
{
	test_get();
	test_sequence();
	test_big();
	test_put();
	return done_testing();
}
