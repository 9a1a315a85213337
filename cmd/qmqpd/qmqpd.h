/* SPDX-License-Identifier: ISC */
/*
 * qmqpd.h: the state of one QMQP session (qmqpd(8)), shared by main.c
 * (setup) and qmqpd_proto.c (the protocol and the handoff to cleanup).
 */
#ifndef QMQPD_H
#define QMQPD_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "str.h"

/* The largest message with message_size_limit = 0 (qmqpd holds the
 * message in memory). */
#define QMQPD_CONTENT_MAX	(64ULL * 1024 * 1024)

/* QMQP reply codes. */
#define QMQPD_OK	'K'	/* accepted */
#define QMQPD_TEMP	'Z'	/* temporary failure */
#define QMQPD_PERM	'D'	/* permanent failure */

/* After a refusal, the client's unread request is read and dropped for
 * at most this long (so that closing does not reset the connection
 * before the client read the reply). */
#define QMQPD_DRAIN_MS	5000

struct qmqpd {
	/* the client: reads on fd 0, the reply on fd 1 */
	struct buf		 in, out;
	const char		*config_dir;	/* -c, or NULL */
	/* "unknown[127.0.0.1]" and its parts */
	char			 name[64];
	char			 addr[64];
	char			 peer[160];
	/* settings */
	const char		*myhostname;
	unsigned long long	 size_limit;	/* 0: none */
	size_t			 line_limit;
	int			 timeout_ms;
	long long		 error_delay;	/* seconds */
};

/* qmqpd_proto.c: one session, from "connect from" to "disconnect from". */
void	qmqpd_session(struct qmqpd *);

#endif
