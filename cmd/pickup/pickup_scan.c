/* SPDX-License-Identifier: ISC */
/*
 * pickup_scan.c: take the files out of maildrop/ and feed them to
 * cleanup.
 *
 * Maildrop files are hostile: any local user can make postdrop write
 * one, and the directory may hold anything.  A file is believed only
 * after lib/qfile's reader accepted it (QFILE_READ_MAILDROP) and its
 * owner is the uid it claims to come from (submit_uid), or mail_owner
 * (a file put back by the administrator).  Anything else is moved to
 * corrupt/ and logged, never deleted and never fatal.
 *
 * The file is removed only after cleanup answered "OK id": cleanup has
 * then made its own queue file durable.  A crash between the two leaves
 * the message in both places and it is queued twice: a duplicate, never
 * a loss.  After TEMP the file stays for the next scan.
 *
 * One cleanup takes the files of a scan one after another (up to
 * PICKUP_CLEANUP_FILES), as it takes the messages of an SMTP session:
 * one exec per burst of sendmail calls rather than one per message.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "clock.h"
#include "durable.h"
#include "fd.h"
#include "jail.h"
#include "log.h"
#include "pickup.h"
#include "proc.h"
#include "qfile.h"
#include "scan.h"
#include "sig.h"
#include "str.h"
#include "submit.h"

/* How long cleanup may take to read a message and to answer. */
#define PICKUP_TIMEOUT_MS	(300 * 1000)
/* A postdrop.tmp. file this old was left by a postdrop that died. */
#define PICKUP_TMP_MAX_AGE	(24 * 3600)
/* Files one cleanup takes before a fresh one starts. */
#define PICKUP_CLEANUP_FILES	100

/* What became of one file. */
enum outcome {
	DONE,		/* cleanup took it, or it went to corrupt/ */
	KEEP,		/* try again at the next scan */
};

static int	by_name(const void *, const void *);
static void	sweep_tmp(const char *, const char *);
static enum outcome pickup_file(const struct pickup *, const char *,
		    const char *);
static int	feed_cleanup(const struct pickup *, const struct qfile *,
		    enum dsn_status *, struct str *);
static int	feed_once(const struct pickup *, const struct qfile *,
		    enum dsn_status *, struct str *, bool *);
static void	end_cleanup(void);

/* The cleanup of this scan's last file, kept for its next one. */
static struct proc	kept;
static bool		kept_alive;
static unsigned		kept_files;

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Remove a postdrop temporary file that nobody has written for a day. */
static void
sweep_tmp(const char *dir, const char *name)
{
	struct str	path = STR_INIT;
	struct stat	st;

	str_catf(&path, "%s/%s", dir, name);
	if (lstat(path.s, &st) == 0 && !S_ISDIR(st.st_mode) &&
	    st.st_mtime + PICKUP_TMP_MAX_AGE < time(NULL)) {
		if (unlink(path.s) == 0) {
			log_info("removed stale temporary file maildrop/%s",
			    name);
		} else {
			log_warn("unlink %s", path.s);
		}
	}
	str_free(&path);
}

int
pickup_scan(const struct pickup *pu)
{
	struct str	 dir = STR_INIT;
	struct dirent	*de;
	DIR		*d;
	char		**names = NULL;
	size_t		 n = 0, cap = 0, i;
	int		 saved;

	str_catf(&dir, "%s/%s", pu->queue_dir, QFILE_MAILDROP);
	if ((d = opendir(dir.s)) == NULL) {
		saved = errno;
		log_warn("open %s", dir.s);
		str_free(&dir);
		errno = saved;
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (qid_valid(de->d_name)) {
			if (n == cap) {
				cap = cap == 0 ? 64 : cap * 2;
				names = xreallocarray(names, cap,
				    sizeof(*names));
			}
			names[n++] = xstrdup(de->d_name);
		} else if (strncmp(de->d_name, QFILE_MAILDROP_TMP,
		    strlen(QFILE_MAILDROP_TMP)) == 0) {
			sweep_tmp(dir.s, de->d_name);
		} else if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			log_debug("maildrop/%s: not a queue ID, skipped",
			    de->d_name);
		}
	}
	(void)closedir(d);
	if (n > 0) {
		qsort(names, n, sizeof(*names), by_name);
	}
	for (i = 0; i < n; i++) {
		/* SIGTERM: stop between two files, never inside one. */
		if (!sig_caught(SIGTERM)) {
			(void)pickup_file(pu, dir.s, names[i]);
		}
		free(names[i]);
	}
	end_cleanup();
	free(names);
	str_free(&dir);
	return 0;
}

/* One file: check it, feed it to cleanup, act on the answer. */
static enum outcome
pickup_file(const struct pickup *pu, const char *dir, const char *name)
{
	struct qfile		 qf = QFILE_INIT;
	struct stat		 st;
	struct str		 path = STR_INIT, reason = STR_INIT;
	struct str		 text = STR_INIT;
	unsigned long long	 uid = 0;
	enum dsn_status		 status;
	const char		*v, *id;
	enum outcome		 out = KEEP;

	str_catf(&path, "%s/%s", dir, name);
	if (qfile_open_flags(path.s, O_RDONLY, QFILE_READ_MAILDROP,
	    &qf) == -1) {
		if (errno == EBADMSG) {
			(void)qfile_corrupt(pu->queue_dir, QFILE_MAILDROP, name,
			    str_c(&qf.error));
			out = DONE;
		} else if (errno == ENOENT) {
			/* gone meanwhile (postlet delete) */
			out = DONE;
		} else {
			log_warnx("%s: %s", name, str_c(&qf.error));
		}
		goto out;
	}
	if (fstat(qf.fd, &st) == -1) {
		log_warn("%s: fstat", name);
		goto out;
	}
	v = qfile_attr(&qf, "submit_uid");
	if (v == NULL || scan_uint(v, (unsigned long long)(uid_t)-1 - 1,
	    &uid) == -1) {
		str_set(&reason, "no valid submit_uid attribute");
	} else if ((uid_t)uid != st.st_uid && st.st_uid != pu->owner_uid) {
		str_catf(&reason, "file owner uid=%lu is not submit_uid=%llu",
		    (unsigned long)st.st_uid, uid);
	}
	if (reason.len > 0) {
		(void)qfile_corrupt(pu->queue_dir, QFILE_MAILDROP, name,
		    reason.s);
		out = DONE;
		goto out;
	}

	if (feed_cleanup(pu, &qf, &status, &text) == -1) {
		/* not started, or no answer: try again later */
		log_warnx("%s: %s; will try again", name, text.s);
		goto out;
	}
	switch (status) {
	case DSN_OK:
		id = text.s;
		log_info("%s: uid=%llu from=<%s>", id, uid, qf.sender);
		/*
		 * cleanup's file is durable: ours may go.  If the unlink
		 * does not last, the message is queued twice, not lost.
		 */
		if (unlink(path.s) == -1) {
			log_warn("%s: remove maildrop/%s", id, name);
		} else if (durable_fsync_dir(dir) == -1) {
			log_warn("fsync %s", dir);
		}
		out = DONE;
		break;
	case DSN_TEMP:
		log_warnx("%s: cleanup: %s; will try again", name, text.s);
		break;
	case DSN_PERM:
		/*
		 * XXX the message should be returned to its sender; the
		 * bounce program comes with the next issue.  Until then it
		 * is kept in corrupt/ for the administrator.
		 */
		str_catf(&reason, "refused by cleanup: %s", text.s);
		(void)qfile_corrupt(pu->queue_dir, QFILE_MAILDROP, name,
		    reason.s);
		out = DONE;
		break;
	}
out:
	qfile_close(&qf);
	str_free(&path);
	str_free(&reason);
	str_free(&text);
	return out;
}

/* The end of the kept cleanup's input: it exits, and is collected. */
static void
end_cleanup(void)
{
	if (kept_alive) {
		(void)submit_end_cleanup(&kept);
		kept_alive = false;
	}
}

/*
 * Replay the file to cleanup: the one kept from the file before, or a
 * new one; a kept one that gives no valid answer (it ended meanwhile)
 * is replaced once.  Returns as feed_once.
 */
static int
feed_cleanup(const struct pickup *pu, const struct qfile *qf,
    enum dsn_status *status, struct str *text)
{
	bool	reused = kept_alive;
	int	rc;

	rc = feed_once(pu, qf, status, text, &reused);
	if (rc == -1 && reused) {
		log_debug("kept cleanup: %s; a fresh one", text->s);
		str_clear(text);
		reused = false;
		rc = feed_once(pu, qf, status, text, &reused);
	}
	return rc;
}

/*
 * Run cleanup (or, when *reused, take the kept one) and replay the file
 * to it: F from the flags attribute, S, the other attributes, the
 * recipients, the content in D records, E.  Returns 0 with cleanup's
 * answer in *status and text (the queue ID, or "code text"), or -1 with
 * a reason in text when cleanup could not be run or gave no valid
 * answer.  A cleanup that gave a valid answer is kept for the next file
 * (PICKUP_CLEANUP_FILES at most).
 */
static int
feed_once(const struct pickup *pu, const struct qfile *qf,
    enum dsn_status *status, struct str *text, bool *reused)
{
	static unsigned char	 tomem[2 * SUBMIT_CHUNK_MAX];
	static unsigned char	 frommem[2048];
	static char		 chunk[SUBMIT_CHUNK_MAX];
	struct submit_cleanup	 sc;
	struct proc		 p;
	struct buf		 to, from;
	struct str		 rec = STR_INIT;
	char			 st[PROC_STATUS_MAX];
	const char		*flags;
	off_t			 off, end;
	size_t			 i, want;
	ssize_t			 n;
	int			 wstatus, rc = -1;

	if (*reused && kept_alive) {
		p = kept;
		kept_alive = false;
	} else {
		end_cleanup();
		*reused = false;
		kept_files = 0;
		memset(&sc, 0, sizeof(sc));
		sc.daemon_dir = pu->daemon_dir;
		sc.config_dir = pu->config_dir;
		sc.stderr_io = PROC_IO_INHERIT;
		jail_queue_path("public/cleanup", &rec);
		sc.socket_path = rec.s;
		sc.spawn_if_absent = !jail_active();
		if (submit_start_cleanup(&sc, &p, text) == -1) {
			str_free(&rec);
			return -1;
		}
		sc.socket_path = NULL;	/* rec is reused below */
	}
	buf_init_fd(&to, p.fd[0], tomem, sizeof(tomem), PICKUP_TIMEOUT_MS);
	flags = qfile_attr(qf, "flags");
	if (flags != NULL && *flags != '\0') {
		(void)submit_put(&to, 'F', flags);
	}
	(void)submit_put(&to, 'S', qf->sender);
	for (i = 0; i < qf->nattr; i++) {
		if (strcmp(qf->attrs[i].name, "flags") == 0) {
			continue;
		}
		str_clear(&rec);
		str_catf(&rec, "%s=%s", qf->attrs[i].name, qf->attrs[i].value);
		(void)submit_put(&to, 'A', rec.s);
	}
	for (i = 0; i < qf->nrcpt; i++) {
		str_clear(&rec);
		(void)qfile_notify_format(qf->rcpts[i].notify, &rec);
		(void)submit_put_rcpt(&to, rec.s, qf->rcpts[i].orcpt,
		    qf->rcpts[i].address);
	}
	end = qf->content_offset + qf->content_len;
	for (off = qf->content_offset; off < end && to.error == 0;
	    off += n) {
		want = end - off > (off_t)sizeof(chunk) ? sizeof(chunk) :
		    (size_t)(end - off);
		do {
			n = pread(qf->fd, chunk, want, off);
		} while (n == -1 && errno == EINTR);
		if (n <= 0) {
			str_catf(text, "read queue file: %s", n == 0 ?
			    "file shrank" : strerror(errno));
			goto kill;
		}
		submit_put_content(&to, chunk, (size_t)n);
	}
	submit_put_end(&to);
	/* A write error: cleanup stopped reading; its answer tells why. */
	(void)buf_flush(&to);
	buf_init_fd(&from, p.fd[1], frommem, sizeof(frommem),
	    PICKUP_TIMEOUT_MS);
	if (submit_get_reply(&from, status, text) == 0) {
		rc = 0;
		if (to.error == 0 && buf_pending(&from) == 0 &&
		    ++kept_files < PICKUP_CLEANUP_FILES) {
			/* cleanup waits for the next message */
			kept = p;
			kept_alive = true;
			str_free(&rec);
			return 0;
		}
	}
kill:
	wstatus = submit_end_cleanup(&p);
	if (rc == -1 && text->len > 0 && WIFEXITED(wstatus) == 0) {
		str_catf(text, " (cleanup %s)",
		    proc_status_text(wstatus, st, sizeof(st)));
	}
	str_free(&rec);
	return rc;
}
