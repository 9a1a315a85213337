/* SPDX-License-Identifier: ISC */
/*
 * spawn.c: the privileged spawner: agent command lines, the request and
 * reply protocol, descriptor passing, the server loop and the client
 * calls (see spawn.h).
 *
 * Why SOCK_SEQPACKET: every message is one packet, so a reader never
 * sees half a message or two glued together, and a packet longer than
 * the reader's buffer is flagged (MSG_TRUNC) and refused whole instead
 * of being parsed in pieces.  Messages are short ASCII lines without a
 * newline; numbers go through scan_uint (no sign, no junk, bounded).
 *
 * Descriptors: a reply "O" carries exactly one descriptor (SCM_RIGHTS);
 * any descriptor that arrives where none is expected, or beyond the
 * first SPAWN_FDS_MAX, is closed at once, so a peer cannot make the
 * other side leak descriptors.  Received descriptors are close-on-exec
 * (MSG_CMSG_CLOEXEC, or fcntl where that flag is missing).
 *
 * The server's side of every agent socket is closed as soon as the
 * reply has been sent (or has failed), so the agent sees end of file
 * exactly when the client closes its end, and the client sees end of
 * file exactly when the agent exits.
 *
 * Failures: a bad request is answered "E", logged, and the server goes
 * on; only end of file or an error on the channel ends it.  The client
 * gives up the channel (dead) at end of file, a read error or a
 * malformed reply; its caller then defers what needed the spawner.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "fd.h"
#include "log.h"
#include "proc.h"
#include "scan.h"
#include "sig.h"
#include "spawn.h"


/* Descriptors kept from one received message; more are closed. */
#define SPAWN_FDS_MAX	4
/* Request numbers run from 1 to this, then wrap to 1. */
#define SPAWN_SEQ_MAX	0xffffffffUL

/* A received message. */
struct spawn_msg {
	/* NUL-terminated; text[0] is the tag */
	char	text[SPAWN_MSG_MAX + 2];
	size_t	len;
	/* descriptors that came with it, ours to close */
	int	fds[SPAWN_FDS_MAX];
	size_t	nfd;
	/* longer than SPAWN_MSG_MAX, or descriptors were cut */
	bool	trunc;
};

/* One agent of the server. */
struct spawn_child {
	pid_t	pid;
	char	name[SPAWN_NAME_MAX + 1];
};

struct spawn_server {
	int				 fd;
	const struct spawn_config	*cfg;
	struct spawn_child		 child[SPAWN_CHILDREN_MAX];
	size_t				 nchild;
	/* the client has gone: exit reports are not sent */
	bool				 closing;
};

static void	cmd_add(struct spawn_cmd *, const char *);
static int	msg_send(int, const char *, size_t, int, long long);
static int	msg_recv(int, struct spawn_msg *);
static void	msg_close_fds(struct spawn_msg *);
static int	msg_split(char *, char **, int);
static bool	msg_number(const char *, unsigned long long,
		    unsigned long long *);
static void	text_clean(char *);
static void	server_reply(struct spawn_server *, unsigned long long,
		    const char *);
static void	server_spawn(struct spawn_server *, unsigned long long,
		    const char *);
static void	server_kill(struct spawn_server *, pid_t);
static void	server_request(struct spawn_server *, struct spawn_msg *);
static void	server_reap(struct spawn_server *);
static void	server_signals(struct spawn_server *);
static void	client_dead(struct spawn_client *, const char *);
static void	client_exit_add(struct spawn_client *, pid_t, int);
static int	client_read(struct spawn_client *, struct spawn_msg *,
		    long long);
static void	client_drain(struct spawn_client *);

bool
spawn_name_ok(const char *t)
{
	size_t	i;

	if (t[0] == '\0' || t[0] == '.' || strlen(t) > SPAWN_NAME_MAX) {
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
cmd_add(struct spawn_cmd *cmd, const char *s)
{
	if (cmd->argc + 2 > cmd->cap) {
		cmd->cap = cmd->cap == 0 ? 16 : cmd->cap * 2;
		cmd->argv = xreallocarray(cmd->argv, cmd->cap,
		    sizeof(*cmd->argv));
	}
	cmd->argv[cmd->argc++] = xstrdup(s);
	cmd->argv[cmd->argc] = NULL;
}

int
spawn_cmd_build(struct spawn_cmd *cmd, const char *name,
    const struct mastercf_service *svc, const char *daemon_dir,
    const char *config_dir, bool jail, struct str *why)
{
	struct str	 o = STR_INIT;
	const char	*command;
	size_t		 i;

	spawn_cmd_free(cmd);
	if (!spawn_name_ok(name)) {
		str_set(why, "bad transport name");
		errno = EINVAL;
		return -1;
	}
	command = svc != NULL ? svc->command : name;
	if (command[0] == '\0' || strchr(command, '/') != NULL) {
		str_clear(why);
		str_catf(why, "master.cf command of %s has a '/'", name);
		errno = EINVAL;
		return -1;
	}
	str_catf(&cmd->path, "%s/%s", daemon_dir, command);
	cmd_add(cmd, command);
	cmd_add(cmd, "-c");
	cmd_add(cmd, config_dir);
	if (jail) {
		cmd_add(cmd, "-J");
	}
	for (i = 0; svc != NULL && i < svc->noverrides; i++) {
		str_clear(&o);
		str_catf(&o, "%s=%s", svc->overrides[i].name,
		    svc->overrides[i].value);
		cmd_add(cmd, "-o");
		cmd_add(cmd, o.s);
	}
	for (i = 1; svc != NULL && i < svc->argc; i++) {
		cmd_add(cmd, svc->argv[i]);
	}
	str_free(&o);
	return 0;
}

bool
spawn_jailed(const struct mastercf_service *svc)
{
	return svc != NULL && svc->chroot == MASTERCF_YES &&
	    mastercf_can_chroot(svc->command);
}

void
spawn_cmd_free(struct spawn_cmd *cmd)
{
	size_t	i;

	for (i = 0; i < cmd->argc; i++) {
		free(cmd->argv[i]);
	}
	free(cmd->argv);
	cmd->argv = NULL;
	cmd->argc = cmd->cap = 0;
	str_free(&cmd->path);
}

/*
 * Send one message of len bytes (at most SPAWN_MSG_MAX), with descriptor
 * passfd unless it is -1, trying until deadline.  A packet goes whole or
 * not at all.  Returns 0 or -1 with errno (EMSGSIZE, ETIMEDOUT, EPIPE,
 * ...).
 */
static int
msg_send(int fd, const char *text, size_t len, int passfd,
    long long deadline)
{
	if (len > SPAWN_MSG_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	while (fd_send_packet(fd, text, len, passfd) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			return -1;
		}
		if (fd_wait(fd, POLLOUT, deadline) == -1) {
			return -1;
		}
	}
	return 0;
}

/*
 * Receive one message without waiting.  Returns 1 with m filled in, 0
 * for an empty packet without descriptors (or end of file: the caller
 * tells them apart), -1 with errno (EAGAIN when nothing is there).
 */
static int
msg_recv(int fd, struct spawn_msg *m)
{
	ssize_t	r;

	m->len = 0;
	/* one byte more than allowed: a longer packet shows as such */
	r = fd_recv_packet(fd, false, m->text, SPAWN_MSG_MAX + 1, m->fds,
	    SPAWN_FDS_MAX, &m->nfd, &m->trunc);
	if (r == -1) {
		return -1;
	}
	if ((size_t)r > SPAWN_MSG_MAX) {
		m->trunc = true;
	}
	m->len = (size_t)r > SPAWN_MSG_MAX ? SPAWN_MSG_MAX : (size_t)r;
	m->text[m->len] = '\0';
	if (m->len > 0 && memchr(m->text, '\0', m->len) != NULL) {
		/* a NUL inside: not text */
		m->trunc = true;
	}
	return r == 0 && m->nfd == 0 ? 0 : 1;
}

static void
msg_close_fds(struct spawn_msg *m)
{
	size_t	i;

	for (i = 0; i < m->nfd; i++) {
		(void)close(m->fds[i]);
	}
	m->nfd = 0;
}

/*
 * Split text "T f1 f2 ..." in place into at most n fields after the
 * one-character tag, separated by single spaces; the last field keeps
 * the rest of the text.  Returns the number of fields, or -1 when the
 * tag is not followed by a space or the end, or a field is empty.
 */
static int
msg_split(char *text, char **field, int n)
{
	char	*p, *sp;
	int	 k = 0, i;

	if (text[0] == '\0') {
		return -1;
	}
	if (text[1] == '\0') {
		return 0;
	}
	if (text[1] != ' ') {
		return -1;
	}
	p = text + 2;
	while (k < n) {
		field[k++] = p;
		if (k == n || (sp = strchr(p, ' ')) == NULL) {
			break;
		}
		*sp = '\0';
		p = sp + 1;
	}
	for (i = 0; i < k; i++) {
		if (field[i][0] == '\0') {
			return -1;
		}
	}
	return k;
}

/* A decimal number in 1..max. */
static bool
msg_number(const char *s, unsigned long long max, unsigned long long *v)
{
	return scan_uint(s, max, v) == 0 && *v > 0;
}

/* Make text one printable line: every other byte becomes '?'. */
static void
text_clean(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
			*s = '?';
		}
	}
}

/* Send "E seq text", cut to SPAWN_MSG_MAX bytes. */
static void
server_reply(struct spawn_server *s, unsigned long long seq,
    const char *text)
{
	char	buf[SPAWN_MSG_MAX + 1];
	int	n;

	n = snprintf(buf, sizeof(buf), "E %llu %s", seq, text);
	if (n < 0) {
		return;
	}
	if ((size_t)n >= sizeof(buf)) {
		n = (int)sizeof(buf) - 1;
	}
	text_clean(buf);
	if (msg_send(s->fd, buf, (size_t)n, -1,
	    clock_deadline(SPAWN_REPLY_MS)) == -1) {
		log_warn("send reply");
	}
}

/* Start service name (already checked by spawn_name_ok) for seq. */
static void
server_spawn(struct spawn_server *s, unsigned long long seq,
    const char *name)
{
	const struct mastercf_service	*svc;
	struct spawn_cmd		 sc = SPAWN_CMD_INIT;
	struct proc_env			 env = PROC_ENV_INIT;
	struct proc_cmd			 cmd;
	struct proc			 p;
	struct spawn_child		*ch;
	struct str			 why = STR_INIT;
	char				 buf[SPAWN_MSG_MAX];
	int				 sv[2] = { -1, -1 }, n;

	svc = mastercf_find(s->cfg->mcf, name, "unix");
	if (svc == NULL) {
		str_catf(&why, "unknown service %s", name);
		goto refuse;
	}
	if (s->nchild == SPAWN_CHILDREN_MAX) {
		str_catf(&why, "too many agents (%d)", SPAWN_CHILDREN_MAX);
		goto refuse;
	}
	if (spawn_cmd_build(&sc, name, svc, s->cfg->daemon_dir,
	    s->cfg->config_dir, spawn_jailed(svc), &why) == -1) {
		goto refuse;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		str_catf(&why, "socketpair: %s", strerror(errno));
		goto refuse;
	}
	/* The environment of every agent, as qmgr gives it: TZ only. */
	(void)proc_env_import(&env, "TZ");
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = sc.path.s;
	cmd.argv = sc.argv;
	cmd.envp = proc_env_vector(&env);
	cmd.io[0] = PROC_IO_FD;
	cmd.io_fd[0] = sv[1];
	cmd.io[1] = PROC_IO_FD;
	cmd.io_fd[1] = sv[1];
	cmd.io[2] = PROC_IO_INHERIT;
	/* Root is kept only where master.cf says unpriv = n, or for an
	 * agent that chroots itself and then becomes mail_owner. */
	if (svc->unpriv != MASTERCF_NO && !spawn_jailed(svc)) {
		cmd.flags |= PROC_SETID;
		cmd.uid = s->cfg->uid;
		cmd.gid = s->cfg->gid;
	}
	if (proc_spawn(&cmd, &p) == -1) {
		str_catf(&why, "%s %s: %s", p.failed, sc.path.s,
		    strerror(errno));
		goto refuse;
	}
	(void)close(sv[1]);
	sv[1] = -1;
	ch = &s->child[s->nchild++];
	ch->pid = p.pid;
	/* name is at most SPAWN_NAME_MAX bytes: spawn_name_ok */
	memcpy(ch->name, name, strlen(name) + 1);
	log_debug("started %s (pid %ld) for service %s%s", sc.path.s,
	    (long)p.pid, name, svc->unpriv == MASTERCF_NO ? " as root" :
	    spawn_jailed(svc) ? " to chroot" : "");
	n = snprintf(buf, sizeof(buf), "O %llu %ld", seq, (long)p.pid);
	if (n < 0 || (size_t)n >= sizeof(buf) || msg_send(s->fd, buf,
	    (size_t)n, sv[0], clock_deadline(SPAWN_REPLY_MS)) == -1) {
		/* Our close below gives the agent end of file. */
		log_warn("send the agent of %s (pid %ld)", name, (long)p.pid);
	}
	goto out;
refuse:
	log_warnx("refused to start service %s: %s", name, str_c(&why));
	server_reply(s, seq, str_c(&why));
out:
	if (sv[0] != -1) {
		(void)close(sv[0]);
	}
	if (sv[1] != -1) {
		(void)close(sv[1]);
	}
	spawn_cmd_free(&sc);
	proc_env_free(&env);
	str_free(&why);
}

/* SIGKILL pid, but only when it is an agent of ours that still runs. */
static void
server_kill(struct spawn_server *s, pid_t pid)
{
	size_t	i;

	for (i = 0; i < s->nchild; i++) {
		if (s->child[i].pid == pid) {
			/* not reaped yet: the pid cannot have been reused */
			if (kill(pid, SIGKILL) == -1) {
				log_warn("kill %ld", (long)pid);
			}
			return;
		}
	}
	log_warnx("kill request for pid %ld, which is not an agent: ignored",
	    (long)pid);
}

static void
server_request(struct spawn_server *s, struct spawn_msg *m)
{
	unsigned long long	 seq, v;
	char			*f[2];
	int			 nf;

	if (m->nfd > 0) {
		msg_close_fds(m);
		log_warnx("request with descriptors: refused");
		server_reply(s, 0, "descriptors in a request");
		return;
	}
	if (m->trunc) {
		log_warnx("request too long or not text: refused");
		server_reply(s, 0, "request too long or not text");
		return;
	}
	switch (m->text[0]) {
	case 'S':
		nf = msg_split(m->text, f, 2);
		if (nf != 2 || !msg_number(f[0], SPAWN_SEQ_MAX, &seq)) {
			break;
		}
		if (!spawn_name_ok(f[1])) {
			log_warnx("request for a bad service name: refused");
			server_reply(s, seq, "bad service name");
			return;
		}
		server_spawn(s, seq, f[1]);
		return;
	case 'K':
		nf = msg_split(m->text, f, 1);
		if (nf != 1 || strchr(f[0], ' ') != NULL ||
		    !msg_number(f[0], INT_MAX, &v)) {
			break;
		}
		server_kill(s, (pid_t)v);
		return;
	default:
		break;
	}
	log_warnx("malformed request: refused");
	server_reply(s, 0, "malformed request");
}

/* Collect ended agents: log failures as master does, report each. */
static void
server_reap(struct spawn_server *s)
{
	char	text[PROC_STATUS_MAX], buf[SPAWN_MSG_MAX];
	pid_t	pid;
	size_t	i;
	int	st, r, n;

	while ((r = proc_reap(&pid, &st)) == 1) {
		for (i = 0; i < s->nchild; i++) {
			if (s->child[i].pid == pid) {
				break;
			}
		}
		if (i == s->nchild) {
			continue;
		}
		if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			log_warnx("process %s pid %ld %s", s->child[i].name,
			    (long)pid, proc_status_text(st, text,
			    sizeof(text)));
		}
		s->child[i] = s->child[--s->nchild];
		if (s->closing) {
			continue;
		}
		n = snprintf(buf, sizeof(buf), "X %ld %u", (long)pid,
		    (unsigned int)st);
		/* One try: a report is a courtesy, never worth blocking. */
		if (n < 0 || (size_t)n >= sizeof(buf) ||
		    msg_send(s->fd, buf, (size_t)n, -1, clock_ms()) == -1) {
			log_warn("exit report of pid %ld", (long)pid);
		}
	}
	if (r == -1 && errno != ECHILD) {
		log_warn("waitpid");
	}
}

static void
server_signals(struct spawn_server *s)
{
	int	signo;

	while ((signo = sig_next()) != 0) {
		if (signo == SIGCHLD) {
			server_reap(s);
		}
	}
}

int
spawn_serve(int fd, const struct spawn_config *cfg)
{
	struct spawn_server	*s;
	struct spawn_msg	 m;
	struct pollfd		 pfd[2];
	long long		 deadline;
	int			 r, rc = 0;

	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->cfg = cfg;
	for (;;) {
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = sig_fd();
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		if (poll(pfd, 2, -1) == -1 && errno != EINTR) {
			log_warn("poll");
			rc = -1;
			break;
		}
		server_signals(s);
		if (pfd[0].revents == 0) {
			continue;
		}
		r = msg_recv(fd, &m);
		if (r == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				continue;
			}
			/* qmgr closed its end with our last reply unread:
			 * the same as an orderly end. */
			if (errno == ECONNRESET) {
				break;
			}
			log_warn("receive a request");
			rc = -1;
			break;
		}
		if (r == 0) {
			if ((pfd[0].revents & (POLLHUP | POLLERR)) != 0) {
				break;
			}
			log_warnx("empty request: refused");
			server_reply(s, 0, "empty request");
			continue;
		}
		server_request(s, &m);
	}

	/* The client has gone, and with it every agent's other end. */
	s->closing = true;
	deadline = clock_deadline(SPAWN_LINGER_MS);
	server_reap(s);
	while (s->nchild > 0 && clock_left(deadline) > 0) {
		pfd[0].fd = sig_fd();
		pfd[0].events = POLLIN;
		(void)poll(pfd, 1, clock_left(deadline));
		server_signals(s);
	}
	if (s->nchild > 0) {
		log_warnx("exiting with %zu agent%s still running", s->nchild,
		    s->nchild == 1 ? "" : "s");
	}
	free(s);
	return rc;
}

int
spawn_start(struct spawn_client *c, const struct spawn_config *cfg)
{
	int	sv[2], saved;
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) ==
	    -1) {
		return -1;
	}
	if ((pid = fork()) == -1) {
		saved = errno;
		(void)close(sv[0]);
		(void)close(sv[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0) {
		/* The server: stays root; only the channel matters now. */
		(void)close(sv[0]);
		if (log_open("spawn", cfg->maillog_file) == -1) {
			log_warn("open %s", cfg->maillog_file);
		}
		if (sig_catch(SIGCHLD) == -1 || sig_ignore(SIGINT) == -1 ||
		    sig_ignore(SIGHUP) == -1) {
			log_warn("signals");
			_exit(EX_OSERR);
		}
		_exit(spawn_serve(sv[1], cfg) == 0 ? 0 : EX_OSERR);
	}
	(void)close(sv[1]);
	c->fd = sv[0];
	c->pid = pid;
	c->dead = false;
	c->seq = 0;
	c->nexit = 0;
	return 0;
}

/* Give the channel up: log why, once, and collect the server. */
static void
client_dead(struct spawn_client *c, const char *why)
{
	char	text[PROC_STATUS_MAX];
	int	st;

	if (c->dead) {
		return;
	}
	c->dead = true;
	log_warnx("privileged spawner: %s: agents that need root are "
	    "deferred", why);
	if (c->pid > 0 && proc_wait(c->pid, &st, clock_ms()) == 0) {
		log_warnx("privileged spawner (pid %ld) ended: %s",
		    (long)c->pid, proc_status_text(st, text, sizeof(text)));
		c->pid = -1;
	}
}

/* Keep an exit report; the oldest goes when the table is full. */
static void
client_exit_add(struct spawn_client *c, pid_t pid, int status)
{
	if (c->nexit == SPAWN_EXITS_MAX) {
		memmove(&c->exits[0], &c->exits[1],
		    (SPAWN_EXITS_MAX - 1) * sizeof(c->exits[0]));
		c->nexit--;
	}
	c->exits[c->nexit].pid = pid;
	c->exits[c->nexit].status = status;
	c->nexit++;
}

/*
 * Read one message until deadline: an exit report is stored and its tag
 * 'X' returned; a reply ('O', 'E') is returned in m, still to be parsed
 * (its descriptors are the caller's).  Returns 1, or -1 with errno:
 * ETIMEDOUT, or EPIPE / EBADMSG after which the channel is dead.
 */
static int
client_read(struct spawn_client *c, struct spawn_msg *m, long long deadline)
{
	unsigned long long	 pid, st;
	char			*f[2];
	int			 r;

	for (;;) {
		if (c->dead || c->fd == -1) {
			errno = EPIPE;
			return -1;
		}
		r = msg_recv(c->fd, m);
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (fd_wait(c->fd, POLLIN, deadline) == -1) {
				if (errno != ETIMEDOUT) {
					client_dead(c, strerror(errno));
					errno = EPIPE;
				}
				return -1;
			}
			continue;
		}
		if (r == -1) {
			client_dead(c, strerror(errno));
			errno = EPIPE;
			return -1;
		}
		if (r == 0) {
			client_dead(c, "it has gone");
			errno = EPIPE;
			return -1;
		}
		if (m->trunc || (m->text[0] != 'O' && m->text[0] != 'E' &&
		    m->text[0] != 'X')) {
			msg_close_fds(m);
			client_dead(c, "malformed message");
			errno = EBADMSG;
			return -1;
		}
		if (m->text[0] != 'X') {
			return 1;
		}
		if (m->nfd > 0 || msg_split(m->text, f, 2) != 2 ||
		    !msg_number(f[0], INT_MAX, &pid) ||
		    scan_uint(f[1], UINT_MAX, &st) == -1) {
			msg_close_fds(m);
			client_dead(c, "malformed exit report");
			errno = EBADMSG;
			return -1;
		}
		client_exit_add(c, (pid_t)pid, (int)(unsigned int)st);
		return 1;
	}
}

/* Take what is waiting: exit reports, and stale replies (dropped). */
static void
client_drain(struct spawn_client *c)
{
	struct spawn_msg	m;

	while (client_read(c, &m, clock_ms()) == 1) {
		msg_close_fds(&m);
	}
}

int
spawn_request(struct spawn_client *c, const char *name, long long deadline,
    pid_t *pid, int *fd, struct str *why)
{
	struct spawn_msg	 m;
	unsigned long long	 seq, v;
	char			 req[SPAWN_MSG_MAX];
	char			*f[2];
	int			 n, nf;

	str_clear(why);
	if (!spawn_name_ok(name)) {
		str_set(why, "bad service name");
		errno = EINVAL;
		return -1;
	}
	client_drain(c);
	if (c->dead || c->fd == -1) {
		str_set(why, "privileged spawner not running");
		errno = EPIPE;
		return -1;
	}
	c->seq = c->seq >= SPAWN_SEQ_MAX ? 1 : c->seq + 1;
	/* name is at most SPAWN_NAME_MAX bytes: it fits */
	n = snprintf(req, sizeof(req), "S %lu %s", c->seq, name);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		str_set(why, "request too long");
		errno = EINVAL;
		return -1;
	}
	if (msg_send(c->fd, req, (size_t)n, -1, deadline) == -1) {
		if (errno == ETIMEDOUT) {
			str_set(why, "privileged spawner timed out");
			return -1;
		}
		client_dead(c, strerror(errno));
		str_set(why, "privileged spawner not running");
		errno = EPIPE;
		return -1;
	}
	for (;;) {
		if (client_read(c, &m, deadline) == -1) {
			str_set(why, errno == ETIMEDOUT ?
			    "privileged spawner timed out" :
			    "privileged spawner not running");
			return -1;
		}
		if (m.text[0] == 'X') {
			continue;
		}
		nf = msg_split(m.text, f, 2);
		if (nf != 2 || scan_uint(f[0], SPAWN_SEQ_MAX, &seq) == -1) {
			msg_close_fds(&m);
			client_dead(c, "malformed reply");
			str_set(why, "privileged spawner not running");
			errno = EBADMSG;
			return -1;
		}
		/* seq 0: the server could not read a request of ours */
		if (seq != c->seq && seq != 0) {
			msg_close_fds(&m);	/* a stale answer */
			continue;
		}
		if (m.text[0] == 'E') {
			msg_close_fds(&m);
			text_clean(f[1]);
			str_set(why, f[1]);
			errno = EINVAL;
			return -1;
		}
		if (m.nfd != 1 || !msg_number(f[1], INT_MAX, &v)) {
			msg_close_fds(&m);
			client_dead(c, "malformed reply");
			str_set(why, "privileged spawner not running");
			errno = EBADMSG;
			return -1;
		}
		*fd = m.fds[0];
		*pid = (pid_t)v;
		return 0;
	}
}

int
spawn_kill(struct spawn_client *c, pid_t pid)
{
	char	buf[SPAWN_MSG_MAX];
	int	n;

	if (c->dead || c->fd == -1) {
		errno = EPIPE;
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "K %ld", (long)pid);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		errno = EINVAL;
		return -1;
	}
	if (msg_send(c->fd, buf, (size_t)n, -1,
	    clock_deadline(SPAWN_REPLY_MS)) == -1) {
		if (errno != ETIMEDOUT) {
			client_dead(c, strerror(errno));
			errno = EPIPE;
		}
		return -1;
	}
	return 0;
}

int
spawn_wait(struct spawn_client *c, pid_t pid, int *status,
    long long deadline)
{
	struct spawn_msg	m;
	size_t			i;

	for (;;) {
		for (i = 0; i < c->nexit; i++) {
			if (c->exits[i].pid == pid) {
				*status = c->exits[i].status;
				c->exits[i] = c->exits[--c->nexit];
				return 0;
			}
		}
		if (client_read(c, &m, deadline) == -1) {
			return -1;
		}
		if (m.text[0] != 'X') {
			msg_close_fds(&m);	/* a stale answer */
		}
	}
}

void
spawn_stop(struct spawn_client *c, long long deadline)
{
	char	text[PROC_STATUS_MAX];
	int	st;

	if (c->fd != -1) {
		(void)close(c->fd);
		c->fd = -1;
	}
	if (c->pid > 0) {
		if (proc_wait(c->pid, &st, deadline) == -1) {
			(void)kill(c->pid, SIGKILL);
			if (proc_wait(c->pid, &st, -1) == -1) {
				st = 0;
			}
		}
		if (st != 0) {
			log_warnx("privileged spawner (pid %ld) ended: %s",
			    (long)c->pid, proc_status_text(st, text,
			    sizeof(text)));
		}
		c->pid = -1;
	}
	c->dead = true;
	c->nexit = 0;
}
