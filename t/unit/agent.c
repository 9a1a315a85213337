/* SPDX-License-Identifier: ISC */
/*
 * agent.c: unit tests for lib/agent (the delivery agent protocol).
 *
 * Both directions run over a buf whose transfer callbacks read from a
 * string and append to a string, so every byte written is compared and
 * every input is exactly the table's.  The tables name each case: good
 * jobs and results, every record out of order, every malformed field,
 * the limits (recipient index, line length) and truncation of long
 * result texts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "bounds.h"
#include "buf.h"
#include "str.h"
#include "tap.h"

/* A read source over memory and a write sink into a str. */
struct mem {
	const char	*data;
	size_t		 len, pos;
	struct str	 out;
};

static ssize_t
mem_read(struct buf *b, void *p, size_t n, long long deadline)
{
	struct mem	*m = b->ctx;

	(void)deadline;
	if (n > m->len - m->pos) {
		n = m->len - m->pos;
	}
	memcpy(p, m->data + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static ssize_t
mem_write(struct buf *b, const void *p, size_t n, long long deadline)
{
	struct mem	*m = b->ctx;

	(void)deadline;
	str_cat_mem(&m->out, p, n);
	return (ssize_t)n;
}

static unsigned char	bufmem[2 * 8192];

static void
mem_open(struct buf *b, struct mem *m, const char *data, size_t len)
{
	m->data = data;
	m->len = len;
	m->pos = 0;
	str_clear(&m->out);
	buf_init_fd(b, -1, bufmem, sizeof(bufmem), -1);
	buf_set_io(b, mem_read, mem_write, m);
}

/* Jobs that agent_get_job must refuse (EBADMSG), with the reason. */
static const struct {
	const char	*name;
	const char	*in;
	const char	*why;
} bad_jobs[] = {
	{ "N first", "N x\nR 0 a\nG\n", "bad or misplaced N" },
	{ "R first", "R 0 a\nG\n", "bad or misplaced R" },
	{ "G first", "G\n", "bad or misplaced G" },
	{ "R before N", "J id active/id\nR 0 a\n", "bad or misplaced R" },
	{ "J twice", "J id active/id\nJ id active/id\n",
	    "bad or misplaced J" },
	{ "N twice", "J id f\nN a\nN b\n", "bad or misplaced N" },
	{ "J after R", "J id f\nN a\nR 0 a\nJ id f\n", "bad or misplaced J" },
	{ "G without recipients", "J id f\nN x\nG\n", "bad or misplaced G" },
	{ "G with a value", "J id f\nN x\nR 0 a\nG x\n",
	    "bad or misplaced G" },
	{ "J without a file", "J id\n", "bad or misplaced J" },
	{ "J with an empty file", "J id \n", "bad or misplaced J" },
	{ "J with an empty ID", "J  f\n", "bad or misplaced J" },
	{ "J alone", "J\n", "bad or misplaced J" },
	{ "N without a space", "J id f\nN\n", "bad or misplaced N" },
	{ "R without an address", "J id f\nN x\nR 0\n",
	    "bad or misplaced R" },
	{ "R with an empty address", "J id f\nN x\nR 0 \n",
	    "bad or misplaced R" },
	{ "R with a bad index", "J id f\nN x\nR x a\n",
	    "bad or misplaced R" },
	{ "R with a signed index", "J id f\nN x\nR +1 a\n",
	    "bad or misplaced R" },
	{ "R with an empty index", "J id f\nN x\nR  a\n",
	    "bad or misplaced R" },
	{ "R index over the limit", "J id f\nN x\nR 10001 a\n",
	    "bad or misplaced R" },
	{ "unknown record", "X y\n", "unknown record" },
	{ "lowercase record", "j id f\n", "unknown record" },
	{ "no space after the tag", "Jid f\n", "malformed record" },
	{ "empty line", "\n", "malformed record" },
	{ "CR in a line", "J id f\r\n", "NUL or CR in a line" },
	{ "end inside a job", "J id f\nN x\nR 0 a\n",
	    "end of input inside a job" },
	{ "last line without a newline", "J id f\nN x\nR 0 a\nG",
	    "last line without a newline" },
};

/* Results that agent_get_result must refuse. */
static const struct {
	const char	*name;
	const char	*in;
	const char	*why;
} bad_results[] = {
	{ "no index", "D 2.0.0 ok\n", "bad recipient index" },
	{ "index only", "0\n", "bad recipient index" },
	{ "index over the limit", "10001 D 2.0.0 ok\n",
	    "bad recipient index" },
	{ "bad letter", "0 X 2.0.0 ok\n", "bad status letter" },
	{ "lowercase letter", "0 d 2.0.0 ok\n", "bad status letter" },
	{ "no status", "0 \n", "bad status letter" },
	{ "status without code", "0 D\n", "malformed result" },
	{ "code without text", "0 D 2.0.0\n", "malformed result" },
	{ "two letters", "0 DT 2.0.0 ok\n", "malformed result" },
	{ "empty code", "0 D  ok\n", "bad status code" },
	{ "code too long", "0 D 2.0.00000000000000 ok\n",
	    "bad status code" },
	{ "D with 5.x.x", "0 D 5.0.0 ok\n",
	    "status code does not match the status" },
	{ "T with 2.x.x", "0 T 2.0.0 ok\n",
	    "status code does not match the status" },
	{ "P with 4.x.x", "0 P 4.0.0 ok\n",
	    "status code does not match the status" },
	{ "not a code", "0 P bounce ok\n",
	    "status code does not match the status" },
	{ "NUL in a line", "0 D 2.0.0 a\0b\n", "NUL or CR in a line" },
	{ "no newline", "0 D 2.0.0 ok", "last line without a newline" },
};

static void
test_put_job(void)
{
	struct agent_job	 job = AGENT_JOB_INIT;
	struct buf		 b;
	struct mem		 m = { NULL, 0, 0, STR_INIT };
	struct str		 big = STR_INIT;

	mem_open(&b, &m, "", 0);
	errno = 0;
	is_int(agent_put_job(&b, &job), -1, "put_job: no recipient: -1");
	is_int(errno, EINVAL, "put_job: no recipient: EINVAL");

	str_set(&job.queue_id, "06553F1001E2402A");
	str_set(&job.queue_file, "active/06553F1001E2402A");
	str_set(&job.nexthop, "example.org");
	agent_job_add_rcpt(&job, 0, "bob@example.org");
	agent_job_add_rcpt(&job, 7, "carol smith@example.org");
	is_int(agent_put_job(&b, &job), 0, "put_job: 0");
	is_int(buf_flush(&b), 0, "put_job: flushed");
	is_str(str_c(&m.out), "J 06553F1001E2402A active/06553F1001E2402A\n"
	    "N example.org\nR 0 bob@example.org\n"
	    "R 7 carol smith@example.org\nG\n", "put_job: the records");

	str_clear(&job.nexthop);
	mem_open(&b, &m, "", 0);
	(void)agent_put_job(&b, &job);
	(void)buf_flush(&b);
	ok(strstr(str_c(&m.out), "\nN \n") != NULL,
	    "put_job: an empty next hop is \"N \"");

	str_set(&job.nexthop, "a\nb");
	mem_open(&b, &m, "", 0);
	errno = 0;
	ok(agent_put_job(&b, &job) == -1 && errno == EINVAL,
	    "put_job: LF in the next hop: EINVAL");
	(void)buf_flush(&b);
	is_int((long long)m.out.len, 0, "put_job: refused: nothing written");
	str_set(&job.nexthop, "a\rb");
	ok(agent_put_job(&b, &job) == -1, "put_job: CR in the next hop");
	str_set(&job.nexthop, "x");

	str_set(&job.queue_id, "A B");
	ok(agent_put_job(&b, &job) == -1, "put_job: space in the ID");
	str_clear(&job.queue_id);
	ok(agent_put_job(&b, &job) == -1, "put_job: empty ID");
	str_set(&job.queue_id, "ID");

	agent_job_add_rcpt(&job, QFILE_RCPT_MAX + 1, "x@example.org");
	ok(agent_put_job(&b, &job) == -1, "put_job: index over the limit");
	job.nrcpt--;
	free(job.rcpts[job.nrcpt].address);
	agent_job_add_rcpt(&job, 1, "");
	ok(agent_put_job(&b, &job) == -1, "put_job: empty address");
	job.nrcpt--;
	free(job.rcpts[job.nrcpt].address);

	while (big.len < QFILE_RECORD_MAX) {
		str_cat(&big, "xxxxxxxxxxxxxxxx");
	}
	agent_job_add_rcpt(&job, 1, big.s);
	ok(agent_put_job(&b, &job) == -1, "put_job: address too long");
	job.nrcpt--;
	free(job.rcpts[job.nrcpt].address);
	str_set(&job.nexthop, big.s);
	ok(agent_put_job(&b, &job) == -1, "put_job: next hop too long");

	agent_job_free(&job);
	str_free(&big);
	str_free(&m.out);
}

static void
test_get_job(void)
{
	static const char	 two[] =
	    "J 06553F1001E2402A active/06553F1001E2402A\n"
	    "N [mx.example.org]:25\nR 3 bob@example.org\n"
	    "R 10000 a b@example.org\nG\n"
	    "J ID2 active/ID2\nN \nR 0 x@y\nG\n";
	struct agent_job	 job = AGENT_JOB_INIT;
	struct buf		 b;
	struct mem		 m = { NULL, 0, 0, STR_INIT };
	struct str		 why = STR_INIT, in = STR_INIT;
	size_t			 i;
	int			 r;

	mem_open(&b, &m, two, sizeof(two) - 1);
	is_int(agent_get_job(&b, &job, &why), 1, "get_job: first job");
	is_str(str_c(&job.queue_id), "06553F1001E2402A", "get_job: ID");
	is_str(str_c(&job.queue_file), "active/06553F1001E2402A",
	    "get_job: queue file");
	is_str(str_c(&job.nexthop), "[mx.example.org]:25",
	    "get_job: next hop");
	is_int((long long)job.nrcpt, 2, "get_job: two recipients");
	ok(job.rcpts[0].index == 3 &&
	    strcmp(job.rcpts[0].address, "bob@example.org") == 0,
	    "get_job: recipient 1");
	ok(job.rcpts[1].index == 10000 &&
	    strcmp(job.rcpts[1].address, "a b@example.org") == 0,
	    "get_job: recipient 2, the largest index, a space kept");
	is_int(agent_get_job(&b, &job, &why), 1, "get_job: second job");
	ok(str_eq(&job.queue_id, "ID2") && job.nexthop.len == 0 &&
	    job.nrcpt == 1 && job.rcpts[0].index == 0,
	    "get_job: second job replaces the first, empty next hop");
	is_int(agent_get_job(&b, &job, &why), 0, "get_job: then end: 0");

	for (i = 0; i < sizeof(bad_jobs) / sizeof(bad_jobs[0]); i++) {
		size_t	n = strlen(bad_jobs[i].in);

		mem_open(&b, &m, bad_jobs[i].in, n);
		str_clear(&why);
		errno = 0;
		/* The call first: it may move why's memory. */
		r = agent_get_job(&b, &job, &why) == -1 && errno == EBADMSG &&
		    str_eq(&why, bad_jobs[i].why);
		ok(r, "get_job refuses: %s (%s)", bad_jobs[i].name,
		    str_c(&why));
	}

	/* A line over QFILE_RECORD_MAX bytes. */
	str_set(&in, "J id f\nN x\nR 0 ");
	while (in.len < QFILE_RECORD_MAX + 10) {
		str_cat(&in, "aaaaaaaa");
	}
	str_cat(&in, "\nG\n");
	mem_open(&b, &m, in.s, in.len);
	errno = 0;
	ok(agent_get_job(&b, &job, &why) == -1 && errno == EBADMSG &&
	    str_eq(&why, "line too long"), "get_job refuses: a long line");

	/* QFILE_RECORD_MAX bytes with the LF is still fine. */
	str_set(&in, "J id f\nN x\nR 0 ");
	while (in.len < QFILE_RECORD_MAX - 1) {
		str_cat_char(&in, 'a');
	}
	str_cat(&in, "\nG\n");
	mem_open(&b, &m, in.s, in.len);
	is_int(agent_get_job(&b, &job, &why), 1,
	    "get_job: a line of exactly QFILE_RECORD_MAX bytes");

	agent_job_free(&job);
	str_free(&why);
	str_free(&in);
	str_free(&m.out);
}

static void
test_results(void)
{
	static const char	 good[] =
	    "0 D 2.0.0 delivered to mailbox\n!\n@ mx[192.0.2.1]:25\n"
	    "3 T 4.4.1 connect to x: "
	    "refused\n10000 P 5.1.1 user unknown\n1 D 2.1.5 \n.\n";
	struct agent_result	 res = AGENT_RESULT_INIT;
	struct buf		 b;
	struct mem		 m = { NULL, 0, 0, STR_INIT };
	struct str		 why = STR_INIT, t = STR_INIT;
	size_t			 i;
	int			 r;

	mem_open(&b, &m, "", 0);
	agent_put_result(&b, 0, DSN_OK, "2.0.0", "delivered");
	agent_put_result(&b, 12, DSN_TEMP, "4.4.1", "line 1\nline 2\r\n");
	agent_put_result(&b, 3, DSN_PERM, "4.1.1", "wrong class");
	agent_put_result(&b, 4, DSN_PERM, NULL, NULL);
	agent_put_result(&b, 5, (enum dsn_status)7, "2.0.0", "odd");
	is_int(agent_put_done(&b), 0, "put_done: 0");
	is_str(str_c(&m.out), "0 D 2.0.0 delivered\n"
	    "12 T 4.4.1 line 1 line 2  \n"
	    "3 P 5.0.0 wrong class\n4 P 5.0.0 \n5 T 4.0.0 odd\n.\n",
	    "put_result: lines, LF/CR made blanks, class defaults");

	/* R: relayed, a DSN_OK result with its own letter */
	mem_open(&b, &m, "", 0);
	agent_put_relayed(&b, 7, "2.0.0", "250 ok");
	agent_put_relayed(&b, 8, "5.0.0", "wrong class");
	(void)buf_flush(&b);
	is_str(str_c(&m.out), "7 R 2.0.0 250 ok\n8 R 2.0.0 wrong class\n",
	    "put_relayed: letter R, class default 2.0.0");
	r = agent_parse_result("7 R 2.0.1 250 ok", 16, &res, &why);
	ok(r == 1 && res.index == 7 && res.status == DSN_OK && res.relayed &&
	    strcmp(res.code, "2.0.1") == 0 &&
	    strcmp(str_c(&res.text), "250 ok") == 0,
	    "parse_result: R is delivered, relayed");
	r = agent_parse_result("7 D 2.0.1 250 ok", 16, &res, &why);
	ok(r == 1 && res.status == DSN_OK && !res.relayed,
	    "parse_result: D after R is not relayed");
	is_int(agent_parse_result("7 R 4.0.0 later", 15, &res, &why), -1,
	    "parse_result: R with a 4.x.x code refused");

	str_clear(&t);
	while (t.len < 2 * QFILE_RECORD_MAX) {
		str_cat(&t, "0123456789");
	}
	mem_open(&b, &m, "", 0);
	agent_put_result(&b, 10000, DSN_PERM, "5.7.1", t.s);
	(void)buf_flush(&b);
	ok(m.out.len <= QFILE_RECORD_MAX && m.out.len > 4000 &&
	    m.out.s[m.out.len - 1] == '\n',
	    "put_result: a long text is cut to one line (%zu bytes)",
	    m.out.len);
	/* ... which the reader accepts. */
	str_set(&t, str_c(&m.out));
	mem_open(&b, &m, t.s, t.len);
	is_int(agent_get_result(&b, &res, &why), 1,
	    "get_result: reads a cut result back");

	mem_open(&b, &m, good, sizeof(good) - 1);
	is_int(agent_get_result(&b, &res, &why), 1, "get_result: D");
	ok(res.index == 0 && res.status == DSN_OK &&
	    strcmp(res.code, "2.0.0") == 0 &&
	    str_eq(&res.text, "delivered to mailbox"), "get_result: D fields");
	is_int(agent_get_result(&b, &res, &why), 3,
	    "get_result: ! (destination failed) is 3");
	is_int(agent_get_result(&b, &res, &why), 4, "get_result: @ is 4");
	ok(str_eq(&res.text, "mx[192.0.2.1]:25"), "get_result: @ relay text");
	is_int(agent_get_result(&b, &res, &why), 1, "get_result: T");
	ok(res.index == 3 && res.status == DSN_TEMP &&
	    strcmp(res.code, "4.4.1") == 0 &&
	    str_eq(&res.text, "connect to x: refused"),
	    "get_result: T fields, spaces in the text");
	is_int(agent_get_result(&b, &res, &why), 1, "get_result: P");
	ok(res.index == 10000 && res.status == DSN_PERM &&
	    strcmp(res.code, "5.1.1") == 0, "get_result: P fields");
	is_int(agent_get_result(&b, &res, &why), 1,
	    "get_result: an empty text");
	ok(res.index == 1 && res.text.len == 0 &&
	    strcmp(res.code, "2.1.5") == 0, "get_result: empty text fields");
	is_int(agent_get_result(&b, &res, &why), 2, "get_result: . is 2");
	is_int(agent_get_result(&b, &res, &why), 0, "get_result: end is 0");

	for (i = 0; i < sizeof(bad_results) / sizeof(bad_results[0]); i++) {
		const char	*in = bad_results[i].in;
		size_t		 n = strlen(in);

		if (strcmp(bad_results[i].name, "NUL in a line") == 0) {
			n = 14;
		}
		mem_open(&b, &m, in, n);
		str_clear(&why);
		errno = 0;
		/* The call first: it may move why's memory. */
		r = agent_get_result(&b, &res, &why) == -1 &&
		    errno == EBADMSG && str_eq(&why, bad_results[i].why);
		ok(r, "get_result refuses: %s (%s)", bad_results[i].name,
		    str_c(&why));
	}

	agent_result_free(&res);
	str_free(&why);
	str_free(&t);
	str_free(&m.out);
}

int
main(void)
{
	test_put_job();
	test_get_job();
	test_results();
	return done_testing();
}
