/* SPDX-License-Identifier: ISC */
/*
 * qfile_write.c: the queue file writer (see qfile.h, docs/queue.5).
 *
 * The envelope is collected in memory (bounded by QFILE_ENVELOPE_MAX), so
 * callers may add attributes and recipients in any order and the file
 * still has the one canonical record order.  The content is streamed
 * through a buf straight into the tmp file, never held in memory.
 *
 * The E record must give the content length before the content, which is
 * not known until the end.  We do not spool the content twice: the E
 * record is written with two fixed-width 20-digit fields of zeros, and
 * overwritten in place once the content is complete, before the file is
 * fsync'ed and named: in the buffer when the whole file is still there
 * (most messages: one write), else with pwrite(2).  Until then the file
 * has no name in the queue (or only one in tmp/, where no reader looks),
 * so no one can see the placeholder.
 *
 * The queue ID is computed after the file exists (it contains the inode
 * number) and the file is linked, never renamed, under it, so a
 * collision fails with EEXIST instead of replacing a queued message.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "durable.h"
#include "bounds.h"
#include "fmt.h"
#include "log.h"
#include "qfile.h"
#include "str.h"

/* The E record: "E " + 20 digits + " " + 20 digits + "\n". */
#define QFILE_E_RECORD_LEN	44
#define QFILE_E_PLACEHOLDER	\
	"E 00000000000000000000 00000000000000000000\n"
/* How often qfile_commit picks a new ID after EEXIST. */
#define QFILE_ID_TRIES		10

enum writer_state {
	WRITER_IDLE = 0,
	WRITER_ENVELOPE,
	WRITER_CONTENT,
};

static bool	value_ok(const char *);
static int	envelope_room(const struct qfile_writer *, size_t);
static void	writer_state(const struct qfile_writer *, int, const char *);
static int	writer_fail(struct qfile_writer *, int);
static int	writer_begin(struct qfile_writer *, const char *,
		    const struct timespec *, const char *, bool);

/* No CR or LF: a value ends at the end of its line. */
static bool
value_ok(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

/* Could a record of n bytes (with its "\n") be added?  0 or -1/errno. */
static int
envelope_room(const struct qfile_writer *w, size_t n)
{
	size_t	used;

	if (n > QFILE_RECORD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	used = w->head.len + w->attrs.len + w->rcpts.len + QFILE_E_RECORD_LEN;
	if (used > QFILE_ENVELOPE_MAX || n > QFILE_ENVELOPE_MAX - used) {
		errno = E2BIG;
		return -1;
	}
	return 0;
}

/* Calling the writer out of order is a bug of the caller. */
static void
writer_state(const struct qfile_writer *w, int want, const char *fn)
{
	if (w->state != want) {
		panic("%s: queue file writer in state %d, not %d", fn,
		    w->state, want);
	}
}

/* Make errno e the writer's sticky error; returns -1. */
static int
writer_fail(struct qfile_writer *w, int e)
{
	if (w->error == 0) {
		w->error = e != 0 ? e : EIO;
	}
	errno = w->error;
	return -1;
}

void
qfile_writer_init(struct qfile_writer *w)
{
	unsigned char	*after = w->mem + sizeof(w->mem);

	memset(w, 0, offsetof(struct qfile_writer, mem));
	memset(after, 0, (size_t)((unsigned char *)(w + 1) - after));
	w->file = (struct durable)DURABLE_INIT;
}

int
qfile_begin(struct qfile_writer *w, const char *queue_dir,
    const struct timespec *arrival, const char *sender)
{
	return writer_begin(w, queue_dir, arrival, sender, false);
}

int
qfile_begin_maildrop(struct qfile_writer *w, const char *queue_dir,
    const struct timespec *arrival, const char *sender)
{
	return writer_begin(w, queue_dir, arrival, sender, true);
}

/*
 * Both beginnings.  A maildrop file is created next to its final name:
 * postdrop runs with the group that may write maildrop/ only, and a link
 * within one directory is as durable as one from tmp/.
 */
static int
writer_begin(struct qfile_writer *w, const char *queue_dir,
    const struct timespec *arrival, const char *sender, bool maildrop)
{
	struct timespec	now;
	struct str	tmpdir = STR_INIT;
	int		saved, r;

	writer_state(w, WRITER_IDLE, "qfile_begin");
	if (arrival == NULL) {
		if (clock_gettime(CLOCK_REALTIME, &now) == -1) {
			return -1;
		}
		arrival = &now;
	}
	if (arrival->tv_sec < 0 || arrival->tv_sec > QID_SEC_MAX ||
	    arrival->tv_nsec < 0 || arrival->tv_nsec > 999999999 ||
	    !value_ok(sender)) {
		errno = EINVAL;
		return -1;
	}
	if (strlen(sender) + 3 > QFILE_RECORD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	w->sec = (long long)arrival->tv_sec;
	w->usec = arrival->tv_nsec / 1000;
	w->nattr = 0;
	w->nrcpt = 0;
	w->content_offset = 0;
	w->content_len = 0;
	w->header_len = 0;
	w->header_done = false;
	w->line_start = true;
	w->error = 0;
	w->maildrop = maildrop;
	w->extract = false;
	str_clear(&w->head);
	str_clear(&w->attrs);
	str_clear(&w->rcpts);
	str_set(&w->queue_dir, queue_dir);
	if (maildrop) {
		str_catf(&tmpdir, "%s/%s", queue_dir, QFILE_MAILDROP);
		/* "postdrop" + ".tmp.": see QFILE_MAILDROP_TMP */
		r = durable_create_named(&w->file, tmpdir.s, "postdrop", 0444);
	} else {
		str_catf(&tmpdir, "%s/%s", queue_dir, QFILE_TMP);
		r = durable_create_unnamed(&w->file, tmpdir.s, 0600);
	}
	if (r == -1) {
		saved = errno;
		str_free(&tmpdir);
		errno = saved;
		return -1;
	}
	str_free(&tmpdir);
	str_catf(&w->head, "postlet-queue 1\nT %lld.%06ld\nS %s\n", w->sec,
	    w->usec, sender);
	buf_init_fd(&w->out, w->file.fd, w->mem, sizeof(w->mem), -1);
	w->state = WRITER_ENVELOPE;
	return 0;
}

int
qfile_add_attr(struct qfile_writer *w, const char *name, const char *value)
{
	const char	*s;
	size_t		 i, n = strlen(name);

	writer_state(w, WRITER_ENVELOPE, "qfile_add_attr");
	for (i = 0; i < n; i++) {
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_')) {
			break;
		}
	}
	if (n == 0 || i < n || !value_ok(value)) {
		errno = EINVAL;
		return -1;
	}
	/* Each record starts a line: look for "A name=" at line starts. */
	for (s = w->attrs.s; s != NULL && *s != '\0';) {
		if (strncmp(s + 2, name, n) == 0 && s[2 + n] == '=') {
			errno = EEXIST;
			return -1;
		}
		s = strchr(s, '\n') + 1;
	}
	if (envelope_room(w, n + strlen(value) + 4) == -1) {
		return -1;
	}
	if (w->nattr == QFILE_ATTR_MAX) {
		errno = E2BIG;
		return -1;
	}
	str_catf(&w->attrs, "A %s=%s\n", name, value);
	w->nattr++;
	if (strcmp(name, "flags") == 0 && qfile_flags_have(value, "extract")) {
		w->extract = true;
	}
	return 0;
}

int
qfile_add_rcpt(struct qfile_writer *w, const char *address, unsigned notify,
    const char *orcpt)
{
	struct str	rec = STR_INIT;
	int		saved;

	writer_state(w, WRITER_ENVELOPE, "qfile_add_rcpt");
	if (address[0] == '\0' || !value_ok(address) || (orcpt != NULL &&
	    (strcmp(orcpt, "-") == 0 ||
	    !qfile_xtext_valid(orcpt, strlen(orcpt))))) {
		errno = EINVAL;
		return -1;
	}
	str_catf(&rec, "R %c ", QFILE_PENDING);
	if (qfile_notify_format(notify, &rec) == -1) {
		goto fail;
	}
	str_catf(&rec, " %s %s\n", orcpt != NULL ? orcpt : "-", address);
	if (envelope_room(w, rec.len) == -1) {
		goto fail;
	}
	if (w->nrcpt == QFILE_RCPT_MAX) {
		errno = E2BIG;
		goto fail;
	}
	str_cat_mem(&w->rcpts, rec.s, rec.len);
	w->nrcpt++;
	str_free(&rec);
	return 0;

fail:
	saved = errno;
	str_free(&rec);
	errno = saved;
	return -1;
}

int
qfile_end_envelope(struct qfile_writer *w)
{
	writer_state(w, WRITER_ENVELOPE, "qfile_end_envelope");
	if (w->nrcpt == 0 && !(w->maildrop && w->extract)) {
		errno = EINVAL;
		return -1;
	}
	buf_put(&w->out, w->head.s, w->head.len);
	buf_put(&w->out, w->attrs.s, w->attrs.len);
	buf_put(&w->out, w->rcpts.s, w->rcpts.len);
	buf_put(&w->out, QFILE_E_PLACEHOLDER, QFILE_E_RECORD_LEN);
	w->content_offset = (off_t)(w->head.len + w->attrs.len +
	    w->rcpts.len + QFILE_E_RECORD_LEN);
	str_free(&w->head);
	str_free(&w->attrs);
	str_free(&w->rcpts);
	w->state = WRITER_CONTENT;
	if (w->out.error != 0) {
		return writer_fail(w, w->out.error);
	}
	return 0;
}

int
qfile_content(struct qfile_writer *w, const void *p, size_t n)
{
	const char	*s = p, *end = s + n, *nl;

	writer_state(w, WRITER_CONTENT, "qfile_content");
	if (w->error != 0) {
		errno = w->error;
		return -1;
	}
	/* The file size must stay a 64-bit off_t (and fit the E record). */
	if (n > (unsigned long long)INT64_MAX - 4 -
	    (unsigned long long)w->content_offset - w->content_len) {
		return writer_fail(w, EFBIG);
	}
	/*
	 * The header section ends with the first empty line: a "\n" at the
	 * start of a line (RFC 5322 §2.1; content lines end in "\n" here).
	 */
	while (!w->header_done && s < end) {
		if (w->line_start && *s == '\n') {
			w->header_done = true;
			w->header_len = w->content_len +
			    (unsigned long long)(s - (const char *)p) + 1;
			break;
		}
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL) {
			w->line_start = false;
			break;
		}
		s = nl + 1;
		w->line_start = true;
	}
	buf_put(&w->out, p, n);
	w->content_len += n;
	if (w->out.error != 0) {
		return writer_fail(w, w->out.error);
	}
	return 0;
}

int
qfile_commit(struct qfile_writer *w, const char *subdir, char id[QID_SIZE])
{
	struct timespec	now;
	struct str	dir = STR_INIT;
	unsigned char	*placeholder;
	char		rec[QFILE_E_RECORD_LEN + 1];
	long long	sec = w->sec;
	long		usec = w->usec;
	ssize_t		n;
	int		i, r, saved;

	writer_state(w, WRITER_CONTENT, "qfile_commit");
	if (!qfile_subdir_valid(subdir)) {
		errno = EINVAL;
		return -1;
	}
	if (w->error != 0) {
		errno = w->error;
		return -1;
	}
	if (!w->header_done) {
		w->header_len = w->content_len;
	}
	r = fmt_snprintf(rec, sizeof(rec), "E %020llu %020llu\n",
	    w->content_len, w->header_len);
	if (r != QFILE_E_RECORD_LEN) {
		panic("qfile_commit: E record of %d bytes", r);
	}
	buf_put(&w->out, "END\n", 4);
	/* A message small enough that the whole file is still in the
	 * buffer gets its E record there, and goes out in one write. */
	placeholder = buf_unwritten(&w->out, (unsigned long long)
	    (w->content_offset - QFILE_E_RECORD_LEN), QFILE_E_RECORD_LEN);
	if (placeholder != NULL) {
		memcpy(placeholder, rec, QFILE_E_RECORD_LEN);
	}
	if (buf_flush(&w->out) == -1) {
		return writer_fail(w, errno);
	}
	if (placeholder == NULL) {
		do {
			n = pwrite(w->file.fd, rec, QFILE_E_RECORD_LEN,
			    w->content_offset - QFILE_E_RECORD_LEN);
		} while (n == -1 && errno == EINTR);
		if (n != QFILE_E_RECORD_LEN) {
			return writer_fail(w, n == -1 ? errno : EIO);
		}
	}
	str_catf(&dir, "%s/%s", str_c(&w->queue_dir), subdir);
	for (i = 0; i < QFILE_ID_TRIES; i++) {
		if (qid_format(id, sec, usec,
		    (unsigned long long)w->file.ino) == -1) {
			break;
		}
		if (durable_commit(&w->file, dir.s, id,
		    DURABLE_NOREPLACE) == 0) {
			str_free(&dir);
			str_free(&w->queue_dir);
			/* ready for the next file */
			w->state = WRITER_IDLE;
			return 0;
		}
		if (errno != EEXIST) {
			break;
		}
		/* A fresh time that differs from the one that collided. */
		log_warnx("%s: queue ID in use in %s, choosing another", id,
		    dir.s);
		if (clock_gettime(CLOCK_REALTIME, &now) == -1) {
			break;
		}
		if ((long long)now.tv_sec > sec || ((long long)now.tv_sec ==
		    sec && now.tv_nsec / 1000 > usec)) {
			sec = (long long)now.tv_sec;
			usec = now.tv_nsec / 1000;
		} else if (++usec > 999999) {
			usec = 0;
			sec++;
		}
	}
	saved = errno;
	str_free(&dir);
	return writer_fail(w, saved);
}

int
qfile_id(const struct qfile_writer *w, char id[QID_SIZE])
{
	if (w->state != WRITER_ENVELOPE && w->state != WRITER_CONTENT) {
		panic("qfile_id: no queue file is being written");
	}
	return qid_format(id, w->sec, w->usec,
	    (unsigned long long)w->file.ino);
}

void
qfile_abort(struct qfile_writer *w)
{
	int	saved = errno;

	durable_abort(&w->file);
	str_free(&w->queue_dir);
	str_free(&w->head);
	str_free(&w->attrs);
	str_free(&w->rcpts);
	w->state = WRITER_IDLE;
	w->error = 0;
	errno = saved;
}
