/* SPDX-License-Identifier: ISC */
/*
 * postdrop.h: private interface of postdrop, the setgid program that
 * writes a local submission into the maildrop directory.
 *
 * main.c decides which configuration to trust and sets up the process;
 * postdrop_queue.c reads one message in the submission protocol
 * (lib/submit.h) and makes it a maildrop file (lib/qfile.h), all or
 * nothing; postdrop_query.c lists and flushes the queue for users who
 * may not read it (-q, -f).
 */
#ifndef POSTLET_POSTDROP_H
#define POSTLET_POSTDROP_H

#include <stdbool.h>
#include <sys/types.h>

struct postdrop {
	/* queue_directory; borrowed from the configuration */
	const char		*queue_dir;
	/* message_size_limit (0: none) */
	unsigned long long	 size_limit;
	/* the submitting user: real uid and its login name */
	uid_t			 uid;
	const char		*user;
};

/*
 * Read one submission on standard input and answer on standard output
 * (OK with the queue ID once the maildrop file is durable, TEMP or PERM
 * otherwise; the file is then removed).  Returns the exit status: 0
 * after OK, EX_TEMPFAIL for temporary trouble (a missing directory, a
 * full disk), EX_DATAERR for input that breaks the protocol or its
 * limits.
 */
int	postdrop_queue(const struct postdrop *);

/*
 * postdrop_query.c, for users who may not read the queue themselves.
 * postdrop -q [-j]: ask master's showq service (queue_dir/public/showq)
 * for the queue listing (JSON lines when json is true) and copy it to
 * standard output.  postdrop -f: the flush request to qmgr
 * (WAKE_REQ_FLUSH on public/qmgr), and a wake-up for pickup.  Both give
 * up the setgid group once connected (written), before reading anything.
 * Return 0; every failure is fatal: EX_UNAVAILABLE "mail system is down"
 * when master does not run, EX_TEMPFAIL for a timeout (60 seconds per
 * wait), EX_IOERR when standard output fails.
 */
int	postdrop_showq(const char *queue_dir, bool json);
int	postdrop_flush(const char *queue_dir);

#endif
