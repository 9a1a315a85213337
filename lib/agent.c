/* SPDX-License-Identifier: ISC */
/*
 * agent.c: the delivery agent protocol (see agent.h).  Both directions
 * are checked line by line: a malformed record or result is an error
 * (EBADMSG), never half understood.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "alloc.h"
#include "bounds.h"
#include "scan.h"

/* Largest recipient index: the queue file's recipient limit. */
#define AGENT_INDEX_MAX	QFILE_RCPT_MAX

void
agent_job_add_rcpt(struct agent_job *job, size_t index, const char *address)
{
	if (job->nrcpt == job->cap) {
		job->cap = job->cap == 0 ? 16 : job->cap * 2;
		job->rcpts = xreallocarray(job->rcpts, job->cap,
		    sizeof(*job->rcpts));
	}
	job->rcpts[job->nrcpt].index = index;
	job->rcpts[job->nrcpt].address = xstrdup(address);
	job->nrcpt++;
}

void
agent_job_clear(struct agent_job *job)
{
	size_t	i;

	for (i = 0; i < job->nrcpt; i++) {
		free(job->rcpts[i].address);
	}
	job->nrcpt = 0;
	str_clear(&job->queue_id);
	str_clear(&job->queue_file);
	str_clear(&job->nexthop);
}

void
agent_job_free(struct agent_job *job)
{
	agent_job_clear(job);
	free(job->rcpts);
	job->rcpts = NULL;
	job->cap = 0;
	str_free(&job->queue_id);
	str_free(&job->queue_file);
	str_free(&job->nexthop);
}

/* A value that can go on one protocol line. */
static bool
agent_value_ok(const char *s, size_t max)
{
	size_t	n = strlen(s);

	return n <= max && strpbrk(s, "\r\n") == NULL;
}

int
agent_put_job(struct buf *b, const struct agent_job *job)
{
	const size_t	max = QFILE_RECORD_MAX - 32;
	size_t		i;

	if (job->nrcpt == 0 || job->queue_id.len == 0 ||
	    strchr(str_c(&job->queue_id), ' ') != NULL ||
	    !agent_value_ok(str_c(&job->queue_id), max) ||
	    !agent_value_ok(str_c(&job->queue_file), max) ||
	    job->queue_id.len + job->queue_file.len > max ||
	    !agent_value_ok(str_c(&job->nexthop), max)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < job->nrcpt; i++) {
		if (job->rcpts[i].address[0] == '\0' ||
		    job->rcpts[i].index > AGENT_INDEX_MAX ||
		    !agent_value_ok(job->rcpts[i].address, max)) {
			errno = EINVAL;
			return -1;
		}
	}
	buf_printf(b, "J %s %s\n", job->queue_id.s, str_c(&job->queue_file));
	buf_printf(b, "N %s\n", str_c(&job->nexthop));
	for (i = 0; i < job->nrcpt; i++) {
		buf_printf(b, "R %zu %s\n", job->rcpts[i].index,
		    job->rcpts[i].address);
	}
	buf_put(b, "G\n", 2);
	return 0;
}

static int
agent_bad(struct str *why, const char *text)
{
	str_set(why, text);
	errno = EBADMSG;
	return -1;
}

/* One line without its "\n": 1, 0 at EOF, -1 (EBADMSG or I/O). */
static int
agent_line(struct buf *b, struct str *line, struct str *why)
{
	int	r;

	if ((r = buf_getline(b, line, QFILE_RECORD_MAX)) == -1) {
		return errno == EMSGSIZE ? agent_bad(why, "line too long") :
		    -1;
	}
	if (r == 0) {
		return 0;
	}
	if (line->s[line->len - 1] != '\n') {
		return agent_bad(why, "last line without a newline");
	}
	str_truncate(line, line->len - 1);
	if (memchr(line->s, '\0', line->len) != NULL ||
	    memchr(line->s, '\r', line->len) != NULL) {
		return agent_bad(why, "NUL or CR in a line");
	}
	return 1;
}

int
agent_get_job(struct buf *b, struct agent_job *job, struct str *why)
{
	struct str		 line = STR_INIT;
	unsigned long long	 index;
	const char		*sp;
	int			 r, state = 0, rc = -1;

	agent_job_clear(job);
	for (;;) {
		if ((r = agent_line(b, &line, why)) <= 0) {
			if (r == 0 && state == 0) {
				rc = 0;
			} else if (r == 0) {
				(void)agent_bad(why, "end of input inside "
				    "a job");
			}
			goto out;
		}
		if (line.len < 1 || (line.len > 1 && line.s[1] != ' ')) {
			(void)agent_bad(why, "malformed record");
			goto out;
		}
		switch (line.s[0]) {
		case 'J':
			if (state != 0 || line.len < 3 ||
			    (sp = strchr(line.s + 2, ' ')) == NULL ||
			    sp == line.s + 2 || sp[1] == '\0') {
				(void)agent_bad(why, "bad or misplaced J");
				goto out;
			}
			str_set_mem(&job->queue_id, line.s + 2,
			    (size_t)(sp - line.s - 2));
			str_set(&job->queue_file, sp + 1);
			state = 1;
			break;
		case 'N':
			if (state != 1 || line.len < 2) {
				(void)agent_bad(why, "bad or misplaced N");
				goto out;
			}
			str_set(&job->nexthop, line.s + 2);
			state = 2;
			break;
		case 'R':
			if (state != 2 || line.len < 3 ||
			    (sp = strchr(line.s + 2, ' ')) == NULL ||
			    sp[1] == '\0' ||
			    scan_uint_mem(line.s + 2,
			    (size_t)(sp - line.s - 2), AGENT_INDEX_MAX,
			    &index) == -1) {
				(void)agent_bad(why, "bad or misplaced R");
				goto out;
			}
			if (job->nrcpt >= QFILE_RCPT_MAX) {
				(void)agent_bad(why, "too many recipients");
				goto out;
			}
			agent_job_add_rcpt(job, (size_t)index, sp + 1);
			break;
		case 'G':
			if (state != 2 || line.len != 1 || job->nrcpt == 0) {
				(void)agent_bad(why, "bad or misplaced G");
				goto out;
			}
			rc = 1;
			goto out;
		default:
			(void)agent_bad(why, "unknown record");
			goto out;
		}
	}
out:
	str_free(&line);
	return rc;
}

/* One result line, with letter R instead of D when relayed. */
static void
agent_put_line(struct buf *b, size_t index, enum dsn_status status,
    bool relayed, const char *code, const char *text)
{
	static const char	letter[] = { 'D', 'T', 'P' };
	static const char *const dflt[] = { "2.0.0", "4.0.0", "5.0.0" };
	struct str		 t = STR_INIT;
	size_t			 i;

	if ((unsigned)status > DSN_PERM) {
		status = DSN_TEMP;
	}
	if (code == NULL || !dsn_code_valid(code, status)) {
		code = dflt[status];
	}
	str_set(&t, text != NULL ? text : "");
	for (i = 0; i < t.len; i++) {
		if (t.s[i] == '\n' || t.s[i] == '\r' || t.s[i] == '\0') {
			t.s[i] = ' ';
		}
	}
	if (t.len > QFILE_RECORD_MAX - 64) {
		str_truncate(&t, QFILE_RECORD_MAX - 64);
	}
	buf_printf(b, "%zu %c %s %s\n", index, relayed && status == DSN_OK ?
	    'R' : letter[status], code, t.s);
	str_free(&t);
}

void
agent_put_result(struct buf *b, size_t index, enum dsn_status status,
    const char *code, const char *text)
{
	agent_put_line(b, index, status, false, code, text);
}

void
agent_put_relayed(struct buf *b, size_t index, const char *code,
    const char *text)
{
	agent_put_line(b, index, DSN_OK, true, code, text);
}

int
agent_put_done(struct buf *b)
{
	buf_put(b, ".\n", 2);
	return buf_flush(b);
}

void
agent_put_site_failure(struct buf *b)
{
	buf_put(b, "!\n", 2);
}

void
agent_put_relay(struct buf *b, const char *relay)
{
	size_t	i, n = strlen(relay);

	if (n > 500) {
		n = 500;
	}
	buf_put(b, "@ ", 2);
	for (i = 0; i < n; i++) {
		/* one line, whatever it holds */
		buf_put(b, relay[i] == '\n' || relay[i] == '\r' ? "?" :
		    &relay[i], 1);
	}
	buf_put(b, "\n", 1);
}

int
agent_parse_result(const char *s, size_t len, struct agent_result *res,
    struct str *why)
{
	unsigned long long	 index;
	const char		*p, *sp, *end = s + len;
	size_t			 n;

	if (memchr(s, '\0', len) != NULL || memchr(s, '\r', len) != NULL ||
	    memchr(s, '\n', len) != NULL) {
		return agent_bad(why, "NUL, CR or LF in a line");
	}
	if (len == 1 && s[0] == '.') {
		return 2;
	}
	if (len == 1 && s[0] == '!') {
		return 3;
	}
	if (len >= 2 && s[0] == '@' && s[1] == ' ') {
		str_set_mem(&res->text, s + 2, len - 2);
		return 4;
	}
	/* index SP status SP code SP text */
	if ((sp = memchr(s, ' ', len)) == NULL ||
	    scan_uint_mem(s, (size_t)(sp - s), AGENT_INDEX_MAX,
	    &index) == -1) {
		return agent_bad(why, "bad recipient index");
	}
	p = sp + 1;
	res->relayed = false;
	switch (p < end ? p[0] : '\0') {
	case 'R':
		res->relayed = true;
		/* FALLTHROUGH */
	case 'D':
		res->status = DSN_OK;
		break;
	case 'T':
		res->status = DSN_TEMP;
		break;
	case 'P':
		res->status = DSN_PERM;
		break;
	default:
		return agent_bad(why, "bad status letter");
	}
	if (end - p < 2 || p[1] != ' ' ||
	    (sp = memchr(p + 2, ' ', (size_t)(end - (p + 2)))) == NULL) {
		return agent_bad(why, "malformed result");
	}
	n = (size_t)(sp - (p + 2));
	if (n == 0 || n >= sizeof(res->code)) {
		return agent_bad(why, "bad status code");
	}
	memcpy(res->code, p + 2, n);
	res->code[n] = '\0';
	if (!dsn_code_valid(res->code, res->status)) {
		return agent_bad(why, "status code does not match the status");
	}
	res->index = (size_t)index;
	str_set_mem(&res->text, sp + 1, (size_t)(end - (sp + 1)));
	return 1;
}

int
agent_get_result(struct buf *b, struct agent_result *res, struct str *why)
{
	struct str	line = STR_INIT;
	int		r;

	if ((r = agent_line(b, &line, why)) > 0) {
		r = agent_parse_result(line.s, line.len, res, why);
	}
	str_free(&line);
	return r;
}

void
agent_result_free(struct agent_result *res)
{
	str_free(&res->text);
}
