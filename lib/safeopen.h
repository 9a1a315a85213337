/* SPDX-License-Identifier: ISC */
/*
 * safeopen.h: opening mailboxes and the directories that hold them
 * without following a symbolic link anyone planted there (STYLE §9).
 *
 * Paths below a trusted starting directory (a home directory from the
 * password database, mail_spool_directory from main.cf, which the caller
 * opens itself) are walked one component at a time with openat(2) and
 * O_NOFOLLOW, so no component can be a symbolic link; the file at the end
 * is then checked on its descriptor: a regular file with one link, owned
 * by the expected user.  A check on the descriptor cannot be raced, unlike
 * lstat(2) followed by open(2).
 *
 * Every function returns a descriptor (or 0) or -1 with errno, and
 * appends a "what: why" text to why on failure (the caller puts it into
 * a delivery status).  errno ELOOP means a symbolic link was met, EPERM a
 * failed ownership or link count check, EFTYPE-like cases (a FIFO, a
 * device, a directory where a file was expected) are EINVAL.
 */
#ifndef POSTLET_SAFEOPEN_H
#define POSTLET_SAFEOPEN_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stdbool.h>

#include "str.h"

/* "No owner check" for safeopen_dir and safeopen_file. */
#define SAFEOPEN_ANY_OWNER	((uid_t)-1)

/* safeopen_dir flags: create missing directories (mkdirat, mode). */
#define SAFEOPEN_CREATE		0x1

/*
 * Open the directory path below dirfd (a relative path: "a/b", "Maildir/";
 * empty components and "." are skipped, ".." and a leading '/' are
 * refused with EINVAL) for reading, with O_DIRECTORY|O_NOFOLLOW at every
 * step.  With SAFEOPEN_CREATE a missing component is made with mode (the
 * umask applies).  When owner is not SAFEOPEN_ANY_OWNER, the last
 * directory must be owned by owner (EPERM).  path "" opens dirfd itself
 * again (".").  Returns the new descriptor (O_CLOEXEC), or -1 with errno
 * and the reason appended to why.
 */
int	safeopen_dir(int dirfd, const char *path, int flags, mode_t mode,
	    uid_t owner, struct str *why);

/*
 * Open the plain file name (no '/': EINVAL) in dirfd with oflags (plus
 * O_NOFOLLOW, O_CLOEXEC, O_NOCTTY; O_NONBLOCK during the open only, so
 * that a FIFO cannot block) and mode for O_CREAT, then check the
 * descriptor: a regular file (EINVAL), one link (EPERM), owned by owner
 * unless that is SAFEOPEN_ANY_OWNER (EPERM).  *st (may be NULL) gets its
 * status.  Returns the descriptor, or -1 with errno (ELOOP: a symbolic
 * link) and the reason appended to why.
 */
int	safeopen_file(int dirfd, const char *name, int oflags, mode_t mode,
	    uid_t owner, struct stat *st, struct str *why);

/*
 * True when name can be a single file name: not empty, not "." or "..",
 * no '/', no control character, at most 255 bytes.
 */
bool	safeopen_name_ok(const char *name);

#endif
