/* SPDX-License-Identifier: ISC */
/*
 * pidfile.h: whether a daemon holds its pid file, the way master holds
 * queue_directory/pid/master.pid: an exclusive flock(2) on the open file
 * for its whole lifetime, the pid as decimal text and a newline.
 *
 * The lock, not the pid, says whether the daemon runs: a file left by a
 * crash has no lock, and its pid may belong to anyone by now.  Testing
 * needs only read access to the file (a shared lock is tried and given
 * back at once), so any user may ask: sendmail does, to choose daemonless
 * delivery.  Nothing here logs or is fatal but allocation failure.
 */
#ifndef POSTLET_PIDFILE_H
#define POSTLET_PIDFILE_H

#include <sys/types.h>

/* The longest pid file text read: digits and a newline. */
#define PIDFILE_TEXT_MAX	32

/*
 * Whether the pid file at path is held.  Returns 1 when it is locked by
 * someone, with the pid it holds in *pid (0 while the daemon has not
 * written it yet, or when the text is not a pid and a newline); 0 when
 * the file is missing or nobody holds its lock (*pid is 0); -1 with errno
 * when we cannot tell (the file cannot be opened for another reason than
 * ENOENT, or flock(2) fails for another reason than EWOULDBLOCK).
 */
int	pidfile_locked(const char *path, pid_t *pid);

#endif
