/* SPDX-License-Identifier: ISC */
/*
 * maildir.c: Maildir delivery (see maildir.h).  The order is the crash
 * argument: data fsync'ed in tmp/, link(2) into new/ (never replacing),
 * fsync of new/, and only then success; the tmp/ name goes last, so at
 * no instant is the message in neither directory once it was complete.
 * Where lib/durable can make a file without a name (O_TMPFILE, in tmp/'s
 * file system), the file has no tmp/ name at all: new/ gives it its
 * first, and a crash before that leaves nothing behind.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>		/* snprintf */
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "fd.h"
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

/* gethostname with '/' and ':' encoded, as the Maildir spec says. */
static void
host_part(struct str *out)
{
	char	host[256];
	size_t	i;

	if (gethostname(host, sizeof(host)) == -1) {
		(void)snprintf(host, sizeof(host), "%s", "localhost");
	}
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0'; i++) {
		if (host[i] == '/') {
			str_cat(out, "\\057");
		} else if (host[i] == ':') {
			str_cat(out, "\\072");
		} else if ((unsigned char)host[i] < 32 || host[i] == 127) {
			str_cat_char(out, '_');
		} else {
			str_cat_char(out, host[i]);
		}
	}
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

int
maildir_deliver(int mdfd, const char *head, size_t headlen, int src,
    off_t off, off_t len, struct str *name, struct str *why)
{
	struct str	 tmp = STR_INIT, final = STR_INIT;
	struct stat	 st;
	struct timeval	 tv;
	int		 tmpfd = -1, newfd = -1, fd = -1, tries, saved;
	int		 created = 0, linked = 0, status = -1;

	if ((tmpfd = sub_fd(mdfd, "tmp", SAFEOPEN_ANY_OWNER, why)) == -1 ||
	    (newfd = sub_fd(mdfd, "new", SAFEOPEN_ANY_OWNER, why)) == -1) {
		goto out;
	}
	/* unnamed if it can be: tmp/ then gets no name to add and remove */
	if ((fd = durable_open_unnamed(tmpfd, ".", 0600)) == -1 &&
	    errno != EOPNOTSUPP) {
		str_catf(why, "create maildir file in tmp/: %s",
		    strerror(errno));
		goto out;
	}
	if (fd == -1) {
		for (tries = 0; tries < MAILDIR_TRIES; tries++) {
			str_clear(&tmp);
			maildir_tmp_name(&tmp);
			fd = openat(tmpfd, tmp.s, O_WRONLY | O_CREAT | O_EXCL |
			    O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
			if (fd != -1 || errno != EEXIST) {
				break;
			}
		}
		if (fd == -1) {
			str_catf(why, "create maildir file tmp/%s: %s", tmp.s,
			    strerror(errno));
			goto out;
		}
		created = 1;
	}
	if (copy_in(fd, head, headlen, src, off, len) == -1 ||
	    fsync(fd) == -1 || fstat(fd, &st) == -1) {
		str_catf(why, "write maildir file in tmp/: %s",
		    strerror(errno));
		goto out;
	}
	(void)gettimeofday(&tv, NULL);
	str_catf(&final, "%lld.V%llxI%llxM%ld.", (long long)tv.tv_sec,
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
	    (long)tv.tv_usec);
	host_part(&final);
	if ((created ? linkat(tmpfd, tmp.s, newfd, final.s, 0) :
	    durable_link_unnamed(fd, newfd, final.s)) == -1) {
		str_catf(why, "link maildir file to new/%s: %s", final.s,
		    strerror(errno));
		goto out;
	}
	linked = 1;
	/* checked after the fsync, before the name in new/ counts */
	saved = close(fd);
	fd = -1;
	if (saved == -1) {
		str_catf(why, "close maildir file new/%s: %s", final.s,
		    strerror(errno));
		goto out;
	}
	if (fsync(newfd) == -1) {
		str_catf(why, "fsync maildir new/: %s", strerror(errno));
		goto out;
	}
	if (name != NULL) {
		str_cat(name, final.s);
	}
	status = 0;
out:
	saved = errno;
	if (fd != -1) {
		(void)close(fd);
	}
	if (linked && status == -1) {
		(void)unlinkat(newfd, final.s, 0);
	}
	if (created) {
		/* tmp/ name last: on success the message is in new/. */
		if (unlinkat(tmpfd, tmp.s, 0) == -1 && status == 0) {
			log_warn("maildir: remove tmp/%s", tmp.s);
		}
	}
	if (tmpfd != -1) {
		(void)close(tmpfd);
	}
	if (newfd != -1) {
		(void)close(newfd);
	}
	str_free(&tmp);
	str_free(&final);
	errno = saved;
	return status;
}
