/* SPDX-License-Identifier: ISC */
/*
 * smtp_deliver.c: one job over one session.  MAIL FROM with the
 * parameters the server offers (SIZE, BODY=8BITMIME, SMTPUTF8, RET and
 * ENVID), RCPT TO per recipient (NOTIFY and ORCPT when it offers DSN),
 * DATA, the content, and the final "." whose reply (one per accepted
 * recipient for LMTP) decides.  With PIPELINING (always for LMTP) the
 * commands go in batches of SMTP_PIPELINE_BATCH and their replies are
 * read after each batch.
 *
 * A session kept from an earlier job is checked with RSET first, as
 * Postfix does.  With PIPELINING the RSET goes in the first batch, ahead
 * of MAIL FROM, so the check costs no round trip of its own; when its
 * reply is not 2xx (or the server has gone) the session is closed
 * without a "." (so nothing the batch began can become a message) and
 * the job starts again on a new session.
 *
 * The content goes out as RFC 5321 wants it: CRLF line ends, a leading
 * "." doubled, lines longer than smtp_line_length_limit broken with
 * CRLF SPACE (Postfix's rule, which keeps MIME readable), a CR that does
 * not end a line sent as a space so that no bare CR or LF ever leaves.
 * The body goes through a staging chunk so that its tail and the final
 * ".\r\n" leave in one write (a lone "." segment meets delayed ACKs).
 *
 * Every recipient of the job gets exactly one result: D with the
 * server's reply, T or P with "host H[A] said: REPLY (in reply to X
 * command)" as Postfix writes it, or the reason the session broke.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <stdio.h>		/* snprintf */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "agent_qfile.h"
#include "alloc.h"
#include "log.h"
#include "qfile.h"
#include "smtp.h"
#include "span.h"
#include "xtext.h"

/* A job's recipients and what happened to each. */
struct smtp_rcpt {
	const struct qfile_rcpt	*q;	/* borrowed from the qfile */
	struct str		 path;	/* quoted, after smtp_generic_maps */
	struct smtp_status	 st;
	bool			 decided;
	bool			 accepted;	/* RCPT got 2xx */
};

/* The content writer's state. */
struct smtp_body {
	struct smtp_session	*s;
	size_t			 line_limit;
	size_t			 col;		/* bytes on the current line */
	bool			 cr;		/* a CR is waiting */
	unsigned char		 chunk[SMTP_CHUNK + 8];
	size_t			 len;
};

static void	report(const struct smtp *, const struct agent_job *, size_t,
		    const struct smtp_session *, const struct qfile *,
		    const struct smtp_status *, struct buf *);
static bool	has_8bit(const char *);
static int	body_emit(struct smtp_body *, const char *, size_t);
static int	body_put(struct smtp_body *, const char *, size_t);
static int	body_send(struct smtp *, struct smtp_session *,
		    const struct qfile *, const struct str *);
static bool	pipelined(const struct smtp *, const struct smtp_session *);
static void	undecided(struct smtp_rcpt *, size_t,
		    const struct smtp_status *);
static int	transaction(struct smtp *, struct smtp_session *,
		    const struct qfile *, const char *, const struct str *,
		    struct smtp_rcpt *, size_t, bool);

/* The relay the current job's results were last said to come from. */
static struct str	relay_said, relay;

/* One result line, and the log line in Postfix's shape (-v: qmgr logs
 * the result it records). */
static void
report(const struct smtp *cf, const struct agent_job *job, size_t i,
    const struct smtp_session *s, const struct qfile *qf,
    const struct smtp_status *st, struct buf *out)
{
	static const char *const word[] = { "sent", "deferred", "bounced" };
	struct timeval	tv;
	double		delay = 0;

	if (qf != NULL && gettimeofday(&tv, NULL) == 0) {
		delay = (double)(tv.tv_sec - qf->arrival_sec) +
		    (double)(tv.tv_usec - qf->arrival_usec) / 1e6;
		delay = delay < 0 ? 0 : delay;
	}
	if (s != NULL && s->fd != -1 && s->where.family != AF_UNIX) {
		log_debug("%s: to=<%s>, relay=%s:%u, delay=%.2f, dsn=%s, "
		    "status=%s (%s)", str_c(&job->queue_id),
		    job->rcpts[i].address, s->label, s->where.port, delay,
		    st->code, word[st->status], str_c(&st->text));
	} else {
		log_debug("%s: to=<%s>, relay=%s, delay=%.2f, dsn=%s, "
		    "status=%s (%s)", str_c(&job->queue_id),
		    job->rcpts[i].address, s != NULL && s->fd != -1 ?
		    s->label : "none", delay, st->code, word[st->status],
		    str_c(&st->text));
	}
	/* relay= of qmgr's log line, as Postfix: host[addr]:port, or
	 * none; said once per job and server */
	str_clear(&relay);
	if (s != NULL && s->fd != -1 && s->where.family != AF_UNIX) {
		str_catf(&relay, "%s:%u", s->label, s->where.port);
	} else {
		str_set(&relay, s != NULL && s->fd != -1 ? s->label : "none");
	}
	if (!str_eq(&relay_said, relay.s)) {
		agent_put_relay(out, relay.s);
		str_set(&relay_said, relay.s);
	}
	/* NOTIFY=SUCCESS, and a server that does not take it on: the
	 * success notice says "relayed" (LMTP delivers: never) */
	if (st->status == DSN_OK && s != NULL && !cf->lmtp &&
	    (s->ext & SMTP_EXT_DSN) == 0 && qf != NULL &&
	    job->rcpts[i].index < qf->nrcpt &&
	    (qf->rcpts[job->rcpts[i].index].notify & QFILE_NOTIFY_SUCCESS)) {
		agent_put_relayed(out, job->rcpts[i].index, st->code,
		    str_c(&st->text));
	} else {
		agent_put_result(out, job->rcpts[i].index, st->status,
		    st->code, str_c(&st->text));
	}
}

void
smtp_fail_all(const struct smtp *cf, const struct agent_job *job,
    const struct smtp_status *st, struct buf *out)
{
	size_t	i;

	for (i = 0; i < job->nrcpt; i++) {
		report(cf, job, i, NULL, NULL, st, out);
	}
}

static bool
has_8bit(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80) {
			return true;
		}
	}
	return false;
}

/* Stage n bytes (n <= SMTP_CHUNK), first writing out what is staged
 * when they do not fit beside it. */
static int
body_put(struct smtp_body *w, const char *p, size_t n)
{
	if (w->len + n > sizeof(w->chunk)) {
		buf_put(&w->s->b, w->chunk, w->len);
		w->len = 0;
		if (buf_flush(&w->s->b) == -1) {
			return -1;
		}
	}
	memcpy(w->chunk + w->len, p, n);
	w->len += n;
	return 0;
}

/*
 * n content bytes at p onto the wire form: LF and CRLF become CRLF, a
 * stray CR a space, a line longer than line_limit goes on after CRLF
 * SPACE, and a "." that starts a line is doubled.  The bytes between
 * those places go over as runs, not one by one.
 */
static int
body_emit(struct smtp_body *w, const char *p, size_t n)
{
	size_t	i = 0, run, most;
	char	c;

	while (i < n) {
		c = p[i];
		if (w->cr) {
			w->cr = false;
			if (c == '\n') {
				if (body_put(w, "\r\n", 2) == -1) {
					return -1;
				}
				w->col = 0;
				i++;
				continue;
			}
			/* a stray CR: a space */
			if (body_emit(w, " ", 1) == -1) {
				return -1;
			}
		}
		if (c == '\r') {
			w->cr = true;
			i++;
			continue;
		}
		if (c == '\n') {
			if (body_put(w, "\r\n", 2) == -1) {
				return -1;
			}
			w->col = 0;
			i++;
			continue;
		}
		if (w->line_limit > 0 && w->col >= w->line_limit) {
			if (body_put(w, "\r\n ", 3) == -1) {
				return -1;
			}
			w->col = 1;
		}
		if (w->col == 0 && c == '.' && body_put(w, ".", 1) == -1) {
			return -1;
		}
		/* the run: up to the next CR or LF, the line limit, or
		 * SMTP_CHUNK bytes (what body_put takes at once) */
		most = n - i < SMTP_CHUNK ? n - i : SMTP_CHUNK;
		if (w->line_limit > 0 && w->line_limit - w->col < most) {
			most = w->line_limit - w->col;
		}
		/* (most is at least 1 here, as line_limit is 0 or at
		 * least 40; the test only keeps most - 1 from wrapping) */
		run = most > 1 ? 1 + span_plain(p + i + 1, most - 1, false) :
		    1;
		if (body_put(w, p + i, run) == -1) {
			return -1;
		}
		w->col += run;
		i += run;
	}
	return 0;
}

/*
 * The content (with hdr, when not NULL, in place of the header section),
 * then ".\r\n" with the body's tail.  0, or -1 with errno.
 */
static int
body_send(struct smtp *cf, struct smtp_session *s, const struct qfile *qf,
    const struct str *hdr)
{
	/* kept from one message to the next: musl's malloc would map and
	 * unmap its 16 KB for each */
	static struct smtp_body	 body;
	struct smtp_body	*w = &body;
	char			 mem[8192];
	off_t			 off = qf->content_offset;
	off_t			 end = qf->content_offset + qf->content_len;
	ssize_t			 r;
	size_t			 want;
	int			 rc = -1;

	w->s = s;
	w->line_limit = cf->line_limit;
	w->col = 0;
	w->cr = false;
	w->len = 0;
	s->b.timeout_ms = cf->data_xfer_ms;
	if (hdr != NULL) {
		if (body_emit(w, hdr->s, hdr->len) == -1) {
			goto out;
		}
		off += qf->header_len;
	}
	while (off < end) {
		want = end - off > (off_t)sizeof(mem) ? sizeof(mem) :
		    (size_t)(end - off);
		if ((r = pread(qf->fd, mem, want, off)) <= 0) {
			if (r == -1 && errno == EINTR) {
				continue;
			}
			/* a queue file error, not the server's: EIO */
			errno = EIO;
			goto out;
		}
		if (body_emit(w, mem, (size_t)r) == -1) {
			goto out;
		}
		off += r;
	}
	/* a stray CR at the very end: a space, as within */
	if (w->cr) {
		w->cr = false;
		if (body_emit(w, " ", 1) == -1) {
			goto out;
		}
	}
	if (w->col > 0 && body_put(w, "\r\n", 2) == -1) {
		goto out;
	}
	/* the tail and the "." in one write */
	if (w->len + 3 > sizeof(w->chunk)) {
		buf_put(&s->b, w->chunk, w->len);
		w->len = 0;
		if (buf_flush(&s->b) == -1) {
			goto out;
		}
	}
	memcpy(w->chunk + w->len, ".\r\n", 3);
	w->len += 3;
	buf_put(&s->b, w->chunk, w->len);
	s->b.timeout_ms = cf->data_done_ms;
	rc = buf_flush(&s->b);
out:
	w->s = NULL;
	return rc;
}

/* True when commands may go in batches: LMTP, or a server with PIPELINING. */
static bool
pipelined(const struct smtp *cf, const struct smtp_session *s)
{
	return cf->lmtp || (s->ext & SMTP_EXT_PIPELINING) != 0;
}

/* Every recipient not yet decided gets st. */
static void
undecided(struct smtp_rcpt *rc, size_t n, const struct smtp_status *st)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (!rc[i].decided) {
			smtp_status_set(&rc[i].st, st->status, st->code, "%s",
			    st->text.s);
			rc[i].decided = true;
		}
	}
}

/* What transaction() returns when the RSET that led its batch failed. */
#define SMTP_SESSION_STALE	1

/*
 * MAIL, RCPT, DATA, content, led by RSET when rset is true (a session
 * kept from an earlier job, with PIPELINING).  On a broken session every
 * undecided recipient gets the reason and the session is closed.
 * Returns 0, or SMTP_SESSION_STALE when the leading RSET failed: the
 * session is closed and no recipient was decided.
 */
static int
transaction(struct smtp *cf, struct smtp_session *s, const struct qfile *qf,
    const char *sender, const struct str *hdr, struct smtp_rcpt *rc,
    size_t n, bool rset)
{
	struct smtp_reply	 r = SMTP_REPLY_INIT;
	struct smtp_status	 st = SMTP_STATUS_INIT;
	struct str		 cmd = STR_INIT, v = STR_INIT;
	const char		*ret, *envid, *body, *stage = "sending MAIL FROM";
	size_t			 next = 0, pending = 0, reply = 0, nacc = 0, i;
	bool			 pipelining, utf8, mail_ok = false;
	bool			 data_sent = false;
	unsigned long long	 size = (unsigned long long)qf->content_len;
	int			 result = 0;

	pipelining = pipelined(cf, s);
	utf8 = has_8bit(sender);
	for (i = 0; i < n; i++) {
		utf8 = utf8 || has_8bit(rc[i].path.s);
	}
	if ((s->ext & SMTP_EXT_SIZE) && s->size_limit > 0 &&
	    size > s->size_limit) {
		smtp_status_set(&st, DSN_PERM, "5.3.4", "message size %llu "
		    "exceeds size limit %llu of server %s", size,
		    s->size_limit, s->label);
		undecided(rc, n, &st);
		goto out;
	}
	if (utf8 && !(s->ext & SMTP_EXT_SMTPUTF8)) {
		smtp_status_set(&st, DSN_PERM, "5.6.7", "SMTPUTF8 is required, "
		    "but was not offered by host %s", s->label);
		undecided(rc, n, &st);
		goto out;
	}
	addr_quote(sender, strlen(sender), &v);
	str_catf(&cmd, "MAIL FROM:<%s>", v.s);
	if (s->ext & SMTP_EXT_SIZE) {
		str_catf(&cmd, " SIZE=%llu", size);
	}
	body = qfile_attr(qf, "body_type");
	if ((s->ext & SMTP_EXT_8BITMIME) && body != NULL &&
	    strcasecmp(body, "8BITMIME") == 0) {
		str_cat(&cmd, " BODY=8BITMIME");
	}
	if (utf8) {
		str_cat(&cmd, " SMTPUTF8");
	}
	ret = qfile_attr(qf, "ret");
	envid = qfile_attr(qf, "envid");
	if (s->ext & SMTP_EXT_DSN) {
		if (ret != NULL && (strcmp(ret, "FULL") == 0 ||
		    strcmp(ret, "HDRS") == 0)) {
			str_catf(&cmd, " RET=%s", ret);
		}
		if (envid != NULL && *envid != '\0' &&
		    qfile_xtext_valid(envid, strlen(envid))) {
			str_catf(&cmd, " ENVID=%s", envid);
		}
	}
	str_cat(&cmd, "\r\n");
	if (rset) {
		buf_puts(&s->b, "RSET\r\n");
	}
	buf_put(&s->b, cmd.s, cmd.len);
	pending = 1;
	/* a reuse of this session starts with RSET, whatever happens now */
	s->jobs++;
	/*
	 * Commands: 0 MAIL, 1..n RCPT, n + 1 DATA.  next is the next to
	 * send, reply the next whose reply is due.
	 */
	next = 1;
	while (reply <= n + 1) {
		/* send what may go before reading */
		while (next <= n + 1 && (pending == 0 || (pipelining &&
		    pending < SMTP_PIPELINE_BATCH))) {
			if (next <= n) {
				str_clear(&cmd);
				str_catf(&cmd, "RCPT TO:<%s>",
				    rc[next - 1].path.s);
				if ((s->ext & SMTP_EXT_DSN) &&
				    rc[next - 1].q->notify != 0) {
					str_clear(&v);
					(void)qfile_notify_format(
					    rc[next - 1].q->notify, &v);
					str_catf(&cmd, " NOTIFY=%s", v.s);
				}
				if ((s->ext & SMTP_EXT_DSN) &&
				    rc[next - 1].q->orcpt != NULL) {
					str_catf(&cmd, " ORCPT=%s",
					    rc[next - 1].q->orcpt);
				} else if ((s->ext & SMTP_EXT_DSN) &&
				    !has_8bit(rc[next - 1].q->address)) {
					xtext_encode(rc[next - 1].q->address,
					    &v);
					str_catf(&cmd, " ORCPT=rfc822;%s", v.s);
				}
				str_cat(&cmd, "\r\n");
				/* without pipelining, stop after a refused
				 * MAIL FROM */
				if (!pipelining && !mail_ok) {
					break;
				}
			} else {
				if (!pipelining && nacc == 0) {
					break;
				}
				str_set(&cmd, "DATA\r\n");
			}
			buf_put(&s->b, cmd.s, cmd.len);
			next++;
			pending++;
		}
		if (pending == 0) {
			break;
		}
		s->b.timeout_ms = reply == 0 ? cf->mail_ms : cf->rcpt_ms;
		if (buf_flush(&s->b) == -1) {
			goto stale_or_broken;
		}
		if (rset) {
			rset = false;
			if (smtp_reply_read(s, cf->rset_ms, &r) == -1 ||
			    r.code / 100 != 2) {
				goto stale;
			}
		}
		while (pending > 0) {
			stage = reply == 0 ? "sending MAIL FROM" : reply <= n ?
			    "sending RCPT TO" : "sending DATA command";
			if (smtp_reply_read(s, reply == 0 ? cf->mail_ms :
			    reply <= n ? cf->rcpt_ms : cf->data_init_ms, &r) ==
			    -1) {
				goto broken;
			}
			pending--;
			if (reply == 0) {
				if (r.code / 100 == 2) {
					mail_ok = true;
				} else {
					smtp_status_reply(&st, s, &r,
					    "MAIL FROM");
					undecided(rc, n, &st);
				}
			} else if (reply <= n) {
				if (!rc[reply - 1].decided && r.code / 100 ==
				    2) {
					rc[reply - 1].accepted = true;
					nacc++;
				} else if (!rc[reply - 1].decided) {
					smtp_status_reply(&rc[reply - 1].st, s,
					    &r, "RCPT TO");
					rc[reply - 1].decided = true;
				}
			} else {
				data_sent = true;
			}
			reply++;
		}
		if (!pipelining && !mail_ok) {
			break;
		}
		if (!pipelining && next == n + 1 && nacc == 0) {
			break;
		}
	}
	if (!data_sent) {
		goto out;
	}
	stage = "sending message body";
	if (r.code != 354) {
		if (nacc > 0) {
			smtp_status_reply(&st, s, &r, "DATA");
			undecided(rc, n, &st);
		}
		goto out;
	}
	if (nacc == 0) {
		/* pipelined DATA accepted with no recipient: an empty
		 * message, which goes nowhere */
		buf_puts(&s->b, ".\r\n");
		if (buf_flush(&s->b) == -1 || smtp_reply_read(s,
		    cf->data_done_ms, &r) == -1) {
			goto broken;
		}
		goto out;
	}
	if (body_send(cf, s, qf, hdr) == -1) {
		if (errno == EIO) {
			smtp_status_set(&st, DSN_TEMP, "4.3.0", "error reading "
			    "the queue file");
			undecided(rc, n, &st);
			smtp_session_close(cf, s, false);
			goto out;
		}
		goto broken;
	}
	stage = "sending end of data -- message may be sent more than once";
	for (i = 0; i < n; i++) {
		if (!rc[i].accepted || rc[i].decided) {
			continue;
		}
		if (smtp_reply_read(s, cf->data_done_ms, &r) == -1) {
			goto broken;
		}
		if (r.code / 100 == 2) {
			smtp_status_set(&rc[i].st, DSN_OK, r.dsn, "%s",
			    r.text.s);
			rc[i].decided = true;
		} else {
			smtp_status_reply(&rc[i].st, s, &r,
			    "end of DATA");
			rc[i].decided = true;
		}
		if (!cf->lmtp) {
			/* one reply for all */
			undecided(rc, n, &rc[i].st);
			break;
		}
	}
	goto out;
stale_or_broken:
	if (!rset) {
		goto broken;
	}
stale:
	smtp_session_close(cf, s, false);
	result = SMTP_SESSION_STALE;
	goto out;
broken:
	smtp_status_io(&st, s, stage, errno);
	log_info("%s", st.text.s);
	undecided(rc, n, &st);
	smtp_session_close(cf, s, false);
out:
	smtp_reply_free(&r);
	smtp_status_free(&st);
	str_free(&cmd);
	str_free(&v);
	return result;
}

void
smtp_deliver(struct smtp *cf, struct smtp_session *s,
    const struct agent_job *job, struct buf *out)
{
	struct qfile		 qf = QFILE_INIT;
	struct smtp_status	 st = SMTP_STATUS_INIT;
	struct smtp_rcpt	*rc = NULL;
	struct str		 why = STR_INIT, sender = STR_INIT;
	struct str		 a = STR_INIT, err = STR_INIT, hdr = STR_INIT;
	struct str		 raw = STR_INIT;
	bool			 generic = cf->generic_maps_spec != NULL;
	size_t			 i;
	ssize_t			 r;

	str_clear(&relay_said);
	if (agent_qfile_open(cf->queue_directory, job, &qf, &why) == -1) {
		smtp_status_set(&st, DSN_TEMP, "4.3.0", "%s", str_c(&why));
		smtp_fail_all(cf, job, &st, out);
		goto out;
	}
	for (i = 0; i < job->nrcpt; i++) {
		if (job->rcpts[i].index >= qf.nrcpt) {
			smtp_status_set(&st, DSN_TEMP, "4.3.0", "recipient %zu "
			    "is not in the queue file", job->rcpts[i].index);
			smtp_fail_all(cf, job, &st, out);
			goto out;
		}
	}
	/* the envelope as it leaves: smtp_generic_maps */
	rc = xreallocarray(NULL, job->nrcpt + 1, sizeof(*rc));
	memset(rc, 0, (job->nrcpt + 1) * sizeof(*rc));
	for (i = 0; i < job->nrcpt; i++) {
		rc[i].q = &qf.rcpts[job->rcpts[i].index];
		rc[i].st.status = DSN_TEMP;
	}
	str_set(&sender, qf.sender);
	if (generic && *qf.sender != '\0' &&
	    smtp_generic_addr(cf, qf.sender, &sender, &err) == MAP_ERROR) {
		goto table_error;
	}
	for (i = 0; i < job->nrcpt; i++) {
		if (generic && smtp_generic_addr(cf, job->rcpts[i].address,
		    &a, &err) == MAP_ERROR) {
			goto table_error;
		}
		if (!generic) {
			str_set(&a, job->rcpts[i].address);
		}
		addr_quote(a.s, a.len, &rc[i].path);
	}
	if (generic && qf.header_len > 0) {
		str_reserve(&raw, (size_t)qf.header_len);
		while (raw.len < (size_t)qf.header_len) {
			r = pread(qf.fd, raw.s + raw.len, (size_t)qf.header_len
			    - raw.len, qf.content_offset + (off_t)raw.len);
			if (r <= 0) {
				if (r == -1 && errno == EINTR) {
					continue;
				}
				str_set(&err, "error reading the queue file");
				goto table_error;
			}
			raw.len += (size_t)r;
			raw.s[raw.len] = '\0';
		}
		if (smtp_generic_header(cf, raw.s, raw.len, &hdr, &err) == -1) {
			goto table_error;
		}
	}
	/* a session for this next hop: the open one, or a new one; not
	 * one opened with another sender's SASL credentials */
	if (s->fd != -1 && strcmp(str_c(&s->nexthop),
	    str_c(&job->nexthop)) != 0) {
		smtp_session_close(cf, s, true);
	}
	if (s->fd != -1) {
		switch (smtp_auth_reusable(cf, s, qf.sender, &st)) {
		case -1:
			smtp_fail_all(cf, job, &st, out);
			goto out;
		case 0:
			smtp_session_close(cf, s, true);
			break;
		default:
			break;
		}
	}
	/* without PIPELINING a kept session is checked before the job */
	if (s->fd != -1 && s->jobs > 0 && !pipelined(cf, s)) {
		(void)smtp_session_rset(cf, s);
	}
again:
	if (s->fd == -1 && smtp_session_open(cf, s, str_c(&job->nexthop),
	    qf.sender, &st) == -1) {
		/* no server would take mail: qmgr counts it against the
		 * destination, not only this message (unless the problem
		 * is ours: a table) */
		if (st.status == DSN_TEMP && !st.local) {
			agent_put_site_failure(out);
		}
		for (i = 0; i < job->nrcpt; i++) {
			report(cf, job, i, NULL, &qf, &st, out);
		}
		goto out;
	}
	/* a kept session that fails its RSET is replaced, once: a new
	 * session has done no job, so its transaction has no RSET */
	if (transaction(cf, s, &qf, sender.s, generic && qf.header_len > 0 ?
	    &hdr : NULL, rc, job->nrcpt, s->jobs > 0 && pipelined(cf, s)) ==
	    SMTP_SESSION_STALE) {
		goto again;
	}
	for (i = 0; i < job->nrcpt; i++) {
		if (!rc[i].decided) {
			smtp_status_set(&rc[i].st, DSN_TEMP, "4.3.0",
			    "delivery not attempted");
		}
		report(cf, job, i, s, &qf, &rc[i].st, out);
	}
	goto out;
table_error:
	smtp_status_set(&st, DSN_TEMP, "4.3.0", "smtp_generic_maps: %s",
	    str_c(&err));
	smtp_fail_all(cf, job, &st, out);
out:
	for (i = 0; rc != NULL && i < job->nrcpt; i++) {
		str_free(&rc[i].path);
		smtp_status_free(&rc[i].st);
	}
	free(rc);
	qfile_close(&qf);
	smtp_status_free(&st);
	str_free(&why);
	str_free(&sender);
	str_free(&a);
	str_free(&err);
	str_free(&hdr);
	str_free(&raw);
}
