/* SPDX-License-Identifier: ISC */
/*
 * discard_agent.c: what Postfix's discard(8) does for the "discard"
 * transport: every recipient of a job is reported delivered (2.0.0) and
 * the message is dropped.  The reason logged is the job's next hop
 * ("discard:silently" gives "silently"; the next hop is the recipient's
 * domain when transport_maps gave none) or "discarded" when it is empty;
 * qmgr logs it as "status=sent (reason)".  The queue file is not read.
 */
#include <errno.h>
#include <stdbool.h>
#include <sysexits.h>

#include "agent.h"
#include "discard.h"
#include "log.h"

int
discard_run(int in, int out)
{
	struct agent_job	 job = AGENT_JOB_INIT;
	struct buf		 bin, bout;
	struct str		 why = STR_INIT;
	unsigned char		 min[8192], mout[8192];
	const char		*reason;
	size_t			 i;
	int			 r, rc = 0;

	buf_init_fd(&bin, in, min, sizeof(min), -1);
	buf_init_fd(&bout, out, mout, sizeof(mout), -1);
	while ((r = agent_get_job(&bin, &job, &why)) == 1) {
		reason = job.nexthop.len > 0 ? job.nexthop.s : "discarded";
		for (i = 0; i < job.nrcpt; i++) {
			log_debug("%s: to=<%s>: discarded (%s)",
			    str_c(&job.queue_id), job.rcpts[i].address,
			    reason);
			agent_put_result(&bout, job.rcpts[i].index, DSN_OK,
			    "2.0.0", reason);
		}
		if (agent_put_done(&bout) == -1) {
			log_warn("write results");
			rc = EX_IOERR;
			goto out;
		}
	}
	if (r == -1) {
		if (errno == EBADMSG) {
			log_warnx("bad job: %s", str_c(&why));
			rc = EX_PROTOCOL;
		} else {
			log_warn("read job");
			rc = EX_IOERR;
		}
	}
out:
	agent_job_free(&job);
	str_free(&why);
	return rc;
}
