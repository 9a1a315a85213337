/* SPDX-License-Identifier: ISC */
/*
 * proc.h: process hygiene, running commands and reaping them.
 *
 * proc_init gives a program a known start: umask 077, descriptors 0, 1 and
 * 2 open, nothing else inherited, SIGPIPE ignored.  proc_spawn runs one
 * command with fork(2) and execve(2): an explicit argv and a built
 * environment, no shell and no PATH search, descriptors 0, 1 and 2 set up
 * as asked (the default is /dev/null), a few more descriptors passed at
 * chosen numbers and every other descriptor closed.  Between fork and
 * execve the child makes only async-signal-safe calls.  A child that cannot
 * be started (execve or its set-up failed) is reaped by proc_spawn, which
 * returns -1 with the child's errno: the caller never sees a command that
 * "exited 127" for a missing program.  proc_wait and proc_reap collect
 * exit statuses; proc_status_text words them for log lines.
 *
 * Failures are -1 with errno; inconsistent requests (a NULL argv, an fd
 * map onto 0, 1 or 2) are caller bugs and panic.  Allocation failure is
 * fatal (EX_TEMPFAIL), as everywhere.
 */
#ifndef POSTLET_PROC_H
#define POSTLET_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

/*
 * Start-up hygiene, called first in main (before log_open with a
 * maillog_file and before sig_catch, whose descriptors it would close):
 * sets umask(077); opens /dev/null on any of descriptors 0, 1, 2 that is
 * closed, so that a later open(2) never becomes standard output by
 * accident; closes every descriptor from keep_fds up (keep_fds is the
 * number of descriptors the program's protocol promises to receive, 3 for
 * most; values below 3 count as 3); ignores SIGPIPE, so that a write to a
 * closed pipe or socket is an EPIPE error where it happens.  Returns 0, or
 * -1 with errno when /dev/null cannot be opened or SIGPIPE not ignored.
 */
int	proc_init(int keep_fds);

/* What descriptor 0, 1 or 2 of a child is. */
enum proc_io {
	PROC_IO_NULL = 0,	/* /dev/null, read-write (the default) */
	PROC_IO_INHERIT,	/* the same descriptor as in the caller */
	/* a new pipe to the caller: struct proc fd[] */
	PROC_IO_PIPE,
	PROC_IO_FD,		/* the caller's descriptor io_fd[] */
	/* for stderr only: the child's stdout (2>&1) */
	PROC_IO_STDOUT
};

/* One more descriptor for the child: our from becomes its to (>= 3). */
struct proc_fdmap {
	int	from;
	int	to;
};

/* At most this many proc_fdmap entries per command. */
#define PROC_FDMAP_MAX	8

/* proc_cmd flags: the child starts a new session (setsid(2)), so that a
 * time limit can kill(2) the whole process group with -pid. */
#define PROC_SETSID	0x01
/*
 * The child takes the identity uid/gid (priv_drop_ids(3), no chroot) just
 * before execve(2), after its descriptors are in place: master starts
 * its daemons as mail_owner this way.  A no-op when we are not root, as
 * priv_drop_ids is; a failure is reported as the step "priv_drop".
 */
#define PROC_SETID	0x02
/*
 * The child ends with SIGTERM when the parent dies (Linux's
 * PR_SET_PDEATHSIG, set after the identity change, which clears it; a
 * parent already gone by then ends the child at once): master starts its
 * daemons and per-connection servers this way, so that a killed master
 * leaves no orphan qmgr or pickup behind to run beside the next one.
 * Elsewhere a no-op.
 */
#define PROC_PARENT_DEATH	0x04

/*
 * What to run.  Every pointer is borrowed for the duration of proc_spawn.
 * A zero-initialised struct gives /dev/null on 0, 1 and 2, no more
 * descriptors, the caller's working directory and an empty environment.
 */
struct proc_cmd {
	/* with a '/': no PATH search */
	const char		*path;
	/* argv[0] first, NULL-terminated */
	char *const		*argv;
	/* the whole environment; NULL: empty */
	char *const		*envp;
	/* working directory; NULL: unchanged */
	const char		*cwd;
	/* child's stdin, stdout, stderr */
	enum proc_io		 io[3];
	/* for PROC_IO_FD */
	int			 io_fd[3];
	/* nfdmap entries; distinct to */
	const struct proc_fdmap	*fdmap;
	size_t			 nfdmap;
	/* PROC_SETSID, PROC_SETID, PROC_PARENT_DEATH */
	int			 flags;
	/* for PROC_SETID */
	uid_t			 uid;
	gid_t			 gid;
};

/*
 * A running child.  fd[0] writes to its stdin, fd[1] and fd[2] read its
 * stdout and stderr, for each PROC_IO_PIPE; the others are -1.  These
 * descriptors belong to the caller, who closes them (proc_close); they
 * are close-on-exec and blocking.  The caller must also collect pid with
 * proc_wait or proc_reap.  failed names the step that went wrong when
 * proc_spawn returned -1 ("execve", "chdir", "fork", ...), for a log
 * line such as "%s %s: %s", failed, path, strerror(errno); NULL otherwise.
 */
struct proc {
	pid_t		 pid;
	int		 fd[3];
	const char	*failed;
};

/*
 * Run cmd.  Returns 0 with p filled in, or -1 with errno and p->failed:
 * EINVAL (and failed "command path without '/'") when cmd->path has no
 * '/'; otherwise the errno of the failing pipe2(2), open(2) of /dev/null,
 * fork(2), or, in the child, setsid(2), fcntl(2)/dup2(2), chdir(2) or
 * execve(2) (ENOENT for a missing program, EACCES for one that is not
 * executable).  On failure nothing is left open and no child is left
 * unreaped.  The descriptors named by io_fd and fdmap stay the caller's
 * and stay open; the child gets copies without close-on-exec.  Every
 * other descriptor is closed in the child, and every signal has its
 * default action and is unblocked there.  Panics on a malformed cmd: NULL
 * path or argv, empty argv, an io[] value out of range, PROC_IO_STDOUT
 * other than for io[2], a negative io_fd or from, a to below 3 or twice,
 * more than PROC_FDMAP_MAX entries.
 */
int	proc_spawn(const struct proc_cmd *cmd, struct proc *p);

/* Close p's descriptors that are open and set them to -1. */
void	proc_close(struct proc *p);

/*
 * Wait for child pid to end, until deadline (a clock_ms() value; -1 for
 * none; one that has passed means "check once").  Returns 0 with its
 * wait status in *status (status may be NULL), or -1 with errno:
 * ETIMEDOUT when it still runs at the deadline, ECHILD when pid is not
 * our child.  EINTR is retried, so a caller that must react to signals
 * while waiting uses a deadline or sig_catch(SIGCHLD) and proc_reap.
 * With a deadline the wait polls (first every millisecond, backing off to
 * every 64 ms).  Panics when pid <= 0.
 */
int	proc_wait(pid_t pid, int *status, long long deadline);

/*
 * Collect any one child that has ended, without blocking (for a SIGCHLD
 * loop).  Returns 1 with *pid and *status (status may be NULL), 0 when no
 * child has ended (or there are no children), -1 with errno on error.
 */
int	proc_reap(pid_t *pid, int *status);

/* A buffer of this size always holds proc_status_text's result. */
#define PROC_STATUS_MAX	64

/*
 * Word a wait status for a log line, into buf, and return buf:
 * "exit status 75", "killed by signal 9 (SIGKILL)", with ", core dumped"
 * when there is a core, "stopped by signal 19 (SIGSTOP)", or
 * "unknown status 0x1234".  A buffer that is too short for the text is a
 * caller bug (panic); PROC_STATUS_MAX bytes are always enough.
 */
const char *proc_status_text(int status, char *buf, size_t size);

/*
 * An environment for a command, built from name=value pairs (the clean
 * environment of Postfix's local and pipe: nothing of ours leaks unless
 * the caller imports it).  Variables keep the order in which they were
 * first set.  PROC_ENV_INIT is empty; proc_env_free releases everything.
 */
struct proc_env {
	char	**v;	/* "NAME=value", NULL-terminated once n > 0 */
	size_t	  n;
	size_t	  cap;
};
#define PROC_ENV_INIT	{ NULL, 0, 0 }

/*
 * Set name to value (copied), replacing an earlier value of name.
 * Returns 0, or -1 with errno EINVAL for an empty name or one that holds
 * '=', E2BIG when the environment already has PROC_ENV_MAX variables.
 */
int	proc_env_set(struct proc_env *, const char *name, const char *value);

/*
 * Copy name from our own environment when it is set there (for Postfix's
 * export_environment: TZ, LANG, MAIL_CONFIG).  Returns 0 (also when name
 * is not set), or -1 as proc_env_set.
 */
int	proc_env_import(struct proc_env *, const char *name);

/*
 * Set PATH=/usr/bin:/bin and SHELL=/bin/sh; the caller adds HOME, USER,
 * LOGNAME and the like.  Returns 0, or -1 as proc_env_set.
 */
int	proc_env_default(struct proc_env *);

/*
 * The environment as execve(2) wants it, for proc_cmd.envp: borrowed,
 * valid until the next change to env.  Never NULL.
 */
char *const *proc_env_vector(const struct proc_env *env);

void	proc_env_free(struct proc_env *);

/*
 * For a delivery this process writes itself (local's and virtual's
 * mailboxes): proc_fsize_limit makes limit the soft file size limit when
 * it is lower (0: none), so that a write past it fails with EFBIG (the
 * caller ignores SIGXFSZ), and proc_fsize_restore puts the old one back
 * afterwards, so that the process's other writes are not held to it
 * (meanwhile they are: a line logged during the delivery to a
 * maillog_file larger than the limit is lost, as it was in the delivery
 * child before).  proc_fsize_limit returns 0, or -1 with errno;
 * proc_fsize_restore is fatal when it fails (raising the soft limit back
 * up to the hard one cannot).
 */
struct proc_fsize {
	struct rlimit	saved;
	bool		lowered;
};
int	proc_fsize_limit(unsigned long long limit, struct proc_fsize *f);
void	proc_fsize_restore(const struct proc_fsize *f);

#endif
