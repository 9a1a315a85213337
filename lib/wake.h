/* SPDX-License-Identifier: ISC */
/*
 * wake.h: wake-ups between daemons (DESIGN §4): one byte written without
 * blocking to the FIFO queue_directory/public/NAME (qmgr, pickup).
 *
 * A wake-up only makes things happen sooner: qmgr and pickup also rescan
 * on a timer, so a FIFO that is missing, has no reader or is full is not
 * an error.
 */
#ifndef POSTLET_WAKE_H
#define POSTLET_WAKE_H

/*
 * Wake the daemon that reads queue_dir/public/name.  Returns 1 when a
 * byte was written, 0 when nobody could be woken (no FIFO, no reader,
 * FIFO full: all harmless), -1 with errno for anything else (a regular
 * file in the FIFO's place, a permission error), which callers log.
 */
int	wake_up(const char *queue_dir, const char *name);

/*
 * Request bytes, Postfix's: a plain wake-up (what wake_up sends: scan
 * for new work); "scan all", which `postlet flush` sends qmgr so that
 * it looks at deferred/ now as well; and "flush", which `postdrop -f`
 * (postlet flush as a user who may not touch the queue) sends: every
 * message in deferred/ is due now, as postqueue -f makes it.  A reader
 * that does not know a byte takes it as a plain wake-up.
 */
#define WAKE_REQ_WAKEUP		'W'
#define WAKE_REQ_SCAN_ALL	'A'
#define WAKE_REQ_FLUSH		'F'

/* As wake_up, but the byte written is request. */
int	wake_up_with(const char *queue_dir, const char *name, char request);

/*
 * As wake_up_with, for a caller that must know whether a daemon listens
 * (postdrop -f): returns 1 when the byte was written, 0 when the FIFO is
 * full (its reader has wake-ups pending, so it will look anyway), -1
 * with errno ENOENT (no FIFO) or ENXIO (nobody reads it: the daemon does
 * not run), or any other errno.
 */
int	wake_request(const char *queue_dir, const char *name, char request);

/*
 * A FIFO kept open by a process that wakes the same daemon for every
 * message (cleanup wakes qmgr), so that a wake-up is one write(2), not
 * an open, a check, a write and a close.  wake_up_kept opens it on first
 * use and answers as wake_up.  When the reader of the kept descriptor
 * is gone (EPIPE), it is closed and the FIFO opened again at once, so
 * a restarted daemon, or a FIFO made anew, gets the wake-up.  wake_close
 * closes it (harmless when it is not open).
 */
struct wake_fifo {
	int	fd;
};
#define WAKE_FIFO_INIT	{ -1 }

int	wake_up_kept(struct wake_fifo *, const char *queue_dir,
	    const char *name);
void	wake_close(struct wake_fifo *);

#endif
