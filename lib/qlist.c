/* SPDX-License-Identifier: ISC */
/*
 * qlist.c: the queue listing of mailq and postqueue -j (see qlist.h).
 * Shared by `postlet queue' (which reads the queue itself when it may)
 * and showq (which master runs for everyone else).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "conf.h"
#include "fd.h"
#include "log.h"
#include "qfile.h"
#include "qlist.h"
#include "str.h"

const char *const qlist_queues[] = {
	QFILE_INCOMING, QFILE_ACTIVE, QFILE_DEFERRED, QFILE_HOLD, NULL
};

/* mailq's columns: ID and mark, size, date (19), two blanks, sender. */
#define QLIST_ID_COLUMN		21
#define QLIST_RCPT_COLUMN	(QLIST_ID_COLUMN + 8 + 1 + 19 + 2)
/* Output is written once this much is collected. */
#define QLIST_CHUNK		65536

static int	qlist_cmp_id(const void *, const void *);
static void	qlist_defer_reason(const char *, const char *, const char *,
		    struct str *);
static void	qlist_json_string(struct str *, const char *);
static long long qlist_one(const char *, const char *, const char *, bool,
		    struct str *);
static int	qlist_flush(int, struct str *, int *);

static int
qlist_cmp_id(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
qlist_ids_free(struct qlist_ids *q)
{
	size_t	i;

	for (i = 0; i < q->n; i++) {
		free(q->ids[i]);
	}
	free(q->ids);
	memset(q, 0, sizeof(*q));
}

int
qlist_scan(const char *queue_dir, const char *name, struct qlist_ids *q)
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
		qsort(q->ids, q->n, sizeof(*q->ids), qlist_cmp_id);
	}
	return 0;
}

void
qlist_date(long long sec, struct str *out)
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
 * The first reason recorded for a recipient in the defer log
 * queue_dir/defer/id (lines "address TAB code SP text"), into reason;
 * empty when there is none.
 */
static void
qlist_defer_reason(const char *queue_dir, const char *id, const char *rcpt,
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
qlist_json_string(struct str *out, const char *s)
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

/*
 * One message of the listing, in mailq's or JSON's shape, appended to
 * out.  Returns its size, or -1 when it could not be read (reported, not
 * listed).
 */
static long long
qlist_one(const char *queue_dir, const char *queue, const char *id,
    bool json, struct str *out)
{
	struct qfile	 qf = QFILE_INIT;
	struct str	 path = STR_INIT, date = STR_INIT, reason = STR_INIT;
	struct str	 last = STR_INIT, idmark = STR_INIT;
	size_t		 i, shown = 0;
	long long	 size;
	char		 mark;
	int		 rc;

	str_catf(&path, "%s/%s/%s", queue_dir, queue, id);
	rc = qfile_open(path.s, O_RDONLY, &qf);
	str_free(&path);
	if (rc == -1) {
		log_warnx("%s/%s: %s", queue, id, str_c(&qf.error));
		qfile_close(&qf);
		return -1;
	}
	mark = strcmp(queue, QFILE_ACTIVE) == 0 ? '*' :
	    strcmp(queue, QFILE_HOLD) == 0 ? '!' : ' ';
	if (json) {
		str_cat(out, "{\"queue_name\": ");
		qlist_json_string(out, queue);
		str_cat(out, ", \"queue_id\": ");
		qlist_json_string(out, id);
		str_catf(out, ", \"arrival_time\": %lld, \"message_size\": "
		    "%lld, \"forced_expire\": false, \"sender\": ",
		    qf.arrival_sec, (long long)qf.content_len);
		qlist_json_string(out, qf.sender);
		str_cat(out, ", \"recipients\": [");
	} else {
		qlist_date(qf.arrival_sec, &date);
		str_catf(&idmark, "%s%c", id, mark);
		str_catf(out, "%-*s%8lld %s  %s\n", QLIST_ID_COLUMN, idmark.s,
		    (long long)qf.content_len, date.s,
		    qf.sender[0] != '\0' ? qf.sender : "MAILER-DAEMON");
	}
	for (i = 0; i < qf.nrcpt; i++) {
		if (!QFILE_STATUS_PENDING(qf.rcpts[i].status)) {
			continue;	/* delivered or bounced: not queued */
		}
		qlist_defer_reason(queue_dir, id, qf.rcpts[i].address,
		    &reason);
		if (json) {
			str_cat(out, shown > 0 ? ", {" : "{");
			str_cat(out, "\"address\": ");
			qlist_json_string(out, qf.rcpts[i].address);
			if (reason.len > 0) {
				str_cat(out, ", \"delay_reason\": ");
				qlist_json_string(out, reason.s);
			}
			str_cat(out, "}");
		} else {
			/* A reason shared by the recipients that follow is
			 * printed once, as mailq does. */
			if (reason.len > 0 && !str_eq(&last, reason.s)) {
				str_catf(out, "(%s)\n", reason.s);
			}
			str_catf(out, "%*s%s\n", QLIST_RCPT_COLUMN, "",
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

/* Write out to fd and empty it; after a failure (*status has
 * QLIST_WRITE) nothing more is written.  Returns 0 or -1. */
static int
qlist_flush(int fd, struct str *out, int *status)
{
	if ((*status & QLIST_WRITE) == 0 &&
	    fd_write_all(fd, str_c(out), out->len) == -1) {
		log_warn("write the queue listing");
		*status |= QLIST_WRITE;
	}
	str_clear(out);
	return (*status & QLIST_WRITE) != 0 ? -1 : 0;
}

int
qlist_print(const char *queue_dir, bool json, int fd)
{
	struct qlist_ids	 q;
	struct str		 out = STR_INIT;
	unsigned long long	 nmsg = 0, bytes = 0;
	long long		 size;
	size_t			 i;
	int			 k, status = 0;
	bool			 header = false;

	for (k = 0; qlist_queues[k] != NULL; k++) {
		if (qlist_scan(queue_dir, qlist_queues[k], &q) == -1) {
			log_warn("%s/%s", queue_dir, qlist_queues[k]);
			status |= QLIST_UNREADABLE;
			continue;
		}
		for (i = 0; i < q.n; i++) {
			if (!json && !header) {
				str_catf(&out, "%-*s--Size-- ----Arrival "
				    "Time---- -Sender/Recipient-------\n",
				    QLIST_ID_COLUMN, "-Queue ID-");
				header = true;
			}
			size = qlist_one(queue_dir, qlist_queues[k],
			    q.ids[i], json, &out);
			if (size >= 0) {
				bytes += (unsigned long long)size;
				nmsg++;
			}
			if (out.len > QLIST_CHUNK) {
				(void)qlist_flush(fd, &out, &status);
			}
		}
		qlist_ids_free(&q);
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
	(void)qlist_flush(fd, &out, &status);
	str_free(&out);
	return status;
}
