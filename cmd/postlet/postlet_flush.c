/* SPDX-License-Identifier: ISC */
/*
 * postlet_flush.c: `postlet flush [-i]', Postfix's postqueue -f: deliver
 * what is queued now.
 *
 * Without -i every message in deferred/ becomes due at once: its
 * modification time, which is its next attempt time, is set to now.
 * Then, when master runs (master.pid is locked), qmgr is woken with a
 * "scan all" request and we are done: the daemons deliver.  When no
 * master runs (daemonless mode), we run the one-shot passes ourselves,
 * in the foreground: "$daemon_directory/pickup -c DIR -x" (maildrop/ to
 * incoming/), then "$daemon_directory/qmgr -c DIR -x" (everything due),
 * and exit with their combined status.  sendmail runs `postlet flush -i'
 * in the background after each submission when no master runs; -i leaves
 * deferred mail's retry times alone.
 *
 * Two one-shot passes must never run at once (the second qmgr would take
 * the first one's active/ files for a crash's leftovers and deliver them
 * twice), and a burst of submissions should not start a pass each.  So a
 * pass holds an exclusive flock(2) on the directory active/ while it
 * runs, and at most one more process waits for it, holding the lock on
 * incoming/: a third finds the waiting slot taken and exits at once, as
 * the waiter's pass starts after its file was queued and will take it.
 * The waiter's wait is bounded (FLUSH_LOCK_WAIT_MS).
 *
 * Only root and the owner of the queue (mail_owner; in non-root mode the
 * user the instance runs as) may do this: the queue directories and the
 * FIFOs are theirs.  As root, pickup and qmgr drop privileges themselves.
 * Anyone else gets Postfix's postqueue -f through the setgid postdrop:
 * "postdrop -f" asks a running master's qmgr to deliver everything
 * deferred now (the byte 'F' on public/qmgr) and wakes pickup, or says
 * that the mail system is down (exit 69); -i changes nothing there.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "postlet.h"
#include "priv.h"
#include "proc.h"
#include "qfile.h"
#include "str.h"
#include "wake.h"

/* How long a pass waits for the one before it. */
#define FLUSH_LOCK_WAIT_MS	(600 * 1000)

static int	flush_allowed(const char *);
static int	flush_deferred(const char *);
static int	flush_lock(const char *, const char *, bool);
static int	flush_run(const char *, const char *);
static int	flush_passes(const char *);

/*
 * Whether we may touch the queue: root, or the owner of incoming/.
 * Returns 0, or -1 (logged).
 */
static int
flush_allowed(const char *queue_dir)
{
	struct str	path = STR_INIT;
	struct stat	st;
	int		rc = 0;

	if (priv_is_root()) {
		return 0;
	}
	str_catf(&path, "%s/%s", queue_dir, QFILE_INCOMING);
	if (stat(path.s, &st) == -1) {
		log_warn("%s", path.s);
		rc = -1;
	} else if (st.st_uid != geteuid()) {
		log_error("flush: only root and the queue's owner (uid %lu) "
		    "may flush the queue", (unsigned long)st.st_uid);
		rc = -1;
	}
	str_free(&path);
	return rc;
}

/*
 * Set the modification time of every queue file in deferred/ to now.
 * A file that vanished meanwhile (qmgr moved it) is fine.  Returns the
 * number of files made due, or -1 (logged) when deferred/ cannot be read.
 */
static int
flush_deferred(const char *queue_dir)
{
	/* access time untouched, modification time now */
	static const struct timespec	times[2] = {
		{ 0, UTIME_OMIT }, { 0, UTIME_NOW }
	};
	struct str	 path = STR_INIT;
	struct dirent	*de;
	DIR		*dir;
	int		 fd, n = 0;

	str_catf(&path, "%s/%s", queue_dir, QFILE_DEFERRED);
	fd = open(path.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || (dir = fdopendir(fd)) == NULL) {
		log_warn("open %s", path.s);
		if (fd != -1) {
			(void)close(fd);
		}
		str_free(&path);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!qid_valid(de->d_name)) {
			continue;
		}
		if (utimensat(fd, de->d_name, times,
		    AT_SYMLINK_NOFOLLOW) == 0) {
			n++;
		} else if (errno != ENOENT) {
			log_warn("utimensat %s/%s", path.s, de->d_name);
		}
	}
	(void)closedir(dir);
	str_free(&path);
	return n;
}

/*
 * Lock queue_dir/name exclusively; with wait, until FLUSH_LOCK_WAIT_MS
 * has passed.  Returns the descriptor that holds the lock, -2 when
 * someone else holds it (after the wait), or -1 (logged).
 */
static int
flush_lock(const char *queue_dir, const char *name, bool wait)
{
	struct str	path = STR_INIT;
	struct timespec	pause = { 0, 100 * 1000 * 1000 };
	long long	deadline = clock_deadline(FLUSH_LOCK_WAIT_MS);
	int		fd;

	str_catf(&path, "%s/%s", queue_dir, name);
	fd = open(path.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		log_warn("open %s", path.s);
		str_free(&path);
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			log_warn("lock %s", path.s);
			(void)close(fd);
			fd = -1;
			break;
		}
		if (!wait || clock_left(deadline) == 0) {
			(void)close(fd);
			fd = -2;
			break;
		}
		(void)nanosleep(&pause, NULL);
	}
	str_free(&path);
	return fd;
}

/*
 * Run "$daemon_directory/program -c config_dir -x" and wait for it.
 * Returns its exit status, EX_TEMPFAIL for a signal, EX_OSERR when it
 * cannot be run (logged).  The programs bound their own work (ipc_timeout
 * for every agent and cleanup), so the wait is not.
 */
static int
flush_run(const char *program, const char *config_dir)
{
	struct proc_env	 env = PROC_ENV_INIT;
	struct proc_cmd	 cmd;
	struct proc	 p;
	struct str	 path = STR_INIT, arg0 = STR_INIT, dir = STR_INIT;
	struct str	 opt_c = STR_INIT, opt_x = STR_INIT;
	char		*av[5];
	char		 text[PROC_STATUS_MAX];
	int		 st, rc;

	str_catf(&path, "%s/%s", conf_value("daemon_directory"), program);
	/* writable copies: execve's argv is char *const [] */
	str_set(&arg0, program);
	str_set(&opt_c, "-c");
	str_set(&dir, config_dir);
	str_set(&opt_x, "-x");
	av[0] = arg0.s;
	av[1] = opt_c.s;
	av[2] = dir.s;
	av[3] = opt_x.s;
	av[4] = NULL;
	if (proc_env_default(&env) == -1 ||
	    proc_env_import(&env, "TZ") == -1) {
		log_warn("environment");
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = path.s;
	cmd.argv = av;
	cmd.envp = proc_env_vector(&env);
	/* their complaints before log_open reach whoever runs us */
	cmd.io[0] = PROC_IO_NULL;
	cmd.io[1] = PROC_IO_INHERIT;
	cmd.io[2] = PROC_IO_INHERIT;
	if (proc_spawn(&cmd, &p) == -1) {
		log_warn("%s %s", p.failed, path.s);
		rc = EX_OSERR;
	} else if (proc_wait(p.pid, &st, -1) == -1) {
		log_warn("wait for %s", path.s);
		rc = EX_OSERR;
	} else if (WIFEXITED(st)) {
		rc = WEXITSTATUS(st);
		if (rc != 0) {
			log_warnx("%s: %s", path.s,
			    proc_status_text(st, text, sizeof(text)));
		}
	} else {
		log_warnx("%s: %s", path.s,
		    proc_status_text(st, text, sizeof(text)));
		rc = EX_TEMPFAIL;
	}
	proc_env_free(&env);
	str_free(&path);
	str_free(&arg0);
	str_free(&opt_c);
	str_free(&dir);
	str_free(&opt_x);
	return rc;
}

/*
 * The daemonless delivery: pickup -x, then qmgr -x, one at a time (see
 * above).  Returns 0, the first failing program's status, or EX_TEMPFAIL
 * when the lock could not be had.
 */
static int
flush_passes(const char *queue_dir)
{
	int	waiting, running, rc, rc2;

	waiting = flush_lock(queue_dir, QFILE_INCOMING, false);
	if (waiting == -2) {
		log_debug("flush: a pass is already waiting to run");
		return 0;
	}
	if (waiting == -1) {
		return EX_TEMPFAIL;
	}
	running = flush_lock(queue_dir, QFILE_ACTIVE, true);
	/* the slot is free for the next one as soon as we run */
	(void)close(waiting);
	if (running < 0) {
		if (running == -2) {
			log_warnx("flush: another delivery pass still runs "
			    "after %d seconds: giving up",
			    FLUSH_LOCK_WAIT_MS / 1000);
		}
		return EX_TEMPFAIL;
	}
	rc = flush_run("pickup", postlet_config_dir);
	/* qmgr also delivers what an earlier pickup left in incoming/ */
	rc2 = flush_run("qmgr", postlet_config_dir);
	(void)close(running);
	return rc != 0 ? rc : rc2;
}

int
postlet_flush(int argc, char *argv[])
{
	const char	*queue_dir = conf_value("queue_directory");
	bool		 incoming_only = false;
	pid_t		 pid;
	int		 ch, rc, n;

	while ((ch = getopt(argc, argv, "i")) != -1) {
		switch (ch) {
		case 'i':
			incoming_only = true;
			break;
		default:
			log_error("usage: postlet flush [-i]");
			return EX_USAGE;
		}
	}
	if (argc != optind) {
		log_error("usage: postlet flush [-i]");
		return EX_USAGE;
	}
	if (!postlet_queue_owner(queue_dir)) {
		postlet_exec_postdrop("-f", NULL);
	}
	if (flush_allowed(queue_dir) == -1) {
		return EX_NOPERM;
	}
	if (!incoming_only) {
		if ((n = flush_deferred(queue_dir)) == -1) {
			return EX_TEMPFAIL;
		}
		log_debug("flush: %d deferred message%s due now", n,
		    n == 1 ? "" : "s");
	}
	if ((rc = postlet_master_running(&pid)) == -1) {
		return EX_TEMPFAIL;
	}
	if (rc == 1) {
		/* pickup first: a hand-off that failed waits in maildrop/
		 * for its next scan.  Not being able to wake it only
		 * delays. */
		if (wake_up(queue_dir, "pickup") == -1) {
			log_warn("wake pickup");
		}
		if (wake_up_with(queue_dir, "qmgr", incoming_only ?
		    WAKE_REQ_WAKEUP : WAKE_REQ_SCAN_ALL) == -1) {
			log_warn("wake qmgr");
			return EX_TEMPFAIL;
		}
		return 0;
	}
	return flush_passes(queue_dir);
}
