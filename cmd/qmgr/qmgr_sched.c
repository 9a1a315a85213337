/* SPDX-License-Identifier: ISC */
/*
 * qmgr_sched.c: which job runs next, on which agent, and what the busy
 * agents say.
 *
 * A job (recipients of one message for one destination) waits in the
 * queue of its destination: a transport and a next hop, or the recipient
 * itself when the transport takes one recipient per job (as Postfix's
 * local: so two deliveries to one user do not overtake each other, while
 * deliveries to different users run side by side).  A job starts when
 *	its destination runs fewer than TRANSPORT_destination_concurrency_
 *	limit jobs (0: no limit of its own), and
 *	its transport runs fewer agents than its process limit: the
 *	master.cf maxproc of the transport's service, or
 *	default_process_limit.
 * Destinations take turns: each round starts at most one job per
 * destination, and rounds repeat until nothing more can start.
 *
 * A destination's concurrency grows as Postfix's does: it starts at
 * initial_destination_concurrency and gains one after each job that
 * delivered or bounced something, up to its limit.  A job whose agent
 * said "!" (no server of the next hop could be reached, or each one
 * refused) is a failure; TRANSPORT_destination_concurrency_failed_
 * cohort_limit times the current concurrency of failures in a row make
 * the destination dead: its waiting and new jobs are deferred at once
 * ("delivery temporarily suspended: ...") for minimal_backoff_time,
 * then it starts over at the initial concurrency.
 *
 * An idle agent whose last job went to the same next hop is preferred:
 * an smtp agent keeps its session open between jobs.
 *
 * Jobs ahead: a destination at its concurrency writes its next jobs to
 * its busy agents, to the one with the fewest ahead first, so that an
 * agent starts the next as soon as it ends the one it works on, without
 * waiting for this loop to read its "." and answer (and local(8), as a
 * user, commits the Maildir deliveries of the jobs it finds waiting
 * together: one journal commit for several).  The concurrency still
 * counts the agents that deliver at once (each one works through its
 * jobs one after the other).  A job is written ahead only
 *	for a transport that takes one recipient per job, whose
 *	destination is the recipient (local's mailbox, two deliveries at
 *	once): there the wait for this loop held every delivery to one
 *	user.  Not to a next hop: its agents wait on the network far
 *	longer than on this loop, and a job written to an agent stuck in
 *	a slow session would wait behind it instead of taking the next
 *	free agent (paired relay runs showed no gain either);
 *	while the transport could still start agents, so no other
 *	destination waits for an agent behind it;
 *	to a destination whose last job that ended delivered or bounced
 *	something (not to a new one, nor after a failure as a whole, so a
 *	dead destination is tried no more often than without);
 *	at most QMGR_AHEAD_JOBS per agent, and only while the lines of
 *	those an agent has ahead take at most QMGR_AHEAD_BYTES
 *	together, so that they go into its pipe without waiting.
 * The jobs ahead of an agent that ends before it started them go back
 * to the front of their destination's queue, in their order.
 *
 * A busy agent is read when poll(2) says it wrote: whole lines are
 * results, "." ends the job and the agent becomes idle.  An agent that
 * breaks the protocol, says nothing for ipc_timeout, or dies, is ended,
 * and the job's unreported recipients are deferred (qmgr_msg_job_end).
 * A reused agent that was found dead before it reported anything gets
 * its job once more, on a new agent: an idle agent may have exited
 * meanwhile, which is no fault of the job.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "conf.h"
#include "fd.h"
#include "log.h"
#include "qmgr.h"

/* The jobs written ahead to one busy agent, at most, and their lines
 * together: with its current job they must fit into its pipe at once
 * (which holds 16 KB or more on Linux and the BSDs) while the agent
 * works.  local(8) commits up to eight jobs together: the one it works
 * on and these. */
#define QMGR_AHEAD_JOBS		7
#define QMGR_AHEAD_BYTES	4096

static void	transport_limits(struct qmgr *, struct qmgr_transport *);
static struct qmgr_dest *dest_find(struct qmgr *, struct qmgr_transport *,
		    const char *);
static void	dest_release(struct qmgr *, struct qmgr_dest *);
static bool	job_start(struct qmgr *, struct qmgr_dest *);
static bool	job_ahead(struct qmgr *, struct qmgr_dest *);
static void	job_encode(const struct qmgr_job *, struct agent_job *);
static void	job_next(struct qmgr *, struct qmgr_agent *, const char *);
static void	ahead_return(struct qmgr_agent *);
static void	busy_add(struct qmgr *, struct qmgr_agent *);
static void	busy_remove(struct qmgr *, struct qmgr_agent *);
static void	agent_done(struct qmgr *, struct qmgr_agent *, bool, bool,
		    const char *);
static void	agent_fail(struct qmgr *, struct qmgr_agent *, bool,
		    const char *);
static int	agent_lines(struct qmgr *, struct qmgr_agent *);
static void	agent_input(struct qmgr *, struct qmgr_agent *);

/* Milliseconds of ipc_timeout, bounded to a day. */
static long long
ipc_ms(const struct qmgr *q)
{
	return (q->ipc_timeout > 86400 ? 86400 : q->ipc_timeout) * 1000;
}

static void
transport_limits(struct qmgr *q, struct qmgr_transport *t)
{
	const struct mastercf_service	*svc;
	long long			 v;

	t->proc_limit = (int)q->process_limit;
	svc = mastercf_find(&q->mcf, t->name, "unix");
	if (svc != NULL && svc->maxproc >= 0) {
		t->proc_limit = svc->maxproc;
	}
	if (t->proc_limit < 1) {
		/* maxproc 0 is "no limit" in master.cf; agents are ours */
		t->proc_limit = (int)q->process_limit;
	}
	if (t->proc_limit < 1) {
		t->proc_limit = 1;
	}
	v = conf_transport_int(t->name, "_destination_concurrency_limit");
	t->dest_limit = v < 1 || v > t->proc_limit ? t->proc_limit : (int)v;
	v = conf_transport_int(t->name, "_destination_recipient_limit");
	t->rcpt_limit = v < 1 ? 1 : v > 100000 ? 100000 : (int)v;
	v = conf_int("initial_destination_concurrency");
	t->init_window = v < 1 ? 1 : v > t->dest_limit ? t->dest_limit :
	    (int)v;
	v = conf_transport_int(t->name,
	    "_destination_concurrency_failed_cohort_limit");
	t->cohort_limit = v < 1 ? 1 : v > 1000 ? 1000 : (int)v;
}

struct qmgr_transport *
qmgr_sched_transport(struct qmgr *q, const char *name)
{
	struct qmgr_transport	*t;

	for (t = q->transports; t != NULL; t = t->next) {
		if (strcmp(t->name, name) == 0) {
			return t;
		}
	}
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	transport_limits(q, t);
	log_debug("transport %s: %d processes, %d per destination, %d "
	    "recipients per job", t->name, t->proc_limit, t->dest_limit,
	    t->rcpt_limit);
	t->next = q->transports;
	q->transports = t;
	return t;
}

void
qmgr_sched_limits(struct qmgr *q)
{
	struct qmgr_transport	*t;

	for (t = q->transports; t != NULL; t = t->next) {
		transport_limits(q, t);
	}
}

/* The destination key of transport t, made when new (at the list's
 * end: destinations take turns in the order they came). */
static struct qmgr_dest *
dest_find(struct qmgr *q, struct qmgr_transport *t, const char *key)
{
	struct qmgr_dest	*d, **tail = &q->dests;

	for (d = q->dests; d != NULL; d = d->next) {
		if (d->transport == t && strcmp(d->key, key) == 0) {
			return d;
		}
		tail = &d->next;
	}
	d = xcalloc(1, sizeof(*d));
	d->transport = t;
	d->key = xstrdup(key);
	d->window = t->init_window;
	*tail = d;
	return d;
}

/* Forget a destination with nothing waiting and nothing running, unless
 * it is dead: that must be remembered until it ends. */
static void
dest_release(struct qmgr *q, struct qmgr_dest *d)
{
	struct qmgr_dest	**pp;

	if (d->busy > 0 || d->ahead > 0 || d->head != NULL ||
	    (d->dead_until > 0 &&
	    clock_ms() < d->dead_until && !q->abort)) {
		return;
	}
	for (pp = &q->dests; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	free(d->key);
	free(d->dead_reason);
	free(d);
}

/*
 * What job says about its destination: a success widens the window, a
 * failure as a whole counts toward the dead state (see above).
 */
static void
dest_feedback(struct qmgr *q, struct qmgr_dest *d, struct qmgr_job *job)
{
	struct qmgr_transport	*t = d->transport;
	struct str		 reason = STR_INIT;

	if (!job->site_failed) {
		if (job->final) {
			d->failures = 0;
			d->proven = true;
			if (d->window < t->dest_limit) {
				d->window++;
			}
		}
		return;
	}
	d->failures++;
	d->proven = false;
	if (d->dead_until > 0 || d->failures < t->cohort_limit * d->window) {
		return;
	}
	d->dead_until = clock_ms() + q->minimal_backoff_time * 1000;
	str_catf(&reason, "4.4.1 delivery temporarily suspended: %s",
	    job->site_reason != NULL ? job->site_reason :
	    "the destination is not reachable");
	free(d->dead_reason);
	d->dead_reason = str_take(&reason);
	log_info("%s: destination %s of transport %s is not reachable: "
	    "delivery suspended for %llds", job->id, d->key, t->name,
	    q->minimal_backoff_time);
}

/* While d is dead its waiting jobs are deferred; after, it starts over. */
static bool
dest_dead(struct qmgr *q, struct qmgr_dest *d)
{
	struct qmgr_job	*job;

	if (d->dead_until == 0) {
		return false;
	}
	if (clock_ms() >= d->dead_until) {
		d->dead_until = 0;
		d->failures = 0;
		d->window = d->transport->init_window;
		free(d->dead_reason);
		d->dead_reason = NULL;
		return false;
	}
	while ((job = d->head) != NULL) {
		d->head = job->next;
		if (d->head == NULL) {
			d->tail = NULL;
		}
		job->next = NULL;
		qmgr_msg_job_end(q, job, d->dead_reason);
	}
	return true;
}

void
qmgr_job_free(struct qmgr_job *job)
{
	size_t	k;

	for (k = 0; k < job->n; k++) {
		free(job->address[k]);
	}
	free(job->address);
	free(job->index);
	free(job->nexthop);
	free(job->site_reason);
	free(job->relay);
	free(job);
}

void
qmgr_sched_add(struct qmgr *q, struct qmgr_job *job, const char *transport,
    const char *key)
{
	struct qmgr_dest	*d;

	d = dest_find(q, qmgr_sched_transport(q, transport), key);
	job->dest = d;
	job->next = NULL;
	if (d->tail != NULL) {
		d->tail->next = job;
	} else {
		d->head = job;
	}
	d->tail = job;
}

static void
busy_add(struct qmgr *q, struct qmgr_agent *a)
{
	if (q->nbusy == q->busy_cap) {
		q->busy_cap = q->busy_cap == 0 ? 8 : q->busy_cap * 2;
		q->busy = xreallocarray(q->busy, q->busy_cap,
		    sizeof(*q->busy));
	}
	q->busy[q->nbusy++] = a;
}

static void
busy_remove(struct qmgr *q, struct qmgr_agent *a)
{
	size_t	i;

	for (i = 0; i < q->nbusy; i++) {
		if (q->busy[i] == a) {
			/* keep the order: poll results are matched by it */
			memmove(&q->busy[i], &q->busy[i + 1],
			    (q->nbusy - i - 1) * sizeof(*q->busy));
			q->nbusy--;
			return;
		}
	}
}

/*
 * Start the first waiting job of d on an agent.  Returns true when the
 * job left the queue (started, or ended at once because no agent could
 * take it).
 */
static bool
job_start(struct qmgr *q, struct qmgr_dest *d)
{
	struct qmgr_transport	*t = d->transport;
	struct qmgr_job		*job = d->head;
	struct qmgr_agent	*a;
	struct agent_job	 aj = AGENT_JOB_INIT;
	struct str		 why = STR_INIT;
	bool			 reused;

	d->head = job->next;
	if (d->head == NULL) {
		d->tail = NULL;
	}
	job->next = NULL;
	job_encode(job, &aj);
	for (;;) {
		if ((a = qmgr_agent_get(q, t->name, job->nexthop,
		    &why)) == NULL) {
			break;
		}
		reused = a->reused;
		if (agent_put_job(&a->out, &aj) == -1) {
			qmgr_agent_release(q, a);
			str_set(&why, "4.3.0 the job cannot be sent to the "
			    "delivery agent (address or next hop too long)");
			a = NULL;
			break;
		}
		if (buf_flush(&a->out) == 0) {
			break;
		}
		str_clear(&why);
		str_catf(&why, "4.3.0 delivery agent %s failed (write: %s)",
		    t->name, strerror(errno));
		qmgr_agent_end(a, false, NULL);
		a = NULL;
		/* An idle agent may have died: try the next one. */
		if (!reused) {
			break;
		}
	}
	agent_job_free(&aj);
	if (a == NULL) {
		/* d stays: the caller releases it */
		qmgr_msg_job_end(q, job, str_c(&why));
		str_free(&why);
		return true;
	}
	str_free(&why);
	free(a->nexthop);
	a->nexthop = xstrdup(job->nexthop);
	a->job = job;
	a->nreported = 0;
	a->line_len = 0;
	a->deadline = clock_ms() + ipc_ms(q);
	busy_add(q, a);
	d->busy++;
	t->busy++;
	return true;
}

/* job as the agent protocol's job (lib/agent.h). */
static void
job_encode(const struct qmgr_job *job, struct agent_job *aj)
{
	size_t	k;

	str_set(&aj->queue_id, job->id);
	str_catf(&aj->queue_file, "%s/%s", QFILE_ACTIVE, job->id);
	str_set(&aj->nexthop, job->nexthop);
	for (k = 0; k < job->n; k++) {
		agent_job_add_rcpt(aj, job->index[k], job->address[k]);
	}
}

/* At most the bytes of job's lines in the agent protocol. */
static size_t
job_bytes(const struct qmgr_job *job)
{
	size_t	n, k;

	/* "J id active/id", "N nexthop", "G", with room to spare */
	n = 2 * strlen(job->id) + strlen(QFILE_ACTIVE) + strlen(job->nexthop) +
	    16;
	for (k = 0; k < job->n; k++) {
		/* "R index address": an index has at most 20 digits */
		n += strlen(job->address[k]) + 24;
	}
	return n;
}

/*
 * d runs as many jobs as its concurrency allows: write its first waiting
 * job ahead to the one of its busy agents that has the fewest ahead and
 * room for it (see the top of this file).  Returns true when the job
 * left the queue.
 */
static bool
job_ahead(struct qmgr *q, struct qmgr_dest *d)
{
	struct qmgr_transport	*t = d->transport;
	struct qmgr_job		*job = d->head;
	struct qmgr_agent	*a = NULL, *b;
	struct agent_job	 aj = AGENT_JOB_INIT;
	struct str		 why = STR_INIT;
	size_t			 i, bytes;

	if (t->rcpt_limit > 1 || !d->proven || t->busy >= t->proc_limit ||
	    d->ahead >= d->busy * QMGR_AHEAD_JOBS) {
		return false;
	}
	bytes = job_bytes(job);
	for (i = 0; i < q->nbusy; i++) {
		b = q->busy[i];
		if (b->job->dest == d && b->nahead < QMGR_AHEAD_JOBS &&
		    b->ahead_bytes + bytes <= QMGR_AHEAD_BYTES &&
		    (a == NULL || b->nahead < a->nahead)) {
			a = b;
		}
	}
	if (a == NULL) {
		return false;
	}
	job_encode(job, &aj);
	if (agent_put_job(&a->out, &aj) == -1) {
		/* not a job for ahead: it waits for an agent of its own */
		agent_job_free(&aj);
		return false;
	}
	agent_job_free(&aj);
	if (buf_flush(&a->out) == -1) {
		/* part of it may be in the pipe: the agent must go */
		str_catf(&why, "write: %s", strerror(errno));
		log_warnx("%s: delivery agent %s: %s", a->job->id,
		    str_c(&a->transport), why.s);
		agent_fail(q, a, false, why.s);
		str_free(&why);
		return false;
	}
	d->head = job->next;
	if (d->head == NULL) {
		d->tail = NULL;
	}
	job->next = NULL;
	if (a->ahead_last != NULL) {
		a->ahead_last->next = job;
	} else {
		a->ahead = job;
	}
	a->ahead_last = job;
	a->nahead++;
	a->ahead_bytes += bytes;
	d->ahead++;
	return true;
}

/*
 * a said "." and has jobs ahead: its job ends (reason for what it did
 * not report), and the first job ahead, which a has begun, is its job
 * now.
 */
static void
job_next(struct qmgr *q, struct qmgr_agent *a, const char *reason)
{
	struct qmgr_job		*job = a->job, *next = a->ahead;
	struct qmgr_dest	*d = job->dest;

	a->job = next;
	a->ahead = next->next;
	if (a->ahead == NULL) {
		a->ahead_last = NULL;
	}
	next->next = NULL;
	a->nahead--;
	a->ahead_bytes -= job_bytes(next);
	next->dest->ahead--;
	next->dest->busy++;
	d->busy--;
	a->nreported = 0;
	/* alive a moment ago: a death before any result is no fault of
	 * the job (see agent_fail) */
	a->reused = true;
	a->deadline = clock_ms() + ipc_ms(q);
	if (!q->abort) {
		dest_feedback(q, d, job);
	}
	qmgr_msg_job_end(q, job, reason);
	dest_release(q, d);
}

/* The jobs ahead of agent a, which a ends before it began them: back to
 * the front of their destination's queue (all of one destination: that
 * of a's job), in their order. */
static void
ahead_return(struct qmgr_agent *a)
{
	struct qmgr_dest	*d;

	if (a->ahead == NULL) {
		return;
	}
	d = a->ahead->dest;
	d->ahead -= (int)a->nahead;
	a->ahead_last->next = d->head;
	d->head = a->ahead;
	if (d->tail == NULL) {
		d->tail = a->ahead_last;
	}
	a->ahead = a->ahead_last = NULL;
	a->nahead = 0;
	a->ahead_bytes = 0;
}

void
qmgr_sched_dispatch(struct qmgr *q)
{
	struct qmgr_dest	*d, *next;
	bool			 started;

	if (q->stop) {
		return;
	}
	do {
		started = false;
		for (d = q->dests; d != NULL; d = next) {
			next = d->next;
			if (dest_dead(q, d)) {
				next = d->next;
				dest_release(q, d);
				continue;
			}
			if (d->head == NULL) {
				continue;
			}
			if (d->busy < d->window &&
			    d->transport->busy < d->transport->proc_limit) {
				if (job_start(q, d)) {
					started = true;
				}
			} else if (job_ahead(q, d)) {
				started = true;
			}
			next = d->next;
			dest_release(q, d);
		}
	} while (started && !q->stop);
}

/*
 * Agent a is no longer busy: its job ends (unreported recipients get
 * reason), and a goes back to the idle pool when healthy, else it is
 * ended (gracefully when it exited by itself).
 */
static void
agent_done(struct qmgr *q, struct qmgr_agent *a, bool healthy, bool graceful,
    const char *reason)
{
	struct qmgr_job		*job = a->job;
	struct qmgr_dest	*d = job->dest;

	ahead_return(a);
	busy_remove(q, a);
	a->job = NULL;
	d->busy--;
	d->transport->busy--;
	if (healthy) {
		qmgr_agent_release(q, a);
	} else {
		qmgr_agent_end(a, graceful, NULL);
	}
	if (!q->abort) {
		dest_feedback(q, d, job);
	}
	qmgr_msg_job_end(q, job, reason);
	dest_release(q, d);
}

/*
 * Agent a failed with its job (why says how).  A reused agent that died
 * before it reported anything gives its job back to the front of its
 * queue, once.
 */
static void
agent_fail(struct qmgr *q, struct qmgr_agent *a, bool eof, const char *why)
{
	struct qmgr_job		*job = a->job;
	struct qmgr_dest	*d = job->dest;
	struct str		 reason = STR_INIT, status = STR_INIT;

	/* (before the job itself goes back, so that it stays first) */
	ahead_return(a);
	if (eof && a->reused && a->nreported == 0 && !job->retried) {
		busy_remove(q, a);
		a->job = NULL;
		d->busy--;
		d->transport->busy--;
		qmgr_agent_end(a, true, NULL);
		job->retried = true;
		job->next = d->head;
		d->head = job;
		if (d->tail == NULL) {
			d->tail = job;
		}
		return;
	}
	if (eof) {
		/* it exited: say how, from its status */
		busy_remove(q, a);
		a->job = NULL;
		d->busy--;
		d->transport->busy--;
		qmgr_agent_end(a, true, &status);
		str_catf(&reason, "4.3.0 delivery agent %s failed (%s)",
		    d->transport->name, str_c(&status));
		qmgr_msg_job_end(q, job, reason.s);
		dest_release(q, d);
	} else {
		str_catf(&reason, "4.3.0 delivery agent %s failed (%s)",
		    d->transport->name, why);
		agent_done(q, a, false, false, reason.s);
	}
	str_free(&reason);
	str_free(&status);
}

/* What a result says about the destination (see dest_feedback). */
static void
job_note(struct qmgr_job *job, const struct agent_result *res)
{
	if (res->status != DSN_TEMP) {
		job->final = true;
	} else if (job->site_failed && job->site_reason == NULL) {
		job->site_reason = xstrdup(str_c(&res->text));
	}
}

/*
 * Take the whole lines in a's buffer.  Returns 1 while the job goes on,
 * 0 when it ended (a is idle or gone), -1 when a failed (already
 * handled).
 */
static int
agent_lines(struct qmgr *q, struct qmgr_agent *a)
{
	struct agent_result	 res = AGENT_RESULT_INIT;
	struct str		 why = STR_INIT, text = STR_INIT;
	char			*nl;
	size_t			 n;
	int			 r, rc = 1;

	while ((nl = memchr(a->line, '\n', a->line_len)) != NULL) {
		n = (size_t)(nl - a->line);
		r = agent_parse_result(a->line, n, &res, &why);
		a->line_len -= n + 1;
		memmove(a->line, nl + 1, a->line_len);
		if (r == 3) {
			a->job->site_failed = true;
			continue;
		}
		if (r == 4) {
			free(a->job->relay);
			a->job->relay = xstrdup(str_c(&res.text));
			continue;
		}
		if (r == 1 && qmgr_msg_result(a->job, &res, &why) == 0) {
			job_note(a->job, &res);
			a->nreported++;
			a->deadline = clock_ms() + ipc_ms(q);
			continue;
		}
		if (r == 2 && a->ahead != NULL) {
			str_clear(&text);
			str_catf(&text, "4.3.0 delivery agent %s did not "
			    "report this recipient", str_c(&a->transport));
			job_next(q, a, text.s);
			continue;
		}
		if (r == 2) {
			if (a->line_len > 0) {
				str_set(&why, "output after the end of a job");
				r = -1;
			} else {
				str_catf(&text, "4.3.0 delivery agent %s did "
				    "not report this recipient",
				    str_c(&a->transport));
				agent_done(q, a, true, true, text.s);
				rc = 0;
				break;
			}
		}
		log_warnx("%s: delivery agent %s: protocol error: %s",
		    a->job->id, str_c(&a->transport), str_c(&why));
		str_clear(&text);
		str_catf(&text, "protocol error: %s", str_c(&why));
		agent_fail(q, a, false, text.s);
		rc = -1;
		break;
	}
	if (rc == 1 && a->line_len >= QMGR_LINE_MAX) {
		log_warnx("%s: delivery agent %s: protocol error: line too "
		    "long", a->job->id, str_c(&a->transport));
		agent_fail(q, a, false, "protocol error: line too long");
		rc = -1;
	}
	agent_result_free(&res);
	str_free(&why);
	str_free(&text);
	return rc;
}

/* Agent a is readable: read what it wrote, act on each line. */
static void
agent_input(struct qmgr *q, struct qmgr_agent *a)
{
	struct str	why = STR_INIT;
	ssize_t		r;

	for (;;) {
		r = read(a->proc.fd[1], a->line + a->line_len,
		    QMGR_LINE_MAX - a->line_len);
		if (r > 0) {
			a->line_len += (size_t)r;
			if (agent_lines(q, a) != 1) {
				break;
			}
			continue;
		}
		if (r == -1 && errno == EINTR) {
			continue;
		}
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		}
		if (r == 0) {
			agent_fail(q, a, true, "end of output");
		} else {
			str_catf(&why, "read: %s", strerror(errno));
			agent_fail(q, a, false, why.s);
		}
		break;
	}
	str_free(&why);
}

size_t
qmgr_sched_pollfds(const struct qmgr *q, struct pollfd *pfd, size_t max)
{
	size_t	i;

	for (i = 0; i < q->nbusy && i < max; i++) {
		pfd[i].fd = q->busy[i]->proc.fd[1];
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	return i;
}

void
qmgr_sched_io(struct qmgr *q, const struct pollfd *pfd, size_t n)
{
	struct qmgr_agent	**ready;
	struct qmgr_agent	 *a;
	long long		  now = clock_ms();
	size_t			  i, k, nready = 0;

	/* The busy list changes as agents finish: pick them first. */
	ready = xreallocarray(NULL, q->nbusy + 1, sizeof(*ready));
	for (i = 0; i < n && i < q->nbusy; i++) {
		if (pfd[i].revents != 0 && q->busy[i]->proc.fd[1] == pfd[i].fd) {
			ready[nready++] = q->busy[i];
		}
	}
	for (k = 0; k < nready; k++) {
		agent_input(q, ready[k]);
	}
	/* Deadlines, after reading what came in time. */
	i = 0;
	while (i < q->nbusy) {
		a = q->busy[i];
		if (a->deadline <= now) {
			log_warnx("%s: delivery agent %s (pid %ld) timed out",
			    a->job->id, str_c(&a->transport),
			    (long)a->proc.pid);
			agent_fail(q, a, false, "timed out");
			continue;	/* a left the list */
		}
		i++;
	}
	free(ready);
}

long long
qmgr_sched_next_deadline(const struct qmgr *q)
{
	long long	now = clock_ms(), left, best = -1;
	size_t		i;

	for (i = 0; i < q->nbusy; i++) {
		left = q->busy[i]->deadline - now;
		if (left < 0) {
			left = 0;
		}
		if (best == -1 || left < best) {
			best = left;
		}
	}
	return best;
}

bool
qmgr_sched_idle(const struct qmgr *q)
{
	const struct qmgr_dest	*d;

	if (q->nbusy > 0) {
		return false;
	}
	/* dead destinations with no work are only remembered */
	for (d = q->dests; d != NULL; d = d->next) {
		if (d->head != NULL) {
			return false;
		}
	}
	return true;
}

size_t
qmgr_sched_busy(const struct qmgr *q)
{
	return q->nbusy;
}

void
qmgr_sched_abort(struct qmgr *q)
{
	struct qmgr_transport	*t;
	struct qmgr_dest	*d;
	struct qmgr_job		*job;

	q->abort = true;
	while (q->nbusy > 0) {
		agent_done(q, q->busy[0], false, false, NULL);
	}
	while ((d = q->dests) != NULL) {
		while ((job = d->head) != NULL) {
			d->head = job->next;
			qmgr_msg_job_end(q, job, NULL);
		}
		d->tail = NULL;
		dest_release(q, d);
	}
	while ((t = q->transports) != NULL) {
		q->transports = t->next;
		free(t->name);
		free(t);
	}
	free(q->busy);
	q->busy = NULL;
	q->busy_cap = 0;
}
