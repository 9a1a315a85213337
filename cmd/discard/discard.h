/* SPDX-License-Identifier: ISC */
/*
 * discard.h: the discard delivery agent's private interface
 * (docs/discard.8).
 */
#ifndef POSTLET_DISCARD_H
#define POSTLET_DISCARD_H

#include "agent.h"
#include "buf.h"

/* Report every recipient of job delivered (an agent_job_fn). */
void	discard_job(const struct agent_job *job, struct buf *out, void *ctx);

#endif
