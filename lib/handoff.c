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

/* How the report of a served connection went: 'D' sent; none, as a
 * kept table changed (master sees the channel end); master gone (a
 * quiet end); or failed (logged).  REPORT_NONE: not made yet. */
enum handoff_report {
	REPORT_NONE,
	REPORT_SENT,
	REPORT_STALE,
	REPORT_GONE,
	REPORT_FAILED
};
/* For handoff_done_early while serve runs: the channel (-1 outside
 * handoff_serve) and the report made so far. */
static int			handoff_report_ctl = -1;
static enum handoff_report	handoff_report;

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

/* Report the connection just served on ctl: 'D', unless a kept table
 * changed. */
static enum handoff_report
report_done(int ctl)
{
	if (handoff_stale()) {
		return REPORT_STALE;
	}
	if (handoff_done(ctl) == 0) {
		return REPORT_SENT;
	}
	if (errno == EPIPE || errno == ECONNRESET) {
		/* master closed its end meanwhile: nothing to say */
		return REPORT_GONE;
	}
	log_warn("handoff: report to master");
	return REPORT_FAILED;
}

void
handoff_done_early(void)
{
	if (handoff_report_ctl != -1 && handoff_report == REPORT_NONE) {
		handoff_report = report_done(handoff_report_ctl);
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
		handoff_report_ctl = ctl;
		handoff_report = REPORT_NONE;
		serve(conn, arg);
		handoff_report_ctl = -1;
		(void)close(conn);
		served = true;
		/* unless serve reported it already (handoff_done_early) */
		if (handoff_report == REPORT_NONE) {
			handoff_report = report_done(ctl);
		}
		if (handoff_report == REPORT_FAILED) {
			return -1;
		}
		if (handoff_report != REPORT_SENT) {
			/* no 'D' (master sees the channel end), or master
			 * gone */
			return 0;
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
