/* SPDX-License-Identifier: ISC */
/*
 * qmgr_queue.c: the queue manager's passes over the queue and its
 * daemon loop.
 *
 * A pass delivers every file in active/ (at start: what a crash left
 * there), then moves more files in, first from incoming/, then, when the
 * pass includes deferred/, every deferred file whose modification time
 * (its next attempt time) has come, keeping at most
 * qmgr_message_active_limit files in active/, and repeats until nothing
 * moves.  Each message is attempted at most once per pass: one that
 * cannot leave active/ (a failed rename, a SIGTERM) waits for the next
 * pass or start.
 *
 * The daemon waits in poll(2) on the FIFO public/qmgr (any byte: scan
 * incoming/; an 'A' from postlet flush: deferred/ too), the signal pipe
 * and a timer: every queue_run_delay it scans deferred/ as well.  With -x there is one pass with deferred/, and
 * then qmgr exits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "conf.h"
#include "confopt.h"
#include "fd.h"
#include "log.h"
#include "qmgr.h"
#include "sig.h"
#include "wake.h"

/* A sorted list of queue IDs. */
struct idlist {
	char	(*id)[QID_SIZE];
	size_t	  n, cap;
};

static void	idlist_add(struct idlist *, const char *);
static bool	idlist_has(const struct idlist *, const char *);
static int	idlist_cmp(const void *, const void *);
static int	queue_list(const struct qmgr *, const char *,
		    struct idlist *);
static size_t	queue_fill(struct qmgr *, const char *, size_t, bool);
static void	queue_pass(struct qmgr *, bool);
static void	queue_fifo_open(struct qmgr *);
static void	queue_signals(struct qmgr *);
static int	queue_daemon(struct qmgr *);

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
 * The queue IDs in queue_dir/subdir, sorted (arrival order).  Other
 * names are skipped with a warning.  Returns 0 or -1 with errno.
 */
static int
queue_list(const struct qmgr *q, const char *subdir, struct idlist *l)
{
	struct str	 path = STR_INIT;
	struct dirent	*e;
	DIR		*d;

	l->n = 0;
	str_catf(&path, "%s/%s", str_c(&q->queue_dir), subdir);
	if ((d = opendir(path.s)) == NULL) {
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
	(void)closedir(d);
	str_free(&path);
	if (l->n > 0) {
		qsort(l->id, l->n, sizeof(*l->id), idlist_cmp);
	}
	return 0;
}

/*
 * Move up to room files from subdir to active/ (with due_only, only
 * those whose next attempt time has come).  Returns how many moved.
 */
static size_t
queue_fill(struct qmgr *q, const char *subdir, size_t room, bool due_only)
{
	struct idlist	 l = { NULL, 0, 0 };
	struct str	 path = STR_INIT;
	struct stat	 st;
	time_t		 now = time(NULL);
	size_t		 i, moved = 0;

	if (room == 0 || queue_list(q, subdir, &l) == -1) {
		goto out;
	}
	for (i = 0; i < l.n && moved < room && !q->stop; i++) {
		if (due_only) {
			str_clear(&path);
			str_catf(&path, "%s/%s/%s", str_c(&q->queue_dir),
			    subdir, l.id[i]);
			if (lstat(path.s, &st) == -1 || st.st_mtime > now) {
				continue;
			}
		}
		if (qfile_move(str_c(&q->queue_dir), l.id[i], subdir,
		    QFILE_ACTIVE) == -1) {
			if (errno != ENOENT) {
				log_warn("%s: move from %s to %s", l.id[i],
				    subdir, QFILE_ACTIVE);
			}
			continue;
		}
		moved++;
	}
out:
	free(l.id);
	str_free(&path);
	return moved;
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

/* One pass; with deferred, due files of deferred/ are taken too. */
static void
queue_pass(struct qmgr *q, bool deferred)
{
	struct idlist	active = { NULL, 0, 0 }, tried = { NULL, 0, 0 };
	size_t		i, room, moved, ntodo;

	while (!q->stop) {
		if (queue_list(q, QFILE_ACTIVE, &active) == -1) {
			break;
		}
		for (i = 0, ntodo = 0; i < active.n; i++) {
			if (idlist_has(&tried, active.id[i])) {
				continue;
			}
			queue_signals(q);
			if (q->stop) {
				break;
			}
			ntodo++;
			(void)qmgr_message(q, active.id[i]);
			idlist_add(&tried, active.id[i]);
			qsort(tried.id, tried.n, sizeof(*tried.id),
			    idlist_cmp);
		}
		if (ntodo > 0) {
			continue;
		}
		/* Nothing left to try in active/: let more in. */
		room = active.n >= (size_t)q->active_limit ? 0 :
		    (size_t)q->active_limit - active.n;
		moved = queue_fill(q, QFILE_INCOMING, room, false);
		if (deferred) {
			moved += queue_fill(q, QFILE_DEFERRED, room - moved,
			    true);
		}
		if (moved == 0) {
			break;
		}
	}
	free(active.id);
	free(tried.id);
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
	struct stat	st;

	str_catf(&path, "%s/public/qmgr", str_c(&q->queue_dir));
	if (mkfifo(path.s, 0622) == -1 && errno != EEXIST) {
		log_warn("mkfifo %s", path.s);
	}
	q->fifo = open(path.s, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (q->fifo == -1) {
		log_warn("open %s: only the timer wakes qmgr", path.s);
	} else if (fstat(q->fifo, &st) == -1 || !S_ISFIFO(st.st_mode)) {
		log_warnx("%s: not a FIFO: only the timer wakes qmgr",
		    path.s);
		(void)close(q->fifo);
		q->fifo = -1;
	}
	str_free(&path);
}

static int
queue_daemon(struct qmgr *q)
{
	struct pollfd	 pfd[2];
	char		 junk[256];
	ssize_t		 n;
	long long	 next_scan, now, wait, idle;
	bool		 wake = true, wake_all = false;

	queue_fifo_open(q);
	next_scan = clock_ms();
	while (!q->stop) {
		if (q->reload) {
			q->reload = false;
			log_info("reloading the configuration");
			qmgr_config(q);
			(void)log_open("qmgr", conf_value("maillog_file"));
		}
		now = clock_ms();
		if (now >= next_scan) {
			next_scan = now + q->queue_run_delay * 1000;
			queue_pass(q, true);
			wake = false;
		} else if (wake_all) {
			/* postlet flush: deferred/ is due now as well. */
			queue_pass(q, true);
			wake = wake_all = false;
		} else if (wake) {
			queue_pass(q, false);
			wake = false;
		}
		qmgr_agent_expire(q, false);
		if (q->stop || q->reload) {
			continue;
		}
		now = clock_ms();
		wait = next_scan > now ? next_scan - now : 0;
		if ((idle = qmgr_agent_next_expiry(q)) != -1 && idle < wait) {
			wait = idle;
		}
		if (wait > 3600 * 1000) {
			wait = 3600 * 1000;
		}
		pfd[0].fd = sig_fd();
		pfd[0].events = POLLIN;
		pfd[1].fd = q->fifo;
		pfd[1].events = POLLIN;
		if (poll(pfd, q->fifo == -1 ? 1 : 2, (int)wait) == -1 &&
		    errno != EINTR) {
			log_warn("poll");
			(void)sleep(1);
		}
		queue_signals(q);
		if (q->fifo != -1) {
			while ((n = read(q->fifo, junk, sizeof(junk))) > 0) {
				wake = true;
				if (memchr(junk, WAKE_REQ_SCAN_ALL,
				    (size_t)n) != NULL) {
					wake_all = true;
				}
			}
		}
	}
	log_info("stopping on a signal");
	qmgr_agent_expire(q, true);
	if (q->fifo != -1) {
		(void)close(q->fifo);
	}
	return 0;
}

int
qmgr_run(struct qmgr *q)
{
	if (!q->once) {
		return queue_daemon(q);
	}
	queue_pass(q, true);
	qmgr_agent_expire(q, true);
	return q->stop ? EX_TEMPFAIL : 0;
}
