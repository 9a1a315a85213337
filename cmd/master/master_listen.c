/* SPDX-License-Identifier: ISC */
/*
 * master_listen.c: the services that master runs per connection.
 *
 * For every master.cf service of type inet, and every one of type unix
 * whose private column is n (public) and whose command is not one of the
 * long-lived daemons (pickup, qmgr: master_service.c), master listens
 * and, for each connection it accepts, runs "$daemon_directory/COMMAND
 * -c $config_directory [-o name=value ...] [args]" with the connection
 * on descriptors 0 and 1, as mail_owner when master is root and the
 * unpriv column is not n.  Nothing else is passed: an inet child finds
 * the client's and its own address and port with getpeername(2) and
 * getsockname(2) on descriptor 0.  wakeup means nothing for these
 * services.  A service whose chroot column is y (and that can:
 * master_chroot) starts as root with -J and chroots itself.
 *
 * cleanup is normally started by its clients themselves, through a pipe.
 * A chrooted smtpd, qmqpd or pickup cannot start a program, so when
 * master.cf has one, master also listens on public/cleanup (the public
 * cleanup line of master.cf: "cleanup unix n ...") and runs a cleanup
 * per connection there, which is how those reach it.
 *
 * A unix service listens on the stream socket queue_directory/public/
 * NAME, mode 0666, in public/ (mail_owner:setgid_group, 0710): only
 * mail_owner, root and the setgid postdrop can reach it.  An inet
 * service listens on one socket per address (master_inet.c), bound by
 * master before any child runs, so as root also below port 1024.
 *
 * At most maxproc children (default_process_limit for "-", no limit for
 * 0) run per service; while a service is at its limit master stops
 * polling its sockets, so further clients wait in the listen backlog
 * rather than being refused.  inet services also have per-client limits
 * (master_inet.c).  A command that cannot be started throttles its
 * service for service_throttle_time (the connection is closed).
 *
 * Unix sockets are made only while master holds the lock on master.pid
 * (so a second master never removes the first one's), replacing a stale
 * socket; anything else in a socket's place is an error.  A reload keeps
 * every socket whose service and address are still there (no moment
 * without a listener), and the children, even when the command changed;
 * other sockets are closed (unix ones removed), new ones opened.  A stop
 * closes every socket at once and lets the children finish their
 * sessions for MASTER_STOP_MS: then SIGTERM, and SIGKILL MASTER_KILL_MS
 * later.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "conf.h"
#include "fd.h"
#include "log.h"
#include "mastercf.h"
#include "proc.h"
#include "str.h"
#include "master.h"

/* Connections that wait for a child: the listen(2) backlog. */
#define LISTEN_BACKLOG	100
/* Connections accepted on one socket before master looks at the rest. */
#define LISTEN_BATCH	64

static bool	listen_wanted(const struct mastercf_service *, bool);
static bool	listen_cleanup_needed(const struct master *,
		    const struct mastercf *);
static int	listen_build(struct master *, const struct mastercf_service *,
		    struct master_listener *);
static void	listen_free_one(struct master_listener *);
static void	listen_close(struct master_listener *);
static void	listen_take(struct master_listener *,
		    struct master_listener *);
static int	listen_keep(struct master_listener *,
		    const struct mastercf_service *, struct master_listener *,
		    size_t);
static int	listen_open_unix(struct master *, struct master_listener *,
		    struct master_sock *);
static bool	listen_ready(const struct master_listener *, long long);
static void	listen_spawn(struct master *, struct master_listener *, int,
		    const struct master_kid *);
static void	listen_signal(struct master *, int);

/*
 * A service that master runs per connection: every inet service, and
 * the public unix ones but pickup and qmgr (master runs them itself),
 * and cleanup, which its clients (pickup, smtpd, bounce, local) start
 * themselves with a pipe unless they are chrooted (cleanup_socket): a
 * socket for it would only be one more door.
 */
static bool
listen_wanted(const struct mastercf_service *cs, bool cleanup_socket)
{
	if (strcmp(cs->type, "inet") == 0) {
		return true;
	}
	return strcmp(cs->type, "unix") == 0 &&
	    cs->private_ == MASTERCF_NO &&
	    strcmp(cs->command, "pickup") != 0 &&
	    strcmp(cs->command, "qmgr") != 0 &&
	    (cleanup_socket || strcmp(cs->command, "cleanup") != 0);
}

/* Whether a chrooted smtpd, qmqpd or pickup needs cleanup's socket. */
static bool
listen_cleanup_needed(const struct master *m, const struct mastercf *mcf)
{
	const struct mastercf_service	*cs;
	size_t				 i;

	for (i = 0; i < mcf->n; i++) {
		cs = &mcf->services[i];
		if ((strcmp(cs->command, "smtpd") == 0 ||
		    strcmp(cs->command, "qmqpd") == 0 ||
		    strcmp(cs->command, "pickup") == 0) &&
		    master_chroot(m, cs, false)) {
			return true;
		}
	}
	return false;
}

/*
 * Fill l from one master.cf line and the loaded main.cf (sockets not
 * open).  Returns 0, or -1 (logged, l freed) for a bad inet name or
 * limit.
 */
static int
listen_build(struct master *m, const struct mastercf_service *cs,
    struct master_listener *l)
{
	struct str		 t = STR_INIT;
	struct sockaddr_un	*sun;
	long long		 limit;
	bool			 jail;

	memset(l, 0, sizeof(*l));
	str_catf(&t, "%s/%s", cs->name, cs->type);
	l->key = xstrdup(t.s);
	l->name = xstrdup(cs->name);
	l->inet = strcmp(cs->type, "inet") == 0;
	str_clear(&t);
	if (l->inet) {
		if (master_inet_socks(cs->name, &l->socks, &l->nsocks,
		    &t) == -1 || master_inet_limits(l, cs, &t) == -1) {
			log_error("%s, line %d: service %s: %s", cs->file,
			    cs->line, l->key, str_c(&t));
			listen_free_one(l);
			str_free(&t);
			return -1;
		}
	} else {
		l->socks = xreallocarray(NULL, 1, sizeof(*l->socks));
		l->nsocks = 1;
		memset(l->socks, 0, sizeof(*l->socks));
		l->socks[0].fd = -1;
		str_catf(&t, "%s/public/%s", m->queue_dir, cs->name);
		l->socks[0].label = xstrdup(t.s);
		sun = (struct sockaddr_un *)(void *)&l->socks[0].addr;
		sun->sun_family = AF_UNIX;
		/* too long: listen_open_unix says so */
		if (t.len < sizeof(sun->sun_path)) {
			memcpy(sun->sun_path, t.s, t.len + 1);
		}
		l->socks[0].addrlen = sizeof(*sun);
	}
	str_clear(&t);
	jail = master_chroot(m, cs, true);
	master_command(m, cs, jail, &l->path, &l->argv, &l->argc);
	/* a chrooted child starts as root and drops in the jail */
	l->setid = m->root && cs->unpriv != MASTERCF_NO && !jail;
	l->uid = m->owner_uid;
	l->gid = m->owner_gid;
	limit = cs->maxproc >= 0 ? cs->maxproc :
	    conf_int("default_process_limit");
	l->maxproc = limit > 0 ? (size_t)limit : 0;
	str_free(&t);
	return 0;
}

static void
listen_free_one(struct master_listener *l)
{
	size_t	i;

	free(l->key);
	free(l->name);
	for (i = 0; i < l->nsocks; i++) {
		free(l->socks[i].label);
	}
	free(l->socks);
	free(l->path);
	for (i = 0; i < l->argc; i++) {
		free(l->argv[i]);
	}
	free(l->argv);
	free(l->kids);
	free(l->clients);
	free(l->exceptions);
	memset(l, 0, sizeof(*l));
}

/* Stop listening: close the sockets, remove the unix one. */
static void
listen_close(struct master_listener *l)
{
	struct master_sock	*k;
	struct stat		 st;
	size_t			 i;

	for (i = 0; i < l->nsocks; i++) {
		k = &l->socks[i];
		if (k->fd == -1) {
			continue;
		}
		(void)close(k->fd);
		k->fd = -1;
		if (!l->inet && lstat(k->label, &st) == 0 &&
		    S_ISSOCK(st.st_mode) && unlink(k->label) == -1) {
			log_warn("remove %s", k->label);
		}
	}
}

/*
 * l replaces o (same service): take o's sockets for the same addresses,
 * its children and its clients.
 */
static void
listen_take(struct master_listener *l, struct master_listener *o)
{
	struct master_sock	*a, *b;
	size_t			 i, j;

	for (i = 0; i < l->nsocks; i++) {
		a = &l->socks[i];
		for (j = 0; j < o->nsocks; j++) {
			b = &o->socks[j];
			if (b->fd != -1 && a->addrlen == b->addrlen &&
			    memcmp(&a->addr, &b->addr, a->addrlen) == 0) {
				a->fd = b->fd;
				b->fd = -1;
				break;
			}
		}
	}
	l->kids = o->kids;
	l->nkids = o->nkids;
	l->capkids = o->capkids;
	l->throttle_until = o->throttle_until;
	o->kids = NULL;
	o->nkids = o->capkids = 0;
	l->clients = o->clients;
	l->nclients = o->nclients;
	l->capclients = o->capclients;
	o->clients = NULL;
	o->nclients = o->capclients = 0;
}

/*
 * A service whose new configuration has errors: move the running one
 * (same name and type) from old into l, if there is one; 0 or -1.
 */
static int
listen_keep(struct master_listener *l, const struct mastercf_service *cs,
    struct master_listener *old, size_t nold)
{
	struct str	key = STR_INIT;
	size_t		j;
	int		rc = -1;

	str_catf(&key, "%s/%s", cs->name, cs->type);
	for (j = 0; j < nold; j++) {
		if (old[j].key != NULL && strcmp(old[j].key, key.s) == 0) {
			*l = old[j];
			memset(&old[j], 0, sizeof(old[j]));
			log_warnx("service %s: keeping the running "
			    "configuration", l->key);
			rc = 0;
			break;
		}
	}
	str_free(&key);
	return rc;
}

int
master_listen_config(struct master *m, const struct mastercf *mcf)
{
	const struct mastercf_service	*cs;
	struct master_listener		*old = m->lsn, l;
	size_t				 nold = m->nlsn, i, j, k;
	int				 nerr = 0;
	bool				 cleanup_socket, have_cleanup = false;

	m->lsn = NULL;
	m->nlsn = m->caplsn = 0;
	cleanup_socket = listen_cleanup_needed(m, mcf);
	for (i = 0; i < mcf->n; i++) {
		if (!listen_wanted(&mcf->services[i], cleanup_socket)) {
			continue;
		}
		if (strcmp(mcf->services[i].command, "cleanup") == 0) {
			have_cleanup = true;
		}
		if (listen_build(m, &mcf->services[i], &l) == -1) {
			nerr++;
			/* on reload the service goes on as it was */
			if (listen_keep(&l, &mcf->services[i], old, nold) ==
			    -1) {
				continue;
			}
			j = nold;
		} else {
			j = 0;
		}
		for (; j < nold; j++) {
			if (old[j].key != NULL &&
			    strcmp(old[j].key, l.key) == 0) {
				/* the sockets and the children go on; the
				 * next child runs the new command */
				listen_take(&l, &old[j]);
				break;
			}
		}
		if (m->nlsn == m->caplsn) {
			m->caplsn = m->caplsn == 0 ? 4 : m->caplsn * 2;
			m->lsn = xreallocarray(m->lsn, m->caplsn,
			    sizeof(*m->lsn));
		}
		m->lsn[m->nlsn++] = l;
	}
	/*
	 * The services master does not run (the agents, and cleanup when
	 * no jailed client needs its socket): a chroot column of y that
	 * nobody will honour is warned about here.  smtp and lmtp are
	 * jailed by qmgr's spawner.
	 */
	for (i = 0; i < mcf->n; i++) {
		cs = &mcf->services[i];
		if (cs->chroot != MASTERCF_YES || master_service_runs(cs) ||
		    listen_wanted(cs, cleanup_socket) ||
		    (cleanup_socket && strcmp(cs->command, "cleanup") == 0)) {
			continue;
		}
		if (master_chroot(m, cs, true) &&
		    strcmp(cs->command, "cleanup") == 0) {
			log_warnx("%s, line %d: service %s/%s: no chrooted "
			    "smtpd, qmqpd or pickup needs master to run "
			    "cleanup, and the cleanup the others start runs "
			    "without a chroot", cs->file, cs->line, cs->name,
			    cs->type);
		}
	}
	if (cleanup_socket && !have_cleanup) {
		log_warnx("master.cf has chrooted services but no public "
		    "cleanup service (\"cleanup unix n - - - 0 cleanup\"): "
		    "they cannot queue mail");
	}
	for (j = 0; j < nold; j++) {
		for (k = 0; k < old[j].nsocks; k++) {
			if (old[j].socks[k].fd != -1) {
				log_info("service %s: no longer listening "
				    "on %s", old[j].key,
				    old[j].socks[k].label);
			}
		}
		listen_close(&old[j]);
		/* its children, if any, end on their own, untracked */
		listen_free_one(&old[j]);
	}
	free(old);
	return nerr;
}

/*
 * Make the unix socket k of l.  Returns 0, or -1 with the reason logged.
 */
static int
listen_open_unix(struct master *m, struct master_listener *l,
    struct master_sock *k)
{
	struct stat	st;
	mode_t		mask;
	int		fd, rc;

	if (strlen(k->label) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		log_error("service %s: %s: path too long for a socket "
		    "(at most %zu bytes)", l->key, k->label,
		    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return -1;
	}
	if (lstat(k->label, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_error("service %s: %s: not a socket; move it "
			    "away", l->key, k->label);
			return -1;
		}
		/* a stale socket: we hold master.pid's lock */
		if (unlink(k->label) == -1) {
			log_warn("service %s: remove %s", l->key, k->label);
			return -1;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		log_warn("service %s: socket", l->key);
		return -1;
	}
	/* The socket is made with mode 0777 less the umask: 0666, set at
	 * once (no chmod by name afterwards, which a link could divert). */
	mask = umask(0111);
	rc = bind(fd, (struct sockaddr *)&k->addr, k->addrlen);
	(void)umask(mask);
	if (rc == -1) {
		log_warn("service %s: bind %s", l->key, k->label);
		(void)close(fd);
		return -1;
	}
	/* lchown never follows a link put in its place */
	if (m->root && lchown(k->label, m->owner_uid, m->owner_gid) == -1) {
		log_warn("service %s: chown %s", l->key, k->label);
	}
	if (listen(fd, LISTEN_BACKLOG) == -1) {
		log_warn("service %s: listen %s", l->key, k->label);
		(void)close(fd);
		(void)unlink(k->label);
		return -1;
	}
	k->fd = fd;
	log_debug("service %s: listening on %s", l->key, k->label);
	return 0;
}

int
master_listen_open(struct master *m)
{
	struct master_listener	*l;
	size_t			 i, j;
	int			 nerr = 0, rc;

	for (i = 0; i < m->nlsn; i++) {
		l = &m->lsn[i];
		for (j = 0; j < l->nsocks; j++) {
			if (l->socks[j].fd != -1) {
				continue;
			}
			rc = l->inet ? master_inet_open(l->key,
			    &l->socks[j]) : listen_open_unix(m, l,
			    &l->socks[j]);
			if (rc == -1) {
				nerr++;
			}
		}
	}
	return nerr;
}

/* Whether l may accept a connection now. */
static bool
listen_ready(const struct master_listener *l, long long now)
{
	return now >= l->throttle_until &&
	    (l->maxproc == 0 || l->nkids < l->maxproc);
}

size_t
master_listen_pollfds(const struct master *m, struct pollfd *pfd,
    size_t max)
{
	long long	now = clock_ms();
	size_t		i, j, n = 0;

	for (i = 0; i < m->nlsn; i++) {
		if (!listen_ready(&m->lsn[i], now)) {
			continue;
		}
		for (j = 0; j < m->lsn[i].nsocks && n < max; j++) {
			if (m->lsn[i].socks[j].fd == -1) {
				continue;
			}
			pfd[n].fd = m->lsn[i].socks[j].fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
	}
	return n;
}

size_t
master_listen_nsocks(const struct master *m)
{
	size_t	i, n = 0;

	for (i = 0; i < m->nlsn; i++) {
		n += m->lsn[i].nsocks;
	}
	return n;
}

/* Run l's command on connection c (which stays ours to close). */
static void
listen_spawn(struct master *m, struct master_listener *l, int c,
    const struct master_kid *kid)
{
	static struct proc_env	 env = PROC_ENV_INIT;
	struct proc_cmd		 cmd;
	struct proc		 p;

	if (env.n == 0 && (proc_env_default(&env) == -1 ||
	    proc_env_import(&env, "TZ") == -1)) {
		log_warn("building the services' environment");
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = l->path;
	cmd.argv = l->argv;
	cmd.envp = proc_env_vector(&env);
	cmd.io[0] = PROC_IO_FD;
	cmd.io_fd[0] = c;
	cmd.io[1] = PROC_IO_FD;
	cmd.io_fd[1] = c;
	cmd.io[2] = PROC_IO_INHERIT;
	cmd.flags = PROC_PARENT_DEATH;
	if (l->setid) {
		cmd.flags |= PROC_SETID;
		cmd.uid = l->uid;
		cmd.gid = l->gid;
	}
	if (proc_spawn(&cmd, &p) == -1) {
		log_warn("%s %s", p.failed, l->path);
		log_warnx("%s: bad command startup -- throttling", l->path);
		l->throttle_until = clock_ms() + m->throttle_ms;
		if (kid->counted) {
			master_inet_release(l, kid);
		}
		return;
	}
	proc_close(&p);
	if (l->nkids == l->capkids) {
		l->capkids = l->capkids == 0 ? 4 : l->capkids * 2;
		l->kids = xreallocarray(l->kids, l->capkids, sizeof(*l->kids));
	}
	l->kids[l->nkids] = *kid;
	l->kids[l->nkids++].pid = p.pid;
	log_debug("service %s: started %s pid %ld", l->key, l->path,
	    (long)p.pid);
}

void
master_listen_accept(struct master *m, int fd)
{
	struct master_listener	*l = NULL;
	struct sockaddr_storage	 peer;
	struct master_kid	 kid;
	socklen_t		 len;
	size_t			 i, j, n;
	int			 c;

	for (i = 0; i < m->nlsn && l == NULL; i++) {
		for (j = 0; j < m->lsn[i].nsocks; j++) {
			if (m->lsn[i].socks[j].fd == fd) {
				l = &m->lsn[i];
				break;
			}
		}
	}
	if (l == NULL) {
		return;
	}
	/* the connections that wait, as far as the limit allows, and at
	 * most LISTEN_BATCH at a time: signals are not kept waiting by a
	 * flood of refused clients */
	for (n = 0; n < LISTEN_BATCH && listen_ready(l, clock_ms()); n++) {
		memset(&peer, 0, sizeof(peer));
		len = sizeof(peer);
		c = accept4(fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
		if (c == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warn("service %s: accept", l->key);
				/* not in a tight loop: later */
				l->throttle_until = clock_ms() + 1000;
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED) {
				log_warn("service %s: accept", l->key);
			}
			return;
		}
		memset(&kid, 0, sizeof(kid));
		/* BSD's accept passes the listener's O_NONBLOCK on; the
		 * child wants a blocking descriptor */
		if (fd_set_nonblock(c, false) == -1) {
			log_warn("service %s: fcntl", l->key);
		} else if (!l->inet || master_inet_admit(l, c, &peer, &kid)) {
			listen_spawn(m, l, c, &kid);
		}
		(void)close(c);
	}
}

bool
master_listen_reaped(struct master *m, pid_t pid, int status)
{
	char			 text[PROC_STATUS_MAX];
	struct master_listener	*l;
	size_t			 i, k;

	for (i = 0; i < m->nlsn; i++) {
		l = &m->lsn[i];
		for (k = 0; k < l->nkids; k++) {
			if (l->kids[k].pid != pid) {
				continue;
			}
			if (l->kids[k].counted) {
				master_inet_release(l, &l->kids[k]);
			}
			l->kids[k] = l->kids[--l->nkids];
			if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
			    !(m->stopping && WIFSIGNALED(status) &&
			    WTERMSIG(status) == SIGTERM)) {
				log_warnx("process %s pid %ld %s", l->path,
				    (long)pid, proc_status_text(status, text,
				    sizeof(text)));
			}
			return true;
		}
	}
	return false;
}

int
master_listen_timeout(const struct master *m)
{
	long long	now = clock_ms(), next = -1, t;
	size_t		i;

	if (m->stopping && master_listen_running(m) > 0) {
		next = m->lsn_kill_at;
	}
	for (i = 0; i < m->nlsn && !m->stopping; i++) {
		t = m->lsn[i].throttle_until;
		if (t > now && (next == -1 || t < next)) {
			next = t;
		}
	}
	if (next == -1) {
		return -1;
	}
	if (next <= now) {
		return 0;
	}
	return next - now > 60000 ? 60000 : (int)(next - now);
}

/* Send signo to every per-connection child. */
static void
listen_signal(struct master *m, int signo)
{
	size_t	i, k;

	for (i = 0; i < m->nlsn; i++) {
		for (k = 0; k < m->lsn[i].nkids; k++) {
			if (kill(m->lsn[i].kids[k].pid, signo) == -1 &&
			    errno != ESRCH) {
				log_warn("kill %s pid %ld", m->lsn[i].path,
				    (long)m->lsn[i].kids[k].pid);
			}
		}
	}
}

void
master_listen_tick(struct master *m)
{
	size_t	n;

	if (!m->stopping || (n = master_listen_running(m)) == 0 ||
	    clock_ms() < m->lsn_kill_at) {
		return;
	}
	if (m->lsn_kill_stage == 0) {
		log_warnx("%zu session%s still running after %d seconds, "
		    "terminating", n, n == 1 ? "" : "s",
		    MASTER_STOP_MS / 1000);
		listen_signal(m, SIGTERM);
		m->lsn_kill_stage = 1;
		m->lsn_kill_at = clock_ms() + MASTER_KILL_MS;
	} else {
		listen_signal(m, SIGKILL);
		/* again later, should one not even die of that */
		m->lsn_kill_at = clock_ms() + MASTER_STOP_MS;
	}
}

void
master_listen_stop_all(struct master *m)
{
	size_t	i, n;

	m->stopping = true;
	m->lsn_kill_at = clock_ms() + MASTER_STOP_MS;
	m->lsn_kill_stage = 0;
	for (i = 0; i < m->nlsn; i++) {
		listen_close(&m->lsn[i]);
	}
	if ((n = master_listen_running(m)) > 0) {
		log_info("no longer listening; waiting for %zu session%s to "
		    "end", n, n == 1 ? "" : "s");
	}
}

size_t
master_listen_running(const struct master *m)
{
	size_t	i, n = 0;

	for (i = 0; i < m->nlsn; i++) {
		n += m->lsn[i].nkids;
	}
	return n;
}

void
master_listen_free(struct master *m)
{
	size_t	i;

	for (i = 0; i < m->nlsn; i++) {
		listen_close(&m->lsn[i]);
		listen_free_one(&m->lsn[i]);
	}
	free(m->lsn);
	m->lsn = NULL;
	m->nlsn = m->caplsn = 0;
}
