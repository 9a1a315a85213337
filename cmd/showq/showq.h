/* SPDX-License-Identifier: ISC */
/*
 * showq.h: private interface of showq, the queue listing service that
 * master runs for each connection to queue_directory/public/showq
 * (docs/showq.8).  main.c sets the process up; showq_request.c reads
 * the one request and answers it.
 */
#ifndef POSTLET_SHOWQ_H
#define POSTLET_SHOWQ_H

/* How long showq waits for the request line, and for each write. */
#define SHOWQ_TIMEOUT_MS	10000
/* The longest request line, "\n" included. */
#define SHOWQ_REQUEST_MAX	64

/*
 * Read one request line on descriptor in ("list" or "json"), write the
 * listing of queue_dir (lib/qlist.h) on descriptor out, and return the
 * exit status: 0; EX_PROTOCOL for a request that is missing, late,
 * too long or unknown (logged, nothing written); EX_IOERR when the
 * answer could not be written; EX_NOPERM when part of the queue could
 * not be read (logged, the rest listed).
 */
int	showq_serve(const char *queue_dir, int in, int out);

#endif
