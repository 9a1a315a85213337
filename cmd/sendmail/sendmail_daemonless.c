/* SPDX-License-Identifier: ISC */
/*
 * sendmail_daemonless.c: delivery without master (docs/sendmail.1,
 * DAEMONLESS MODE).  After postdrop accepted a message, when no master
 * runs on the queue (master.pid is not locked) and we may run the queue
 * ourselves (as root, or as the queue's owner), sendmail starts
 * "$command_directory/postlet [-c DIR] flush -i" in the background: a
 * new session, /dev/null on its standard descriptors, the root directory
 * as its working directory, a clean environment, and nobody waits for
 * it.  That command is the one place that knows how to deliver without
 * master (postlet_flush.c: pickup -x, then qmgr -x, one pass at a time).
 *
 * Nothing here changes sendmail's exit status: the message is already
 * safe in maildrop/, and when the background delivery cannot start it
 * waits there for master or the next `postlet flush'.  Problems are
 * logged, never fatal.
 */
#include <sys/stat.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "pidfile.h"
#include "priv.h"
#include "proc.h"
#include "qfile.h"
#include "sendmail.h"
#include "str.h"

/*
 * Whether this process may run the queue: incoming/ exists (the queue is
 * set up), and we are root or its owner.
 */
static bool	daemonless_allowed(const char *);

static bool
daemonless_allowed(const char *queue_dir)
{
	struct str	path = STR_INIT;
	struct stat	st;
	bool		yes;

	str_catf(&path, "%s/%s", queue_dir, QFILE_INCOMING);
	yes = stat(path.s, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (priv_is_root() || st.st_uid == geteuid());
	str_free(&path);
	return yes;
}

void
sendmail_daemonless(const char *config_dir)
{
	struct proc_env	 env = PROC_ENV_INIT;
	struct proc_cmd	 cmd;
	struct proc	 p;
	struct str	 path = STR_INIT, dir = STR_INIT;
	struct str	 arg0 = STR_INIT, opt_c = STR_INIT;
	struct str	 verb = STR_INIT, opt_i = STR_INIT;
	const char	*queue_dir = conf_value("queue_directory");
	char		*av[6];
	char		 cwd[4096];
	size_t		 n = 0;
	pid_t		 pid;
	int		 rc;

	str_catf(&path, "%s/pid/master.pid", queue_dir);
	rc = pidfile_locked(path.s, &pid);
	if (rc != 0) {
		/* master delivers; or we cannot tell, and leave it be */
		if (rc == -1) {
			log_debug("daemonless: %s: %s", path.s,
			    strerror(errno));
		}
		str_free(&path);
		return;
	}
	if (!daemonless_allowed(queue_dir)) {
		log_debug("daemonless: not root and not the queue's owner: "
		    "the message waits for master or postlet flush");
		str_free(&path);
		return;
	}
	str_clear(&path);
	str_catf(&path, "%s/postlet", conf_value("command_directory"));
	/* writable copies: execve's argv is char *const [] */
	str_set(&arg0, "postlet");
	av[n++] = arg0.s;
	if (config_dir != NULL) {
		/* the child runs in /, so a relative path becomes absolute */
		if (config_dir[0] != '/' &&
		    getcwd(cwd, sizeof(cwd)) != NULL) {
			str_catf(&dir, "%s/", cwd);
		}
		str_cat(&dir, config_dir);
		str_set(&opt_c, "-c");
		av[n++] = opt_c.s;
		av[n++] = dir.s;
	}
	str_set(&verb, "flush");
	str_set(&opt_i, "-i");
	av[n++] = verb.s;
	av[n++] = opt_i.s;
	av[n] = NULL;
	if (proc_env_default(&env) == -1 ||
	    proc_env_import(&env, "TZ") == -1) {
		log_warn("environment");
	}
	/* zeroed: /dev/null on 0, 1 and 2, nothing else inherited */
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = path.s;
	cmd.argv = av;
	cmd.envp = proc_env_vector(&env);
	cmd.cwd = "/";
	cmd.flags = PROC_SETSID;
	if (proc_spawn(&cmd, &p) == -1) {
		log_warn("daemonless: %s %s", p.failed, path.s);
	} else {
		/* not reaped: we exit now, and init inherits it */
		log_debug("daemonless: started %s (pid %ld)", path.s,
		    (long)p.pid);
	}
	proc_env_free(&env);
	str_free(&path);
	str_free(&dir);
	str_free(&arg0);
	str_free(&opt_c);
	str_free(&verb);
	str_free(&opt_i);
}
