/* SPDX-License-Identifier: ISC */
/*
 * error_agent.c: what Postfix's error(8) does for the "error" transport:
 * every recipient of a job fails, with the reason the job's next hop
 * carries (transport_maps "error:5.1.1 user unknown").  A reason with a
 * 4.x.x code defers instead, so an administrator can hold mail for a
 * destination without returning it.  The queue file is not read: the
 * job says all that is needed.
 */
#include <string.h>

#include "agent.h"
#include "error.h"
#include "log.h"

enum dsn_status
error_reason(const char *nexthop, char code[16], struct str *text)
{
	const char	*sp = strchr(nexthop, ' ');
	size_t		 n = sp != NULL ? (size_t)(sp - nexthop) :
			    strlen(nexthop);
	enum dsn_status	 status;

	if (n > 0 && n < 16) {
		memcpy(code, nexthop, n);
		code[n] = '\0';
		for (status = DSN_TEMP; status <= DSN_PERM; status++) {
			if (dsn_code_valid(code, status)) {
				str_set(text, sp != NULL ? sp + 1 : "");
				if (text->len == 0) {
					str_set(text, "delivery error");
				}
				return status;
			}
		}
	}
	memcpy(code, "5.0.0", 6);
	str_set(text, nexthop[0] != '\0' ? nexthop : "delivery error");
	return DSN_PERM;
}

void
error_job(const struct agent_job *job, struct buf *out, void *ctx)
{
	struct str	 text = STR_INIT;
	enum dsn_status	 status;
	char		 code[16];
	size_t		 i;

	(void)ctx;
	status = error_reason(str_c(&job->nexthop), code, &text);
	for (i = 0; i < job->nrcpt; i++) {
		log_debug("%s: to=<%s>: %s %s", str_c(&job->queue_id),
		    job->rcpts[i].address, code, text.s);
		agent_put_result(out, job->rcpts[i].index, status, code,
		    text.s);
	}
	str_free(&text);
}
