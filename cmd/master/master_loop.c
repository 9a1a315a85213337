/* SPDX-License-Identifier: ISC */
/*
 * master_loop.c: master's event loop.  It sleeps in poll(2) on the
 * signal self-pipe (lib/sig) and the sockets of the per-connection
 * services that may accept (master_listen.c) with a timeout that is the
 * next timed event (a wake-up, the end of a throttle, a SIGKILL
 * deadline), and does all work outside signal handlers:
 *
 *	SIGCHLD		reap children, restart them (throttled if needed)
 *	SIGHUP		reload main.cf and master.cf
 *	SIGTERM, SIGINT	stop: close the listening sockets, SIGTERM to
 *			the daemons, SIGKILL to those still there after
 *			MASTER_STOP_MS; per-connection children finish
 *			their sessions until then (master_listen.c);
 *			then return
 *
 * Also master_detach, which makes master a daemon.
 */
#include <sys/types.h>
#ifdef __linux__
#include <sys/epoll.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "conf.h"
#include "log.h"
#include "sig.h"
#include "master.h"

static int	loop_stop(struct master *, int);
static void	loop_wait(struct master *, int);
static int	loop_timeout(const struct master *);

void
master_detach(void)
{
	pid_t	pid;
	int	fd, i;

	if ((pid = fork()) == -1) {
		fatal(EX_OSERR, "fork");
	}
	if (pid > 0) {
		/* The daemon owns the pid file and its lock now. */
		_exit(0);
	}
	if (setsid() == -1) {
		fatal(EX_OSERR, "setsid");
	}
	if (chdir("/") == -1) {
		fatal(EX_OSERR, "chdir /");
	}
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		fatal(EX_OSERR, "open /dev/null");
	}
	for (i = 0; i < 3; i++) {
		/* dup2 gives descriptors without close-on-exec */
		if (fd != i && dup2(fd, i) == -1) {
			fatal(EX_OSERR, "dup2 /dev/null");
		}
	}
	if (fd > 2) {
		(void)close(fd);
	}
	log_also_stderr(false);
}

#ifdef __linux__
/* The epoll set of loop_wait and the descriptors it holds. */
static struct {
	int		 ep;		/* -1: none */
	int		*fds;
	size_t		 n, cap;
	unsigned long	 closes;	/* master_listen_closes when made */
} loop_ep = { -1, NULL, 0, 0, 0 };

/* Whether fd is one of pfd[0..n). */
static bool
pfd_has(const struct pollfd *pfd, size_t n, int fd)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (pfd[i].fd == fd) {
			return true;
		}
	}
	return false;
}

/* Whether fd is one of loop_ep's. */
static bool
ep_has(int fd)
{
	size_t	i;

	for (i = 0; i < loop_ep.n; i++) {
		if (loop_ep.fds[i] == fd) {
			return true;
		}
	}
	return false;
}

/* Add (or remove) fd to (from) loop_ep's set: 0 or -1. */
static int
ep_ctl(int op, int fd)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	return epoll_ctl(loop_ep.ep, op, fd, &ev);
}

/*
 * Make loop_ep watch exactly pfd[0..n) (POLLIN): 0, or -1 (none).  While
 * nothing was closed, every number is still the same file: only the
 * difference is added and removed (a listener that stops and starts
 * accepting at its process limit); else the set is made anew.
 */
static int
ep_sync(const struct pollfd *pfd, size_t n)
{
	size_t	i;
	bool	ok = loop_ep.ep != -1 &&
		    loop_ep.closes == master_listen_closes();

	for (i = 0; ok && i < loop_ep.n; i++) {
		if (!pfd_has(pfd, n, loop_ep.fds[i])) {
			ok = ep_ctl(EPOLL_CTL_DEL, loop_ep.fds[i]) == 0;
		}
	}
	for (i = 0; ok && i < n; i++) {
		if (!ep_has(pfd[i].fd)) {
			ok = ep_ctl(EPOLL_CTL_ADD, pfd[i].fd) == 0;
		}
	}
	if (!ok) {
		if (loop_ep.ep != -1) {
			(void)close(loop_ep.ep);
		}
		loop_ep.closes = master_listen_closes();
		if ((loop_ep.ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
			loop_ep.n = 0;
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (ep_ctl(EPOLL_CTL_ADD, pfd[i].fd) == -1) {
				(void)close(loop_ep.ep);
				loop_ep.ep = -1;
				loop_ep.n = 0;
				return -1;
			}
		}
	}
	if (n > loop_ep.cap) {
		loop_ep.fds = xreallocarray(loop_ep.fds, n,
		    sizeof(*loop_ep.fds));
		loop_ep.cap = n;
	}
	for (i = 0; i < n; i++) {
		loop_ep.fds[i] = pfd[i].fd;
	}
	loop_ep.n = n;
	return 0;
}

/* Wait as poll(2) would, setting the revents of pfd[0..n); -1 when
 * epoll cannot be used (errno), else what poll would return. */
static int
ep_wait(struct pollfd *pfd, size_t n, int timeout)
{
	struct epoll_event	ev[32];
	size_t			i;
	int			r, k;

	if (ep_sync(pfd, n) == -1) {
		return -1;
	}
	if ((r = epoll_wait(loop_ep.ep, ev, 32, timeout)) <= 0) {
		return r == -1 && errno == EINTR ? 0 : r;
	}
	/* (the list is short: a linear search per ready descriptor) */
	for (k = 0; k < r; k++) {
		for (i = 0; i < n; i++) {
			if (pfd[i].fd == ev[k].data.fd) {
				pfd[i].revents = POLLIN;
				break;
			}
		}
	}
	return r;
}
#endif

/*
 * Sleep in poll (epoll on Linux) on the signal pipe and the sockets that
 * may accept, for at most timeout ms (-1: none); accept what is waiting.
 */
static void
loop_wait(struct master *m, int timeout)
{
	struct pollfd	*pfd;
	size_t		 n, i;
	int		 r;

	pfd = xreallocarray(NULL, 1 + master_listen_nsocks(m), sizeof(*pfd));
	pfd[0].fd = sig_fd();
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	n = 1 + master_listen_pollfds(m, pfd + 1, master_listen_nsocks(m));
	r = -1;
#ifdef __linux__
	r = ep_wait(pfd, n, timeout);	/* -1: no epoll, poll instead */
#endif
	if (r == -1 && (r = poll(pfd, n, timeout)) == -1 && errno != EINTR) {
		log_warn("poll");
		/* never spin: a broken poll still waits a little */
		(void)poll(NULL, 0, 100);
	}
	for (i = 1; r > 0 && i < n; i++) {
		if (pfd[i].revents != 0) {
			master_listen_event(m, pfd[i].fd);
		}
	}
	free(pfd);
}

/* The sooner of the daemons' and the listeners' next timed events. */
static int
loop_timeout(const struct master *m)
{
	int	a = master_service_timeout(m), b = master_listen_timeout(m);

	if (a == -1) {
		return b;
	}
	return b == -1 || a < b ? a : b;
}

int
master_run(struct master *m)
{
	int	signo;

	master_service_start_all(m);
	for (;;) {
		loop_wait(m, loop_timeout(m));
		while ((signo = sig_next()) != 0) {
			switch (signo) {
			case SIGCHLD:
				master_service_reap(m);
				break;
			case SIGHUP:
				if (master_config(m, true) == 0) {
					(void)master_listen_open(m);
					log_info("reload -- version %s, "
					    "configuration %s",
					    POSTLET_VERSION, m->config_dir);
				}
				break;
			case SIGTERM:
			case SIGINT:
				return loop_stop(m, signo);
			default:
				break;
			}
		}
		master_service_tick(m);
		master_listen_tick(m);
		master_service_start_all(m);
	}
}

/* Stop every daemon (bounded), then the exit status for a clean stop. */
static int
loop_stop(struct master *m, int signo)
{
	long long	deadline;

	log_info("terminating on signal %d", signo);
	master_listen_stop_all(m);
	master_service_stop_all(m);
	/* tick sends SIGKILL after MASTER_STOP_MS; this is the last resort
	 * for a child that not even SIGKILL ends (a hung NFS read). */
	deadline = clock_deadline(MASTER_STOP_MS + 5000);
	while (master_service_running(m) + master_listen_running(m) > 0 &&
	    clock_left(deadline) > 0) {
		int	t = loop_timeout(m);

		if (t == -1 || t > clock_left(deadline)) {
			t = clock_left(deadline);
		}
		loop_wait(m, t);
		while ((signo = sig_next()) != 0) {
			if (signo == SIGCHLD) {
				master_service_reap(m);
			}
		}
		master_service_tick(m);
		master_listen_tick(m);
	}
	if (master_service_running(m) + master_listen_running(m) > 0) {
		log_warnx("%zu process%s did not stop; leaving them",
		    master_service_running(m) + master_listen_running(m),
		    master_service_running(m) + master_listen_running(m) ==
		    1 ? "" : "es");
	}
	master_listen_free(m);
	master_service_free(m);
	master_pid_remove(m);
	return 0;
}
