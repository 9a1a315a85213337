/* SPDX-License-Identifier: ISC */
/*
 * qmqpd_proto.c: one QMQP session (qmqpd(8)), and the message handed to
 * cleanup in the submission protocol (lib/submit.h) as smtpd does.
 *
 * The request is one netstring holding netstrings: the message, the
 * sender, then one or more recipients; the reply is one netstring, "K"
 * (accepted), "Z" (try again later) or "D" (never) and a text.  As in
 * Postfix, a client not in qmqpd_authorized_clients gets "D" at once,
 * and a malformed request or a netstring over its bound (the message:
 * message_size_limit; the sender and each recipient: line_length_limit)
 * gets "D" as soon as it is seen; then the connection ends.  Every
 * negative reply waits qmqpd_error_delay first.
 *
 * The message comes first but cleanup wants the envelope first, so the
 * message is held in memory (at most message_size_limit bytes, read as
 * it arrives); the sender and each recipient go to cleanup as they
 * arrive.  At the end of the request cleanup's early answer, the queue
 * ID (F early-id, lib/submit.h), goes into our Received field, as in
 * Postfix, and into the line "ID: client=..."; then the content follows.
 * "K" is sent only after cleanup answered OK, that is once the queue
 * file is durable; anything else (a refusal, early or final, a missing
 * or broken early answer, a broken request, a lost client) ends cleanup
 * without an E record, so nothing is queued.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "bounds.h"
#include "clock.h"
#include "conf.h"
#include "header.h"
#include "jail.h"
#include "log.h"
#include "netmatch.h"
#include "netstring.h"
#include "proc.h"
#include "submit.h"
#include "qmqpd.h"

/* The request being read. */
struct request {
	struct str		 content;
	struct str		 sender;
	struct str		 rcpt;	/* the last one read */
	struct str		 first;	/* the first recipient */
	size_t			 nrcpt;
	unsigned long long	 left;	/* of the outer netstring */
	const char		*where;	/* for error messages */
	/* cleanup */
	struct proc		 p;
	bool			 started;
	struct buf		 to, from;
	unsigned char		 tomem[2 * 4096];
	unsigned char		 frommem[1024];
};

static void	reply(struct qmqpd *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	drain(struct qmqpd *);
static void	read_failed(struct qmqpd *, struct request *, int);
static int	take(struct qmqpd *, struct request *, unsigned long long,
		    struct str *);
static bool	address_ok(const struct str *);
static void	received(struct qmqpd *, struct request *, const char *,
		    struct str *);
static int	start_cleanup(struct qmqpd *, struct request *);
static void	finish(struct qmqpd *, struct request *);
static void	receive(struct qmqpd *);

/* Send the reply netstring: the code byte, then the text. */
static void
reply(struct qmqpd *q, int code, const char *fmt, ...)
{
	struct str	text = STR_INIT;
	va_list		ap;

	str_cat_char(&text, code);
	va_start(ap, fmt);
	str_vcatf(&text, fmt, ap);
	va_end(ap);
	if (code != QMQPD_OK && q->error_delay > 0) {
		(void)sleep((unsigned)q->error_delay);
	}
	netstring_put(&q->out, text.s, text.len);
	if (buf_flush(&q->out) == -1) {
		log_info("lost connection while sending reply to %s",
		    q->peer);
	}
	str_free(&text);
}

/*
 * After a refusal: stop sending, and read what the client still sends,
 * for a bounded time, so that the close does not reset the connection
 * (which could discard the reply before the client read it).
 */
static void
drain(struct qmqpd *q)
{
	unsigned char	junk[4096];
	long long	deadline = clock_deadline(QMQPD_DRAIN_MS);
	int		left;

	(void)shutdown(1, SHUT_WR);
	while ((left = clock_left(deadline)) > 0) {
		q->in.timeout_ms = left;
		if (buf_read(&q->in, junk, sizeof(junk)) <= 0) {
			break;
		}
	}
}

/* A netstring read failed (r: 0 or -1 with errno): reply and log. */
static void
read_failed(struct qmqpd *q, struct request *rq, int r)
{
	const char	*reason;
	bool		 answer = false;

	if (r == -1 && errno == ETIMEDOUT) {
		reason = "read/write timeout";
	} else if (r == 0 || q->in.eof || (r == -1 && errno != EBADMSG &&
	    errno != EMSGSIZE)) {
		reason = "lost connection";
	} else if (errno == EMSGSIZE) {
		reason = "netstring length exceeds storage limit";
		answer = true;
	} else {
		reason = "netstring format error";
		answer = true;
	}
	log_info("NOQUEUE: %s: %s while %s", q->peer, reason, rq->where);
	if (answer) {
		reply(q, QMQPD_PERM, "%s while %s", reason, rq->where);
		drain(q);
	}
}

/*
 * One inner netstring of at most max bytes into out, within what is
 * left of the outer one: 1, or 0 after it replied (or the client went).
 */
static int
take(struct qmqpd *q, struct request *rq, unsigned long long max,
    struct str *out)
{
	unsigned long long	used;
	int			r;

	if ((r = netstring_get(&q->in, max, out, &used)) != 1) {
		read_failed(q, rq, r);
		return 0;
	}
	if (used > rq->left) {
		/* it ran past the end of the request */
		errno = EBADMSG;
		read_failed(q, rq, -1);
		return 0;
	}
	rq->left -= used;
	return 1;
}

/* An envelope address cleanup can take: no NUL, CR or LF. */
static bool
address_ok(const struct str *a)
{
	size_t	i;

	for (i = 0; i < a->len; i++) {
		if (a->s[i] == '\0' || a->s[i] == '\r' || a->s[i] == '\n') {
			return false;
		}
	}
	return true;
}

/* Our Received field, Postfix's qmqpd form, with queue ID id. */
static void
received(struct qmqpd *q, struct request *rq, const char *id,
    struct str *out)
{
	struct str	date = STR_INIT, quoted = STR_INIT;

	header_date(time(NULL), &date);
	str_catf(out, "Received: from %s (%s [%s])\n\tby %s (%s) with QMQP "
	    "id %s", q->name, q->name, q->addr, q->myhostname,
	    conf_value("mail_name"), id);
	if (rq->nrcpt == 1) {
		addr_quote(rq->first.s, rq->first.len, &quoted);
		str_catf(out, "\n\tfor <%s>; %s\n", quoted.s, date.s);
	} else {
		str_catf(out, ";\n\t%s\n", date.s);
	}
	str_free(&date);
	str_free(&quoted);
}

/* Start cleanup and send the sender and the client's attributes. */
static int
start_cleanup(struct qmqpd *q, struct request *rq)
{
	struct submit_cleanup	sc;
	struct str		why = STR_INIT, attr = STR_INIT;
	struct str		path = STR_INIT;
	int			r;

	memset(&sc, 0, sizeof(sc));
	sc.daemon_dir = conf_value("daemon_directory");
	sc.config_dir = q->config_dir;
	sc.stderr_io = PROC_IO_INHERIT;
	jail_queue_path("public/cleanup", &path);
	sc.socket_path = path.s;
	sc.spawn_if_absent = !jail_active();
	r = submit_start_cleanup(&sc, &rq->p, &why);
	str_free(&path);
	if (r == -1) {
		log_warnx("%s: %s", q->peer, why.s);
		str_free(&why);
		return -1;
	}
	rq->started = true;
	buf_init_fd(&rq->to, rq->p.fd[0], rq->tomem, sizeof(rq->tomem),
	    q->timeout_ms);
	buf_init_fd(&rq->from, rq->p.fd[1], rq->frommem,
	    sizeof(rq->frommem), q->timeout_ms);
	(void)submit_put(&rq->to, 'F', "early-id");
	(void)submit_put(&rq->to, 'S', rq->sender.s);
	str_catf(&attr, "client_name=%s", q->name);
	(void)submit_put(&rq->to, 'A', attr.s);
	str_clear(&attr);
	str_catf(&attr, "client_address=%s", q->addr);
	(void)submit_put(&rq->to, 'A', attr.s);
	(void)submit_put(&rq->to, 'A', "protocol=QMQP");
	str_free(&attr);
	str_free(&why);
	return 0;
}

/* The queue ID, the content, E, cleanup's answer, and the reply. */
static void
finish(struct qmqpd *q, struct request *rq)
{
	struct str		 hdr = STR_INIT, text = STR_INIT;
	struct str		 id = STR_INIT;
	enum dsn_status		 status = DSN_TEMP;

	/* A failed write shows as a missing answer. */
	(void)buf_flush(&rq->to);
	if (submit_get_early_id(&rq->from, &status, &text) != 1) {
		/* refused, or broken: no E record, nothing queued */
		goto answer;
	}
	str_set(&id, text.s);
	log_info("%s: client=%s", id.s, q->peer);
	received(q, rq, id.s, &hdr);
	/* content that begins with white space must not continue our
	 * field: an empty line makes it the body, as Postfix does */
	if (rq->content.len > 0 && (rq->content.s[0] == ' ' ||
	    rq->content.s[0] == '\t')) {
		str_cat_char(&hdr, '\n');
	}
	submit_put_content(&rq->to, hdr.s, hdr.len);
	submit_put_content(&rq->to, rq->content.s, rq->content.len);
	submit_put_end(&rq->to);
	(void)buf_flush(&rq->to);
	(void)close(rq->p.fd[0]);
	rq->p.fd[0] = -1;
	(void)submit_get_reply(&rq->from, &status, &text);
	if (status == DSN_OK && !str_eq(&text, id.s)) {
		/* see qfile_id: not while the queue is on one file system */
		log_warnx("%s: queue ID announced as %s", text.s, id.s);
	}
answer:
	(void)submit_end_cleanup(&rq->p);
	rq->started = false;
	if (status == DSN_OK) {
		reply(q, QMQPD_OK, "Ok: queued as %s", text.s);
	} else {
		log_warnx("NOQUEUE: %s: Error: %s", q->peer, text.s);
		reply(q, status == DSN_PERM ? QMQPD_PERM : QMQPD_TEMP,
		    "Error: %s", text.s);
	}
	str_free(&hdr);
	str_free(&text);
	str_free(&id);
}

static void
receive(struct qmqpd *q)
{
	struct request		 rq;
	unsigned long long	 limit;
	size_t			 line_max;
	unsigned char		 c;
	ssize_t			 n;
	int			 r;

	memset(&rq, 0, sizeof(rq));
	rq.where = "receiving QMQP packet header";
	if ((r = netstring_get_length(&q->in, ~0ULL, &rq.left, NULL)) != 1) {
		if (r == 0) {
			log_info("NOQUEUE: %s: lost connection while %s",
			    q->peer, rq.where);
		} else {
			read_failed(q, &rq, r);
		}
		goto out;
	}
	rq.where = "receiving message content";
	/* the message is held in memory: bounded even without a limit,
	 * and never more than the outer netstring announced */
	limit = q->size_limit > 0 ? q->size_limit : QMQPD_CONTENT_MAX;
	limit = limit < rq.left ? limit : rq.left;
	if (!take(q, &rq, limit, &rq.content)) {
		goto out;
	}
	/* an address goes into one submission record */
	line_max = q->line_limit < QFILE_RECORD_MAX - 16 ? q->line_limit :
	    QFILE_RECORD_MAX - 16;
	rq.where = "receiving sender address";
	if (!take(q, &rq, line_max, &rq.sender)) {
		goto out;
	}
	if (!address_ok(&rq.sender)) {
		log_info("NOQUEUE: %s: malformed sender address", q->peer);
		reply(q, QMQPD_PERM, "Error: malformed sender address");
		drain(q);
		goto out;
	}
	rq.where = "receiving recipient address";
	while (rq.left > 0) {
		if (!take(q, &rq, line_max, &rq.rcpt)) {
			goto out;
		}
		if (++rq.nrcpt > QFILE_RCPT_MAX) {
			log_info("NOQUEUE: %s: too many recipients",
			    q->peer);
			reply(q, QMQPD_PERM, "Error: too many recipients");
			drain(q);
			goto out;
		}
		if (!address_ok(&rq.rcpt)) {
			log_info("NOQUEUE: %s: malformed recipient address",
			    q->peer);
			reply(q, QMQPD_PERM,
			    "Error: malformed recipient address");
			drain(q);
			goto out;
		}
		if (rq.nrcpt == 1) {
			/* cleanup starts with the first recipient */
			str_set_mem(&rq.first, rq.rcpt.s, rq.rcpt.len);
			if (start_cleanup(q, &rq) == -1) {
				reply(q, QMQPD_TEMP,
				    "Error: queue file write error");
				drain(q);
				goto out;
			}
		}
		(void)submit_put_rcpt(&rq.to, NULL, NULL, rq.rcpt.s);
	}
	/* the outer netstring's comma */
	n = buf_read(&q->in, &c, 1);
	if (n != 1 || c != ',') {
		if (n == 1) {
			errno = EBADMSG;
		}
		read_failed(q, &rq, n == 1 ? -1 : (int)n);
		goto out;
	}
	if (rq.nrcpt == 0) {
		log_info("NOQUEUE: %s: no recipients specified", q->peer);
		reply(q, QMQPD_PERM, "Error: no recipients specified");
		goto out;
	}
	finish(q, &rq);
out:
	if (rq.started) {
		/* no E record was sent: cleanup queues nothing */
		(void)submit_end_cleanup(&rq.p);
	}
	str_free(&rq.content);
	str_free(&rq.sender);
	str_free(&rq.rcpt);
	str_free(&rq.first);
}

void
qmqpd_session(struct qmqpd *q)
{
	struct str	err = STR_INIT;
	int		r;

	log_info("connect from %s", q->peer);
	r = netmatch_list(conf_value("qmqpd_authorized_clients"), q->addr,
	    &err);
	if (r == -1) {
		log_warnx("qmqpd_authorized_clients: %s", err.s);
		reply(q, QMQPD_TEMP, "Error: server configuration error");
		drain(q);
	} else if (r == 0) {
		log_info("NOQUEUE: %s: not authorized to use this service "
		    "(qmqpd_authorized_clients)", q->peer);
		reply(q, QMQPD_PERM, "Error: %s is not authorized to use "
		    "this service", q->peer);
		drain(q);
	} else {
		receive(q);
	}
	log_info("disconnect from %s", q->peer);
	str_free(&err);
}
