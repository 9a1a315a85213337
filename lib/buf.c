/* SPDX-License-Identifier: ISC */
/*
 * buf.c: buffered streams with deadlines (see buf.h).
 *
 * Invariant: in[in_pos .. in_len) holds unread input, out[0 .. out_len)
 * unwritten output.  The default transfer functions poll(2) before each
 * read and retry EAGAIN after another poll, so non-blocking
 * descriptors work as well as blocking ones (and only they keep write
 * deadlines exactly; see buf.h).  A write to a non-blocking descriptor
 * is tried first, and polls only when it would block: such a write
 * cannot wait, and a reply usually finds room.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "fd.h"
#include "log.h"

static ssize_t
buf_fd_read(struct buf *b, void *p, size_t n, long long deadline)
{
	ssize_t	r;

	for (;;) {
		if (deadline >= 0 && fd_wait(b->fd, POLLIN, deadline) == -1) {
			return -1;
		}
		r = fd_read(b->fd, p, n);
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (fd_wait(b->fd, POLLIN, deadline) == -1) {
				return -1;
			}
			continue;
		}
		return r;
	}
}

static ssize_t
buf_fd_write(struct buf *b, const void *p, size_t n, long long deadline)
{
	ssize_t	r;
	int	fl;

	if (b->nonblock == -1 && deadline >= 0) {
		fl = fcntl(b->fd, F_GETFL);
		b->nonblock = fl != -1 && (fl & O_NONBLOCK) != 0;
	}
	for (;;) {
		if (deadline >= 0 && b->nonblock != 1 &&
		    fd_wait(b->fd, POLLOUT, deadline) == -1) {
			return -1;
		}
		r = fd_write(b->fd, p, n);
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (fd_wait(b->fd, POLLOUT, deadline) == -1) {
				return -1;
			}
			continue;
		}
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		return r;
	}
}

void
buf_init_fd(struct buf *b, int fd, void *mem, size_t size, int timeout_ms)
{
	if (size < 2) {
		panic("buf_init_fd: buffer of %zu bytes", size);
	}
	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->nonblock = -1;
	b->timeout_ms = timeout_ms;
	b->read_fn = buf_fd_read;
	b->write_fn = buf_fd_write;
	b->in = mem;
	b->in_size = size / 2;
	b->out = (unsigned char *)mem + size / 2;
	b->out_size = size - size / 2;
}

void
buf_set_io(struct buf *b, buf_read_fn rfn, buf_write_fn wfn, void *ctx)
{
	b->read_fn = rfn;
	b->write_fn = wfn;
	b->ctx = ctx;
}

/* Refill the input buffer: > 0 bytes added, 0 end of input, -1 error. */
static ssize_t
buf_fill(struct buf *b, long long deadline)
{
	ssize_t	r;

	if (b->eof) {
		return 0;
	}
	if (b->in_pos == b->in_len) {
		b->in_pos = b->in_len = 0;
	} else if (b->in_pos > 0) {
		memmove(b->in, b->in + b->in_pos, b->in_len - b->in_pos);
		b->in_len -= b->in_pos;
		b->in_pos = 0;
	}
	if (b->in_len == b->in_size) {
		panic("buf_fill: no room");
	}
	r = b->read_fn(b, b->in + b->in_len, b->in_size - b->in_len, deadline);
	if (r == 0) {
		b->eof = true;
	} else if (r > 0) {
		b->in_len += (size_t)r;
		b->bytes_in += (unsigned long long)r;
	}
	return r;
}

int
buf_wait_input(struct buf *b)
{
	ssize_t	r;

	if (b->in_pos < b->in_len) {
		return 1;
	}
	r = buf_fill(b, clock_deadline(b->timeout_ms));
	return r > 0 ? 1 : (int)r;
}

int
buf_getline(struct buf *b, struct str *line, size_t max)
{
	long long	 deadline = clock_deadline(b->timeout_ms);
	bool		 too_long = false;
	unsigned char	*nl;
	size_t		 n, take;
	ssize_t		 r;

	str_clear(line);
	for (;;) {
		n = b->in_len - b->in_pos;
		nl = n > 0 ? memchr(b->in + b->in_pos, '\n', n) : NULL;
		if (nl != NULL) {
			n = (size_t)(nl - (b->in + b->in_pos)) + 1;
		}
		/* Keep at most max bytes; the rest of an over-long line is
		 * consumed and dropped so the next call starts cleanly. */
		take = line->len + n <= max ? n :
		    (line->len < max ? max - line->len : 0);
		if (take < n) {
			too_long = true;
		}
		str_cat_mem(line, b->in + b->in_pos, take);
		b->in_pos += n;
		if (nl != NULL) {
			break;
		}
		if ((r = buf_fill(b, deadline)) == -1) {
			return -1;
		}
		if (r == 0) {
			if (line->len == 0 && !too_long) {
				return 0;
			}
			break;
		}
	}
	if (too_long) {
		errno = EMSGSIZE;
		return -1;
	}
	return 1;
}

ssize_t
buf_read(struct buf *b, void *p, size_t n)
{
	long long	deadline;
	size_t		avail;
	ssize_t		r;

	if (n == 0) {
		return 0;
	}
	if (b->in_pos == b->in_len) {
		deadline = clock_deadline(b->timeout_ms);
		if ((r = buf_fill(b, deadline)) <= 0) {
			return r;
		}
	}
	avail = b->in_len - b->in_pos;
	if (n > avail) {
		n = avail;
	}
	memcpy(p, b->in + b->in_pos, n);
	b->in_pos += n;
	return (ssize_t)n;
}

int
buf_read_exact(struct buf *b, void *p, size_t n)
{
	long long	 deadline = clock_deadline(b->timeout_ms);
	unsigned char	*d = p;
	size_t		 avail;
	ssize_t		 r;

	while (n > 0) {
		if (b->in_pos == b->in_len) {
			if ((r = buf_fill(b, deadline)) == -1) {
				return -1;
			}
			if (r == 0) {
				return 0;
			}
		}
		avail = b->in_len - b->in_pos;
		if (avail > n) {
			avail = n;
		}
		memcpy(d, b->in + b->in_pos, avail);
		b->in_pos += avail;
		d += avail;
		n -= avail;
	}
	return 1;
}

size_t
buf_pending(const struct buf *b)
{
	return b->in_len - b->in_pos;
}

/* Write out the whole output buffer, or fail. */
static int
buf_drain(struct buf *b, long long deadline)
{
	size_t	done = 0;
	ssize_t	r;

	while (done < b->out_len) {
		r = b->write_fn(b, b->out + done, b->out_len - done, deadline);
		if (r <= 0) {
			b->error = r == 0 ? EIO : errno;
			if (b->error == 0) {
				b->error = EIO;
			}
			b->out_len = 0;
			return -1;
		}
		done += (size_t)r;
		b->bytes_out += (unsigned long long)r;
	}
	b->out_len = 0;
	return 0;
}

void
buf_put(struct buf *b, const void *p, size_t n)
{
	const unsigned char	*s = p;
	long long		 deadline = -2;
	size_t			 room;

	while (n > 0 && b->error == 0) {
		room = b->out_size - b->out_len;
		if (room == 0) {
			if (deadline == -2) {
				deadline = clock_deadline(b->timeout_ms);
			}
			if (buf_drain(b, deadline) == -1) {
				return;
			}
			continue;
		}
		if (room > n) {
			room = n;
		}
		memcpy(b->out + b->out_len, s, room);
		b->out_len += room;
		s += room;
		n -= room;
	}
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	struct str	tmp = STR_INIT;
	va_list		ap;

	va_start(ap, fmt);
	str_vcatf(&tmp, fmt, ap);
	va_end(ap);
	buf_put(b, tmp.s, tmp.len);
	str_free(&tmp);
}

int
buf_flush(struct buf *b)
{
	if (b->error == 0 && b->out_len > 0) {
		(void)buf_drain(b, clock_deadline(b->timeout_ms));
	}
	if (b->error != 0) {
		errno = b->error;
		return -1;
	}
	return 0;
}

unsigned char *
buf_unwritten(struct buf *b, unsigned long long off, size_t n)
{
	unsigned long long	at;

	if (b->error != 0 || off < b->bytes_out) {
		return NULL;
	}
	at = off - b->bytes_out;
	if (at > b->out_len || n > b->out_len - at) {
		return NULL;
	}
	return b->out + at;
}
