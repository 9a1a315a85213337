/* SPDX-License-Identifier: ISC */
/*
 * smtpd_access.h: access table lookups and their actions, for the
 * check_*_access restrictions of smtpd_policy.c (smtpd_access.c).
 */
#ifndef SMTPD_ACCESS_H
#define SMTPD_ACCESS_H

#include "map.h"
#include "str.h"

enum access_verdict {
	ACCESS_DUNNO,		/* no decision */
	ACCESS_PERMIT,		/* OK */
	ACCESS_REJECT,		/* the reply is in reply */
	ACCESS_RESTRICTIONS,	/* the value is a list of restrictions */
};

/* Search m for a client (name may be "unknown"), a HELO name, or an
 * address (internal form; "" is the null sender).  Same results and
 * conventions as map_lookup. */
enum map_result	smtpd_access_client(struct map *m, const char *name,
		    const char *addr, struct str *value, struct str *err);
enum map_result	smtpd_access_helo(struct map *m, const char *helo,
		    struct str *value, struct str *err);
enum map_result	smtpd_access_addr(struct map *m, const char *addr,
		    struct str *value, struct str *err);

/*
 * What the value found in table means, for subject ("unknown[192.0.2.1]",
 * a HELO name or an address) in the words of what ("Client host",
 * "Helo command", "Sender address", "Recipient address").  For
 * ACCESS_REJECT the whole reply is appended to reply, e.g. "554 5.7.1
 * <a@example.com>: Sender address rejected: Access denied".
 */
enum access_verdict smtpd_access_action(const char *value,
		    const char *table, const char *subject, const char *what,
		    struct str *reply);

/* Append "CODE STATUS <subject>: what rejected: text" to reply; text may
 * begin with its own status code, and empty text is "Access denied". */
void		smtpd_access_reply(struct str *reply, int code,
		    const char *status, const char *subject,
		    const char *what, const char *text);

#endif
