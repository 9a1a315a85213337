/* SPDX-License-Identifier: ISC */
/*
 * fd.c: unit tests for lib/fd: fd_read_file on regular files, missing
 * ones, the size bound, symbolic links (with and without
 * FD_FILE_NOFOLLOW), a directory, and a FIFO (which must not block);
 * fd_write_all and fd_read through a pipe; the descriptor flags;
 * fd_open_fifo (non-blocking, a FIFO only, O_NOFOLLOW when asked);
 * fd_open (the flags and the mode as open(2) takes them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd.h"
#include "str.h"
#include "tap.h"

static void	put(const char *, const char *, size_t);

static void
put(const char *path, const char *data, size_t n)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || fd_write_all(fd, data, n) == -1 || close(fd) == -1) {
		diag("cannot write %s", path);
	}
}

static void
test_read_file(void)
{
	const char	*dir = tap_tmpdir();
	char		 path[512], link[512], fifo[512], big[20000];
	struct str	 out = STR_INIT;

	(void)snprintf(path, sizeof(path), "%s/f", dir);
	(void)snprintf(link, sizeof(link), "%s/l", dir);
	(void)snprintf(fifo, sizeof(fifo), "%s/p", dir);
	put(path, "one\ntwo\0three", 13);
	ok(fd_read_file(path, 0, 100, &out) == 0 && out.len == 13 &&
	    memcmp(out.s, "one\ntwo\0three", 13) == 0,
	    "read_file: the whole file, NUL included");
	ok(fd_read_file(path, 0, 13, &out) == 0 && out.len == 13,
	    "read_file: exactly max bytes");
	errno = 0;
	ok(fd_read_file(path, 0, 12, &out) == -1 && errno == EFBIG &&
	    out.len == 0, "read_file: one more than max: EFBIG, out empty");
	memset(big, 'x', sizeof(big));
	put(path, big, sizeof(big));
	ok(fd_read_file(path, 0, sizeof(big), &out) == 0 &&
	    out.len == sizeof(big), "read_file: more than one chunk");
	put(path, "", 0);
	ok(fd_read_file(path, 0, 10, &out) == 0 && out.len == 0,
	    "read_file: an empty file");

	errno = 0;
	ok(fd_read_file("/nonexistent/x", 0, 10, &out) == -1 &&
	    errno == ENOENT, "read_file: missing: ENOENT");
	str_set(&out, "stale");
	ok(fd_read_file("/nonexistent/x", FD_FILE_MISSING_OK, 10, &out) ==
	    0 && out.len == 0, "read_file: missing with MISSING_OK: empty");

	put(path, "data", 4);
	if (symlink(path, link) == 0) {
		ok(fd_read_file(link, 0, 10, &out) == 0 && out.len == 4,
		    "read_file: a symbolic link is followed by default");
		errno = 0;
		ok(fd_read_file(link, FD_FILE_NOFOLLOW, 10, &out) == -1 &&
		    errno == ELOOP, "read_file: NOFOLLOW refuses it: ELOOP");
	} else {
		skip(2, "symlink failed");
	}
	errno = 0;
	ok(fd_read_file(dir, 0, 10, &out) == -1 && errno == EISDIR,
	    "read_file: a directory: EISDIR");
	if (mkfifo(fifo, 0600) == 0) {
		errno = 0;
		ok(fd_read_file(fifo, 0, 10, &out) == -1 && errno == EINVAL,
		    "read_file: a FIFO without a writer: EINVAL, no hang");
	} else {
		skip(1, "mkfifo failed");
	}
	str_free(&out);
}

static void
test_pipe(void)
{
	int	p[2];
	char	buf[8];

	if (pipe(p) == -1) {
		skip(4, "pipe failed");
		return;
	}
	ok(fd_write_all(p[1], "hello", 5) == 0, "pipe: write_all");
	ok(fd_read(p[0], buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) ==
	    0, "pipe: read back");
	ok(fd_set_nonblock(p[0], true) == 0 &&
	    (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0, "set_nonblock");
	ok(fd_set_cloexec(p[0], true) == 0 &&
	    (fcntl(p[0], F_GETFD) & FD_CLOEXEC) != 0, "set_cloexec");
	(void)close(p[0]);
	(void)close(p[1]);
}

/* fd_open_fifo: a FIFO opens without blocking; nothing else does. */
static void
test_open_fifo(void)
{
	char	fifo[600], file[600], link[600];
	int	fd, flags;

	snprintf(fifo, sizeof(fifo), "%s/fifo", tap_tmpdir());
	snprintf(file, sizeof(file), "%s/notfifo", tap_tmpdir());
	snprintf(link, sizeof(link), "%s/fifolink", tap_tmpdir());
	if (mkfifo(fifo, 0600) == -1 || symlink(fifo, link) == -1) {
		perror("mkfifo");
		exit(1);
	}
	close(open(file, O_WRONLY | O_CREAT, 0600));
	errno = 0;
	ok(fd_open_fifo(fifo, O_WRONLY) == -1 && errno == ENXIO,
	    "open_fifo: for writing, no reader: ENXIO, at once");
	fd = fd_open_fifo(fifo, O_RDWR);
	flags = fd == -1 ? 0 : fcntl(fd, F_GETFL);
	ok(fd != -1 && (flags & O_NONBLOCK) != 0 &&
	    (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
	    "open_fifo: opened, non-blocking, close-on-exec");
	(void)close(fd);
	errno = 0;
	ok(fd_open_fifo(file, O_RDWR) == -1 && errno == EINVAL,
	    "open_fifo: a regular file: EINVAL");
	errno = 0;
	ok(fd_open_fifo(link, O_RDWR | O_NOFOLLOW) == -1 && errno == ELOOP,
	    "open_fifo: O_NOFOLLOW refuses a link");
	fd = fd_open_fifo(link, O_RDWR);
	ok(fd != -1, "open_fifo: without O_NOFOLLOW a link is followed");
	(void)close(fd);
	errno = 0;
	ok(fd_open_fifo("/nonexistent/fifo", O_RDWR) == -1 &&
	    errno == ENOENT, "open_fifo: missing: ENOENT");
}

/* fd_open: open(2)'s flags and mode, close-on-exec included. */
static void
test_open(void)
{
	char		path[600];
	struct stat	st;
	mode_t		old;
	int		fd;

	snprintf(path, sizeof(path), "%s/opened", tap_tmpdir());
	old = umask(0);
	fd = fd_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	(void)umask(old);
	ok(fd != -1 && fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0640 &&
	    (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
	    "open: created with its mode, close-on-exec");
	(void)close(fd);
	errno = 0;
	ok(fd_open(path, O_WRONLY | O_CREAT | O_EXCL, 0600) == -1 &&
	    errno == EEXIST, "open: O_EXCL: EEXIST");
	fd = fd_open(path, O_RDONLY, 0);
	ok(fd != -1 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0,
	    "open: without O_CLOEXEC, none");
	(void)close(fd);
}

/* fd_open_noatime: O_NOATIME on a file of ours (or as root, who may act
 * as any owner), none on another's, which still opens. */
static void
test_open_noatime(void)
{
#ifdef O_NOATIME
	char		path[600];
	struct stat	st;
	int		fd, fl;

	snprintf(path, sizeof(path), "%s/noatime", tap_tmpdir());
	fd = fd_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	(void)close(fd);
	fd = fd_open_noatime(path, O_RDONLY | O_CLOEXEC, 0);
	fl = fd == -1 ? -1 : fcntl(fd, F_GETFL);
	ok(fl != -1 && (fl & O_NOATIME) != 0 &&
	    (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
	    "open_noatime: our file: O_NOATIME, the other flags kept");
	(void)close(fd);
	/* /etc/passwd is root's: another's unless we are root */
	if (stat("/etc/passwd", &st) == 0 && st.st_uid == 0) {
		fd = fd_open_noatime("/etc/passwd", O_RDONLY | O_CLOEXEC, 0);
		fl = fd == -1 ? -1 : fcntl(fd, F_GETFL);
		if (geteuid() == 0) {
			ok(fl != -1 && (fl & O_NOATIME) != 0,
			    "open_noatime: as root, another's file too");
		} else {
			ok(fl != -1 && (fl & O_NOATIME) == 0,
			    "open_noatime: another's file opens without it "
			    "(EPERM tried again)");
		}
		(void)close(fd);
	} else {
		skip(1, "no root-owned /etc/passwd");
	}
	errno = 0;
	ok(fd_open_noatime("/nonexistent/x", O_RDONLY, 0) == -1 &&
	    errno == ENOENT, "open_noatime: missing: ENOENT");
#else
	skip(3, "no O_NOATIME here");
#endif
}

/* fd_ino_mode: fstat's inode and mode, without the times. */
static void
test_ino_mode(void)
{
	char		path[600];
	struct stat	st;
	ino_t		ino = 0;
	mode_t		mode = 0;
	int		fd, p[2];

	snprintf(path, sizeof(path), "%s/inomode", tap_tmpdir());
	fd = fd_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ok(fd != -1 && fstat(fd, &st) == 0 &&
	    fd_ino_mode(fd, &ino, &mode) == 0 && ino == st.st_ino &&
	    mode == st.st_mode && S_ISREG(mode),
	    "ino_mode: a file: fstat's inode, type and mode");
	(void)close(fd);
	ok(pipe(p) == 0 && fstat(p[0], &st) == 0 &&
	    fd_ino_mode(p[0], &ino, &mode) == 0 && ino == st.st_ino &&
	    S_ISFIFO(mode), "ino_mode: a pipe: a FIFO");
	(void)close(p[0]);
	(void)close(p[1]);
	errno = 0;
	ok(fd_ino_mode(p[0], &ino, &mode) == -1 && errno == EBADF,
	    "ino_mode: a closed descriptor: EBADF");
}

int
main(void)
{
	test_read_file();
	test_pipe();
	test_open_fifo();
	test_open();
	test_open_noatime();
	test_ino_mode();
	return done_testing();
}
