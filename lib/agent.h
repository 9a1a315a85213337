/* SPDX-License-Identifier: ISC */
/*
 * agent.h: the delivery agent protocol, between qmgr and the programs
 * that deliver (local, smtp, lmtp, virtual, pipe, error, discard).
 *
 * qmgr writes jobs on the agent's standard input, one record per line,
 * "TAG SP VALUE LF" (no NUL, CR or LF in values, a line at most
 * QFILE_RECORD_MAX bytes):
 *
 *	J queue-id queue-file	a new job: the message, and its queue file
 *				relative to queue_directory ("active/ID")
 *	N nexthop		the next hop (may be empty: "N " LF)
 *	R index address		a recipient: its position in the queue
 *				file (0-based) and the address to deliver
 *				to; one or more
 *	G			go: the job is complete
 *
 * The agent reads the sender, the content and each recipient's DSN
 * attributes from the queue file itself.  For every recipient of the job
 * it answers one line on its standard output, in any order:
 *
 *	index status code text	status D (delivered), T (try again
 *				later) or P (permanent failure); code is
 *				an RFC 3463 status code matching it (2.x.x,
 *				4.x.x, 5.x.x); text says what happened.
 *				R is D for a recipient with NOTIFY=SUCCESS
 *				handed to a server that does not pass
 *				delivery status notices on (no DSN in
 *				its EHLO reply): its success notice says
 *				"relayed", not "delivered"
 *
 * then a line "." when the job is finished.  Before the results, the
 * agent may write a line "!": the destination failed as a whole (no
 * server of the next hop could be reached, or each one refused the
 * session), not this message.  qmgr then counts a failure against the
 * destination (see qmgr(8): enough of them in a row and its other mail
 * waits for a while without being tried).  A line "@ relay" names the
 * server the results that follow come from ("mx.example.com[192.0.2.1]
 * :25", without the space), for the relay= field of qmgr's log lines.
 * An agent handles any number of jobs, one after the other, and exits 0
 * at the end of its input.  qmgr may write the next jobs before the "."
 * of the current one (jobs ahead, see qmgr_sched.c): an agent reads
 * its input as a stream and starts the next job only after its ".".  A
 * recipient the agent did not report before it died, or before "." came,
 * is deferred by qmgr, never bounced.
 */
#ifndef POSTLET_AGENT_H
#define POSTLET_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "dsn.h"
#include "str.h"

struct agent_rcpt {
	size_t	 index;		/* in the queue file */
	char	*address;	/* owned */
};

struct agent_job {
	struct str		 queue_id;
	struct str		 queue_file;	/* relative: "active/ID" */
	struct str		 nexthop;
	struct agent_rcpt	*rcpts;
	size_t			 nrcpt, cap;
};
#define AGENT_JOB_INIT	{ STR_INIT, STR_INIT, STR_INIT, NULL, 0, 0 }

struct agent_result {
	size_t			index;
	enum dsn_status		status;
	char			code[16];	/* "4.4.1" */
	struct str		text;
	bool			relayed;	/* R: DSN_OK, relayed */
};
#define AGENT_RESULT_INIT	{ 0, DSN_TEMP, "", STR_INIT, false }

void	agent_job_add_rcpt(struct agent_job *, size_t index,
	    const char *address);
/* Empty the job (keeping its memory) or free it. */
void	agent_job_clear(struct agent_job *);
void	agent_job_free(struct agent_job *);

/* qmgr's side.  Write a job (errors are the buf's: check buf_flush).
 * Returns -1 with EINVAL, writing nothing, when a field cannot be sent. */
int	agent_put_job(struct buf *, const struct agent_job *);
/*
 * Read one answer: 1 with a result in res, 2 at the "." that ends the
 * job, 3 for the "!" of a failed destination, 4 for "@ relay" (the relay
 * in res->text), 0 at the end of input, -1
 * with errno (EBADMSG with the reason in why for a malformed line, or
 * the I/O error such as ETIMEDOUT).
 */
int	agent_get_result(struct buf *, struct agent_result *res,
	    struct str *why);
/*
 * The same for one line already read, without its "\n" (len bytes at s,
 * at most QFILE_RECORD_MAX): 1 with a result, 2 for ".", 3 for "!", 4
 * for "@", -1 with EBADMSG and the reason in why.  For callers that read agents' output
 * themselves (qmgr, which waits on many agents at once).
 */
int	agent_parse_result(const char *s, size_t len, struct agent_result *res,
	    struct str *why);
void	agent_result_free(struct agent_result *);

/* The agent's side.  Read the next job: 1, 0 at the end of input, or
 * -1 with errno (EBADMSG and the reason in why). */
int	agent_get_job(struct buf *, struct agent_job *, struct str *why);
/* One recipient's result; text is made one line.  An invalid code is
 * replaced by the class default (2.0.0, 4.0.0, 5.0.0). */
void	agent_put_result(struct buf *, size_t index, enum dsn_status,
	    const char *code, const char *text);
/* The same for a delivery that is to be reported as relayed (R). */
void	agent_put_relayed(struct buf *, size_t index, const char *code,
	    const char *text);
/* The "!" of a destination that failed as a whole (before the
 * results of the job). */
void	agent_put_site_failure(struct buf *);
/* "@ relay": the server the next results come from (cut to one line). */
void	agent_put_relay(struct buf *, const char *relay);
/* The "." that ends a job, then a flush: 0 or -1 with errno. */
int	agent_put_done(struct buf *);

#endif
