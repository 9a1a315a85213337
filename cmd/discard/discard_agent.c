/* SPDX-License-Identifier: ISC */
/*
 * discard_agent.c: what Postfix's discard(8) does for the "discard"
 * transport: every recipient of a job is reported delivered (2.0.0) and
 * the message is dropped.  The reason logged is the job's next hop
 * ("discard:silently" gives "silently"; the next hop is the recipient's
 * domain when transport_maps gave none) or "discarded" when it is empty;
 * qmgr logs it as "status=sent (reason)".  The queue file is not read.
 */
#include "agent.h"
#include "discard.h"
#include "log.h"

void
discard_job(const struct agent_job *job, struct buf *out, void *ctx)
{
	const char	*reason;
	size_t		 i;

	(void)ctx;
	reason = job->nexthop.len > 0 ? job->nexthop.s : "discarded";
	for (i = 0; i < job->nrcpt; i++) {
		log_debug("%s: to=<%s>: discarded (%s)",
		    str_c(&job->queue_id), job->rcpts[i].address, reason);
		agent_put_result(out, job->rcpts[i].index, DSN_OK, "2.0.0",
		    reason);
	}
}
