/* SPDX-License-Identifier: ISC */
/*
 * master_service.c: the daemons that master keeps running.
 *
 * From master.cf, master runs the services whose command is pickup or
 * qmgr (type unix or fifo): one process each, started as
 * "$daemon_directory/COMMAND -c $config_directory [-o name=value ...]
 * [args]", as mail_owner when master is root and the unpriv column is
 * not n.  Public unix services (private n: showq) get a socket and a
 * child per connection (master_listen.c); every other unix service
 * (cleanup, local, smtp, ...) is run on demand by pickup and qmgr
 * themselves; inet services get sockets and a child per connection too
 * (master_listen.c, master_inet.c).
 *
 * A child that ends is started again.  One that ends within
 * MASTER_STARTUP_MS of its start, or cannot be started at all, is
 * throttled: it is started again only after service_throttle_time, so a
 * broken daemon cannot make master fork in a tight loop.
 *
 * On reload a service whose command line or identity changed, or that
 * was removed, is "retired": it gets SIGTERM (SIGKILL after
 * MASTER_STOP_MS) and its successor starts only once it is gone, so two
 * qmgr never work on one queue.  One that is unchanged keeps running
 * and gets SIGHUP, to reread main.cf; a chrooted pickup, which cannot,
 * exits instead and is started again at once (no throttle for an end
 * after that SIGHUP).  Nothing here is fatal after start.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "alloc.h"
#include "clock.h"
#include "conf.h"
#include "log.h"
#include "mastercf.h"
#include "proc.h"
#include "str.h"
#include "wake.h"
#include "master.h"

static void	service_free_one(struct master_service *);
static bool	service_wanted(const struct mastercf_service *);
static void	service_build(struct master *, const struct mastercf_service *,
		    struct master_service *);
static bool	service_same(const struct master_service *,
		    const struct master_service *);
static void	service_add(struct master *, const struct master_service *);
static void	service_retire(struct master_service *);
static void	service_remove(struct master *, size_t);
static bool	service_blocked(const struct master *,
		    const struct master_service *);
static int	service_read_cf(const char *, struct mastercf *,
		    struct str *);

bool
master_chroot(const struct master *m, const struct mastercf_service *cs,
    bool warn)
{
	if (cs->chroot != MASTERCF_YES) {
		return false;
	}
	if (!mastercf_can_chroot(cs->command)) {
		if (warn) {
			log_warnx("%s, line %d: service %s/%s: %s cannot run "
			    "chrooted (only cleanup, lmtp, pickup, qmqpd, "
			    "smtp and smtpd can), running it without",
			    cs->file, cs->line, cs->name, cs->type,
			    cs->command);
		}
		return false;
	}
	if (!m->root) {
		if (warn) {
			log_warnx("%s, line %d: service %s/%s: chroot needs "
			    "root, running it without", cs->file, cs->line,
			    cs->name, cs->type);
		}
		return false;
	}
	return true;
}

bool
master_service_runs(const struct mastercf_service *cs)
{
	return service_wanted(cs);
}

void
master_command(const struct master *m, const struct mastercf_service *cs,
    bool jail, char **path, char ***argv, size_t *argc)
{
	struct str	t = STR_INIT;
	size_t		i, n;

	str_catf(&t, "%s/%s", conf_value("daemon_directory"), cs->command);
	*path = xstrdup(t.s);
	/* command -c dir -J, two per override, the arguments, NULL */
	n = 4 + 2 * cs->noverrides + (cs->argc > 0 ? cs->argc - 1 : 0) + 1;
	*argv = xreallocarray(NULL, n, sizeof(**argv));
	*argc = 0;
	(*argv)[(*argc)++] = xstrdup(cs->command);
	(*argv)[(*argc)++] = xstrdup("-c");
	(*argv)[(*argc)++] = xstrdup(m->config_dir);
	if (jail) {
		(*argv)[(*argc)++] = xstrdup("-J");
	}
	for (i = 0; i < cs->noverrides; i++) {
		str_clear(&t);
		str_catf(&t, "%s=%s", cs->overrides[i].name,
		    cs->overrides[i].value);
		(*argv)[(*argc)++] = xstrdup("-o");
		(*argv)[(*argc)++] = xstrdup(t.s);
	}
	for (i = 1; i < cs->argc; i++) {
		(*argv)[(*argc)++] = xstrdup(cs->argv[i]);
	}
	(*argv)[*argc] = NULL;
	str_free(&t);
}

static void
service_free_one(struct master_service *s)
{
	size_t	i;

	free(s->key);
	free(s->wake_name);
	free(s->path);
	for (i = 0; i < s->argc; i++) {
		free(s->argv[i]);
	}
	free(s->argv);
	memset(s, 0, sizeof(*s));
}

/* The long-lived daemons: pickup and qmgr, as unix (or old fifo) type. */
static bool
service_wanted(const struct mastercf_service *cs)
{
	if (strcmp(cs->type, "unix") != 0 && strcmp(cs->type, "fifo") != 0) {
		return false;
	}
	return strcmp(cs->command, "pickup") == 0 ||
	    strcmp(cs->command, "qmgr") == 0;
}

/* Fill s from one master.cf line and the loaded main.cf. */
static void
service_build(struct master *m, const struct mastercf_service *cs,
    struct master_service *s)
{
	struct str	t = STR_INIT;
	bool		jail;

	memset(s, 0, sizeof(*s));
	str_catf(&t, "%s/%s", cs->name, cs->type);
	s->key = xstrdup(t.s);
	s->wake_name = xstrdup(cs->command);
	jail = master_chroot(m, cs, true);
	master_command(m, cs, jail, &s->path, &s->argv, &s->argc);
	/*
	 * qmgr always starts as root when we are: it forks its privileged
	 * spawner (lib/spawn.h), which starts the unpriv = n agents, and
	 * then drops to mail_owner itself.  A chrooted daemon starts as
	 * root too, to chroot, and becomes mail_owner in the jail.
	 */
	s->setid = m->root && cs->unpriv != MASTERCF_NO &&
	    strcmp(cs->command, "qmgr") != 0 && !jail;
	s->uid = m->owner_uid;
	s->gid = m->owner_gid;
	s->wakeup = cs->wakeup;
	s->pid = -1;
	str_free(&t);
}

/* Whether a running child of a may go on as b (same command, same id). */
static bool
service_same(const struct master_service *a, const struct master_service *b)
{
	size_t	i;

	if (strcmp(a->path, b->path) != 0 || a->argc != b->argc ||
	    a->setid != b->setid || a->uid != b->uid || a->gid != b->gid) {
		return false;
	}
	for (i = 0; i < a->argc; i++) {
		if (strcmp(a->argv[i], b->argv[i]) != 0) {
			return false;
		}
	}
	return true;
}

/* Append a copy of the struct (the pointers move into the array). */
static void
service_add(struct master *m, const struct master_service *s)
{
	if (m->nsvc == m->capsvc) {
		m->capsvc = m->capsvc == 0 ? 8 : m->capsvc * 2;
		m->svc = xreallocarray(m->svc, m->capsvc, sizeof(*m->svc));
	}
	m->svc[m->nsvc++] = *s;
}

/* Stop a service for good: SIGTERM now, SIGKILL later (tick). */
static void
service_retire(struct master_service *s)
{
	s->retired = true;
	s->kill_at = clock_ms() + MASTER_STOP_MS;
	if (s->pid > 0 && kill(s->pid, SIGTERM) == -1 && errno != ESRCH) {
		log_warn("kill %s pid %ld", s->path, (long)s->pid);
	}
}

static void
service_remove(struct master *m, size_t i)
{
	service_free_one(&m->svc[i]);
	memmove(&m->svc[i], &m->svc[i + 1],
	    (m->nsvc - i - 1) * sizeof(*m->svc));
	m->nsvc--;
}

/* A live service waits while a retired one of its name still runs. */
static bool
service_blocked(const struct master *m, const struct master_service *s)
{
	size_t	i;

	for (i = 0; i < m->nsvc; i++) {
		if (m->svc[i].retired && m->svc[i].pid > 0 &&
		    strcmp(m->svc[i].key, s->key) == 0) {
			return true;
		}
	}
	return false;
}

/* Read and parse DIR/master.cf; errors appended to errs; their number. */
static int
service_read_cf(const char *dir, struct mastercf *mcf, struct str *errs)
{
	struct str	path = STR_INIT, text = STR_INIT;
	int		nerr;

	str_catf(&path, "%s/master.cf", dir);
	if (conf_read_file(path.s, &text) == -1) {
		str_catf(errs, "%s: %s\n", path.s, strerror(errno));
		nerr = 1;
	} else {
		nerr = mastercf_parse(mcf, text.s, text.len, path.s, errs);
	}
	str_free(&path);
	str_free(&text);
	return nerr;
}

int
master_config(struct master *m, bool reload)
{
	struct conf			 c = CONF_INIT;
	struct mastercf			 mcf = MASTERCF_INIT;
	struct master_service		 s;
	const struct mastercf_service	*cs;
	struct str			 errs = STR_INIT;
	size_t				 i, j, old;
	int				 nerr;
	bool				 found;

	nerr = service_read_cf(m->config_dir, &mcf, &errs);
	if (reload) {
		/* Check main.cf before conf_load, which would be fatal. */
		nerr += conf_load_file(&c, m->config_dir, &errs, NULL);
		conf_free(&c);
		if (nerr > 0) {
			(void)log_messages(str_c(&errs), errs.len);
			log_warnx("reload: %d error%s in the configuration, "
			    "keeping the running one", nerr,
			    nerr == 1 ? "" : "s");
			str_free(&errs);
			mastercf_free(&mcf);
			return -1;
		}
	} else if (nerr > 0) {
		(void)log_messages(str_c(&errs), errs.len);
		fatalx(EX_CONFIG, "%d error%s in master.cf", nerr,
		    nerr == 1 ? "" : "s");
	}
	str_free(&errs);
	conf_load(m->config_dir);
	m->throttle_ms = conf_time("service_throttle_time") * 1000;
	if (m->throttle_ms <= 0) {
		m->throttle_ms = 1000;
	}

	/* The services that ran before this (re)load: 0 .. old-1. */
	old = m->nsvc;
	for (j = 0; j < old; j++) {
		m->svc[j].matched = false;
	}
	for (i = 0; i < mcf.n; i++) {
		cs = &mcf.services[i];
		if (!service_wanted(cs)) {
			continue;
		}
		service_build(m, cs, &s);
		found = false;
		for (j = 0; j < old && !found; j++) {
			struct master_service *o = &m->svc[j];

			if (o->retired || strcmp(o->key, s.key) != 0) {
				continue;
			}
			found = true;
			o->matched = true;
			if (service_same(o, &s)) {
				/* Unchanged: keep the running child, which
				 * rereads main.cf (a chrooted pickup exits
				 * and is started again). */
				o->wakeup = s.wakeup;
				service_free_one(&s);
				if (reload && o->pid > 0) {
					o->hupped = true;
					if (kill(o->pid, SIGHUP) == -1 &&
					    errno != ESRCH) {
						log_warn("kill %s pid %ld",
						    o->path, (long)o->pid);
					}
				}
			} else {
				log_info("service %s: command changed, "
				    "restarting", s.key);
				service_retire(o);
				service_add(m, &s);
			}
		}
		if (!found) {
			service_add(m, &s);
		}
	}
	if ((nerr = master_listen_config(m, &mcf)) > 0 && !reload) {
		fatalx(EX_CONFIG, "%d error%s in master.cf", nerr,
		    nerr == 1 ? "" : "s");
	}
	for (j = 0; j < old; j++) {
		if (!m->svc[j].retired && !m->svc[j].matched) {
			log_info("service %s: removed, stopping",
			    m->svc[j].key);
			service_retire(&m->svc[j]);
		}
	}
	/* Retired ones that are already gone need no reaping. */
	for (j = m->nsvc; j > 0; j--) {
		if (m->svc[j - 1].retired && m->svc[j - 1].pid <= 0) {
			service_remove(m, j - 1);
		}
	}
	mastercf_free(&mcf);
	return 0;
}

void
master_child_stderr(struct proc_cmd *cmd)
{
	int	fd = log_file_fd();

	if (fd == -1) {
		cmd->io[2] = PROC_IO_INHERIT;
	} else {
		cmd->io[2] = PROC_IO_FD;
		cmd->io_fd[2] = fd;
	}
}

void
master_service_start_all(struct master *m)
{
	static struct proc_env	 env = PROC_ENV_INIT;
	struct proc_cmd		 cmd;
	struct proc		 p;
	struct master_service	*s;
	long long		 now = clock_ms();
	size_t			 i;

	if (env.n == 0 && (proc_env_default(&env) == -1 ||
	    proc_env_import(&env, "TZ") == -1)) {
		log_warn("building the daemons' environment");
	}
	for (i = 0; i < m->nsvc; i++) {
		s = &m->svc[i];
		if (s->retired || s->pid > 0 || now < s->throttle_until ||
		    service_blocked(m, s)) {
			continue;
		}
		memset(&cmd, 0, sizeof(cmd));
		cmd.path = s->path;
		cmd.argv = s->argv;
		cmd.envp = proc_env_vector(&env);
		cmd.io[0] = PROC_IO_NULL;
		cmd.io[1] = PROC_IO_NULL;
		master_child_stderr(&cmd);
		/* no orphan daemon beside the next master's */
		cmd.flags = PROC_PARENT_DEATH;
		if (s->setid) {
			cmd.flags |= PROC_SETID;
			cmd.uid = s->uid;
			cmd.gid = s->gid;
		}
		s->started = now;
		s->hupped = false;
		if (proc_spawn(&cmd, &p) == -1) {
			log_warn("%s %s", p.failed, s->path);
			log_warnx("%s: bad command startup -- throttling",
			    s->path);
			s->throttle_until = now + m->throttle_ms;
			continue;
		}
		proc_close(&p);
		s->pid = p.pid;
		s->throttle_until = 0;
		s->next_wake = s->wakeup > 0 ? now + s->wakeup * 1000LL : 0;
		log_debug("service %s: started %s pid %ld", s->key, s->path,
		    (long)s->pid);
	}
}

void
master_service_reap(struct master *m)
{
	char			 text[PROC_STATUS_MAX];
	struct master_service	*s;
	long long		 now;
	pid_t			 pid;
	size_t			 i;
	int			 st, r;
	bool			 reloaded;

	while ((r = proc_reap(&pid, &st)) == 1) {
		now = clock_ms();
		for (i = 0; i < m->nsvc; i++) {
			if (m->svc[i].pid == pid) {
				break;
			}
		}
		if (i == m->nsvc) {
			(void)master_listen_reaped(m, pid, st);
			continue;
		}
		s = &m->svc[i];
		s->pid = -1;
		/* told to reload, it exited, or SIGHUP caught it before its
		 * handler was in place: started again, no harm done */
		reloaded = s->hupped && ((WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0) || (WIFSIGNALED(st) &&
		    WTERMSIG(st) == SIGHUP));
		if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0) && !reloaded &&
		    !(s->retired && WIFSIGNALED(st) &&
		    WTERMSIG(st) == SIGTERM)) {
			log_warnx("process %s pid %ld %s", s->path, (long)pid,
			    proc_status_text(st, text, sizeof(text)));
		}
		if (s->retired) {
			service_remove(m, i);
			continue;
		}
		if (now - s->started < MASTER_STARTUP_MS && !reloaded) {
			log_warnx("%s: bad command startup -- throttling",
			    s->path);
			s->throttle_until = now + m->throttle_ms;
		}
	}
	if (r == -1 && errno != ECHILD) {
		log_warn("waitpid");
	}
}

void
master_service_tick(struct master *m)
{
	struct master_service	*s;
	long long		 now = clock_ms();
	size_t			 i;

	for (i = 0; i < m->nsvc; i++) {
		s = &m->svc[i];
		if (s->pid <= 0) {
			continue;
		}
		if (s->retired) {
			if (now >= s->kill_at) {
				log_warnx("service %s: pid %ld did not stop, "
				    "killing it", s->key, (long)s->pid);
				(void)kill(s->pid, SIGKILL);
				s->kill_at = now + MASTER_STOP_MS;
			}
			continue;
		}
		if (s->wakeup > 0 && now >= s->next_wake) {
			if (wake_up(m->queue_dir, s->wake_name) == -1) {
				log_warn("wake up %s/public/%s", m->queue_dir,
				    s->wake_name);
			}
			s->next_wake = now + s->wakeup * 1000LL;
		}
	}
}

int
master_service_timeout(const struct master *m)
{
	const struct master_service	*s;
	long long			 now = clock_ms(), next = -1, t;
	size_t				 i;

	for (i = 0; i < m->nsvc; i++) {
		s = &m->svc[i];
		t = -1;
		if (s->retired) {
			if (s->pid > 0) {
				t = s->kill_at;
			}
		} else if (s->pid <= 0) {
			t = s->throttle_until > now ? s->throttle_until : now;
		} else if (s->wakeup > 0) {
			t = s->next_wake;
		}
		if (t != -1 && (next == -1 || t < next)) {
			next = t;
		}
	}
	if (next == -1) {
		return -1;
	}
	if (next <= now) {
		return 0;
	}
	/* at most a minute at a time, so a clock_ms value never overflows
	 * an int of milliseconds */
	return next - now > 60000 ? 60000 : (int)(next - now);
}

void
master_service_stop_all(struct master *m)
{
	size_t	i;

	for (i = m->nsvc; i > 0; i--) {
		if (!m->svc[i - 1].retired) {
			service_retire(&m->svc[i - 1]);
		}
		if (m->svc[i - 1].pid <= 0) {
			service_remove(m, i - 1);
		}
	}
}

size_t
master_service_running(const struct master *m)
{
	size_t	i, n = 0;

	for (i = 0; i < m->nsvc; i++) {
		if (m->svc[i].pid > 0) {
			n++;
		}
	}
	return n;
}

void
master_service_free(struct master *m)
{
	size_t	i;

	for (i = 0; i < m->nsvc; i++) {
		service_free_one(&m->svc[i]);
	}
	free(m->svc);
	m->svc = NULL;
	m->nsvc = m->capsvc = 0;
}
