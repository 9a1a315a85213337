/* SPDX-License-Identifier: ISC */
/*
 * proc.c: start-up hygiene, fork/execve of commands, wait statuses and
 * command environments (see proc.h).
 *
 * The child of proc_spawn runs only async-signal-safe calls (sigaction,
 * sigprocmask, setsid, fcntl, dup2, close, chdir, execve, write through
 * fd_write, _exit, the raw close_range system call, for PROC_SETID
 * the identity calls of priv_drop_ids, for PROC_PARENT_DEATH prctl and
 * getppid): everything that
 * allocates or locks (the /dev/null open, pipe creation, the descriptor
 * scan) is done by the parent before fork.  All signals are blocked
 * across fork, so no handler of ours runs in the child before it has
 * reset every signal to its default: otherwise a signal sent to the child
 * would be written into the parent's self-pipe (sig.c), which the child
 * shares until execve.
 *
 * The child is made with vfork(2) where that is safe (Linux, no
 * sanitizer): it shares our memory until execve, so the start costs
 * neither copying the page tables nor the copy-on-write faults we would
 * take afterwards, the largest part of a spawn's CPU time in a small VM
 * (bench/README.md).  We are suspended until the child has called
 * execve or _exit.  The child therefore writes only its own stack
 * (proc_child copies the plan it changes) and makes system calls; the
 * errno it sets is ours, which the parent never reads after a vfork
 * that made a child.  The failure text of priv_drop_ids, formatted in
 * the child, goes to priv.c's message buffer, the parent's: harmless,
 * the parent reads it only after its own priv calls.  Sanitizer builds
 * and other systems use fork(2).
 *
 * Reporting a failed start: the parent makes a close-on-exec pipe.  A
 * successful execve closes the child's end, and the parent reads end of
 * file; a failure writes the step and errno (8 bytes, below PIPE_BUF, so
 * one atomic write) and exits 127, and the parent reaps the child and
 * returns -1 with that errno.
 *
 * Descriptor placement: every descriptor the child is to get is first
 * copied above all descriptors involved (F_DUPFD_CLOEXEC), and only then
 * dup2'd onto its number.  So a source that is also the target of another
 * entry (3 -> 4 and 4 -> 3) is never overwritten before it was copied.
 * Then everything from 3 up that is not a target is closed: with
 * close_range(2) on Linux 5.9 and later, closefrom(2) on the BSDs, or else
 * close(2) on every number up to the highest open descriptor, which the
 * parent found in /proc/self/fd (or, without /proc, up to
 * min(sysconf(_SC_OPEN_MAX), PROC_FD_SCAN_MAX)).
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#include "alloc.h"
#include "clock.h"
#include "fd.h"
#include "bounds.h"
#include "log.h"
#include "priv.h"
#include "proc.h"
#include "scan.h"
#include "sig.h"
#include "str.h"

#if defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || \
    defined(__DragonFly__)
#define PROC_HAVE_CLOSEFROM	1
#endif

/* vfork(2) for the child (see above), but not under a sanitizer. */
#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(POSTLET_NO_VFORK)
#define PROC_FORK()	vfork()
#else
#define PROC_FORK()	fork()
#endif

/* Steps of the child, as sent through the report pipe. */
enum proc_step {
	PROC_STEP_SETSID,
	PROC_STEP_DUP,
	PROC_STEP_DUP2,
	PROC_STEP_CHDIR,
	PROC_STEP_EXECVE,
	PROC_STEP_SETID,
	PROC_STEP_COUNT
};

static const char *const proc_step_names[PROC_STEP_COUNT] = {
	"setsid", "fcntl F_DUPFD_CLOEXEC", "dup2", "chdir", "execve",
	"priv_drop"
};

/* Up to 3 standard descriptors plus the fd map. */
#define PROC_MAPS	(3 + PROC_FDMAP_MAX)

/* What the parent has prepared for the child. */
struct proc_plan {
	/* our descriptors ... */
	int	src[PROC_MAPS];
	/* ... and their numbers in the child */
	int	dst[PROC_MAPS];
	size_t	n;
	/* above every descriptor involved */
	int	lowest;
	/* write end of the report pipe */
	int	report;
	/* highest descriptor to close by hand */
	int	bound;
	/* our pid, for PROC_PARENT_DEATH */
	pid_t	parent;
};

/* 1: close_range(2) works here; 0: it does not; -1: not probed yet. */
static int	proc_close_range_ok = -1;

static bool	proc_need_bound(void);
static int	proc_max_fd(void);
static void	proc_close_span(int, int, int);
static void	proc_close_all_but(const int *, size_t, int, int);
static void	proc_child(const struct proc_cmd *, const struct proc_plan *)
		    __attribute__((noreturn));
static void	proc_child_fail(int, enum proc_step)
		    __attribute__((noreturn));
static void	proc_check_cmd(const struct proc_cmd *);
static const char *proc_env_find(const struct proc_env *, const char *,
		    size_t *);

/*
 * Whether closing "from n to the end" needs a known highest descriptor;
 * probes close_range(2) once.  A range that starts above every
 * possible descriptor closes nothing and succeeds where the call exists;
 * seccomp filters of older container runtimes make it fail with EPERM
 * instead of ENOSYS, so any failure means "not here".
 */
static bool
proc_need_bound(void)
{
#ifdef PROC_HAVE_CLOSEFROM
	return false;
#else
#ifdef SYS_close_range
	if (proc_close_range_ok == -1) {
		proc_close_range_ok = syscall(SYS_close_range, ~0U, ~0U, 0) ==
		    0 ? 1 : 0;
	}
	return proc_close_range_ok != 1;
#else
	proc_close_range_ok = 0;
	return true;
#endif
#endif
}

/* The highest open descriptor, or a safe bound; not for the child. */
static int
proc_max_fd(void)
{
	long	n;
#ifdef __linux__
	DIR			*d;
	struct dirent		*e;
	unsigned long long	 v;
	int			 fd, max = -1;

	if ((fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		if ((d = fdopendir(fd)) == NULL) {
			close(fd);
		} else {
			while ((e = readdir(d)) != NULL) {
				if (scan_uint(e->d_name, 0x7fffffff, &v) ==
				    0 && (int)v != fd && (int)v > max) {
					max = (int)v;
				}
			}
			closedir(d);
			if (max >= 0) {
				return max;
			}
		}
	}
#endif
	/* XXX: descriptors above the bound, if any, stay open. */
	n = sysconf(_SC_OPEN_MAX);
	if (n <= 0 || n > PROC_FD_SCAN_MAX) {
		n = PROC_FD_SCAN_MAX;
	}
	return (int)n - 1;
}

/*
 * Close descriptors lo..hi (hi -1: to the end, and bound is then the
 * highest one to close by hand; a finite hi is always small here, below
 * the highest target of an fd map).  Async-signal-safe.
 */
static void
proc_close_span(int lo, int hi, int bound)
{
	int	fd, end;

	if (hi != -1 && hi < lo) {
		return;
	}
#ifdef SYS_close_range
	if (proc_close_range_ok == 1 && syscall(SYS_close_range,
	    (unsigned int)lo, hi == -1 ? ~0U : (unsigned int)hi, 0) == 0) {
		return;
	}
#endif
#ifdef PROC_HAVE_CLOSEFROM
	if (hi == -1) {
		(void)closefrom(lo);
		return;
	}
#endif
	end = hi == -1 ? bound : hi;
	for (fd = lo; fd <= end; fd++) {
		(void)close(fd);
	}
}

/*
 * Close every descriptor from 3 up except the n in keep (and extra).
 * Async-signal-safe: no allocation, only close.
 */
static void
proc_close_all_but(const int *keep, size_t n, int extra, int bound)
{
	size_t	i;
	int	lo = 3, next;

	for (;;) {
		next = extra >= lo ? extra : -1;
		for (i = 0; i < n; i++) {
			if (keep[i] >= lo && (next == -1 || keep[i] < next)) {
				next = keep[i];
			}
		}
		if (next == -1) {
			proc_close_span(lo, -1, bound);
			return;
		}
		proc_close_span(lo, next - 1, bound);
		lo = next + 1;
	}
}

int
proc_init(int keep_fds)
{
	int	fd, nullfd;

	umask(077);
	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) {
			continue;
		}
		/*
		 * The lowest free number is fd, since the ones below are
		 * open by now.  It is opened close-on-exec like every open
		 * and then made inheritable: standard descriptors are.
		 */
		if ((nullfd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
			return -1;
		}
		if (nullfd != fd) {
			(void)close(nullfd);
			errno = EBADF;
			return -1;
		}
		if (fd_set_cloexec(fd, false) == -1) {
			return -1;
		}
	}
	if (keep_fds < 3) {
		keep_fds = 3;
	}
	proc_close_span(keep_fds, -1, proc_need_bound() ? proc_max_fd() : 0);
	return sig_ignore(SIGPIPE);
}

static void
proc_check_cmd(const struct proc_cmd *cmd)
{
	size_t	i, j;

	if (cmd->path == NULL || cmd->argv == NULL || cmd->argv[0] == NULL) {
		panic("proc_spawn: no path or no argv");
	}
	for (i = 0; i < 3; i++) {
		if ((unsigned int)cmd->io[i] > PROC_IO_STDOUT ||
		    (cmd->io[i] == PROC_IO_STDOUT && i != 2) ||
		    (cmd->io[i] == PROC_IO_FD && cmd->io_fd[i] < 0)) {
			panic("proc_spawn %s: bad io[%zu]", cmd->path, i);
		}
	}
	if (cmd->nfdmap > PROC_FDMAP_MAX ||
	    (cmd->nfdmap > 0 && cmd->fdmap == NULL)) {
		panic("proc_spawn %s: bad fd map", cmd->path);
	}
	for (i = 0; i < cmd->nfdmap; i++) {
		if (cmd->fdmap[i].from < 0 || cmd->fdmap[i].to < 3) {
			panic("proc_spawn %s: bad fd map entry %d -> %d",
			    cmd->path, cmd->fdmap[i].from, cmd->fdmap[i].to);
		}
		for (j = 0; j < i; j++) {
			if (cmd->fdmap[j].to == cmd->fdmap[i].to) {
				panic("proc_spawn %s: fd %d mapped twice",
				    cmd->path, cmd->fdmap[i].to);
			}
		}
	}
}

/* Tell the parent what failed, and end.  Async-signal-safe. */
static void
proc_child_fail(int report, enum proc_step step)
{
	int	msg[2];

	msg[0] = (int)step;
	msg[1] = errno;
	/* fd_write is a plain loop over write(2): safe here. */
	(void)fd_write(report, msg, sizeof(msg));
	_exit(127);
}

/*
 * The child between fork and execve: async-signal-safe calls only, and,
 * as it may share our memory (vfork), writes to its own stack only.
 */
static void
proc_child(const struct proc_cmd *cmd, const struct proc_plan *plan)
{
	struct sigaction	sa;
	struct proc_plan	own = *plan, *pl = &own;
	sigset_t		none;
	int			high[PROC_MAPS];
	int			report, fd, signo;
	size_t			i;

	/*
	 * Default actions, also for what we ignore (SIGPIPE): ignored
	 * signals stay ignored across execve, and a command in a shell
	 * pipeline relies on SIGPIPE.  Numbers that cannot be set (SIGKILL,
	 * the C library's internal ones) fail harmlessly.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (signo = 1; signo < NSIG; signo++) {
		(void)sigaction(signo, &sa, NULL);
	}
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	report = pl->report;
	if ((cmd->flags & PROC_SETSID) && setsid() == -1) {
		proc_child_fail(report, PROC_STEP_SETSID);
	}
	/* The report pipe must not be a target either. */
	if ((fd = fcntl(report, F_DUPFD_CLOEXEC, pl->lowest)) == -1) {
		proc_child_fail(report, PROC_STEP_DUP);
	}
	report = fd;
	if (fd > pl->bound) {
		pl->bound = fd;
	}
	for (i = 0; i < pl->n; i++) {
		if ((high[i] = fcntl(pl->src[i], F_DUPFD_CLOEXEC,
		    pl->lowest)) == -1) {
			proc_child_fail(report, PROC_STEP_DUP);
		}
		if (high[i] > pl->bound) {
			pl->bound = high[i];
		}
	}
	/* dup2 clears close-on-exec on the new descriptor. */
	for (i = 0; i < pl->n; i++) {
		if (dup2(high[i], pl->dst[i]) == -1) {
			proc_child_fail(report, PROC_STEP_DUP2);
		}
	}
	if (cmd->io[2] == PROC_IO_STDOUT && dup2(1, 2) == -1) {
		proc_child_fail(report, PROC_STEP_DUP2);
	}
	proc_close_all_but(pl->dst, pl->n, report, pl->bound);
	if (cmd->cwd != NULL && chdir(cmd->cwd) == -1) {
		proc_child_fail(report, PROC_STEP_CHDIR);
	}
	/*
	 * priv_drop_ids makes only system calls (setgroups, setresgid,
	 * setresuid and their getters) unless it fails, when it formats
	 * its message with vsnprintf; we are single-threaded, so that
	 * cannot meet a lock held at fork.  Last, so that chdir above
	 * still had our rights.
	 */
	if ((cmd->flags & PROC_SETID) &&
	    priv_drop_ids(cmd->uid, cmd->gid, NULL) == -1) {
		proc_child_fail(report, PROC_STEP_SETID);
	}
#ifdef __linux__
	if (cmd->flags & PROC_PARENT_DEATH) {
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != pl->parent) {
			_exit(0);
		}
	}
#endif
	execve(cmd->path, cmd->argv, cmd->envp);
	proc_child_fail(report, PROC_STEP_EXECVE);
}

/*
 * Make the child, which never returns from here (a vfork child must not
 * return from the function that called vfork); in the parent, the pid
 * or -1.  A function of its own, so that no variable of proc_spawn
 * lives across the vfork.
 */
static pid_t __attribute__((noinline))
proc_fork(const struct proc_cmd *cmd, const struct proc_plan *pl)
{
	pid_t	pid;

	pid = PROC_FORK();
	if (pid == 0) {
		proc_child(cmd, pl);
	}
	return pid;
}

int
proc_spawn(const struct proc_cmd *cmd, struct proc *p)
{
	static char *const	 no_env[1] = { NULL };
	struct proc_cmd		 c;
	struct proc_plan	 pl;
	sigset_t		 all, old;
	int			 pipes[3][2], report[2], msg[2];
	int			 nullfd = -1, saved, i, st;
	size_t			 k;
	ssize_t			 r;
	pid_t			 pid;

	p->pid = -1;
	p->fd[0] = p->fd[1] = p->fd[2] = -1;
	p->failed = NULL;
	proc_check_cmd(cmd);
	c = *cmd;
	if (c.envp == NULL) {
		c.envp = no_env;
	}
	if (strchr(c.path, '/') == NULL) {
		p->failed = "command path without '/'";
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < 3; i++) {
		pipes[i][0] = pipes[i][1] = -1;
	}
	report[0] = report[1] = -1;

	memset(&pl, 0, sizeof(pl));
	if (pipe2(report, O_CLOEXEC) == -1) {
		p->failed = "pipe";
		goto fail;
	}
	pl.lowest = report[0] > report[1] ? report[0] : report[1];
	for (i = 0; i < 3; i++) {
		switch (c.io[i]) {
		case PROC_IO_NULL:
			if (nullfd == -1 && (nullfd = open("/dev/null",
			    O_RDWR | O_CLOEXEC)) == -1) {
				p->failed = "open /dev/null";
				goto fail;
			}
			pl.src[pl.n] = nullfd;
			break;
		case PROC_IO_INHERIT:
			pl.src[pl.n] = i;
			break;
		case PROC_IO_PIPE:
			if (pipe2(pipes[i], O_CLOEXEC) == -1) {
				p->failed = "pipe";
				goto fail;
			}
			/* The child reads its stdin, writes the others. */
			pl.src[pl.n] = pipes[i][i == 0 ? 0 : 1];
			p->fd[i] = pipes[i][i == 0 ? 1 : 0];
			if (pipes[i][0] > pl.lowest) {
				pl.lowest = pipes[i][0];
			}
			if (pipes[i][1] > pl.lowest) {
				pl.lowest = pipes[i][1];
			}
			break;
		case PROC_IO_FD:
			pl.src[pl.n] = c.io_fd[i];
			break;
		case PROC_IO_STDOUT:
			continue;
		}
		pl.dst[pl.n++] = i;
	}
	for (k = 0; k < c.nfdmap; k++) {
		pl.src[pl.n] = c.fdmap[k].from;
		pl.dst[pl.n++] = c.fdmap[k].to;
	}
	for (k = 0; k < pl.n; k++) {
		if (pl.src[k] > pl.lowest) {
			pl.lowest = pl.src[k];
		}
		if (pl.dst[k] > pl.lowest) {
			pl.lowest = pl.dst[k];
		}
	}
	if (nullfd > pl.lowest) {
		pl.lowest = nullfd;
	}
	pl.lowest++;
	pl.report = report[1];
	pl.bound = proc_need_bound() ? proc_max_fd() : 0;
	pl.parent = getpid();

	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	pid = proc_fork(&c, &pl);
	saved = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		errno = saved;
		p->failed = "fork";
		goto fail;
	}

	/* The child's ends are the child's now. */
	(void)close(report[1]);
	report[1] = -1;
	if (nullfd != -1) {
		(void)close(nullfd);
		nullfd = -1;
	}
	for (i = 0; i < 3; i++) {
		if (pipes[i][0] != -1) {
			(void)close(pipes[i][i == 0 ? 0 : 1]);
		}
	}

	r = fd_read(report[0], msg, sizeof(msg));
	saved = errno;
	(void)close(report[0]);
	if (r == 0) {
		p->pid = pid;
		return 0;
	}
	if (r == (ssize_t)sizeof(msg) && msg[0] >= 0 &&
	    msg[0] < PROC_STEP_COUNT) {
		p->failed = proc_step_names[msg[0]];
		saved = msg[1];
	} else {
		/* We cannot tell whether it started: make sure it did not. */
		p->failed = "read start report";
		if (r != -1) {
			saved = EIO;
		}
		(void)kill(pid, SIGKILL);
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR) {
		continue;
	}
	proc_close(p);
	errno = saved;
	return -1;

fail:
	saved = errno;
	for (i = 0; i < 3; i++) {
		if (pipes[i][0] != -1) {
			(void)close(pipes[i][0]);
			(void)close(pipes[i][1]);
		}
		p->fd[i] = -1;
	}
	if (report[0] != -1) {
		(void)close(report[0]);
		(void)close(report[1]);
	}
	if (nullfd != -1) {
		(void)close(nullfd);
	}
	errno = saved;
	return -1;
}

void
proc_close(struct proc *p)
{
	int	i;

	for (i = 0; i < 3; i++) {
		if (p->fd[i] != -1) {
			(void)close(p->fd[i]);
			p->fd[i] = -1;
		}
	}
}

int
proc_wait(pid_t pid, int *status, long long deadline)
{
	struct timespec	ts;
	pid_t		r;
	int		st, left, delay = 1;

	if (pid <= 0) {
		panic("proc_wait: pid %ld", (long)pid);
	}
	for (;;) {
		r = waitpid(pid, &st, deadline == -1 ? 0 : WNOHANG);
		if (r == pid) {
			if (status != NULL) {
				*status = st;
			}
			return 0;
		}
		if (r == -1) {
			if (errno == EINTR) {
				continue;
			}
			return -1;
		}
		if ((left = clock_left(deadline)) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		/* XXX: polls; a pidfd would avoid it, but is Linux only. */
		if (delay > left) {
			delay = left;
		}
		ts.tv_sec = delay / 1000;
		ts.tv_nsec = (long)(delay % 1000) * 1000000L;
		(void)nanosleep(&ts, NULL);
		if (delay < 64) {
			delay *= 2;
		}
	}
}

int
proc_reap(pid_t *pid, int *status)
{
	pid_t	r;
	int	st;

	do {
		r = waitpid(-1, &st, WNOHANG);
	} while (r == -1 && errno == EINTR);
	if (r == -1) {
		return errno == ECHILD ? 0 : -1;
	}
	if (r == 0) {
		return 0;
	}
	*pid = r;
	if (status != NULL) {
		*status = st;
	}
	return 1;
}

const char *
proc_status_text(int status, char *buf, size_t size)
{
	const char	*name, *core = "";
	int		 n, signo;

	if (WIFEXITED(status)) {
		n = snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status) || WIFSTOPPED(status)) {
		if (WIFSIGNALED(status)) {
			signo = WTERMSIG(status);
#ifdef WCOREDUMP
			if (WCOREDUMP(status)) {
				core = ", core dumped";
			}
#endif
		} else {
			signo = WSTOPSIG(status);
		}
		name = sig_name(signo);
		n = snprintf(buf, size, "%s by signal %d%s%s%s%s",
		    WIFSIGNALED(status) ? "killed" : "stopped", signo,
		    name != NULL ? " (" : "", name != NULL ? name : "",
		    name != NULL ? ")" : "", core);
	} else {
		n = snprintf(buf, size, "unknown status %#x",
		    (unsigned int)status);
	}
	if (n < 0 || (size_t)n >= size) {
		panic("proc_status_text: buffer of %zu bytes too small", size);
	}
	return buf;
}

/* The entry "name=..." of env and its index, or NULL. */
static const char *
proc_env_find(const struct proc_env *env, const char *name, size_t *index)
{
	size_t	i, len = strlen(name);

	for (i = 0; i < env->n; i++) {
		if (strncmp(env->v[i], name, len) == 0 &&
		    env->v[i][len] == '=') {
			*index = i;
			return env->v[i];
		}
	}
	return NULL;
}

int
proc_env_set(struct proc_env *env, const char *name, const char *value)
{
	struct str	s = STR_INIT;
	size_t		i;

	if (*name == '\0' || strchr(name, '=') != NULL) {
		errno = EINVAL;
		return -1;
	}
	if (proc_env_find(env, name, &i) == NULL && env->n >= PROC_ENV_MAX) {
		errno = E2BIG;
		return -1;
	}
	str_cat(&s, name);
	str_cat_char(&s, '=');
	str_cat(&s, value);
	if (proc_env_find(env, name, &i) != NULL) {
		free(env->v[i]);
		env->v[i] = str_take(&s);
		return 0;
	}
	if (env->n + 2 > env->cap) {
		env->cap = env->cap == 0 ? 8 : env->cap * 2;
		env->v = xreallocarray(env->v, env->cap, sizeof(env->v[0]));
	}
	env->v[env->n++] = str_take(&s);
	env->v[env->n] = NULL;
	return 0;
}

int
proc_env_import(struct proc_env *env, const char *name)
{
	const char	*value;

	if (*name == '\0' || strchr(name, '=') != NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((value = getenv(name)) == NULL) {
		return 0;
	}
	return proc_env_set(env, name, value);
}

int
proc_env_default(struct proc_env *env)
{
	if (proc_env_set(env, "PATH", "/usr/bin:/bin") == -1 ||
	    proc_env_set(env, "SHELL", "/bin/sh") == -1) {
		return -1;
	}
	return 0;
}

char *const *
proc_env_vector(const struct proc_env *env)
{
	static char *const	empty[1] = { NULL };

	return env->n == 0 ? empty : env->v;
}

void
proc_env_free(struct proc_env *env)
{
	size_t	i;

	for (i = 0; i < env->n; i++) {
		free(env->v[i]);
	}
	free(env->v);
	env->v = NULL;
	env->n = env->cap = 0;
}

int
proc_fsize_limit(unsigned long long limit, struct proc_fsize *f)
{
	struct rlimit	rl;

	f->lowered = false;
	if (getrlimit(RLIMIT_FSIZE, &f->saved) == -1) {
		return -1;
	}
	if (limit == 0 || (rlim_t)limit >= f->saved.rlim_cur) {
		return 0;
	}
	rl = f->saved;
	rl.rlim_cur = (rlim_t)limit;
	if (setrlimit(RLIMIT_FSIZE, &rl) == -1) {
		return -1;
	}
	f->lowered = true;
	return 0;
}

void
proc_fsize_restore(const struct proc_fsize *f)
{
	if (f->lowered && setrlimit(RLIMIT_FSIZE, &f->saved) == -1) {
		fatal(EX_OSERR, "setrlimit: restore the file size limit");
	}
}
