/* SPDX-License-Identifier: ISC */
/*
 * sig.h: signals as events for a poll(2) loop (the self-pipe pattern).
 *
 * A caught signal does only two things in its handler: it sets a
 * volatile sig_atomic_t flag and writes one byte, the signal number, into
 * a non-blocking close-on-exec pipe.  The program polls the read end
 * (sig_fd) together with its other descriptors and, when it is readable,
 * takes the signals with sig_next and does the real work outside of any
 * handler.  The handler saves and restores errno.
 *
 * Ordering and coalescing: signals come out of sig_next in the order in
 * which they were first delivered.  Like POSIX standard signals, further
 * deliveries of a signal that sig_next has not yet returned are merged
 * into that one report; so a handler of SIGCHLD must reap every child
 * that is ready (waitpid with WNOHANG in a loop), not one per report.
 * Because at most one byte per signal number is in the pipe at a time,
 * the pipe can never fill up and no signal is ever lost.
 *
 * Restart policy: handlers are installed with SA_RESTART, so a read(2) or
 * write(2) that a signal interrupts is resumed and library code does not
 * see EINTR from caught signals.  poll(2) and nanosleep(2) still return
 * EINTR (the kernel never restarts them); a loop treats EINTR from poll as
 * "look at sig_fd now", which then is readable.  SIGCHLD is installed
 * with SA_NOCLDSTOP: stopped children are not reported.
 *
 * The pipe is process state: it is created by the first sig_catch or
 * sig_fd call and is inherited across fork(2).  A forked child that keeps
 * running postlet code must not rely on it (proc_spawn resets every
 * signal to its default in the child before execve).  Call proc_init
 * before the first sig_catch, since proc_init closes inherited
 * descriptors.  Not thread-safe (postlet has no threads).
 */
#ifndef POSTLET_SIG_H
#define POSTLET_SIG_H

#include <stdbool.h>

/*
 * Catch signo: from now on its delivery is reported through sig_fd and
 * sig_next.  Creates the pipe on first use.  Returns 0, or -1 with errno:
 * EINVAL for a signal number that cannot be caught (SIGKILL, SIGSTOP, out
 * of range), or the error of pipe2(2)/sigaction(2).
 */
int	sig_catch(int signo);

/*
 * Set signo to be ignored (SIG_IGN) or to its default action (SIG_DFL).
 * A report of signo already in the pipe stays there.  Returns 0, or -1
 * with errno (EINVAL as for sig_catch).
 */
int	sig_ignore(int signo);
int	sig_default(int signo);

/*
 * The read end of the self-pipe, for poll(2) with POLLIN.  The descriptor
 * belongs to this module: never read, close or change it.  Creates the
 * pipe when needed; -1 with errno when that fails.
 */
int	sig_fd(void);

/*
 * The next reported signal number, or 0 when none is pending.  Never
 * blocks.  Call it until it returns 0 each time sig_fd is readable.
 */
int	sig_next(void);

/*
 * True when signo was delivered and sig_next has not yet returned it
 * (does not consume the report): for code that checks between steps
 * instead of polling.
 */
bool	sig_caught(int signo);

/*
 * The name of a signal ("SIGTERM"), or NULL when the number has no name
 * here (real-time signals, unknown numbers).  The string is static.
 */
const char *sig_name(int signo);

#endif
