/* SPDX-License-Identifier: ISC */
/*
 * error.h: the error delivery agent's private interface (docs/error.8).
 */
#ifndef POSTLET_ERROR_H
#define POSTLET_ERROR_H

#include "agent.h"
#include "buf.h"
#include "dsn.h"
#include "str.h"

/* Fail every recipient of job with its next hop's reason (an
 * agent_job_fn). */
void	error_job(const struct agent_job *job, struct buf *out, void *ctx);

/*
 * The outcome that an error next hop asks for: "4.x.x text" defers,
 * "5.x.x text" bounces with that code, any other text bounces with
 * 5.0.0, and an empty one says "delivery error".  code gets the status
 * code (NUL-terminated, size >= 16), text the rest (replaced).
 */
enum dsn_status	error_reason(const char *nexthop, char code[16],
		    struct str *text);

#endif
