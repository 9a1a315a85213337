/* SPDX-License-Identifier: ISC */
/*
 * qmgr_agent.c: starting, reusing and ending delivery agents.
 *
 * An agent is the command of master.cf's "unix" service named like the
 * transport (its arguments and -o overrides included), or, without such
 * a service, the program $daemon_directory/TRANSPORT.  It runs as
 *	$daemon_directory/COMMAND -c $config_directory [-o name=value ...]
 *	    [master.cf arguments ...]
 * with pipes on its standard input (jobs) and output (results), our
 * standard error, and an environment of TZ only.  Our ends of the pipes
 * are non-blocking, so every read and write has the ipc_timeout
 * deadline; reads also watch the signal pipe, so SIGTERM interrupts a
 * wait for a slow agent (ECANCELED).
 *
 * An agent that finished a job cleanly goes back to an idle pool and is
 * reused for the next job of its transport; one idle for max_idle
 * seconds is told to exit by closing its input.  An agent that failed in
 * any way (died, timed out, broke the protocol) is killed and never
 * reused.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "fd.h"
#include "log.h"
#include "qmgr.h"
#include "sig.h"

static ssize_t	agent_read(struct buf *, void *, size_t, long long);
static bool	agent_transport_ok(const char *);
static void	agent_argv_add(char ***, size_t *, size_t *, const char *);

/*
 * The read function of an agent's output: as buf's own, but it also
 * takes the signals that arrive meanwhile, and gives up with ECANCELED
 * once SIGTERM was seen.
 */
static ssize_t
agent_read(struct buf *b, void *p, size_t n, long long deadline)
{
	struct qmgr_agent	*a = b->ctx;
	struct pollfd		 pfd[2];
	ssize_t			 r;
	int			 signo, left;

	for (;;) {
		if (a->q->stop) {
			errno = ECANCELED;
			return -1;
		}
		r = fd_read(b->fd, p, n);
		if (r != -1 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			return r;
		}
		pfd[0].fd = b->fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = sig_fd();
		pfd[1].events = POLLIN;
		left = clock_left(deadline);
		if (deadline >= 0 && left == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(pfd, 2, left) == -1 && errno != EINTR) {
			return -1;
		}
		while ((signo = sig_next()) != 0) {
			if (signo == SIGTERM || signo == SIGINT) {
				a->q->stop = true;
			} else if (signo == SIGHUP) {
				a->q->reload = true;
			}
		}
	}
}

/* A transport name that is safe as a file name and in log lines. */
static bool
agent_transport_ok(const char *t)
{
	size_t	i;

	if (t[0] == '\0' || t[0] == '.' || strlen(t) > QMGR_TRANSPORT_MAX) {
		return false;
	}
	for (i = 0; t[i] != '\0'; i++) {
		if (!((t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= 'A' && t[i] <= 'Z') ||
		    (t[i] >= '0' && t[i] <= '9') ||
		    t[i] == '_' || t[i] == '-' || t[i] == '.')) {
			return false;
		}
	}
	return true;
}

static void
agent_argv_add(char ***argv, size_t *n, size_t *cap, const char *s)
{
	if (*n + 2 > *cap) {
		*cap = *cap == 0 ? 16 : *cap * 2;
		*argv = xreallocarray(*argv, *cap, sizeof(**argv));
	}
	(*argv)[(*n)++] = xstrdup(s);
	(*argv)[*n] = NULL;
}

struct qmgr_agent *
qmgr_agent_get(struct qmgr *q, const char *transport, struct str *why)
{
	const struct mastercf_service	*svc;
	struct qmgr_agent		*a = NULL;
	struct proc_cmd			 cmd;
	struct proc_env			 env = PROC_ENV_INIT;
	struct str			 path = STR_INIT, o = STR_INIT;
	const char			*command;
	buf_write_fn			 wfn;
	char				**argv = NULL;
	size_t				 i, argc = 0, cap = 0;
	int				 timeout_ms;

	for (i = 0; i < q->nidle; i++) {
		if (str_eq(&q->idle[i]->transport, transport)) {
			a = q->idle[i];
			q->idle[i] = q->idle[--q->nidle];
			a->reused = true;
			return a;
		}
	}
	str_clear(why);
	if (!agent_transport_ok(transport)) {
		str_set(why, "4.3.5 mail transport unavailable: bad "
		    "transport name");
		return NULL;
	}
	svc = mastercf_find(&q->mcf, transport, "unix");
	command = svc != NULL ? svc->command : transport;
	if (strchr(command, '/') != NULL) {
		str_catf(why, "4.3.5 mail transport unavailable: master.cf "
		    "command of %s has a '/'", transport);
		return NULL;
	}
	str_catf(&path, "%s/%s", str_c(&q->daemon_dir), command);
	agent_argv_add(&argv, &argc, &cap, command);
	agent_argv_add(&argv, &argc, &cap, "-c");
	agent_argv_add(&argv, &argc, &cap, q->config_dir);
	for (i = 0; svc != NULL && i < svc->noverrides; i++) {
		str_clear(&o);
		str_catf(&o, "%s=%s", svc->overrides[i].name,
		    svc->overrides[i].value);
		agent_argv_add(&argv, &argc, &cap, "-o");
		agent_argv_add(&argv, &argc, &cap, o.s);
	}
	for (i = 1; svc != NULL && i < svc->argc; i++) {
		agent_argv_add(&argv, &argc, &cap, svc->argv[i]);
	}
	(void)proc_env_import(&env, "TZ");

	a = xcalloc(1, sizeof(*a));
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = path.s;
	cmd.argv = argv;
	cmd.envp = proc_env_vector(&env);
	cmd.io[0] = PROC_IO_PIPE;
	cmd.io[1] = PROC_IO_PIPE;
	cmd.io[2] = PROC_IO_INHERIT;
	if (proc_spawn(&cmd, &a->proc) == -1) {
		str_catf(why, "4.3.0 mail transport unavailable: %s %s: %s",
		    a->proc.failed, path.s, strerror(errno));
		free(a);
		a = NULL;
		goto out;
	}
	if (fd_set_nonblock(a->proc.fd[0], true) == -1 ||
	    fd_set_nonblock(a->proc.fd[1], true) == -1) {
		str_catf(why, "4.3.0 mail transport unavailable: "
		    "non-blocking pipe: %s", strerror(errno));
		qmgr_agent_end(a, false, NULL);
		a = NULL;
		goto out;
	}
	log_debug("started %s (pid %ld) for transport %s", path.s,
	    (long)a->proc.pid, transport);
	str_set(&a->transport, transport);
	a->q = q;
	timeout_ms = q->ipc_timeout > 86400 ? 86400 * 1000 :
	    (int)q->ipc_timeout * 1000;
	buf_init_fd(&a->out, a->proc.fd[0], a->out_mem, sizeof(a->out_mem),
	    timeout_ms);
	buf_init_fd(&a->in, a->proc.fd[1], a->in_mem, sizeof(a->in_mem),
	    timeout_ms);
	wfn = a->in.write_fn;
	buf_set_io(&a->in, agent_read, wfn, a);
out:
	for (i = 0; i < argc; i++) {
		free(argv[i]);
	}
	free(argv);
	proc_env_free(&env);
	str_free(&path);
	str_free(&o);
	return a;
}

void
qmgr_agent_release(struct qmgr *q, struct qmgr_agent *a)
{
	if (q->nidle == q->idle_cap) {
		q->idle_cap = q->idle_cap == 0 ? 8 : q->idle_cap * 2;
		q->idle = xreallocarray(q->idle, q->idle_cap,
		    sizeof(*q->idle));
	}
	a->idle_since = clock_ms();
	q->idle[q->nidle++] = a;
}

void
qmgr_agent_end(struct qmgr_agent *a, bool graceful, struct str *status_text)
{
	char	text[PROC_STATUS_MAX];
	int	status;

	if (a->proc.fd[0] != -1) {
		(void)close(a->proc.fd[0]);
		a->proc.fd[0] = -1;
	}
	if (!graceful) {
		(void)kill(a->proc.pid, SIGKILL);
	}
	if (proc_wait(a->proc.pid, &status,
	    clock_deadline(QMGR_AGENT_EXIT_MS)) == -1) {
		(void)kill(a->proc.pid, SIGKILL);
		if (proc_wait(a->proc.pid, &status, -1) == -1) {
			status = -1;
		}
	}
	if (status_text != NULL) {
		str_set(status_text, status == -1 ? "lost" :
		    proc_status_text(status, text, sizeof(text)));
	}
	if (graceful && status != 0 && status != -1) {
		log_warnx("delivery agent %s (pid %ld) ended: %s",
		    str_c(&a->transport), (long)a->proc.pid,
		    proc_status_text(status, text, sizeof(text)));
	}
	proc_close(&a->proc);
	str_free(&a->transport);
	free(a);
}

void
qmgr_agent_expire(struct qmgr *q, bool all)
{
	long long	now = clock_ms();
	size_t		i = 0;

	while (i < q->nidle) {
		if (all || now - q->idle[i]->idle_since >=
		    q->max_idle * 1000) {
			qmgr_agent_end(q->idle[i], true, NULL);
			q->idle[i] = q->idle[--q->nidle];
		} else {
			i++;
		}
	}
}

long long
qmgr_agent_next_expiry(const struct qmgr *q)
{
	long long	now = clock_ms(), left, best = -1;
	size_t		i;

	for (i = 0; i < q->nidle; i++) {
		left = q->idle[i]->idle_since + q->max_idle * 1000 - now;
		if (left < 0) {
			left = 0;
		}
		if (best == -1 || left < best) {
			best = left;
		}
	}
	return best;
}
