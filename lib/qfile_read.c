/* SPDX-License-Identifier: ISC */
/*
 * qfile_read.c: the queue file reader (see qfile.h, docs/queue.5).
 *
 * qfile_parse_envelope is a pure function over a buffer, so a fuzzer can
 * drive it.  It runs twice over the same bytes: the first pass checks
 * everything and counts, without allocating; only a file that passed is
 * copied, and the second pass (the same code, with somewhere to write)
 * cuts the copy into NUL-terminated fields and fills the arrays.  So one
 * function decides what is valid, and a rejected file costs no memory.
 *
 * Every number is checked against the file size before it is believed,
 * and the first problem found is reported as "offset N: what is wrong",
 * with N the offset of the offending byte in the file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "bounds.h"
#include "fd.h"
#include "log.h"
#include "qfile.h"
#include "scan.h"
#include "str.h"

#define QFILE_MAGIC		"postlet-queue 1\n"
#define QFILE_MAGIC_LEN		(sizeof(QFILE_MAGIC) - 1)
#define QFILE_MAGIC_NAME_LEN	14	/* "postlet-queue " */
#define QFILE_TRAILER		"END\n"
#define QFILE_TRAILER_LEN	4
#define QFILE_LEN_DIGITS	20	/* each number of the E record */
/* "E " + digits + " " + digits, without the "\n". */
#define QFILE_E_LEN		(2 + QFILE_LEN_DIGITS + 1 + QFILE_LEN_DIGITS)
/* The largest value of a 64-bit off_t. */
#define QFILE_OFF_MAX		((unsigned long long)INT64_MAX)
/* First read of qfile_open: most envelopes are far smaller. */
#define QFILE_READ_FIRST	16384

/* Where the parser is in the record sequence T S A* R+ E. */
enum parse_state {
	PARSE_T,
	PARSE_S,
	PARSE_A,	/* A records, or the first R */
	PARSE_R,	/* more R records, or E */
};

struct parse {
	/* the file's first len bytes */
	const char	*buf;
	size_t		 len;
	/* the whole file */
	unsigned long long size;
	struct qfile	*qf;
	/* pass 2: the copy to cut up */
	char		*mem;
	enum parse_state state;
	size_t		 nattr, nrcpt;
	/* for duplicates */
	size_t		 attr_name[QFILE_ATTR_MAX];
	size_t		 attr_len[QFILE_ATTR_MAX];
	unsigned long long content_len, header_len;
	size_t		 envelope_len;
	/* QFILE_READ_* */
	int		 flags;
	/* an attribute flags=...extract... was seen */
	bool		 extract;
};

/* the one parse under way (qfile_parse_envelope_flags) */
static struct parse	parse_state;

static int	bad(struct parse *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	parse_records(struct parse *);
static int	parse_line(struct parse *, size_t, size_t);
static int	parse_time(struct parse *, size_t, size_t);
static int	parse_attr(struct parse *, size_t, size_t);
static int	parse_rcpt(struct parse *, size_t, size_t);
static int	parse_end(struct parse *, size_t, size_t);
static int	parse_order(struct parse *, size_t, char);
static void	parse_reset(struct qfile *);
static void	tag_name(char *, size_t, unsigned char);
static bool	flags_have_mem(const char *, size_t, const char *);

/* Does the comma-separated list of n bytes hold word? */
static bool
flags_have_mem(const char *s, size_t n, const char *word)
{
	size_t	wlen = strlen(word), i, start;

	for (start = 0, i = 0; i <= n; i++) {
		if (i == n || s[i] == ',') {
			if (i - start == wlen &&
			    memcmp(s + start, word, wlen) == 0) {
				return true;
			}
			start = i + 1;
		}
	}
	return false;
}

bool
qfile_flags_have(const char *flags, const char *word)
{
	return flags != NULL && flags_have_mem(flags, strlen(flags), word);
}

/* Record the first error as "offset N: text"; always -1 with EBADMSG. */
static int
bad(struct parse *p, size_t off, const char *fmt, ...)
{
	va_list	ap;

	str_clear(&p->qf->error);
	str_catf(&p->qf->error, "offset %zu: ", off);
	va_start(ap, fmt);
	str_vcatf(&p->qf->error, fmt, ap);
	va_end(ap);
	errno = EBADMSG;
	return -1;
}

/* A record type for a message: 'X' when printable, else 0xNN. */
static void
tag_name(char *out, size_t size, unsigned char c)
{
	static const char	hex[] = "0123456789ABCDEF";

	if (size < 5) {
		return;
	}
	if (c > ' ' && c < 0x7f) {
		out[0] = '\'';
		out[1] = (char)c;
		out[2] = '\'';
		out[3] = '\0';
	} else {
		out[0] = '0';
		out[1] = 'x';
		out[2] = hex[c >> 4];
		out[3] = hex[c & 0xf];
		out[4] = '\0';
	}
}

/* Release what a previous parse left in qf, but not its descriptor. */
static void
parse_reset(struct qfile *qf)
{
	free(qf->attrs);
	free(qf->rcpts);
	qf->attrs = NULL;
	qf->rcpts = NULL;
	qf->nattr = 0;
	qf->nrcpt = 0;
	qf->sender = NULL;
	qf->arrival_sec = 0;
	qf->arrival_usec = 0;
	qf->file_size = 0;
	qf->content_offset = 0;
	qf->content_len = 0;
	qf->header_len = 0;
	str_free(&qf->mem);
	str_clear(&qf->error);
}

int
qfile_parse_envelope(const char *buf, size_t len, off_t file_size,
    struct qfile *qf)
{
	return qfile_parse_envelope_flags(buf, len, file_size, 0, qf);
}

int
qfile_parse_envelope_flags(const char *buf, size_t len, off_t file_size,
    int flags, struct qfile *qf)
{
	struct parse	*p;
	int		 rc;

	parse_reset(qf);
	if (file_size < 0 || (unsigned long long)len >
	    (unsigned long long)file_size) {
		str_set(&qf->error, "buffer longer than the file");
		errno = EINVAL;
		return -1;
	}
	/* About 1.6 KiB of offsets: static, not on the stack, and not on
	 * the heap either, where a reused agent would map and unmap a page
	 * for it every job (see qfile_raw below).  The parse is never
	 * re-entered. */
	p = &parse_state;
	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->len = len;
	p->size = (unsigned long long)file_size;
	p->qf = qf;
	p->flags = flags;
	if ((rc = parse_records(p)) != 1) {
		goto out;
	}
	/* Pass 2 over a private copy: the fields become C strings there. */
	str_set_mem(&qf->mem, buf, p->envelope_len);
	qf->attrs = xreallocarray(NULL, p->nattr > 0 ? p->nattr : 1,
	    sizeof(*qf->attrs));
	qf->rcpts = xreallocarray(NULL, p->nrcpt > 0 ? p->nrcpt : 1,
	    sizeof(*qf->rcpts));
	memset(p, 0, sizeof(*p));
	p->buf = qf->mem.s;
	p->len = qf->mem.len;
	p->size = (unsigned long long)file_size;
	p->qf = qf;
	p->flags = flags;
	p->mem = qf->mem.s;
	if ((rc = parse_records(p)) != 1) {
		/* The same bytes passed a moment ago. */
		panic("qfile_parse_envelope: second pass failed: %s",
		    str_c(&qf->error));
	}
	qf->nattr = p->nattr;
	qf->nrcpt = p->nrcpt;
	qf->file_size = file_size;
	qf->content_offset = (off_t)p->envelope_len;
	qf->content_len = (off_t)p->content_len;
	qf->header_len = (off_t)p->header_len;
out:
	if (rc != 1) {
		str_free(&qf->mem);
	}
	return rc;
}

/*
 * Walk the records up to and including E.  1: complete and consistent;
 * 0: the buffer ends first but the file does not; -1: corrupt.
 */
static int
parse_records(struct parse *p)
{
	const char	*nl;
	size_t		 pos, n, i;
	int		 rc;

	n = p->len < QFILE_MAGIC_LEN ? p->len : QFILE_MAGIC_LEN;
	for (i = 0; i < n; i++) {
		if (p->buf[i] != QFILE_MAGIC[i]) {
			if (i < QFILE_MAGIC_NAME_LEN) {
				return bad(p, i, "not a postlet queue file");
			}
			return bad(p, QFILE_MAGIC_NAME_LEN,
			    "unsupported queue file version");
		}
	}
	if (n < QFILE_MAGIC_LEN) {
		if (p->len < p->size) {
			return 0;
		}
		return bad(p, p->len, "file ends inside the first line");
	}
	p->state = PARSE_T;
	for (pos = QFILE_MAGIC_LEN;;) {
		n = p->len - pos;
		if (n > QFILE_RECORD_MAX) {
			n = QFILE_RECORD_MAX;
		}
		if ((nl = memchr(p->buf + pos, '\n', n)) == NULL) {
			if (n == QFILE_RECORD_MAX) {
				return bad(p, pos,
				    "record longer than %d bytes",
				    QFILE_RECORD_MAX);
			}
			if (p->len < p->size) {
				if (p->len >= QFILE_ENVELOPE_MAX) {
					return bad(p, pos, "envelope "
					    "longer than %d bytes",
					    QFILE_ENVELOPE_MAX);
				}
				return 0;
			}
			return bad(p, p->len, pos == p->len ?
			    "file ends before the E record" :
			    "file ends inside a record");
		}
		n = (size_t)(nl - (p->buf + pos));
		if (pos + n + 1 > QFILE_ENVELOPE_MAX) {
			return bad(p, pos, "envelope longer than %d bytes",
			    QFILE_ENVELOPE_MAX);
		}
		if ((rc = parse_line(p, pos, n)) != 0) {
			return rc;
		}
		pos += n + 1;
	}
}

/*
 * One record of n bytes at pos (without its "\n").  0: go on; 1: that was
 * the E record and the file is consistent; -1: corrupt.
 */
static int
parse_line(struct parse *p, size_t pos, size_t n)
{
	const char	*line = p->buf + pos, *c;
	char		 tag[8];

	if ((c = memchr(line, '\0', n)) != NULL) {
		return bad(p, pos + (size_t)(c - line), "NUL byte in record");
	}
	if ((c = memchr(line, '\r', n)) != NULL) {
		return bad(p, pos + (size_t)(c - line), "CR byte in record");
	}
	if (n == 0) {
		return bad(p, pos, "empty line in envelope");
	}
	switch (line[0]) {
	case 'T': case 'S': case 'A': case 'R': case 'E':
		break;
	default:
		tag_name(tag, sizeof(tag), (unsigned char)line[0]);
		return bad(p, pos, "unknown record type %s", tag);
	}
	if (n < 2 || line[1] != ' ') {
		return bad(p, pos + 1, "no space after record type '%c'",
		    line[0]);
	}
	if (parse_order(p, pos, line[0]) == -1) {
		return -1;
	}
	switch (line[0]) {
	case 'T':
		p->state = PARSE_S;
		return parse_time(p, pos, n);
	case 'S':
		p->state = PARSE_A;
		if (p->mem != NULL) {
			p->mem[pos + n] = '\0';
			p->qf->sender = p->mem + pos + 2;
		}
		return 0;
	case 'A':
		return parse_attr(p, pos, n);
	case 'R':
		p->state = PARSE_R;
		return parse_rcpt(p, pos, n);
	default:
		return parse_end(p, pos, n);
	}
}

/* Records come as T S A* R+ E, each T, S and E exactly once. */
static int
parse_order(struct parse *p, size_t pos, char tag)
{
	if (tag == 'T') {
		if (p->state != PARSE_T) {
			return bad(p, pos, "duplicate T record");
		}
		return 0;
	}
	if (p->state == PARSE_T) {
		return bad(p, pos, "'%c' record where the T record must be",
		    tag);
	}
	if (tag == 'S') {
		if (p->state != PARSE_S) {
			return bad(p, pos, "duplicate S record");
		}
		return 0;
	}
	if (p->state == PARSE_S) {
		return bad(p, pos, "'%c' record where the S record must be",
		    tag);
	}
	if (tag == 'A' && p->state == PARSE_R) {
		return bad(p, pos, "A record after an R record");
	}
	/* A maildrop file of sendmail -t may name no recipient at all. */
	if (tag == 'E' && p->state != PARSE_R &&
	    !((p->flags & QFILE_READ_MAILDROP) && p->extract)) {
		return bad(p, pos, "E record before any R record");
	}
	return 0;
}

/* "T seconds.microseconds", microseconds as exactly six digits. */
static int
parse_time(struct parse *p, size_t pos, size_t n)
{
	const char		*v = p->buf + pos + 2, *dot;
	size_t			 vlen = n - 2, slen;
	unsigned long long	 sec, usec;

	dot = memchr(v, '.', vlen);
	slen = dot != NULL ? (size_t)(dot - v) : vlen;
	if (dot == NULL || vlen - slen - 1 != 6 ||
	    scan_uint_mem(v, slen, (unsigned long long)QID_SEC_MAX,
	    &sec) == -1 ||
	    scan_uint_mem(dot + 1, 6, 999999, &usec) == -1) {
		return bad(p, pos + 2, "bad arrival time");
	}
	p->qf->arrival_sec = (long long)sec;
	p->qf->arrival_usec = (long)usec;
	return 0;
}

/* "A name=value", name [a-z0-9_]+, each name once. */
static int
parse_attr(struct parse *p, size_t pos, size_t n)
{
	const char	*v = p->buf + pos + 2;
	size_t		 vlen = n - 2, i, k;

	for (i = 0; i < vlen && v[i] != '='; i++) {
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		    (v[i] >= '0' && v[i] <= '9') || v[i] == '_')) {
			return bad(p, pos + 2 + i,
			    "bad character in attribute name");
		}
	}
	if (i == vlen) {
		return bad(p, pos + 2, "attribute without '='");
	}
	if (i == 0) {
		return bad(p, pos + 2, "empty attribute name");
	}
	if (p->nattr == QFILE_ATTR_MAX) {
		return bad(p, pos, "more than %d attributes", QFILE_ATTR_MAX);
	}
	for (k = 0; k < p->nattr; k++) {
		if (p->attr_len[k] == i &&
		    memcmp(p->buf + p->attr_name[k], v, i) == 0) {
			return bad(p, pos + 2, "duplicate attribute %.*s",
			    (int)i, v);
		}
	}
	p->attr_name[p->nattr] = pos + 2;
	p->attr_len[p->nattr] = i;
	if (i == 5 && memcmp(v, "flags", 5) == 0 &&
	    flags_have_mem(v + 6, vlen - 6, "extract")) {
		p->extract = true;
	}
	if (p->mem != NULL) {
		p->mem[pos + 2 + i] = '\0';
		p->mem[pos + n] = '\0';
		p->qf->attrs[p->nattr].name = p->mem + pos + 2;
		p->qf->attrs[p->nattr].value = p->mem + pos + 2 + i + 1;
	}
	p->nattr++;
	return 0;
}

/* "R status notify orcpt address"; the address is the rest of the line. */
static int
parse_rcpt(struct parse *p, size_t pos, size_t n)
{
	const char	*line = p->buf + pos, *sp;
	size_t		 notify_at, orcpt_at, addr_at;
	unsigned	 notify;
	char		 tag[8];

	if (n < 3 || !QFILE_STATUS_VALID(line[2])) {
		if (n < 3) {
			return bad(p, pos + n, "recipient record too short");
		}
		tag_name(tag, sizeof(tag), (unsigned char)line[2]);
		return bad(p, pos + 2, "bad recipient status %s", tag);
	}
	if (n < 4 || line[3] != ' ') {
		return bad(p, pos + 3, "no space after recipient status");
	}
	notify_at = 4;
	if ((sp = memchr(line + notify_at, ' ', n - notify_at)) == NULL) {
		return bad(p, pos + n, "recipient record too short");
	}
	orcpt_at = (size_t)(sp - line) + 1;
	if (qfile_notify_parse(line + notify_at, orcpt_at - 1 - notify_at,
	    &notify) == -1) {
		return bad(p, pos + notify_at, "bad NOTIFY list");
	}
	if ((sp = memchr(line + orcpt_at, ' ', n - orcpt_at)) == NULL) {
		return bad(p, pos + n, "recipient record too short");
	}
	addr_at = (size_t)(sp - line) + 1;
	if (!(addr_at - 1 - orcpt_at == 1 && line[orcpt_at] == '-') &&
	    !qfile_xtext_valid(line + orcpt_at, addr_at - 1 - orcpt_at)) {
		return bad(p, pos + orcpt_at, "bad ORCPT value");
	}
	if (addr_at == n) {
		return bad(p, pos + n, "empty recipient address");
	}
	if (p->nrcpt == QFILE_RCPT_MAX) {
		return bad(p, pos, "more than %d recipients", QFILE_RCPT_MAX);
	}
	if (p->mem != NULL) {
		struct qfile_rcpt	*r = &p->qf->rcpts[p->nrcpt];

		p->mem[pos + orcpt_at - 1] = '\0';
		p->mem[pos + addr_at - 1] = '\0';
		p->mem[pos + n] = '\0';
		r->status = line[2];
		r->status_offset = (off_t)(pos + 2);
		r->notify = notify;
		r->orcpt = line[orcpt_at] == '-' && addr_at - orcpt_at == 2 ?
		    NULL : p->mem + pos + orcpt_at;
		r->address = p->mem + pos + addr_at;
	}
	p->nrcpt++;
	return 0;
}

/*
 * "E content-length header-length", each exactly 20 decimal digits (the
 * writer fills them in place).  Checks them against the file size, and
 * the trailer when the buffer holds the whole file.
 */
static int
parse_end(struct parse *p, size_t pos, size_t n)
{
	const char		*line = p->buf + pos;
	unsigned long long	 clen, hlen, rest;
	size_t			 end;

	if (n != QFILE_E_LEN || line[2 + QFILE_LEN_DIGITS] != ' ' ||
	    scan_uint_mem(line + 2, QFILE_LEN_DIGITS, QFILE_OFF_MAX,
	    &clen) == -1 ||
	    scan_uint_mem(line + 3 + QFILE_LEN_DIGITS, QFILE_LEN_DIGITS,
	    QFILE_OFF_MAX, &hlen) == -1) {
		return bad(p, pos + 2, "bad E record");
	}
	if (hlen > clen) {
		return bad(p, pos + 3 + QFILE_LEN_DIGITS,
		    "header length %llu exceeds content length %llu", hlen,
		    clen);
	}
	end = pos + n + 1;
	rest = p->size - end;	/* end <= len <= size */
	if (rest < QFILE_TRAILER_LEN || rest - QFILE_TRAILER_LEN != clen) {
		return bad(p, pos + 2, "content length %llu does not match "
		    "file size %llu", clen, p->size);
	}
	if (p->len == p->size && memcmp(p->buf + p->size - QFILE_TRAILER_LEN,
	    QFILE_TRAILER, QFILE_TRAILER_LEN) != 0) {
		return bad(p, (size_t)(p->size - QFILE_TRAILER_LEN),
		    "no END trailer");
	}
	p->content_len = clen;
	p->header_len = hlen;
	p->envelope_len = end;
	return 1;
}

int
qfile_open(const char *path, int oflags, struct qfile *qf)
{
	return qfile_open_flags(path, oflags, 0, qf);
}

/*
 * The buffer qfile_open_flags reads an envelope into, kept for the next
 * queue file: a reused delivery agent or qmgr opens one per job, and a
 * buffer freed each time would hand its page back to the system (musl's
 * malloc unmaps an empty group) only to map it again for the next job.
 * One grown over QFILE_RAW_KEEP is freed after use.
 */
#define QFILE_RAW_KEEP	(64 * 1024)
static struct str	qfile_raw = STR_INIT;

static void
raw_release(struct str *raw)
{
	if (raw->cap > QFILE_RAW_KEEP) {
		str_free(raw);
	} else {
		str_clear(raw);
	}
}

int
qfile_open_flags(const char *path, int oflags, int flags, struct qfile *qf)
{
	struct stat	 st;
	struct str	*raw = &qfile_raw;
	char		 tail[QFILE_TRAILER_LEN];
	size_t		 want, got;
	ssize_t		 n;
	int		 rc, saved;

	qfile_close(qf);
	str_clear(raw);
	oflags &= O_ACCMODE;
	if (oflags != O_RDONLY && oflags != O_RDWR) {
		str_set(&qf->error, "open: bad mode");
		errno = EINVAL;
		return -1;
	}
	/*
	 * O_NONBLOCK: a FIFO planted under the name must not hang us in
	 * open(2) until the S_ISREG check below; it does not change reads
	 * of a regular file.  No access time: qmgr and the agent read the
	 * file just written, which relatime would stamp each time.
	 */
	if ((qf->fd = fd_open_noatime(path, oflags | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK, 0)) == -1) {
		str_catf(&qf->error, "open: %s", strerror(errno));
		return -1;
	}
	if (fstat(qf->fd, &st) == -1) {
		str_catf(&qf->error, "fstat: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		str_set(&qf->error, "offset 0: not a regular file");
		errno = EBADMSG;
		return -1;
	}
	/* Read more until the parser has the whole envelope. */
	want = QFILE_READ_FIRST;
	for (;;) {
		if ((unsigned long long)want > (unsigned long long)st.st_size) {
			want = (size_t)st.st_size;
		}
		if (want > raw->len) {
			str_reserve(raw, want - raw->len);
		}
		while (raw->len < want) {
			n = pread(qf->fd, raw->s + raw->len, want - raw->len,
			    (off_t)raw->len);
			if (n == -1 && errno == EINTR) {
				continue;
			}
			if (n == -1) {
				saved = errno;
				raw_release(raw);
				str_catf(&qf->error, "read: %s",
				    strerror(saved));
				errno = saved;
				return -1;
			}
			if (n == 0) {
				/* Shrunk under us: judge what is there. */
				st.st_size = (off_t)raw->len;
				want = raw->len;
				break;
			}
			raw->len += (size_t)n;
		}
		rc = qfile_parse_envelope_flags(raw->s != NULL ? raw->s : "",
		    raw->len, st.st_size, flags, qf);
		if (rc != 0) {
			break;
		}
		want = raw->len * 2;
		if (want > QFILE_ENVELOPE_MAX + QFILE_TRAILER_LEN) {
			want = QFILE_ENVELOPE_MAX + QFILE_TRAILER_LEN;
		}
	}
	saved = errno;
	got = raw->len;
	raw_release(raw);
	if (rc == -1) {
		errno = saved;
		return -1;
	}
	if ((unsigned long long)got < (unsigned long long)st.st_size) {
		do {
			n = pread(qf->fd, tail, sizeof(tail),
			    st.st_size - QFILE_TRAILER_LEN);
		} while (n == -1 && errno == EINTR);
		if (n == -1) {
			saved = errno;
			str_catf(&qf->error, "read: %s", strerror(saved));
			errno = saved;
			return -1;
		}
		if (n != QFILE_TRAILER_LEN ||
		    memcmp(tail, QFILE_TRAILER, QFILE_TRAILER_LEN) != 0) {
			str_clear(&qf->error);
			str_catf(&qf->error, "offset %lld: no END trailer",
			    (long long)(st.st_size - QFILE_TRAILER_LEN));
			errno = EBADMSG;
			return -1;
		}
	}
	return 0;
}

const char *
qfile_attr(const struct qfile *qf, const char *name)
{
	size_t	i;

	for (i = 0; i < qf->nattr; i++) {
		if (strcmp(qf->attrs[i].name, name) == 0) {
			return qf->attrs[i].value;
		}
	}
	return NULL;
}

void
qfile_close(struct qfile *qf)
{
	int	saved = errno;

	if (qf->fd != -1) {
		(void)close(qf->fd);
		qf->fd = -1;
	}
	parse_reset(qf);
	str_free(&qf->error);
	errno = saved;
}
