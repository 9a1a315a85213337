/* SPDX-License-Identifier: ISC */
/*
 * buf.h: the one buffered stream of postlet, over a descriptor (file, pipe
 * or socket) or over anything else through two callbacks (TLS, tests).
 *
 * The caller gives the memory: half of it buffers input, half output, so
 * a stream's footprint is fixed and known.  Each reading or flushing call
 * has its own deadline, timeout_ms from its start (poll on a monotonic
 * clock; -1 for none).
 *
 * Deadlines need a descriptor that does not block for long: a read
 * waits in poll first, so any descriptor works; but a write(2) to a
 * blocking socket or pipe may block past the deadline once poll said that
 * some room was free.  Sockets and pipes that a peer may stop reading
 * (SMTP, LMTP, agent pipes) must therefore be O_NONBLOCK (fd_set_nonblock)
 * for write deadlines to hold.
 *
 * Reads report per call: a line longer than the caller's maximum is -1
 * with errno EMSGSIZE (the whole line is consumed, never split into two),
 * a timeout is ETIMEDOUT.  Writes are buffered; the first write error is
 * kept and later writes become no-ops, so callers check buf_flush, and
 * always flush before acknowledging anything.
 */
#ifndef POSTLET_BUF_H
#define POSTLET_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "str.h"

struct buf;

/*
 * One transfer of at most n bytes, waiting until the deadline (see
 * clock.h).  Read: bytes read, 0 at end of input, -1 with errno.  Write:
 * bytes written (> 0), or -1 with errno.
 */
typedef ssize_t	(*buf_read_fn)(struct buf *, void *, size_t, long long);
typedef ssize_t	(*buf_write_fn)(struct buf *, const void *, size_t,
	    long long);

struct buf {
	int		 fd;
	int		 nonblock;	/* fd is O_NONBLOCK: 1, 0, -1 unknown */
	int		 timeout_ms;	/* per call; -1 waits forever */
	buf_read_fn	 read_fn;
	buf_write_fn	 write_fn;
	/* for read_fn/write_fn; borrowed */
	void		*ctx;
	unsigned char	*in;		/* borrowed from the caller */
	size_t		 in_size, in_pos, in_len;
	unsigned char	*out;		/* borrowed from the caller */
	size_t		 out_size, out_len;
	/* first write errno, sticky */
	int		 error;
	bool		 eof;
	unsigned long long bytes_in, bytes_out;
};

/* mem (size >= 2 bytes) is borrowed for the life of the stream. */
void	buf_init_fd(struct buf *, int fd, void *mem, size_t size,
	    int timeout_ms);
/* Replace the transfer functions (TLS, fault injection in tests). */
void	buf_set_io(struct buf *, buf_read_fn, buf_write_fn, void *ctx);

/*
 * Read one line into line (replacing its contents), including its "\n".
 * max bounds the line with its "\n".  Returns 1 (a line; at end of input
 * a last line may lack "\n"), 0 at end of input, -1 with errno (EMSGSIZE:
 * too long, and then line holds its first max bytes; ETIMEDOUT; I/O).
 */
int	buf_getline(struct buf *, struct str *line, size_t max);
/* Up to n bytes: > 0 read, 0 end of input, -1 with errno. */
ssize_t	buf_read(struct buf *, void *, size_t n);
/* Exactly n bytes: 1 done, 0 end of input first, -1 with errno. */
int	buf_read_exact(struct buf *, void *, size_t n);
/* Bytes already buffered for reading (pipelining checks). */
size_t	buf_pending(const struct buf *);
/* Wait for input: 1 when some is buffered (or arrives before the
 * timeout), 0 at end of input, -1 with errno. */
int	buf_wait_input(struct buf *);

void	buf_put(struct buf *, const void *, size_t);
void	buf_puts(struct buf *, const char *);
void	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Write out what is buffered: 0, or -1 with the (first) error in errno. */
int	buf_flush(struct buf *);
/*
 * The n output bytes at offset off of the stream (counted from the first
 * byte put since buf_init_fd), when all of them are still buffered, not
 * yet written: the caller may change them in place before buf_flush.
 * NULL when some of them were written already or are not put yet.
 */
unsigned char	*buf_unwritten(struct buf *, unsigned long long off,
		    size_t n);

#endif
