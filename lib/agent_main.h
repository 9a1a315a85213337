/* SPDX-License-Identifier: ISC */
/*
 * agent_main.h: the life of a simple delivery agent (error, discard, and
 * any agent that answers each job by itself): the usual options and
 * configuration, privileges dropped to mail_owner, then jobs read and
 * answered until the end of input, in the protocol of agent.h.
 */
#ifndef POSTLET_AGENT_MAIN_H
#define POSTLET_AGENT_MAIN_H

#include "agent.h"
#include "buf.h"

/*
 * Answer one job: one agent_put_result per recipient, on out (the "."
 * that ends the job is written by the caller).  ctx is the caller's.
 */
typedef void	(*agent_job_fn)(const struct agent_job *, struct buf *out,
		    void *ctx);

/*
 * Read jobs from descriptor in and answer them on out with fn until the
 * end of input.  Returns an exit status: 0, EX_PROTOCOL (a malformed job:
 * qmgr defers its recipients) or EX_IOERR.
 */
int	agent_serve(int in, int out, agent_job_fn fn, void *ctx);

/*
 * A whole agent program: `prog [-v] [-c config_dir] [-o name=value ...]`
 * (usage error: EX_USAGE), the configuration (fatal on errors), logging
 * as prog, privileges dropped to mail_owner when root, then agent_serve
 * on standard input and output.  Returns the exit status for main.
 */
int	agent_main(int argc, char *argv[], const char *prog, agent_job_fn fn,
	    void *ctx);

#endif
