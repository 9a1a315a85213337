/* SPDX-License-Identifier: ISC */
/*
 * agent_qfile.h: what delivery agents that read the message (virtual,
 * pipe) do with a job's queue file: open it safely, find a recipient's
 * original address, look for a delivery loop.
 */
#ifndef POSTLET_AGENT_QFILE_H
#define POSTLET_AGENT_QFILE_H

#include <stdbool.h>

#include "agent.h"
#include "qfile.h"
#include "str.h"

/*
 * Open the queue file of job under queue_dir into qf (QFILE_INIT or
 * closed): the job's file must be "SUBDIR/ID" with SUBDIR a queue
 * directory and ID the job's valid queue ID, nothing else (the job comes
 * from qmgr, but a path read from a pipe is still checked).  Returns 0,
 * or -1 with the reason in why (the caller defers: 4.3.0); call
 * qfile_close in both cases.
 */
int	agent_qfile_open(const char *queue_dir, const struct agent_job *job,
	    struct qfile *qf, struct str *why);

/*
 * The recipient's address before any rewriting, into out (replaced):
 * the decoded ORCPT of r when it is an "rfc822;" one, else address.
 * r may be NULL.
 */
void	agent_orig_rcpt(const struct qfile_rcpt *r, const char *address,
	    struct str *out);

/*
 * Loop detection (pipe's flag D, virtual): does the message's header
 * section (at most HEADER_SECTION_MAX bytes of it) hold a field
 * "Delivered-To: addr", compared ignoring case and surrounding blanks?
 * A read error counts as "no": hopcount_limit still ends a loop.
 */
bool	agent_delivered_seen(const struct qfile *qf, const char *addr);

#endif
