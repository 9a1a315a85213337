/* SPDX-License-Identifier: ISC */
/*
 * smtpd_data.c: DATA and BDAT, the message streamed to cleanup (or, in
 * sendmail -bs mode, to postdrop) in the submission protocol
 * (lib/submit.h), never held whole in memory.
 *
 * Each message goes to cleanup: the envelope (F early-id, S, A, R records),
 * then cleanup's early answer, the queue ID (lib/submit.h), which our
 * Received field carries as Postfix's does and which the line "ID:
 * client=..." logs; for DATA that answer is read once the 354 went out
 * and the content's first bytes came, so that cleanup begins its queue
 * file while the client sends, and smtpd waits once, not twice.  Then
 * the Received field and the content go in D records, with
 * CRLF turned into LF and, for DATA, leading dots removed.  The reply
 * "250 2.0.0 Ok: queued as ID" is sent only after cleanup answered OK,
 * that is once the queue file is durable.  A message that cleanup
 * refuses in its early answer, or whose early answer is missing or
 * broken, is still read (DATA to its end, BDAT the chunk) and then
 * refused with that answer (451 4.3.0 for a broken one), and cleanup
 * is ended at once.  With sendmail -bs the message goes to
 * postdrop, which chooses no ID: the Received field then has none (as
 * in Postfix when no cleanup is involved).
 *
 * cleanup takes one message after another on one connection, so after
 * a message it answered well the connection is kept for the next one,
 * of this session or of the next session this process serves (master
 * hands smtpd one connection after another), up to CLEANUP_MESSAGES.
 * smtpd_cleanup_release lets go of it: when smtpd has had no session
 * for a second (main.c), so that an idle smtpd does not hold a cleanup
 * process that pickup or qmqpd may need, and before smtpd exits.
 *
 * DATA ends only at CRLF "." CRLF.  A bare LF (not after CR) or a bare
 * CR (not before LF) is, with smtpd_forbid_bare_newline = reject (or
 * yes), answered with 521 and the end of the session; otherwise a bare
 * LF is a line end and a bare CR is content.  A NUL byte makes the
 * message refused at its end.  Content over message_size_limit is read
 * to its end and refused (552 5.3.4).  After any refusal the whole
 * transaction is forgotten, recipients included.  BDAT chunks are read
 * through the same small buffers, whatever their number or size.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "alloc.h"
#include "clock.h"
#include "conf.h"
#include "fd.h"
#include "header.h"
#include "jail.h"
#include "log.h"
#include "qfile.h"
#include "scan.h"
#include "smtpd.h"
#include "span.h"
#include "submit.h"

/* Converter states. */
enum xstate { X_BOL, X_MID, X_CR, X_DOT, X_DOT_CR, X_END };

/* Content bytes gathered before they go out as a D record. */
#define XFER_CHUNK	8192
/* Messages one cleanup connection takes before a fresh one starts. */
#define CLEANUP_MESSAGES	100

/* The cleanup kept for the next message, and how many it took so far:
 * it outlives the session that started it (above). */
static struct {
	struct proc	p;
	bool		kept;
	unsigned	uses;
} kept_cleanup;

struct smtpd_xfer {
	struct proc		 p;
	bool			 started;
	bool			 reused;	/* kept_cleanup's */
	struct buf		 to;
	unsigned char		*tomem;		/* xfer_tomem */
	char			*chunk;		/* xfer_chunk */
	size_t			 chunk_len;
	enum xstate		 state;
	bool			 dots;		/* DATA, not BDAT */
	bool			 too_big, nul, bare;
	unsigned long long	 size;
	/* cleanup's answers */
	struct buf		 from;
	unsigned char		*frommem;	/* xfer_frommem */
	char			 id[QID_SIZE];	/* the early one */
	/* refused in the early answer (answer_text set): cleanup ended */
	bool			 answered;
	enum dsn_status		 answer;
	struct str		 answer_text;
};

/*
 * The buffers of the one transfer a session has at a time, in static
 * storage rather than zeroed heap: only the pages a message fills are
 * ever touched (a page fault is the dearest thing a short-lived process
 * does on some virtual machines; see bench/README.md).
 */
static unsigned char	xfer_tomem[2 * XFER_CHUNK + 64];
static char		xfer_chunk[XFER_CHUNK];
static unsigned char	xfer_frommem[1024];
static bool		xfer_buffers_taken;
/* and the transfer's own state */
static struct smtpd_xfer	xfer_state;

static struct smtpd_xfer *xfer_new(void);
static void	xfer_keep(struct smtpd *, struct smtpd_xfer *);
static void	xfer_free(struct smtpd_xfer *);
static int	xfer_start(struct smtpd *, struct smtpd_xfer *, struct str *);
static int	xfer_early(struct smtpd *, struct smtpd_xfer *, struct str *);
static void	xfer_emit(struct smtpd *, struct smtpd_xfer *, const char *,
		    size_t);
static int	xfer_byte(struct smtpd *, struct smtpd_xfer *, int);
static void	xfer_finish(struct smtpd *, struct smtpd_xfer *,
		    struct str *);
static void	xfer_stop(struct smtpd_xfer *);
static void	put_attr(struct buf *, const char *, const char *);
static void	received(struct smtpd *, const char *, struct str *);
static void	xfer_answer(struct smtpd *, enum dsn_status, const char *,
		    const char *, struct str *);
static void	log_client(struct smtpd *, const char *);

static void
put_attr(struct buf *b, const char *name, const char *value)
{
	struct str	rec = STR_INIT;

	if (value == NULL || *value == '\0') {
		return;
	}
	str_set(&rec, name);
	str_cat_char(&rec, '=');
	str_cat(&rec, value);
	(void)submit_put(b, 'A', rec.s);
	str_free(&rec);
}

/* Our Received field, Postfix's form: with the queue ID when there is
 * one (not with sendmail -bs); a client that sent no HELO or EHLO is
 * named by its client name there, as Postfix does. */
static void
received(struct smtpd *s, const char *id, struct str *out)
{
	struct str	date = STR_INIT, q = STR_INIT;

	header_date(time(NULL), &date);
	str_catf(out, "Received: from %s (%s [%s])",
	    s->helo.len > 0 ? s->helo.s : s->name, s->name, s->addr);
	smtpd_tls_received(s, out);
	str_catf(out, "\n\tby %s (%s) with %s", s->myhostname,
	    conf_value("mail_name"), smtpd_protocol(s));
	if (id != NULL) {
		str_catf(out, " id %s", id);
	}
	if (s->nrcpt == 1) {
		addr_quote(s->rcpts[0].addr, strlen(s->rcpts[0].addr), &q);
		str_catf(out, "\n\tfor <%s>; %s\n", q.s, date.s);
	} else {
		str_catf(out, ";\n\t%s\n", date.s);
	}
	str_free(&date);
	str_free(&q);
}

/* "ID: client=...", Postfix's line, once the queue ID is known. */
static void
log_client(struct smtpd *s, const char *id)
{
	if (s->sasl_username != NULL) {
		log_info("%s: client=%s, sasl_method=%s, sasl_username=%s",
		    id, s->peer, s->sasl_method, s->sasl_username);
	} else {
		log_info("%s: client=%s", id, s->peer);
	}
}

/*
 * Start cleanup (or take the kept one; postdrop with -bs) and send it the
 * envelope; xfer_early then reads cleanup's early answer.  With -bs the
 * Received field follows at once.  Returns 0, or -1 with why set.
 */
static int
xfer_start(struct smtpd *s, struct smtpd_xfer *x, struct str *why)
{
	struct submit_cleanup	 sc;
	struct proc_cmd		 cmd;
	struct str		 path = STR_INIT, hdr = STR_INIT;
	struct str		 notify = STR_INIT;
	char			*argv[5];
	size_t			 i;
	int			 rc;

	if (s->stdin_mode) {
		str_catf(&path, "%s/postdrop",
		    conf_value("daemon_directory"));
		argv[0] = xstrdup("postdrop");
		argv[1] = xstrdup("-c");
		argv[2] = xstrdup(s->config_dir);
		argv[3] = NULL;
		memset(&cmd, 0, sizeof(cmd));
		cmd.path = path.s;
		cmd.argv = argv;
		cmd.io[0] = PROC_IO_PIPE;
		cmd.io[1] = PROC_IO_PIPE;
		cmd.io[2] = PROC_IO_INHERIT;
		rc = proc_spawn(&cmd, &x->p);
		if (rc == -1) {
			str_catf(why, "%s %s: %s", x->p.failed, path.s,
			    strerror(errno));
		} else {
			(void)fd_set_nonblock(x->p.fd[0], true);
			(void)fd_set_nonblock(x->p.fd[1], true);
		}
		for (i = 0; i < 3; i++) {
			free(argv[i]);
		}
		str_free(&path);
	} else if (kept_cleanup.kept) {
		x->p = kept_cleanup.p;
		x->reused = true;
		kept_cleanup.kept = false;
		rc = 0;
	} else {
		kept_cleanup.uses = 0;
		memset(&sc, 0, sizeof(sc));
		sc.daemon_dir = conf_value("daemon_directory");
		sc.config_dir = s->config_dir;
		sc.stderr_io = PROC_IO_INHERIT;
		jail_queue_path("public/cleanup", &path);
		sc.socket_path = path.s;
		sc.spawn_if_absent = !jail_active();
		rc = submit_start_cleanup(&sc, &x->p, why);
		str_free(&path);
	}
	if (rc == -1) {
		return -1;
	}
	x->started = true;
	buf_init_fd(&x->to, x->p.fd[0], x->tomem, sizeof(xfer_tomem),
	    s->timeout_ms);
	buf_init_fd(&x->from, x->p.fd[1], x->frommem, sizeof(xfer_frommem),
	    s->timeout_ms);
	if (!s->stdin_mode) {
		(void)submit_put(&x->to, 'F', "early-id");
	}
	(void)submit_put(&x->to, 'S', str_c(&s->sender));
	if (!s->stdin_mode) {
		put_attr(&x->to, "client_name", s->name);
		put_attr(&x->to, "client_address", s->addr);
		put_attr(&x->to, "helo_name", str_c(&s->helo));
		put_attr(&x->to, "protocol", smtpd_protocol(s));
		put_attr(&x->to, "sasl_username", s->sasl_username);
	}
	put_attr(&x->to, "envid", str_c(&s->envid));
	put_attr(&x->to, "ret", str_c(&s->ret));
	put_attr(&x->to, "body_type", str_c(&s->body_type));
	for (i = 0; i < s->nrcpt; i++) {
		str_clear(&notify);
		if (s->rcpts[i].notify != 0) {
			(void)qfile_notify_format(s->rcpts[i].notify,
			    &notify);
		}
		(void)submit_put_rcpt(&x->to, notify.s, s->rcpts[i].orcpt,
		    s->rcpts[i].addr);
	}
	str_free(&notify);
	if (s->stdin_mode) {
		/* postdrop answers nothing early: no ID in Received */
		received(s, NULL, &hdr);
		submit_put_content(&x->to, hdr.s, hdr.len);
		str_free(&hdr);
		return 0;
	}
	/* A failed write shows as a missing answer (xfer_early). */
	(void)buf_flush(&x->to);
	return 0;
}

/*
 * cleanup's early answer to the envelope that xfer_start sent: the queue
 * ID, logged in "ID: client=..." and put into our Received field, which
 * goes out ahead of the content.  For DATA it is read when the content's
 * first bytes have come (smtpd_data).  A kept cleanup that is gone is
 * replaced by a fresh one, once.
 * Returns 0 (a refusal or a broken answer is kept in x->answered), or -1
 * with why set when no cleanup could be started.
 */
static int
xfer_early(struct smtpd *s, struct smtpd_xfer *x, struct str *why)
{
	/* static: freeing it each message gave musl's malloc an empty
	 * size class, whose page it unmapped and mapped again per
	 * message */
	static struct str	 hdr = STR_INIT;
	enum dsn_status		 status;
	int			 rc;

	if (!x->started || s->stdin_mode) {
		return 0;
	}
	rc = submit_get_early_id(&x->from, &status, &x->answer_text);
	if (rc == -1 && x->reused) {
		/* the kept cleanup is gone: start a fresh one */
		log_debug("%s: kept cleanup: %s", s->peer, x->answer_text.s);
		xfer_stop(x);
		x->reused = false;
		str_clear(&x->answer_text);
		if (xfer_start(s, x, why) == -1) {
			return -1;
		}
		return xfer_early(s, x, why);
	}
	if (rc != 1) {
		x->answered = true;
		x->answer = status;
		xfer_stop(x);
		return 0;
	}
	/* qid_valid: at most QID_LEN_MAX */
	memcpy(x->id, x->answer_text.s, x->answer_text.len + 1);
	str_clear(&x->answer_text);
	log_client(s, x->id);
	memcpy(s->log_id, x->id, sizeof(s->log_id));
	str_clear(&hdr);
	received(s, x->id, &hdr);
	submit_put_content(&x->to, hdr.s, hdr.len);
	return 0;
}

/* Content bytes (LF line ends) toward cleanup, within the size limit. */
static void
xfer_emit(struct smtpd *s, struct smtpd_xfer *x, const char *p, size_t n)
{
	x->size += n;
	if (s->size_limit > 0 && x->size > s->size_limit) {
		x->too_big = true;
	}
	if (x->too_big || !x->started) {
		return;
	}
	while (n > 0) {
		size_t	k = sizeof(xfer_chunk) - x->chunk_len;

		k = k < n ? k : n;
		memcpy(x->chunk + x->chunk_len, p, k);
		x->chunk_len += k;
		p += k;
		n -= k;
		if (x->chunk_len == sizeof(xfer_chunk)) {
			submit_put_content(&x->to, x->chunk, x->chunk_len);
			x->chunk_len = 0;
		}
	}
}

/*
 * One input byte through the converter.  Returns 1 at the end of DATA,
 * -1 on a bare LF or CR that must be refused, else 0.
 */
static int
xfer_byte(struct smtpd *s, struct smtpd_xfer *x, int c)
{
	bool	reject = s->bare == BARE_REJECT && x->dots;

	if (c == '\0') {
		x->nul = true;
	}
	switch (x->state) {
	case X_BOL:
		if (x->dots && c == '.') {
			x->state = X_DOT;
			return 0;
		}
		break;
	case X_DOT:
		if (c == '\r') {
			x->state = X_DOT_CR;
			return 0;
		}
		if (c == '\n') {
			if (reject) {
				return -1;
			}
			/* "." and a bare LF: content, not the end */
			xfer_emit(s, x, ".\n", 2);
			x->state = X_BOL;
			return 0;
		}
		/* a leading dot is removed (RFC 5321 4.5.2) */
		break;
	case X_DOT_CR:
		if (c == '\n') {
			x->state = X_END;
			return 1;
		}
		if (reject) {
			return -1;
		}
		xfer_emit(s, x, "\r", 1);
		break;
	case X_CR:
		if (c == '\n') {
			xfer_emit(s, x, "\n", 1);
			x->state = X_BOL;
			return 0;
		}
		if (reject) {
			return -1;
		}
		xfer_emit(s, x, "\r", 1);
		break;
	case X_MID:
	case X_END:
		break;
	}
	/* an ordinary position in a line */
	if (c == '\r') {
		x->state = X_CR;
		return 0;
	}
	if (c == '\n') {
		if (reject) {
			return -1;
		}
		xfer_emit(s, x, "\n", 1);
		x->state = X_BOL;
		return 0;
	}
	{
		char	ch = (char)c;

		xfer_emit(s, x, &ch, 1);
	}
	x->state = X_MID;
	return 0;
}

static struct smtpd_xfer *
xfer_new(void)
{
	struct smtpd_xfer	*x;

	if (xfer_buffers_taken) {
		panic("smtpd: a second transfer at once");
	}
	xfer_buffers_taken = true;
	x = &xfer_state;
	memset(x, 0, sizeof(*x));
	x->tomem = xfer_tomem;
	x->chunk = xfer_chunk;
	x->frommem = xfer_frommem;
	return x;
}

static void
xfer_free(struct smtpd_xfer *x)
{
	str_free(&x->answer_text);
	xfer_buffers_taken = false;
}

/*
 * After cleanup's well-formed final answer: keep it for the next
 * message (cleanup takes messages until its input ends), unless it
 * took CLEANUP_MESSAGES already or something is left unread or unsent.
 */
static void
xfer_keep(struct smtpd *s, struct smtpd_xfer *x)
{
	if (s->stdin_mode || kept_cleanup.kept || x->to.error != 0 ||
	    buf_pending(&x->from) != 0 ||
	    ++kept_cleanup.uses >= CLEANUP_MESSAGES) {
		return;
	}
	kept_cleanup.p = x->p;
	kept_cleanup.kept = true;
	x->started = false;
}

void
smtpd_cleanup_release(void)
{
	if (kept_cleanup.kept) {
		/* the end of its input: its session ends */
		(void)submit_end_cleanup(&kept_cleanup.p);
		kept_cleanup.kept = false;
	}
}

/* Kill (if needed) and collect the child; nothing was accepted. */
static void
xfer_stop(struct smtpd_xfer *x)
{
	if (!x->started) {
		return;
	}
	(void)submit_end_cleanup(&x->p);
	x->started = false;
}

void
smtpd_xfer_abort(struct smtpd *s)
{
	if (s->bdat != NULL) {
		xfer_stop(s->bdat);
		xfer_free(s->bdat);
		s->bdat = NULL;
	}
}

/*
 * The reply in reply to cleanup's final answer (status, text), which is
 * logged when it is not OK, with where (the stage) in the reject line.
 */
static void
xfer_answer(struct smtpd *s, enum dsn_status status, const char *text,
    const char *where, struct str *reply)
{
	if (status == DSN_OK) {
		str_catf(reply, "250 2.0.0 Ok: queued as %s", text);
		return;
	}
	log_warnx("%s: message not queued: %s", s->peer, text);
	if (status == DSN_PERM) {
		str_catf(reply, "%s %s", strncmp(text, "5.3.4", 5) == 0 ?
		    "552" : "554", text);
	} else {
		str_catf(reply, "451 %s", text);
	}
	smtpd_log_reject(s, where, NULL, reply->s);
}

/*
 * The end of the content: the last bytes, E, cleanup's answer, and the
 * reply to the client in reply.  Resets the transaction.
 */
static void
xfer_finish(struct smtpd *s, struct smtpd_xfer *x, struct str *reply)
{
	struct str		 text = STR_INIT;
	enum dsn_status		 status = DSN_TEMP;

	if (x->state == X_CR) {
		/* a BDAT message whose last byte is a CR */
		xfer_emit(s, x, "\r", 1);
	}
	if (x->too_big) {
		str_set(reply, "552 5.3.4 Error: message file too big");
		smtpd_log_reject(s, "END-OF-MESSAGE", NULL, reply->s);
		xfer_stop(x);
		return;
	}
	if (x->nul) {
		str_set(reply, "550 5.6.0 Error: NUL byte in message "
		    "content");
		smtpd_log_reject(s, "END-OF-MESSAGE", NULL, reply->s);
		xfer_stop(x);
		return;
	}
	if (x->answered) {
		/* refused, or broken, in cleanup's early answer */
		xfer_answer(s, x->answer, x->answer_text.s, "END-OF-MESSAGE",
		    reply);
		return;
	}
	if (!x->started) {
		str_set(reply, "451 4.3.0 Error: queue file write error");
		return;
	}
	submit_put_content(&x->to, x->chunk, x->chunk_len);
	x->chunk_len = 0;
	submit_put_end(&x->to);
	(void)buf_flush(&x->to);
	if (s->stdin_mode) {
		/* postdrop takes one message */
		(void)close(x->p.fd[0]);
		x->p.fd[0] = -1;
	}
	if (submit_get_reply(&x->from, &status, &text) == 0) {
		xfer_keep(s, x);
	}
	xfer_stop(x);
	if (status == DSN_OK && !s->stdin_mode && !str_eq(&text, x->id)) {
		/* see qfile_id: not while the queue is on one file system */
		log_warnx("%s: queue ID announced as %s", text.s, x->id);
	}
	xfer_answer(s, status, text.s, "END-OF-MESSAGE", reply);
	str_free(&text);
}

/* Read one byte from the client: 1, 0 at end of input, -1 (errno). */
static int
client_byte(struct smtpd *s, int *c)
{
	unsigned char	ch;
	ssize_t		n;

	if (s->in.in_pos < s->in.in_len) {
		*c = s->in.in[s->in.in_pos++];
		return 1;
	}
	n = buf_read(&s->in, &ch, 1);
	if (n == 1) {
		*c = ch;
	}
	return (int)n;
}

/*
 * In the middle of a line, the ordinary bytes (no CR, LF or NUL) that
 * the input buffer holds next, up to max of them, go to cleanup as one
 * run rather than one xfer_byte each: they change nothing but the size.
 * Returns how many were taken.
 */
static size_t
xfer_run(struct smtpd *s, struct smtpd_xfer *x, size_t max)
{
	const unsigned char	*p = s->in.in + s->in.in_pos;
	size_t			 n, have = s->in.in_len - s->in.in_pos;

	if (x->state != X_MID) {
		return 0;
	}
	have = have < max ? have : max;
	n = span_plain((const char *)p, have, true);
	if (n > 0) {
		xfer_emit(s, x, (const char *)p, n);
		s->in.in_pos += n;
	}
	return n;
}

/* The client went away or timed out during content. */
static void
lost(struct smtpd *s, int r, const char *after)
{
	if (r == -1 && errno == ETIMEDOUT) {
		log_info("timeout after %s from %s", after, s->peer);
		smtpd_reply(s, "421 4.4.2 %s Error: timeout exceeded",
		    s->myhostname);
	} else {
		log_info("lost connection after %s from %s", after, s->peer);
	}
	s->quit = true;
}

int
smtpd_data(struct smtpd *s)
{
	struct smtpd_xfer	*x;
	struct str		 why = STR_INIT, reply = STR_INIT;
	int			 c, r, e, rc = -1;
	bool			 early = false;

	x = xfer_new();
	x->dots = true;
	x->state = X_BOL;
	if (xfer_start(s, x, &why) == -1) {
		log_warnx("%s: %s", s->peer, why.s);
	}
	smtpd_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	if (smtpd_flush(s) == -1) {
		goto out;
	}
	for (;;) {
		if ((r = client_byte(s, &c)) != 1) {
			lost(s, r, "DATA");
			goto out;
		}
		if (!early) {
			/* the content has come: cleanup has answered by now */
			early = true;
			if (xfer_early(s, x, &why) == -1) {
				log_warnx("%s: %s", s->peer, why.s);
			}
		}
		if ((e = xfer_byte(s, x, c)) == 1) {
			break;
		}
		if (e == -1) {
			log_info("bare <%s> received from %s",
			    c == '\n' ? "LF" : "CR", s->peer);
			smtpd_reply(s, "521 5.5.2 %s Error: bare <%s> "
			    "received", s->myhostname,
			    c == '\n' ? "LF" : "CR");
			s->quit = true;
			goto out;
		}
		(void)xfer_run(s, x, SIZE_MAX);
	}
	xfer_finish(s, x, &reply);
	if (reply.s[0] == '2') {
		rc = 0;
		smtpd_reply(s, "%s", reply.s);
	} else {
		s->errors++;
		smtpd_reply(s, "%s", reply.s);
	}
out:
	xfer_stop(x);
	xfer_free(x);
	smtpd_reset(s);
	str_free(&why);
	str_free(&reply);
	return rc;
}

/* Read and drop n bytes of a refused chunk: 0, or -1 (session over). */
static int
discard(struct smtpd *s, unsigned long long n)
{
	int	c, r;

	while (n > 0) {
		if ((r = client_byte(s, &c)) != 1) {
			lost(s, r, "BDAT");
			return -1;
		}
		n--;
	}
	return 0;
}

int
smtpd_bdat(struct smtpd *s, const char *args)
{
	struct smtpd_xfer	*x;
	struct str		 why = STR_INIT, reply = STR_INIT;
	unsigned long long	 n, left;
	const char		*sp;
	bool			 last = false;
	int			 c, r, rc = -1;

	sp = strchr(args, ' ');
	if (sp != NULL && strcasecmp(sp + 1, "LAST") == 0) {
		last = true;
	}
	if ((sp != NULL && !last) || scan_uint_mem(args, sp != NULL ?
	    (size_t)(sp - args) : strlen(args), ~0ULL >> 1, &n) == -1) {
		/* the chunk's length is unknown: nothing can follow */
		smtpd_reply(s, "501 5.5.4 Syntax: BDAT count [LAST]");
		s->quit = true;
		return -1;
	}
	if (!s->in_mail || s->nrcpt == 0) {
		if (discard(s, n) == 0) {
			smtpd_reply(s, s->in_mail ?
			    "554 5.5.1 Error: no valid recipients" :
			    "503 5.5.1 Error: need RCPT command");
			s->errors++;
		}
		smtpd_reset(s);
		return -1;
	}
	if (s->bdat == NULL) {
		s->bdat = xfer_new();
		s->bdat->state = X_MID;
		if (xfer_start(s, s->bdat, &why) == -1 ||
		    xfer_early(s, s->bdat, &why) == -1) {
			log_warnx("%s: %s", s->peer, why.s);
		}
	}
	x = s->bdat;
	for (left = n; left > 0; left--) {
		if ((r = client_byte(s, &c)) != 1) {
			lost(s, r, "BDAT");
			smtpd_reset(s);
			goto out;
		}
		(void)xfer_byte(s, x, c);
		left -= xfer_run(s, x, left - 1 > SIZE_MAX ? SIZE_MAX :
		    (size_t)(left - 1));
	}
	if (x->too_big) {
		str_set(&reply, "552 5.3.4 Error: message file too big");
		smtpd_log_reject(s, "BDAT", NULL, reply.s);
	} else if (x->answered) {
		/* refused, or broken, in cleanup's early answer */
		xfer_answer(s, x->answer, x->answer_text.s, last ?
		    "END-OF-MESSAGE" : "BDAT", &reply);
	} else if (!x->started) {
		str_set(&reply, "451 4.3.0 Error: queue file write error");
	} else if (last) {
		xfer_finish(s, x, &reply);
	} else {
		smtpd_reply(s, "250 2.0.0 Ok: %llu bytes", n);
		rc = 0;
		goto out;
	}
	if (reply.s[0] == '2') {
		rc = 0;
	} else {
		s->errors++;
	}
	smtpd_reply(s, "%s", reply.s);
	smtpd_reset(s);
out:
	str_free(&why);
	str_free(&reply);
	return rc;
}
