/* SPDX-License-Identifier: ISC */
/*
 * safeopen.c: tests of lib/safeopen: directory walks that refuse
 * symbolic links and "..", create on request, and file opens checked on
 * the descriptor (symlink, hard link, FIFO, owner).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "safeopen.h"
#include "str.h"
#include "tap.h"

int
main(void)
{
	const char	*base = tap_tmpdir();
	struct str	 why = STR_INIT;
	char		 p[1024], q[1024];
	int		 bfd, fd;

	plan(20);
	bfd = open(base, O_RDONLY | O_DIRECTORY);
	ok(safeopen_name_ok("user") && !safeopen_name_ok("") &&
	    !safeopen_name_ok("..") && !safeopen_name_ok("a/b") &&
	    !safeopen_name_ok("a\nb"), "name_ok");
	fd = safeopen_dir(bfd, "a/b/c/", SAFEOPEN_CREATE, 0700,
	    SAFEOPEN_ANY_OWNER, &why);
	ok(fd != -1, "dir: a/b/c created");
	(void)close(fd);
	ok(safeopen_dir(bfd, "a/../a", 0, 0, SAFEOPEN_ANY_OWNER, &why) ==
	    -1 && errno == EINVAL, "dir: .. refused");
	ok(safeopen_dir(bfd, "/etc", 0, 0, SAFEOPEN_ANY_OWNER, &why) == -1 &&
	    errno == EINVAL, "dir: absolute refused");
	snprintf(p, sizeof(p), "%s/a/l", base);
	(void)symlink("b", p);
	ok(safeopen_dir(bfd, "a/l/c", 0, 0, SAFEOPEN_ANY_OWNER, &why) ==
	    -1 && errno == ELOOP, "dir: a symlink component refused");
	ok(safeopen_dir(bfd, "a/b", 0, 0, getuid() + 1, &why) == -1 &&
	    errno == EPERM, "dir: wrong owner refused");
	{
		struct stat	a, b;
		int		before, after;

		/* A path of no component is dirfd itself, as a new
		 * descriptor of the caller's. */
		fd = safeopen_dir(bfd, ".", 0, 0, SAFEOPEN_ANY_OWNER, &why);
		ok(fd != -1 && fd != bfd && fstat(fd, &a) == 0 &&
		    fstat(bfd, &b) == 0 && a.st_ino == b.st_ino,
		    "dir: \".\" is a new descriptor of dirfd's directory");
		(void)close(fd);
		fd = safeopen_dir(bfd, "", 0, 0, SAFEOPEN_ANY_OWNER, &why);
		ok(fd != -1 && fd != bfd, "dir: \"\" too");
		(void)close(fd);
		fd = safeopen_dir(bfd, "./a//b/", 0, 0, SAFEOPEN_ANY_OWNER,
		    &why);
		ok(fd != -1 && fstat(fd, &a) == 0 && S_ISDIR(a.st_mode),
		    "dir: ./a//b/ opened");
		(void)close(fd);
		/* Every way out closes what the walk opened. */
		before = dup(0);
		(void)close(before);
		ok(safeopen_dir(bfd, "a/b/missing/c", 0, 0,
		    SAFEOPEN_ANY_OWNER, &why) == -1 && errno == ENOENT,
		    "dir: a missing component: ENOENT");
		ok(safeopen_dir(bfd, "a/b/../c", 0, 0, SAFEOPEN_ANY_OWNER,
		    &why) == -1 && errno == EINVAL, "dir: .. after two "
		    "components refused");
		after = dup(0);
		(void)close(after);
		is_int(after, before, "dir: no descriptor left open by the "
		    "failed walks");
	}
	fd = safeopen_file(bfd, "f", O_WRONLY | O_CREAT | O_EXCL, 0600,
	    getuid(), NULL, &why);
	ok(fd != -1, "file: created");
	(void)close(fd);
	fd = safeopen_file(bfd, "f", O_WRONLY | O_APPEND, 0, getuid(), NULL,
	    &why);
	ok(fd != -1 && (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0,
	    "file: opened, blocking");
	(void)close(fd);
	ok(safeopen_file(bfd, "f", O_WRONLY, 0, getuid() + 1, NULL, &why) ==
	    -1 && errno == EPERM, "file: wrong owner refused");
	snprintf(p, sizeof(p), "%s/f", base);
	snprintf(q, sizeof(q), "%s/sl", base);
	(void)symlink(p, q);
	ok(safeopen_file(bfd, "sl", O_WRONLY, 0, SAFEOPEN_ANY_OWNER, NULL,
	    &why) == -1 && errno == ELOOP, "file: symlink refused");
	ok(safeopen_file(bfd, "sl", O_WRONLY | O_CREAT, 0600,
	    SAFEOPEN_ANY_OWNER, NULL, &why) == -1 && errno == ELOOP,
	    "file: O_CREAT does not follow a symlink either");
	snprintf(q, sizeof(q), "%s/hl", base);
	(void)link(p, q);
	ok(safeopen_file(bfd, "hl", O_WRONLY, 0, SAFEOPEN_ANY_OWNER, NULL,
	    &why) == -1 && errno == EPERM, "file: two links refused");
	snprintf(q, sizeof(q), "%s/fifo", base);
	(void)mkfifo(q, 0600);
	ok(safeopen_file(bfd, "fifo", O_RDONLY, 0, SAFEOPEN_ANY_OWNER, NULL,
	    &why) == -1 && errno == EINVAL, "file: a FIFO refused, no block");
	ok(safeopen_file(bfd, "x/y", O_RDONLY, 0, SAFEOPEN_ANY_OWNER, NULL,
	    &why) == -1 && errno == EINVAL, "file: a path refused");
	str_free(&why);
	return done_testing();
}
