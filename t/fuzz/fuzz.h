/* SPDX-License-Identifier: ISC */
/*
 * fuzz.h: helpers the libFuzzer harnesses in t/fuzz/ share (see
 * t/fuzz/README.md): the fuzzer's bytes as a NUL-terminated copy, and a
 * struct buf that reads them from memory in chunks of a size taken from
 * the input, so that records split across reads are exercised too.
 * Everything is static: each harness is one file plus this header.
 */
#ifndef POSTLET_FUZZ_H
#define POSTLET_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* A NUL-terminated heap copy of data (any bytes, NULs included). */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char	*s = xmalloc(size + 1);

	if (size > 0) {
		memcpy(s, data, size);
	}
	s[size] = '\0';
	return s;
}

/* Memory input for a struct buf. */
struct fuzz_mem {
	const uint8_t	*p;
	size_t		 len, pos;
	size_t		 chunk;		/* most bytes one read returns */
};

static inline ssize_t
fuzz_mem_read(struct buf *b, void *dst, size_t n, long long deadline)
{
	struct fuzz_mem	*m = b->ctx;

	(void)deadline;
	if (n > m->chunk) {
		n = m->chunk;
	}
	if (n > m->len - m->pos) {
		n = m->len - m->pos;
	}
	if (n > 0) {
		memcpy(dst, m->p + m->pos, n);
	}
	m->pos += n;
	return (ssize_t)n;
}

static inline ssize_t
fuzz_mem_write(struct buf *b, const void *src, size_t n, long long deadline)
{
	(void)b;
	(void)src;
	(void)deadline;
	return (ssize_t)n;
}

/*
 * Set up b (over mem, size bytes) to read data; the read size is 1 to 256
 * bytes, chosen by chunk_byte.
 */
static inline void
fuzz_buf(struct buf *b, void *mem, size_t size, struct fuzz_mem *m,
    const uint8_t *data, size_t len, uint8_t chunk_byte)
{
	m->p = data;
	m->len = len;
	m->pos = 0;
	m->chunk = (size_t)chunk_byte + 1;
	buf_init_fd(b, -1, mem, size, -1);
	buf_set_io(b, fuzz_mem_read, fuzz_mem_write, m);
}

#endif
