/* SPDX-License-Identifier: ISC */
/*
 * submit.h: the submission protocol, how a message is handed to cleanup
 * (by smtpd, qmqpd, pickup and bounce) and to postdrop (by sendmail).
 *
 * The submitter writes records on the receiver's standard input, one per
 * line, "TAG SP VALUE LF" (VALUE: any bytes but NUL, CR and LF, a record
 * at most QFILE_RECORD_MAX bytes), in this order:
 *
 *	F flags		optional, first: words separated by commas
 *			(extract: take recipients from To/Cc/Bcc, as -t;
 *			verify: sendmail -bv; early-id: see below)
 *	S sender	exactly one; empty for the null sender
 *	A name=value	attributes, any number (interleaved with R)
 *	R notify orcpt address
 *			recipients, any number: notify and orcpt as in
 *			queue(5) ("-" for none); the address is the rest
 *	D length LF	content: followed by exactly length bytes (at most
 *			SUBMIT_CHUNK_MAX), any number of them; the content is
 *			the message with lines ending in LF
 *	E		the end (a bare "E" line)
 *
 * The receiver answers with one line on its standard output once the
 * message is durable, or as soon as it must refuse it:
 *
 *	OK queue-id
 *	TEMP code text		e.g. "TEMP 4.3.0 queue file write error"
 *	PERM code text		e.g. "PERM 5.3.4 message too big"
 *
 * A submitter that does not get "OK" must consider the message not
 * accepted; a receiver that dies without answering has accepted nothing.
 *
 * With the flag early-id (cleanup only; smtpd and qmqpd ask, for the
 * queue ID in their Received field), the receiver also answers early:
 * once it has read S and begun the queue file, it writes and flushes
 *
 *	ID queue-id		the ID that the final "OK" will name
 *
 * or, when the message is refused already (a bad sender, a broken F
 * record, a table error), its final TEMP or PERM answer instead: the
 * exchange is then over, the submitter sends nothing more and closes
 * its end (what it still sends is read and dropped).  The submitter
 * sends at least S before it waits for that line; it reads it after the
 * envelope and before the first D record (submit_get_early_id).
 * Without the flag nothing is answered early.
 *
 * The reader below checks the order and every length, so a hostile or
 * broken peer gets an error, never a half message (early-id changes
 * nothing there: F is still first, and S must follow it).
 */
#ifndef POSTLET_SUBMIT_H
#define POSTLET_SUBMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "proc.h"
#include "dsn.h"
#include "str.h"

/* The largest D record's data. */
#define SUBMIT_CHUNK_MAX	(64 * 1024)

/* Writing.  Errors are the buf's (sticky, reported by buf_flush), except
 * for a value that cannot be a record: -1 with EINVAL, nothing written. */
int	submit_put(struct buf *, char tag, const char *value);
/* "R notify orcpt address" (notify, orcpt: "-" when NULL or empty). */
int	submit_put_rcpt(struct buf *, const char *notify, const char *orcpt,
	    const char *address);
/* Content, split into D records of at most SUBMIT_CHUNK_MAX bytes. */
void	submit_put_content(struct buf *, const void *, size_t);
/* The E record; the caller then flushes and reads the reply. */
void	submit_put_end(struct buf *);

/* Reading, with the order checked. */
enum submit_phase {
	SUBMIT_START,		/* nothing read yet: F or S may come */
	SUBMIT_FLAGS_SEEN,	/* F read: S must come */
	SUBMIT_ENVELOPE,	/* S read: A, R, D or E */
	SUBMIT_CONTENT,		/* D read: D or E */
	SUBMIT_DONE,		/* E read */
};
struct submit_reader {
	enum submit_phase	phase;
	unsigned long long	content_bytes;	/* D bytes so far */
};
#define SUBMIT_READER_INIT	{ SUBMIT_START, 0 }

struct submit_record {
	char		tag;		/* 'F', 'S', 'A', 'R', 'D' or 'E' */
	struct str	value;		/* the value; for D, the data */
};
#define SUBMIT_RECORD_INIT	{ 0, STR_INIT }

/*
 * The next record into rec.  Returns 1, 0 at end of input (which is an
 * error unless the phase is SUBMIT_DONE), or -1: errno EBADMSG with the
 * reason in why (a bad, misplaced or too long record), or the I/O error
 * (ETIMEDOUT...).
 */
int	submit_get(struct buf *, struct submit_reader *,
	    struct submit_record *rec, struct str *why);
void	submit_record_free(struct submit_record *);

/* "R" values: split into notify, orcpt and address ("-" becomes "").
 * Returns 0, or -1 (EBADMSG) when the value has not three fields. */
int	submit_split_rcpt(const char *value, struct str *notify,
	    struct str *orcpt, struct str *address);

/* Replies. */
int	submit_put_reply(struct buf *, enum dsn_status, const char *code,
	    const char *text);
/*
 * Read a reply: the status, the queue ID (OK) or "code text" (TEMP,
 * PERM) into text.  Returns 0, or -1: a reply that is missing or not well
 * formed is reported as DSN_TEMP with a 4.3.0 text, so that a submitter
 * never takes a broken answer for an acceptance.
 */
int	submit_get_reply(struct buf *, enum dsn_status *, struct str *text);

/* The early answer "ID queue-id", flushed: 0, or -1 (buf_flush's). */
int	submit_put_early_id(struct buf *, const char *id);
/*
 * Read the early answer (F early-id).  Returns 1 with status DSN_OK and
 * the queue ID (qid_valid) in text; 0 when it is the final answer
 * instead: status DSN_TEMP or DSN_PERM and "code text" in text, as
 * submit_get_reply; or -1 when it is missing, late (the buf's timeout)
 * or not well formed: DSN_TEMP with a 4.3.0 text, and the submitter
 * must take the message as refused.
 */
int	submit_get_early_id(struct buf *, enum dsn_status *,
	    struct str *text);

/* How a submitter starts cleanup (submit_start_cleanup). */
struct submit_cleanup {
	const char	*daemon_dir;	/* where cleanup is */
	const char	*config_dir;	/* its -c */
	/* cleanup's standard error: PROC_IO_INHERIT or PROC_IO_NULL */
	int		 stderr_io;
	/* run it as uid and gid (the caller is root) */
	bool		 setid;
	uid_t		 uid;
	gid_t		 gid;
	/* when not NULL: connect to this socket, master's cleanup
	 * service, instead */
	const char	*socket_path;
	/* and when nobody listens there (no such socket, connection
	 * refused, path too long: no master runs), start cleanup after all
	 * (a chrooted submitter cannot) */
	bool		 spawn_if_absent;
};

/*
 * Start "$daemon_dir/cleanup -c config_dir [-v]" (-v when log_verbose),
 * with TZ (when we have it) its only environment variable and pipes on
 * its standard input (p->fd[0]) and output (p->fd[1]), both made
 * non-blocking so that buf deadlines hold.  With socket_path,
 * connect to that unix socket instead, where master hands the
 * connection to a cleanup: p->pid is then -1 and p->fd[0] and p->fd[1]
 * are the same socket (two descriptors).  A connection that waits for room in the
 * listen queue (master at cleanup's process limit) waits at most
 * SUBMIT_CONNECT_S seconds.  Returns 0 with p filled in (the caller
 * closes it and collects the child), or -1 with "STEP PATH: error" in
 * why.
 */
#define SUBMIT_CONNECT_S	30
int	submit_start_cleanup(const struct submit_cleanup *, struct proc *p,
	    struct str *why);
/*
 * The end of cleanup started by submit_start_cleanup: close our ends,
 * give it SUBMIT_CLEANUP_EXIT_MS to exit, then SIGKILL it.  Returns its
 * wait status (0 for a socket: master collects that cleanup).
 */
#define SUBMIT_CLEANUP_EXIT_MS	5000
int	submit_end_cleanup(struct proc *p);

#endif
