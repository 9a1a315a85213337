/* SPDX-License-Identifier: ISC */
/*
 * fd.h: raw descriptor I/O with the retry policy of all of postlet.
 *
 * fd_read and fd_write retry EINTR and return what read(2)/write(2)
 * return; fd_write_all loops over short writes and returns 0 or -1 with
 * errno.  fd_wait waits with poll(2) until the descriptor is ready or the
 * monotonic deadline (see clock.h; -1 for none) passes: 1 ready, -1 with
 * errno ETIMEDOUT or the poll error.
 *
 * fd_send_packet and fd_recv_packet pass one packet, with descriptors,
 * over a unix socket (SCM_RIGHTS): the spawner (spawn.h) and master's
 * hand-off to reused children (handoff.h) speak that way.
 */
#ifndef POSTLET_FD_H
#define POSTLET_FD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "str.h"

ssize_t	fd_read(int, void *, size_t);
ssize_t	fd_write(int, const void *, size_t);
int	fd_write_all(int, const void *, size_t);
int	fd_wait(int fd, short events, long long deadline);
int	fd_set_nonblock(int, bool);
int	fd_set_cloexec(int, bool);

/*
 * Send one packet of len bytes with descriptor passfd (-1: none), without
 * waiting (MSG_DONTWAIT) and without SIGPIPE.  Returns 0, or -1 with
 * errno (EAGAIN when there is no room now, EPIPE, ...).
 */
int	fd_send_packet(int sock, const void *, size_t len, int passfd);
/*
 * Receive one packet into buf (at most len bytes); with wait false
 * without waiting (MSG_DONTWAIT: EAGAIN when none is there).  Descriptors that come with it go to fds, close-on-exec,
 * at most maxfds of them (*nfds says how many); more are closed at once
 * and *trunc set, as it is when the packet or its control data was cut
 * (MSG_TRUNC, MSG_CTRUNC).  Returns the packet's length (0 also at end
 * of file), or -1 with errno (EINTR retried).
 */
ssize_t	fd_recv_packet(int sock, bool wait, void *buf, size_t len,
	    int *fds, size_t maxfds, size_t *nfds, bool *trunc);

/* fd_read_file flags */
#define FD_FILE_NOFOLLOW	0x1	/* a symbolic link is refused (ELOOP) */
#define FD_FILE_MISSING_OK	0x2	/* a missing file reads as empty */

/*
 * Read the regular file path whole into out (replacing its contents),
 * at most max bytes.  It is opened non-blocking, so a FIFO put in its
 * place cannot hang the caller.  Returns 0, or -1 with errno: EFBIG
 * (larger than max), EISDIR or EINVAL (not a regular file), or that of
 * open(2) or read(2).
 */
int	fd_read_file(const char *path, int flags, size_t max, struct str *out);

/*
 * Open the FIFO path with flags (its access mode, and O_NOFOLLOW if
 * wanted) and O_NONBLOCK | O_CLOEXEC | O_NOCTTY, so that a FIFO without
 * a reader or writer cannot hang the caller.  Returns the descriptor, or
 * -1 with errno: EINVAL when path is not a FIFO, or that of open(2).
 */
int	fd_open_fifo(const char *path, int flags);

/*
 * open(2), made as openat(AT_FDCWD, ...): musl's open() follows an open
 * with O_CLOEXEC by an fcntl(F_SETFD) of its own (for kernels before
 * 2.6.23, which ignored the flag), one more system call for the opens
 * made per message; openat() makes none.  mode as for O_CREAT.
 */
int	fd_open(const char *path, int flags, mode_t mode);

/*
 * fd_open with O_NOATIME where it is allowed (the caller owns the file,
 * or may act as its owner), else without: a queue file or FIFO read
 * right after it was written would otherwise have its access time
 * written too, with relatime, which on a journaled file system is one
 * more transaction handle per read.
 */
int	fd_open_noatime(const char *path, int flags, mode_t mode);

/*
 * The inode number and type and mode of the open file fd, like fstat(2),
 * but without asking for its times (statx(2) with STATX_INO and
 * STATX_MODE, where there is one): from Linux 6.13 a file system with
 * fine-grained timestamps notes that its times were seen, and the next
 * write must then give the file a new time, and dirty its inode, which a
 * write within the same tick of the coarse clock would not.  For a file
 * just created and about to be written (a queue file).
 * 0, or -1 with errno.
 */
int	fd_ino_mode(int fd, ino_t *ino, mode_t *mode);

#endif
