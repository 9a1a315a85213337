/* SPDX-License-Identifier: ISC */
/*
 * fd.h: raw descriptor I/O with the retry policy of all of postlet.
 *
 * fd_read and fd_write retry EINTR and return what read(2)/write(2)
 * return; fd_write_all loops over short writes and returns 0 or -1 with
 * errno.  fd_wait waits with poll(2) until the descriptor is ready or the
 * monotonic deadline (see clock.h; -1 for none) passes: 1 ready, -1 with
 * errno ETIMEDOUT or the poll error.
 */
#ifndef POSTLET_FD_H
#define POSTLET_FD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

ssize_t	fd_read(int, void *, size_t);
ssize_t	fd_write(int, const void *, size_t);
int	fd_write_all(int, const void *, size_t);
int	fd_wait(int fd, short events, long long deadline);
int	fd_set_nonblock(int, bool);
int	fd_set_cloexec(int, bool);

#endif
