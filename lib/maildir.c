/* SPDX-License-Identifier: ISC */
/*
 * maildir.c: Maildir delivery (see maildir.h).  The order is the crash
 * argument: data fsync'ed in tmp/, link(2) into new/ (never replacing),
 * fsync of new/, and only then success; the tmp/ name goes last, so at
 * no instant is the message in neither directory once it was complete.
 * Where lib/durable can make a file without a name (O_TMPFILE, in tmp/'s
 * file system), the file has no tmp/ name at all: new/ gives it its
 * first, and a crash before that leaves nothing behind.  A batch keeps
 * the order for each message while it shares the waits: every file's
 * fsync, then every name, then each new/ once.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>		/* snprintf */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "fd.h"
#include "alloc.h"
#include "log.h"
#include "maildir.h"
#include "safeopen.h"
#include "str.h"

/* Names tried in tmp/ before giving up with EEXIST. */
#define MAILDIR_TRIES	10

static unsigned long	maildir_counter;

static void	host_part(struct str *);
static int	sub_fd(int, const char *, uid_t, struct str *);
static int	copy_in(int, const char *, size_t, int, off_t, off_t);
static size_t	batch_finish(struct maildir_batch *);

int
maildir_open(int dirfd, const char *path, bool create, uid_t owner,
    struct str *why)
{
	static const char *const subs[] = { "tmp", "new", "cur" };
	int		 fd, sub;
	size_t		 i;

	fd = safeopen_dir(dirfd, path, create ? SAFEOPEN_CREATE : 0, 0700,
	    owner, why);
	if (fd == -1) {
		return -1;
	}
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		/* cur/ belongs to the reader: no owner check there. */
		sub = safeopen_dir(fd, subs[i], create ? SAFEOPEN_CREATE : 0,
		    0700, i < 2 ? owner : SAFEOPEN_ANY_OWNER, why);
		if (sub == -1) {
			(void)close(fd);
			return -1;
		}
		(void)close(sub);
	}
	return fd;
}

/*
 * gethostname with '/' and ':' encoded, as the Maildir spec says.  Asked
 * once per process: a delivery agent names thousands of files, and a
 * host renamed meanwhile names the next process's files.
 */
static void
host_part(struct str *out)
{
	static struct str	encoded = STR_INIT;
	static bool		known;
	char			host[256];
	size_t			i;

	if (known) {
		str_cat(out, str_c(&encoded));
		return;
	}
	if (gethostname(host, sizeof(host)) == -1) {
		(void)snprintf(host, sizeof(host), "%s", "localhost");
	}
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0'; i++) {
		if (host[i] == '/') {
			str_cat(&encoded, "\\057");
		} else if (host[i] == ':') {
			str_cat(&encoded, "\\072");
		} else if ((unsigned char)host[i] < 32 || host[i] == 127) {
			str_cat_char(&encoded, '_');
		} else {
			str_cat_char(&encoded, host[i]);
		}
	}
	known = true;
	str_cat(out, str_c(&encoded));
}

void
maildir_tmp_name(struct str *out)
{
	struct timeval	tv;

	(void)gettimeofday(&tv, NULL);
	str_catf(out, "%lld.M%ldP%ldQ%lu.", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++maildir_counter);
	host_part(out);
}

/* Open subdirectory name of the Maildir (no link, owned by owner). */
static int
sub_fd(int mdfd, const char *name, uid_t owner, struct str *why)
{
	return safeopen_dir(mdfd, name, 0, 0, owner, why);
}

/* Write head, then len bytes of src from off, to fd: 0 or -1. */
static int
copy_in(int fd, const char *head, size_t headlen, int src, off_t off,
    off_t len)
{
	char	buf[16384];
	off_t	done = 0;
	ssize_t	r;
	size_t	want;

	if (headlen > 0 && fd_write_all(fd, head, headlen) == -1) {
		return -1;
	}
	while (done < len) {
		want = len - done < (off_t)sizeof(buf) ?
		    (size_t)(len - done) : sizeof(buf);
		r = pread(src, buf, want, off + done);
		if (r == -1 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			if (r == 0) {
				errno = EIO;
			}
			return -1;
		}
		if (fd_write_all(fd, buf, (size_t)r) == -1) {
			return -1;
		}
		done += r;
	}
	return 0;
}

/* Close what entry e holds and empty it (its why and final stay). */
static void
entry_close(struct maildir_entry *e)
{
	if (e->fd != -1) {
		(void)close(e->fd);
		e->fd = -1;
	}
	if (e->tmpfd != -1) {
		(void)close(e->tmpfd);
		e->tmpfd = -1;
	}
	if (e->newfd != -1) {
		(void)close(e->newfd);
		e->newfd = -1;
	}
}

int
maildir_write(struct maildir_batch *b, int mdfd, const char *head,
    size_t headlen, int src, off_t off, off_t len, struct str *why)
{
	struct maildir_entry	*e;
	struct stat		 st;
	int			 tries, saved;

	if (b->n == b->cap) {
		b->cap = b->cap == 0 ? 4 : b->cap * 2;
		b->e = xreallocarray(b->e, b->cap, sizeof(*b->e));
	}
	e = &b->e[b->n];
	memset(e, 0, sizeof(*e));
	e->fd = e->tmpfd = e->newfd = -1;
	if ((e->tmpfd = sub_fd(mdfd, "tmp", SAFEOPEN_ANY_OWNER, why)) == -1 ||
	    (e->newfd = sub_fd(mdfd, "new", SAFEOPEN_ANY_OWNER, why)) == -1) {
		goto fail;
	}
	if (fstat(e->newfd, &st) == -1) {
		str_catf(why, "maildir new/: %s", strerror(errno));
		goto fail;
	}
	e->new_dev = st.st_dev;
	e->new_ino = st.st_ino;
	/* unnamed if it can be: tmp/ then gets no name to add and remove */
	if ((e->fd = durable_open_unnamed(e->tmpfd, ".", 0600)) == -1 &&
	    errno != EOPNOTSUPP) {
		str_catf(why, "create maildir file in tmp/: %s",
		    strerror(errno));
		goto fail;
	}
	for (tries = 0; e->fd == -1 && tries < MAILDIR_TRIES; tries++) {
		str_clear(&e->tmp);
		maildir_tmp_name(&e->tmp);
		e->fd = openat(e->tmpfd, e->tmp.s, O_WRONLY | O_CREAT |
		    O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
		if (e->fd == -1 && errno != EEXIST) {
			break;
		}
	}
	if (e->fd == -1) {
		str_catf(why, "create maildir file tmp/%s: %s",
		    str_c(&e->tmp), strerror(errno));
		str_clear(&e->tmp);	/* not ours to remove */
		goto fail;
	}
	if (copy_in(e->fd, head, headlen, src, off, len) == -1) {
		str_catf(why, "write maildir file in tmp/: %s",
		    strerror(errno));
		goto fail;
	}
	b->n++;
	return 0;
fail:
	saved = errno;
	if (e->tmp.len > 0 && e->tmpfd != -1) {
		(void)unlinkat(e->tmpfd, e->tmp.s, 0);
	}
	entry_close(e);
	str_free(&e->tmp);
	errno = saved;
	return -1;
}

/* Make entry e's data durable: 0, or -1 with errno and e->why set. */
static int
entry_sync(struct maildir_entry *e)
{
	struct stat	st;

	if (fsync(e->fd) == -1 || fstat(e->fd, &st) == -1) {
		str_catf(&e->why, "write maildir file in tmp/: %s",
		    strerror(errno));
		return -1;
	}
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	return 0;
}

/* Give entry e its name in new/: 0, or -1 with errno and e->why set. */
static int
entry_link(struct maildir_entry *e)
{
	struct timeval	 tv;
	int		 r;

	(void)gettimeofday(&tv, NULL);
	str_catf(&e->final, "%lld.V%llxI%llxM%ld.", (long long)tv.tv_sec,
	    (unsigned long long)e->dev, (unsigned long long)e->ino,
	    (long)tv.tv_usec);
	host_part(&e->final);
	if ((e->tmp.len > 0 ? linkat(e->tmpfd, e->tmp.s, e->newfd,
	    e->final.s, 0) : durable_link_unnamed(e->fd, e->newfd,
	    e->final.s)) == -1) {
		str_catf(&e->why, "link maildir file to new/%s: %s",
		    e->final.s, strerror(errno));
		return -1;
	}
	e->linked = true;
	/* checked after the fsync, before the name in new/ counts */
	r = close(e->fd);
	e->fd = -1;
	if (r == -1) {
		str_catf(&e->why, "close maildir file new/%s: %s", e->final.s,
		    strerror(errno));
		return -1;
	}
	return 0;
}

size_t
maildir_commit(struct maildir_batch *b)
{
	struct maildir_entry	*e, *o;
	size_t			 i, j;
	int			 saved;

#ifdef SYNC_FILE_RANGE_WRITE
	/*
	 * Start every file's write-back first: the fsync of the first file
	 * then commits the others' blocks in the same journal transaction
	 * (ext4 and others), and theirs find their data already safe.  A
	 * hint only: each file still gets its own fsync below.
	 */
	for (i = 0; b->n > 1 && i < b->n; i++) {
		if (b->e[i].fd != -1 && !b->e[i].done) {
			(void)sync_file_range(b->e[i].fd, 0, 0,
			    SYNC_FILE_RANGE_WRITE);
		}
	}
#endif
	/* all the files' fsyncs, then all the names: a name made between
	 * two fsyncs would cost the second one a journal commit of its own */
	for (i = 0; i < b->n; i++) {
		e = &b->e[i];
		if (!e->done && entry_sync(e) == -1) {
			e->error = errno;
			e->done = true;
		}
	}
	for (i = 0; i < b->n; i++) {
		e = &b->e[i];
		if (!e->done && entry_link(e) == -1) {
			e->error = errno;
			e->done = true;
		}
	}
	/* each new/ once, for all the names made in it */
	for (i = 0; i < b->n; i++) {
		e = &b->e[i];
		if (e->done) {
			continue;
		}
		saved = fsync(e->newfd) == -1 ? errno : 0;
		for (j = i; j < b->n; j++) {
			o = &b->e[j];
			if (o->done || o->new_dev != e->new_dev ||
			    o->new_ino != e->new_ino) {
				continue;
			}
			o->done = true;
			if (saved != 0) {
				o->error = saved;
				str_catf(&o->why, "fsync maildir new/: %s",
				    strerror(saved));
			}
		}
	}
	return batch_finish(b);
}

size_t
maildir_abort(struct maildir_batch *b, int err, const char *why)
{
	struct maildir_entry	*e;
	size_t			 i;

	for (i = 0; i < b->n; i++) {
		e = &b->e[i];
		if (!e->done) {
			e->error = err;
			str_set(&e->why, why);
			e->done = true;
		}
	}
	return batch_finish(b);
}

/* The end of a commit (or an abort): a failed entry's name in new/ and
 * any tmp/ name go, every file is closed; how many failed. */
static size_t
batch_finish(struct maildir_batch *b)
{
	struct maildir_entry	*e;
	size_t			 i, failed = 0;

	for (i = 0; i < b->n; i++) {
		e = &b->e[i];
		if (e->error != 0 && e->linked) {
			(void)unlinkat(e->newfd, e->final.s, 0);
			e->linked = false;
		}
		/* tmp/ name last: on success the message is in new/ */
		if (e->tmp.len > 0 && unlinkat(e->tmpfd, e->tmp.s, 0) == -1 &&
		    e->error == 0) {
			log_warn("maildir: remove tmp/%s", e->tmp.s);
		}
		str_clear(&e->tmp);
		entry_close(e);
		failed += e->error != 0;
	}
	return failed;
}

void
maildir_batch_clear(struct maildir_batch *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++) {
		if (!b->e[i].done) {
			panic("maildir_batch_clear: entry %zu not committed",
			    i);
		}
		str_free(&b->e[i].tmp);
		str_free(&b->e[i].final);
		str_free(&b->e[i].why);
	}
	b->n = 0;
}

void
maildir_batch_free(struct maildir_batch *b)
{
	maildir_batch_clear(b);
	free(b->e);
	b->e = NULL;
	b->cap = 0;
}

int
maildir_deliver(int mdfd, const char *head, size_t headlen, int src,
    off_t off, off_t len, struct str *name, struct str *why)
{
	struct maildir_batch	 b = MAILDIR_BATCH_INIT;
	int			 error = 0;

	if (maildir_write(&b, mdfd, head, headlen, src, off, len, why) ==
	    -1) {
		maildir_batch_free(&b);
		return -1;
	}
	if (maildir_commit(&b) > 0) {
		str_cat(why, b.e[0].why.s);
		error = b.e[0].error;
	} else if (name != NULL) {
		str_cat(name, b.e[0].final.s);
	}
	maildir_batch_free(&b);
	errno = error;
	return error == 0 ? 0 : -1;
}
