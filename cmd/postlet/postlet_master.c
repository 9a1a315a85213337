/* SPDX-License-Identifier: ISC */
/*
 * postlet_master.c: the commands that start and stop the mail system,
 * as Postfix's postfix(1) does:
 *
 *	postlet start		check the configuration, run master as a
 *				daemon, wait until it runs
 *	postlet start-fg	the same, but become master (-d) in the
 *				foreground, for supervisors and containers
 *	postlet stop		SIGTERM to master, wait until it is gone
 *	postlet status		say whether master runs, and its pid
 *	postlet reload		SIGHUP to master
 *
 * "Running" means: queue_directory/pid/master.pid exists and is locked
 * (master holds an exclusive flock(2) on it for its lifetime).  A pid
 * file without the lock was left by a crash and means "not running",
 * whatever process may now have its pid.  Every wait is bounded.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "fd.h"
#include "log.h"
#include "pidfile.h"
#include "postlet.h"
#include "proc.h"
#include "str.h"

/* How long start waits for master.pid, and stop for master's end. */
#define START_WAIT_MS	10000
#define STOP_WAIT_MS	30000

static void	master_sleep(int);
static void	master_config_abs(struct str *);
static void	master_argv(struct str *, bool, char **);
static int	master_start(bool);
static int	master_stop(void);
static int	master_signal(int, const char *, pid_t *);

int
postlet_master_running(pid_t *pid)
{
	struct str	path = STR_INIT;
	int		rc;

	str_catf(&path, "%s/pid/master.pid", conf_value("queue_directory"));
	if ((rc = pidfile_locked(path.s, pid)) == -1) {
		log_warn("%s", path.s);
	}
	str_free(&path);
	return rc;
}

static void
master_sleep(int ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

/* The configuration directory as an absolute path, for master -c. */
static void
master_config_abs(struct str *dir)
{
	char	cwd[4096];

	str_clear(dir);
	if (postlet_config_dir[0] != '/' &&
	    getcwd(cwd, sizeof(cwd)) != NULL) {
		str_catf(dir, "%s/", cwd);
	}
	str_cat(dir, postlet_config_dir);
}

/* argv for master: [0] path's name, -c dir, (-d), NULL; into av[5]. */
static void
master_argv(struct str *dir, bool foreground, char **av)
{
	/* writable arrays: execve's argv is char *const [] */
	static char	arg0[] = "master", opt_c[] = "-c", opt_d[] = "-d";
	size_t		n = 0;

	av[n++] = arg0;
	av[n++] = opt_c;
	av[n++] = dir->s;
	if (foreground) {
		av[n++] = opt_d;
	}
	av[n] = NULL;
}

static int
master_start(bool foreground)
{
	struct proc_env	 env = PROC_ENV_INIT;
	struct proc_cmd	 cmd;
	struct proc	 p;
	struct str	 path = STR_INIT, dir = STR_INIT;
	char		*av[5];
	char		 text[PROC_STATUS_MAX];
	const char	*name = conf_value("mail_name");
	long long	 deadline;
	pid_t		 pid;
	int		 st, nerr, rc;

	if ((rc = postlet_master_running(&pid)) == 1) {
		log_error("the %s mail system is already running", name);
		return 1;
	}
	if (rc == -1) {
		return EX_TEMPFAIL;
	}
	if ((nerr = postlet_check_config()) > 0) {
		log_error("%d error%s in the configuration: not starting",
		    nerr, nerr == 1 ? "" : "s");
		return EX_CONFIG;
	}
	str_catf(&path, "%s/master", conf_value("daemon_directory"));
	master_config_abs(&dir);
	master_argv(&dir, foreground, av);
	if (proc_env_default(&env) == -1 ||
	    proc_env_import(&env, "TZ") == -1) {
		log_warn("environment");
	}
	/* Only to the log: a successful start prints nothing. */
	log_also_stderr(false);
	log_info("starting the %s mail system", name);
	log_also_stderr(true);
	if (foreground) {
		/* Become master: a supervisor's child stays its child. */
		execve(path.s, av, proc_env_vector(&env));
		log_warn("execve %s", path.s);
		str_free(&path);
		str_free(&dir);
		proc_env_free(&env);
		return EX_OSERR;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = path.s;
	cmd.argv = av;
	cmd.envp = proc_env_vector(&env);
	cmd.io[0] = PROC_IO_NULL;
	/* master reports start-up problems on stderr before detaching */
	cmd.io[1] = PROC_IO_INHERIT;
	cmd.io[2] = PROC_IO_INHERIT;
	rc = proc_spawn(&cmd, &p);
	proc_env_free(&env);
	if (rc == -1) {
		log_warn("%s %s", p.failed, path.s);
		str_free(&path);
		str_free(&dir);
		return EX_OSERR;
	}
	/* master's first process exits once the daemon holds the lock. */
	if (proc_wait(p.pid, &st, clock_deadline(START_WAIT_MS)) == -1) {
		log_warn("wait for %s", path.s);
		str_free(&path);
		str_free(&dir);
		return EX_TEMPFAIL;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		log_error("%s: %s", path.s,
		    proc_status_text(st, text, sizeof(text)));
		str_free(&path);
		str_free(&dir);
		return WIFEXITED(st) && WEXITSTATUS(st) == EX_TEMPFAIL ? 1 :
		    EX_TEMPFAIL;
	}
	str_free(&path);
	str_free(&dir);
	deadline = clock_deadline(START_WAIT_MS);
	while ((rc = postlet_master_running(&pid)) != 1 || pid == 0) {
		if (rc == -1 || clock_left(deadline) == 0) {
			log_error("the %s mail system did not start: see the "
			    "log", name);
			return EX_TEMPFAIL;
		}
		master_sleep(50);
	}
	return 0;
}

/*
 * Send signo to a running master (what is a verb for the log); its pid
 * into *pidp.  Returns the exit status for the command.
 */
static int
master_signal(int signo, const char *what, pid_t *pidp)
{
	const char	*name = conf_value("mail_name");
	pid_t		 pid;
	int		 rc;

	*pidp = 0;
	if ((rc = postlet_master_running(&pid)) == -1) {
		return EX_TEMPFAIL;
	}
	if (rc == 0 || pid == 0) {
		log_error("the %s mail system is not running", name);
		return 1;
	}
	log_info("%s the %s mail system", what, name);
	*pidp = pid;
	if (kill(pid, signo) == -1) {
		log_warn("kill %ld", (long)pid);
		return errno == EPERM ? EX_NOPERM : EX_TEMPFAIL;
	}
	return 0;
}

static int
master_stop(void)
{
	long long	deadline;
	pid_t		pid, first;
	int		rc;

	if ((rc = master_signal(SIGTERM, "stopping", &first)) != 0) {
		return rc;
	}
	deadline = clock_deadline(STOP_WAIT_MS);
	while ((rc = postlet_master_running(&pid)) == 1) {
		if (clock_left(deadline) == 0) {
			log_error("the %s mail system did not stop within %d "
			    "seconds", conf_value("mail_name"),
			    STOP_WAIT_MS / 1000);
			return EX_TEMPFAIL;
		}
		master_sleep(50);
	}
	if (rc != 0) {
		return EX_TEMPFAIL;
	}
	/*
	 * The lock goes with master's last close, a moment before its
	 * exit.  Wait a little for the process too, but not for long: a
	 * container's init may never reap it, and a zombie still "exists".
	 */
	deadline = clock_deadline(1000);
	while (kill(first, 0) == 0 && clock_left(deadline) > 0) {
		master_sleep(10);
	}
	return 0;
}

int
postlet_master(int argc, char *argv[])
{
	const char	*cmd = argv[0];
	pid_t		 pid;
	int		 ch, rc;

	while ((ch = getopt(argc, argv, "")) != -1) {
		log_error("usage: postlet %s", cmd);
		return EX_USAGE;
	}
	if (argc != optind) {
		log_error("usage: postlet %s", cmd);
		return EX_USAGE;
	}
	if (strcmp(cmd, "start") == 0) {
		return master_start(false);
	}
	if (strcmp(cmd, "start-fg") == 0) {
		return master_start(true);
	}
	if (strcmp(cmd, "stop") == 0) {
		return master_stop();
	}
	if (strcmp(cmd, "reload") == 0) {
		return master_signal(SIGHUP, "refreshing", &pid);
	}
	/* status */
	if ((rc = postlet_master_running(&pid)) == -1) {
		return EX_TEMPFAIL;
	}
	if (rc == 1) {
		log_info("the %s mail system is running: PID: %ld",
		    conf_value("mail_name"), (long)pid);
		return 0;
	}
	log_info("the %s mail system is not running",
	    conf_value("mail_name"));
	return 1;
}
