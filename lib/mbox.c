/* SPDX-License-Identifier: ISC */
/*
 * mbox.c: From_ lines, ">From " quoting, dot locks, fcntl locks and the
 * all-or-nothing append of one message (see mbox.h).
 *
 * The append remembers the file size before it writes and truncates back
 * to it after any error, fsync(2) included: a reader then never sees a
 * half message, and a later delivery does not glue its From_ line to a
 * fragment.  A crash in the middle can still leave a fragment (the
 * mailbox is appended to in place, as every mbox writer does); the
 * message is then delivered again because the agent never said "done".
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>		/* snprintf */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "fd.h"
#include "log.h"
#include "mbox.h"
#include "safeopen.h"
#include "str.h"

/* Bytes collected before each write(2) of an append. */
#define MBOX_CHUNK	(64 * 1024)

static const char	mbox_from[] = "From ";

static void	pause_ms(int);
static int	lock_name(const char *, char *, size_t);
static int	put_out(int, struct str *);

void
mbox_from_line(struct str *out, const char *sender, time_t when)
{
	struct str	 quoted = STR_INIT;
	struct tm	 tm;
	char		 date[64];

	if (*sender == '\0') {
		str_set(&quoted, "MAILER-DAEMON");
	} else {
		addr_quote(sender, strlen(sender), &quoted);
	}
	/* asctime(3)'s layout, without its fixed buffer. */
	if (localtime_r(&when, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm) == 0) {
		(void)snprintf(date, sizeof(date), "%s",
		    "Thu Jan  1 00:00:00 1970");
	}
	str_catf(out, "From %s  %s\n", str_c(&quoted), date);
	str_free(&quoted);
}

void
mbox_quote_put(struct mbox_quote *q, const char *p, size_t n,
    struct str *out)
{
	const char	*nl;
	size_t		 k;

	while (n > 0) {
		if (q->state < 0) {
			nl = memchr(p, '\n', n);
			k = nl == NULL ? n : (size_t)(nl - p) + 1;
			str_cat_mem(out, p, k);
			p += k;
			n -= k;
			if (nl != NULL) {
				q->state = 0;
			}
			continue;
		}
		/* At a line start, q->state bytes of "From " held back. */
		if (*p == mbox_from[q->state]) {
			q->state++;
			p++;
			n--;
			if (q->state == (int)sizeof(mbox_from) - 1) {
				str_cat(out, ">From ");
				q->state = -1;
			}
			continue;
		}
		str_cat_mem(out, mbox_from, (size_t)q->state);
		q->state = -1;
	}
}

void
mbox_quote_finish(struct mbox_quote *q, struct str *out)
{
	if (q->state > 0) {
		str_cat_mem(out, mbox_from, (size_t)q->state);
		q->state = -1;
	}
	if (q->state < 0) {
		str_cat_char(out, '\n');
	}
	str_cat_char(out, '\n');
	q->state = 0;
}

/* Sleep ms milliseconds (signals may cut it short: harmless here). */
static void
pause_ms(int ms)
{
	struct timespec	ts;

	if (ms <= 0) {
		return;
	}
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

/* name + ".lock" into buf: 0, or -1 with ENAMETOOLONG or EINVAL. */
static int
lock_name(const char *name, char *buf, size_t size)
{
	int	n;

	if (!safeopen_name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(buf, size, "%s%s", name, MBOX_LOCK_SUFFIX);
	if (n < 0 || (size_t)n >= size || !safeopen_name_ok(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
mbox_dotlock(int dirfd, const char *name, time_t stale_time, int attempts,
    int delay_ms)
{
	char		lock[300];
	struct stat	st;
	int		fd, tries = 0;

	if (lock_name(name, lock, sizeof(lock)) == -1) {
		return -1;
	}
	for (;;) {
		fd = openat(dirfd, lock, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
		if (fd != -1) {
			(void)close(fd);
			return 0;
		}
		if (errno != EEXIST) {
			return -1;
		}
		if (fstatat(dirfd, lock, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_mtime + stale_time < time(NULL)) {
			if (unlinkat(dirfd, lock, 0) == 0) {
				log_warnx("%s: removed stale lock file", lock);
				continue;
			}
		}
		if (++tries >= attempts) {
			errno = EAGAIN;
			return -1;
		}
		pause_ms(delay_ms);
	}
}

int
mbox_dotunlock(int dirfd, const char *name)
{
	char	lock[300];

	if (lock_name(name, lock, sizeof(lock)) == -1) {
		return -1;
	}
	return unlinkat(dirfd, lock, 0);
}

int
mbox_lock(int fd, int attempts, int delay_ms)
{
	struct flock	fl;
	int		tries = 0;

	for (;;) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = 0;
		fl.l_len = 0;
		if (fcntl(fd, F_SETLK, &fl) == 0) {
			return 0;
		}
		if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
			return -1;
		}
		if (++tries >= attempts) {
			errno = EAGAIN;
			return -1;
		}
		pause_ms(delay_ms);
	}
}

int
mbox_unlock(int fd)
{
	struct flock	fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
	return fcntl(fd, F_SETLK, &fl);
}

/* Write out and empty out: 0, or -1 with errno. */
static int
put_out(int fd, struct str *out)
{
	if (out->len > 0 && fd_write_all(fd, out->s, out->len) == -1) {
		return -1;
	}
	str_clear(out);
	return 0;
}

int
mbox_append(int fd, const char *head, size_t headlen, int src, off_t off,
    off_t len)
{
	struct mbox_quote	 q = MBOX_QUOTE_INIT;
	struct str		 out = STR_INIT;
	struct stat		 st;
	char			 in[16384];
	off_t			 done = 0;
	ssize_t			 r;
	size_t			 want;
	int			 saved;

	if (fstat(fd, &st) == -1) {
		return -1;
	}
	str_cat_mem(&out, head, headlen);
	while (done < len) {
		want = len - done < (off_t)sizeof(in) ?
		    (size_t)(len - done) : sizeof(in);
		r = pread(src, in, want, off + done);
		if (r == -1 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			if (r == 0) {
				errno = EIO;
			}
			goto fail;
		}
		mbox_quote_put(&q, in, (size_t)r, &out);
		done += r;
		if (out.len >= MBOX_CHUNK && put_out(fd, &out) == -1) {
			goto fail;
		}
	}
	mbox_quote_finish(&q, &out);
	if (put_out(fd, &out) == -1 || fsync(fd) == -1) {
		goto fail;
	}
	str_free(&out);
	return 0;
fail:
	saved = errno;
	/* Never leave a fragment: cut back to the old end (we hold the
	 * lock), and make the cut durable too. */
	if (ftruncate(fd, st.st_size) == -1 || fsync(fd) == -1) {
		log_warn("cannot truncate mailbox back to %lld bytes",
		    (long long)st.st_size);
	}
	str_free(&out);
	errno = saved;
	return -1;
}
