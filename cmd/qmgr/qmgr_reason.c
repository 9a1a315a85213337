/* SPDX-License-Identifier: ISC */
/*
 * qmgr_reason.c: the per-message logs defer/ID and bounce/ID (docs/
 * queue.5): one line per recipient, "address TAB code SP text".
 *
 * A log is rewritten whole through lib/durable (tmp/, fsync, rename,
 * directory fsync) rather than appended to, so a crash leaves the old or
 * the new log, never half a line.  The bounce log must be durable before
 * a recipient's status byte becomes F: the bounce notice is made from it,
 * and a recipient marked F without its line would be returned to its
 * sender without a reason.  The defer log only informs (postlet queue,
 * delay notices), so losing its latest version loses nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "fd.h"
#include "log.h"
#include "qmgr.h"

static void	reason_unlink(const struct qmgr *, const char *, bool);

static int	reason_read(const char *path, struct str *out);
static bool	reason_listed(const struct str *text, const char *addr,
		    size_t n);

/* Read a log whole (a missing one is empty): 0, or -1 with errno. */
static int
reason_read(const char *path, struct str *out)
{
	if (fd_read_file(path, FD_FILE_NOFOLLOW | FD_FILE_MISSING_OK,
	    QMGR_LOG_MAX, out) == -1) {
		return -1;
	}
	/* A log always ends in LF; a stray partial line is dropped. */
	while (out->len > 0 && out->s[out->len - 1] != '\n') {
		str_truncate(out, out->len - 1);
	}
	return 0;
}

/* True when text has a line for address addr (n bytes). */
static bool
reason_listed(const struct str *text, const char *addr, size_t n)
{
	const char	*p, *nl, *end = str_c(text) + text->len;

	for (p = str_c(text); p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			break;
		}
		if ((size_t)(nl - p) > n && p[n] == '\t' &&
		    memcmp(p, addr, n) == 0) {
			return true;
		}
	}
	return false;
}

int
qmgr_reason_add(const struct qmgr *q, const char *subdir, const char *id,
    const struct str *text, bool replace)
{
	struct durable	 d = DURABLE_INIT;
	struct str	 path = STR_INIT, old = STR_INIT, out = STR_INIT;
	struct str	 tmp = STR_INIT, dir = STR_INIT;
	const char	*p, *nl, *tab, *end;
	int		 rc = -1, saved;

	str_catf(&dir, "%s/%s", str_c(&q->queue_dir), subdir);
	str_catf(&path, "%s/%s", dir.s, id);
	str_catf(&tmp, "%s/tmp", str_c(&q->queue_dir));
	if (reason_read(path.s, &old) == -1) {
		goto out;
	}
	/* Keep the old lines that the new text does not replace. */
	end = str_c(&old) + old.len;
	for (p = str_c(&old); p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		tab = memchr(p, '\t', (size_t)(nl - p));
		if (replace && tab != NULL &&
		    reason_listed(text, p, (size_t)(tab - p))) {
			continue;
		}
		str_cat_mem(&out, p, (size_t)(nl - p + 1));
	}
	str_cat_mem(&out, str_c(text), text->len);
	if (durable_create(&d, tmp.s, 0600) == -1 ||
	    fd_write_all(d.fd, str_c(&out), out.len) == -1 ||
	    durable_commit(&d, dir.s, id, DURABLE_REPLACE) == -1) {
		goto out;
	}
	rc = 0;
out:
	saved = errno;
	durable_abort(&d);
	str_free(&path);
	str_free(&old);
	str_free(&out);
	str_free(&tmp);
	str_free(&dir);
	errno = saved;
	return rc;
}

void
qmgr_reason_remove(const struct qmgr *q, const char *id)
{
	reason_unlink(q, id, false);
}

void
qmgr_reason_remove_bounce(const struct qmgr *q, const char *id)
{
	reason_unlink(q, id, true);
}

/* Remove bounce/ID, and unless bounce_only defer/ID too. */
static void
reason_unlink(const struct qmgr *q, const char *id, bool bounce_only)
{
	static const char *const subdirs[] = { "bounce", "defer" };
	struct str	path = STR_INIT;
	size_t		i;

	for (i = 0; i < (bounce_only ? 1 : 2); i++) {
		str_clear(&path);
		str_catf(&path, "%s/%s/%s", str_c(&q->queue_dir), subdirs[i],
		    id);
		if (unlink(path.s) == -1 && errno != ENOENT) {
			log_warn("%s: remove %s", id, path.s);
		}
	}
	str_free(&path);
}

bool
qmgr_reason_have_bounce(const struct qmgr *q, const char *id)
{
	struct str	path = STR_INIT;
	struct stat	st;
	bool		have;

	str_catf(&path, "%s/bounce/%s", str_c(&q->queue_dir), id);
	have = lstat(path.s, &st) == 0;
	str_free(&path);
	return have;
}

/* "address TAB action code SP text LF", text cut to QMGR_TEXT_MAX. */
static void
reason_line(struct str *out, const char *address, const char *action,
    const char *code, const char *text)
{
	size_t	n = strlen(text);

	if (n > QMGR_TEXT_MAX) {
		n = QMGR_TEXT_MAX;
	}
	str_catf(out, "%s\t%s%s %.*s\n", address, action, code, (int)n,
	    text);
}

void
qmgr_reason_line(struct str *out, const char *address, const char *code,
    const char *text)
{
	reason_line(out, address, "", code, text);
}

void
qmgr_reason_relayed(struct str *out, const char *address, const char *code,
    const char *text)
{
	reason_line(out, address, "relayed ", code, text);
}
