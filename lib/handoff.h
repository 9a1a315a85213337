/* SPDX-License-Identifier: ISC */
/*
 * handoff.h: how master hands connections to a child that it reuses for
 * many of them (smtpd for its network connections, cleanup for those to
 * public/cleanup), instead of starting one child per connection.
 *
 * The child gets one end of a SOCK_SEQPACKET socketpair on descriptor 0,
 * the control channel.  On it:
 *
 *	master -> child	a one-byte packet 'C' carrying (SCM_RIGHTS) exactly
 *			one descriptor: the accepted connection, blocking
 *	child -> master	a one-byte packet 'D' once the child is done with
 *			that connection: it has closed it, or has nothing
 *			more to say on it (handoff_done_early)
 *	child -> master	or a one-byte packet 'R' carrying the connection
 *			back, unserved: the child must start again (a
 *			table it keeps open was rebuilt, below) and exits;
 *			master hands the connection to another child
 *
 * Master sends a connection only to a child that is idle (no 'C' without
 * its 'D'), so a child holds at most one.  All policy is master's: it
 * makes a child exit by closing its end of the channel, which the child
 * sees as end of file when it waits for the next connection (after
 * max_use connections, max_idle of idleness, a reload or a stop), or as
 * a reset when master had not read the child's last 'D' yet.  A
 * child whose channel breaks, or that gets a packet that is not one 'C'
 * with one descriptor, exits too: master starts another when it needs
 * one.
 *
 * Tables: a chrooted child keeps its tables open (map_keep_open) and
 * cannot reopen them in the jail.  When one was rebuilt
 * (map_kept_changed), the child logs "table NAME has changed --
 * restarting" and exits: after a connection, without 'D'; or, if it
 * learns it on receiving a connection, after sending that connection
 * back with 'R' (only when it served one before, so that a fresh child,
 * whose tables are new, always serves: a connection goes back at most
 * once).  So a session does not start with a stale table, but for one:
 * when master has closed the channel already (a reload, a stop), the
 * connection cannot go back and is served before the child exits.
 */
#ifndef POSTLET_HANDOFF_H
#define POSTLET_HANDOFF_H

#define HANDOFF_CONN	'C'
#define HANDOFF_DONE	'D'
#define HANDOFF_RETURN	'R'

/* Master: pass connection conn to the idle child on ctl, without
 * waiting.  Returns 0, or -1 with errno (the child is gone or broken). */
int	handoff_send(int ctl, int conn);

/*
 * Child: wait on ctl for the next connection.  Returns 1 with *conn set
 * (ours to close), 0 at end of file (master wants us to exit), or -1
 * with errno: EPROTO for a packet that is not one 'C' with one
 * descriptor (what came with it is closed), or the error of recvmsg(2).
 */
int	handoff_next(int ctl, int *conn);
/* Child: report the connection done (after closing it).  0 or -1. */
int	handoff_done(int ctl);
/*
 * Child, from inside handoff_serve's serve: report the connection done
 * before serve returns, once nothing is left to say on it (smtpd, when
 * its last reply has gone out), so that master counts the child idle
 * while it closes the connection and logs: a client that opens its next
 * connection as soon as it reads the reply would otherwise find no idle
 * child, and master would start another.  handoff_serve then sends no
 * 'D' of its own; what it does on a changed table or a channel that
 * master closed is the same.  Outside handoff_serve, or called twice:
 * nothing.
 */
void	handoff_done_early(void);

/*
 * Child: serve connections until master closes the channel: for each,
 * serve(conn, arg), close conn, report it done; end when a kept table
 * changed (above).  Returns 0 then and at master's end of file or reset,
 * or -1 (logged) when the channel fails otherwise.
 */
int	handoff_serve(int ctl, void (*serve)(int conn, void *), void *arg);
/*
 * As handoff_serve, and when no connection came idle_ms after the
 * last one (or the start), idle(arg) is called once before the wait
 * goes on: smtpd then lets go of the cleanup it keeps for its next
 * session.
 */
int	handoff_serve_idle(int ctl, void (*serve)(int conn, void *),
	    void *arg, int idle_ms, void (*idle)(void *));

#endif
