/* SPDX-License-Identifier: ISC */
/*
 * pidfile.c: test whether a daemon holds its pid file (see pidfile.h).
 * The file is opened read-only without following a symbolic link, and
 * closed again before we return, whatever happens.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "fd.h"
#include "pidfile.h"
#include "scan.h"

int
pidfile_locked(const char *path, pid_t *pid)
{
	char			text[PIDFILE_TEXT_MAX + 1];
	unsigned long long	v;
	ssize_t			n;
	int			fd, saved;

	*pid = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		return errno == ENOENT ? 0 : -1;
	}
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		/* Nobody holds it: a stale file.  close drops our lock. */
		(void)close(fd);
		return 0;
	}
	if (errno != EWOULDBLOCK) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	n = fd_read(fd, text, PIDFILE_TEXT_MAX);
	(void)close(fd);
	if (n > 0 && text[n - 1] == '\n' &&
	    scan_uint_mem(text, (size_t)n - 1, 0x7fffffff, &v) == 0 &&
	    v > 0) {
		*pid = (pid_t)v;
	}
	return 1;
}
