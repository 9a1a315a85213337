/* SPDX-License-Identifier: ISC */
/*
 * buf.c: unit tests for lib/buf (buffered streams) and lib/fd (raw
 * descriptor I/O).
 *
 * The line reader runs a table of named inputs over every transport: a
 * pipe, a non-blocking pipe fed one byte at a time by a child, a regular
 * file, a socketpair, and transfer callbacks that hand out 1 or 3 bytes
 * per call.  Each expected line (or end, or EMSGSIZE) is compared byte
 * for byte.  Writes go through callbacks that accept 1 byte at a time or
 * fail with a chosen errno, and through files, pipes and sockets to a
 * child that copies what it reads into a file, which is compared with
 * what was written.  Deadlines are checked against the monotonic clock
 * with wide bounds: not too early, not much later.  Every child process
 * is started here and reaped by its pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "fd.h"
#include "log.h"
#include "str.h"
#include "tap.h"

#define MEM(s)		(s), (sizeof(s) - 1)
#define BIG		(1024 * 1024)
/* a timeout that only a bug reaches */
#define SLOW_MS		10000

/* A read callback over memory: chunk bytes per call, then EOF or fail. */
struct src {
	const char	*data;
	size_t		 len, pos;
	size_t		 chunk;
	/* errno after the data; 0: EOF */
	int		 fail;
	int		 calls;
	/* calls asking for 0 bytes (a bug) */
	int		 zero;
};

/* A write callback into a str: chunk bytes per call, fail after some. */
struct sink {
	struct str	 data;
	size_t		 chunk;
	/* bytes accepted before failing */
	size_t		 fail_after;
	/* its errno */
	int		 fail;
	/* fail by returning 0 instead */
	bool		 ret0;
	bool		 failed;
	int		 calls;
	int		 zero;
};

enum transport {
	TR_PIPE, TR_DRIP, TR_FILE, TR_SOCKET, TR_CB1, TR_CB3, TR_COUNT
};
static const char *const tr_name[TR_COUNT] = {
	"pipe", "drip", "file", "socket", "cb1", "cb3"
};

struct step {
	int		 rc;	/* 1 line, 0 end, -1 error */
	int		 err;	/* errno for -1 */
	const char	*line;
	size_t		 len;
};
#define LINE(s)		{ 1, 0, MEM(s) }
#define TOOLONG(s)	{ -1, EMSGSIZE, MEM(s) }
#define END		{ 0, 0, "", 0 }

#define X10	"xxxxxxxxxx"
#define X100	X10 X10 X10 X10 X10 X10 X10 X10 X10 X10

struct gl_case {
	const char	*name;
	const char	*in;
	size_t		 inlen;
	size_t		 max;
	size_t		 bufsize;	/* 0: 64 bytes */
	struct step	 steps[6];
};

static const struct gl_case gl_cases[] = {
	{ "LF lines", MEM("a\nbc\n"), 100, 0,
	    { LINE("a\n"), LINE("bc\n"), END } },
	{ "CRLF kept", MEM("HELO x\r\nQUIT\r\n"), 100, 0,
	    { LINE("HELO x\r\n"), LINE("QUIT\r\n"), END } },
	{ "bare CR kept", MEM("a\rb\n\r"), 100, 0,
	    { LINE("a\rb\n"), LINE("\r"), END } },
	{ "last line without newline", MEM("a\nlast"), 100, 0,
	    { LINE("a\n"), LINE("last"), END } },
	{ "empty input", MEM(""), 100, 0, { END } },
	{ "empty lines", MEM("\n\n\n"), 100, 0,
	    { LINE("\n"), LINE("\n"), LINE("\n"), END } },
	{ "exactly max", MEM("1234567\nnext\n"), 8, 0,
	    { LINE("1234567\n"), LINE("next\n"), END } },
	{ "max+1", MEM("12345678\nnext\n"), 8, 0,
	    { TOOLONG("12345678"), LINE("next\n"), END } },
	{ "max+1 is the newline", MEM("abcd\nef\n"), 4, 0,
	    { TOOLONG("abcd"), LINE("ef\n"), END } },
	{ "max 1", MEM("\na\n"), 1, 0,
	    { LINE("\n"), TOOLONG("a"), END } },
	{ "far too long, tiny buffer", MEM(X100 "\nok\n"), 8, 8,
	    { TOOLONG("xxxxxxxx"), LINE("ok\n"), END } },
	{ "two long lines in a row", MEM("aaaaaa\nbbbbbbb\ncc\n"), 4, 0,
	    { TOOLONG("aaaa"), TOOLONG("bbbb"), LINE("cc\n"), END } },
	{ "too long at end without newline", MEM("abcdefg"), 4, 0,
	    { TOOLONG("abcd"), END } },
	{ "max at end without newline", MEM("ab\nabcd"), 4, 0,
	    { LINE("ab\n"), LINE("abcd"), END } },
	{ "long, then exactly max", MEM("123456789\n1234567\n"), 8, 8,
	    { TOOLONG("12345678"), LINE("1234567\n"), END } },
	{ "NUL and 8-bit bytes", MEM("a\0b\xff\xe9\n\0\n\x80"), 100, 0,
	    { LINE("a\0b\xff\xe9\n"), LINE("\0\n"), LINE("\x80"), END } },
	{ "8-byte buffer", MEM("hello world\nsecond line here\nx"), 100, 8,
	    { LINE("hello world\n"), LINE("second line here\n"), LINE("x"),
	    END } },
	{ "2-byte buffer", MEM("ab\n\ncd\n"), 100, 2,
	    { LINE("ab\n"), LINE("\n"), LINE("cd\n"), END } },
	{ "line longer than the buffer", MEM(X100 "\n" X10), 1000, 8,
	    { LINE(X100 "\n"), LINE(X10), END } },
	{ "big buffer", MEM("one\r\ntwo\r\n"), 1000, 8192,
	    { LINE("one\r\n"), LINE("two\r\n"), END } },
};

static volatile sig_atomic_t	alarms;

static void	fill_pattern(char *, size_t, size_t);
static const char *show(const void *, size_t);
static void	reap(pid_t);
static pid_t	spawn_writer(int, int, const char *, size_t, size_t, long,
		    long);
static pid_t	spawn_reader(int, int, const char *, size_t, long);
static int	file_is(const char *, const char *, size_t);
static ssize_t	src_read(struct buf *, void *, size_t, long long);
static ssize_t	sink_write(struct buf *, const void *, size_t, long long);
static void	sink_init(struct sink *, size_t, size_t, int);
static void	expect_timeout(const char *, struct buf *, int, long);
static void	on_alarm(int);
static int	open_input(enum transport, const char *, size_t, pid_t *);
static void	run_gl_case(const struct gl_case *, enum transport);
static void	test_getline(void);
static void	test_many_lines(void);
static void	test_read(void);
static void	test_read_errors(void);
static void	test_deadlines(void);
static void	test_writes(void);
static void	test_write_errors(void);
static void	test_write_timeouts(void);
static void	test_output_large(void);
static void	test_fd(void);
static void	test_fd_eintr(void);


static void
fill_pattern(char *p, size_t n, size_t seed)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		p[i] = (char)((i * 131 + i / 251 + seed) & 0xff);
	}
}

/* Bytes as a C string literal, for diagnostics (static result). */
static const char *
show(const void *p, size_t n)
{
	static char		 out[300];
	const unsigned char	*s = p;
	size_t			 i, o = 0;

	for (i = 0; i < n && o + 8 < sizeof(out); i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\') {
			out[o++] = (char)s[i];
		} else {
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			    "\\x%02x", s[i]);
		}
	}
	out[o] = '\0';
	return out;
}

static void
reap(pid_t pid)
{
	int	status;

	if (pid <= 0) {
		return;
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR) {
		continue;
	}
}

/*
 * A child that writes data to fd in pieces of chunk bytes, waiting
 * first_ms before the first and delay_ms before each other piece.  The
 * child closes other (the parent's end); the parent's copy of fd is
 * closed here.
 */
static pid_t
spawn_writer(int fd, int other, const char *data, size_t len, size_t chunk,
    long first_ms, long delay_ms)
{
	size_t	off, k;
	pid_t	pid;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		if (other != -1) {
			close(other);
		}
		tap_sleep_ms(first_ms);
		for (off = 0; off < len; off += k) {
			k = len - off < chunk ? len - off : chunk;
			if (off > 0 && delay_ms > 0) {
				tap_sleep_ms(delay_ms);
			}
			if (fd_write_all(fd, data + off, k) == -1) {
				_exit(1);
			}
		}
		_exit(0);
	}
	close(fd);
	return pid;
}

/*
 * A child that copies fd into the file path, chunk bytes per read with
 * delay_ms between reads.  The parent's copy of fd is closed here; the
 * child closes other (the parent's end) so that it sees the end.
 */
static pid_t
spawn_reader(int fd, int other, const char *path, size_t chunk,
    long delay_ms)
{
	char	*p;
	ssize_t	 r;
	pid_t	 pid;
	int	 out;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		close(other);
		if ((p = malloc(chunk)) == NULL ||
		    (out = open(path, O_WRONLY | O_CREAT | O_TRUNC,
		    0600)) == -1) {
			_exit(1);
		}
		for (;;) {
			if (delay_ms > 0) {
				tap_sleep_ms(delay_ms);
			}
			if ((r = fd_read(fd, p, chunk)) <= 0) {
				break;
			}
			if (fd_write_all(out, p, (size_t)r) == -1) {
				_exit(1);
			}
		}
		free(p);
		_exit(r == 0 && close(out) == 0 ? 0 : 1);
	}
	close(fd);
	return pid;
}

/* The file at path holds exactly the n bytes at want. */
static int
file_is(const char *path, const char *want, size_t n)
{
	FILE	*fp;
	char	*got;
	size_t	 len;
	int	 same;

	if ((fp = fopen(path, "rb")) == NULL) {
		diag("open %s: %s", path, strerror(errno));
		return 0;
	}
	if ((got = malloc(n + 1)) == NULL) {
		abort();
	}
	len = fread(got, 1, n + 1, fp);
	fclose(fp);
	same = len == n && memcmp(got, want, n) == 0;
	if (!same) {
		diag("%s: %zu bytes, want %zu", path, len, n);
	}
	free(got);
	return same;
}

static ssize_t
src_read(struct buf *b, void *p, size_t n, long long deadline)
{
	struct src	*s = b->ctx;

	(void)deadline;
	s->calls++;
	if (n == 0) {
		s->zero++;
	}
	if (s->pos == s->len) {
		if (s->fail != 0) {
			errno = s->fail;
			return -1;
		}
		return 0;
	}
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
	struct sink	*s = b->ctx;

	(void)deadline;
	s->calls++;
	if (n == 0) {
		s->zero++;
	}
	if (s->failed) {
		/* Called again after a failure: a different errno shows it. */
		errno = EBADMSG;
		return -1;
	}
	if (s->data.len >= s->fail_after) {
		s->failed = true;
		if (s->ret0) {
			return 0;
		}
		errno = s->fail;
		return -1;
	}
	if (n > s->chunk) {
		n = s->chunk;
	}
	if (n > s->fail_after - s->data.len) {
		n = s->fail_after - s->data.len;
	}
	str_cat_mem(&s->data, p, n);
	return (ssize_t)n;
}

static void
sink_init(struct sink *s, size_t chunk, size_t fail_after, int fail)
{
	memset(s, 0, sizeof(*s));
	s->chunk = chunk;
	s->fail_after = fail_after;
	s->fail = fail;
}

/* A readable descriptor that yields data then end of input (-1: none). */
static int
open_input(enum transport tr, const char *data, size_t len, pid_t *writer)
{
	char	path[600];
	int	p[2], fd;

	*writer = -1;
	switch (tr) {
	case TR_PIPE:
	case TR_DRIP:
	case TR_SOCKET:
		if (tr == TR_SOCKET ?
		    socketpair(AF_UNIX, SOCK_STREAM, 0, p) == -1 :
		    pipe(p) == -1) {
			perror("pipe/socketpair");
			exit(1);
		}
		if (tr == TR_DRIP) {
			/* One byte per write; the reader sees EAGAIN. */
			fd_set_nonblock(p[0], true);
			*writer = spawn_writer(p[1], p[0], data, len, 1, 0, 1);
		} else if (len > 4096) {
			*writer = spawn_writer(p[1], p[0], data, len, len, 0,
			    0);
		} else {
			if (fd_write_all(p[1], data, len) == -1) {
				perror("write");
				exit(1);
			}
			close(p[1]);
		}
		return p[0];
	case TR_FILE:
		snprintf(path, sizeof(path), "%s/input", tap_tmpdir());
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC,
		    0600)) == -1 || fd_write_all(fd, data, len) == -1 ||
		    close(fd) == -1 || (fd = open(path, O_RDONLY)) == -1) {
			perror(path);
			exit(1);
		}
		return fd;
	default:
		return -1;
	}
}

static void
run_gl_case(const struct gl_case *c, enum transport tr)
{
	static unsigned char	 mem[8192];
	struct str		 line = STR_INIT;
	struct buf		 b;
	struct src		 src;
	const struct step	*st;
	size_t			 i;
	pid_t			 writer;
	int			 fd, r, e, pass;

	fd = open_input(tr, c->in, c->inlen, &writer);
	buf_init_fd(&b, fd, mem, c->bufsize ? c->bufsize : 64, SLOW_MS);
	memset(&src, 0, sizeof(src));
	if (tr == TR_CB1 || tr == TR_CB3) {
		src.data = c->in;
		src.len = c->inlen;
		src.chunk = tr == TR_CB1 ? 1 : 3;
		buf_set_io(&b, src_read, NULL, &src);
	}
	for (i = 0; i < sizeof(c->steps) / sizeof(c->steps[0]); i++) {
		st = &c->steps[i];
		str_set(&line, "junk from before");
		errno = 0;
		r = buf_getline(&b, &line, c->max);
		e = errno;
		pass = r == st->rc && (r != -1 || e == st->err) &&
		    line.len == st->len &&
		    memcmp(str_c(&line), st->line, st->len) == 0;
		if (!ok(pass, "getline %s [%s] #%zu: %s \"%s\"", c->name,
		    tr_name[tr], i + 1, st->rc == 1 ? "line" :
		    st->rc == 0 ? "end" : "EMSGSIZE",
		    show(st->line, st->len))) {
			diag("got %d, errno %d (%s), line \"%s\"", r, e,
			    strerror(e), show(line.s, line.len));
		}
		if (st->rc == 0) {
			break;
		}
	}
	r = buf_getline(&b, &line, c->max);
	ok(r == 0 && line.len == 0 && src.zero == 0,
	    "getline %s [%s]: end again", c->name, tr_name[tr]);
	if (fd != -1) {
		close(fd);
	}
	reap(writer);
	str_free(&line);
}

static void
test_getline(void)
{
	size_t	i;
	int	tr;

	for (i = 0; i < sizeof(gl_cases) / sizeof(gl_cases[0]); i++) {
		for (tr = 0; tr < TR_COUNT; tr++) {
			run_gl_case(&gl_cases[i], (enum transport)tr);
		}
	}
}

/*
 * 3000 lines of 0..149 bytes (plus CRLF or LF) through a pipe fed by a
 * child, read with an 8-byte buffer and max 100: every line must come
 * back whole or as EMSGSIZE with its first 100 bytes.
 */
static void
test_many_lines(void)
{
	static unsigned char	 mem[8];
	struct str		 in = STR_INIT, line = STR_INIT;
	struct buf		 b;
	const char		*ws;
	size_t			 i, k, len, wl, bad = 0, nlong = 0;
	pid_t			 writer;
	int			 p[2], r, pass;

	for (i = 0; i < 3000; i++) {
		len = (i * 37) % 150;
		for (k = 0; k < len; k++) {
			str_cat_char(&in, (int)(' ' + (i + k) % 95));
		}
		str_cat(&in, i % 2 ? "\r\n" : "\n");
	}
	if (pipe(p) == -1) {
		perror("pipe");
		exit(1);
	}
	writer = spawn_writer(p[1], p[0], in.s, in.len, 777, 0, 0);
	buf_init_fd(&b, p[0], mem, sizeof(mem), SLOW_MS);
	k = 0;
	for (i = 0; i < 3000; i++) {
		ws = in.s + k;
		wl = (size_t)((const char *)memchr(ws, '\n', in.len - k) -
		    ws) + 1;
		k += wl;
		r = buf_getline(&b, &line, 100);
		if (wl > 100) {
			nlong++;
			pass = r == -1 && errno == EMSGSIZE &&
			    line.len == 100 && memcmp(line.s, ws, 100) == 0;
		} else {
			pass = r == 1 && line.len == wl &&
			    memcmp(line.s, ws, wl) == 0;
		}
		if (!pass && bad++ == 0) {
			diag("line %zu: got %d, \"%s\"", i, r,
			    show(line.s, line.len));
		}
	}
	is_int((long long)bad, 0, "many lines: 3000 lines through 4 bytes");
	ok(nlong > 100, "many lines: %zu of them too long", nlong);
	is_int(buf_getline(&b, &line, 100), 0, "many lines: then the end");
	is_int((long long)b.bytes_in, (long long)in.len,
	    "many lines: bytes_in counts every byte");
	close(p[0]);
	reap(writer);
	str_free(&in);
	str_free(&line);
}

static void
test_read(void)
{
	static unsigned char	 mem[64], tiny[8];
	struct str		 line = STR_INIT, all = STR_INIT;
	struct buf		 b;
	struct src		 src;
	char			 got[128], want[100];
	long long		 t0;
	ssize_t			 n;
	size_t			 bad;
	pid_t			 writer;
	int			 fd, p[2];

	/* buf_pending over a file: everything is read at once. */
	fd = open_input(TR_FILE, MEM("a\nbc\nd\n"), &writer);
	buf_init_fd(&b, fd, mem, sizeof(mem), SLOW_MS);
	is_int((long long)buf_pending(&b), 0, "pending: 0 before reading");
	buf_getline(&b, &line, 100);
	is_int((long long)buf_pending(&b), 5, "pending: 5 after line 1");
	buf_getline(&b, &line, 100);
	is_int((long long)buf_pending(&b), 2, "pending: 2 after line 2");
	buf_getline(&b, &line, 100);
	is_int((long long)buf_pending(&b), 0, "pending: 0 after line 3");
	close(fd);

	/* One byte per transfer: nothing is ever read ahead. */
	memset(&src, 0, sizeof(src));
	src.data = "a\nbc\n";
	src.len = 5;
	src.chunk = 1;
	buf_init_fd(&b, -1, mem, sizeof(mem), -1);
	buf_set_io(&b, src_read, NULL, &src);
	buf_getline(&b, &line, 100);
	is_int((long long)buf_pending(&b), 0, "pending: 0 when fed by bytes");

	/* buf_read_exact: all of it, or 0 when the input ends first. */
	memset(&src, 0, sizeof(src));
	src.data = "abcdef";
	src.len = 6;
	src.chunk = 100;
	buf_init_fd(&b, -1, mem, sizeof(mem), -1);
	buf_set_io(&b, src_read, NULL, &src);
	memset(got, 0, sizeof(got));
	is_int(buf_read_exact(&b, got, 4), 1, "read_exact: 4 of 6 bytes");
	is_mem(got, 4, "abcd", 4, "read_exact: the 4 bytes");
	is_int(buf_read_exact(&b, got, 0), 1, "read_exact: 0 bytes is done");
	is_int(buf_read_exact(&b, got, 4), 0,
	    "read_exact: end of input in the middle is 0");
	is_int(buf_read_exact(&b, got, 1), 0, "read_exact: then 0 again");

	/* Across refills of a 4-byte input half, 1 byte per transfer. */
	fill_pattern(want, sizeof(want), 5);
	memset(&src, 0, sizeof(src));
	src.data = want;
	src.len = sizeof(want);
	src.chunk = 1;
	buf_init_fd(&b, -1, tiny, sizeof(tiny), -1);
	buf_set_io(&b, src_read, NULL, &src);
	is_int(buf_read_exact(&b, got, 100), 1,
	    "read_exact: 100 bytes through 4");
	is_mem(got, 100, want, 100, "read_exact: the 100 bytes");
	ok(src.zero == 0, "read_exact: never asks for 0 bytes");

	/* Lines and counted bytes mixed, as BDAT does. */
	memset(&src, 0, sizeof(src));
	src.data = "BDAT 5\r\nhelloQUIT\r\n";
	src.len = strlen(src.data);
	src.chunk = 3;
	buf_init_fd(&b, -1, tiny, sizeof(tiny), -1);
	buf_set_io(&b, src_read, NULL, &src);
	buf_getline(&b, &line, 100);
	is_mem(line.s, line.len, MEM("BDAT 5\r\n"), "bdat: command line");
	is_int(buf_read_exact(&b, got, 5), 1, "bdat: chunk read");
	is_mem(got, 5, "hello", 5, "bdat: chunk bytes");
	buf_getline(&b, &line, 100);
	is_mem(line.s, line.len, MEM("QUIT\r\n"), "bdat: next command");
	is_int(buf_getline(&b, &line, 100), 0, "bdat: end");

	/* buf_read: at most n, > 0 until the end, then 0. */
	memset(&src, 0, sizeof(src));
	src.data = want;
	src.len = sizeof(want);
	src.chunk = 100;
	buf_init_fd(&b, -1, tiny, sizeof(tiny), -1);
	buf_set_io(&b, src_read, NULL, &src);
	is_int(buf_read(&b, got, 0), 0, "read: 0 bytes asked, 0 read");
	bad = 0;
	while ((n = buf_read(&b, got, 3)) > 0) {
		if (n > 3) {
			bad++;
		}
		str_cat_mem(&all, got, (size_t)n);
	}
	is_int(n, 0, "read: ends with 0");
	ok(bad == 0, "read: never more than asked");
	is_mem(all.s, all.len, want, sizeof(want), "read: every byte once");

	/* buf_read over a pipe returns what is there, without waiting
	 * for more (the writer stays open). */
	if (pipe(p) == -1) {
		perror("pipe");
		exit(1);
	}
	fd_write_all(p[1], "abc", 3);
	buf_init_fd(&b, p[0], mem, sizeof(mem), SLOW_MS);
	t0 = clock_ms();
	n = buf_read(&b, got, sizeof(got));
	is_mem(got, n > 0 ? (size_t)n : 0, "abc", 3, "read: a short pipe");
	ok(clock_ms() - t0 < SLOW_MS / 2, "read: a short pipe, no wait");
	close(p[0]);
	close(p[1]);

	/* buf_wait_input: what is buffered, then what arrives, then the
	 * end of input; nothing consumed. */
	if (pipe(p) == -1) {
		perror("pipe");
		exit(1);
	}
	fd_write_all(p[1], "x\ny\n", 4);
	buf_init_fd(&b, p[0], mem, sizeof(mem), SLOW_MS);
	is_int(buf_wait_input(&b), 1, "wait_input: input there");
	is_int(buf_getline(&b, &line, 100), 1, "wait_input: then a line");
	is_int(buf_wait_input(&b), 1, "wait_input: more buffered");
	is_int(buf_getline(&b, &line, 100), 1, "wait_input: the second line");
	is_mem(line.s, line.len, "y\n", 2, "wait_input: nothing consumed");
	close(p[1]);
	is_int(buf_wait_input(&b), 0, "wait_input: end of input");
	close(p[0]);
	str_free(&line);
	str_free(&all);
}

static void
test_read_errors(void)
{
	static unsigned char	mem[64];
	static const struct {
		const char	*name;
		int		 err;
	} errs[] = {
		{ "EIO", EIO }, { "ECONNRESET", ECONNRESET },
		{ "ETIMEDOUT", ETIMEDOUT },
	};
	struct str	line = STR_INIT;
	struct buf	b;
	struct src	src;
	char		got[16];
	size_t		i;
	int		r, trapped;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		memset(&src, 0, sizeof(src));
		src.data = "abc\nde";
		src.len = 6;
		src.chunk = 2;
		src.fail = errs[i].err;
		buf_init_fd(&b, -1, mem, sizeof(mem), -1);
		buf_set_io(&b, src_read, NULL, &src);
		r = buf_getline(&b, &line, 100);
		is_mem(line.s, r == 1 ? line.len : 0, MEM("abc\n"),
		    "read error %s: the line before it", errs[i].name);
		errno = 0;
		r = buf_getline(&b, &line, 100);
		ok(r == -1 && errno == errs[i].err,
		    "read error %s: getline -1/%s", errs[i].name,
		    errs[i].name);

		memset(&src, 0, sizeof(src));
		src.fail = errs[i].err;
		buf_init_fd(&b, -1, mem, sizeof(mem), -1);
		buf_set_io(&b, src_read, NULL, &src);
		errno = 0;
		r = buf_read_exact(&b, got, 4);
		ok(r == -1 && errno == errs[i].err,
		    "read error %s: read_exact -1/%s", errs[i].name,
		    errs[i].name);
		errno = 0;
		r = (int)buf_read(&b, got, 4);
		ok(r == -1 && errno == errs[i].err,
		    "read error %s: read -1/%s", errs[i].name, errs[i].name);
	}

	trapped = TAP_FATAL(buf_init_fd(&b, 0, mem, 1, -1));
	ok(trapped && tap_fatal_status == -1,
	    "buf_init_fd: a 1-byte buffer is a panic");
	trapped = TAP_FATAL(buf_init_fd(&b, 0, mem, 2, -1));
	ok(!trapped, "buf_init_fd: 2 bytes is enough");
	str_free(&line);
}

/* Run one reading call that must time out after about ms. */
static void
expect_timeout(const char *name, struct buf *b, int how, long ms)
{
	struct str	line = STR_INIT;
	long long	t0, took;
	char		got[16];
	int		r, e;

	t0 = clock_ms();
	errno = 0;
	switch (how) {
	case 0:
		r = buf_getline(b, &line, 100);
		break;
	case 1:
		r = buf_read_exact(b, got, sizeof(got));
		break;
	default:
		r = (int)buf_read(b, got, sizeof(got));
		break;
	}
	e = errno;
	took = clock_ms() - t0;
	if (!ok(r == -1 && e == ETIMEDOUT, "%s: -1/ETIMEDOUT", name)) {
		diag("got %d, errno %d (%s)", r, e, strerror(e));
	}
	if (!ok(took >= ms - 5 && took < ms + 3000,
	    "%s: after about %ld ms", name, ms)) {
		diag("took %lld ms", took);
	}
	str_free(&line);
}

static void
test_deadlines(void)
{
	static unsigned char	 mem[64];
	struct str		 line = STR_INIT;
	struct buf		 b;
	long long		 t0, took;
	pid_t			 writer;
	int			 p[2], s[2], i, r;

	/* Nobody writes: each kind of read times out. */
	if (pipe(p) == -1 || socketpair(AF_UNIX, SOCK_STREAM, 0, s) == -1) {
		perror("pipe");
		exit(1);
	}
	buf_init_fd(&b, p[0], mem, sizeof(mem), 300);
	expect_timeout("deadline getline, silent pipe", &b, 0, 300);
	expect_timeout("deadline read_exact, silent pipe", &b, 1, 300);
	expect_timeout("deadline read, silent pipe", &b, 2, 300);
	buf_init_fd(&b, s[0], mem, sizeof(mem), 200);
	expect_timeout("deadline getline, silent socket", &b, 0, 200);
	buf_init_fd(&b, p[0], mem, sizeof(mem), 0);
	expect_timeout("deadline 0, silent pipe", &b, 0, 0);

	/* Half a line, then silence. */
	fd_write_all(p[1], "abc", 3);
	buf_init_fd(&b, p[0], mem, sizeof(mem), 300);
	expect_timeout("deadline getline, half a line", &b, 0, 300);
	close(p[0]);
	close(p[1]);
	close(s[0]);
	close(s[1]);

	/* The deadline is for the whole call: a line dripping in one byte
	 * per 100 ms does not keep a 400 ms call alive. */
	if (pipe(p) == -1) {
		perror("pipe");
		exit(1);
	}
	writer = spawn_writer(p[1], p[0], "abcdefghijklmno\n", 16, 1, 0, 100);
	buf_init_fd(&b, p[0], mem, sizeof(mem), 400);
	expect_timeout("deadline getline, slow drip", &b, 0, 400);
	kill(writer, SIGKILL);
	reap(writer);
	close(p[0]);

	/* Each call has its own deadline: 4 lines 150 ms apart all arrive
	 * with a 400 ms timeout. */
	if (pipe(p) == -1) {
		perror("pipe");
		exit(1);
	}
	writer = spawn_writer(p[1], p[0], "a\nb\nc\nd\n", 8, 2, 150, 150);
	buf_init_fd(&b, p[0], mem, sizeof(mem), 400);
	t0 = clock_ms();
	for (i = 0; i < 4; i++) {
		r = buf_getline(&b, &line, 100);
		if (!ok(r == 1 && line.len == 2 && line.s[0] == 'a' + i,
		    "deadline per call: line %d", i + 1)) {
			diag("got %d, errno %d", r, errno);
		}
	}
	took = clock_ms() - t0;
	is_int(buf_getline(&b, &line, 100), 0, "deadline per call: end");
	ok(took >= 550, "deadline per call: took longer than one timeout");
	close(p[0]);
	reap(writer);
	str_free(&line);
}

static void
test_writes(void)
{
	static const struct {
		const char	*name;
		size_t		 bufsize;
		/* the callback's */
		size_t		 chunk;
	} cases[] = {
		{ "1 byte per write, 16-byte buffer", 16, 1 },
		{ "3 bytes per write, 16-byte buffer", 16, 3 },
		{ "1 byte per write, 2-byte buffer", 2, 1 },
		{ "all at once, 8192-byte buffer", 8192, SIZE_MAX },
		{ "7 bytes per write, 8192-byte buffer", 8192, 7 },
	};
	static unsigned char	 mem[8192];
	struct str		 want = STR_INIT;
	struct sink		 sink;
	struct buf		 b;
	char			 pat[1000];
	size_t			 i;

	fill_pattern(pat, sizeof(pat), 1);
	str_set_mem(&want, pat, sizeof(pat));
	str_cat(&want, "tail\r\n");
	str_catf(&want, "%d-%s|", 42, "x");
	str_catf(&want, "%0300d", 7);
	str_cat_mem(&want, "\0\r\n.\r\n", 6);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sink_init(&sink, cases[i].chunk, SIZE_MAX, 0);
		buf_init_fd(&b, -1, mem, cases[i].bufsize, -1);
		buf_set_io(&b, NULL, sink_write, &sink);
		buf_put(&b, pat, sizeof(pat));
		buf_puts(&b, "tail\r\n");
		buf_put(&b, "", 0);
		buf_printf(&b, "%d-%s|", 42, "x");
		buf_printf(&b, "%0300d", 7);
		buf_put(&b, "\0\r\n.\r\n", 6);
		is_int(buf_flush(&b), 0, "write %s: flush is 0", cases[i].name);
		is_mem(sink.data.s, sink.data.len, want.s, want.len,
		    "write %s: every byte in order", cases[i].name);
		ok(b.bytes_out == want.len && sink.zero == 0,
		    "write %s: bytes_out %zu, no empty writes", cases[i].name,
		    want.len);
		if (cases[i].chunk == 1) {
			is_int(sink.calls, (long long)want.len,
			    "write %s: one call per byte", cases[i].name);
		}
		is_int(buf_flush(&b), 0, "write %s: flush again is 0",
		    cases[i].name);
		str_free(&sink.data);
	}

	/* buf_unwritten: bytes still buffered may change in place; bytes
	 * written already, or not put yet, may not. */
	sink_init(&sink, SIZE_MAX, SIZE_MAX, 0);
	buf_init_fd(&b, -1, mem, 32, -1);	/* output: mem + 16, 16 bytes */
	buf_set_io(&b, NULL, sink_write, &sink);
	buf_put(&b, "0123456789", 10);
	ok(buf_unwritten(&b, 2, 3) == mem + 18, "unwritten: 3 bytes at 2");
	ok(buf_unwritten(&b, 0, 10) == mem + 16, "unwritten: all 10");
	ok(buf_unwritten(&b, 8, 3) == NULL, "unwritten: past what was put");
	ok(buf_unwritten(&b, 10, 0) != NULL, "unwritten: 0 bytes at the end");
	memcpy(buf_unwritten(&b, 2, 3), "abc", 3);
	buf_put(&b, "ABCDEFGHIJ", 10);	/* 16 bytes go out, 4 stay */
	ok(b.bytes_out == 16 && buf_unwritten(&b, 2, 3) == NULL,
	    "unwritten: NULL once written");
	ok(buf_unwritten(&b, 15, 1) == NULL, "unwritten: a written byte");
	ok(buf_unwritten(&b, 16, 4) == mem + 16, "unwritten: the 4 left");
	memcpy(buf_unwritten(&b, 17, 2), "xy", 2);
	is_int(buf_flush(&b), 0, "unwritten: flush");
	is_mem(sink.data.s, sink.data.len, "01abc56789ABCDEFGxyJ", 20,
	    "unwritten: the changes went out, in place");
	ok(buf_unwritten(&b, 16, 1) == NULL, "unwritten: none after flush");
	str_free(&sink.data);

	/* Nothing buffered: no call at all. */
	sink_init(&sink, 1, SIZE_MAX, 0);
	buf_init_fd(&b, -1, mem, 64, -1);
	buf_set_io(&b, NULL, sink_write, &sink);
	is_int(buf_flush(&b), 0, "write: empty flush is 0");
	is_int(sink.calls, 0, "write: empty flush writes nothing");
	buf_put(&b, "abc", 3);
	is_int(sink.calls, 0, "write: a small put is only buffered");
	str_free(&sink.data);
	str_free(&want);
}

static void
test_write_errors(void)
{
	static const struct {
		const char	*name;
		/* bytes put before flush */
		size_t		 put;
		size_t		 fail_after;
		int		 err;
		bool		 ret0;
		int		 want_err;
		/* callback calls in all */
		int		 calls;
	} cases[] = {
		{ "ENOSPC inside buf_put", 20, 5, ENOSPC, false, ENOSPC, 2 },
		{ "ENOSPC at flush", 3, 0, ENOSPC, false, ENOSPC, 1 },
		{ "EIO after a full buffer", 40, 8, EIO, false, EIO, 3 },
		{ "EPIPE at once", 100, 0, EPIPE, false, EPIPE, 1 },
		{ "a 0-byte write is EIO", 20, 8, 0, true, EIO, 3 },
	};
	static unsigned char	 mem[16];
	struct sink		 sink;
	struct buf		 b;
	char			 pat[100];
	size_t			 i;
	int			 r, e;

	fill_pattern(pat, sizeof(pat), 2);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sink_init(&sink, 5, cases[i].fail_after, cases[i].err);
		sink.ret0 = cases[i].ret0;
		buf_init_fd(&b, -1, mem, sizeof(mem), -1);
		buf_set_io(&b, NULL, sink_write, &sink);
		buf_put(&b, pat, cases[i].put);
		errno = 0;
		r = buf_flush(&b);
		e = errno;
		ok(r == -1 && e == cases[i].want_err,
		    "write error %s: flush is -1 with the error",
		    cases[i].name);
		buf_put(&b, "more", 4);
		buf_puts(&b, "more");
		buf_printf(&b, "%s", "more");
		errno = 0;
		r = buf_flush(&b);
		ok(r == -1 && errno == cases[i].want_err,
		    "write error %s: sticky at the next flush",
		    cases[i].name);
		is_int(sink.calls, cases[i].calls,
		    "write error %s: no write after the error",
		    cases[i].name);
		is_mem(sink.data.s, sink.data.len, pat, cases[i].fail_after,
		    "write error %s: what was written before it",
		    cases[i].name);
		str_free(&sink.data);
	}
}

/* A pipe whose reader never reads: the write deadline must end it. */
static void
test_write_timeouts(void)
{
	static const struct {
		const char	*name;
		size_t		 bufsize;
		bool		 nonblock;
	} cases[] = {
		{ "blocking pipe, 256-byte buffer", 256, false },
		{ "non-blocking pipe, 256-byte buffer", 256, true },
		{ "non-blocking pipe, 256 KiB buffer", 256 * 1024, true },
	};
	static unsigned char	 mem[256 * 1024];
	struct buf		 b;
	char			*big;
	long long		 t0, took;
	size_t			 i;
	int			 p[2], r;

	if ((big = calloc(1, BIG)) == NULL) {
		abort();
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (pipe(p) == -1) {
			perror("pipe");
			exit(1);
		}
		fd_set_nonblock(p[1], cases[i].nonblock);
		buf_init_fd(&b, p[1], mem, cases[i].bufsize, 300);
		t0 = clock_ms();
		buf_put(&b, big, BIG);
		took = clock_ms() - t0;
		errno = 0;
		r = buf_flush(&b);
		ok(r == -1 && errno == ETIMEDOUT,
		    "write timeout %s: flush -1/ETIMEDOUT", cases[i].name);
		if (!ok(took >= 295 && took < 3300,
		    "write timeout %s: after about 300 ms", cases[i].name)) {
			diag("took %lld ms", took);
		}
		close(p[0]);
		close(p[1]);
	}

	/* The reader goes away: EPIPE (SIGPIPE is ignored), sticky. */
	if (pipe(p) == -1) {
		perror("pipe");
		exit(1);
	}
	close(p[0]);
	buf_init_fd(&b, p[1], mem, 64, 1000);
	buf_puts(&b, "250 ok\r\n");
	errno = 0;
	r = buf_flush(&b);
	ok(r == -1 && errno == EPIPE, "write: closed reader is EPIPE");
	buf_puts(&b, "again");
	errno = 0;
	r = buf_flush(&b);
	ok(r == -1 && errno == EPIPE, "write: EPIPE is sticky");
	close(p[1]);
	free(big);
}

static void
test_output_large(void)
{
	static const size_t	 pieces[] = { 1, 7, 31, 32, 33, 4096,
	    100000 };
	static const struct {
		const char	*name;
		/* 0 file, 1 pipe, 2 socket */
		int		 kind;
		size_t		 bufsize;
		bool		 one_put;
		bool		 nonblock;
		long		 reader_delay;
	} cases[] = {
		{ "file, 64-byte buffer, pieces", 0, 64, false, false, 0 },
		{ "file, 8 KiB buffer, one put", 0, 8192, true, false, 0 },
		{ "pipe, 4 KiB buffer, pieces", 1, 4096, false, false, 0 },
		{ "pipe, 64-byte buffer, one put", 1, 64, true, false, 0 },
		{ "non-blocking pipe, 64 KiB buffer, slow reader", 1, 65536,
		    false, true, 1 },
		{ "socket, 1 KiB buffer, pieces", 2, 1024, false, false, 0 },
		{ "non-blocking socket, 200 KiB buffer, slow reader", 2,
		    200 * 1024, true, true, 1 },
	};
	static unsigned char	 mem[256 * 1024];
	struct buf		 b;
	char			*big, path[600];
	size_t			 i, off, k, n;
	pid_t			 reader = -1;
	int			 fd, p[2], r;

	if ((big = malloc(BIG)) == NULL) {
		abort();
	}
	fill_pattern(big, BIG, 9);
	snprintf(path, sizeof(path), "%s/output", tap_tmpdir());
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unlink(path);
		if (cases[i].kind == 0) {
			if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC,
			    0600)) == -1) {
				perror(path);
				exit(1);
			}
		} else {
			if (cases[i].kind == 1 ? pipe(p) == -1 :
			    socketpair(AF_UNIX, SOCK_STREAM, 0, p) == -1) {
				perror("pipe");
				exit(1);
			}
			fd = p[1];
			reader = spawn_reader(p[0], p[1], path,
			    cases[i].reader_delay ? 4096 : 65536,
			    cases[i].reader_delay);
			fd_set_nonblock(fd, cases[i].nonblock);
		}
		buf_init_fd(&b, fd, mem, cases[i].bufsize, SLOW_MS);
		if (cases[i].one_put) {
			buf_put(&b, big, BIG);
		} else {
			for (off = 0, n = 0; off < BIG; off += k, n++) {
				k = pieces[n % (sizeof(pieces) /
				    sizeof(pieces[0]))];
				if (k > BIG - off) {
					k = BIG - off;
				}
				buf_put(&b, big + off, k);
			}
		}
		is_int(buf_flush(&b), 0, "large %s: flush is 0",
		    cases[i].name);
		is_int((long long)b.bytes_out, BIG, "large %s: bytes_out",
		    cases[i].name);
		r = close(fd);
		if (cases[i].kind != 0) {
			reap(reader);
		}
		ok(r == 0 && file_is(path, big, BIG),
		    "large %s: 1 MiB arrives intact", cases[i].name);
	}

	/* And back in: a 1 MiB file through buf_read_exact and buf_read. */
	if ((fd = open(path, O_RDONLY)) == -1) {
		perror(path);
		exit(1);
	}
	{
		char	*got;

		if ((got = malloc(BIG)) == NULL) {
			abort();
		}
		buf_init_fd(&b, fd, mem, 100, SLOW_MS);
		ok(buf_read_exact(&b, got, BIG - 10) == 1 &&
		    buf_read(&b, got + BIG - 10, 100) == 10 &&
		    buf_read(&b, got, 1) == 0 && memcmp(got, big, BIG) == 0,
		    "large: 1 MiB read back through 50 bytes");
		is_int((long long)b.bytes_in, BIG, "large: bytes_in");
		free(got);
	}
	close(fd);
	free(big);
}

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void
test_fd(void)
{
	static const struct {
		const char	*name;
		size_t		 len;
		size_t		 reader_chunk;
		long		 reader_delay;
	} cases[] = {
		{ "512 KiB, slow reader", 512 * 1024, 8192, 2 },
		{ "1 MiB, fast reader", BIG, 65536, 0 },
		{ "100 bytes", 100, 10, 5 },
	};
	long long	 t0, took;
	char		*big, path[600], c;
	size_t		 i;
	pid_t		 reader;
	int		 p[2], r, e, fl;

	if ((big = malloc(BIG)) == NULL) {
		abort();
	}
	fill_pattern(big, BIG, 4);
	snprintf(path, sizeof(path), "%s/fdout", tap_tmpdir());
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (pipe(p) == -1) {
			perror("pipe");
			exit(1);
		}
		fd_set_nonblock(p[1], true);
		reader = spawn_reader(p[0], p[1], path, cases[i].reader_chunk,
		    cases[i].reader_delay);
		r = fd_write_all(p[1], big, cases[i].len);
		is_int(r, 0, "fd_write_all %s, non-blocking: 0", cases[i].name);
		close(p[1]);
		reap(reader);
		ok(file_is(path, big, cases[i].len),
		    "fd_write_all %s, non-blocking: bytes intact",
		    cases[i].name);
	}

	if (pipe(p) == -1) {
		perror("pipe");
		exit(1);
	}
	is_int(fd_write_all(p[1], big, 0), 0, "fd_write_all: 0 bytes is 0");
	close(p[0]);
	errno = 0;
	r = fd_write_all(p[1], big, 10);
	ok(r == -1 && errno == EPIPE, "fd_write_all: closed reader is EPIPE");
	close(p[1]);

	/* fd_wait */
	if (pipe(p) == -1) {
		perror("pipe");
		exit(1);
	}
	t0 = clock_ms();
	errno = 0;
	r = fd_wait(p[0], POLLIN, clock_deadline(200));
	e = errno;
	took = clock_ms() - t0;
	ok(r == -1 && e == ETIMEDOUT, "fd_wait: silent pipe is ETIMEDOUT");
	if (!ok(took >= 195 && took < 3200, "fd_wait: after about 200 ms")) {
		diag("took %lld ms", took);
	}
	errno = 0;
	r = fd_wait(p[0], POLLIN, clock_ms() - 1000);
	ok(r == -1 && errno == ETIMEDOUT,
	    "fd_wait: past deadline is ETIMEDOUT");
	is_int(fd_wait(p[1], POLLOUT, clock_deadline(1000)), 1,
	    "fd_wait: empty pipe is writable");
	fd_write_all(p[1], "x", 1);
	is_int(fd_wait(p[0], POLLIN, clock_deadline(1000)), 1,
	    "fd_wait: readable pipe");
	is_int(fd_wait(p[0], POLLIN, -1), 1, "fd_wait: no deadline, readable");
	fd_read(p[0], &c, 1);
	close(p[1]);
	is_int(fd_wait(p[0], POLLIN, clock_deadline(1000)), 1,
	    "fd_wait: hang-up is ready (the read reports it)");
	is_int(fd_read(p[0], &c, 1), 0, "fd_read: end after hang-up");
	close(p[0]);

	/* Flags */
	if (pipe(p) == -1) {
		perror("pipe");
		exit(1);
	}
	fl = fcntl(p[0], F_GETFL);
	ok(fd_set_nonblock(p[0], true) == 0 &&
	    (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0 &&
	    (fcntl(p[0], F_GETFL) & ~O_NONBLOCK) == (fl & ~O_NONBLOCK),
	    "fd_set_nonblock: on, other flags kept");
	ok(fd_set_nonblock(p[0], false) == 0 &&
	    (fcntl(p[0], F_GETFL) & O_NONBLOCK) == 0,
	    "fd_set_nonblock: off");
	ok(fd_set_cloexec(p[0], true) == 0 &&
	    (fcntl(p[0], F_GETFD) & FD_CLOEXEC) != 0, "fd_set_cloexec: on");
	ok(fd_set_cloexec(p[0], false) == 0 &&
	    (fcntl(p[0], F_GETFD) & FD_CLOEXEC) == 0, "fd_set_cloexec: off");
	close(p[0]);
	close(p[1]);
	errno = 0;
	ok(fd_set_nonblock(p[0], true) == -1 && errno == EBADF,
	    "fd_set_nonblock: closed descriptor is EBADF");
	errno = 0;
	ok(fd_set_cloexec(p[0], true) == -1 && errno == EBADF,
	    "fd_set_cloexec: closed descriptor is EBADF");

	/* errno is kept by a successful transfer. */
	if (pipe(p) == -1) {
		perror("pipe");
		exit(1);
	}
	errno = EXDEV;
	r = (int)fd_write(p[1], "ab", 2);
	ok(r == 2 && errno == EXDEV, "fd_write: errno kept on success");
	errno = EXDEV;
	r = (int)fd_read(p[0], path, 2);
	ok(r == 2 && errno == EXDEV, "fd_read: errno kept on success");
	close(p[0]);
	close(p[1]);
	free(big);
}

/*
 * A signal without SA_RESTART interrupts a blocked read(2) or write(2);
 * fd_read and fd_write must retry and keep errno.
 */
static void
test_fd_eintr(void)
{
	struct sigaction	sa, old;
	struct itimerval	it;
	char			got[8], fill[4096], small[512];
	ssize_t			r;
	pid_t			child;
	int			p[2], e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, &old);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 50000;

	/* read: the data comes 300 ms later, the signal after 50 ms. */
	if (pipe(p) == -1) {
		perror("pipe");
		exit(1);
	}
	child = spawn_writer(p[1], p[0], "late", 4, 4, 300, 0);
	alarms = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	errno = EXDEV;
	r = fd_read(p[0], got, sizeof(got));
	e = errno;
	is_int(alarms, 1, "fd_read EINTR: the signal came during the read");
	is_mem(got, r > 0 ? (size_t)r : 0, "late", 4,
	    "fd_read EINTR: retried, data read");
	is_int(e, EXDEV, "fd_read EINTR: errno kept");
	close(p[0]);
	reap(child);

	/* write: the pipe is full, a reader drains it after 300 ms. */
	if (pipe(p) == -1) {
		perror("pipe");
		exit(1);
	}
	memset(fill, 'f', sizeof(fill));
	memset(small, 's', sizeof(small));
	fd_set_nonblock(p[1], true);
	while (write(p[1], fill, sizeof(fill)) > 0) {
		continue;
	}
	while (write(p[1], fill, 1) > 0) {
		continue;
	}
	fd_set_nonblock(p[1], false);
	{
		char	path[600];

		snprintf(path, sizeof(path), "%s/drain", tap_tmpdir());
		child = spawn_reader(p[0], p[1], path, 65536, 300);
	}
	alarms = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	errno = EXDEV;
	r = fd_write(p[1], small, sizeof(small));
	e = errno;
	is_int(alarms, 1, "fd_write EINTR: the signal came during the write");
	is_int(r, (long long)sizeof(small), "fd_write EINTR: retried, written");
	is_int(e, EXDEV, "fd_write EINTR: errno kept");
	close(p[1]);
	reap(child);
	sigaction(SIGALRM, &old, NULL);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_getline();
	test_many_lines();
	test_read();
	test_read_errors();
	test_deadlines();
	test_writes();
	test_write_errors();
	test_write_timeouts();
	test_output_large();
	test_fd();
	test_fd_eintr();
	return done_testing();
}
