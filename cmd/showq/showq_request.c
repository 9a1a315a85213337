/* SPDX-License-Identifier: ISC */
/*
 * showq_request.c: one showq request.  The client (postdrop -q, run by
 * any local user) sends one line, "list" for mailq's listing or "json"
 * for postqueue -j's JSON lines, and reads the answer until showq closes
 * the connection.  The request is hostile input: bounded in length
 * (SHOWQ_REQUEST_MAX) and in time (SHOWQ_TIMEOUT_MS); anything else is
 * logged and answered with nothing.  Writes are bounded in time too
 * (SO_SNDTIMEO on the socket), so a client that stops reading cannot
 * keep a showq process, one of the service's maxproc, for long.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "log.h"
#include "qlist.h"
#include "str.h"
#include "showq.h"

int
showq_serve(const char *queue_dir, int in, int out)
{
	struct buf	 b;
	struct str	 line = STR_INIT;
	struct timeval	 tv;
	char		 mem[SHOWQ_REQUEST_MAX * 2];
	char		 text[SHOWQ_REQUEST_MAX * 2];
	bool		 json;
	int		 r, rc;

	buf_init_fd(&b, in, mem, sizeof(mem), SHOWQ_TIMEOUT_MS);
	r = buf_getline(&b, &line, SHOWQ_REQUEST_MAX);
	if (r != 1) {
		if (r == 0) {
			log_warnx("no request from the client");
		} else if (errno == ETIMEDOUT) {
			log_warnx("timeout after %d seconds reading the "
			    "request", SHOWQ_TIMEOUT_MS / 1000);
		} else if (errno == EMSGSIZE) {
			log_warnx("request longer than %d bytes",
			    SHOWQ_REQUEST_MAX);
		} else {
			log_warn("read the request");
		}
		str_free(&line);
		return EX_PROTOCOL;
	}
	/* "list\n", or "list\r\n" from a person with a socket tool */
	while (line.len > 0 && (line.s[line.len - 1] == '\n' ||
	    line.s[line.len - 1] == '\r')) {
		str_truncate(&line, line.len - 1);
	}
	if (str_eq(&line, "list")) {
		json = false;
	} else if (str_eq(&line, "json")) {
		json = true;
	} else {
		log_escape(text, sizeof(text), line.s, line.len);
		log_warnx("unknown request \"%s\"", text);
		str_free(&line);
		return EX_PROTOCOL;
	}
	str_free(&line);
	tv.tv_sec = SHOWQ_TIMEOUT_MS / 1000;
	tv.tv_usec = 0;
	/* not a socket (a test's pipe): writes are unbounded, as anywhere */
	(void)setsockopt(out, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	rc = qlist_print(queue_dir, json, out);
	return (rc & QLIST_WRITE) != 0 ? EX_IOERR :
	    (rc & QLIST_UNREADABLE) != 0 ? EX_NOPERM : 0;
}
