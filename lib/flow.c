/* SPDX-License-Identifier: ISC */
/* flow.c: tokens of arrival flow control in a FIFO (see flow.h). */
#ifdef __linux__
#include <sys/epoll.h>
#endif
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"
#include "flow.h"
#include "str.h"

static int	flow_open(const char *, int, int);

/* Open the FIFO with flags; it must be one.  mkfifo first when create. */
static int
flow_open(const char *queue_dir, int flags, int create)
{
	struct str	 path = STR_INIT;
	int		 fd, saved;

	str_catf(&path, "%s/%s", queue_dir, FLOW_FIFO);
	if (create && mkfifo(path.s, 0600) == -1 && errno != EEXIST) {
		fd = -1;
	} else {
		fd = fd_open_fifo(path.s, flags | O_NOFOLLOW);
	}
	saved = errno;
	str_free(&path);
	errno = saved;
	return fd;
}

int
flow_open_put(const char *queue_dir)
{
	return flow_open(queue_dir, O_RDWR, 1);
}

int
flow_open_get(const char *queue_dir, struct flow_reader *r)
{
#ifdef EPOLLEXCLUSIVE
	struct epoll_event	ev;
#endif

	r->ep = -1;
	if ((r->fd = flow_open(queue_dir, O_RDONLY, 0)) == -1) {
		return -1;
	}
#ifdef EPOLLEXCLUSIVE
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	if ((r->ep = epoll_create1(EPOLL_CLOEXEC)) != -1 &&
	    epoll_ctl(r->ep, EPOLL_CTL_ADD, r->fd, &ev) == -1) {
		(void)close(r->ep);
		r->ep = -1;	/* an older kernel: poll, waking all */
	}
#endif
	return 0;
}

long
flow_put(int fd, size_t n, size_t limit)
{
	char	 tokens[256];
	int	 have = 0;
	size_t	 want, chunk, done = 0;
	ssize_t	 w;

	if (ioctl(fd, FIONREAD, &have) == -1) {
		return -1;
	}
	if (have < 0 || (size_t)have >= limit) {
		return 0;
	}
	want = limit - (size_t)have;
	if (want > n) {
		want = n;
	}
	memset(tokens, 'T', sizeof(tokens));
	while (done < want) {
		chunk = want - done < sizeof(tokens) ? want - done :
		    sizeof(tokens);
		w = write(fd, tokens, chunk);
		if (w == -1 && errno == EINTR) {
			continue;
		}
		if (w == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				break;	/* full: not an error */
			}
			return -1;
		}
		done += (size_t)w;
	}
	return (long)done;
}

int
flow_get(struct flow_reader *fr, int timeout_ms)
{
	struct pollfd	 pfd;
#ifdef EPOLLEXCLUSIVE
	struct epoll_event	ev;
#endif
	long long	 deadline = clock_ms() + timeout_ms, left;
	ssize_t		 r;
	int		 n;
	char		 token;

	for (;;) {
		r = read(fr->fd, &token, 1);
		if (r == 1) {
			return 1;
		}
		if (r == 0) {
			return 0;	/* no writer: no qmgr to wait for */
		}
		if (errno == EINTR) {
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			return -1;
		}
		if ((left = deadline - clock_ms()) <= 0) {
			return 0;
		}
		/* readable: read (another cleanup may take it first); hung
		 * up: the writer went away, and read says so; else: loop to
		 * the deadline check */
#ifdef EPOLLEXCLUSIVE
		if (fr->ep != -1) {
			n = epoll_wait(fr->ep, &ev, 1, (int)left);
		} else
#endif
		{
			pfd.fd = fr->fd;
			pfd.events = POLLIN;
			pfd.revents = 0;
			n = poll(&pfd, 1, (int)left);
		}
		if (n == -1 && errno != EINTR) {
			return -1;
		}
	}
}
