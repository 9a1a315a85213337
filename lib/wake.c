/* SPDX-License-Identifier: ISC */
/* wake.c: one-byte wake-ups through FIFOs (see wake.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
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

/* Open queue_dir/public/name for non-blocking writes; it must be a
 * FIFO.  Returns the descriptor, or -1 with errno. */
static int
fifo_open(const char *queue_dir, const char *name)
{
	struct str	path = STR_INIT;
	int		fd, saved;

	str_catf(&path, "%s/public/%s", queue_dir, name);
	/* (non-blocking: open fails with ENXIO instead of waiting for a
	 * reader, and a write fails with EAGAIN instead of waiting for
	 * room) */
	fd = fd_open_fifo(path.s, O_WRONLY);
	saved = errno;
	str_free(&path);
	errno = saved;
	return fd;
}

/* Write the request byte to an open FIFO: 1, 0 (full), or -1 with
 * errno (ENXIO when the reader closed it: nobody reads). */
static int
fifo_write(int fd, char request)
{
	if (fd_write(fd, &request, 1) == 1) {
		return 1;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		return 0;
	}
	if (errno == EPIPE) {
		/* the reader closed it: nobody reads */
		errno = ENXIO;
	}
	return -1;
}

int
wake_request(const char *queue_dir, const char *name, char request)
{
	int	fd, rc, saved;

	if ((fd = fifo_open(queue_dir, name)) == -1) {
		return -1;
	}
	rc = fifo_write(fd, request);
	saved = errno;
	(void)close(fd);
	errno = saved;
	return rc;
}

int
wake_up_kept(struct wake_fifo *w, const char *queue_dir, const char *name)
{
	bool	fresh = false;
	int	rc;

	for (;;) {
		if (w->fd == -1) {
			if ((w->fd = fifo_open(queue_dir, name)) == -1) {
				return errno == ENOENT || errno == ENXIO ?
				    0 : -1;
			}
			fresh = true;
		}
		if ((rc = fifo_write(w->fd, WAKE_REQ_WAKEUP)) != -1) {
			return rc;
		}
		wake_close(w);
		if (errno != ENXIO) {
			return -1;
		}
		/* The reader left this FIFO: a restarted daemon (or a
		 * FIFO made anew) is found by opening it again, once. */
		if (fresh) {
			return 0;
		}
	}
}

void
wake_close(struct wake_fifo *w)
{
	int	saved = errno;

	if (w->fd != -1) {
		(void)close(w->fd);
		w->fd = -1;
	}
	errno = saved;
}
