/* SPDX-License-Identifier: ISC */
/*
 * local.h: the local delivery agent's private interface.
 *
 * local reads jobs in the delivery agent protocol (lib/agent.h) and
 * delivers each recipient to the mailbox of a local user: an mbox file
 * or a Maildir, in mail_spool_directory or under home_mailbox.  Every
 * delivery runs in a child process that, when local runs as root, first
 * becomes the recipient (priv_drop_ids).  Each recipient gets exactly
 * one result; any failure that is not certainly permanent is a deferral.
 */
#ifndef LOCAL_H
#define LOCAL_H

#include <sys/types.h>

#include <stdbool.h>

#include "buf.h"
#include "dsn.h"
#include "qfile.h"
#include "str.h"

/* The configuration local works with (strings borrowed from conf). */
struct local {
	const char		*queue_directory;
	const char		*home_mailbox;
	const char		*mail_spool_directory;
	const char		*recipient_delimiter;
	unsigned long long	 mailbox_size_limit;
	long long		 stale_lock_time;	/* seconds */
	int			 lock_attempts;
	int			 lock_delay_ms;
	/* started as root: deliveries switch to the recipient */
	bool			 root;
};

/* One delivery's outcome. */
struct local_status {
	enum dsn_status	 status;
	char		 code[16];
	struct str	 text;
};
#define LOCAL_STATUS_INIT	{ DSN_TEMP, "4.3.0", STR_INIT }

/* A recipient being delivered: who and where. */
struct local_rcpt {
	/* the address as in the job (borrowed) */
	const char	*address;
	/* lowercased: written as Delivered-To */
	struct str	 delivered;
	/* the user whose mailbox it is */
	struct str	 user;
	uid_t		 uid;
	gid_t		 gid;
	struct str	 home;
};
#define LOCAL_RCPT_INIT	{ NULL, STR_INIT, STR_INIT, 0, 0, STR_INIT }

/*
 * Set st to status, code and the printf-formatted text (replacing what
 * was there).
 */
void	local_status_set(struct local_status *st, enum dsn_status status,
	    const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	local_status_free(struct local_status *);

/*
 * Serve jobs from in until its end, answering on out (local_deliver.c).
 * Returns the exit status: 0 at the end of input, EX_DATAERR for a
 * malformed job, EX_IOERR when the answers cannot be written.
 */
int	local_run(const struct local *, struct buf *in, struct buf *out);

/*
 * Deliver the message of qf to the mailbox of rcpt (local_mailbox.c):
 * chooses the mailbox, prepares what needs root, runs the delivery in a
 * child process as the recipient and waits for it.  head holds the
 * Return-Path and Delivered-To lines.  Fills in st; never fails
 * otherwise.
 */
void	local_mailbox(const struct local *, const struct qfile *qf,
	    const struct local_rcpt *rcpt, const struct str *head,
	    struct local_status *st);

#endif
