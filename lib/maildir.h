/* SPDX-License-Identifier: ISC */
/*
 * maildir.h: delivery into a Maildir (tmp/, new/, cur/), as local(8) and
 * virtual(8) do it.
 *
 * A message is written to tmp/ under a name no other delivery can use,
 * made durable (fsync), given its final name in new/ with link(2), which
 * never replaces anything, and new/ is fsync'ed before the delivery
 * counts; the tmp/ name is removed last.  A reader therefore sees a
 * message in new/ only complete, and after a crash a message is in new/
 * (delivered) or only in tmp/ (not delivered; the agent did not say
 * "done", so it is delivered again, and the old tmp/ file is garbage that
 * mail readers clean after 36 hours).
 *
 * Names: tmp/SECONDS.MMICROSECONDSPPIDQCOUNTER.HOST, and in new/
 * SECONDS.VDEVIINODEMMICROSECONDS.HOST, the device and inode of the file
 * itself (unique while the file exists, as in Postfix and Dovecot), all
 * in decimal except V and I in hexadecimal.  In HOST, '/' and ':' are
 * written as \057 and \072, as the Maildir specification asks.
 *
 * Functions return 0 (or a descriptor) or -1 with errno; allocation
 * failure is fatal.
 */
#ifndef POSTLET_MAILDIR_H
#define POSTLET_MAILDIR_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "str.h"

/*
 * Open the Maildir at path below dirfd (relative, walked with
 * safeopen_dir: no symbolic links), creating it and its tmp/, new/ and
 * cur/ (mode 0700) when create is true.  The Maildir and its tmp/ and
 * new/ must be owned by owner unless it is SAFEOPEN_ANY_OWNER.  Returns a
 * descriptor of the Maildir directory, or -1 with errno and a reason
 * appended to why.
 */
int	maildir_open(int dirfd, const char *path, bool create, uid_t owner,
	    struct str *why);

/*
 * A name for a new file in tmp/ (see above), appended to out; the
 * counter makes names unique within this process.
 */
void	maildir_tmp_name(struct str *out);

/*
 * Deliver one message into the Maildir open on mdfd: head (headlen bytes,
 * e.g. Return-Path and Delivered-To lines) and then len bytes read with
 * pread(2) from src at offset off, written to tmp/ (mode 0600), fsync'ed,
 * linked into new/, new/ fsync'ed, the tmp/ name removed.  The new/ name
 * is appended to name (may be NULL).  Returns 0 when the message is in
 * new/ durably, or -1 with errno and a reason appended to why, with
 * nothing left behind in tmp/ or new/ (EIO when src ended early).
 */
int	maildir_deliver(int mdfd, const char *head, size_t headlen, int src,
	    off_t off, off_t len, struct str *name, struct str *why);

/*
 * The same in two steps, so that several deliveries share their commits
 * (local(8) with jobs ahead): maildir_write writes the message to tmp/
 * and adds it to the batch, uncommitted, or returns -1 with errno and a
 * reason appended to why, adding nothing and leaving nothing behind.
 * maildir_commit then does for every entry of the batch what
 * maildir_deliver does after the write: fsync of the file, its name in
 * new/, and one fsync for each new/ (of however many entries), in that
 * order, so a crash leaves each message in new/ complete or not at all.
 * It returns how many entries failed; each entry then says in error (an
 * errno, 0 when delivered), why and final (its name in new/) what
 * happened.  An entry that failed left nothing in new/.
 * maildir_abort instead fails every entry not committed yet with err and
 * why, leaving nothing of them anywhere (for a commit that cannot be
 * made, e.g. as its user); it returns how many entries failed, as
 * maildir_commit.
 * maildir_batch_clear empties a committed batch for the next, and
 * maildir_batch_free frees it; both panic on an entry not committed.
 */
struct maildir_entry {
	int		 fd;		/* the file, until it is committed */
	int		 tmpfd, newfd;	/* its Maildir's tmp/ and new/ */
	dev_t		 new_dev;	/* which new/: one fsync for each */
	ino_t		 new_ino;
	dev_t		 dev;		/* the file's, for its name in new/ */
	ino_t		 ino;
	struct str	 tmp;		/* its name in tmp/; empty: unnamed */
	struct str	 final;		/* its name in new/ */
	struct str	 why;		/* what failed */
	int		 error;		/* errno of the failure, or 0 */
	bool		 linked;	/* final exists */
	bool		 done;		/* committed (or failed) */
};

struct maildir_batch {
	struct maildir_entry	*e;
	size_t			 n, cap;
};
#define MAILDIR_BATCH_INIT	{ NULL, 0, 0 }

int	maildir_write(struct maildir_batch *, int mdfd, const char *head,
	    size_t headlen, int src, off_t off, off_t len, struct str *why);
size_t	maildir_commit(struct maildir_batch *);
size_t	maildir_abort(struct maildir_batch *, int err, const char *why);
void	maildir_batch_clear(struct maildir_batch *);
void	maildir_batch_free(struct maildir_batch *);

#endif
