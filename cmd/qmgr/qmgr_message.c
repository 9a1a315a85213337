/* SPDX-License-Identifier: ISC */
/*
 * qmgr_message.c: one delivery attempt of one message in active/.
 *
 * The pending recipients are resolved (lib/rewrite) and grouped by
 * transport and next hop, in the order of their first recipient; each
 * group is one job for one agent.  Results are recorded durably before
 * they are logged:
 *	D	status byte D (pwrite + fsync), then "status=sent"
 *	P	a line in bounce/ID (durable rewrite), then status byte F,
 *		then "status=bounced"; the bounce lines of a job are written
 *		together when the job ends
 *	T	"status=deferred"; the status stays P and the reason goes
 *		to defer/ID when the attempt ends
 * A recipient the agent did not report (it died, timed out, broke the
 * protocol or forgot one) is deferred with a 4.3.0 reason, never
 * bounced.  After the last job the message is removed (nothing pending;
 * the bounce program has taken the F recipients), expired (pending, but
 * older than its queue lifetime: those recipients become F with 5.4.7),
 * or moved to deferred/ with its next attempt time as its mtime.
 *
 * A crash anywhere leaves the file in active/ with every status byte
 * that was written; the next start tries the pending ones again.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "durable.h"
#include "log.h"
#include "qmgr.h"
#include "rewrite.h"

/* Recipients of one job: same transport and next hop. */
struct msg_group {
	char	*transport;
	char	*nexthop;
	size_t	*index;		/* queue file positions */
	char	**address;	/* resolved, owned */
	size_t	 n, cap;
};

/* A permanent failure waiting for its bounce log line to be durable. */
struct msg_fail {
	size_t	 index;
	char	 code[16];
	char	*text;
};

struct msg {
	struct qmgr	*q;
	const char	*id;		/* borrowed */
	struct qfile	 qf;
	/* per recipient: in the current job; reported in it */
	bool		*in_job, *reported;
	/* per recipient: the last deferral reason "code text" */
	char		**reason;
	/* this attempt's defer log lines */
	struct str	 defer_text;
	struct msg_fail	*fail;
	size_t		 nfail, fail_cap;
	struct msg_group *group;
	size_t		 ngroup;
};

static void	msg_log(const struct msg *, size_t, const char *,
		    const char *, const char *, const char *);
static void	msg_defer(struct msg *, size_t, const char *, const char *,
		    const char *);
static void	msg_defer_reason(struct msg *, size_t, const char *,
		    const char *);
static void	msg_fail(struct msg *, size_t, const char *, const char *);
static void	msg_fail_flush(struct msg *, const char *);
static void	msg_delivered(struct msg *, size_t, const char *,
		    const char *, const char *);
static int	msg_result(struct msg *, const struct msg_group *,
		    const struct agent_result *, struct str *);
static void	msg_job(struct msg *, const struct msg_group *);
static void	msg_resolve(struct msg *);
static void	msg_expire(struct msg *);
static int	msg_defer_file(struct msg *);
static int	msg_bounce(struct msg *);
static int	msg_remove(struct msg *);
static void	msg_free(struct msg *);
static double	msg_delay(const struct msg *);

/* Seconds since arrival, for delay=. */
static double
msg_delay(const struct msg *m)
{
	struct timespec	now;
	double		d;

	(void)clock_gettime(CLOCK_REALTIME, &now);
	d = (double)(now.tv_sec - m->qf.arrival_sec) +
	    (double)(now.tv_nsec / 1000 - m->qf.arrival_usec) / 1e6;
	return d < 0 ? 0 : d;
}

/* Postfix's delivery line: "ID: to=<rcpt>, relay=R, delay=N, dsn=C,
 * status=S (text)". */
static void
msg_log(const struct msg *m, size_t i, const char *relay, const char *code,
    const char *status, const char *text)
{
	double	d = msg_delay(m);

	/* Postfix's precision: delay=0.12, 1.2, 12 */
	log_info("%s: to=<%s>, relay=%s, delay=%.*f, dsn=%s, status=%s (%.*s)",
	    m->id, m->qf.rcpts[i].address, relay, d < 1 ? 2 : d < 10 ? 1 : 0,
	    d, code, status, QMGR_TEXT_MAX, text);
}

/* Recipient i stays pending for now, for reason code text. */
static void
msg_defer(struct msg *m, size_t i, const char *relay, const char *code,
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
msg_defer_reason(struct msg *m, size_t i, const char *relay,
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
msg_fail(struct msg *m, size_t i, const char *code, const char *text)
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
}

/*
 * Make the permanent failures so far durable: their lines in bounce/ID
 * first, then their status bytes F, then the log lines.  When the
 * bounce log cannot be written, they stay pending (deferred).
 */
static void
msg_fail_flush(struct msg *m, const char *relay)
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
			msg_defer(m, f->index, relay, "4.3.0",
			    "cannot write the bounce log");
		} else if (qfile_set_status(m->qf.fd,
		    m->qf.rcpts[f->index].status_offset, QFILE_FAILED) == -1) {
			log_warn("%s: cannot record the failure of <%s>",
			    m->id, m->qf.rcpts[f->index].address);
		} else {
			m->qf.rcpts[f->index].status = QFILE_FAILED;
			msg_log(m, f->index, relay, f->code, "bounced",
			    f->text);
		}
		free(f->text);
	}
	m->nfail = 0;
	str_free(&lines);
}

/* Recipient i was delivered: status byte D first, then the log line. */
static void
msg_delivered(struct msg *m, size_t i, const char *relay, const char *code,
    const char *text)
{
	if (qfile_set_status(m->qf.fd, m->qf.rcpts[i].status_offset,
	    QFILE_DONE) == -1) {
		/* It stays pending: delivered again later, never lost. */
		log_warn("%s: cannot record the delivery to <%s>", m->id,
		    m->qf.rcpts[i].address);
	} else {
		m->qf.rcpts[i].status = QFILE_DONE;
	}
	msg_log(m, i, relay, code, "sent", text);
}

/* One result of job g: 0, or -1 with a protocol error in why. */
static int
msg_result(struct msg *m, const struct msg_group *g,
    const struct agent_result *res, struct str *why)
{
	size_t	i = res->index;

	if (i >= m->qf.nrcpt || !m->in_job[i]) {
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
		msg_delivered(m, i, g->transport, res->code,
		    str_c(&res->text));
		break;
	case DSN_PERM:
		msg_fail(m, i, res->code, str_c(&res->text));
		break;
	default:
		msg_defer(m, i, g->transport, res->code, str_c(&res->text));
		break;
	}
	return 0;
}

/* Run job g through an agent of its transport. */
static void
msg_job(struct msg *m, const struct msg_group *g)
{
	struct qmgr		*q = m->q;
	struct agent_job	 job = AGENT_JOB_INIT;
	struct agent_result	 res = AGENT_RESULT_INIT;
	struct qmgr_agent	*a;
	struct str		 why = STR_INIT, reason = STR_INIT;
	struct str		 status = STR_INIT;
	size_t			 k, nreported;
	int			 r, tries;
	bool			 reused;

	str_set(&job.queue_id, m->id);
	str_catf(&job.queue_file, "%s/%s", QFILE_ACTIVE, m->id);
	str_set(&job.nexthop, g->nexthop);
	for (k = 0; k < g->n; k++) {
		agent_job_add_rcpt(&job, g->index[k], g->address[k]);
		m->in_job[g->index[k]] = true;
		m->reported[g->index[k]] = false;
	}
	/* A reused agent may have died while idle: then one new try. */
	for (tries = 0; tries < 2; tries++) {
		str_clear(&reason);
		if ((a = qmgr_agent_get(q, g->transport, &why)) == NULL) {
			str_set(&reason, str_c(&why));
			break;
		}
		reused = a->reused;
		if (agent_put_job(&a->out, &job) == -1) {
			qmgr_agent_release(q, a);
			str_set(&reason, "4.3.0 the job cannot be sent to the "
			    "delivery agent (address or next hop too long)");
			break;
		}
		if (buf_flush(&a->out) == -1) {
			str_catf(&reason, "4.3.0 delivery agent %s failed "
			    "(write: %s)", g->transport, strerror(errno));
			qmgr_agent_end(a, false, NULL);
			if (reused) {
				continue;
			}
			break;
		}
		nreported = 0;
		for (;;) {
			r = agent_get_result(&a->in, &res, &why);
			if (r == 1 && msg_result(m, g, &res, &why) == 0) {
				nreported++;
				continue;
			}
			if (r == 2) {
				qmgr_agent_release(q, a);
				str_catf(&reason, "4.3.0 delivery agent %s "
				    "did not report this recipient",
				    g->transport);
				break;
			}
			if (r == 0) {
				qmgr_agent_end(a, true, &status);
				str_catf(&reason, "4.3.0 delivery agent %s "
				    "failed (%s)", g->transport,
				    status.s);
			} else if (r == 1 || errno == EBADMSG) {
				qmgr_agent_end(a, false, NULL);
				str_catf(&reason, "4.3.0 delivery agent %s "
				    "failed (protocol error: %s)",
				    g->transport, str_c(&why));
				log_warnx("%s: delivery agent %s: protocol "
				    "error: %s", m->id, g->transport,
				    str_c(&why));
			} else if (errno == ETIMEDOUT) {
				qmgr_agent_end(a, false, NULL);
				str_catf(&reason, "4.3.0 delivery agent %s "
				    "failed (timed out)", g->transport);
			} else {
				str_catf(&reason, "4.3.0 delivery agent %s "
				    "failed (read: %s)", g->transport,
				    strerror(errno));
				qmgr_agent_end(a, false, NULL);
			}
			break;
		}
		if (r == 0 && reused && nreported == 0) {
			continue;
		}
		break;
	}
	msg_fail_flush(m, g->transport);
	/* Unreported recipients stay pending; when stopping, silently. */
	for (k = 0; k < g->n; k++) {
		if (!m->reported[g->index[k]] && !q->stop) {
			msg_defer_reason(m, g->index[k], g->transport,
			    str_c(&reason));
		}
		m->in_job[g->index[k]] = false;
	}
	agent_job_free(&job);
	agent_result_free(&res);
	str_free(&why);
	str_free(&reason);
	str_free(&status);
}

/* Resolve every pending recipient into m->group. */
static void
msg_resolve(struct msg *m)
{
	struct rewrite_result	 r = REWRITE_RESULT_INIT;
	struct msg_group	*g;
	size_t			 i, k;

	for (i = 0; i < m->qf.nrcpt; i++) {
		if (!QFILE_STATUS_PENDING(m->qf.rcpts[i].status)) {
			continue;
		}
		if (rewrite_resolve(m->qf.rcpts[i].address, &r) == -1) {
			msg_defer(m, i, "none", "4.3.0", str_c(&r.nexthop));
			continue;
		}
		for (k = 0; k < m->ngroup; k++) {
			g = &m->group[k];
			if (str_eq(&r.transport, g->transport) &&
			    str_eq(&r.nexthop, g->nexthop)) {
				break;
			}
		}
		if (k == m->ngroup) {
			/* at most one group per recipient: nrcpt slots */
			g = &m->group[m->ngroup++];
			memset(g, 0, sizeof(*g));
			g->transport = xstrdup(str_c(&r.transport));
			g->nexthop = xstrdup(str_c(&r.nexthop));
		}
		g = &m->group[k];
		if (g->n == g->cap) {
			g->cap = g->cap == 0 ? 8 : g->cap * 2;
			g->index = xreallocarray(g->index, g->cap,
			    sizeof(*g->index));
			g->address = xreallocarray(g->address, g->cap,
			    sizeof(*g->address));
		}
		g->index[g->n] = i;
		g->address[g->n] = xstrdup(str_c(&r.recipient));
		g->n++;
	}
	rewrite_result_free(&r);
}

/*
 * Past its queue lifetime (bounce_queue_lifetime for the null sender,
 * else maximal_queue_lifetime, counted from arrival as Postfix does),
 * a message's pending recipients fail with 5.4.7 and their last reason.
 */
static void
msg_expire(struct msg *m)
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
		msg_fail(m, i, "5.4.7", text.s);
		n++;
	}
	if (n > 0) {
		msg_fail_flush(m, "none");
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
msg_defer_file(struct msg *m)
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
 * Hand the failed recipients to the bounce program ($daemon_directory/
 * bounce -c config_dir ID), which makes the notice from bounce/ID.
 * Returns 0 when the notice is taken care of (or bounce is not
 * installed: XXX issue 4), -1 when the message must wait.
 */
static int
msg_bounce(struct msg *m)
{
	struct qmgr	*q = m->q;
	struct proc_cmd	 cmd;
	struct proc	 p;
	struct str	 path = STR_INIT;
	char		 text[PROC_STATUS_MAX];
	char		*argv[5] = { NULL, NULL, NULL, NULL, NULL };
	int		 status, rc = -1, i;

	str_catf(&path, "%s/bounce", str_c(&q->daemon_dir));
	if (access(path.s, F_OK) == -1 && errno == ENOENT) {
		log_warnx("%s: bounce program not installed: no notice sent "
		    "(XXX issue 4)", m->id);
		rc = 0;
		goto out;
	}
	argv[0] = xstrdup("bounce");
	argv[1] = xstrdup("-c");
	argv[2] = xstrdup(q->config_dir);
	argv[3] = xstrdup(m->id);
	argv[4] = NULL;
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
	for (i = 0; i < 4; i++) {
		free(argv[i]);
	}
	str_free(&path);
	return rc;
}

/* The logs first, then the queue file: a crash in between leaves a
 * message whose notice was sent, which is then removed without one. */
static int
msg_remove(struct msg *m)
{
	struct str	dir = STR_INIT, path = STR_INIT;
	int		rc = -1;

	qmgr_reason_remove(m->q, m->id);
	str_catf(&dir, "%s/%s", str_c(&m->q->queue_dir), QFILE_ACTIVE);
	str_catf(&path, "%s/%s", dir.s, m->id);
	if (unlink(path.s) == -1) {
		log_warn("%s: remove %s", m->id, path.s);
		goto out;
	}
	if (durable_fsync_dir(dir.s) == -1) {
		log_warn("%s: fsync %s", m->id, dir.s);
	}
	log_info("%s: removed", m->id);
	rc = 0;
out:
	str_free(&dir);
	str_free(&path);
	return rc;
}

static void
msg_free(struct msg *m)
{
	size_t	i, k;

	for (i = 0; i < m->ngroup; i++) {
		for (k = 0; k < m->group[i].n; k++) {
			free(m->group[i].address[k]);
		}
		free(m->group[i].address);
		free(m->group[i].index);
		free(m->group[i].transport);
		free(m->group[i].nexthop);
	}
	free(m->group);
	for (i = 0; i < m->qf.nrcpt && m->reason != NULL; i++) {
		free(m->reason[i]);
	}
	free(m->reason);
	free(m->in_job);
	free(m->reported);
	for (i = 0; i < m->nfail; i++) {
		free(m->fail[i].text);
	}
	free(m->fail);
	str_free(&m->defer_text);
	qfile_close(&m->qf);
}

int
qmgr_message(struct qmgr *q, const char *id)
{
	struct msg	 m;
	struct str	 path = STR_INIT;
	size_t		 i, pending = 0;
	bool		 failed = false;
	int		 rc = -1;

	memset(&m, 0, sizeof(m));
	m.q = q;
	m.id = id;
	m.qf = (struct qfile)QFILE_INIT;
	str_catf(&path, "%s/%s/%s", str_c(&q->queue_dir), QFILE_ACTIVE, id);
	if (qfile_open(path.s, O_RDWR, &m.qf) == -1) {
		if (errno == EBADMSG) {
			(void)qfile_corrupt(str_c(&q->queue_dir), QFILE_ACTIVE,
			    id, str_c(&m.qf.error));
		} else if (errno != ENOENT) {
			log_warnx("%s: %s", id, str_c(&m.qf.error));
		}
		goto out;
	}
	log_info("%s: from=<%s>, size=%lld, nrcpt=%zu (queue active)", id,
	    m.qf.sender, (long long)m.qf.content_len, m.qf.nrcpt);
	m.in_job = xcalloc(m.qf.nrcpt, sizeof(*m.in_job));
	m.reported = xcalloc(m.qf.nrcpt, sizeof(*m.reported));
	m.reason = xcalloc(m.qf.nrcpt, sizeof(*m.reason));
	m.group = xcalloc(m.qf.nrcpt, sizeof(*m.group));
	msg_resolve(&m);
	for (i = 0; i < m.ngroup && !q->stop; i++) {
		msg_job(&m, &m.group[i]);
	}
	if (q->stop) {
		/* SIGTERM: the file stays in active/ for the next start. */
		goto out;
	}
	msg_expire(&m);
	for (i = 0; i < m.qf.nrcpt; i++) {
		pending += QFILE_STATUS_PENDING(m.qf.rcpts[i].status);
		failed |= m.qf.rcpts[i].status == QFILE_FAILED;
	}
	if (pending > 0) {
		if (m.defer_text.len > 0 && qmgr_reason_add(q, "defer", id,
		    &m.defer_text, true) == -1) {
			log_warn("%s: cannot write defer log", id);
		}
		rc = msg_defer_file(&m);
		goto out;
	}
	if (failed && qmgr_reason_have_bounce(q, id) &&
	    msg_bounce(&m) == -1) {
		rc = msg_defer_file(&m);
		goto out;
	}
	rc = msg_remove(&m);
out:
	msg_free(&m);
	str_free(&path);
	return rc;
}
