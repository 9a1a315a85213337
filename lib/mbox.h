/* SPDX-License-Identifier: ISC */
/*
 * mbox.h: Unix mailbox files ("mbox"), as local(8) and virtual(8) append
 * to them.
 *
 * A message in an mbox starts with a From_ line, "From SENDER  DATE"
 * (two spaces, as Postfix writes it; DATE in asctime(3) form, local
 * time; MAILER-DAEMON for the null sender), and ends with an empty line.
 * A content line that starts with "From " is written as ">From " so that
 * readers do not take it for the start of the next message; other lines
 * (">From " included) are written unchanged, as Postfix does (the "mboxo"
 * variant).  A message without a final newline gets one.
 *
 * Locking, as Postfix's mailbox_delivery_lock = fcntl, dotlock: a dot
 * lock (NAME.lock, created with O_EXCL next to the mailbox; one older
 * than stale_lock_time is removed), then an fcntl(2) write lock on the
 * mailbox itself, each tried a number of times with a pause.
 *
 * mbox_append never leaves a half-written message: after any failure the
 * mailbox is truncated back to the size it had (the caller holds the
 * lock, so nobody else appended meanwhile).  Functions return 0 or -1
 * with errno; allocation failure is fatal.
 */
#ifndef POSTLET_MBOX_H
#define POSTLET_MBOX_H

#include <sys/types.h>

#include <stddef.h>
#include <time.h>

#include "str.h"

/* The suffix of a dot lock file. */
#define MBOX_LOCK_SUFFIX	".lock"

/*
 * Append the From_ line for sender (internal form; "" is the null
 * sender) and time when to out: "From SENDER  Www Mmm dd hh:mm:ss yyyy\n".
 * The sender's local part is quoted when needed (addr_quote).
 */
void	mbox_from_line(struct str *out, const char *sender, time_t when);

/*
 * ">From " quoting as a stream: feed the content in pieces of any size
 * with mbox_quote_put, then call mbox_quote_finish once, which adds the
 * missing final newline, if any, and the empty line that ends the
 * message.  The quoted text is appended to out.
 */
struct mbox_quote {
	/* -1 inside a line; else bytes of "From " matched at its start */
	int	state;
};
#define MBOX_QUOTE_INIT	{ 0 }
void	mbox_quote_put(struct mbox_quote *, const char *p, size_t n,
	    struct str *out);
void	mbox_quote_finish(struct mbox_quote *, struct str *out);

/*
 * Create the dot lock NAME.lock in dirfd (O_CREAT|O_EXCL|O_NOFOLLOW, mode
 * 0600).  When it exists: one last modified more than stale_time seconds
 * ago is removed (and logged) and the creation retried at once; otherwise
 * wait delay_ms and try again, attempts times in all.  Returns 0 (the
 * caller must mbox_dotunlock), or -1 with errno: EAGAIN when the lock
 * stayed taken, ENAMETOOLONG, or the error of openat(2) (EACCES when the
 * directory is not writable: callers may then go on with the fcntl lock
 * alone, as Postfix does).
 */
int	mbox_dotlock(int dirfd, const char *name, time_t stale_time,
	    int attempts, int delay_ms);
/* Remove NAME.lock from dirfd: 0 or -1 with errno. */
int	mbox_dotunlock(int dirfd, const char *name);

/*
 * Take an exclusive fcntl(2) lock on the whole file open on fd (for
 * writing), with F_SETLK tried attempts times, delay_ms apart.  Returns
 * 0, or -1 with errno (EAGAIN when it stayed locked by another process).
 * The lock goes away with the descriptor or with mbox_unlock.
 */
int	mbox_lock(int fd, int attempts, int delay_ms);
int	mbox_unlock(int fd);

/*
 * Append one message to the mailbox open (O_WRONLY|O_APPEND) and locked
 * on fd: head (headlen bytes: the From_ line and any header lines the
 * caller adds, written as they are), then len bytes of content read with
 * pread(2) from src at offset off, quoted, then the end of the message;
 * then fsync(2).  Returns 0, or -1 with errno, after truncating the
 * mailbox back to its size before the call (EIO when src ended early).
 */
int	mbox_append(int fd, const char *head, size_t headlen, int src,
	    off_t off, off_t len);

#endif
