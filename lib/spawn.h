/* SPDX-License-Identifier: ISC */
/*
 * spawn.h: the privileged spawner, which starts the delivery agents that
 * must begin as root (master.cf unpriv column "n": local, virtual, pipe;
 * chroot column "y": smtp, lmtp) for a queue manager that runs as
 * mail_owner.
 *
 * qmgr, started as root, calls spawn_start before it drops its
 * privileges: a forked child stays root and serves requests on a
 * SOCK_SEQPACKET socketpair, one packet per message, each at most
 * SPAWN_MSG_MAX bytes of ASCII text:
 *
 *	S seq name		client: start the unix service name of
 *				master.cf (seq: 1 to 2^32-1, echoed back)
 *	O seq pid		server: started as pid; the packet carries
 *				(SCM_RIGHTS) the client's end of a stream
 *				socketpair that is the agent's stdin and
 *				stdout
 *	E seq text		server: refused or failed, text says why
 *				(seq 0 when the request was unreadable)
 *	K pid			client: SIGKILL that agent (no reply)
 *	X pid status		server, at any time: agent pid ended with
 *				wait status status (unsigned decimal)
 *
 * Only names of master.cf unix services that the server was given at
 * start can be run, with the argv spawn_cmd_build makes (the same that
 * qmgr uses for the agents it starts itself): nothing in a request
 * becomes a path or an argument.  The agent keeps root only when its
 * service's unpriv column is "n", or to chroot itself (spawn_jailed);
 * any other service runs as the uid and gid given at start
 * (mail_owner).  K is obeyed only for a live child of
 * the server.  A request that is too long, malformed, or that carries
 * descriptors is refused (descriptors are closed), and the server goes
 * on.  The server exits when the client's end is closed, after waiting
 * a little (SPAWN_LINGER_MS) for its agents.
 *
 * The client side treats replies the same way: bounded, parsed
 * strictly, unexpected descriptors closed.  A reply to an earlier
 * request that timed out is recognised by its seq and dropped (its agent
 * sees end of file and exits).
 */
#ifndef POSTLET_SPAWN_H
#define POSTLET_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "mastercf.h"
#include "str.h"

/* A service name: [A-Za-z0-9_.-], not starting with '.', at most this. */
#define SPAWN_NAME_MAX		64
/* One message on the channel, in bytes. */
#define SPAWN_MSG_MAX		256
/* Agents a server runs at once. */
#define SPAWN_CHILDREN_MAX	256
/* Exit reports a client keeps until they are asked for. */
#define SPAWN_EXITS_MAX		64
/* How long a server waits for its agents after its client has gone. */
#define SPAWN_LINGER_MS		10000
/* How long a server tries to send one reply. */
#define SPAWN_REPLY_MS		10000

/* True when name is a valid service (transport) name, see above. */
bool	spawn_name_ok(const char *name);

/*
 * A command line, as proc_spawn wants it: path and a NULL-terminated
 * argv, owned (spawn_cmd_free).
 */
struct spawn_cmd {
	struct str	  path;
	char		**argv;
	size_t		  argc, cap;
};
#define SPAWN_CMD_INIT	{ STR_INIT, NULL, 0, 0 }

/*
 * The command of delivery agent name: from svc, master.cf's unix service
 * of that name (may be NULL: then the program daemon_dir/name), as
 *	daemon_dir/COMMAND -c config_dir [-J] [-o n=v ...] [svc arguments ...]
 * Returns 0, or -1 with errno EINVAL and a reason in why ("4.3.5 mail
 * transport unavailable: ...") for a bad name or a command with a '/'.
 * cmd is emptied first.
 */
int	spawn_cmd_build(struct spawn_cmd *cmd, const char *name,
	    const struct mastercf_service *svc, const char *daemon_dir,
	    const char *config_dir, bool jail, struct str *why);
/*
 * Whether the agent of svc runs chrooted (svc not NULL, its chroot
 * column y, and its program one that can, mastercf_can_chroot): then the
 * spawner starts it as root with -J after "-c config_dir" (jail, above),
 * and it chroots into queue_directory and becomes mail_owner itself.
 */
bool	spawn_jailed(const struct mastercf_service *svc);
void	spawn_cmd_free(struct spawn_cmd *cmd);

/* What the server may run; every pointer is borrowed (and copied into
 * the server by fork). */
struct spawn_config {
	/* the services; only type unix is used */
	const struct mastercf	*mcf;
	const char		*daemon_dir;
	const char		*config_dir;
	/* the identity of services whose unpriv column is not n */
	uid_t			 uid;
	gid_t			 gid;
	/* for the server's log_open("spawn", ...); NULL: stderr */
	const char		*maillog_file;
};

/* An exit report not yet asked for. */
struct spawn_exit {
	pid_t	pid;
	int	status;
};

/* The client's end. */
struct spawn_client {
	/* the channel, or -1 */
	int			 fd;
	/* the server, our child */
	pid_t			 pid;
	/* the server has gone (end of file or error on the channel) */
	bool			 dead;
	/* the last request number */
	unsigned long		 seq;
	struct spawn_exit	 exits[SPAWN_EXITS_MAX];
	size_t			 nexit;
};
#define SPAWN_CLIENT_INIT	{ .fd = -1, .pid = -1 }

/*
 * Fork the server with cfg, and connect c to it.  Call it before the
 * first sig_catch (the server catches SIGCHLD through lib/sig's
 * self-pipe, which must not be one shared with the client) and before
 * dropping privileges.  The server ignores SIGINT and SIGHUP, and runs
 * until c is closed (spawn_stop, or our exit).  Returns 0, or -1 with errno of
 * socketpair(2) or fork(2).
 */
int	spawn_start(struct spawn_client *c, const struct spawn_config *cfg);

/*
 * Ask for an agent of service name, waiting for the answer until
 * deadline (clock_ms() value, -1 for none).  Returns 0 with *pid and *fd
 * (a close-on-exec, blocking stream socket, the caller's), or -1 with
 * errno and a reason in why: EINVAL (bad name, or refused by the server:
 * its text), EPIPE (the server has died; c->dead), ETIMEDOUT, EBADMSG (a
 * malformed reply: the channel is then given up as dead).
 */
int	spawn_request(struct spawn_client *c, const char *name,
	    long long deadline, pid_t *pid, int *fd, struct str *why);

/* Ask the server to SIGKILL agent pid.  Returns 0, or -1 with errno
 * (EPIPE once the server is dead). */
int	spawn_kill(struct spawn_client *c, pid_t pid);

/*
 * Wait until deadline for the exit report of agent pid.  Returns 0 with
 * its wait status in *status, or -1 with errno ETIMEDOUT, or EPIPE when
 * the server is dead (the status can no longer come).
 */
int	spawn_wait(struct spawn_client *c, pid_t pid, int *status,
	    long long deadline);

/*
 * Close the channel and wait until deadline for the server to exit
 * (killing it then).  A server that ended other than with exit 0 is
 * logged.  c can be started again afterwards.
 */
void	spawn_stop(struct spawn_client *c, long long deadline);

/*
 * The server loop itself (what spawn_start's child runs): serve
 * requests on fd until end of file.  For tests and for spawn_start;
 * expects SIGCHLD to be caught (sig_catch).  Returns 0, or -1 with errno
 * when the channel fails.
 */
int	spawn_serve(int fd, const struct spawn_config *cfg);

#endif
