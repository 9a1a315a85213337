/* SPDX-License-Identifier: ISC */
/*
 * local_deliver.c: local's job loop.  For each job: open the queue file,
 * collect the Delivered-To headers already in the message (for loop
 * detection), and for each recipient split the address (the local part,
 * folded to lowercase, its recipient_delimiter extension, the domain),
 * bounce it when its Delivered-To is already there (5.4.6), add the
 * Return-Path, X-Original-To (enable_original_recipient) and
 * Delivered-To lines, then hand over to local_expand.  Every recipient
 * of a job gets one result line, whatever happens; a failure we cannot
 * classify is a deferral (4.3.0), never a bounce.
 */
#include <sys/time.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>		/* snprintf */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "agent.h"
#include "alloc.h"
#include "bounds.h"
#include "local.h"
#include "log.h"
#include "qfile.h"
#include "str.h"

/* The Delivered-To values of one message, lowercased. */
struct local_seen {
	struct str	*v;
	size_t		 n, cap;
};
#define LOCAL_SEEN_INIT	{ NULL, 0, 0 }

/*
 * A result not yet written: it waits for the commit of the Maildir
 * deliveries it counts on (entries first to last - 1 of the batch), or
 * it is the "." after a job's results (dot).
 */
struct held {
	bool			 dot;
	struct str		 queue_id, address;
	size_t			 index;		/* in the queue file */
	double			 delay;
	struct local_status	 st;
	size_t			 first, last;
};

struct held_list {
	struct held	*v;
	size_t		 n, cap, jobs;
};
#define HELD_LIST_INIT	{ NULL, 0, 0, 0 }

/*
 * How many jobs' results local holds back at most for one commit (qmgr
 * writes seven jobs ahead at most: with the current one, eight), and
 * how many Maildir deliveries (three descriptors each until the commit):
 * a job of many recipients is committed and answered in parts.
 */
#define LOCAL_BATCH_JOBS	8
#define LOCAL_BATCH_MAX		32

static int	job_path(const struct local *, const struct agent_job *,
		    struct str *);
static void	seen_collect(const struct qfile *, struct local_seen *);
static void	seen_free(struct local_seen *);
static bool	seen_has(const struct local_seen *, const char *);
static void	lowercase(struct str *);
static bool	name_is(const char *, size_t, const char *);
static void	recipient(const struct local *, const struct qfile *,
		    const struct qfile_rcpt *, const struct local_seen *,
		    const char *, struct local_status *);
static double	delay_of(const struct qfile *);
static struct held *held_add(struct held_list *);
static void	hold(struct held_list *, const struct local *,
		    const struct agent_job *, size_t, const struct qfile *,
		    const struct local_status *, size_t);
static bool	input_ready(struct buf *);
static int	flush(const struct local *, struct held_list *,
		    struct buf *);

void
local_status_set(struct local_status *st, enum dsn_status status,
    const char *code, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	st->status = status;
	n = snprintf(st->code, sizeof(st->code), "%s", code);
	if (n < 0 || (size_t)n >= sizeof(st->code)) {
		panic("local_status_set: code %s too long", code);
	}
	str_clear(&st->text);
	va_start(ap, fmt);
	str_vcatf(&st->text, fmt, ap);
	va_end(ap);
}

void
local_status_free(struct local_status *st)
{
	str_free(&st->text);
}

static void
lowercase(struct str *s)
{
	size_t	i;

	for (i = 0; i < s->len; i++) {
		s->s[i] = (char)tolower((unsigned char)s->s[i]);
	}
}

/*
 * The queue file's path from the job: "SUBDIR/ID", SUBDIR one of the
 * queue directories and ID the job's queue ID, nothing else (the job
 * comes from qmgr, but a path from a pipe is still checked).  0 or -1.
 */
static int
job_path(const struct local *l, const struct agent_job *job,
    struct str *path)
{
	const char	*qf = str_c(&job->queue_file), *slash;
	char		 sub[32];
	size_t		 n;

	if ((slash = strchr(qf, '/')) == NULL ||
	    (n = (size_t)(slash - qf)) >= sizeof(sub)) {
		return -1;
	}
	memcpy(sub, qf, n);
	sub[n] = '\0';
	if (!qfile_subdir_valid(sub) || !qid_valid(slash + 1) ||
	    strcmp(slash + 1, str_c(&job->queue_id)) != 0) {
		return -1;
	}
	str_set(path, l->queue_directory);
	str_cat(path, "/");
	str_cat(path, qf);
	return 0;
}

/*
 * Collect the values of Delivered-To headers (unfolded, trimmed,
 * lowercased) from the header section, at most HEADER_SECTION_MAX bytes
 * of it.  A read error leaves the list as far as it got: loop detection
 * is a safety net, and a missed loop still ends at hopcount_limit.
 */
static void
seen_collect(const struct qfile *qf, struct local_seen *seen)
{
	static const char	 name[] = "delivered-to:";
	const size_t		 nlen = sizeof(name) - 1;
	struct str		 h = STR_INIT, v = STR_INIT;
	size_t			 len, i, j, k;
	ssize_t			 r;

	len = qf->header_len > HEADER_SECTION_MAX ? HEADER_SECTION_MAX :
	    (size_t)qf->header_len;
	str_reserve(&h, len);
	while (h.len < len) {
		r = pread(qf->fd, h.s + h.len, len - h.len,
		    qf->content_offset + (off_t)h.len);
		if (r <= 0) {
			if (r == -1 && errno == EINTR) {
				continue;
			}
			break;
		}
		h.len += (size_t)r;
		h.s[h.len] = '\0';
	}
	for (i = 0; i < h.len; i = j) {
		/* one field: up to a newline not followed by a blank */
		for (j = i; j < h.len; j++) {
			if (h.s[j] == '\n' && (j + 1 >= h.len ||
			    (h.s[j + 1] != ' ' && h.s[j + 1] != '\t'))) {
				j++;
				break;
			}
		}
		if (j - i < nlen || strncasecmp(h.s + i, name, nlen) != 0) {
			continue;
		}
		str_clear(&v);
		for (k = i + nlen; k < j; k++) {
			if (h.s[k] != '\r' && h.s[k] != '\n') {
				str_cat_char(&v, h.s[k]);
			}
		}
		while (v.len > 0 && (v.s[v.len - 1] == ' ' ||
		    v.s[v.len - 1] == '\t')) {
			str_truncate(&v, v.len - 1);
		}
		for (k = 0; k < v.len && (v.s[k] == ' ' || v.s[k] == '\t');
		    k++) {
			continue;
		}
		if (seen->n == seen->cap) {
			seen->cap = seen->cap == 0 ? 4 : seen->cap * 2;
			seen->v = xreallocarray(seen->v, seen->cap,
			    sizeof(*seen->v));
		}
		seen->v[seen->n].s = NULL;
		seen->v[seen->n].len = seen->v[seen->n].cap = 0;
		str_set_mem(&seen->v[seen->n], v.s + k, v.len - k);
		lowercase(&seen->v[seen->n]);
		seen->n++;
	}
	str_free(&h);
	str_free(&v);
}

static void
seen_free(struct local_seen *seen)
{
	size_t	i;

	for (i = 0; i < seen->n; i++) {
		str_free(&seen->v[i]);
	}
	free(seen->v);
	seen->v = NULL;
	seen->n = seen->cap = 0;
}

static bool
seen_has(const struct local_seen *seen, const char *addr)
{
	size_t	i;

	for (i = 0; i < seen->n; i++) {
		if (strcmp(str_c(&seen->v[i]), addr) == 0) {
			return true;
		}
	}
	return false;
}

/* Is the local part s (len bytes) name, in any case? */
static bool
name_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(s, name, len) == 0;
}

size_t
local_ext_split(const struct local *l, const char *local, size_t len)
{
	static const char	 owner[] = "owner-", request[] = "-request";
	const char		*delims = l->recipient_delimiter;
	size_t			 i;

	if (*delims == '\0' || name_is(local, len, "postmaster") ||
	    name_is(local, len, "mailer-daemon") ||
	    name_is(local, len, "double-bounce")) {
		return len;
	}
	if (l->owner_request_special && strchr(delims, '-') != NULL &&
	    ((len >= sizeof(owner) - 1 &&
	    strncasecmp(local, owner, sizeof(owner) - 1) == 0) ||
	    (len > sizeof(request) - 1 &&
	    strncasecmp(local + len - (sizeof(request) - 1), request,
	    sizeof(request) - 1) == 0))) {
		return len;
	}
	for (i = 0; i < len; i++) {
		if (local[i] != '\0' && strchr(delims, local[i]) != NULL) {
			break;
		}
	}
	/* "+ext": the user part would be empty */
	return i == 0 ? len : i;
}

/* Deliver to one recipient address; the outcome goes to st. */
static void
recipient(const struct local *l, const struct qfile *qf,
    const struct qfile_rcpt *qrcpt, const struct local_seen *seen,
    const char *address, struct local_status *st)
{
	struct local_env	 env;
	struct str		 delivered = STR_INIT, local = STR_INIT;
	struct str		 user = STR_INIT, ext = STR_INIT;
	struct str		 head = STR_INIT, quoted = STR_INIT;
	struct str		 qdelivered = STR_INIT;
	const char		*domain;
	char			 delim[2] = { 0, 0 };
	size_t			 n;

	str_set(&delivered, address);
	lowercase(&delivered);
	domain = addr_domain(delivered.s);
	str_set_mem(&local, delivered.s, domain == NULL ?
	    delivered.len : (size_t)(domain - 1 - delivered.s));
	n = local_ext_split(l, local.s, local.len);
	str_set_mem(&user, local.s, n);
	if (n < local.len) {
		delim[0] = local.s[n];
		str_set_mem(&ext, local.s + n + 1, local.len - n - 1);
	} else {
		str_set(&ext, "");
	}
	addr_quote(delivered.s, delivered.len, &qdelivered);
	if (seen_has(seen, qdelivered.s) || seen_has(seen, delivered.s)) {
		local_status_set(st, DSN_PERM, "5.4.6",
		    "mail forwarding loop for %s", address);
		goto out;
	}
	/* The lines Postfix's local adds, in its order. */
	str_catf(&head, "Return-Path: <");
	addr_quote(qf->sender, strlen(qf->sender), &quoted);
	str_cat(&head, str_c(&quoted));
	str_cat(&head, ">\n");
	if (l->enable_original_recipient) {
		/* the address as given to local, case kept */
		addr_quote(address, strlen(address), &quoted);
		str_catf(&head, "X-Original-To: %s\n", str_c(&quoted));
	}
	str_catf(&head, "Delivered-To: %s\n", qdelivered.s);
	memset(&env, 0, sizeof(env));
	env.qf = qf;
	env.qrcpt = qrcpt;
	env.address = address;
	env.delivered = qdelivered.s;
	env.local = str_c(&local);
	env.user = str_c(&user);
	env.extension = str_c(&ext);
	env.domain = domain == NULL ? "" : domain;
	env.delimiter = delim;
	env.head = &head;
	local_expand(l, &env, st);
out:
	str_free(&delivered);
	str_free(&qdelivered);
	str_free(&local);
	str_free(&user);
	str_free(&ext);
	str_free(&head);
	str_free(&quoted);
}

/* Seconds since the message arrived (for the debug log line). */
static double
delay_of(const struct qfile *qf)
{
	struct timeval	tv;
	double		delay = 0;

	if (qf != NULL && gettimeofday(&tv, NULL) == 0) {
		delay = (double)(tv.tv_sec - qf->arrival_sec) +
		    (double)(tv.tv_usec - qf->arrival_usec) / 1e6;
	}
	return delay < 0 ? 0 : delay;
}

static struct held *
held_add(struct held_list *hl)
{
	struct held	*h;

	if (hl->n == hl->cap) {
		hl->cap = hl->cap == 0 ? 8 : hl->cap * 2;
		hl->v = xreallocarray(hl->v, hl->cap, sizeof(*hl->v));
	}
	h = &hl->v[hl->n++];
	memset(h, 0, sizeof(*h));
	h->queue_id = (struct str)STR_INIT;
	h->address = (struct str)STR_INIT;
	h->st = (struct local_status)LOCAL_STATUS_INIT;
	return h;
}

/* Hold recipient i's result st, with the batch entries from first on. */
static void
hold(struct held_list *hl, const struct local *l,
    const struct agent_job *job, size_t i, const struct qfile *qf,
    const struct local_status *st, size_t first)
{
	struct held	*h = held_add(hl);

	str_set(&h->queue_id, str_c(&job->queue_id));
	str_set(&h->address, job->rcpts[i].address);
	h->index = job->rcpts[i].index;
	h->delay = delay_of(qf);
	h->st.status = st->status;
	memcpy(h->st.code, st->code, sizeof(h->st.code));
	str_set(&h->st.text, str_c(&st->text));
	h->first = first;
	h->last = l->batch == NULL ? first : l->batch->md.n;
}

/* Is the next job (or the end of the input) there, without a wait? */
static bool
input_ready(struct buf *in)
{
	struct pollfd	pfd;

	if (buf_pending(in) > 0) {
		return true;
	}
	pfd.fd = in->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 1;
}

/*
 * Commit the batch, then write every held result, each changed to its
 * delivery's failure when the commit failed, and the "."s: 0, or -1
 * when qmgr cannot be written to.
 */
static int
flush(const struct local *l, struct held_list *hl, struct buf *out)
{
	static const char *const word[] = { "sent", "deferred", "bounced" };
	struct local_batch	*lb = l->batch;
	struct held		*h;
	size_t			 i, k;
	int			 rc = 0;

	if (lb != NULL && lb->md.n > 0) {
		local_mailbox_commit(l, lb);
	}
	for (i = 0; i < hl->n; i++) {
		h = &hl->v[i];
		if (h->dot) {
			if (rc == 0 && agent_put_done(out) == -1) {
				log_warn("write to qmgr");
				rc = -1;
			}
			continue;
		}
		for (k = h->first; k < h->last; k++) {
			local_mailbox_commit_status(lb, k, &h->st);
		}
		/* qmgr logs the result once it is recorded (Postfix's
		 * line); the agent's own copy is for -v only. */
		log_debug("%s: to=<%s>, relay=local, delay=%.2f, dsn=%s, "
		    "status=%s (%s)", str_c(&h->queue_id), str_c(&h->address),
		    h->delay, h->st.code, word[h->st.status],
		    str_c(&h->st.text));
		agent_put_result(out, h->index, h->st.status, h->st.code,
		    str_c(&h->st.text));
		str_free(&h->queue_id);
		str_free(&h->address);
		local_status_free(&h->st);
	}
	hl->n = 0;
	hl->jobs = 0;
	if (lb != NULL) {
		for (i = 0; i < lb->md.n; i++) {
			str_free(&lb->user[i]);
			str_free(&lb->path[i]);
		}
		maildir_batch_clear(&lb->md);
	}
	return rc;
}

int
local_run(const struct local *l, struct buf *in, struct buf *out)
{
	struct agent_job	 job = AGENT_JOB_INIT;
	struct qfile		 qf = QFILE_INIT;
	struct local_seen	 seen = LOCAL_SEEN_INIT;
	struct local_status	 st = LOCAL_STATUS_INIT;
	struct held_list	 held = HELD_LIST_INIT;
	struct str		 why = STR_INIT, path = STR_INIT;
	size_t			 i, first;
	int			 r, status = 0, opened;

	while ((r = agent_get_job(in, &job, &why)) == 1) {
		opened = 0;
		if (job_path(l, &job, &path) == -1) {
			local_status_set(&st, DSN_TEMP, "4.3.0",
			    "bad queue file name in job: %s",
			    str_c(&job.queue_file));
		} else if (qfile_open(path.s, O_RDONLY, &qf) == -1) {
			local_status_set(&st, DSN_TEMP, "4.3.0",
			    "queue file %s: %s", str_c(&job.queue_file),
			    str_c(&qf.error));
			qfile_close(&qf);
		} else {
			opened = 1;
			seen_collect(&qf, &seen);
		}
		for (i = 0; i < job.nrcpt; i++) {
			first = l->batch == NULL ? 0 : l->batch->md.n;
			if (opened && job.rcpts[i].index >= qf.nrcpt) {
				local_status_set(&st, DSN_TEMP, "4.3.0",
				    "recipient %zu is not in the queue file",
				    job.rcpts[i].index);
			} else if (opened) {
				local_status_set(&st, DSN_TEMP, "4.3.0",
				    "delivery not attempted");
				recipient(l, &qf,
				    &qf.rcpts[job.rcpts[i].index], &seen,
				    job.rcpts[i].address, &st);
			}
			hold(&held, l, &job, i, opened ? &qf : NULL, &st,
			    first);
			if (l->batch != NULL &&
			    l->batch->md.n >= LOCAL_BATCH_MAX &&
			    flush(l, &held, out) == -1) {
				break;
			}
		}
		seen_free(&seen);
		qfile_close(&qf);
		if (i < job.nrcpt) {
			status = EX_IOERR;
			break;
		}
		held_add(&held)->dot = true;
		held.jobs++;
		/*
		 * With Maildir deliveries waiting for their commit and the
		 * next job already here, deliver that one too before the
		 * commit: one commit then serves both.
		 */
		if (l->batch != NULL && l->batch->md.n > 0 &&
		    held.jobs < LOCAL_BATCH_JOBS && input_ready(in)) {
			continue;
		}
		if (flush(l, &held, out) == -1) {
			status = EX_IOERR;
			break;
		}
	}
	if (held.n > 0 && flush(l, &held, out) == -1) {
		status = EX_IOERR;
	}
	if (r == -1) {
		log_error("job from qmgr: %s%s%s", why.len > 0 ? why.s : "",
		    why.len > 0 ? ": " : "", strerror(errno));
		status = EX_DATAERR;
	}
	free(held.v);
	agent_job_free(&job);
	local_status_free(&st);
	str_free(&why);
	str_free(&path);
	return status;
}
