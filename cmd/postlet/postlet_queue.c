/* SPDX-License-Identifier: ISC */
/*
 * postlet_queue.c: the queue tools of postlet, which do what Postfix's
 * postqueue -p/-j, postcat -q and postsuper -d/-h/-H/-r do:
 *
 *	postlet queue [-j]		list the queue (mailq), or JSON lines
 *	postlet show ID			envelope and content of one message
 *	postlet delete ID|ALL [QUEUE]	remove messages
 *	postlet hold ID|ALL [QUEUE]	park messages in hold/
 *	postlet release ID|ALL		hold/ back to deferred/
 *	postlet requeue ID|ALL [QUEUE]	back to incoming/, scheduled at once
 *
 * They read and move queue files directly, so they need the rights of
 * mail_owner (or root).  Moves are durable (rename, then fsync of both
 * directories).  A file that does not parse is reported as corrupt,
 * never guessed at.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "conf.h"
#include "durable.h"
#include "fd.h"
#include "log.h"
#include "postlet.h"
#include "qfile.h"
#include "str.h"
#include "wake.h"

/* The queues that hold messages, in the order they are listed. */
static const char *const queue_names[] = {
	QFILE_INCOMING, QFILE_ACTIVE, QFILE_DEFERRED, QFILE_HOLD, NULL
};

/* One ID list per scan. */
struct queue_ids {
	char	**ids;
	size_t	  n, cap;
};

static int
queue_cmp_id(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
queue_ids_free(struct queue_ids *q)
{
	size_t	i;

	for (i = 0; i < q->n; i++) {
		free(q->ids[i]);
	}
	free(q->ids);
	memset(q, 0, sizeof(*q));
}

/*
 * The queue IDs in queue_dir/name, sorted (arrival order).  A missing
 * directory is an empty queue.  Returns 0, or -1 with errno.
 */
static int
queue_scan(const char *queue_dir, const char *name, struct queue_ids *q)
{
	struct str	 path = STR_INIT;
	DIR		*d;
	struct dirent	*de;
	int		 saved;

	memset(q, 0, sizeof(*q));
	str_catf(&path, "%s/%s", queue_dir, name);
	d = opendir(path.s);
	saved = errno;
	str_free(&path);
	if (d == NULL) {
		errno = saved;
		return saved == ENOENT ? 0 : -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!qid_valid(de->d_name)) {
			continue;
		}
		if (q->n == q->cap) {
			q->cap = q->cap == 0 ? 64 : q->cap * 2;
			q->ids = xreallocarray(q->ids, q->cap, sizeof(*q->ids));
		}
		q->ids[q->n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (q->n > 1) {
		qsort(q->ids, q->n, sizeof(*q->ids), queue_cmp_id);
	}
	return 0;
}

/* Open queue_dir/queue/id; 0, or -1 with the reason logged. */
static int
queue_open(const char *queue_dir, const char *queue, const char *id,
    struct qfile *qf)
{
	struct str	path = STR_INIT;
	int		rc;

	str_catf(&path, "%s/%s/%s", queue_dir, queue, id);
	rc = qfile_open(path.s, O_RDONLY, qf);
	str_free(&path);
	return rc;
}

/*
 * The first reason recorded for a recipient in the defer log
 * queue_dir/defer/id (lines "address TAB code SP text"), into reason;
 * empty when there is none.
 */
static void
queue_defer_reason(const char *queue_dir, const char *id, const char *rcpt,
    struct str *reason)
{
	struct str	 path = STR_INIT, text = STR_INIT;
	const char	*p, *nl, *tab;
	size_t		 n = strlen(rcpt);

	str_clear(reason);
	str_catf(&path, "%s/defer/%s", queue_dir, id);
	if (conf_read_file(path.s, &text) == 0) {
		for (p = str_c(&text); *p != '\0'; p = nl + 1) {
			if ((nl = strchr(p, '\n')) == NULL) {
				break;
			}
			tab = memchr(p, '\t', (size_t)(nl - p));
			if (tab != NULL && (size_t)(tab - p) == n &&
			    memcmp(p, rcpt, n) == 0) {
				str_set_mem(reason, tab + 1,
				    (size_t)(nl - tab - 1));
			}
		}
	}
	str_free(&path);
	str_free(&text);
}

/* Append s as a JSON string: escapes, and invalid UTF-8 as U+FFFD. */
static void
json_string(struct str *out, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, n, k;

	str_cat_char(out, '"');
	for (i = 0; p[i] != '\0'; i += n) {
		n = 1;
		if (p[i] == '"' || p[i] == '\\') {
			str_catf(out, "\\%c", p[i]);
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			str_catf(out, "\\u%04x", p[i]);
		} else if (p[i] < 0x80) {
			str_cat_char(out, p[i]);
		} else {
			/* A well-formed UTF-8 sequence is copied whole. */
			n = p[i] >= 0xf0 && p[i] <= 0xf4 ? 4 :
			    p[i] >= 0xe0 ? 3 : p[i] >= 0xc2 ? 2 : 0;
			for (k = 1; k < n; k++) {
				if ((p[i + k] & 0xc0) != 0x80) {
					break;
				}
			}
			if (n == 0 || k < n) {
				str_cat(out, "\\ufffd");
				n = 1;
			} else {
				str_cat_mem(out, p + i, n);
			}
		}
	}
	str_cat_char(out, '"');
}

/* mailq's columns: ID and mark, size, date (19), two blanks, sender. */
#define QUEUE_ID_COLUMN		21
#define QUEUE_RCPT_COLUMN	(QUEUE_ID_COLUMN + 8 + 1 + 19 + 2)

/* Postfix's mailq date: "Sat Nov 28 12:00:00". */
static void
queue_date(long long sec, struct str *out)
{
	char		buf[64];
	struct tm	tm;
	time_t		t = (time_t)sec;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S", &tm) == 0) {
		str_set(out, "?");
		return;
	}
	str_set(out, buf);
}

/*
 * One message of the listing, in mailq's or JSON's shape.  Returns its
 * size, or -1 when it could not be read (reported, not listed).
 */
static long long
queue_list_one(const char *queue_dir, const char *queue, const char *id,
    bool json, struct str *out)
{
	struct qfile	 qf = QFILE_INIT;
	struct str	 date = STR_INIT, reason = STR_INIT, last = STR_INIT;
	struct str	 idmark = STR_INIT;
	size_t		 i, shown = 0;
	long long	 size;
	char		 mark;

	if (queue_open(queue_dir, queue, id, &qf) == -1) {
		log_warnx("%s/%s: %s", queue, id, str_c(&qf.error));
		qfile_close(&qf);
		return -1;
	}
	mark = strcmp(queue, QFILE_ACTIVE) == 0 ? '*' :
	    strcmp(queue, QFILE_HOLD) == 0 ? '!' : ' ';
	if (json) {
		str_cat(out, "{\"queue_name\": ");
		json_string(out, queue);
		str_cat(out, ", \"queue_id\": ");
		json_string(out, id);
		str_catf(out, ", \"arrival_time\": %lld, \"message_size\": "
		    "%lld, \"forced_expire\": false, \"sender\": ",
		    qf.arrival_sec, (long long)qf.content_len);
		json_string(out, qf.sender);
		str_cat(out, ", \"recipients\": [");
	} else {
		queue_date(qf.arrival_sec, &date);
		str_catf(&idmark, "%s%c", id, mark);
		str_catf(out, "%-*s%8lld %s  %s\n", QUEUE_ID_COLUMN, idmark.s,
		    (long long)qf.content_len, date.s,
		    qf.sender[0] != '\0' ? qf.sender : "MAILER-DAEMON");
	}
	for (i = 0; i < qf.nrcpt; i++) {
		if (!QFILE_STATUS_PENDING(qf.rcpts[i].status)) {
			continue;	/* delivered or bounced: not queued */
		}
		queue_defer_reason(queue_dir, id, qf.rcpts[i].address,
		    &reason);
		if (json) {
			str_cat(out, shown > 0 ? ", {" : "{");
			str_cat(out, "\"address\": ");
			json_string(out, qf.rcpts[i].address);
			if (reason.len > 0) {
				str_cat(out, ", \"delay_reason\": ");
				json_string(out, reason.s);
			}
			str_cat(out, "}");
		} else {
			/* A reason shared by the recipients that follow is
			 * printed once, as mailq does. */
			if (reason.len > 0 && !str_eq(&last, reason.s)) {
				str_catf(out, "(%s)\n", reason.s);
			}
			str_catf(out, "%*s%s\n", QUEUE_RCPT_COLUMN, "",
			    qf.rcpts[i].address);
			str_set(&last, str_c(&reason));
		}
		shown++;
	}
	str_cat(out, json ? "]}\n" : "\n");
	size = (long long)qf.content_len;
	qfile_close(&qf);
	str_free(&date);
	str_free(&reason);
	str_free(&last);
	str_free(&idmark);
	return size;
}

static int
queue_write(struct str *out)
{
	if (fd_write_all(1, str_c(out), out->len) == -1) {
		log_warn("write to standard output");
		str_clear(out);
		return -1;
	}
	str_clear(out);
	return 0;
}

/* postlet queue [-j] */
static int
queue_list(const char *queue_dir, bool json)
{
	struct queue_ids	 q;
	struct str		 out = STR_INIT;
	unsigned long long	 nmsg = 0, bytes = 0;
	long long		 size;
	size_t			 i;
	int			 k, status = 0;
	bool			 header = false;

	for (k = 0; queue_names[k] != NULL; k++) {
		if (queue_scan(queue_dir, queue_names[k], &q) == -1) {
			log_warn("%s/%s", queue_dir, queue_names[k]);
			status = EX_NOPERM;
			continue;
		}
		for (i = 0; i < q.n; i++) {
			if (!json && !header) {
				str_catf(&out, "%-*s--Size-- ----Arrival "
				    "Time---- -Sender/Recipient-------\n",
				    QUEUE_ID_COLUMN, "-Queue ID-");
				header = true;
			}
			size = queue_list_one(queue_dir, queue_names[k],
			    q.ids[i], json, &out);
			if (size >= 0) {
				bytes += (unsigned long long)size;
				nmsg++;
			}
			if (out.len > 65536 && queue_write(&out) == -1) {
				status = EX_IOERR;
			}
		}
		queue_ids_free(&q);
	}
	if (!json) {
		if (nmsg == 0) {
			str_clear(&out);	/* nothing readable after all */
			str_cat(&out, "Mail queue is empty\n");
		} else {
			str_catf(&out, "-- %llu Kbytes in %llu Request%s.\n",
			    (bytes + 1023) / 1024, nmsg, nmsg == 1 ? "" : "s");
		}
	}
	if (queue_write(&out) == -1) {
		status = EX_IOERR;
	}
	str_free(&out);
	return status;
}

/* Which queue holds id: its name, or NULL (errno ENOENT). */
static const char *
queue_find(const char *queue_dir, const char *id)
{
	struct str	path = STR_INIT;
	int		k;

	for (k = 0; queue_names[k] != NULL; k++) {
		str_clear(&path);
		str_catf(&path, "%s/%s/%s", queue_dir, queue_names[k], id);
		if (access(path.s, F_OK) == 0) {
			str_free(&path);
			return queue_names[k];
		}
	}
	str_free(&path);
	errno = ENOENT;
	return NULL;
}

/* postlet show ID: like postcat -q. */
static int
queue_show(const char *queue_dir, const char *id)
{
	struct qfile	 qf = QFILE_INIT;
	struct str	 out = STR_INIT, date = STR_INIT, nt = STR_INIT;
	const char	*queue;
	char		 chunk[8192];
	off_t		 off, left;
	ssize_t		 n;
	size_t		 i;
	int		 status = 0;

	if (!qid_valid(id) || (queue = queue_find(queue_dir, id)) == NULL) {
		log_error("%s: no such message in the queue", id);
		return EX_NOINPUT;
	}
	if (queue_open(queue_dir, queue, id, &qf) == -1) {
		log_error("%s/%s: %s", queue, id, str_c(&qf.error));
		qfile_close(&qf);
		return errno == EBADMSG ? EX_DATAERR : EX_NOPERM;
	}
	queue_date(qf.arrival_sec, &date);
	str_catf(&out, "*** ENVELOPE RECORDS %s/%s ***\n", queue, id);
	str_catf(&out, "message_size: %lld\n", (long long)qf.content_len);
	str_catf(&out, "arrival_time: %s (%lld.%06ld)\n", date.s,
	    qf.arrival_sec, qf.arrival_usec);
	str_catf(&out, "sender: %s\n", qf.sender);
	for (i = 0; i < qf.nattr; i++) {
		str_catf(&out, "named_attribute: %s=%s\n", qf.attrs[i].name,
		    qf.attrs[i].value);
	}
	for (i = 0; i < qf.nrcpt; i++) {
		str_clear(&nt);
		(void)qfile_notify_format(qf.rcpts[i].notify, &nt);
		str_catf(&out, "recipient: %s (%s)", qf.rcpts[i].address,
		    qf.rcpts[i].status == QFILE_DONE ? "delivered" :
		    qf.rcpts[i].status == QFILE_FAILED ? "failed" :
		    qf.rcpts[i].status == QFILE_WARNED ?
		    "pending, delay notice sent" : "pending");
		if (qf.rcpts[i].notify != 0) {
			str_catf(&out, " notify=%s", nt.s);
		}
		if (qf.rcpts[i].orcpt != NULL) {
			str_catf(&out, " orcpt=%s", qf.rcpts[i].orcpt);
		}
		str_cat_char(&out, '\n');
	}
	str_catf(&out, "*** MESSAGE CONTENTS %s/%s ***\n", queue, id);
	if (queue_write(&out) == -1) {
		status = EX_IOERR;
		goto out;
	}
	/* The content, streamed: it may be as large as the size limit. */
	for (off = qf.content_offset, left = qf.content_len; left > 0;
	    off += n, left -= n) {
		n = pread(qf.fd, chunk, left < (off_t)sizeof(chunk) ?
		    (size_t)left : sizeof(chunk), off);
		if (n <= 0) {
			log_warn("%s/%s: read", queue, id);
			status = EX_IOERR;
			goto out;
		}
		if (fd_write_all(1, chunk, (size_t)n) == -1) {
			log_warn("write to standard output");
			status = EX_IOERR;
			goto out;
		}
	}
	str_catf(&out, "*** MESSAGE FILE END %s/%s ***\n", queue, id);
	if (queue_write(&out) == -1) {
		status = EX_IOERR;
	}
out:
	qfile_close(&qf);
	str_free(&out);
	str_free(&date);
	str_free(&nt);
	return status;
}

enum queue_action { ACT_DELETE, ACT_HOLD, ACT_RELEASE, ACT_REQUEUE };

/* Do action to queue_dir/queue/id; 0, or -1 with the reason logged. */
static int
queue_act_one(const char *queue_dir, const char *queue, const char *id,
    enum queue_action act)
{
	struct str	path = STR_INIT, dir = STR_INIT;
	const char	*logs[] = { "defer", "bounce", NULL };
	int		rc = 0, k;

	switch (act) {
	case ACT_DELETE:
		str_catf(&dir, "%s/%s", queue_dir, queue);
		str_catf(&path, "%s/%s", dir.s, id);
		if (unlink(path.s) == -1 || durable_fsync_dir(dir.s) == -1) {
			log_warn("%s/%s: remove", queue, id);
			rc = -1;
			break;
		}
		for (k = 0; logs[k] != NULL; k++) {
			str_clear(&path);
			str_catf(&path, "%s/%s/%s", queue_dir, logs[k], id);
			if (unlink(path.s) == -1 && errno != ENOENT) {
				log_warn("%s/%s: remove", logs[k], id);
			}
		}
		log_info("%s: removed", id);
		break;
	case ACT_HOLD:
		if (strcmp(queue, QFILE_HOLD) == 0) {
			break;
		}
		if ((rc = qfile_move(queue_dir, id, queue, QFILE_HOLD)) == -1) {
			log_warn("%s/%s: move to hold", queue, id);
		} else {
			log_info("%s: placed on hold", id);
		}
		break;
	case ACT_RELEASE:
		if (strcmp(queue, QFILE_HOLD) != 0) {
			break;
		}
		/* The modification time is the next attempt: now. */
		str_catf(&path, "%s/%s/%s", queue_dir, queue, id);
		(void)utimensat(AT_FDCWD, path.s, NULL, 0);
		if ((rc = qfile_move(queue_dir, id, queue,
		    QFILE_DEFERRED)) == -1) {
			log_warn("%s/%s: release", queue, id);
		} else {
			log_info("%s: released from hold", id);
		}
		break;
	case ACT_REQUEUE:
		if (strcmp(queue, QFILE_INCOMING) == 0) {
			break;
		}
		if ((rc = qfile_move(queue_dir, id, queue,
		    QFILE_INCOMING)) == -1) {
			log_warn("%s/%s: requeue", queue, id);
		} else {
			log_info("%s: requeued", id);
		}
		break;
	}
	str_free(&path);
	str_free(&dir);
	return rc;
}

/* postlet delete|hold|release|requeue ID|ALL [QUEUE] */
static int
queue_act(const char *queue_dir, enum queue_action act, const char *what,
    const char *only)
{
	struct queue_ids	 q;
	const char		*queue;
	size_t			 i;
	int			 k, status = 0, done = 0;

	if (only != NULL) {
		for (k = 0; queue_names[k] != NULL; k++) {
			if (strcmp(only, queue_names[k]) == 0) {
				break;
			}
		}
		if (queue_names[k] == NULL) {
			log_error("%s: not a queue (incoming, active, "
			    "deferred or hold)", only);
			return EX_USAGE;
		}
	}
	if (strcmp(what, "ALL") != 0) {
		if (!qid_valid(what)) {
			log_error("%s: not a queue ID", what);
			return EX_USAGE;
		}
		queue = only;
		if (queue == NULL &&
		    (queue = queue_find(queue_dir, what)) == NULL) {
			log_error("%s: no such message in the queue", what);
			return EX_NOINPUT;
		}
		if (queue_act_one(queue_dir, queue, what, act) == -1) {
			return EX_NOPERM;
		}
		done = 1;
	} else {
		for (k = 0; queue_names[k] != NULL; k++) {
			if (only != NULL && strcmp(only, queue_names[k]) != 0) {
				continue;
			}
			if (queue_scan(queue_dir, queue_names[k], &q) == -1) {
				log_warn("%s/%s", queue_dir, queue_names[k]);
				status = EX_NOPERM;
				continue;
			}
			for (i = 0; i < q.n; i++) {
				if (queue_act_one(queue_dir, queue_names[k],
				    q.ids[i], act) == -1) {
					status = EX_NOPERM;
				} else {
					done++;
				}
			}
			queue_ids_free(&q);
		}
	}
	if (done > 0 && (act == ACT_RELEASE || act == ACT_REQUEUE)) {
		(void)wake_up(queue_dir, "qmgr");
	}
	return status;
}

int
postlet_queue(int argc, char *argv[])
{
	const char	*cmd = argv[0], *queue_dir;
	bool		 json = false;
	int		 ch;

	while ((ch = getopt(argc, argv, "j")) != -1) {
		if (ch == 'j' && strcmp(cmd, "queue") == 0) {
			json = true;
			continue;
		}
		goto usage;
	}
	argc -= optind;
	argv += optind;
	queue_dir = conf_value("queue_directory");
	if (strcmp(cmd, "queue") == 0) {
		if (argc != 0) {
			goto usage;
		}
		return queue_list(queue_dir, json);
	}
	if (strcmp(cmd, "show") == 0) {
		if (argc != 1) {
			goto usage;
		}
		return queue_show(queue_dir, argv[0]);
	}
	if (argc < 1 || argc > 2 ||
	    (strcmp(cmd, "release") == 0 && argc != 1)) {
		goto usage;
	}
	if (strcmp(cmd, "delete") == 0) {
		return queue_act(queue_dir, ACT_DELETE, argv[0], argv[1]);
	}
	if (strcmp(cmd, "hold") == 0) {
		return queue_act(queue_dir, ACT_HOLD, argv[0], argv[1]);
	}
	if (strcmp(cmd, "release") == 0) {
		return queue_act(queue_dir, ACT_RELEASE, argv[0], NULL);
	}
	if (strcmp(cmd, "requeue") == 0) {
		return queue_act(queue_dir, ACT_REQUEUE, argv[0], argv[1]);
	}
usage:
	log_error("usage: postlet queue [-j] | show ID | delete ID|ALL [QUEUE] "
	    "| hold ID|ALL [QUEUE] | release ID|ALL | requeue ID|ALL [QUEUE]");
	return EX_USAGE;
}
