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
 * Delivery is sequential: one agent works at a time (XXX no parallel
 * deliveries; see docs/qmgr.8).  Agents are kept for reuse, one idle
 * agent per transport, until max_idle passes.
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
#include <time.h>

#include "agent.h"
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

/* A delivery agent process, busy or idle. */
struct qmgr_agent {
	struct str	 transport;
	struct proc	 proc;
	/* reads its stdout / writes its stdin */
	struct buf	 in, out;
	unsigned char	 in_mem[2 * 4096], out_mem[2 * 4096];
	/* clock_ms() when it became idle */
	long long	 idle_since;
	/* taken from the idle pool (it may have died meanwhile) */
	bool		 reused;
	/*
	 * started by the privileged spawner: not our child (its exit
	 * comes as a report from the spawner), and proc.fd[0] and fd[1]
	 * are two descriptors of one socket
	 */
	bool		 spawned;
	/* back pointer for the read function (signals) */
	struct qmgr	*q;
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
	long long	  ipc_timeout;
	long long	  max_idle;
	long long	  active_limit;
	/* master.cf, to find each transport's command */
	struct mastercf	  mcf;
	/* idle agents */
	struct qmgr_agent **idle;
	size_t		  nidle, idle_cap;
	/* started as root: agents of unpriv = n services come from the
	 * privileged spawner */
	bool		  root;
	struct spawn_client spawner;
	/* signals seen while waiting for an agent */
	bool		  stop, reload;
	/* public/qmgr, or -1 */
	int		  fifo;
};
#define QMGR_INIT	{ .fifo = -1, .spawner = SPAWN_CLIENT_INIT }

/* main.c's one call (qmgr_queue.c): runs the daemon or one pass.  Returns
 * the exit status. */
int	qmgr_run(struct qmgr *);

/* (Re)read the configuration: conf_load, the -o overrides, the
 * parameters into q, master.cf.  Fatal (EX_CONFIG) on a bad
 * configuration. */
void	qmgr_config(struct qmgr *);

/* qmgr_message.c: one attempt at the message active/id: every pending
 * recipient is tried once, then the message is removed, bounced or
 * deferred.  Returns 0, or -1 when the message had to stay in active/
 * (logged; it is taken again by the next pass or start). */
int	qmgr_message(struct qmgr *, const char *id);

/* qmgr_agent.c */
/*
 * An agent for transport: an idle one, or a new one started from
 * master.cf's unix service of that name (or $daemon_directory/transport),
 * by the privileged spawner when we started as root and the service's
 * unpriv column is n.
 * Returns the agent (owned by the caller until qmgr_agent_release or
 * qmgr_agent_kill), or NULL with the reason in why ("4.3.0 ...").
 */
struct qmgr_agent *qmgr_agent_get(struct qmgr *, const char *transport,
	    struct str *why);
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
/* True when queue_dir/bounce/id exists. */
bool	qmgr_reason_have_bounce(const struct qmgr *, const char *id);
/* Append one log line "address TAB code SP text LF" to out, with text
 * cut to QMGR_TEXT_MAX bytes. */
void	qmgr_reason_line(struct str *out, const char *address,
	    const char *code, const char *text);

#endif
