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
 * smtpd and cleanup (the public cleanup line of master.cf: "cleanup
 * unix n ...") are the services whose children master reuses: each
 * serves one connection after another, handed to it by master over a
 * control channel (lib/handoff.h: COMMAND -H), so that a session or a
 * message costs no process start.  Master hands a connection to an
 * idle child, starts a new one only when none is idle (up to maxproc),
 * and makes one exit (closes its channel) after max_use connections,
 * after max_idle without one, on a reload (the next ones read the new
 * main.cf) and on a stop.  An inet client counts toward its per-client
 * limits until its child reports the connection done.  smtpd, qmqpd,
 * pickup and bounce connect to public/cleanup, and start a cleanup of
 * their own through a pipe only when nobody listens (no master;
 * lib/submit.h); a chrooted one cannot start a program and depends on
 * the socket.
 *
 * A unix service listens on the stream socket queue_directory/public/
 * NAME, mode 0666, in public/ (mail_owner:setgid_group, 0710): only
 * mail_owner, root and the setgid postdrop can reach it.  An inet
 * service listens on one socket per address (master_inet.c), bound by
 * master before any child runs, so as root also below port 1024.
 *
 * At most maxproc children (default_process_limit for "-", no limit for
 * 0) run per service; while a service is at its limit (and, reused, has
 * no idle child) master stops polling its sockets, so further clients
 * wait in the listen backlog rather than being refused.  inet services
 * also have per-client limits (master_inet.c).  A command that cannot
 * be started throttles its service for service_throttle_time (the
 * connection is closed).
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
#include "handoff.h"
#include "log.h"
#include "mastercf.h"
#include "proc.h"
#include "str.h"
#include "master.h"

/* Connections that wait for a child: the listen(2) backlog. */
#define LISTEN_BACKLOG	100
/* Connections accepted on one socket before master looks at the rest. */
#define LISTEN_BATCH	64

static bool	listen_wanted(const struct mastercf_service *);
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
static int	listen_spawn(struct master *, struct master_listener *, int,
		    const struct master_kid *);
static void	listen_signal(struct master *, int);
static void	listen_hand(struct master *, struct master_listener *, int,
		    const struct master_kid *, bool);
static struct master_kid *listen_idle_kid(struct master_listener *);
static bool	listen_may_start(const struct master_listener *, long long);
static void	listen_kid_holds(struct master_kid *, int);
static void	listen_let_go(struct master_kid *);
static void	listen_let_all_go(struct master_listener *);
static void	listen_report(struct master *, struct master_listener *,
		    struct master_kid *);
static void	listen_accept(struct master *, struct master_listener *, int);

/*
 * A service that master runs per connection: every inet service, and
 * the public unix ones but pickup and qmgr (master runs them itself).
 */
static bool
listen_wanted(const struct mastercf_service *cs)
{
	if (strcmp(cs->type, "inet") == 0) {
		return true;
	}
	return strcmp(cs->type, "unix") == 0 &&
	    cs->private_ == MASTERCF_NO &&
	    strcmp(cs->command, "pickup") != 0 &&
	    strcmp(cs->command, "qmgr") != 0;
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
	l->reuse = strcmp(cs->command, "smtpd") == 0 ||
	    (!l->inet && strcmp(cs->command, "cleanup") == 0);
	if (l->reuse) {
		if (master_param_uint(cs, "max_use", false, &limit,
		    &t) == -1 || master_param_uint(cs, "max_idle", true,
		    &l->max_idle_ms, &t) == -1) {
			log_error("%s, line %d: service %s: %s", cs->file,
			    cs->line, l->key, str_c(&t));
			listen_free_one(l);
			str_free(&t);
			return -1;
		}
		l->max_use = (size_t)limit;
		l->max_idle_ms *= 1000;
	}
	jail = master_chroot(m, cs, true);
	master_command(m, cs, jail, &l->path, &l->argv, &l->argc);
	if (l->reuse) {
		/* "COMMAND -H -c dir ...": descriptor 0 is the channel */
		l->argv = xreallocarray(l->argv, l->argc + 2,
		    sizeof(*l->argv));
		memmove(l->argv + 2, l->argv + 1, l->argc * sizeof(*l->argv));
		l->argv[1] = xstrdup("-H");
		l->argc++;
	}
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
	/* reused children, untracked from here, end after their
	 * connection */
	listen_let_all_go(l);
	free(l->kids);
	free(l->clients);
	free(l->exceptions);
	memset(l, 0, sizeof(*l));
}

/* master_listen_closes */
static unsigned long	listen_closes;

unsigned long
master_listen_closes(void)
{
	return listen_closes;
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
		listen_closes++;
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
	bool				 have_cleanup = false;

	m->lsn = NULL;
	m->nlsn = m->caplsn = 0;
	for (i = 0; i < mcf->n; i++) {
		if (!listen_wanted(&mcf->services[i])) {
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
				 * next child runs the new command (reused
				 * ones end after their connection, to read
				 * the new main.cf) */
				listen_take(&l, &old[j]);
				listen_let_all_go(&l);
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
	 * The services master does not run (the agents, and a private
	 * cleanup): a chroot column of y that nobody will honour is warned
	 * about here.  smtp and lmtp are jailed by qmgr's spawner.
	 */
	for (i = 0; i < mcf->n; i++) {
		cs = &mcf->services[i];
		if (cs->chroot != MASTERCF_YES || master_service_runs(cs) ||
		    listen_wanted(cs)) {
			continue;
		}
		if (master_chroot(m, cs, true) &&
		    strcmp(cs->command, "cleanup") == 0) {
			log_warnx("%s, line %d: service %s/%s: master runs "
			    "only a public cleanup (private column n), and "
			    "the cleanup that clients start runs without a "
			    "chroot", cs->file, cs->line, cs->name,
			    cs->type);
		}
	}
	if (listen_cleanup_needed(m, mcf) && !have_cleanup) {
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

/* The index of an idle reused child of l, or l->nkids for none. */
static size_t
listen_idle_index(const struct master_listener *l)
{
	size_t	k;

	for (k = 0; k < l->nkids; k++) {
		if (l->kids[k].ctl != -1 && !l->kids[k].busy) {
			break;
		}
	}
	return k;
}

/* An idle reused child of l, or NULL. */
static struct master_kid *
listen_idle_kid(struct master_listener *l)
{
	size_t	k = listen_idle_index(l);

	return k < l->nkids ? &l->kids[k] : NULL;
}

/* Whether l may accept a connection now. */
static bool
listen_ready(const struct master_listener *l, long long now)
{
	/* an idle child takes a connection, throttled or not: a throttle
	 * is about starting processes */
	if (listen_idle_index(l) < l->nkids) {
		return true;
	}
	return listen_may_start(l, now);
}

/* Whether a new child of l may start now: not throttled, below maxproc. */
static bool
listen_may_start(const struct master_listener *l, long long now)
{
	return now >= l->throttle_until &&
	    (l->maxproc == 0 || l->nkids < l->maxproc);
}

/* Reused child k now holds connection c: busy, and c is the one
 * connection it may give back (known by device and inode). */
static void
listen_kid_holds(struct master_kid *k, int c)
{
	struct stat	st;

	k->busy = true;
	k->conn_dev = 0;
	k->conn_ino = 0;
	if (fstat(c, &st) == 0) {
		k->conn_dev = st.st_dev;
		k->conn_ino = st.st_ino;
	}
}

/* Close our end of a reused child's channel: it ends after its
 * connection (at once when idle). */
static void
listen_let_go(struct master_kid *kid)
{
	if (kid->ctl != -1) {
		(void)close(kid->ctl);
		kid->ctl = -1;
		listen_closes++;
	}
}

static void
listen_let_all_go(struct master_listener *l)
{
	size_t	k;

	for (k = 0; k < l->nkids; k++) {
		listen_let_go(&l->kids[k]);
	}
}

size_t
master_listen_pollfds(const struct master *m, struct pollfd *pfd,
    size_t max)
{
	long long	now = clock_ms();
	size_t		i, j, n = 0;

	for (i = 0; i < m->nlsn; i++) {
		for (j = 0; j < m->lsn[i].nkids && n < max; j++) {
			if (m->lsn[i].kids[j].ctl == -1) {
				continue;
			}
			pfd[n].fd = m->lsn[i].kids[j].ctl;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
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
		if (m->lsn[i].reuse) {
			n += m->lsn[i].nkids;
		}
	}
	return n;
}

/*
 * Run l's command on connection c (which stays ours to close); for a
 * reused service, start a child with a new channel and hand it c.
 * Returns 0, or -1 (logged, the service throttled).
 */
static int
listen_spawn(struct master *m, struct master_listener *l, int c,
    const struct master_kid *kid)
{
	static struct proc_env	 env = PROC_ENV_INIT;
	struct proc_cmd		 cmd;
	struct proc		 p;
	struct master_kid	*k;
	int			 sv[2] = { -1, -1 };

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
	if (l->reuse) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    sv) == -1) {
			log_warn("service %s: socketpair", l->key);
			l->throttle_until = clock_ms() + 1000;
			return -1;
		}
		/* the child: its channel on 0, nothing on 1 */
		cmd.io_fd[0] = sv[1];
		cmd.io[1] = PROC_IO_NULL;
	}
	master_child_stderr(&cmd);
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
		if (l->reuse) {
			(void)close(sv[0]);
			(void)close(sv[1]);
		}
		return -1;
	}
	proc_close(&p);
	if (l->nkids == l->capkids) {
		l->capkids = l->capkids == 0 ? 4 : l->capkids * 2;
		l->kids = xreallocarray(l->kids, l->capkids, sizeof(*l->kids));
	}
	k = &l->kids[l->nkids++];
	*k = *kid;
	k->pid = p.pid;
	k->ctl = -1;
	log_debug("service %s: started %s pid %ld", l->key, l->path,
	    (long)p.pid);
	if (l->reuse) {
		(void)close(sv[1]);
		k->ctl = sv[0];
		(void)fd_set_nonblock(k->ctl, true);
		/* the packet waits in the channel until the child reads */
		if (handoff_send(k->ctl, c) == -1) {
			log_warn("service %s: hand-off to pid %ld", l->key,
			    (long)k->pid);
			listen_let_go(k);
			return -1;
		}
		k->uses = 1;
		listen_kid_holds(k, c);
	}
	return 0;
}

/*
 * Reused service l: hand connection c (ours to close) to an idle child,
 * or to a new one while below maxproc (or above it, with given_back: a
 * connection a child gave back unserved, which still counts until it is
 * reaped).  client: the connection's client fields (master_inet_admit),
 * which the child carries until it is done.
 */
static void
listen_hand(struct master *m, struct master_listener *l, int c,
    const struct master_kid *client, bool given_back)
{
	struct master_kid	*k;

	while ((k = listen_idle_kid(l)) != NULL) {
		if (handoff_send(k->ctl, c) == 0) {
			k->uses++;
			k->counted = client->counted;
			k->family = client->family;
			memcpy(k->addr, client->addr, sizeof(k->addr));
			listen_kid_holds(k, c);
			return;
		}
		/* gone or broken: it is reaped when it ends */
		log_warn("service %s: hand-off to pid %ld", l->key,
		    (long)k->pid);
		listen_let_go(k);
	}
	if (given_back || listen_may_start(l, clock_ms())) {
		(void)listen_spawn(m, l, c, client);
		return;
	}
	/* the idle child that listen_ready saw failed above, and no new
	 * one may start: the client sees end of file, and may come again */
	log_warnx("service %s: no process for a connection; closed",
	    l->key);
	if (client->counted) {
		master_inet_release(l, client);
	}
}

/*
 * The report of reused child kid on its channel (POLLIN): 'D', its
 * connection is done; 'R' with the connection, which it gives back
 * unserved before it exits (handoff.h), for another child; end of file,
 * it ended.
 */
static void
listen_report(struct master *m, struct master_listener *l,
    struct master_kid *kid)
{
	struct master_kid	 client;
	struct stat		 st;
	char			 tag[2];
	int			 fds[1];
	size_t			 nfds;
	bool			 trunc;
	ssize_t			 r;

	r = fd_recv_packet(kid->ctl, false, tag, sizeof(tag), fds, 1, &nfds,
	    &trunc);
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		return;
	}
	if (r == -1 && errno != ECONNRESET) {
		log_warn("service %s: pid %ld: its channel", l->key,
		    (long)kid->pid);
	}
	if (r <= 0 && nfds == 0) {
		/* it ended, or is ending: reaped later */
		listen_let_go(kid);
		return;
	}
	if (r == 1 && tag[0] == HANDOFF_RETURN && nfds == 1 && !trunc &&
	    kid->busy && fstat(fds[0], &st) == 0 &&
	    st.st_dev == kid->conn_dev && st.st_ino == kid->conn_ino) {
		/* the connection, and its client's count, go elsewhere */
		client = *kid;
		kid->counted = false;
		kid->busy = false;
		listen_let_go(kid);
		listen_hand(m, l, fds[0], &client, true);
		(void)close(fds[0]);
		return;
	}
	if (r != 1 || tag[0] != HANDOFF_DONE || nfds != 0 || trunc ||
	    !kid->busy) {
		log_warnx("service %s: pid %ld: unexpected report on its "
		    "channel", l->key, (long)kid->pid);
		if (nfds == 1) {
			(void)close(fds[0]);
		}
		listen_let_go(kid);
		return;
	}
	kid->busy = false;
	if (kid->counted) {
		master_inet_release(l, kid);
		kid->counted = false;
	}
	kid->idle_since = clock_ms();
	/* max_idle 0: no idle child is kept */
	if ((l->max_use > 0 && kid->uses >= l->max_use) ||
	    l->max_idle_ms <= 0) {
		listen_let_go(kid);
	}
}

void
master_listen_event(struct master *m, int fd)
{
	struct master_listener	*l;
	size_t			 i, j;

	for (i = 0; i < m->nlsn; i++) {
		l = &m->lsn[i];
		for (j = 0; j < l->nsocks; j++) {
			if (l->socks[j].fd == fd) {
				listen_accept(m, l, fd);
				return;
			}
		}
		for (j = 0; j < l->nkids; j++) {
			if (l->kids[j].ctl == fd) {
				listen_report(m, l, &l->kids[j]);
				return;
			}
		}
	}
}

/* Whether the new socket may have the listener's O_NONBLOCK: never on
 * Linux (accept(2)); elsewhere it is cleared to be sure. */
#ifdef __linux__
static const bool	accept_inherits_nonblock = false;
#else
static const bool	accept_inherits_nonblock = true;
#endif

/* Accept on l's socket fd and run (or hand to) a child per connection. */
static void
listen_accept(struct master *m, struct master_listener *l, int fd)
{
	struct sockaddr_storage	 peer;
	struct master_kid	 kid;
	socklen_t		 len;
	size_t			 n;
	int			 c;

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
		/* the child wants a blocking descriptor */
		if (accept_inherits_nonblock &&
		    fd_set_nonblock(c, false) == -1) {
			log_warn("service %s: fcntl", l->key);
		} else if (l->inet && !master_inet_admit(l, c, &peer, &kid)) {
			/* refused, with a 421 */
		} else if (l->reuse) {
			listen_hand(m, l, c, &kid, false);
		} else {
			(void)listen_spawn(m, l, c, &kid);
		}
		(void)close(c);
	}
}

bool
master_listen_reaped(struct master *m, pid_t pid, int status)
{
	char			 text[PROC_STATUS_MAX];
	struct master_listener	*l;
	size_t			 i, k, n;

	for (i = 0; i < m->nlsn; i++) {
		l = &m->lsn[i];
		for (k = 0; k < l->nkids; k++) {
			if (l->kids[k].pid != pid) {
				continue;
			}
			/* what it said before it ended, a connection it
			 * gave back above all, is still to be read (a
			 * few packets at most: it held one connection) */
			for (n = 0; n < 4 && l->kids[k].ctl != -1; n++) {
				listen_report(m, l, &l->kids[k]);
			}
			listen_let_go(&l->kids[k]);
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
	const struct master_kid	*kid;
	long long		 now = clock_ms(), next = -1, t;
	size_t			 i, k;

	if (m->stopping && master_listen_running(m) > 0) {
		next = m->lsn_kill_at;
	}
	for (i = 0; i < m->nlsn && !m->stopping; i++) {
		t = m->lsn[i].throttle_until;
		if (t > now && (next == -1 || t < next)) {
			next = t;
		}
		for (k = 0; k < m->lsn[i].nkids; k++) {
			kid = &m->lsn[i].kids[k];
			if (kid->ctl == -1 || kid->busy ||
			    m->lsn[i].max_idle_ms <= 0) {
				continue;
			}
			t = kid->idle_since + m->lsn[i].max_idle_ms;
			if (next == -1 || t < next) {
				next = t;
			}
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
	struct master_listener	*l;
	struct master_kid	*kid;
	long long		 now = clock_ms();
	size_t			 i, k, n;

	for (i = 0; i < m->nlsn; i++) {
		l = &m->lsn[i];
		for (k = 0; k < l->nkids && l->max_idle_ms > 0; k++) {
			kid = &l->kids[k];
			if (kid->ctl != -1 && !kid->busy &&
			    now - kid->idle_since >= l->max_idle_ms) {
				listen_let_go(kid);
			}
		}
	}
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
		/* idle reused children end now, busy ones after their
		 * connection */
		listen_let_all_go(&m->lsn[i]);
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
