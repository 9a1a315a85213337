/* SPDX-License-Identifier: ISC */
/*
 * durable.c: crash-safe creation and movement of files (see durable.h).
 *
 * The order of operations is the whole point of this file.  A file's data
 * is fsync'ed before it gets its final name, so the name never points at
 * data that a crash can lose; the directory is fsync'ed after the name is
 * made, because on Linux (and others) fsync(2) of a file does not make its
 * directory entry durable.  With link(2) the tmp name is removed only after
 * the new name is durable, so a crash leaves at worst a second name in
 * tmp/ (swept by durable_clean_tmp), never no name at all.  An unnamed
 * file (O_TMPFILE) needs no tmp/ name: it gets its only name from
 * linkat(2), after its fsync, and a crash before that frees it.  The
 * link names the descriptor itself (AT_EMPTY_PATH) where the kernel
 * lets this process do that (with CAP_DAC_READ_SEARCH, or from Linux
 * 6.10 on with the very credentials that opened the file: not after
 * local's change of effective ids, say), else it goes through
 * /proc/self/fd, whose magic link costs a path walk of its own.
 *
 * Errors are returned, with errno, after everything created on the way was
 * removed again; errno is preserved across that cleanup.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>		/* rename */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "fd.h"
#include "fmt.h"
#include "log.h"
#include "str.h"

/*
 * The longest file name (NAME_MAX on Linux and the BSDs).  Our own,
 * because POSIX lets <limits.h> leave NAME_MAX undefined.
 */
#define DURABLE_NAME_MAX	255
/* The part of a caller's prefix used in a temporary name. */
#define DURABLE_PREFIX_MAX	100
/* How many names durable_create tries before it gives up with EEXIST. */
#define DURABLE_CREATE_TRIES	100

static durable_fault_fn	durable_fault;
static unsigned long	durable_counter;
/* /proc/self/fd, for linkat of an unnamed file: 0 unknown, 1 yes, -1 no */
static int		durable_proc_fd;
/* linkat of the descriptor itself (AT_EMPTY_PATH): 0 unknown, 1 it worked,
 * -1 refused here (only /proc/self/fd worked) */
static int		durable_empty_path;

static int	commit_unnamed(struct durable *, const char *, const char *);
static int	exact_mode(struct durable *, mode_t);
static int	fault(const char *);
static bool	proc_fd_usable(void);
static bool	name_ok(const char *);
static int	sys_fsync(int, const char *);
static int	sys_close(int);
static int	sys_unlink(const char *);

void
durable_set_fault(durable_fault_fn fn)
{
	durable_fault = fn;
}

/* Ask the test hook whether op shall fail: -1 (errno set) or 0. */
static int
fault(const char *op)
{
	int	saved = errno;

	if (durable_fault != NULL && durable_fault(op) == -1) {
		return -1;
	}
	errno = saved;
	return 0;
}

/* A plain, non-special file name: no path can be smuggled through it. */
static bool
name_ok(const char *name)
{
	size_t	n = strlen(name);

	if (n == 0 || n > DURABLE_NAME_MAX || strchr(name, '/') != NULL) {
		return false;
	}
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static int
sys_fsync(int fd, const char *op)
{
	if (fault(op) == -1) {
		return -1;
	}
	return fsync(fd);
}

/* close(2) that is always made, even when the test hook fails it. */
static int
sys_close(int fd)
{
	int	saved;

	if (fault("close") == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	/*
	 * POSIX leaves the descriptor's state after EINTR unspecified; Linux
	 * and the BSDs have closed it, so it is never retried (a retry could
	 * close a descriptor another thread just got).
	 */
	return close(fd);
}

static int
sys_unlink(const char *path)
{
	if (fault("unlink") == -1) {
		return -1;
	}
	return unlink(path);
}

int
durable_create(struct durable *d, const char *tmpdir, mode_t mode)
{
	return durable_create_named(d, tmpdir, NULL, mode);
}

int
durable_create_named(struct durable *d, const char *tmpdir,
    const char *prefix, mode_t mode)
{
	struct timespec	ts;
	int		i, saved;

	d->fd = -1;
	d->unnamed = false;
	str_clear(&d->tmp_path);
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1) {
		return -1;
	}
	for (i = 0; i < DURABLE_CREATE_TRIES; i++) {
		str_clear(&d->tmp_path);
		/* The prefix is a hint for people: a long one is cut so the
		 * name stays well inside NAME_MAX. */
		str_catf(&d->tmp_path, "%s/%.*s%s%lld.%09ld.%ld.%lu", tmpdir,
		    DURABLE_PREFIX_MAX, prefix != NULL ? prefix : "",
		    prefix != NULL ? ".tmp." : "",
		    (long long)ts.tv_sec, (long)ts.tv_nsec, (long)getpid(),
		    durable_counter++);
		if (fault("open") == -1) {
			goto fail;
		}
		d->fd = fd_open(d->tmp_path.s,
		    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		    mode & 07777);
		if (d->fd != -1) {
			break;
		}
		if (errno != EEXIST) {
			goto fail;
		}
	}
	if (d->fd == -1) {
		errno = EEXIST;
		goto fail;
	}
	if (exact_mode(d, mode) == -1) {
		saved = errno;
		(void)close(d->fd);
		d->fd = -1;
		(void)unlink(d->tmp_path.s);
		errno = saved;
		goto fail;
	}
	return 0;

fail:
	saved = errno;
	str_free(&d->tmp_path);
	errno = saved;
	return -1;
}

/*
 * The umask may have cleared bits the caller asked for: put them back,
 * but only then, since fchmod(2) writes the inode once more.  Notes the
 * inode number, without asking for the new file's times (fd_ino_mode),
 * so that its first write need not stamp it again.  0, or -1 with errno.
 */
static int
exact_mode(struct durable *d, mode_t mode)
{
	ino_t	ino;
	mode_t	now;

	if (fault("fchmod") == -1 || fd_ino_mode(d->fd, &ino, &now) == -1) {
		return -1;
	}
	if ((now & 07777) != (mode & 07777) &&
	    fchmod(d->fd, mode & 07777) == -1) {
		return -1;
	}
	d->ino = ino;
	return 0;
}

/* Can this process name a descriptor through /proc (not in a chroot
 * without it)?  Asked once. */
static bool
proc_fd_usable(void)
{
	if (durable_proc_fd == 0) {
		durable_proc_fd = access("/proc/self/fd", X_OK) == 0 ? 1 : -1;
	}
	return durable_proc_fd == 1;
}

int
durable_open_unnamed(int dirfd, const char *dir, mode_t mode)
{
#ifdef O_TMPFILE
	int	fd;

	if (!proc_fd_usable()) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (fault("tmpfile") == -1) {
		fd = -1;
	} else {
		fd = openat(dirfd, dir, O_TMPFILE | O_RDWR | O_CLOEXEC,
		    mode & 07777);
	}
	/* a file system (or kernel) without O_TMPFILE says one of these */
	if (fd == -1 && (errno == EISDIR || errno == EINVAL)) {
		errno = EOPNOTSUPP;
	}
	return fd;
#else
	(void)dirfd;
	(void)dir;
	(void)mode;
	errno = EOPNOTSUPP;
	return -1;
#endif
}

int
durable_link_unnamed(int fd, int dirfd, const char *name)
{
	char	proc[64];
	int	n;

	n = fmt_snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (n < 0 || (size_t)n >= sizeof(proc)) {
		errno = EBADF;
		return -1;
	}
	if (fault("link") == -1) {
		return -1;
	}
#ifdef AT_EMPTY_PATH
	/* Any failure but a taken name tries /proc too: a kernel that
	 * refuses AT_EMPTY_PATH to us says ENOENT, as a missing directory
	 * does, and /proc tells the two apart. */
	if (durable_empty_path != -1) {
		if (fault("empty_path") == 0 &&
		    linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0) {
			durable_empty_path = 1;
			return 0;
		}
		if (errno == EEXIST) {
			return -1;
		}
	}
	if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == -1) {
		return -1;
	}
	if (durable_empty_path == 0) {
		durable_empty_path = -1;	/* refused: /proc from now on */
	}
	return 0;
#else
	return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW);
#endif
}

int
durable_create_unnamed(struct durable *d, const char *tmpdir, mode_t mode)
{
	int	saved;

	d->fd = -1;
	d->unnamed = false;
	str_clear(&d->tmp_path);
	if ((d->fd = durable_open_unnamed(AT_FDCWD, tmpdir, mode)) == -1) {
		if (errno == EOPNOTSUPP) {
			return durable_create(d, tmpdir, mode);
		}
		return -1;
	}
	if (exact_mode(d, mode) == -1) {
		saved = errno;
		(void)close(d->fd);
		d->fd = -1;
		errno = saved;
		return -1;
	}
	d->unnamed = true;
	return 0;
}

/*
 * durable_commit of an unnamed file with DURABLE_NOREPLACE: fsync, then
 * its first name (EEXIST when taken), then the directory's fsync, then
 * close.  A failed link leaves the file open and unnamed, for another
 * commit or durable_abort; a failed fsync (of the file or the directory)
 * drops it, as linkat(2) cannot name a file again once it had a name.
 */
static int
commit_unnamed(struct durable *d, const char *dir, const char *name)
{
	struct str	path = STR_INIT;
	int		rc = -1, saved;

	/* (again after a failed link: cheap, nothing is dirty) */
	if (sys_fsync(d->fd, "fsync") == -1) {
		/* as for a named file: its data cannot be trusted */
		saved = errno;
		(void)close(d->fd);
		d->fd = -1;
		d->unnamed = false;
		errno = saved;
		goto out;
	}
	str_catf(&path, "%s/%s", dir, name);
	if (durable_link_unnamed(d->fd, AT_FDCWD, path.s) == -1) {
		goto out;
	}
	if (durable_fsync_dir(dir) == -1) {
		/* Not durable: take back the name we made.  The file goes
		 * too: a file that had a name cannot get one again. */
		saved = errno;
		(void)unlink(path.s);
		(void)close(d->fd);
		d->fd = -1;
		d->unnamed = false;
		errno = saved;
		goto out;
	}
	/* Named and durable: a failed close cannot undo that now. */
	if (sys_close(d->fd) == -1) {
		log_warn("close %s", path.s);
	}
	d->fd = -1;
	d->unnamed = false;
	rc = 0;
out:
	saved = errno;
	str_free(&path);
	errno = saved;
	return rc;
}

int
durable_commit(struct durable *d, const char *dir, const char *name,
    int flags)
{
	struct str	path = STR_INIT;
	int		saved, fd;

	if (!name_ok(name) ||
	    (flags != DURABLE_REPLACE && flags != DURABLE_NOREPLACE)) {
		errno = EINVAL;
		return -1;
	}
	if (d->unnamed) {
		if (flags != DURABLE_NOREPLACE) {
			panic("durable_commit: an unnamed file cannot replace");
		}
		return commit_unnamed(d, dir, name);
	}
	if (d->tmp_path.len == 0) {
		panic("durable_commit: no file");
	}
	if (d->fd != -1) {
		/*
		 * After a failed fsync the kernel may have dropped the dirty
		 * pages and a second fsync may wrongly succeed: the file can
		 * never be trusted again, so it goes now.
		 */
		fd = d->fd;
		d->fd = -1;
		if (sys_fsync(fd, "fsync") == -1) {
			saved = errno;
			(void)close(fd);
			errno = saved;
			goto drop;
		}
		if (sys_close(fd) == -1) {
			goto drop;
		}
	}
	str_catf(&path, "%s/%s", dir, name);
	if (flags == DURABLE_REPLACE) {
		if (fault("rename") == -1 ||
		    rename(d->tmp_path.s, path.s) == -1) {
			goto keep;
		}
		/* The tmp name is gone: nothing is left to clean. */
		str_free(&d->tmp_path);
		if (durable_fsync_dir(dir) == -1) {
			goto out;
		}
	} else {
		if (fault("link") == -1 || link(d->tmp_path.s, path.s) == -1) {
			goto keep;
		}
		if (durable_fsync_dir(dir) == -1) {
			/* Not durable: take back the name we made. */
			saved = errno;
			(void)unlink(path.s);
			errno = saved;
			goto keep;
		}
		/*
		 * The new name is durable.  If this unlink fails or a crash
		 * undoes it, tmp/ holds a second name of a complete file,
		 * which durable_clean_tmp removes later: no need to fsync tmp/.
		 */
		if (sys_unlink(d->tmp_path.s) == -1) {
			log_warn("unlink %s", d->tmp_path.s);
		}
		str_free(&d->tmp_path);
	}
	str_free(&path);
	return 0;

drop:
	saved = errno;
	(void)unlink(d->tmp_path.s);
	str_free(&d->tmp_path);
	errno = saved;
	goto out;
keep:
	/* The closed tmp file stays for another commit or durable_abort. */
out:
	saved = errno;
	str_free(&path);
	errno = saved;
	return -1;
}

void
durable_abort(struct durable *d)
{
	int	saved = errno;

	if (d->fd != -1) {
		(void)close(d->fd);
		d->fd = -1;
	}
	d->unnamed = false;
	if (d->tmp_path.len > 0) {
		if (sys_unlink(d->tmp_path.s) == -1 && errno != ENOENT) {
			log_warn("unlink %s", d->tmp_path.s);
		}
	}
	str_free(&d->tmp_path);
	errno = saved;
}

int
durable_move(const char *fromdir, const char *todir, const char *name,
    int flags)
{
	return durable_move_as(fromdir, name, todir, name, flags);
}

int
durable_move_as(const char *fromdir, const char *fromname, const char *todir,
    const char *toname, int flags)
{
	struct str	from = STR_INIT, to = STR_INIT;
	int		rc = -1, saved;

	if (!name_ok(fromname) || !name_ok(toname) ||
	    (flags != DURABLE_REPLACE && flags != DURABLE_NOREPLACE &&
	    flags != (DURABLE_REPLACE | DURABLE_NOSYNC))) {
		errno = EINVAL;
		return -1;
	}
	str_catf(&from, "%s/%s", fromdir, fromname);
	str_catf(&to, "%s/%s", todir, toname);
	if (flags != DURABLE_NOREPLACE) {
		if (fault("rename") == -1 || rename(from.s, to.s) == -1) {
			goto out;
		}
		if (flags & DURABLE_NOSYNC) {
			rc = 0;
			goto out;
		}
		/*
		 * Target first: if only one of the two directories reaches
		 * the disk before a crash, it should be the one that gained
		 * the name.
		 */
		if (durable_fsync_dir(todir) == -1 ||
		    durable_fsync_dir(fromdir) == -1) {
			goto out;
		}
	} else {
		if (fault("link") == -1 || link(from.s, to.s) == -1) {
			goto out;
		}
		if (durable_fsync_dir(todir) == -1) {
			saved = errno;
			(void)unlink(to.s);
			errno = saved;
			goto out;
		}
		/*
		 * From here on the file is durable in todir; a failure leaves
		 * it in both directories, which the caller must report.
		 */
		if (sys_unlink(from.s) == -1 ||
		    durable_fsync_dir(fromdir) == -1) {
			goto out;
		}
	}
	rc = 0;
out:
	saved = errno;
	str_free(&from);
	str_free(&to);
	errno = saved;
	return rc;
}

/* durable_keep_dirs: the directories kept open, by path */
static bool	keep_dirs;
static struct kept_dir {
	struct str	path;
	int		fd;
} kept_dirs[DURABLE_KEPT_DIRS];

void
durable_keep_dirs(void)
{
	keep_dirs = true;
}

/* The descriptor of directory path: a kept one, or one opened now
 * (*kept tells which); -1 with errno. */
static int
dir_open(const char *path, bool *kept)
{
	struct kept_dir	*k, *free_slot = NULL;
	size_t		 i;
	int		 fd;

	*kept = false;
	for (i = 0; keep_dirs && i < DURABLE_KEPT_DIRS; i++) {
		k = &kept_dirs[i];
		if (k->path.len > 0 && strcmp(k->path.s, path) == 0) {
			*kept = true;
			return k->fd;
		}
		if (k->path.len == 0 && free_slot == NULL) {
			free_slot = k;
		}
	}
	if ((fd = fd_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)) == -1) {
		return -1;
	}
	if (free_slot != NULL) {
		str_set(&free_slot->path, path);
		free_slot->fd = fd;
		*kept = true;
	}
	return fd;
}

/* Forget and close the kept descriptor fd. */
static void
dir_forget(int fd)
{
	size_t	i;

	for (i = 0; i < DURABLE_KEPT_DIRS; i++) {
		if (kept_dirs[i].path.len > 0 && kept_dirs[i].fd == fd) {
			str_free(&kept_dirs[i].path);
			kept_dirs[i].fd = -1;
		}
	}
	(void)close(fd);
}

int
durable_fsync_dir(const char *path)
{
	bool	kept;
	int	fd, saved;

	if (fault("fsync_dir") == -1) {
		return -1;
	}
	if ((fd = dir_open(path, &kept)) == -1) {
		return -1;
	}
	if (fsync(fd) == -1) {
		/* (a kept descriptor that failed once is not trusted again) */
		saved = errno;
		if (kept) {
			dir_forget(fd);
		} else {
			(void)close(fd);
		}
		errno = saved;
		return -1;
	}
	return kept ? 0 : close(fd);
}

int
durable_clean_tmp(const char *tmpdir, time_t max_age, time_t now)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*dir;
	int		 fd, removed = 0, saved;

	fd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		return -1;
	}
	if ((dir = fdopendir(fd)) == NULL) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(dir)) == NULL) {
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0) {
			continue;
		}
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno != ENOENT) {
				log_warn("stat %s/%s", tmpdir, de->d_name);
			}
			continue;
		}
		if (S_ISDIR(st.st_mode) || st.st_mtime > now - max_age) {
			continue;
		}
		if (fault("unlink") == -1 ||
		    unlinkat(fd, de->d_name, 0) == -1) {
			if (errno != ENOENT) {
				log_warn("unlink %s/%s", tmpdir, de->d_name);
			}
			continue;
		}
		log_info("removed stale file %s/%s", tmpdir, de->d_name);
		removed++;
	}
	saved = errno;
	(void)closedir(dir);
	if (saved != 0) {
		errno = saved;
		return -1;
	}
	return removed;
}
