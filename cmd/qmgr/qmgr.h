/* SPDX-License-Identifier: ISC */
/*
 * qmgr.h: the queue manager's private interface (docs/qmgr.8).
 *
 * qmgr moves messages from incoming/ (and, when due, from deferred/) to
 * active/, resolves their pending recipients, groups them by transport
 * and next hop, and hands each group to a delivery agent over the agent
 * protocol (lib/agent.h).  Every result is made durable in the queue file
 * (the recipient's status byte) or in the bounce/ log before it is
 * logged; then the message is removed, handed to bounce, or moved to
 * deferred/ with its next attempt time as the file's modification time.
 *
 * Crash safety: a queue file leaves active/ only by rename (to deferred/)
 * or, once no recipient is pending and the bounce notice (if any) has
 * been sent, by unlink; anything qmgr does between is repeated after a
 * crash, because at start every file in active/ is taken again and its
 * status bytes say what is still pending.  The worst a crash can do is
 * deliver a recipient twice.
 *
 * Deliveries run in parallel (qmgr_sched.c): each job waits in the
 * queue of its destination (transport and next hop; the recipient itself
 * when the transport takes one recipient per job) and starts when both
 * the destination's concurrency limit
 * (TRANSPORT_destination_concurrency_limit) and the transport's process
 * limit (its master.cf maxproc, or default_process_limit) allow.
 * Destinations take turns.  One event loop waits on every busy agent, the
 * wake-up FIFO and the signals.  Agents are kept for reuse: an idle one
 * serves the next job of its transport, until max_idle passes.
 *
 * Started as root, qmgr forks the privileged spawner (lib/spawn.h)
 * before it becomes mail_owner; agents of master.cf services with
 * unpriv = n come from it, as root, over a socket instead of pipes.
 * Every other agent qmgr starts itself, as mail_owner.
 */
#ifndef POSTLET_QMGR_H
#define POSTLET_QMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <poll.h>
#include <time.h>

#include "agent.h"
#include "bounds.h"
#include "buf.h"
#include "mastercf.h"
#include "proc.h"
#include "qfile.h"
#include "spawn.h"
#include "str.h"

/*
 * A defer or bounce log (defer/ID, bounce/ID) is read whole before it is
 * rewritten: at most one line per recipient, each at most an address and
 * QMGR_TEXT_MAX bytes of text.
 */
#define QMGR_LOG_MAX	(64L * 1024 * 1024)
/* Result texts are cut to this many bytes in logs and log lines. */
#define QMGR_TEXT_MAX	1000
/* How long a retiring agent may take to exit before it is killed. */
#define QMGR_AGENT_EXIT_MS	5000

struct qmgr_msg;
struct qmgr_dest;

/* Longest line an agent may write: a result record. */
#define QMGR_LINE_MAX	QFILE_RECORD_MAX

/* One job: recipients of one message for one destination. */
struct qmgr_job {
	struct qmgr_msg		*msg;
	/* the message's queue ID (borrowed from msg) and the next hop */
	const char		*id;
	char			*nexthop;
	struct qmgr_dest	*dest;
	/* queue file positions, and the resolved addresses (owned) */
	size_t			*index;
	char			**address;
	size_t			 n, cap;
	/* the destination's wait queue */
	struct qmgr_job		*next;
	/* sent once to a reused agent that turned out dead */
	bool			 retried;
	/* the agent said "!" (the destination failed as a whole), and
	 * the first reason it gave then; some recipient got D or P */
	bool			 site_failed;
	char			*site_reason;
	bool			 final;
	/* the server the agent last named ("@"), for the log lines */
	char			*relay;
};

/* A delivery agent process, busy or idle. */
struct qmgr_agent {
	struct str	 transport;
	struct proc	 proc;
	/* writes its stdin */
	struct buf	 out;
	unsigned char	 out_mem[2 * 4096];
	/* what it wrote that is not yet a whole line */
	char		 line[QMGR_LINE_MAX + 1];
	size_t		 line_len;
	/* the job it works on (NULL when idle), and results so far */
	struct qmgr_job	*job;
	size_t		 nreported;
	/* the jobs written to it ahead, which it starts one after the
	 * other when job ends (see qmgr_sched.c): a list through their
	 * next, first to last, nahead of them, ahead_bytes their lines */
	struct qmgr_job	*ahead, *ahead_last;
	size_t		 nahead, ahead_bytes;
	/* clock_ms(): when it must have said more; when it became idle */
	long long	 deadline;
	long long	 idle_since;
	/* taken from the idle pool (it may have died meanwhile) */
	bool		 reused;
	/* the next hop of its last job (an smtp agent may still hold a
	 * session to it): idle agents are matched on it first */
	char		*nexthop;
	/*
	 * started by the privileged spawner: not our child (its exit
	 * comes as a report from the spawner), and proc.fd[0] and fd[1]
	 * are two descriptors of one socket
	 */
	bool		 spawned;
	struct qmgr	*q;
};

/* A transport: its limits, and its destinations with work. */
struct qmgr_transport {
	char			*name;
	/* the most agents at once; the most busy per destination; the
	 * most recipients per job */
	int			 proc_limit, dest_limit, rcpt_limit;
	/* a new destination's concurrency; failed jobs in a row (times
	 * the concurrency) that make a destination dead */
	int			 init_window, cohort_limit;
	int			 busy;
	struct qmgr_transport	*next;
};

/* A destination: a transport and a next hop (or recipient). */
struct qmgr_dest {
	struct qmgr_transport	*transport;
	char			*key;
	/* agents working on its jobs; jobs written ahead to them */
	int			 busy, ahead;
	/*
	 * concurrency: starts at init_window, one more after each job
	 * that delivered or bounced something, up to dest_limit; failed
	 * jobs in a row; while dead (clock_ms() < dead_until), its jobs
	 * are deferred with dead_reason without being tried
	 */
	int			 window, failures;
	/* its last job that ended delivered or bounced something, and
	 * none failed as a whole since: jobs may be written ahead */
	bool			 proven;
	long long		 dead_until;
	char			*dead_reason;
	/* jobs waiting, in arrival order */
	struct qmgr_job		*head, *tail;
	struct qmgr_dest	*next;
};

struct qmgr {
	/* -c, or conf_dir()'s choice; borrowed from main */
	const char	 *config_dir;
	/* -o name=value, borrowed from argv */
	char		**overrides;
	size_t		  noverrides;
	/* -x: one pass, then exit */
	bool		  once;
	/* parameters, read by qmgr_config */
	struct str	  queue_dir;
	struct str	  daemon_dir;
	long long	  minimal_backoff_time;
	long long	  maximal_backoff_time;
	long long	  queue_run_delay;
	long long	  maximal_queue_lifetime;
	long long	  bounce_queue_lifetime;
	long long	  delay_warning_time;
	long long	  ipc_timeout;
	long long	  max_idle;
	long long	  active_limit;
	long long	  process_limit;
	/* master.cf, to find each transport's command */
	struct mastercf	  mcf;
	/* agents: idle ones, and busy ones */
	struct qmgr_agent **idle;
	size_t		  nidle, idle_cap;
	struct qmgr_agent **busy;
	size_t		  nbusy, busy_cap;
	/* transports and destinations seen; destinations with work */
	struct qmgr_transport *transports;
	struct qmgr_dest *dests;
	/* messages in memory (qmgr_message.c) */
	struct qmgr_msg	 *msgs;
	size_t		  nloaded;
	/* started as root: agents of unpriv = n services come from the
	 * privileged spawner */
	bool		  root;
	struct spawn_client spawner;
	/* signals seen; abort: stopping without waiting for agents (their
	 * recipients stay pending, silently) */
	bool		  stop, reload, abort;
	/* public/qmgr, or -1 */
	int		  fifo;
	/* public/flow (in_flow_delay, lib/flow.h), or -1; its tokens at
	 * most (default_process_limit) */
	int		  flow;
	size_t		  flow_limit;
	bool		  flow_on;
	/* tokens owed for the attempts ended in this round, given back
	 * together at its end (qmgr_msg_sync) */
	size_t		  flow_owed;
	/* a message was removed from active/ since its last fsync; how
	 * many messages in memory have D bytes not yet fsync'ed */
	bool		  removals_unsynced;
	size_t		  nunsynced;
};
#define QMGR_INIT	{ .fifo = -1, .flow = -1, .spawner = SPAWN_CLIENT_INIT }

/* main.c's one call (qmgr_queue.c): runs the daemon or one pass.  Returns
 * the exit status. */
int	qmgr_run(struct qmgr *);

/* (Re)read the configuration: conf_load, the -o overrides, the
 * parameters into q, master.cf.  Fatal (EX_CONFIG) on a bad
 * configuration. */
void	qmgr_config(struct qmgr *);

/* qmgr_message.c */
/*
 * Take the message active/id into memory: its pending recipients are
 * resolved and become jobs (qmgr_sched_add).  A message with nothing to
 * deliver is finished at once.  Returns 0, or -1 when it could not be
 * opened (left in active/ for a later scan, or moved to corrupt/).
 */
int	qmgr_msg_load(struct qmgr *, const char *id);
/* One result of job: 0, or -1 with a protocol error in why. */
int	qmgr_msg_result(struct qmgr_job *, const struct agent_result *,
	    struct str *why);
/*
 * Job ended (its agent said "." or failed): its unreported recipients
 * are deferred with reason ("4.x.x text"; not when stopping), and the
 * job is freed.  When it was its message's last job, the message's
 * attempt is finished: removed, bounced, expired or deferred.
 */
void	qmgr_msg_job_end(struct qmgr *, struct qmgr_job *, const char *reason);
/* SIGTERM: free every message in memory, leaving its file in active/. */
void	qmgr_msg_drop_all(struct qmgr *);
/*
 * End of a round of the loop: fsync the files of messages in memory
 * whose D status bytes are not durable yet, and active/ when messages
 * were removed from it; then give back the in_flow_delay tokens of the
 * attempts that ended in the round.
 */
void	qmgr_msg_sync(struct qmgr *);
/* True when the message active/id is in memory. */
bool	qmgr_msg_loaded(const struct qmgr *, const char *id);

/* qmgr_sched.c */
/* The transport called name, made with its limits when new. */
struct qmgr_transport *qmgr_sched_transport(struct qmgr *, const char *name);
/* Read the transports' limits again (after a reload). */
void	qmgr_sched_limits(struct qmgr *);
/* Free a job that is in no queue. */
void	qmgr_job_free(struct qmgr_job *);
/* Queue job for transport and key (next hop, or the recipient). */
void	qmgr_sched_add(struct qmgr *, struct qmgr_job *,
	    const char *transport, const char *key);
/* Start waiting jobs as far as the limits allow. */
void	qmgr_sched_dispatch(struct qmgr *);
/* The busy agents' descriptors to poll (POLLIN), from pfd[0] on. */
size_t	qmgr_sched_pollfds(const struct qmgr *, struct pollfd *, size_t max);
/* Read what the polled agents wrote, and end those past their time. */
void	qmgr_sched_io(struct qmgr *, const struct pollfd *, size_t n);
/* Milliseconds until the first busy agent's deadline, -1 when none. */
long long qmgr_sched_next_deadline(const struct qmgr *);
/* True when no job waits and no agent is busy. */
bool	qmgr_sched_idle(const struct qmgr *);
/* Number of busy agents. */
size_t	qmgr_sched_busy(const struct qmgr *);
/*
 * Stopping: kill the busy agents and drop the waiting jobs (their
 * recipients stay pending, silently: q->abort is set), then free the
 * transports and destinations.
 */
void	qmgr_sched_abort(struct qmgr *);

/* qmgr_agent.c */
/*
 * An agent for transport: an idle one (one whose last job went to
 * nexthop first), or a new one started from
 * master.cf's unix service of that name (or $daemon_directory/transport),
 * by the privileged spawner when we started as root and the service's
 * unpriv column is n.
 * Returns the agent (owned by the caller until qmgr_agent_release or
 * qmgr_agent_kill), or NULL with the reason in why ("4.3.0 ...").
 */
struct qmgr_agent *qmgr_agent_get(struct qmgr *, const char *transport,
	    const char *nexthop, struct str *why);
/* Put a healthy agent back into the idle pool. */
void	qmgr_agent_release(struct qmgr *, struct qmgr_agent *);
/*
 * End an agent: with graceful, close its input and let it exit (killing
 * it after QMGR_AGENT_EXIT_MS); else kill it at once.  Its exit status is
 * worded into status_text (may be NULL).  Frees a.
 */
void	qmgr_agent_end(struct qmgr_agent *a, bool graceful,
	    struct str *status_text);
/* End idle agents idle for max_idle or longer (all when all is true). */
void	qmgr_agent_expire(struct qmgr *, bool all);
/* Milliseconds until the next idle agent expires, -1 when none. */
long long qmgr_agent_next_expiry(const struct qmgr *);

/* qmgr_reason.c: the per-message logs defer/ID and bounce/ID. */
/*
 * Add lines ("address TAB code SP text LF" each, in text) to the log
 * queue_dir/subdir/id, replacing the earlier line of each address when
 * replace is true, durably (lib/durable through tmp/).  Returns 0 or -1
 * with errno.
 */
int	qmgr_reason_add(const struct qmgr *, const char *subdir,
	    const char *id, const struct str *text, bool replace);
/* Remove the defer and bounce logs of id (missing ones are fine). */
void	qmgr_reason_remove(const struct qmgr *, const char *id);
/* Remove only the bounce log (once its notice was sent). */
void	qmgr_reason_remove_bounce(const struct qmgr *, const char *id);
/* True when queue_dir/bounce/id exists. */
bool	qmgr_reason_have_bounce(const struct qmgr *, const char *id);
/* Append one log line "address TAB code SP text LF" to out, with text
 * cut to QMGR_TEXT_MAX bytes.  qmgr_reason_relayed: the line of a
 * delivery to report as relayed, "address TAB relayed SP code SP text". */
void	qmgr_reason_relayed(struct str *out, const char *address,
	    const char *code, const char *text);
void	qmgr_reason_line(struct str *out, const char *address,
	    const char *code, const char *text);

#endif
