/* SPDX-License-Identifier: ISC */
/*
 * durable.h: the one way postlet makes a file survive a crash.
 *
 * A durable file is created under a tmp/ directory with O_CREAT|O_EXCL|
 * O_NOFOLLOW (so it is new, ours, and not a link someone planted), written
 * by the caller through the descriptor, then committed: fsync(2) of the
 * file, a checked close(2), placement into the target directory (rename(2)
 * to replace, or link(2) + unlink(2) for a name that must not replace an
 * existing one) and fsync(2) of the target directory, which makes the new
 * name itself durable.  Only after durable_commit() returned 0 may anything
 * be acknowledged.  A new queue file may instead be made without any name
 * (durable_create_unnamed, O_TMPFILE): its first name is its final one.
 *
 * Every function returns 0 or -1 with errno and never leaves behind what
 * it created: after a failure the caller calls durable_abort(), which
 * closes and unlinks the tmp file (durable_abort is also harmless after a
 * success, so one "out:" label may always call it).  Nothing here is fatal
 * except running out of memory (see alloc.h).
 */
#ifndef POSTLET_DURABLE_H
#define POSTLET_DURABLE_H

#include <sys/types.h>

#include <stdbool.h>
#include <time.h>

#include "str.h"

/* durable_commit() and durable_move(): how the name is placed. */
/* rename(2): replaces what is there */
#define DURABLE_REPLACE		0
/* link(2): EEXIST if it exists */
#define DURABLE_NOREPLACE	1
/* with DURABLE_REPLACE, for durable_move only: no fsync of the two
 * directories; the caller fsyncs both (target first) before it relies on
 * the move, once for a batch of moves */
#define DURABLE_NOSYNC		2

struct durable {
	/* the tmp file (O_RDWR), or -1 */
	int		 fd;
	/* its path; empty: nothing to clean */
	struct str	 tmp_path;
	/* made by durable_create_unnamed with O_TMPFILE: no name yet, the
	 * descriptor is the file (a crash frees it) */
	bool		 unnamed;
	/* the file's inode number, from its creation (queue IDs) */
	ino_t		 ino;
};
#define DURABLE_INIT	{ -1, STR_INIT, false, 0 }

/*
 * Create a new empty file in tmpdir, open for reading and writing, with
 * exactly the permission bits mode (set with fchmod(2) when the umask cut
 * some), and note its inode number in d->ino.  Its name is made unique
 * from the time, the process id and a counter; EEXIST is retried with the
 * next name.  d must be DURABLE_INIT or aborted.  The caller writes
 * through d->fd (directly or through a buf) and must not close it.
 * Returns 0, or -1 with errno (nothing is left behind; durable_abort is
 * still harmless).
 */
int	durable_create(struct durable *d, const char *tmpdir, mode_t mode);

/*
 * The same, for a file created next to its final name rather than in a
 * queue's tmp/ (main.cf, a .cdb table): the temporary name starts with
 * "PREFIX.tmp." so that a file left by a crash says what it was (only
 * the first 100 bytes of a longer prefix are used).  prefix must be a
 * plain file name.
 */
int	durable_create_named(struct durable *d, const char *dir,
	    const char *prefix, mode_t mode);

/*
 * The same as durable_create, for a file that durable_commit will place
 * with DURABLE_NOREPLACE (a new queue file): where the system has
 * O_TMPFILE (Linux) and /proc/self/fd, the file is made in tmpdir's file
 * system without any name, and durable_commit gives it its first one
 * with linkat(2).  That saves tmp/ a name to add and one to remove per
 * file, and a crash before the commit leaves nothing behind.  Elsewhere
 * (no O_TMPFILE, a file system without it, a chroot without /proc) it
 * is durable_create.  d->tmp_path stays empty for an unnamed file.
 */
int	durable_create_unnamed(struct durable *d, const char *tmpdir,
	    mode_t mode);

/*
 * The two steps of an unnamed file, for callers that work with directory
 * descriptors (Maildir delivery).  durable_open_unnamed opens a new file
 * without a name in dirfd/dir (O_TMPFILE, O_RDWR, mode less the umask);
 * it returns the descriptor, or -1 with errno, EOPNOTSUPP when this
 * system, its file system or a missing /proc cannot (make a named file
 * then).  durable_link_unnamed gives it its first name, dirfd/name, with
 * linkat(2) of the descriptor itself (AT_EMPTY_PATH) where the kernel
 * allows it, else through /proc/self/fd (EEXIST when the name is taken),
 * and returns 0 or -1 with errno.  The file must be fsync'ed before it.
 */
int	durable_open_unnamed(int dirfd, const char *dir, mode_t mode);
int	durable_link_unnamed(int fd, int dirfd, const char *name);

/*
 * Commit the file: fsync and close it (the first time), then place it as
 * dir/name and fsync dir.  flags is DURABLE_REPLACE or DURABLE_NOREPLACE.
 * name must be a plain file name (no '/', not "", "." or "..").
 *
 * Returns 0 when the file is durable under its new name; d is then empty.
 * Returns -1 with errno otherwise:
 * - fsync or close of the file failed: its data cannot be trusted, so
 *   the tmp file is removed at once;
 * - placing it failed (EEXIST from DURABLE_NOREPLACE, EINVAL for a bad
 *   name, or the directory fsync after link(2), whose new name is then
 *   removed again): the closed tmp file is kept for another
 *   durable_commit (e.g. with a new name) or for durable_abort();
 * - the directory fsync failed after rename(2): the old file is gone, so
 *   dir/name holds the new one, but it may not survive a crash; the
 *   caller must treat the commit as failed.
 * For an unnamed file (durable_create_unnamed) the order is fsync of the
 * file, linkat(2), fsync of dir, close.  A failed link (EEXIST) keeps the
 * open file for another commit; after a failed fsync of the directory
 * its name is removed and the file dropped, since Linux cannot give a
 * name again to a file that had one.  DURABLE_REPLACE is a caller bug
 * (panic).
 * Committing after a success or after durable_abort is a caller bug
 * (panic).
 */
int	durable_commit(struct durable *d, const char *dir, const char *name,
	    int flags);

/*
 * Close the descriptor if open and unlink the tmp file if it still
 * exists, then free d's memory.  Keeps errno.  Harmless on DURABLE_INIT,
 * after a success, or twice.
 */
void	durable_abort(struct durable *d);

/*
 * Move name from fromdir to todir (same filesystem) and fsync both
 * directories, the target first: after a crash the file is in one of the
 * two (with DURABLE_NOREPLACE possibly, briefly, in both: link, fsync,
 * unlink, fsync), never in none.  DURABLE_REPLACE uses rename(2);
 * DURABLE_NOREPLACE fails with EEXIST when todir/name exists;
 * DURABLE_REPLACE | DURABLE_NOSYNC only renames.  Returns 0 or -1 with
 * errno (ENOENT: no such file; EINVAL: bad name).
 */
int	durable_move(const char *fromdir, const char *todir,
	    const char *name, int flags);

/*
 * The same, giving the file a new name in todir: fromdir/fromname becomes
 * todir/toname.
 */
int	durable_move_as(const char *fromdir, const char *fromname,
	    const char *todir, const char *toname, int flags);

/* fsync(2) the directory path.  Returns 0 or -1 with errno. */
int	durable_fsync_dir(const char *path);

/*
 * From now on, durable_fsync_dir keeps the directories it syncs open (up
 * to DURABLE_KEPT_DIRS of them, by path), so that a daemon that syncs
 * the same queue directories for every message (cleanup, qmgr) makes one
 * fsync, not an open, an fsync and a close.  Like a daemon's working
 * directory, a kept descriptor stays with the directory it opened; a
 * failed fsync closes it.  Call it after any chroot(2), never before.
 */
#define DURABLE_KEPT_DIRS	4
void	durable_keep_dirs(void);

/*
 * Remove stale files from tmpdir: every entry that is not a directory and
 * was last modified more than max_age seconds before now (symbolic links
 * are removed, never followed).  Writers touch their file as they write,
 * so max_age must exceed the longest pause of a writer (hours, not
 * seconds).  Returns the number of files removed, or -1 with errno when
 * tmpdir cannot be read (a file that cannot be removed is logged and
 * skipped).
 */
int	durable_clean_tmp(const char *tmpdir, time_t max_age, time_t now);

/*
 * Tests: fn is called before each system call that durable makes, with
 * its name ("open", "tmpfile" (the open of an unnamed file), "fchmod",
 * "fsync", "close", "link" (link or linkat), "rename", "unlink",
 * "fsync_dir"); when it returns -1 (with errno set) that call
 * fails with that errno instead of being made.  NULL (the default)
 * injects nothing.
 */
typedef int	(*durable_fault_fn)(const char *op);
void	durable_set_fault(durable_fault_fn fn);

#endif
