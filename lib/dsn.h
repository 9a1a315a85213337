/* SPDX-License-Identifier: ISC */
/*
 * dsn.h: the three outcomes of any mail operation, everywhere in postlet.
 *
 * DSN_OK: done.  DSN_TEMP: not now, try again later (the safe answer
 * when unsure: a deferral can be fixed, a bounce cannot).  DSN_PERM:
 * never; the message or recipient is returned to its sender.  Each comes
 * with an RFC 3463 enhanced status code ("2.0.0", "4.3.0", "5.1.1").
 */
#ifndef POSTLET_DSN_H
#define POSTLET_DSN_H

#include <stdbool.h>

enum dsn_status {
	DSN_OK,
	DSN_TEMP,
	DSN_PERM,
};

/*
 * True when code is an RFC 3463 status code "C.S.D" whose class digit
 * matches status (2, 4 or 5), with subject 0-7 and a detail of 1 to 3
 * digits.
 */
bool	dsn_code_valid(const char *code, enum dsn_status status);

#endif
