/* SPDX-License-Identifier: ISC */
/*
 * sig.c: the self-pipe (see sig.h).
 *
 * Invariant: sig_flag[s] is 1 exactly when one byte s is in the pipe and
 * sig_next has not yet returned it.  The handler writes a byte only when
 * it turns the flag from 0 to 1, and sig_next clears the flag only after
 * it read the byte, so there is never more than one byte per signal
 * number in the pipe: NSIG bytes at most, well below the PIPE_BUF (512)
 * that POSIX guarantees, so the non-blocking write in the handler cannot
 * fail for lack of room and no report is lost.  A delivery between the
 * read and the clearing in sig_next is merged into the report being
 * returned, which the caller handles after that delivery: nothing lost.
 *
 * sig_any saves the read of an empty pipe, the usual case, on every
 * call: the handler sets it before it writes its byte, and sig_next
 * clears it only when it found the pipe empty, then reads once more, so
 * that a byte written between that empty read and the clearing is
 * returned (and sig_any set again, for any byte after it).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

#include "sig.h"

static volatile sig_atomic_t	sig_flag[NSIG];
static volatile sig_atomic_t	sig_any;
static int			sig_pipe[2] = { -1, -1 };

static void	sig_handler(int);
static int	sig_valid(int);
static int	sig_open(void);
static int	sig_set(int, void (*)(int), int);

static const struct {
	int		 signo;
	const char	*name;
} sig_names[] = {
	{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" },
	{ SIGILL, "SIGILL" }, { SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
	{ SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" }, { SIGKILL, "SIGKILL" },
	{ SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
	{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
	{ SIGCHLD, "SIGCHLD" }, { SIGCONT, "SIGCONT" }, { SIGSTOP, "SIGSTOP" },
	{ SIGTSTP, "SIGTSTP" }, { SIGTTIN, "SIGTTIN" }, { SIGTTOU, "SIGTTOU" },
	{ SIGURG, "SIGURG" }, { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
	{ SIGVTALRM, "SIGVTALRM" }, { SIGPROF, "SIGPROF" },
	{ SIGSYS, "SIGSYS" },
#ifdef SIGWINCH
	{ SIGWINCH, "SIGWINCH" },
#endif
#ifdef SIGIO
	{ SIGIO, "SIGIO" },
#endif
#ifdef SIGPWR
	{ SIGPWR, "SIGPWR" },
#endif
#ifdef SIGSTKFLT
	{ SIGSTKFLT, "SIGSTKFLT" },
#endif
#ifdef SIGEMT
	{ SIGEMT, "SIGEMT" },
#endif
#ifdef SIGINFO
	{ SIGINFO, "SIGINFO" },
#endif
};

/*
 * Async-signal-safe: touches only its own flag and write(2), and keeps
 * errno for the code it interrupted.
 */
static void
sig_handler(int signo)
{
	int		saved = errno;
	unsigned char	b;

	if (signo > 0 && signo < NSIG && sig_flag[signo] == 0) {
		sig_flag[signo] = 1;
		sig_any = 1;
		b = (unsigned char)signo;
		if (write(sig_pipe[1], &b, 1) != 1) {
			/* Cannot happen (see the invariant above). */
			sig_flag[signo] = 0;
		}
	}
	errno = saved;
}

static int
sig_valid(int signo)
{
	if (signo <= 0 || signo >= NSIG || signo > 255 || signo == SIGKILL ||
	    signo == SIGSTOP) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int
sig_open(void)
{
	if (sig_pipe[0] != -1) {
		return 0;
	}
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		sig_pipe[0] = sig_pipe[1] = -1;
		return -1;
	}
	return 0;
}

static int
sig_set(int signo, void (*handler)(int), int flags)
{
	struct sigaction	sa;

	if (sig_valid(signo) == -1) {
		return -1;
	}
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = flags;
	return sigaction(signo, &sa, NULL) == -1 ? -1 : 0;
}

int
sig_catch(int signo)
{
	int	flags = SA_RESTART;

	if (sig_valid(signo) == -1 || sig_open() == -1) {
		return -1;
	}
	if (signo == SIGCHLD) {
		flags |= SA_NOCLDSTOP;
	}
	return sig_set(signo, sig_handler, flags);
}

int
sig_ignore(int signo)
{
	return sig_set(signo, SIG_IGN, 0);
}

int
sig_default(int signo)
{
	return sig_set(signo, SIG_DFL, 0);
}

int
sig_fd(void)
{
	if (sig_open() == -1) {
		return -1;
	}
	return sig_pipe[0];
}

int
sig_next(void)
{
	unsigned char	b;
	ssize_t		r;
	bool		cleared = false;

	if (sig_pipe[0] == -1 || !sig_any) {
		return 0;
	}
	for (;;) {
		r = read(sig_pipe[0], &b, 1);
		if (r == -1 && errno == EINTR) {
			continue;
		}
		if (r != 1) {
			/* EAGAIN: nothing pending; clear, and look again */
			if (cleared) {
				return 0;
			}
			sig_any = 0;
			cleared = true;
			continue;
		}
		sig_any = 1;
		if (b == 0 || b >= NSIG) {
			continue;	/* only the handler writes here */
		}
		sig_flag[b] = 0;
		return b;
	}
}

bool
sig_caught(int signo)
{
	if (signo <= 0 || signo >= NSIG) {
		return false;
	}
	return sig_flag[signo] != 0;
}

const char *
sig_name(int signo)
{
	size_t	i;

	for (i = 0; i < sizeof(sig_names) / sizeof(sig_names[0]); i++) {
		if (sig_names[i].signo == signo) {
			return sig_names[i].name;
		}
	}
	return NULL;
}
