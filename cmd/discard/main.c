/* SPDX-License-Identifier: ISC */
/*
 * main.c: discard, the discard delivery agent: it reports every
 * recipient of a job delivered and drops the message (docs/discard.8).
 * The options, configuration and job loop are agent_main's (exit 0 at the
 * end of input, EX_USAGE or EX_CONFIG for a bad command line or
 * configuration, EX_PROTOCOL for a malformed job, EX_IOERR when a result
 * cannot be written; qmgr defers every recipient that was not reported).
 */
#include "agent_main.h"
#include "discard.h"

int
main(int argc, char *argv[])
{
	return agent_main(argc, argv, "discard", discard_job, NULL);
}
