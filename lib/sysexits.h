/* SPDX-License-Identifier: ISC */
/*
 * sysexits.h: what a command's exit status means for a delivery, the
 * one table local(8) "|command" and mailbox_command (and pipe(8), when
 * it comes) judge commands by, with Postfix's meanings.
 *
 * Exit 0 delivers.  A non-zero status whose output starts with an RFC
 * 3463 enhanced status code ("4.x.y" or "5.x.y" followed by a blank or
 * the end) takes that code and its class.  Otherwise the <sysexits.h>
 * value decides: EX_TEMPFAIL and EX_OSERR defer (4.3.0), every other
 * known code and every unknown code bounces, each with its own status
 * code and text ("5.1.1 user unknown" for EX_NOUSER).  A command killed
 * by a signal defers; one that ran out of time bounces (5.3.0), as in
 * Postfix.  Pure functions, no allocation.
 */
#ifndef POSTLET_SYSEXITS_H
#define POSTLET_SYSEXITS_H

#include <stddef.h>

#include "dsn.h"

/* How a command ended. */
struct sysexits_result {
	enum dsn_status	 status;
	/* "4.3.0": a code from the table, or copied from the output */
	char		 code[16];
	/* words for the exit status, e.g. "temporary failure"; static */
	const char	*text;
};

/*
 * Judge exit status code (0 to 255) of a command that printed output
 * (len bytes, may be NULL).  Fills in r.
 */
void	sysexits_judge(int code, const char *output, size_t len,
	    struct sysexits_result *r);

/*
 * The leading enhanced status code of text (len bytes), as "4.3.0" into
 * code (size at least 16): returns its length (the code's, without the
 * blank after it), or 0 when text does not start with one.
 */
size_t	sysexits_dsn_prefix(const char *text, size_t len, char *code,
	    size_t size);

#endif
