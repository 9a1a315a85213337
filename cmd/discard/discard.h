/* SPDX-License-Identifier: ISC */
/*
 * discard.h: the discard delivery agent's private interface
 * (docs/discard.8).
 */
#ifndef POSTLET_DISCARD_H
#define POSTLET_DISCARD_H

/*
 * Answer the jobs read from descriptor in on descriptor out until the
 * end of input.  Returns the exit status: 0, EX_PROTOCOL (a malformed
 * job) or EX_IOERR.
 */
int	discard_run(int in, int out);

#endif
