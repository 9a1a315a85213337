/* SPDX-License-Identifier: ISC */
/*
 * submit.c: tests of lib/submit: the reader (every record, every order
 * violation with its exact message, lengths at and one past each limit,
 * NUL and CR, input that ends anywhere, all of it also read one byte per
 * read(2)), the R value splitter, the writers (exact bytes, refusals that
 * write nothing, content split into chunks, a round trip) and both sides
 * of the reply line, and the early queue ID answer (F early-id): each
 * accepted and refused line, a final answer in its place, a timeout on a
 * silent pipe, and the ID then OK read from one stream; and
 * submit_start_cleanup on a socket (a chrooted submitter): a server
 * here takes the submission and answers on the same connection, and a
 * missing socket is an error that names it.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "buf.h"
#include "dsn.h"
#include "str.h"
#include "submit.h"
#include "tap.h"

/* Input from memory, at most chunk bytes per read. */
struct src {
	const char	*data;
	size_t		 len, pos, chunk;
};

/* Output into memory. */
struct sink {
	struct str	 data;
};

struct get_case {
	const char	*name;
	const char	*input;
	size_t		 len;		/* 0: strlen(input) */
	int		 nrec;		/* records read with 1 */
	int		 last;		/* then this result */
	const char	*why;		/* and this reason */
};

static ssize_t	src_read(struct buf *, void *, size_t, long long);
static ssize_t	sink_write(struct buf *, const void *, size_t, long long);
static void	reader(struct buf *, struct src *, unsigned char *, size_t,
		    const char *, size_t, size_t);
static void	writer(struct buf *, struct sink *, unsigned char *, size_t);
static void	run_get_case(const struct get_case *, size_t);
static void	test_get(void);
static void	test_get_values(void);
static void	test_limits(void);
static void	test_split(void);
static void	test_put(void);
static void	test_replies(void);
static void	test_early_id(void);
static void	test_socket(void);

static ssize_t
src_read(struct buf *b, void *p, size_t n, long long deadline)
{
	struct src	*s = b->ctx;

	(void)deadline;
	if (s->pos == s->len) {
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
	str_cat_mem(&s->data, p, n);
	return (ssize_t)n;
}

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
writer(struct buf *b, struct sink *s, unsigned char *mem, size_t size)
{
	s->data = (struct str)STR_INIT;
	buf_init_fd(b, -1, mem, size, -1);
	buf_set_io(b, NULL, sink_write, s);
}

static const struct get_case get_cases[] = {
	{ "minimal", "S a\nE\n", 0, 2, 0, "" },
	{ "null sender", "S \nR - - b\nE\n", 0, 3, 0, "" },
	{ "all records", "F extract\nS a\nA x=y\nR - - b\nA z=\nD 2\nhiD 1"
	    "\n!E\n", 0, 8, 0, "" },
	{ "empty input", "", 0, 0, -1, "end of input before the E record" },
	{ "no E", "S a\nR - - b\n", 0, 2, -1,
	    "end of input before the E record" },
	{ "E without newline", "S a\nE", 0, 1, -1,
	    "last record without a newline" },
	{ "F twice", "F a\nF b\n", 0, 1, -1, "misplaced record (record F)" },
	{ "F after S", "S a\nF b\n", 0, 1, -1,
	    "misplaced record (record F)" },
	{ "S twice", "S a\nS b\n", 0, 1, -1, "misplaced record (record S)" },
	{ "A first", "A x=y\n", 0, 0, -1, "misplaced record (record A)" },
	{ "R first", "R - - a\n", 0, 0, -1, "misplaced record (record R)" },
	{ "R after F", "F x\nR - - a\n", 0, 1, -1,
	    "misplaced record (record R)" },
	{ "D first", "D 1\nx", 0, 0, -1, "misplaced record (record D)" },
	{ "E first", "E\n", 0, 0, -1, "misplaced record (record E)" },
	{ "R after D", "S a\nD 1\nxR - - b\n", 0, 2, -1,
	    "misplaced record (record R)" },
	{ "A after D", "S a\nD 1\nxA a=b\n", 0, 2, -1,
	    "misplaced record (record A)" },
	{ "S after E", "S a\nE\nS b\n", 0, 2, -1,
	    "misplaced record (record S)" },
	{ "A without =", "S a\nA novalue\n", 0, 1, -1,
	    "attribute without name=value (record A)" },
	{ "A without name", "S a\nA =v\n", 0, 1, -1,
	    "attribute without name=value (record A)" },
	{ "A empty", "S a\nA \n", 0, 1, -1,
	    "attribute without name=value (record A)" },
	{ "unknown", "S a\nX y\n", 0, 1, -1, "unknown record (record X)" },
	{ "lowercase", "s a\n", 0, 0, -1, "unknown record (record s)" },
	{ "no space", "S a\nRx\n", 0, 1, -1, "malformed record (record R)" },
	{ "tag alone", "S\n", 0, 0, -1, "malformed record (record S)" },
	{ "empty line", "\n", 0, 0, -1, "malformed record (record ?)" },
	{ "E with a value", "S a\nE x\n", 0, 1, -1,
	    "malformed record (record E)" },
	{ "E with a space", "S a\nE \n", 0, 1, -1,
	    "malformed record (record E)" },
	{ "NUL", "S a\0b\n", 6, 0, -1, "NUL or CR in a record (record S)" },
	{ "CR", "S a\r\n", 0, 0, -1, "NUL or CR in a record (record S)" },
	{ "control tag", "\001 a\n", 0, 0, -1, "unknown record (record ?)" },
	{ "D 0", "S a\nD 0\n", 0, 1, -1, "bad content length (record D)" },
	{ "D sign", "S a\nD +1\nx", 0, 1, -1,
	    "bad content length (record D)" },
	{ "D minus", "S a\nD -1\n", 0, 1, -1,
	    "bad content length (record D)" },
	{ "D junk", "S a\nD 1x\nx", 0, 1, -1,
	    "bad content length (record D)" },
	{ "D empty", "S a\nD \n", 0, 1, -1,
	    "bad content length (record D)" },
	{ "D 65537", "S a\nD 65537\n", 0, 1, -1,
	    "bad content length (record D)" },
	{ "D huge", "S a\nD 99999999999999999999999\n", 0, 1, -1,
	    "bad content length (record D)" },
	{ "D short", "S a\nD 5\nab", 0, 1, -1,
	    "end of input inside content (record D)" },
	{ "D then nothing", "S a\nD 1\nx", 0, 2, -1,
	    "end of input before the E record" },
	{ "D holds anything", "S a\nD 4\n\0\r\nEE\n", 14, 3, 0, "" },
};

static void
run_get_case(const struct get_case *c, size_t chunk)
{
	unsigned char		 mem[2 * 8192];
	struct buf		 b;
	struct src		 s;
	struct submit_reader	 rd = SUBMIT_READER_INIT;
	struct submit_record	 rec = SUBMIT_RECORD_INIT;
	struct str		 why = STR_INIT;
	int			 n = 0, r;

	reader(&b, &s, mem, sizeof(mem), c->input,
	    c->len != 0 ? c->len : strlen(c->input), chunk);
	while ((r = submit_get(&b, &rd, &rec, &why)) == 1 && n < 100) {
		n++;
	}
	is_int(n, c->nrec, "%s (reads of %zu): records", c->name, chunk);
	is_int(r, c->last, "%s (reads of %zu): result", c->name, chunk);
	is_str(str_c(&why), c->why, "%s (reads of %zu): reason", c->name,
	    chunk);
	if (r == -1) {
		is_int(errno, EBADMSG, "%s (reads of %zu): EBADMSG", c->name,
		    chunk);
	}
	submit_record_free(&rec);
	str_free(&why);
}

static void
test_get(void)
{
	size_t	i;

	for (i = 0; i < sizeof(get_cases) / sizeof(get_cases[0]); i++) {
		run_get_case(&get_cases[i], 1);
		run_get_case(&get_cases[i], 4096);
	}
}

/* The values and the state the reader reports. */
static void
test_get_values(void)
{
	static const char	 in[] = "F extract\nS a@b\nA x=y=z\n"
	    "R NEVER - b c\nD 3\nab\nD 1\n\nE\n";
	static const char	 tags[] = "FSARDDE";
	static const char *const values[] = { "extract", "a@b", "x=y=z",
	    "NEVER - b c", "ab\n", "\n", "" };
	unsigned char		 mem[2 * 8192];
	struct buf		 b;
	struct src		 s;
	struct submit_reader	 rd = SUBMIT_READER_INIT;
	struct submit_record	 rec = SUBMIT_RECORD_INIT;
	struct str		 why = STR_INIT;
	size_t			 i;

	reader(&b, &s, mem, sizeof(mem), in, sizeof(in) - 1, 3);
	for (i = 0; i < sizeof(tags) - 1; i++) {
		is_int(submit_get(&b, &rd, &rec, &why), 1, "values: read %zu",
		    i);
		is_int(rec.tag, tags[i], "values: tag %c", tags[i]);
		is_mem(rec.value.s, rec.value.len, values[i],
		    strlen(values[i]), "values: value of %c", tags[i]);
	}
	is_int(rd.phase, SUBMIT_DONE, "values: phase done");
	is_int((long long)rd.content_bytes, 4, "values: content bytes");
	is_int(submit_get(&b, &rd, &rec, &why), 0, "values: end after E");
	submit_record_free(&rec);
	str_free(&why);
}

/* Record lines of QFILE_RECORD_MAX bytes pass, one more does not; D of
 * SUBMIT_CHUNK_MAX bytes passes. */
static void
test_limits(void)
{
	unsigned char		 mem[2 * 8192];
	struct buf		 b;
	struct src		 s;
	struct submit_reader	 rd;
	struct submit_record	 rec = SUBMIT_RECORD_INIT;
	struct str		 in = STR_INIT, why = STR_INIT;
	size_t			 i;

	/* "S " + value + "\n" = QFILE_RECORD_MAX */
	str_set(&in, "S ");
	for (i = 0; i < QFILE_RECORD_MAX - 3; i++) {
		str_cat_char(&in, 'x');
	}
	str_cat(&in, "\nE\n");
	rd = (struct submit_reader)SUBMIT_READER_INIT;
	reader(&b, &s, mem, sizeof(mem), in.s, in.len, 4096);
	is_int(submit_get(&b, &rd, &rec, &why), 1, "record at the limit");
	is_int((long long)rec.value.len, QFILE_RECORD_MAX - 3,
	    "record at the limit: value");
	is_int(submit_get(&b, &rd, &rec, &why), 1, "record at the limit: E");

	str_set(&in, "S x");
	for (i = 0; i < QFILE_RECORD_MAX - 3; i++) {
		str_cat_char(&in, 'x');
	}
	str_cat(&in, "\nE\n");
	rd = (struct submit_reader)SUBMIT_READER_INIT;
	reader(&b, &s, mem, sizeof(mem), in.s, in.len, 7);
	is_int(submit_get(&b, &rd, &rec, &why), -1, "record over the limit");
	is_str(why.s, "record too long", "record over the limit: reason");

	str_set(&in, "S a\n");
	str_catf(&in, "D %d\n", SUBMIT_CHUNK_MAX);
	for (i = 0; i < SUBMIT_CHUNK_MAX; i++) {
		str_cat_char(&in, (int)(i % 251));
	}
	str_cat(&in, "E\n");
	rd = (struct submit_reader)SUBMIT_READER_INIT;
	reader(&b, &s, mem, sizeof(mem), in.s, in.len, 1000);
	is_int(submit_get(&b, &rd, &rec, &why), 1, "D at the limit: S");
	is_int(submit_get(&b, &rd, &rec, &why), 1, "D at the limit");
	is_int((long long)rec.value.len, SUBMIT_CHUNK_MAX,
	    "D at the limit: length");
	ok(rec.value.s[SUBMIT_CHUNK_MAX - 1] ==
	    (char)((SUBMIT_CHUNK_MAX - 1) % 251) &&
	    rec.value.s[SUBMIT_CHUNK_MAX] == '\0',
	    "D at the limit: the bytes, and the NUL guard");
	is_int(submit_get(&b, &rd, &rec, &why), 1, "D at the limit: E");
	submit_record_free(&rec);
	str_free(&in);
	str_free(&why);
}

static void
test_split(void)
{
	static const struct {
		const char	*in;
		int		 rc;
		const char	*notify, *orcpt, *address;
	} cases[] = {
		{ "- - a@b", 0, "", "", "a@b" },
		{ "NEVER rfc822;a+40b a b", 0, "NEVER", "rfc822;a+40b",
		    "a b" },
		{ "SUCCESS,DELAY - x", 0, "SUCCESS,DELAY", "", "x" },
		{ "a", -1, NULL, NULL, NULL },
		{ "- a", -1, NULL, NULL, NULL },
		{ "- - ", -1, NULL, NULL, NULL },
		{ " - a", -1, NULL, NULL, NULL },
		{ "-  a", -1, NULL, NULL, NULL },
		{ "", -1, NULL, NULL, NULL },
	};
	struct str	n = STR_INIT, o = STR_INIT, a = STR_INIT;
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		is_int(submit_split_rcpt(cases[i].in, &n, &o, &a),
		    cases[i].rc, "split \"%s\"", cases[i].in);
		if (cases[i].rc == 0) {
			ok(str_eq(&n, cases[i].notify) &&
			    str_eq(&o, cases[i].orcpt) &&
			    str_eq(&a, cases[i].address),
			    "split \"%s\": fields", cases[i].in);
		} else {
			is_int(errno, EBADMSG, "split \"%s\": EBADMSG",
			    cases[i].in);
		}
	}
	str_free(&n);
	str_free(&o);
	str_free(&a);
}

static void
test_put(void)
{
	unsigned char		 mem[2 * 4096], rmem[2 * 8192];
	struct buf		 b, rb;
	struct sink		 out;
	struct src		 s;
	struct submit_reader	 rd = SUBMIT_READER_INIT;
	struct submit_record	 rec = SUBMIT_RECORD_INIT;
	struct str		 big = STR_INIT, want = STR_INIT;
	struct str		 why = STR_INIT;
	struct str		 content = STR_INIT;
	size_t			 i;
	int			 r;

	writer(&b, &out, mem, sizeof(mem));
	is_int(submit_put(&b, 'F', "extract"), 0, "put F");
	is_int(submit_put(&b, 'S', ""), 0, "put S (null sender)");
	is_int(submit_put(&b, 'A', "a=b"), 0, "put A");
	is_int(submit_put_rcpt(&b, NULL, "", "x y"), 0, "put R, no DSN");
	is_int(submit_put_rcpt(&b, "NEVER", "rfc822;z", "z"), 0,
	    "put R with DSN");
	errno = 0;
	is_int(submit_put(&b, 'S', "a\nb"), -1, "put: LF refused");
	is_int(errno, EINVAL, "put: LF refused: EINVAL");
	is_int(submit_put(&b, 'S', "a\rb"), -1, "put: CR refused");
	is_int(submit_put_rcpt(&b, "A B", NULL, "x"), -1,
	    "put R: space in notify refused");
	is_int(submit_put_rcpt(&b, NULL, "a b", "x"), -1,
	    "put R: space in orcpt refused");
	is_int(submit_put_rcpt(&b, NULL, NULL, ""), -1,
	    "put R: empty address refused");
	str_set(&big, "a=");
	for (i = 2; i < QFILE_RECORD_MAX - 3; i++) {
		str_cat_char(&big, 'v');
	}
	is_int(submit_put(&b, 'A', big.s), 0, "put: record at the limit");
	str_cat_char(&big, 'v');
	is_int(submit_put(&b, 'A', big.s), -1, "put: record over the limit");
	for (i = 0; i < SUBMIT_CHUNK_MAX + 10; i++) {
		str_cat_char(&content, "ab\n"[i % 3]);
	}
	submit_put_content(&b, content.s, content.len);
	submit_put_content(&b, "", 0);
	submit_put_end(&b);
	is_int(buf_flush(&b), 0, "put: flush");

	str_set(&want, "F extract\nS \nA a=b\nR - - x y\n"
	    "R NEVER rfc822;z z\nA ");
	str_cat_mem(&want, big.s, big.len - 1);
	str_catf(&want, "\nD %d\n", SUBMIT_CHUNK_MAX);
	str_cat_mem(&want, content.s, SUBMIT_CHUNK_MAX);
	str_cat(&want, "D 10\n");
	str_cat_mem(&want, content.s + SUBMIT_CHUNK_MAX, 10);
	str_cat(&want, "E\n");
	is_mem(out.data.s, out.data.len, want.s, want.len,
	    "put: the exact bytes; refused records wrote nothing");

	/* And the reader takes back what the writer wrote. */
	reader(&rb, &s, rmem, sizeof(rmem), out.data.s, out.data.len, 999);
	str_clear(&big);
	while ((r = submit_get(&rb, &rd, &rec, &why)) == 1) {
		if (rec.tag == 'D') {
			str_cat_mem(&big, rec.value.s, rec.value.len);
		}
	}
	is_int(r, 0, "round trip: read to the end");
	is_mem(big.s, big.len, content.s, content.len,
	    "round trip: the content");
	submit_record_free(&rec);
	str_free(&big);
	str_free(&want);
	str_free(&why);
	str_free(&content);
	str_free(&out.data);
}

static void
test_replies(void)
{
	static const struct {
		const char	*in;
		int		 rc;
		enum dsn_status	 status;
		const char	*text;
	} cases[] = {
		{ "OK 0123ABC\n", 0, DSN_OK, "0123ABC" },
		{ "TEMP 4.3.0 try later\n", 0, DSN_TEMP, "4.3.0 try later" },
		{ "PERM 5.1.3 No recipients specified\n", 0, DSN_PERM,
		    "5.1.3 No recipients specified" },
		{ "PERM 4.1.1 x\n", -1, DSN_TEMP,
		    "4.3.0 bad reply from the queue" },
		{ "TEMP 5.1.1 x\n", -1, DSN_TEMP,
		    "4.3.0 bad reply from the queue" },
		{ "TEMP\n", -1, DSN_TEMP, "4.3.0 bad reply from the queue" },
		{ "OK \n", -1, DSN_TEMP, "4.3.0 bad reply from the queue" },
		{ "OK 123", -1, DSN_TEMP, "4.3.0 bad reply from the queue" },
		{ "ok 123\n", -1, DSN_TEMP,
		    "4.3.0 bad reply from the queue" },
		{ "", -1, DSN_TEMP, "4.3.0 no reply from the queue" },
	};
	unsigned char	 mem[2 * 8192];
	struct buf	 b;
	struct src	 s;
	struct sink	 out;
	struct str	 text = STR_INIT, big = STR_INIT;
	enum dsn_status	 st;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reader(&b, &s, mem, sizeof(mem), cases[i].in,
		    strlen(cases[i].in), 2);
		st = DSN_OK;
		is_int(submit_get_reply(&b, &st, &text), cases[i].rc,
		    "get reply %zu: result", i);
		ok(st == cases[i].status && str_eq(&text, cases[i].text),
		    "get reply %zu: status and text (%s)", i, str_c(&text));
	}

	writer(&b, &out, mem, sizeof(mem));
	is_int(submit_put_reply(&b, DSN_OK, NULL, "ABC"), 0, "put reply OK");
	is_int(submit_put_reply(&b, DSN_TEMP, "4.4.1", "later"), 0,
	    "put reply TEMP");
	is_int(submit_put_reply(&b, DSN_PERM, "4.4.1", "wrong class"), 0,
	    "put reply with a code of the wrong class");
	is_int(submit_put_reply(&b, DSN_PERM, "5.1.1", "a\nb\rc"), 0,
	    "put reply with line breaks");
	is_str(out.data.s, "OK ABC\nTEMP 4.4.1 later\n"
	    "PERM 5.3.0 wrong class\nPERM 5.1.1 a b c\n",
	    "put reply: the exact lines");
	str_free(&out.data);

	for (i = 0; i < 2 * QFILE_RECORD_MAX; i++) {
		str_cat_char(&big, 't');
	}
	writer(&b, &out, mem, sizeof(mem));
	is_int(submit_put_reply(&b, DSN_TEMP, "4.3.0", big.s), 0,
	    "put reply: long text");
	is_int((long long)out.data.len, QFILE_RECORD_MAX,
	    "put reply: cut to one record");
	ok(out.data.s[out.data.len - 1] == '\n' &&
	    memchr(out.data.s, '\n', out.data.len - 1) == NULL,
	    "put reply: still one line");
	str_free(&out.data);
	str_free(&big);
	str_free(&text);
}

static void
test_early_id(void)
{
	static const struct {
		const char	*in;
		size_t		 len;		/* 0: strlen(in) */
		int		 rc;
		enum dsn_status	 status;
		const char	*text;
	} cases[] = {
		{ "ID 06747A1B3F0A2C1B7D3\n", 0, 1, DSN_OK,
		    "06747A1B3F0A2C1B7D3" },
		{ "ID 0123456789ABCDE\n", 0, 1, DSN_OK, "0123456789ABCDE" },
		{ "TEMP 4.3.0 table error\n", 0, 0, DSN_TEMP,
		    "4.3.0 table error" },
		{ "PERM 5.1.7 bad sender address\n", 0, 0, DSN_PERM,
		    "5.1.7 bad sender address" },
		/* not an ID: too short, lowercase, a space, NUL, nothing */
		{ "ID 0123456789ABCD\n", 0, -1, DSN_TEMP,
		    "4.3.0 bad queue ID answer from the queue" },
		{ "ID 0123456789abcde\n", 0, -1, DSN_TEMP,
		    "4.3.0 bad queue ID answer from the queue" },
		{ "ID 0123456789ABCDE \n", 0, -1, DSN_TEMP,
		    "4.3.0 bad queue ID answer from the queue" },
		{ "ID 0123456789ABCDE\0X\n", 21, -1, DSN_TEMP,
		    "4.3.0 bad queue ID answer from the queue" },
		{ "ID \n", 0, -1, DSN_TEMP,
		    "4.3.0 bad queue ID answer from the queue" },
		{ "ID 0123456789ABCDE", 0, -1, DSN_TEMP,
		    "4.3.0 bad queue ID answer from the queue" },
		/* "OK" cannot come before the content */
		{ "OK 0123456789ABCDE\n", 0, -1, DSN_TEMP,
		    "4.3.0 bad queue ID answer from the queue" },
		{ "PERM 4.1.1 x\n", 0, -1, DSN_TEMP,
		    "4.3.0 bad queue ID answer from the queue" },
		{ "id 0123456789ABCDE\n", 0, -1, DSN_TEMP,
		    "4.3.0 bad queue ID answer from the queue" },
		{ "", 0, -1, DSN_TEMP, "4.3.0 no queue ID from the queue" },
	};
	static const char	 both[] = "ID 0123456789ABCDE\n"
	    "OK 0123456789ABCDE\n";
	unsigned char	 mem[2 * 8192];
	struct buf	 b;
	struct src	 s;
	struct sink	 out;
	struct str	 text = STR_INIT, big = STR_INIT;
	enum dsn_status	 st;
	size_t		 i, k;
	int		 fds[2];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reader(&b, &s, mem, sizeof(mem), cases[i].in, cases[i].len ?
		    cases[i].len : strlen(cases[i].in), 2);
		st = DSN_OK;
		str_set(&text, "old");
		is_int(submit_get_early_id(&b, &st, &text), cases[i].rc,
		    "early ID %zu: result", i);
		ok(st == cases[i].status && str_eq(&text, cases[i].text),
		    "early ID %zu: status and text (%s)", i, str_c(&text));
	}
	/* a line over one record: refused, not read on without bound */
	for (k = 0; k < 2 * QFILE_RECORD_MAX; k++) {
		str_cat_char(&big, 'A');
	}
	str_cat_char(&big, '\n');
	reader(&b, &s, mem, sizeof(mem), big.s, big.len, 4096);
	is_int(submit_get_early_id(&b, &st, &text), -1,
	    "early ID: a long line is refused");
	is_str(text.s, "4.3.0 bad queue ID answer from the queue",
	    "early ID: a long line's text");

	/* the ID, then the final answer, from one stream */
	reader(&b, &s, mem, sizeof(mem), both, strlen(both), 1);
	is_int(submit_get_early_id(&b, &st, &text), 1, "ID then OK: the ID");
	is_str(text.s, "0123456789ABCDE", "ID then OK: the ID's text");
	is_int(submit_get_reply(&b, &st, &text), 0, "ID then OK: the OK");
	ok(st == DSN_OK && str_eq(&text, "0123456789ABCDE"),
	    "ID then OK: the same ID");

	/* a receiver that says nothing: a bounded wait */
	if (pipe(fds) == -1) {
		ok(0, "pipe: %s", strerror(errno));
		exit(1);
	}
	buf_init_fd(&b, fds[0], mem, sizeof(mem), 50);
	is_int(submit_get_early_id(&b, &st, &text), -1,
	    "early ID: silence times out");
	ok(st == DSN_TEMP && str_eq(&text,
	    "4.3.0 timeout waiting for the queue ID"),
	    "early ID: the timeout's text (%s)", str_c(&text));
	(void)close(fds[1]);
	is_int(submit_get_early_id(&b, &st, &text), -1,
	    "early ID: end of input");
	is_str(text.s, "4.3.0 no queue ID from the queue",
	    "early ID: the end of input's text");
	(void)close(fds[0]);

	writer(&b, &out, mem, sizeof(mem));
	is_int(submit_put_early_id(&b, "0123456789ABCDE"), 0, "put early ID");
	is_str(out.data.s, "ID 0123456789ABCDE\n", "put early ID: the line");
	str_free(&out.data);
	str_free(&text);
	str_free(&big);
}

/* The server side of test_socket, in a child: one connection, the
 * bytes until "E\n", then an answer; exit 0 when all went so. */
static int
socket_server(int ls)
{
	char	buf[512];
	size_t	len = 0;
	ssize_t	n;
	int	c;

	if ((c = accept(ls, NULL, NULL)) == -1) {
		return 1;
	}
	while (len < sizeof(buf) - 1 && (len < 2 ||
	    memcmp(buf + len - 2, "E\n", 2) != 0)) {
		if ((n = read(c, buf + len, sizeof(buf) - 1 - len)) <= 0) {
			return 2;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (strcmp(buf, "S a@example.org\nR - - b@example.org\nE\n") != 0) {
		return 3;
	}
	if (write(c, "OK 0123ABC\n", 11) != 11) {
		return 4;
	}
	(void)close(c);
	return 0;
}

static void
test_socket(void)
{
	static unsigned char	 tomem[256], frommem[256];
	struct sockaddr_un	 sun;
	struct submit_cleanup	 sc;
	struct proc		 p;
	struct buf		 to, from;
	struct str		 why = STR_INIT, text = STR_INIT, want = STR_INIT;
	enum dsn_status		 st;
	pid_t			 pid;
	int			 ls, ws = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/cleanup",
	    tap_tmpdir());
	if ((ls = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(ls, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(ls, 1) == -1 || (pid = fork()) == -1) {
		printf("Bail out! socket server: %s\n", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		_exit(socket_server(ls));
	}
	(void)close(ls);
	memset(&sc, 0, sizeof(sc));
	sc.socket_path = sun.sun_path;
	is_int(submit_start_cleanup(&sc, &p, &why), 0,
	    "socket: connected (%s)", str_c(&why));
	ok(p.pid == -1 && p.fd[0] >= 0 && p.fd[1] >= 0 && p.fd[0] != p.fd[1] &&
	    p.fd[2] == -1, "socket: no child, two descriptors");
	buf_init_fd(&to, p.fd[0], tomem, sizeof(tomem), 5000);
	buf_init_fd(&from, p.fd[1], frommem, sizeof(frommem), 5000);
	(void)submit_put(&to, 'S', "a@example.org");
	(void)submit_put_rcpt(&to, NULL, NULL, "b@example.org");
	submit_put_end(&to);
	is_int(buf_flush(&to), 0, "socket: the submission is sent");
	is_int(submit_get_reply(&from, &st, &text), 0, "socket: an answer");
	is_str(str_c(&text), "0123ABC", "socket: the queue ID");
	is_int(submit_end_cleanup(&p), 0, "socket: end, status 0");
	while (waitpid(pid, &ws, 0) == -1 && errno == EINTR) {
		continue;
	}
	ok(WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
	    "socket: the server read exactly the records (status %d)", ws);

	(void)unlink(sun.sun_path);
	str_clear(&why);
	is_int(submit_start_cleanup(&sc, &p, &why), -1, "no socket: -1");
	str_catf(&want, "connect %s: No such file or directory",
	    sun.sun_path);
	is_str(str_c(&why), want.s, "no socket: the message names it");
	str_free(&why);
	str_free(&text);
	str_free(&want);
}

int
main(void)
{
	test_get();
	test_get_values();
	test_limits();
	test_split();
	test_put();
	test_replies();
	test_early_id();
	test_socket();
	return done_testing();
}
