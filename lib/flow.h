/* SPDX-License-Identifier: ISC */
/*
 * flow.h: in_flow_delay, the arrival flow control that Postfix users
 * know: when mail arrives faster than it leaves, each new message waits
 * a little before it is accepted, so that the deliveries keep up instead
 * of being crowded out by the arrivals.  A message is slowed down, never
 * refused.
 *
 * Tokens are bytes in the FIFO queue_directory/public/flow (mode 0600,
 * mail_owner's).  qmgr holds it open for reading and writing as long as
 * it runs (so the bytes are kept), fills it up to a limit when it starts,
 * and gives one token back for each message whose attempt ends (removed,
 * deferred, or left in active/), those of one round of its loop together,
 * never filling the FIFO beyond the limit.
 * cleanup takes a token before each message; when there is none, it
 * waits for one for up to in_flow_delay, then goes on without.  Without
 * qmgr (nobody holds the FIFO for writing) there is nothing to wait for.
 */
#ifndef POSTLET_FLOW_H
#define POSTLET_FLOW_H

#include <stddef.h>

/* The FIFO, below the queue directory. */
#define FLOW_FIFO	"public/flow"

/*
 * qmgr's side: open queue_dir/public/flow, made when missing, for
 * reading and writing.  Returns the descriptor (non-blocking), or -1
 * with errno (EINVAL: not a FIFO).
 */
int	flow_open_put(const char *queue_dir);
/*
 * Add n tokens, but leave at most limit in the FIFO.  A full FIFO is
 * not an error; returns how many were added, or -1 with errno.
 */
long	flow_put(int fd, size_t n, size_t limit);

/*
 * cleanup's side: open queue_dir/public/flow for reading into r.
 * Returns 0, or -1 with errno (ENOENT: no FIFO, EINVAL: not a FIFO).
 * Where Linux has it, r also waits with EPOLLEXCLUSIVE, so that a token
 * wakes one of the waiting cleanups, not all of them.
 */
struct flow_reader {
	int	fd;
	int	ep;	/* epoll, or -1: poll(2) */
};
int	flow_open_get(const char *queue_dir, struct flow_reader *r);
/*
 * Take one token, waiting up to timeout_ms for one.  Returns 1 with a
 * token, 0 without one (the time ran out, or no qmgr holds the FIFO:
 * nothing to wait for), -1 with errno.
 */
int	flow_get(struct flow_reader *r, int timeout_ms);

#endif
