/* SPDX-License-Identifier: ISC */
/*
 * main.c: error, the error delivery agent: it fails every recipient of a
 * job with the reason in the job's next hop (docs/error.8).  The options,
 * configuration and job loop are agent_main's (exit 0 at the end of input,
 * EX_USAGE or EX_CONFIG for a bad command line or configuration,
 * EX_PROTOCOL for a malformed job, EX_IOERR when a result cannot be
 * written; qmgr defers every recipient that was not reported).
 */
#include "agent_main.h"
#include "error.h"

int
main(int argc, char *argv[])
{
	return agent_main(argc, argv, "error", error_job, NULL);
}
