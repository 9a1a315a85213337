/* SPDX-License-Identifier: ISC */
/* handoff.c: master's hand-off of connections to reused children
 * (see handoff.h). */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"
#include "handoff.h"
#include "log.h"
#include "map.h"

/* Descriptors taken from one packet: one is expected, two show a bad one. */
#define HANDOFF_FDS	2

/* What handoff_done_early needs while serve runs: the channel (-1
 * outside handoff_serve), whether the 'D' went out early, and what
 * handoff_serve does after serve then: nothing more, exit (a kept table
 * changed, or master let us go), or fail (-1, logged) */
enum handoff_early {
	EARLY_NONE,
	EARLY_SENT,
	EARLY_STALE,
	EARLY_GONE,
	EARLY_FAILED
};
static int			handoff_early_ctl = -1;
static enum handoff_early	handoff_early;

int
handoff_send(int ctl, int conn)
{
	const char	tag = HANDOFF_CONN;

	return fd_send_packet(ctl, &tag, 1, conn);
}

int
handoff_next(int ctl, int *conn)
{
	char	tag[2];
	int	fds[HANDOFF_FDS];
	size_t	nfds, i;
	bool	trunc;
	ssize_t	r;

	*conn = -1;
	r = fd_recv_packet(ctl, true, tag, sizeof(tag), fds, HANDOFF_FDS,
	    &nfds, &trunc);
	if (r == -1) {
		return -1;
	}
	if (r == 0 && nfds == 0) {
		return 0;
	}
	if (r != 1 || tag[0] != HANDOFF_CONN || nfds != 1 || trunc) {
		for (i = 0; i < nfds; i++) {
			(void)close(fds[i]);
		}
		errno = EPROTO;
		return -1;
	}
	*conn = fds[0];
	return 1;
}

int
handoff_done(int ctl)
{
	const char	tag = HANDOFF_DONE;

	return fd_send_packet(ctl, &tag, 1, -1);
}

/* A kept table was rebuilt: logged, true (this process must end). */
static bool
handoff_stale(void)
{
	const char	*changed;

	if ((changed = map_kept_changed()) == NULL) {
		return false;
	}
	log_info("table %s has changed -- restarting", changed);
	return true;
}

void
handoff_done_early(void)
{
	if (handoff_early_ctl == -1 || handoff_early != EARLY_NONE) {
		return;
	}
	if (handoff_stale()) {
		/* no 'D' at all: master sees the channel end */
		handoff_early = EARLY_STALE;
	} else if (handoff_done(handoff_early_ctl) == 0) {
		handoff_early = EARLY_SENT;
	} else if (errno == EPIPE || errno == ECONNRESET) {
		handoff_early = EARLY_GONE;
	} else {
		log_warn("handoff: report to master");
		handoff_early = EARLY_FAILED;
	}
}

int
handoff_serve(int ctl, void (*serve)(int, void *), void *arg)
{
	return handoff_serve_idle(ctl, serve, arg, 0, NULL);
}

int
handoff_serve_idle(int ctl, void (*serve)(int, void *), void *arg,
    int idle_ms, void (*idle)(void *))
{
	const char	tag = HANDOFF_RETURN;
	bool		served = false;
	int		conn, r;

	/* nothing this process may start gets the channel */
	(void)fd_set_cloexec(ctl, true);
	for (;;) {
		/* idle for idle_ms: say so once, then wait on */
		if (idle != NULL && fd_wait(ctl, POLLIN,
		    clock_deadline(idle_ms)) == -1 && errno == ETIMEDOUT) {
			idle(arg);
		}
		if ((r = handoff_next(ctl, &conn)) != 1) {
			break;
		}
		if (served && handoff_stale()) {
			/* master gives it to a fresh child; when master
			 * let us go meanwhile (a reload, a stop), it cannot,
			 * and this one session is served with the old
			 * table, as before a reload */
			if (fd_send_packet(ctl, &tag, 1, conn) == -1) {
				serve(conn, arg);
			}
			(void)close(conn);
			return 0;
		}
		handoff_early_ctl = ctl;
		handoff_early = EARLY_NONE;
		serve(conn, arg);
		handoff_early_ctl = -1;
		(void)close(conn);
		served = true;
		if (handoff_early == EARLY_SENT) {
			/* reported from inside serve already */
			continue;
		}
		if (handoff_early == EARLY_STALE ||
		    handoff_early == EARLY_GONE) {
			return 0;
		}
		if (handoff_early == EARLY_FAILED) {
			return -1;
		}
		if (handoff_stale()) {
			/* no 'D': master sees the channel end */
			return 0;
		}
		if (handoff_done(ctl) == -1) {
			/* master closed its end meanwhile: nothing to say */
			if (errno == EPIPE || errno == ECONNRESET) {
				return 0;
			}
			log_warn("handoff: report to master");
			return -1;
		}
	}
	if (r == -1) {
		/* master closed its end before it read our last 'D' (a
		 * reload, a stop): the kernel reports that as a reset, and
		 * it is master letting us go like the end of file is */
		if (errno == ECONNRESET) {
			return 0;
		}
		log_warn("handoff: next connection");
		return -1;
	}
	return 0;
}
