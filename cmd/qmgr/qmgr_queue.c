/* SPDX-License-Identifier: ISC */
/*
 * qmgr_queue.c: what the queue manager takes into active/ and when, and
 * its event loop.
 *
 * Files come into active/ from incoming/ (on a wake-up, and at every
 * scan) and from deferred/ (at every scan, every queue_run_delay: those
 * whose modification time, their next attempt time, has come; after a
 * flush request, all of them), while active/ holds fewer than
 * qmgr_message_active_limit files.  A scan also takes what active/ holds
 * that no one is working on: at start, what a crash left there; later, a
 * file that could not leave it.  Files wait in a list until there is
 * room in memory (QMGR_LOADED_MAX messages at once, one descriptor
 * each), then become jobs (qmgr_message.c) that the scheduler
 * (qmgr_sched.c) runs.
 *
 * The loop waits in poll(2) on the signal pipe, the FIFO public/qmgr (any
 * byte: take incoming/; 'A': deferred/'s due files too; 'F': all of
 * deferred/), the busy agents, and the next timer.  SIGTERM stops taking
 * work and lets the busy agents finish for up to QMGR_STOP_MS; then they
 * are killed, and what they did not report stays pending in active/ for
 * the next start.  SIGHUP rereads the configuration.
 *
 * With -x (daemonless use, postlet flush): one pass over active/,
 * incoming/ and the due part of deferred/, repeated until nothing more
 * comes in, each file attempted at most once; then qmgr exits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "conf.h"
#include "confopt.h"
#include "durable.h"
#include "fd.h"
#include "flow.h"
#include "log.h"
#include "qmgr.h"
#include "sig.h"
#include "wake.h"

/* A list of queue IDs (sorted where said). */
struct idlist {
	char	(*id)[QID_SIZE];
	size_t	  n, cap;
};

/* Messages in memory at once, at most: each holds a descriptor. */
#define QMGR_LOADED_MAX	200
/* After SIGTERM, how long busy agents may take to finish their job. */
#define QMGR_STOP_MS	2000
/*
 * Files moved into active/ in one round of the loop, at most: each move
 * waits for the file system (a rename on a journaled one may wait for
 * the commit another process's fsync started), and while qmgr moves it
 * neither reads the agents' answers nor gives them work.  The rest is
 * moved in the next rounds, without sleeping in between.
 */
#define QMGR_MOVE_BATCH	50

/*
 * A listing of incoming/ or deferred/ that queue_fill takes files from,
 * batch after batch, from pos on: a backlog is listed (and sorted) once
 * per pass over it, not once per QMGR_MOVE_BATCH.
 */
struct listing {
	struct idlist	l;
	size_t		pos;
};

struct queue_state {
	/* incoming/ and deferred/ as last listed */
	struct listing	 incoming, deferred;
	/* files in active/ to take into memory, in order from first */
	struct idlist	 waiting;
	size_t		 first;
	/* -x: files taken once already (sorted) */
	struct idlist	 tried;
	/* what to take in at the next chance */
	bool		 want_active, want_incoming, want_deferred, want_flush;
	/* the last round left files to move for want of QMGR_MOVE_BATCH */
	bool		 more;
};

static void	idlist_add(struct idlist *, const char *);
static bool	idlist_has(const struct idlist *, const char *);
static int	idlist_cmp(const void *, const void *);
static int	queue_list(const struct qmgr *, const char *,
		    struct idlist *);
static void	queue_signals(struct qmgr *);
static void	queue_fifo_open(struct qmgr *);
static void	queue_flow_open(struct qmgr *);
static void	queue_fifo_read(struct qmgr *, struct queue_state *);
static void	queue_wait(struct queue_state *, const char *);
static void	queue_scan_active(struct qmgr *, struct queue_state *);
static void	listing_free(struct listing *);
static size_t	queue_fill(struct qmgr *, struct queue_state *, const char *,
		    struct listing *, size_t, bool, bool *);
static size_t	queue_take(struct qmgr *, struct queue_state *);
static void	queue_load(struct qmgr *, struct queue_state *);
static int	queue_loop(struct qmgr *);

static void
idlist_add(struct idlist *l, const char *id)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 64 : l->cap * 2;
		l->id = xreallocarray(l->id, l->cap, sizeof(*l->id));
	}
	/* id is qid_valid: shorter than QID_SIZE */
	memcpy(l->id[l->n++], id, strlen(id) + 1);
}

static int
idlist_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* For a sorted list. */
static bool
idlist_has(const struct idlist *l, const char *id)
{
	return l->n > 0 &&
	    bsearch(id, l->id, l->n, sizeof(*l->id), idlist_cmp) != NULL;
}

/*
 * The directory stream of incoming/, which queue_list reads about once
 * per message under load, kept open from one scan to the next:
 * rewinddir(3) starts each scan on the directory as it is then, and a
 * scan is not an open, an allocation and a close each time.  (The other
 * queues are scanned on a timer: their streams, 2 KiB each, are not
 * kept.)  Keyed by path, so a reload that moves queue_directory opens
 * the new one.
 */
static struct str	 incoming_path = STR_INIT;
static DIR		*incoming_dir;

/* opendir(3), without access times: incoming/ changes between two
 * scans, and relatime would stamp it at each. */
static DIR *
opendir_noatime(const char *path)
{
	DIR	*d;
	int	 fd, saved;

	if ((fd = fd_open_noatime(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC,
	    0)) == -1) {
		return NULL;
	}
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		(void)close(fd);
		errno = saved;
	}
	return d;
}

/* The stream of path, rewound when it is incoming/'s kept one; NULL with
 * errno when it cannot be opened.  *kept: not to be closed. */
static DIR *
scan_dir_open(const char *path, const char *subdir, bool *kept)
{
	*kept = strcmp(subdir, QFILE_INCOMING) == 0;
	if (!*kept) {
		return opendir(path);
	}
	if (incoming_dir != NULL && strcmp(str_c(&incoming_path), path) == 0) {
		rewinddir(incoming_dir);
		return incoming_dir;
	}
	if (incoming_dir != NULL) {
		(void)closedir(incoming_dir);
	}
	if ((incoming_dir = opendir_noatime(path)) != NULL) {
		str_set(&incoming_path, path);
	}
	return incoming_dir;
}

/*
 * The queue IDs in queue_dir/subdir, sorted (arrival order).  Other
 * names are skipped with a warning.  Returns 0 or -1 with errno.
 */
static int
queue_list(const struct qmgr *q, const char *subdir, struct idlist *l)
{
	struct str	 path = STR_INIT;
	struct dirent	*e;
	DIR		*d;
	bool		 kept;

	l->n = 0;
	str_catf(&path, "%s/%s", str_c(&q->queue_dir), subdir);
	if ((d = scan_dir_open(path.s, subdir, &kept)) == NULL) {
		log_warn("open %s", path.s);
		str_free(&path);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') {
			continue;
		}
		if (!qid_valid(e->d_name)) {
			log_warnx("%s/%s: not a queue ID: skipped", subdir,
			    e->d_name);
			continue;
		}
		idlist_add(l, e->d_name);
	}
	if (!kept) {
		(void)closedir(d);
	}
	str_free(&path);
	if (l->n > 0) {
		qsort(l->id, l->n, sizeof(*l->id), idlist_cmp);
	}
	return 0;
}

/* Take the signals that came: SIGTERM and SIGINT stop, SIGHUP reloads
 * (in the daemon loop). */
static void
queue_signals(struct qmgr *q)
{
	int	signo;

	while ((signo = sig_next()) != 0) {
		if (signo == SIGTERM || signo == SIGINT) {
			q->stop = true;
		} else if (signo == SIGHUP) {
			q->reload = true;
		}
	}
}

void
qmgr_config(struct qmgr *q)
{
	struct str	 errs = STR_INIT, path = STR_INIT, text = STR_INIT;

	confopt_load(q->config_dir, q->overrides, q->noverrides);
	str_set(&q->queue_dir, conf_value("queue_directory"));
	str_set(&q->daemon_dir, conf_value("daemon_directory"));
	q->minimal_backoff_time = conf_time("minimal_backoff_time");
	q->maximal_backoff_time = conf_time("maximal_backoff_time");
	q->queue_run_delay = conf_time("queue_run_delay");
	q->maximal_queue_lifetime = conf_time("maximal_queue_lifetime");
	q->bounce_queue_lifetime = conf_time("bounce_queue_lifetime");
	q->ipc_timeout = conf_time("ipc_timeout");
	q->max_idle = conf_time("max_idle");
	q->active_limit = conf_int("qmgr_message_active_limit");
	q->process_limit = conf_int("default_process_limit");
	q->flow_on = conf_time("in_flow_delay") > 0;
	q->flow_limit = q->process_limit < 1 ? 1 : q->process_limit > 4096 ?
	    4096 : (size_t)q->process_limit;
	q->delay_warning_time = conf_param_find("delay_warning_time") != NULL ?
	    conf_time("delay_warning_time") : 0;
	if (q->active_limit < 1) {
		q->active_limit = 1;
	}
	if (q->queue_run_delay < 1) {
		q->queue_run_delay = 1;
	}

	/* master.cf names each transport's command; none: the default. */
	mastercf_free(&q->mcf);
	str_clear(&errs);
	str_catf(&path, "%s/master.cf", q->config_dir);
	if (conf_read_file(path.s, &text) == -1) {
		if (errno != ENOENT) {
			log_warn("read %s", path.s);
		}
	} else if (mastercf_parse(&q->mcf, text.s, text.len, path.s,
	    &errs) > 0) {
		/* services with errors are left out: they use the default */
		(void)log_messages(errs.s, errs.len);
	}
	str_free(&errs);
	str_free(&path);
	str_free(&text);
}

/* public/qmgr, made when missing (mode 0622: anyone may wake us). */
static void
queue_fifo_open(struct qmgr *q)
{
	struct str	path = STR_INIT;

	str_catf(&path, "%s/public/qmgr", str_c(&q->queue_dir));
	if (mkfifo(path.s, 0622) == -1 && errno != EEXIST) {
		log_warn("mkfifo %s", path.s);
	}
	if ((q->fifo = fd_open_fifo(path.s, O_RDWR | O_NOFOLLOW)) == -1) {
		if (errno == EINVAL) {
			log_warnx("%s: not a FIFO: only the timer wakes qmgr",
			    path.s);
		} else {
			log_warn("open %s: only the timer wakes qmgr", path.s);
		}
	}
	str_free(&path);
}

/*
 * public/flow, with its tokens (lib/flow.h), when in_flow_delay is on;
 * kept open, even if a reload turns it off, so that the tokens stay.
 */
static void
queue_flow_open(struct qmgr *q)
{
	if (!q->flow_on) {
		return;
	}
	if ((q->flow = flow_open_put(str_c(&q->queue_dir))) == -1) {
		log_warn("open %s/%s: no flow control", str_c(&q->queue_dir),
		    FLOW_FIFO);
	} else if (flow_put(q->flow, q->flow_limit, q->flow_limit) == -1) {
		log_warn("%s: tokens", FLOW_FIFO);
	}
}

/*
 * After a batch of moves from subdir: fsync active/, then subdir.  The
 * fsync of active/ also makes the removals made before it durable, so
 * the end of the round need not do it again (qmgr_msg_sync).
 */
static void
queue_sync_move(struct qmgr *q, const char *subdir)
{
	struct str	path = STR_INIT;

	str_catf(&path, "%s/%s", str_c(&q->queue_dir), QFILE_ACTIVE);
	if (durable_fsync_dir(path.s) == -1) {
		log_warn("fsync %s", path.s);
	} else {
		q->removals_unsynced = false;
	}
	str_clear(&path);
	str_catf(&path, "%s/%s", str_c(&q->queue_dir), subdir);
	if (durable_fsync_dir(path.s) == -1) {
		log_warn("fsync %s", path.s);
	}
	str_free(&path);
}

/* Add id to the files waiting in active/ (and, with -x, to tried). */
static void
queue_wait(struct queue_state *st, const char *id)
{
	idlist_add(&st->waiting, id);
}

/* The files in active/ that nobody works on: they wait to be taken. */
static void
queue_scan_active(struct qmgr *q, struct queue_state *st)
{
	struct idlist	l = { NULL, 0, 0 }, w = { NULL, 0, 0 };
	size_t		i, n0 = st->waiting.n;

	/* those waiting already, sorted for idlist_has: a backlog can be
	 * tens of thousands, each looked up for each file of active/ */
	for (i = st->first; i < n0; i++) {
		idlist_add(&w, st->waiting.id[i]);
	}
	if (w.n > 0) {
		qsort(w.id, w.n, sizeof(*w.id), idlist_cmp);
	}
	if (queue_list(q, QFILE_ACTIVE, &l) == 0) {
		for (i = 0; i < l.n; i++) {
			if (qmgr_msg_loaded(q, l.id[i]) ||
			    idlist_has(&w, l.id[i]) ||
			    idlist_has(&st->tried, l.id[i])) {
				continue;
			}
			queue_wait(st, l.id[i]);
		}
	}
	/* -x: each is tried once (tried stays sorted for idlist_has) */
	if (q->once && st->waiting.n > n0) {
		for (i = n0; i < st->waiting.n; i++) {
			idlist_add(&st->tried, st->waiting.id[i]);
		}
		qsort(st->tried.id, st->tried.n, sizeof(*st->tried.id),
		    idlist_cmp);
	}
	free(l.id);
	free(w.id);
}

/*
 * Move up to room files from subdir to active/ (with due_only, only
 * those whose next attempt time has come; with -x, none tried before),
 * taking them from its listing ls where the last call stopped.  When the
 * listing is used up, subdir is listed once more (unless this call
 * listed it), so that nothing that came since is left behind; *all is
 * set when that listing too was used up.  Returns how many moved.
 * The moves are made durable together, two directory fsyncs for the
 * whole batch, before any of the files is looked at; if those fail, a
 * crash may put a file back where it was, to be taken again: at worst
 * a delivery twice, never a loss (the file itself is durable already).
 */
static size_t
queue_fill(struct qmgr *q, struct queue_state *st, const char *subdir,
    struct listing *ls, size_t room, bool due_only, bool *all)
{
	struct str	 path = STR_INIT;
	struct stat	 sb;
	time_t		 now = time(NULL);
	const char	*id;
	size_t		 i, moved = 0;
	bool		 fresh = false;

	*all = false;
	if (room == 0) {
		goto out;
	}
	while (!q->stop) {
		if (ls->pos >= ls->l.n) {
			/* used up: list, once more for what came since, unless
			 * this call listed it */
			if (fresh) {
				*all = true;
				listing_free(ls);
				break;
			}
			if (queue_list(q, subdir, &ls->l) == -1) {
				goto out;
			}
			ls->pos = 0;
			fresh = true;
			continue;
		}
		id = ls->l.id[ls->pos];
		if (q->once && idlist_has(&st->tried, id)) {
			ls->pos++;
			continue;
		}
		if (due_only) {
			str_clear(&path);
			str_catf(&path, "%s/%s/%s", str_c(&q->queue_dir),
			    subdir, id);
			if (lstat(path.s, &sb) == -1 || sb.st_mtime > now) {
				ls->pos++;
				continue;
			}
		}
		if (moved == room) {
			goto out;	/* *all stays false */
		}
		ls->pos++;
		if (qfile_move_nosync(str_c(&q->queue_dir), id, subdir,
		    QFILE_ACTIVE) == -1) {
			if (errno != ENOENT) {
				log_warn("%s: move from %s to %s", id,
				    subdir, QFILE_ACTIVE);
			}
			continue;
		}
		queue_wait(st, id);
		moved++;
	}
out:
	if (moved > 0) {
		queue_sync_move(q, subdir);
	}
	if (q->once && moved > 0) {
		for (i = st->waiting.n - moved; i < st->waiting.n; i++) {
			idlist_add(&st->tried, st->waiting.id[i]);
		}
		qsort(st->tried.id, st->tried.n, sizeof(*st->tried.id),
		    idlist_cmp);
	}
	str_free(&path);
	return moved;
}

/* Forget a listing (and the memory of a long one). */
static void
listing_free(struct listing *ls)
{
	free(ls->l.id);
	memset(ls, 0, sizeof(*ls));
}

/*
 * Take into active/ what is wanted, as far as qmgr_message_active_limit
 * allows, QMGR_MOVE_BATCH files at most; a want stays until everything
 * it covers came in.  Returns how many files moved.
 */
static size_t
queue_take(struct qmgr *q, struct queue_state *st)
{
	size_t	known, room, moved = 0;
	bool	all, batch;

	if (st->want_active) {
		st->want_active = false;
		queue_scan_active(q, st);
	}
	known = q->nloaded + (st->waiting.n - st->first);
	room = known >= (size_t)q->active_limit ? 0 :
	    (size_t)q->active_limit - known;
	if ((batch = room > QMGR_MOVE_BATCH)) {
		room = QMGR_MOVE_BATCH;
	}
	if (st->want_incoming && room > 0) {
		moved += queue_fill(q, st, QFILE_INCOMING, &st->incoming, room,
		    false, &all);
		st->want_incoming = !all;
	}
	if ((st->want_deferred || st->want_flush) && room > moved) {
		moved += queue_fill(q, st, QFILE_DEFERRED, &st->deferred,
		    room - moved, !st->want_flush, &all);
		if (all) {
			st->want_deferred = st->want_flush = false;
		}
	}
	st->more = batch && moved == room &&
	    (st->want_incoming || st->want_deferred || st->want_flush);
	return moved;
}

/* Take waiting files into memory while there is room. */
static void
queue_load(struct qmgr *q, struct queue_state *st)
{
	while (st->first < st->waiting.n && q->nloaded < QMGR_LOADED_MAX &&
	    !q->stop) {
		/* one that cannot be opened stays for the next scan */
		(void)qmgr_msg_load(q, st->waiting.id[st->first]);
		st->first++;
	}
	if (st->first == st->waiting.n) {
		st->first = st->waiting.n = 0;
	}
}

/* Wake-up bytes: any takes incoming/; 'A' due deferred/ files; 'F' all
 * of deferred/. */
static void
queue_fifo_read(struct qmgr *q, struct queue_state *st)
{
	char	junk[256];
	ssize_t	n;

	if (q->fifo == -1) {
		return;
	}
	while ((n = read(q->fifo, junk, sizeof(junk))) > 0) {
		st->want_incoming = true;
		if (memchr(junk, WAKE_REQ_SCAN_ALL, (size_t)n) != NULL) {
			st->want_deferred = true;
		}
		if (memchr(junk, WAKE_REQ_FLUSH, (size_t)n) != NULL) {
			st->want_flush = true;
		}
	}
}

/*
 * The daemon holds an exclusive flock(2) on active/ while it runs, as a
 * daemonless pass does (postlet flush): one queue manager per queue.  A
 * previous one (its master killed, it finishing its last deliveries)
 * is waited for.  Returns the descriptor, or -1 when a signal came
 * first.
 */
static int
queue_lock(struct qmgr *q)
{
	struct str	 path = STR_INIT;
	bool		 said = false;
	int		 fd;

	str_catf(&path, "%s/%s", q->queue_dir.s, QFILE_ACTIVE);
	if ((fd = open(path.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		fatal(EX_OSERR, "open %s", path.s);
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			fatal(EX_OSERR, "lock %s", path.s);
		}
		if (!said) {
			log_info("another queue manager works on %s: waiting",
			    q->queue_dir.s);
			said = true;
		}
		if (sig_caught(SIGTERM) || sig_caught(SIGINT)) {
			(void)close(fd);
			fd = -1;
			break;
		}
		(void)poll(NULL, 0, 200);
	}
	str_free(&path);
	return fd;
}

static int
queue_loop(struct qmgr *q)
{
	struct queue_state	 st;
	struct pollfd		*pfd = NULL;
	size_t			 npfd = 0, nagents;
	long long		 now, next_scan, stop_at = -1, wait, t;
	int			 lock_fd = -1;

	memset(&st, 0, sizeof(st));
	st.want_active = st.want_incoming = st.want_deferred = true;
	if (!q->once) {
		if ((lock_fd = queue_lock(q)) == -1) {
			return 0;
		}
		queue_fifo_open(q);
		queue_flow_open(q);
	}
	next_scan = clock_ms() + q->queue_run_delay * 1000;
	for (;;) {
		if (q->reload && !q->stop) {
			q->reload = false;
			log_info("reloading the configuration");
			qmgr_config(q);
			qmgr_sched_limits(q);
			(void)log_open("qmgr", conf_value("maillog_file"));
		}
		now = clock_ms();
		if (!q->stop) {
			if (!q->once && now >= next_scan) {
				st.want_active = st.want_incoming = true;
				st.want_deferred = true;
				next_scan = now + q->queue_run_delay * 1000;
			}
			/* the agents get work first: the moves take time */
			queue_load(q, &st);
			qmgr_sched_dispatch(q);
			(void)queue_take(q, &st);
			queue_load(q, &st);
			qmgr_sched_dispatch(q);
			if (q->once && q->nloaded == 0 &&
			    st.first == st.waiting.n) {
				/* all done: once more, for what came since */
				st.want_incoming = st.want_deferred = true;
				if (queue_take(q, &st) == 0 &&
				    st.first == st.waiting.n) {
					break;
				}
				continue;
			}
		} else {
			if (stop_at == -1) {
				log_info("stopping on a signal");
				stop_at = now + QMGR_STOP_MS;
			}
			if (qmgr_sched_busy(q) == 0 || now >= stop_at) {
				break;
			}
		}
		qmgr_agent_expire(q, false);

		wait = q->once ? -1 : next_scan > now ? next_scan - now : 0;
		if ((t = qmgr_sched_next_deadline(q)) != -1 &&
		    (wait == -1 || t < wait)) {
			wait = t;
		}
		if ((t = qmgr_agent_next_expiry(q)) != -1 &&
		    (wait == -1 || t < wait)) {
			wait = t;
		}
		if (stop_at != -1 && (wait == -1 || stop_at - now < wait)) {
			wait = stop_at > now ? stop_at - now : 0;
		}
		if (st.more && !q->stop) {
			/* files left to move: look at the agents, no sleep */
			wait = 0;
		}
		if (wait == -1 || wait > 3600 * 1000) {
			wait = 3600 * 1000;
		}
		/* the round's results durable before we sleep */
		qmgr_msg_sync(q);
		nagents = qmgr_sched_busy(q);
		if (npfd < nagents + 2) {
			npfd = nagents + 2;
			pfd = xreallocarray(pfd, npfd, sizeof(*pfd));
		}
		pfd[0].fd = sig_fd();
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = q->fifo;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		nagents = qmgr_sched_pollfds(q, pfd + 2, nagents);
		if (poll(pfd, (nfds_t)(nagents + 2), (int)wait) == -1 &&
		    errno != EINTR) {
			log_warn("poll");
			(void)sleep(1);
			continue;
		}
		queue_signals(q);
		queue_fifo_read(q, &st);
		qmgr_sched_io(q, pfd + 2, nagents);
	}
	qmgr_msg_sync(q);
	qmgr_sched_abort(q);
	qmgr_msg_drop_all(q);
	qmgr_agent_expire(q, true);
	if (q->fifo != -1) {
		(void)close(q->fifo);
		q->fifo = -1;
	}
	free(pfd);
	listing_free(&st.incoming);
	listing_free(&st.deferred);
	free(st.waiting.id);
	free(st.tried.id);
	if (lock_fd != -1) {
		(void)close(lock_fd);
	}
	return q->stop && q->once ? EX_TEMPFAIL : 0;
}

int
qmgr_run(struct qmgr *q)
{
	return queue_loop(q);
}
