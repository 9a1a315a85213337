/* SPDX-License-Identifier: ISC */
/*
 * qmgr_agent.c: starting, reusing and ending delivery agents.
 *
 * An agent is the command of master.cf's "unix" service named like the
 * transport (its arguments and -o overrides included), or, without such
 * a service, the program $daemon_directory/TRANSPORT.  It runs as
 *	$daemon_directory/COMMAND -c $config_directory [-o name=value ...]
 *	    [master.cf arguments ...]
 * (spawn_cmd_build, shared with the privileged spawner) with our
 * standard error and an environment of TZ only.  We start it ourselves,
 * with pipes on its standard input (jobs) and output (results), unless
 * we started as root and its service has unpriv = n, or chroot = y for
 * smtp and lmtp (spawn_jailed: they get -J and chroot themselves): then
 * the privileged spawner (lib/spawn.h) starts it as root and hands us
 * one end of a socket that is the agent's standard input and output.
 * Such an agent is not our child: we learn that it ended from end of
 * file, its exit status from the spawner's report, and only the spawner
 * can kill it.
 * Our ends are non-blocking: writes have the ipc_timeout deadline, and
 * qmgr_sched.c reads results when poll(2) says an agent wrote some.
 *
 * An agent that finished a job cleanly goes back to an idle pool and is
 * reused for the next job of its transport; one idle for max_idle
 * seconds is told to exit by closing its input.  An agent that failed in
 * any way (died, timed out, broke the protocol) is killed and never
 * reused.
 */
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
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
#include "spawn.h"

static int	agent_start_direct(struct qmgr_agent *,
		    const struct spawn_cmd *, struct str *);
static int	agent_start_spawned(struct qmgr_agent *, const char *,
		    int, struct str *);
static int	agent_wait_spawned(struct qmgr_agent *, bool);

/* Start a's command ourselves, as we are (mail_owner), with pipes. */
static int
agent_start_direct(struct qmgr_agent *a, const struct spawn_cmd *sc,
    struct str *why)
{
	struct proc_cmd	cmd;
	struct proc_env	env = PROC_ENV_INIT;
	int		rc = 0;

	(void)proc_env_import(&env, "TZ");
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = sc->path.s;
	cmd.argv = sc->argv;
	cmd.envp = proc_env_vector(&env);
	cmd.io[0] = PROC_IO_PIPE;
	cmd.io[1] = PROC_IO_PIPE;
	cmd.io[2] = PROC_IO_INHERIT;
	if (proc_spawn(&cmd, &a->proc) == -1) {
		str_catf(why, "4.3.0 mail transport unavailable: %s %s: %s",
		    a->proc.failed, sc->path.s, strerror(errno));
		rc = -1;
	}
	proc_env_free(&env);
	return rc;
}

/*
 * Have the privileged spawner start service transport as root.  fd[0]
 * (we write) and fd[1] (we read) become two descriptors of the one
 * socket it hands us, so that the rest of qmgr need not know.
 */
static int
agent_start_spawned(struct qmgr_agent *a, const char *transport,
    int timeout_ms, struct str *why)
{
	struct str	err = STR_INIT;
	pid_t		pid;
	int		fd, saved;

	a->proc.pid = -1;
	a->proc.fd[0] = a->proc.fd[1] = a->proc.fd[2] = -1;
	if (spawn_request(&a->q->spawner, transport,
	    clock_deadline(timeout_ms), &pid, &fd, &err) == -1) {
		str_catf(why, "4.3.0 mail transport unavailable: %s",
		    str_c(&err));
		str_free(&err);
		return -1;
	}
	str_free(&err);
	a->spawned = true;
	a->proc.pid = pid;
	a->proc.fd[0] = fd;
	if ((a->proc.fd[1] = fcntl(fd, F_DUPFD_CLOEXEC, 3)) == -1) {
		saved = errno;
		(void)close(fd);
		a->proc.fd[0] = -1;
		(void)agent_wait_spawned(a, false);
		str_catf(why, "4.3.0 mail transport unavailable: dup: %s",
		    strerror(saved));
		return -1;
	}
	return 0;
}

/*
 * The wait status of a spawned agent whose input we closed: from the
 * spawner's report, asking it to kill the agent first unless graceful,
 * or when it does not exit within QMGR_AGENT_EXIT_MS.  -1 when no
 * report comes (the spawner is gone, or is too slow).
 */
static int
agent_wait_spawned(struct qmgr_agent *a, bool graceful)
{
	struct spawn_client	*sp = &a->q->spawner;
	int			 status;

	if (!graceful) {
		(void)spawn_kill(sp, a->proc.pid);
	}
	if (spawn_wait(sp, a->proc.pid, &status,
	    clock_deadline(QMGR_AGENT_EXIT_MS)) == 0) {
		return status;
	}
	if (errno == ETIMEDOUT && graceful &&
	    spawn_kill(sp, a->proc.pid) == 0 && spawn_wait(sp, a->proc.pid,
	    &status, clock_deadline(QMGR_AGENT_EXIT_MS)) == 0) {
		return status;
	}
	return -1;
}

struct qmgr_agent *
qmgr_agent_get(struct qmgr *q, const char *transport, const char *nexthop,
    struct str *why)
{
	const struct mastercf_service	*svc = NULL;
	struct qmgr_agent		*a = NULL;
	struct spawn_cmd		 sc = SPAWN_CMD_INIT;
	struct str			 err = STR_INIT;
	size_t				 i;
	int				 timeout_ms, rc, pass;
	bool				 jail;

	/* an agent that went to the same next hop last, else any */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < q->nidle; i++) {
			a = q->idle[i];
			if (!str_eq(&a->transport, transport) || (pass == 0 &&
			    (a->nexthop == NULL ||
			    strcmp(a->nexthop, nexthop) != 0))) {
				continue;
			}
			q->idle[i] = q->idle[--q->nidle];
			a->reused = true;
			return a;
		}
	}
	a = NULL;
	str_clear(why);
	if (spawn_name_ok(transport)) {
		svc = mastercf_find(&q->mcf, transport, "unix");
	}
	jail = q->root && spawn_jailed(svc);
	if (spawn_cmd_build(&sc, transport, svc, str_c(&q->daemon_dir),
	    q->config_dir, jail, &err) == -1) {
		str_catf(why, "4.3.5 mail transport unavailable: %s",
		    str_c(&err));
		goto out;
	}
	timeout_ms = q->ipc_timeout > 86400 ? 86400 * 1000 :
	    (int)q->ipc_timeout * 1000;

	a = xcalloc(1, sizeof(*a));
	a->q = q;
	if (jail || (q->root && svc != NULL && svc->unpriv == MASTERCF_NO)) {
		rc = agent_start_spawned(a, transport, timeout_ms, why);
	} else {
		rc = agent_start_direct(a, &sc, why);
	}
	if (rc == -1) {
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
	log_debug("started %s (pid %ld) for transport %s%s", sc.path.s,
	    (long)a->proc.pid, transport,
	    a->spawned ? " through the privileged spawner" : "");
	str_set(&a->transport, transport);
	buf_init_fd(&a->out, a->proc.fd[0], a->out_mem, sizeof(a->out_mem),
	    timeout_ms);
out:
	spawn_cmd_free(&sc);
	str_free(&err);
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
		/* A socket has a second descriptor: end of file needs
		 * shutdown(2), not only close. */
		if (a->spawned) {
			(void)shutdown(a->proc.fd[0], SHUT_WR);
		}
		(void)close(a->proc.fd[0]);
		a->proc.fd[0] = -1;
	}
	if (a->spawned) {
		status = a->proc.pid > 0 ? agent_wait_spawned(a, graceful) : -1;
	} else {
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
	free(a->nexthop);
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
