/* SPDX-License-Identifier: ISC */
/*
 * pidfile.c: unit tests for lib/pidfile: a missing or unlocked file is
 * "not running", a locked one is "running" with its pid (0 when the text
 * is not a pid), a symbolic link is refused.  flock(2) locks belong to
 * open file descriptions, so a second open in this process conflicts
 * with the first, as another process's would.
 */
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pidfile.h"
#include "tap.h"

int
main(void)
{
	char	path[512], link[512];
	pid_t	pid;
	int	fd;

	snprintf(path, sizeof(path), "%s/master.pid", tap_tmpdir());
	snprintf(link, sizeof(link), "%s/link.pid", tap_tmpdir());

	pid = 7;
	is_int(pidfile_locked(path, &pid), 0, "missing file: 0");
	is_int(pid, 0, "missing file: pid 0");

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	ok(fd != -1, "create the pid file");
	ok(write(fd, "1234\n", 5) == 5, "write a pid");
	is_int(pidfile_locked(path, &pid), 0, "no lock: 0 (a stale file)");

	ok(flock(fd, LOCK_EX | LOCK_NB) == 0, "take the lock");
	is_int(pidfile_locked(path, &pid), 1, "locked: 1");
	is_int(pid, 1234, "locked: the pid");

	ok(ftruncate(fd, 0) == 0, "empty the file");
	is_int(pidfile_locked(path, &pid), 1, "locked, empty: 1");
	is_int(pid, 0, "locked, empty: pid 0");
	ok(pwrite(fd, "12x\n", 4, 0) == 4, "garbage text");
	is_int(pidfile_locked(path, &pid), 1, "locked, garbage: 1");
	is_int(pid, 0, "locked, garbage: pid 0");

	ok(symlink(path, link) == 0, "a symbolic link to it");
	errno = 0;
	is_int(pidfile_locked(link, &pid), -1, "symbolic link: -1");
	is_int(errno, ELOOP, "symbolic link: ELOOP");

	(void)close(fd);
	is_int(pidfile_locked(path, &pid), 0, "lock released: 0");
	return done_testing();
}
