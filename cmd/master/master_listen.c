/* SPDX-License-Identifier: ISC */
/*
 * master_listen.c: the services that master runs per connection.
 *
 * For every master.cf service of type unix whose private column is n
 * (public) and whose command is not one of the long-lived daemons
 * (pickup, qmgr: master_service.c), master listens on the stream socket
 * queue_directory/public/NAME and, for each connection it accepts, runs
 * "$daemon_directory/COMMAND -c $config_directory [-o name=value ...]
 * [args]" with the connection on descriptors 0 and 1, as mail_owner when
 * master is root and the unpriv column is not n.  The socket's mode is
 * 0666, but it lies in public/ (mail_owner:setgid_group, 0710): only
 * mail_owner, root and the setgid postdrop can reach it.  wakeup means
 * nothing for these services; chroot is reported and not done (as for
 * the daemons).
 *
 * At most maxproc children (default_process_limit for "-", no limit for
 * 0) run per service; while a service is at its limit master stops
 * polling its socket, so further clients wait in the listen backlog
 * rather than being refused.  A command that cannot be started
 * throttles its service for service_throttle_time.
 *
 * Sockets are made only while master holds the lock on master.pid (so a
 * second master never removes the first one's), replacing a stale
 * socket; anything else in a socket's place is an error.  A reload keeps
 * the socket (and the children) of every service that is still there,
 * even when its command changed; removed services' sockets are closed
 * and removed; so are all of them at stop.  Written with inet listeners
 * in mind, which will sit next to these.
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

static bool	listen_wanted(const struct mastercf_service *);
static void	listen_build(struct master *, const struct mastercf_service *,
		    struct master_listener *);
static void	listen_free_one(struct master_listener *);
static void	listen_close(struct master_listener *);
static int	listen_open_one(struct master *, struct master_listener *);
static bool	listen_ready(const struct master_listener *, long long);
static void	listen_spawn(struct master *, struct master_listener *, int);

/*
 * A public unix service that master runs per connection: not pickup and
 * qmgr (master runs them itself), and not cleanup, which its clients
 * (pickup, smtpd, bounce, local) start themselves with a pipe: a socket
 * for it would only be one more door.
 */
static bool
listen_wanted(const struct mastercf_service *cs)
{
	return strcmp(cs->type, "unix") == 0 &&
	    cs->private_ == MASTERCF_NO &&
	    strcmp(cs->command, "pickup") != 0 &&
	    strcmp(cs->command, "qmgr") != 0 &&
	    strcmp(cs->command, "cleanup") != 0;
}

/* Fill l from one master.cf line and the loaded main.cf (fd -1). */
static void
listen_build(struct master *m, const struct mastercf_service *cs,
    struct master_listener *l)
{
	struct str	t = STR_INIT;
	size_t		i, n;
	long long	limit;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	str_catf(&t, "%s/%s", cs->name, cs->type);
	l->key = xstrdup(t.s);
	str_clear(&t);
	str_catf(&t, "%s/public/%s", m->queue_dir, cs->name);
	l->sock_path = xstrdup(t.s);
	str_clear(&t);
	str_catf(&t, "%s/%s", conf_value("daemon_directory"), cs->command);
	l->path = xstrdup(t.s);
	/* command -c dir, two per override, the arguments, NULL */
	n = 3 + 2 * cs->noverrides + (cs->argc > 0 ? cs->argc - 1 : 0) + 1;
	l->argv = xreallocarray(NULL, n, sizeof(*l->argv));
	l->argv[l->argc++] = xstrdup(cs->command);
	l->argv[l->argc++] = xstrdup("-c");
	l->argv[l->argc++] = xstrdup(m->config_dir);
	for (i = 0; i < cs->noverrides; i++) {
		str_clear(&t);
		str_catf(&t, "%s=%s", cs->overrides[i].name,
		    cs->overrides[i].value);
		l->argv[l->argc++] = xstrdup("-o");
		l->argv[l->argc++] = xstrdup(t.s);
	}
	for (i = 1; i < cs->argc; i++) {
		l->argv[l->argc++] = xstrdup(cs->argv[i]);
	}
	l->argv[l->argc] = NULL;
	l->setid = m->root && cs->unpriv != MASTERCF_NO;
	l->uid = m->owner_uid;
	l->gid = m->owner_gid;
	limit = cs->maxproc >= 0 ? cs->maxproc :
	    conf_int("default_process_limit");
	l->maxproc = limit > 0 ? (size_t)limit : 0;
	if (cs->chroot == MASTERCF_YES) {
		log_warnx("%s, line %d: service %s: chroot is not supported "
		    "yet, running without it", cs->file, cs->line, l->key);
	}
	str_free(&t);
}

static void
listen_free_one(struct master_listener *l)
{
	size_t	i;

	free(l->key);
	free(l->sock_path);
	free(l->path);
	for (i = 0; i < l->argc; i++) {
		free(l->argv[i]);
	}
	free(l->argv);
	free(l->kids);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}

/* Stop listening: close the socket and remove it. */
static void
listen_close(struct master_listener *l)
{
	struct stat	st;

	if (l->fd == -1) {
		return;
	}
	(void)close(l->fd);
	l->fd = -1;
	if (lstat(l->sock_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    unlink(l->sock_path) == -1) {
		log_warn("remove %s", l->sock_path);
	}
}

void
master_listen_config(struct master *m, const struct mastercf *mcf)
{
	struct master_listener	*old = m->lsn, l, *o;
	size_t			 nold = m->nlsn, i, j;

	m->lsn = NULL;
	m->nlsn = m->caplsn = 0;
	for (i = 0; i < mcf->n; i++) {
		if (!listen_wanted(&mcf->services[i])) {
			continue;
		}
		listen_build(m, &mcf->services[i], &l);
		for (j = 0; j < nold; j++) {
			o = &old[j];
			if (o->key != NULL && strcmp(o->key, l.key) == 0 &&
			    strcmp(o->sock_path, l.sock_path) == 0) {
				/* the socket and the children go on; the
				 * next child runs the new command */
				l.fd = o->fd;
				l.kids = o->kids;
				l.nkids = o->nkids;
				l.capkids = o->capkids;
				l.throttle_until = o->throttle_until;
				o->fd = -1;
				o->kids = NULL;
				o->nkids = o->capkids = 0;
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
	for (j = 0; j < nold; j++) {
		if (old[j].fd != -1) {
			log_info("service %s: removed, no longer listening",
			    old[j].key);
			listen_close(&old[j]);
		}
		/* its children, if any, end on their own, untracked */
		listen_free_one(&old[j]);
	}
	free(old);
}

/*
 * Make l's socket.  Returns 0, or -1 with the reason logged.
 */
static int
listen_open_one(struct master *m, struct master_listener *l)
{
	struct sockaddr_un	sun;
	struct stat		st;
	mode_t			mask;
	int			fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(l->sock_path) >= sizeof(sun.sun_path)) {
		log_error("service %s: %s: path too long for a socket "
		    "(at most %zu bytes)", l->key, l->sock_path,
		    sizeof(sun.sun_path) - 1);
		return -1;
	}
	memcpy(sun.sun_path, l->sock_path, strlen(l->sock_path) + 1);
	if (lstat(l->sock_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_error("service %s: %s: not a socket; move it "
			    "away", l->key, l->sock_path);
			return -1;
		}
		/* a stale socket: we hold master.pid's lock */
		if (unlink(l->sock_path) == -1) {
			log_warn("service %s: remove %s", l->key,
			    l->sock_path);
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
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	(void)umask(mask);
	if (rc == -1) {
		log_warn("service %s: bind %s", l->key, l->sock_path);
		(void)close(fd);
		return -1;
	}
	/* lchown never follows a link put in its place */
	if (m->root && lchown(l->sock_path, m->owner_uid, m->owner_gid) ==
	    -1) {
		log_warn("service %s: chown %s", l->key, l->sock_path);
	}
	if (listen(fd, LISTEN_BACKLOG) == -1) {
		log_warn("service %s: listen %s", l->key, l->sock_path);
		(void)close(fd);
		(void)unlink(l->sock_path);
		return -1;
	}
	l->fd = fd;
	log_debug("service %s: listening on %s", l->key, l->sock_path);
	return 0;
}

int
master_listen_open(struct master *m)
{
	size_t	i;
	int	nerr = 0;

	for (i = 0; i < m->nlsn; i++) {
		if (m->lsn[i].fd == -1 &&
		    listen_open_one(m, &m->lsn[i]) == -1) {
			nerr++;
		}
	}
	return nerr;
}

/* Whether l may accept a connection now. */
static bool
listen_ready(const struct master_listener *l, long long now)
{
	return l->fd != -1 && now >= l->throttle_until &&
	    (l->maxproc == 0 || l->nkids < l->maxproc);
}

size_t
master_listen_pollfds(const struct master *m, struct pollfd *pfd,
    size_t max)
{
	long long	now = clock_ms();
	size_t		i, n = 0;

	for (i = 0; i < m->nlsn && n < max; i++) {
		if (listen_ready(&m->lsn[i], now)) {
			pfd[n].fd = m->lsn[i].fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
	}
	return n;
}

/* Run l's command on connection c (which stays ours to close). */
static void
listen_spawn(struct master *m, struct master_listener *l, int c)
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
	if (l->setid) {
		cmd.flags |= PROC_SETID;
		cmd.uid = l->uid;
		cmd.gid = l->gid;
	}
	if (proc_spawn(&cmd, &p) == -1) {
		log_warn("%s %s", p.failed, l->path);
		log_warnx("%s: bad command startup -- throttling", l->path);
		l->throttle_until = clock_ms() + m->throttle_ms;
		return;
	}
	proc_close(&p);
	if (l->nkids == l->capkids) {
		l->capkids = l->capkids == 0 ? 4 : l->capkids * 2;
		l->kids = xreallocarray(l->kids, l->capkids, sizeof(*l->kids));
	}
	l->kids[l->nkids++] = p.pid;
	log_debug("service %s: started %s pid %ld", l->key, l->path,
	    (long)p.pid);
}

void
master_listen_accept(struct master *m, int fd)
{
	struct master_listener	*l = NULL;
	size_t			 i;
	int			 c;

	for (i = 0; i < m->nlsn; i++) {
		if (m->lsn[i].fd == fd) {
			l = &m->lsn[i];
			break;
		}
	}
	if (l == NULL) {
		return;
	}
	/* every connection that waits, as far as the limit allows */
	while (listen_ready(l, clock_ms())) {
		c = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
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
		/* BSD's accept passes the listener's O_NONBLOCK on; the
		 * child wants a blocking descriptor */
		if (fd_set_nonblock(c, false) == -1) {
			log_warn("service %s: fcntl", l->key);
		} else {
			listen_spawn(m, l, c);
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
			if (l->kids[k] != pid) {
				continue;
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

	for (i = 0; i < m->nlsn; i++) {
		t = m->lsn[i].throttle_until;
		if (m->lsn[i].fd != -1 && t > now &&
		    (next == -1 || t < next)) {
			next = t;
		}
	}
	if (next == -1) {
		return -1;
	}
	return next - now > 60000 ? 60000 : (int)(next - now);
}

void
master_listen_stop_all(struct master *m)
{
	size_t	i, k;

	m->stopping = true;
	for (i = 0; i < m->nlsn; i++) {
		listen_close(&m->lsn[i]);
		for (k = 0; k < m->lsn[i].nkids; k++) {
			if (kill(m->lsn[i].kids[k], SIGTERM) == -1 &&
			    errno != ESRCH) {
				log_warn("kill %s pid %ld", m->lsn[i].path,
				    (long)m->lsn[i].kids[k]);
			}
		}
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
