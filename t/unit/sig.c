/* SPDX-License-Identifier: ISC */
/*
 * sig.c: unit tests for lib/sig (the self-pipe).
 *
 * Signals are raised at ourselves and read back from sig_next in order;
 * repeated deliveries must merge; SIGCHLD must wake a poll on sig_fd; a
 * blocking read(2) interrupted by a caught signal must be restarted
 * (SA_RESTART), and poll(2) must learn about the signal from sig_fd.
 * Forked children end with _exit, so that the test's atexit handlers (the
 * temporary directory) run only once.
 */
#include <sys/time.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sig.h"
#include "tap.h"

static void	arm_timer(long);
static void	test_basics(void);
static void	test_order(void);
static void	test_invalid(void);
static void	test_ignore_default(void);
static void	test_sigchld(void);
static void	test_restart(void);
static void	test_poll(void);
static void	test_names(void);


/* SIGALRM once, ms from now. */
static void
arm_timer(long ms)
{
	struct itimerval	it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	if (setitimer(ITIMER_REAL, &it, NULL) == -1) {
		perror("setitimer");
	}
}

static void
test_basics(void)
{
	int	fd, fl;

	fd = sig_fd();
	ok(fd > 2, "sig_fd gives a descriptor above 2 (%d)", fd);
	fl = fcntl(fd, F_GETFD);
	ok(fl != -1 && (fl & FD_CLOEXEC), "sig_fd is close-on-exec");
	fl = fcntl(fd, F_GETFL);
	ok(fl != -1 && (fl & O_NONBLOCK), "sig_fd is non-blocking");
	is_int(sig_fd(), fd, "sig_fd is the same descriptor every time");
	is_int(sig_next(), 0, "sig_next: nothing pending at first");
}

static void
test_order(void)
{
	struct sigaction	sa;
	int			saved;

	is_int(sig_catch(SIGUSR1), 0, "sig_catch SIGUSR1");
	is_int(sig_catch(SIGUSR2), 0, "sig_catch SIGUSR2");
	is_int(sig_catch(SIGHUP), 0, "sig_catch SIGHUP");
	ok(sigaction(SIGUSR1, NULL, &sa) == 0 && (sa.sa_flags & SA_RESTART),
	    "handlers are installed with SA_RESTART");

	ok(!sig_caught(SIGUSR2), "sig_caught: SIGUSR2 not yet");
	raise(SIGUSR2);
	raise(SIGUSR1);
	raise(SIGHUP);
	ok(sig_caught(SIGUSR2), "sig_caught: SIGUSR2 after raise");
	ok(sig_caught(SIGHUP), "sig_caught: SIGHUP after raise");
	is_int(sig_next(), SIGUSR2, "first delivered first: SIGUSR2");
	ok(!sig_caught(SIGUSR2), "sig_caught: SIGUSR2 consumed");
	is_int(sig_next(), SIGUSR1, "then SIGUSR1");
	is_int(sig_next(), SIGHUP, "then SIGHUP");
	is_int(sig_next(), 0, "then nothing");

	raise(SIGUSR1);
	raise(SIGUSR1);
	raise(SIGUSR1);
	raise(SIGUSR2);
	raise(SIGUSR1);
	is_int(sig_next(), SIGUSR1, "repeated SIGUSR1 is reported ...");
	is_int(sig_next(), SIGUSR2, "... once, before SIGUSR2");
	is_int(sig_next(), 0, "and not again");

	raise(SIGUSR1);
	is_int(sig_next(), SIGUSR1, "a new delivery after the report");
	is_int(sig_next(), 0, "is reported again, once");

	errno = EDOM;
	raise(SIGHUP);
	saved = errno;
	is_int(saved, EDOM, "the handler keeps errno");
	is_int(sig_next(), SIGHUP, "and reports SIGHUP");
}

static void
test_invalid(void)
{
	errno = 0;
	is_int(sig_catch(SIGKILL), -1, "sig_catch SIGKILL fails");
	is_int(errno, EINVAL, "with EINVAL");
	errno = 0;
	is_int(sig_catch(SIGSTOP), -1, "sig_catch SIGSTOP fails");
	is_int(errno, EINVAL, "with EINVAL");
	errno = 0;
	is_int(sig_catch(0), -1, "sig_catch 0 fails");
	is_int(errno, EINVAL, "with EINVAL");
	errno = 0;
	is_int(sig_catch(NSIG), -1, "sig_catch NSIG fails");
	is_int(errno, EINVAL, "with EINVAL");
	errno = 0;
	is_int(sig_ignore(-3), -1, "sig_ignore -3 fails");
	is_int(errno, EINVAL, "with EINVAL");
	ok(!sig_caught(0) && !sig_caught(NSIG) && !sig_caught(-1),
	    "sig_caught of a bad number is false");
}

static void
test_ignore_default(void)
{
	struct sigaction	sa;

	is_int(sig_ignore(SIGUSR2), 0, "sig_ignore SIGUSR2");
	ok(sigaction(SIGUSR2, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN,
	    "SIGUSR2 is SIG_IGN");
	raise(SIGUSR2);
	is_int(sig_next(), 0, "an ignored signal is not reported");
	is_int(sig_default(SIGUSR2), 0, "sig_default SIGUSR2");
	ok(sigaction(SIGUSR2, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL,
	    "SIGUSR2 is SIG_DFL");
	raise(SIGHUP);
	is_int(sig_ignore(SIGHUP), 0, "sig_ignore SIGHUP, a report pending");
	is_int(sig_next(), SIGHUP, "the pending report stays");
}

static void
test_sigchld(void)
{
	struct pollfd		pfd;
	struct sigaction	sa;
	pid_t			pid;
	int			r, st = 0;

	is_int(sig_catch(SIGCHLD), 0, "sig_catch SIGCHLD");
	ok(sigaction(SIGCHLD, NULL, &sa) == 0 && (sa.sa_flags & SA_NOCLDSTOP),
	    "SIGCHLD is caught with SA_NOCLDSTOP");
	if ((pid = fork()) == 0) {
		_exit(7);
	}
	pfd.fd = sig_fd();
	pfd.events = POLLIN;
	do {
		pfd.revents = 0;
		r = poll(&pfd, 1, 5000);
	} while (r == -1 && errno == EINTR);
	ok(r == 1 && (pfd.revents & POLLIN), "sig_fd is readable when a "
	    "child ends");
	is_int(sig_next(), SIGCHLD, "sig_next says SIGCHLD");
	is_int(waitpid(pid, &st, WNOHANG), pid, "the child can be reaped");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 7, "with its exit status 7");
	is_int(sig_default(SIGCHLD), 0, "sig_default SIGCHLD");
}

static void
test_restart(void)
{
	char	c = 0;
	int	p[2];
	pid_t	pid;
	ssize_t	r;

	is_int(sig_catch(SIGALRM), 0, "sig_catch SIGALRM");
	if (pipe(p) == -1) {
		perror("pipe");
		return;
	}
	if ((pid = fork()) == 0) {
		close(p[0]);
		tap_sleep_ms(300);
		if (write(p[1], "x", 1) != 1) {
			_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	arm_timer(50);
	r = read(p[0], &c, 1);	/* raw read(2): no EINTR loop here */
	ok(r == 1 && c == 'x', "a read interrupted by SIGALRM is restarted "
	    "(r=%zd errno=%d)", r, r == -1 ? errno : 0);
	is_int(sig_next(), SIGALRM, "and SIGALRM is reported");
	close(p[0]);
	waitpid(pid, NULL, 0);
}

static void
test_poll(void)
{
	struct pollfd	pfd;
	int		r, eintr = 0;

	pfd.fd = sig_fd();
	pfd.events = POLLIN;
	pfd.revents = 0;
	arm_timer(50);
	r = poll(&pfd, 1, 5000);
	if (r == -1 && errno == EINTR) {
		/* poll is never restarted: the loop looks at sig_fd. */
		eintr = 1;
		pfd.revents = 0;
		r = poll(&pfd, 1, 0);
	}
	ok(r == 1 && (pfd.revents & POLLIN), "poll on sig_fd wakes up on "
	    "SIGALRM (EINTR first: %d)", eintr);
	is_int(sig_next(), SIGALRM, "sig_next says SIGALRM");
	is_int(sig_next(), 0, "nothing else");
	is_int(sig_default(SIGALRM), 0, "sig_default SIGALRM");
}

static void
test_names(void)
{
	is_str(sig_name(SIGKILL), "SIGKILL", "sig_name SIGKILL");
	is_str(sig_name(SIGTERM), "SIGTERM", "sig_name SIGTERM");
	is_str(sig_name(SIGCHLD), "SIGCHLD", "sig_name SIGCHLD");
	is_str(sig_name(SIGPIPE), "SIGPIPE", "sig_name SIGPIPE");
	ok(sig_name(0) == NULL, "sig_name 0 is NULL");
	ok(sig_name(NSIG + 5) == NULL, "sig_name NSIG+5 is NULL");
}

int
main(void)
{
	test_basics();
	test_order();
	test_invalid();
	test_ignore_default();
	test_sigchld();
	test_restart();
	test_poll();
	test_names();
	return done_testing();
}
