/* SPDX-License-Identifier: ISC */
/*
 * qmgr_message.c: the messages in memory, from active/ to the end of
 * one delivery attempt.
 *
 * qmgr_msg_load opens active/ID, resolves the pending recipients
 * (lib/rewrite), groups them by transport and next hop, cuts each group
 * into jobs of at most the transport's recipient limit and hands the
 * jobs to the scheduler (qmgr_sched.c).  Results are recorded before
 * they are logged, durably but for D (see there):
 *	D	status byte D (pwrite), then "status=sent"; for a
 *		recipient with NOTIFY=SUCCESS, a 2.x.x line in bounce/ID
 *		first, for the success notice.  The byte is made durable
 *		at the end of the loop's round (qmgr_msg_sync): by an fsync
 *		of the file when it stays, or, when the message is removed
 *		in that round, by the fsync of active/ that makes the
 *		removal durable (one for all removals of the round)
 *	P	a line in bounce/ID (durable rewrite), then status byte F,
 *		then "status=bounced"; the bounce lines of a job are written
 *		together when the job ends
 *	T	"status=deferred"; the status stays P and the reason goes
 *		to defer/ID when the attempt ends
 * A recipient the agent did not report (it died, timed out, broke the
 * protocol or forgot one) is deferred with a 4.3.0 reason, never
 * bounced.  When the last job of the message has ended, the attempt is
 * finished: the message is removed (nothing pending; bounce has sent the
 * notices that bounce/ID asks for), expired (pending, but older than its
 * queue lifetime: those recipients become F with 5.4.7), or moved to
 * deferred/ with its next attempt time as its mtime, after a delay notice
 * when delay_warning_time has passed.
 *
 * A crash anywhere leaves the file in active/ with every status byte
 * that was written; the next start tries the pending ones again.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "conf.h"
#include "durable.h"
#include "flow.h"
#include "fmt.h"
#include "log.h"
#include "map.h"
#include "qmgr.h"
#include "rewrite.h"

/* A permanent failure waiting for its bounce log line to be durable. */
struct msg_fail {
	size_t	 index;
	char	 code[16];
	char	*text;
	char	*relay;
};

struct qmgr_msg {
	struct qmgr	*q;
	char		 id[QID_SIZE];
	struct qfile	 qf;
	/* per recipient: its job in this attempt (NULL: none); reported */
	struct qmgr_job	**job_of;
	bool		*reported;
	/* per recipient: the last deferral reason "code text" */
	char		**reason;
	/* this attempt's defer log lines */
	struct str	 defer_text;
	struct msg_fail	*fail;
	size_t		 nfail, fail_cap;
	/* jobs not yet ended */
	size_t		 njobs;
	/* sendmail -bv: verify the recipients, deliver nothing */
	bool		 verify;
	/* status bytes D written but not yet fsync'ed; file unlinked */
	bool		 unsynced, removed;
	/* q->msgs, newest first, linked both ways so that a message
	 * leaves it at once (the oldest, at its end, usually go first) */
	struct qmgr_msg	*next, *prev;
	bool		 listed;
};

static void	msg_log(const struct qmgr_msg *, size_t, const char *,
		    const char *, const char *, const char *);
static void	msg_defer(struct qmgr_msg *, size_t, const char *, const char *,
		    const char *);
static void	msg_defer_reason(struct qmgr_msg *, size_t, const char *,
		    const char *);
static void	msg_fail(struct qmgr_msg *, size_t, const char *, const char *,
		    const char *);
static void	msg_fail_flush(struct qmgr_msg *);
static void	msg_delivered(struct qmgr_msg *, size_t, const char *,
		    const char *, const char *, bool);
static void	msg_resolve(struct qmgr_msg *);
static void	msg_expire(struct qmgr_msg *);
static void	msg_delay_notice(struct qmgr_msg *);
static int	msg_defer_file(struct qmgr_msg *);
static int	msg_bounce(struct qmgr_msg *, bool);
static int	msg_remove(struct qmgr_msg *);
static void	msg_finish(struct qmgr_msg *);
static void	msg_free(struct qmgr_msg *);
static long long msg_delay_us(const struct qmgr_msg *);
static void	msg_set_unsynced(struct qmgr_msg *, bool);

/* Microseconds since arrival, for delay=. */
static long long
msg_delay_us(const struct qmgr_msg *m)
{
	struct timespec	now;
	long long	us;

	(void)clock_gettime(CLOCK_REALTIME, &now);
	us = ((long long)now.tv_sec - (long long)m->qf.arrival_sec) *
	    1000000 + (long long)(now.tv_nsec / 1000) -
	    (long long)m->qf.arrival_usec;
	return us < 0 ? 0 : us;
}

/*
 * Postfix's delivery line: "ID: to=<rcpt>, relay=R, delay=N, dsn=C,
 * status=S (text)", with Postfix's precision for the delay: 0.12, 1.2,
 * 12 (rounded, in whole numbers: a %f would take the C library's printf,
 * several times the cost of the rest of the line).
 */
static void
msg_log(const struct qmgr_msg *m, size_t i, const char *relay, const char *code,
    const char *status, const char *text)
{
	long long	us = msg_delay_us(m), n;
	char		delay[32];

	if ((n = (us + 5000) / 10000) < 100) {
		(void)fmt_snprintf(delay, sizeof(delay), "0.%02lld", n);
	} else if ((n = (us + 50000) / 100000) < 100) {
		(void)fmt_snprintf(delay, sizeof(delay), "%lld.%lld", n / 10,
		    n % 10);
	} else {
		(void)fmt_snprintf(delay, sizeof(delay), "%lld",
		    (us + 500000) / 1000000);
	}
	log_info("%s: to=<%s>, relay=%s, delay=%s, dsn=%s, status=%s (%.*s)",
	    m->id, m->qf.rcpts[i].address, relay, delay, code, status,
	    QMGR_TEXT_MAX, text);
}

/* Recipient i stays pending for now, for reason code text. */
static void
msg_defer(struct qmgr_msg *m, size_t i, const char *relay, const char *code,
    const char *text)
{
	free(m->reason[i]);
	m->reason[i] = xmalloc(strlen(code) + strlen(text) + 2);
	memcpy(m->reason[i], code, strlen(code));
	m->reason[i][strlen(code)] = ' ';
	memcpy(m->reason[i] + strlen(code) + 1, text, strlen(text) + 1);
	qmgr_reason_line(&m->defer_text, m->qf.rcpts[i].address, code, text);
	msg_log(m, i, relay, code, "deferred", text);
}

/* msg_defer with a reason "code text" made here (code 4.x.x). */
static void
msg_defer_reason(struct qmgr_msg *m, size_t i, const char *relay,
    const char *reason)
{
	const char	*sp = strchr(reason, ' ');
	char		 code[16];

	if (sp == NULL || (size_t)(sp - reason) >= sizeof(code)) {
		msg_defer(m, i, relay, "4.3.0", reason);
		return;
	}
	memcpy(code, reason, (size_t)(sp - reason));
	code[sp - reason] = '\0';
	msg_defer(m, i, relay, code, sp + 1);
}

/* Recipient i failed for good; recorded by msg_fail_flush. */
static void
msg_fail(struct qmgr_msg *m, size_t i, const char *relay, const char *code,
    const char *text)
{
	struct msg_fail	*f;

	if (m->nfail == m->fail_cap) {
		m->fail_cap = m->fail_cap == 0 ? 8 : m->fail_cap * 2;
		m->fail = xreallocarray(m->fail, m->fail_cap,
		    sizeof(*m->fail));
	}
	f = &m->fail[m->nfail++];
	f->index = i;
	/* codes come from dsn_code_valid or from here: always short */
	if (strlen(code) >= sizeof(f->code)) {
		code = "5.0.0";
	}
	memcpy(f->code, code, strlen(code) + 1);
	f->text = xstrdup(text);
	f->relay = xstrdup(relay);
}

/*
 * Make the permanent failures so far durable: their lines in bounce/ID
 * first, then their status bytes F, then the log lines.  When the
 * bounce log cannot be written, they stay pending (deferred).
 */
static void
msg_fail_flush(struct qmgr_msg *m)
{
	struct str	 lines = STR_INIT;
	struct msg_fail	*f;
	size_t		 k;
	int		 rc;

	if (m->nfail == 0) {
		return;
	}
	for (k = 0; k < m->nfail; k++) {
		f = &m->fail[k];
		qmgr_reason_line(&lines, m->qf.rcpts[f->index].address,
		    f->code, f->text);
	}
	rc = qmgr_reason_add(m->q, "bounce", m->id, &lines, true);
	if (rc == -1) {
		log_warn("%s: cannot write bounce log", m->id);
	}
	for (k = 0; k < m->nfail; k++) {
		f = &m->fail[k];
		if (rc == -1) {
			msg_defer(m, f->index, f->relay, "4.3.0",
			    "cannot write the bounce log");
		} else if (qfile_set_status(m->qf.fd,
		    m->qf.rcpts[f->index].status_offset, QFILE_FAILED) == -1) {
			log_warn("%s: cannot record the failure of <%s>",
			    m->id, m->qf.rcpts[f->index].address);
		} else {
			m->qf.rcpts[f->index].status = QFILE_FAILED;
			msg_log(m, f->index, f->relay, f->code,
			    m->verify ? "undeliverable" : "bounced", f->text);
		}
		free(f->text);
		free(f->relay);
	}
	m->nfail = 0;
	str_free(&lines);
}

/*
 * Recipient i was delivered: status byte D first, then the log line.
 * With NOTIFY=SUCCESS, its line for the success notice goes to bounce/ID
 * before the status byte (marked "relayed" when the agent said R); when
 * that fails, it stays pending (delivered again later, never lost, and
 * the notice then follows).
 */
static void
msg_delivered(struct qmgr_msg *m, size_t i, const char *relay,
    const char *code, const char *text, bool relayed)
{
	struct str	line = STR_INIT;

	if (m->verify || (m->qf.rcpts[i].notify & QFILE_NOTIFY_SUCCESS)) {
		if (relayed && !m->verify) {
			qmgr_reason_relayed(&line, m->qf.rcpts[i].address,
			    code, text);
		} else {
			qmgr_reason_line(&line, m->qf.rcpts[i].address,
			    code, text);
		}
		if (qmgr_reason_add(m->q, "bounce", m->id, &line, true) == -1) {
			log_warn("%s: cannot write the success notice log for "
			    "<%s>", m->id, m->qf.rcpts[i].address);
			str_free(&line);
			msg_defer(m, i, relay, "4.3.0",
			    "cannot write the bounce log");
			return;
		}
		str_free(&line);
	}
	if (qfile_put_status(m->qf.fd, m->qf.rcpts[i].status_offset,
	    QFILE_DONE) == -1) {
		/* It stays pending: delivered again later, never lost. */
		log_warn("%s: cannot record the delivery to <%s>", m->id,
		    m->qf.rcpts[i].address);
	} else {
		m->qf.rcpts[i].status = QFILE_DONE;
		msg_set_unsynced(m, true);
	}
	msg_log(m, i, relay, code, m->verify ? "deliverable" : "sent", text);
}

int
qmgr_msg_result(struct qmgr_job *job, const struct agent_result *res,
    struct str *why)
{
	struct qmgr_msg		*m = job->msg;
	const char		*relay = job->relay != NULL ? job->relay :
				    job->dest->transport->name;
	size_t			 i = res->index;

	if (i >= m->qf.nrcpt || m->job_of[i] != job) {
		str_set(why, "result for a recipient not in the job");
		return -1;
	}
	if (m->reported[i]) {
		str_set(why, "second result for a recipient");
		return -1;
	}
	m->reported[i] = true;
	switch (res->status) {
	case DSN_OK:
		msg_delivered(m, i, relay, res->code, str_c(&res->text),
		    res->relayed);
		break;
	case DSN_PERM:
		msg_fail(m, i, relay, res->code, str_c(&res->text));
		break;
	default:
		msg_defer(m, i, relay, res->code, str_c(&res->text));
		break;
	}
	return 0;
}

void
qmgr_msg_job_end(struct qmgr *q, struct qmgr_job *job, const char *reason)
{
	struct qmgr_msg	*m = job->msg;
	const char	*relay = job->dest != NULL ?
			    job->dest->transport->name : "none";
	size_t		 k, i;

	if (!q->abort) {
		msg_fail_flush(m);
	}
	for (k = 0; k < job->n; k++) {
		i = job->index[k];
		/* Unreported recipients stay pending; when aborting,
		 * silently. */
		if (!m->reported[i] && !q->abort) {
			msg_defer_reason(m, i, relay, reason != NULL ? reason :
			    "4.3.0 delivery interrupted");
		}
		m->job_of[i] = NULL;
	}
	qmgr_job_free(job);
	if (--m->njobs == 0 && !q->abort) {
		msg_finish(m);
	}
}

/* A new job of m for transport t and next hop nexthop. */
static struct qmgr_job *
msg_job_new(struct qmgr_msg *m, const char *nexthop)
{
	struct qmgr_job	*job = xcalloc(1, sizeof(*job));

	job->msg = m;
	job->id = m->id;
	job->nexthop = xstrdup(nexthop);
	m->njobs++;
	return job;
}

static void
msg_job_add(struct qmgr_job *job, size_t i, const char *address)
{
	if (job->n == job->cap) {
		job->cap = job->cap == 0 ? 4 : job->cap * 2;
		job->index = xreallocarray(job->index, job->cap,
		    sizeof(*job->index));
		job->address = xreallocarray(job->address, job->cap,
		    sizeof(*job->address));
	}
	job->index[job->n] = i;
	job->address[job->n] = xstrdup(address);
	job->n++;
	job->msg->job_of[i] = job;
}

/*
 * sender_dependent_relayhost_maps: for mail that would go to relayhost
 * (or to the recipient's domain) because transport_maps did not decide,
 * the sender's entry (user@domain, then @domain) names the relay host
 * instead; DUNNO, or no entry, keeps relayhost.  Returns 0, or -1 with
 * the table's error in why (the recipient is then deferred).
 */
static int
msg_sender_relay(const struct qmgr_msg *m, struct rewrite_result *r,
    struct str *why)
{
	struct map_list	*l;
	struct str	 value = STR_INIT;
	enum map_result	 found;
	const char	*maps = conf_value("sender_dependent_relayhost_maps");

	if (*maps == '\0' || r->routed || *m->qf.sender == '\0' ||
	    (r->class != REWRITE_DEFAULT && r->class != REWRITE_RELAY)) {
		return 0;
	}
	if ((l = map_list_open(maps, why)) == NULL) {
		return -1;
	}
	found = map_lookup_addr(l, m->qf.sender, NULL, 0, &value, NULL, why);
	map_list_close(l);
	if (found == MAP_FOUND && value.len > 0 &&
	    strcasecmp(value.s, "DUNNO") != 0) {
		str_set(&r->nexthop, value.s);
	}
	str_free(&value);
	return found == MAP_ERROR ? -1 : 0;
}

/*
 * sendmail -bv: each pending recipient is resolved, and the result
 * recorded as if delivered (D, "deliverable") or failed (F,
 * "undeliverable"), with a line in bounce/ID either way; no agent runs.
 * The error transport's next hop is its verdict; every other transport
 * is deliverable to its next hop.  bounce then reports to the sender.
 */
static void
msg_verify(struct qmgr_msg *m)
{
	struct rewrite_result	 r = REWRITE_RESULT_INIT;
	struct str		 text = STR_INIT;
	const char		*t, *hop, *sp, *why;
	char			 code[16];
	size_t			 i, n;

	for (i = 0; i < m->qf.nrcpt; i++) {
		if (!QFILE_STATUS_PENDING(m->qf.rcpts[i].status)) {
			continue;
		}
		if (rewrite_resolve(m->qf.rcpts[i].address, &r) == -1) {
			msg_defer(m, i, "none", "4.3.0", str_c(&r.nexthop));
			continue;
		}
		t = str_c(&r.transport);
		hop = str_c(&r.nexthop);
		str_clear(&text);
		if (strcmp(t, "error") == 0) {
			/* "5.1.1 text" or "4.x.x text": undeliverable */
			why = hop[0] != '\0' ? hop : "no reason given";
			memcpy(code, "5.0.0", 6);
			sp = strchr(hop, ' ');
			n = sp != NULL ? (size_t)(sp - hop) : 0;
			if (n > 0 && n < sizeof(code)) {
				memcpy(code, hop, n);
				code[n] = '\0';
				if (dsn_code_valid(code, DSN_PERM) ||
				    dsn_code_valid(code, DSN_TEMP)) {
					why = sp + 1;
				} else {
					memcpy(code, "5.0.0", 6);
				}
			}
			code[0] = '5';
			str_catf(&text, "delivery via error: %s", why);
			msg_fail(m, i, t, code, text.s);
			continue;
		}
		str_catf(&text, "delivery via %s%s%s to <%s>: deliverable", t,
		    hop[0] != '\0' ? " next hop " : "", hop,
		    str_c(&r.recipient));
		msg_delivered(m, i, t, "2.0.0", text.s, false);
	}
	msg_fail_flush(m);
	rewrite_result_free(&r);
	str_free(&text);
}

/*
 * Resolve every pending recipient into jobs: recipients with the same
 * transport and next hop share a job, up to the transport's recipient
 * limit; with a limit of 1 the destination is the recipient itself.
 * The jobs are queued only at the end, so that none can end (and finish
 * the message) before all are made.
 */
static void
msg_resolve(struct qmgr_msg *m)
{
	struct rewrite_result	  r = REWRITE_RESULT_INIT;
	struct qmgr_transport	 *t;
	struct qmgr_job		**open = NULL, *job;
	const char		**open_transport = NULL;
	struct qmgr_job		**all = NULL;
	struct qmgr_transport	**all_transport = NULL;
	struct str		  why = STR_INIT;
	size_t			  nopen = 0, nall = 0, i, k;

	open = xcalloc(m->qf.nrcpt, sizeof(*open));
	open_transport = xcalloc(m->qf.nrcpt, sizeof(*open_transport));
	all = xcalloc(m->qf.nrcpt, sizeof(*all));
	all_transport = xcalloc(m->qf.nrcpt, sizeof(*all_transport));
	for (i = 0; i < m->qf.nrcpt; i++) {
		if (!QFILE_STATUS_PENDING(m->qf.rcpts[i].status)) {
			continue;
		}
		if (rewrite_resolve(m->qf.rcpts[i].address, &r) == -1) {
			msg_defer(m, i, "none", "4.3.0", str_c(&r.nexthop));
			continue;
		}
		if (msg_sender_relay(m, &r, &why) == -1) {
			msg_defer(m, i, "none", "4.3.0", str_c(&why));
			continue;
		}
		t = qmgr_sched_transport(m->q, str_c(&r.transport));
		/* an open job of the same transport and next hop with room */
		for (k = 0; k < nopen; k++) {
			if (open[k] != NULL &&
			    strcmp(open_transport[k], t->name) == 0 &&
			    str_eq(&r.nexthop, open[k]->nexthop)) {
				break;
			}
		}
		if (k == nopen) {
			open[nopen] = msg_job_new(m, str_c(&r.nexthop));
			open_transport[nopen++] = t->name;
			all_transport[nall] = t;
			all[nall++] = open[k];
		}
		job = open[k];
		msg_job_add(job, i, str_c(&r.recipient));
		if (job->n >= (size_t)t->rcpt_limit) {
			/* full: the next recipient opens a new one */
			open[k] = NULL;
			open_transport[k] = "";
		}
	}
	rewrite_result_free(&r);
	str_free(&why);
	for (k = 0; k < nall; k++) {
		job = all[k];
		t = all_transport[k];
		qmgr_sched_add(m->q, job, t->name, t->rcpt_limit == 1 ?
		    job->address[0] : job->nexthop);
	}
	free(all_transport);
	free(open);
	free(open_transport);
	free(all);
}

/*
 * Past its queue lifetime (bounce_queue_lifetime for the null sender,
 * else maximal_queue_lifetime, counted from arrival as Postfix does),
 * a message's pending recipients fail with 5.4.7 and their last reason.
 */
static void
msg_expire(struct qmgr_msg *m)
{
	struct str	 text = STR_INIT;
	long long	 lifetime, age;
	size_t		 i, n = 0;

	lifetime = m->qf.sender[0] == '\0' ? m->q->bounce_queue_lifetime :
	    m->q->maximal_queue_lifetime;
	age = (long long)time(NULL) - m->qf.arrival_sec;
	if (age <= lifetime) {
		return;
	}
	for (i = 0; i < m->qf.nrcpt; i++) {
		if (!QFILE_STATUS_PENDING(m->qf.rcpts[i].status)) {
			continue;
		}
		str_clear(&text);
		str_catf(&text, "message expired after %lld seconds in the "
		    "queue (%s)", age, m->reason[i] != NULL ? m->reason[i] :
		    "no reason recorded");
		msg_fail(m, i, "none", "5.4.7", text.s);
		n++;
	}
	if (n > 0) {
		msg_fail_flush(m);
		log_info("%s: from=<%s>, status=expired, returned to sender",
		    m->id, m->qf.sender);
	}
	str_free(&text);
}

/*
 * Move the message to deferred/ with its next attempt time as mtime:
 * now + (now - arrival), clamped to minimal_backoff_time ..
 * maximal_backoff_time (Postfix's backoff: the wait doubles as the
 * message ages).  The time is fsync'ed with the file before the rename.
 */
static int
msg_defer_file(struct qmgr_msg *m)
{
	struct timespec	 ts[2];
	long long	 now = (long long)time(NULL), wait;
	int		 rc = -1;

	wait = now - m->qf.arrival_sec;
	if (wait > m->q->maximal_backoff_time) {
		wait = m->q->maximal_backoff_time;
	}
	if (wait < m->q->minimal_backoff_time) {
		wait = m->q->minimal_backoff_time;
	}
	ts[0].tv_sec = ts[1].tv_sec = (time_t)(now + wait);
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (futimens(m->qf.fd, ts) == -1 || fsync(m->qf.fd) == -1) {
		log_warn("%s: set the next attempt time", m->id);
		goto out;
	}
	msg_set_unsynced(m, false);	/* that fsync took the D bytes */
	if (qfile_move(str_c(&m->q->queue_dir), m->id, QFILE_ACTIVE,
	    QFILE_DEFERRED) == -1) {
		log_warn("%s: move to %s", m->id, QFILE_DEFERRED);
		goto out;
	}
	log_debug("%s: deferred until %lld", m->id, now + wait);
	rc = 0;
out:
	return rc;
}

/*
 * Run the bounce program: "$daemon_directory/bounce -c config_dir ID"
 * makes the failure and success notices that bounce/ID asks for; with
 * delay, "bounce -d -c config_dir ID" makes a delay notice from
 * defer/ID.  It runs while the file is in active/.  Returns 0 when the
 * notice is taken care of, 1 when bounce is not installed (logged), -1
 * when the message must wait and try again.
 *
 * The wait blocks the whole queue manager, bounded by ipc_timeout:
 * bounce only reads two files and hands one message to cleanup.
 */
static int
msg_bounce(struct qmgr_msg *m, bool delay)
{
	struct qmgr	*q = m->q;
	struct proc_cmd	 cmd;
	struct proc	 p;
	struct str	 path = STR_INIT;
	char		 text[PROC_STATUS_MAX];
	char		*argv[6] = { NULL, NULL, NULL, NULL, NULL, NULL };
	int		 status, rc = -1, i, n = 0;

	str_catf(&path, "%s/bounce", str_c(&q->daemon_dir));
	if (access(path.s, F_OK) == -1 && errno == ENOENT) {
		log_warnx("%s: %s not installed: no %s notice sent", m->id,
		    path.s, delay ? "delay" : "delivery status");
		rc = 1;
		goto out;
	}
	argv[n++] = xstrdup("bounce");
	if (delay) {
		argv[n++] = xstrdup("-d");
	}
	argv[n++] = xstrdup("-c");
	argv[n++] = xstrdup(q->config_dir);
	argv[n++] = xstrdup(m->id);
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = path.s;
	cmd.argv = argv;
	cmd.io[1] = PROC_IO_INHERIT;
	cmd.io[2] = PROC_IO_INHERIT;
	if (proc_spawn(&cmd, &p) == -1) {
		log_warn("%s: %s %s", m->id, p.failed, path.s);
		goto out;
	}
	if (proc_wait(p.pid, &status, clock_deadline(q->ipc_timeout > 86400 ?
	    86400 * 1000 : (int)q->ipc_timeout * 1000)) == -1) {
		log_warn("%s: bounce program (pid %ld)", m->id, (long)p.pid);
		(void)kill(p.pid, SIGKILL);
		(void)proc_wait(p.pid, &status, -1);
		goto out;
	}
	if (status != 0) {
		log_warnx("%s: bounce program failed: %s; trying again later",
		    m->id, proc_status_text(status, text, sizeof(text)));
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		free(argv[i]);
	}
	str_free(&path);
	return rc;
}

/*
 * Once the message has waited delay_warning_time (when not 0), its
 * pending recipients get one delay notice: bounce -d, then their status
 * bytes become W, so that the next attempts send none.  A crash in
 * between sends the notice twice, never not at all.
 */
static void
msg_delay_notice(struct qmgr_msg *m)
{
	size_t	i, n = 0;

	if (m->q->delay_warning_time <= 0 || (long long)time(NULL) -
	    m->qf.arrival_sec < m->q->delay_warning_time) {
		return;
	}
	for (i = 0; i < m->qf.nrcpt; i++) {
		n += m->qf.rcpts[i].status == QFILE_PENDING;
	}
	if (n == 0 || msg_bounce(m, true) == -1) {
		return;
	}
	for (i = 0; i < m->qf.nrcpt; i++) {
		if (m->qf.rcpts[i].status != QFILE_PENDING) {
			continue;
		}
		if (qfile_set_status(m->qf.fd, m->qf.rcpts[i].status_offset,
		    QFILE_WARNED) == -1) {
			log_warn("%s: cannot record the delay notice for <%s>",
			    m->id, m->qf.rcpts[i].address);
		} else {
			m->qf.rcpts[i].status = QFILE_WARNED;
		}
	}
}

/*
 * The logs first, then the queue file: a crash in between leaves a
 * message whose notice was sent, which is then removed without one.
 * The removal is made durable by qmgr_msg_sync at the end of the round,
 * one fsync of active/ for all the removals of the round; until then a
 * crash can bring the file back with its last D bytes not yet on disk,
 * and those recipients are delivered again (DESIGN: a duplicate only
 * when the crash falls between a delivery and its durable record).
 */
static int
msg_remove(struct qmgr_msg *m)
{
	struct str	path = STR_INIT;
	int		rc = -1;

	qmgr_reason_remove(m->q, m->id);
	str_catf(&path, "%s/%s/%s", str_c(&m->q->queue_dir), QFILE_ACTIVE,
	    m->id);
	if (unlink(path.s) == -1) {
		log_warn("%s: remove %s", m->id, path.s);
		goto out;
	}
	log_info("%s: removed", m->id);
	m->removed = true;
	m->q->removals_unsynced = true;
	rc = 0;
out:
	str_free(&path);
	return rc;
}

/*
 * The attempt is over (every job ended): expire, then defer (returning
 * what failed so far, and a delay notice when due), notify or
 * remove, and forget the message.  When the file cannot leave active/
 * it stays there, for the next scan of active/ or the next start.
 */
static void
msg_finish(struct qmgr_msg *m)
{
	struct qmgr	*q = m->q;
	size_t		 i, pending = 0;

	msg_expire(m);
	for (i = 0; i < m->qf.nrcpt; i++) {
		pending += QFILE_STATUS_PENDING(m->qf.rcpts[i].status);
	}
	if (pending > 0) {
		if (m->defer_text.len > 0 && qmgr_reason_add(q, "defer",
		    m->id, &m->defer_text, true) == -1) {
			log_warn("%s: cannot write defer log", m->id);
		}
		/* As Postfix: what failed in this attempt is returned
		 * now, not when the last recipient is done.  A crash
		 * before the log is removed sends that notice twice. */
		if (qmgr_reason_have_bounce(q, m->id) &&
		    msg_bounce(m, false) == 0) {
			qmgr_reason_remove_bounce(q, m->id);
		}
		/* (without a bounce program, the log waits for the end) */
		msg_delay_notice(m);
		(void)msg_defer_file(m);
	} else if (qmgr_reason_have_bounce(q, m->id) &&
	    msg_bounce(m, false) == -1) {
		(void)msg_defer_file(m);
	} else {
		(void)msg_remove(m);
	}
	/* in_flow_delay: the message's token back, for the next arrival,
	 * at the end of the round (qmgr_msg_sync) */
	q->flow_owed++;
	msg_free(m);
}

/* m->unsynced, and q's count of such messages with it. */
static void
msg_set_unsynced(struct qmgr_msg *m, bool on)
{
	if (m->unsynced != on) {
		m->unsynced = on;
		if (on) {
			m->q->nunsynced++;
		} else {
			m->q->nunsynced--;
		}
	}
}

/* fsync the D bytes of m that are not durable yet (none to do when the
 * file is removed: the fsync of active/ stands for them). */
static void
msg_sync(struct qmgr_msg *m)
{
	if (m->unsynced && !m->removed && fsync(m->qf.fd) == -1) {
		log_warn("%s: fsync of the delivery records", m->id);
	}
	msg_set_unsynced(m, false);
}

void
qmgr_msg_sync(struct qmgr *q)
{
	struct qmgr_msg	*m;
	struct str	 path = STR_INIT;

	/* Usually none: a job's results and its end come together. */
	for (m = q->msgs; m != NULL && q->nunsynced > 0; m = m->next) {
		msg_sync(m);
	}
	if (q->removals_unsynced) {
		q->removals_unsynced = false;
		str_catf(&path, "%s/%s", str_c(&q->queue_dir), QFILE_ACTIVE);
		if (durable_fsync_dir(path.s) == -1) {
			log_warn("fsync %s", path.s);
		}
		str_free(&path);
	}
	/* the round's tokens, in one write (flow.h): one per message was a
	 * write, and a wake-up of the FIFO's pollers, each */
	if (q->flow_owed > 0) {
		if (q->flow != -1 &&
		    flow_put(q->flow, q->flow_owed, q->flow_limit) == -1) {
			log_warn("%s: tokens", FLOW_FIFO);
		}
		q->flow_owed = 0;
	}
}

/* Unlink m from q->msgs and free it (its D bytes made durable first). */
static void
msg_free(struct qmgr_msg *m)
{
	size_t	i;

	msg_sync(m);

	if (m->listed) {
		if (m->prev != NULL) {
			m->prev->next = m->next;
		} else {
			m->q->msgs = m->next;
		}
		if (m->next != NULL) {
			m->next->prev = m->prev;
		}
		m->listed = false;
		m->q->nloaded--;
	}
	for (i = 0; i < m->qf.nrcpt && m->reason != NULL; i++) {
		free(m->reason[i]);
	}
	free(m->reason);
	free(m->job_of);
	free(m->reported);
	for (i = 0; i < m->nfail; i++) {
		free(m->fail[i].text);
		free(m->fail[i].relay);
	}
	free(m->fail);
	str_free(&m->defer_text);
	qfile_close(&m->qf);
	free(m);
}

int
qmgr_msg_load(struct qmgr *q, const char *id)
{
	struct qmgr_msg	*m;
	struct str	 path = STR_INIT;
	int		 rc = -1;

	if (!qid_valid(id)) {
		return -1;
	}
	m = xcalloc(1, sizeof(*m));
	m->q = q;
	memcpy(m->id, id, strlen(id) + 1);
	m->qf = (struct qfile)QFILE_INIT;
	str_catf(&path, "%s/%s/%s", str_c(&q->queue_dir), QFILE_ACTIVE, id);
	if (qfile_open(path.s, O_RDWR, &m->qf) == -1) {
		if (errno == EBADMSG) {
			(void)qfile_corrupt(str_c(&q->queue_dir), QFILE_ACTIVE,
			    id, str_c(&m->qf.error));
		} else if (errno != ENOENT) {
			log_warnx("%s: %s", id, str_c(&m->qf.error));
		}
		qfile_close(&m->qf);
		free(m);
		goto out;
	}
	m->next = q->msgs;
	m->prev = NULL;
	if (q->msgs != NULL) {
		q->msgs->prev = m;
	}
	q->msgs = m;
	m->listed = true;
	q->nloaded++;
	log_info("%s: from=<%s>, size=%lld, nrcpt=%zu (queue active)", id,
	    m->qf.sender, (long long)m->qf.content_len, m->qf.nrcpt);
	m->job_of = xcalloc(m->qf.nrcpt, sizeof(*m->job_of));
	m->reported = xcalloc(m->qf.nrcpt, sizeof(*m->reported));
	m->reason = xcalloc(m->qf.nrcpt, sizeof(*m->reason));
	m->verify = qfile_flags_have(qfile_attr(&m->qf, "flags"), "verify");
	if (m->verify) {
		msg_verify(m);
	} else {
		msg_resolve(m);
	}
	if (m->njobs == 0) {
		msg_finish(m);
	}
	rc = 0;
out:
	str_free(&path);
	return rc;
}

void
qmgr_msg_drop_all(struct qmgr *q)
{
	while (q->msgs != NULL) {
		msg_free(q->msgs);
	}
}

bool
qmgr_msg_loaded(const struct qmgr *q, const char *id)
{
	const struct qmgr_msg	*m;

	for (m = q->msgs; m != NULL; m = m->next) {
		if (strcmp(m->id, id) == 0) {
			return true;
		}
	}
	return false;
}
