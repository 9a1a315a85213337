/* SPDX-License-Identifier: ISC */
/*
 * safeopen.c: symlink-proof opens below a trusted directory (see
 * safeopen.h).  Each component is one openat(2) with O_NOFOLLOW, and
 * every check is made on the descriptor that was opened, never on a name
 * that could be swapped between a check and a use.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "safeopen.h"
#include "str.h"

/* The longest file name (NAME_MAX on Linux and the BSDs). */
#define SAFEOPEN_NAME_MAX	255

static int	fail(int, struct str *, const char *, const char *);
static void	close_ours(int);

/* Close fd unless it is -1 (keeps errno). */
static void
close_ours(int fd)
{
	int	saved = errno;

	if (fd != -1) {
		(void)close(fd);
	}
	errno = saved;
}

/* Append "name: text" to why, set errno to err, return -1. */
static int
fail(int err, struct str *why, const char *name, const char *text)
{
	str_catf(why, "%s: %s", name, text);
	errno = err;
	return -1;
}

bool
safeopen_name_ok(const char *name)
{
	size_t	i, n = strlen(name);

	if (n == 0 || n > SAFEOPEN_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (name[i] == '/' || (unsigned char)name[i] < 32 ||
		    name[i] == 127) {
			return false;
		}
	}
	return true;
}

int
safeopen_dir(int dirfd, const char *path, int flags, mode_t mode,
    uid_t owner, struct str *why)
{
	const int	 oflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC;
	char		 comp[SAFEOPEN_NAME_MAX + 1];
	const char	*p = path, *end;
	struct stat	 st;
	size_t		 n;
	/* fd: the directory reached so far, ours to close (-1: still
	 * dirfd, the caller's); base: where the next component is looked
	 * up */
	int		 fd = -1, base = dirfd, next, saved;

	if (*path == '/') {
		return fail(EINVAL, why, path, "not a relative path");
	}
	while (*p != '\0') {
		end = strchr(p, '/');
		n = end == NULL ? strlen(p) : (size_t)(end - p);
		if (n > SAFEOPEN_NAME_MAX) {
			close_ours(fd);
			return fail(ENAMETOOLONG, why, path,
			    strerror(ENAMETOOLONG));
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n;
		if (*p == '/') {
			p++;
		}
		if (n == 0 || strcmp(comp, ".") == 0) {
			continue;
		}
		if (strcmp(comp, "..") == 0) {
			close_ours(fd);
			return fail(EINVAL, why, path, "\"..\" in the path");
		}
		next = openat(base, comp, oflags);
		if (next == -1 && errno == ENOENT &&
		    (flags & SAFEOPEN_CREATE)) {
			if (mkdirat(base, comp, mode) == -1 &&
			    errno != EEXIST) {
				saved = errno;
				close_ours(fd);
				str_catf(why, "mkdir %s: ", path);
				return fail(saved, why, comp,
				    strerror(saved));
			}
			next = openat(base, comp, oflags);
		}
		if (next == -1) {
			saved = errno;
			/* With O_DIRECTORY a link may give ENOTDIR (Linux)
			 * or EMLINK (FreeBSD) rather than ELOOP: ask. */
			if (saved == ELOOP || saved == EMLINK ||
			    saved == ENOTDIR) {
				if (fstatat(base, comp, &st,
				    AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISLNK(st.st_mode)) {
					saved = ELOOP;
				}
			}
			close_ours(fd);
			if (saved == ELOOP) {
				return fail(ELOOP, why, path,
				    "a component is a symbolic link");
			}
			return fail(saved, why, path, strerror(saved));
		}
		close_ours(fd);
		fd = base = next;
	}
	/* A path of no component ("", ".") names dirfd itself: the
	 * caller still gets a descriptor of its own. */
	if (fd == -1 && (fd = openat(dirfd, ".", oflags)) == -1) {
		return fail(errno, why, ".", strerror(errno));
	}
	if (owner != SAFEOPEN_ANY_OWNER) {
		if (fstat(fd, &st) == -1) {
			saved = errno;
			(void)close(fd);
			return fail(saved, why, path, strerror(saved));
		}
		if (st.st_uid != owner) {
			(void)close(fd);
			str_catf(why, "%s: directory owned by uid %lu, not "
			    "%lu", path, (unsigned long)st.st_uid,
			    (unsigned long)owner);
			errno = EPERM;
			return -1;
		}
	}
	return fd;
}

int
safeopen_file(int dirfd, const char *name, int oflags, mode_t mode,
    uid_t owner, struct stat *st, struct str *why)
{
	struct stat	sb;
	int		fd, saved, fl;

	if (!safeopen_name_ok(name)) {
		return fail(EINVAL, why, name, "not a plain file name");
	}
	fd = openat(dirfd, name, oflags | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY | O_NONBLOCK, mode);
	if (fd == -1) {
		saved = errno;
		if (saved == ELOOP || saved == EMLINK) {
			return fail(ELOOP, why, name,
			    "is a symbolic link");
		}
		return fail(saved, why, name, strerror(saved));
	}
	if (fstat(fd, &sb) == -1) {
		saved = errno;
		(void)close(fd);
		return fail(saved, why, name, strerror(saved));
	}
	if (!S_ISREG(sb.st_mode)) {
		(void)close(fd);
		return fail(EINVAL, why, name, "not a regular file");
	}
	if (sb.st_nlink != 1) {
		(void)close(fd);
		str_catf(why, "%s: file has %lu hard links", name,
		    (unsigned long)sb.st_nlink);
		errno = EPERM;
		return -1;
	}
	if (owner != SAFEOPEN_ANY_OWNER && sb.st_uid != owner) {
		(void)close(fd);
		str_catf(why, "%s: file owned by uid %lu, not %lu", name,
		    (unsigned long)sb.st_uid, (unsigned long)owner);
		errno = EPERM;
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		saved = errno;
		(void)close(fd);
		return fail(saved, why, name, strerror(saved));
	}
	if (st != NULL) {
		*st = sb;
	}
	return fd;
}
