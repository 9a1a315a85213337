/* SPDX-License-Identifier: ISC */
/*
 * postdrop.h: private interface of postdrop, the setgid program that
 * writes a local submission into the maildrop directory.
 *
 * main.c decides which configuration to trust and sets up the process;
 * postdrop_queue.c reads one message in the submission protocol
 * (lib/submit.h) and makes it a maildrop file (lib/qfile.h), all or
 * nothing.
 */
#ifndef POSTLET_POSTDROP_H
#define POSTLET_POSTDROP_H

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

#endif
