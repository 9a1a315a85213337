/* SPDX-License-Identifier: ISC */
/* wake.c: one-byte wake-ups through FIFOs (see wake.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd.h"
#include "str.h"
#include "wake.h"

int
wake_up(const char *queue_dir, const char *name)
{
	return wake_up_with(queue_dir, name, WAKE_REQ_WAKEUP);
}

int
wake_up_with(const char *queue_dir, const char *name, char request)
{
	int	rc;

	rc = wake_request(queue_dir, name, request);
	if (rc == -1 && (errno == ENOENT || errno == ENXIO ||
	    errno == EPIPE)) {
		return 0;
	}
	return rc;
}

int
wake_request(const char *queue_dir, const char *name, char request)
{
	struct str	path = STR_INIT;
	struct stat	st;
	ssize_t		n;
	int		fd, saved;

	str_catf(&path, "%s/public/%s", queue_dir, name);
	/* O_NONBLOCK: open fails with ENXIO instead of waiting for a
	 * reader, and the write fails with EAGAIN instead of waiting for
	 * room. */
	fd = open(path.s, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	str_free(&path);
	if (fd == -1) {
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	if (!S_ISFIFO(st.st_mode)) {
		(void)close(fd);
		errno = EINVAL;
		return -1;
	}
	n = fd_write(fd, &request, 1);
	saved = errno;
	(void)close(fd);
	if (n == 1) {
		return 1;
	}
	if (saved == EAGAIN || saved == EWOULDBLOCK) {
		return 0;
	}
	if (saved == EPIPE) {
		/* the reader closed it just now: nobody reads */
		saved = ENXIO;
	}
	errno = saved;
	return -1;
}
