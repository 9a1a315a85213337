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

#endif
