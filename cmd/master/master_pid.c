/* SPDX-License-Identifier: ISC */
/*
 * master_pid.c: queue_directory/pid/master.pid, which holds master's
 * process ID and a lock that says "a master runs on this queue".
 *
 * The lock is flock(2), exclusive, held on the open file for master's
 * lifetime.  It belongs to the open file description, so it is taken
 * before master daemonizes (a second master fails in the foreground,
 * where the administrator sees it) and stays with the daemon after the
 * parent exits.  It also tells a stale file (left by a crash, whose pid
 * may now be anyone's) from a live one: `postlet status` tests the lock,
 * not only the pid.
 *
 * The pid is written in place, not through lib/durable: the file is no
 * mail, a crash that loses it loses nothing, and replacing it by rename
 * would move the name off the locked inode.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "fd.h"
#include "log.h"
#include "str.h"
#include "master.h"

static void	pid_path(const struct master *, struct str *);

static void
pid_path(const struct master *m, struct str *path)
{
	str_clear(path);
	str_catf(path, "%s/pid/master.pid", m->queue_dir);
}

void
master_pid_lock(struct master *m)
{
	struct str	path = STR_INIT;
	struct stat	fst, nst;
	int		tries;

	pid_path(m, &path);
	for (tries = 0;; tries++) {
		m->pid_fd = open(path.s, O_RDWR | O_CREAT | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
		if (m->pid_fd == -1) {
			fatal(EX_CANTCREAT, "open %s", path.s);
		}
		if (flock(m->pid_fd, LOCK_EX | LOCK_NB) == -1) {
			if (errno == EWOULDBLOCK) {
				fatalx(EX_TEMPFAIL, "the %s mail system is "
				    "already running",
				    conf_value("mail_name"));
			}
			fatal(EX_OSERR, "lock %s", path.s);
		}
		/*
		 * A master that stopped just now unlinks the name while it
		 * holds the lock: we may have locked that old inode.  The
		 * lock counts only when the name is still ours.
		 */
		if (fstat(m->pid_fd, &fst) == -1) {
			fatal(EX_OSERR, "fstat %s", path.s);
		}
		if (lstat(path.s, &nst) == 0 && nst.st_dev == fst.st_dev &&
		    nst.st_ino == fst.st_ino) {
			break;
		}
		(void)close(m->pid_fd);
		if (tries == 10) {
			fatalx(EX_TEMPFAIL, "%s: keeps changing", path.s);
		}
	}
	/* 0644 whatever the umask: postlet status reads it as anyone. */
	if (fchmod(m->pid_fd, 0644) == -1) {
		fatal(EX_OSERR, "chmod %s", path.s);
	}
	str_free(&path);
}

int
master_pid_write(const struct master *m)
{
	struct str	text = STR_INIT;
	ssize_t		n;
	int		saved;

	str_catf(&text, "%ld\n", (long)getpid());
	if (ftruncate(m->pid_fd, 0) == -1) {
		saved = errno;
		str_free(&text);
		errno = saved;
		return -1;
	}
	n = pwrite(m->pid_fd, text.s, text.len, 0);
	saved = n == -1 ? errno : EIO;
	if (n == (ssize_t)text.len) {
		str_free(&text);
		return 0;
	}
	str_free(&text);
	errno = saved;
	return -1;
}

void
master_pid_remove(struct master *m)
{
	struct str	path = STR_INIT;

	if (m->pid_fd == -1) {
		return;
	}
	pid_path(m, &path);
	/* Unlink while still locked: a new master that opens the name
	 * afterwards makes a new file and cannot lock the old inode. */
	if (unlink(path.s) == -1 && errno != ENOENT) {
		log_warn("unlink %s", path.s);
	}
	(void)close(m->pid_fd);
	m->pid_fd = -1;
	str_free(&path);
}
