/* SPDX-License-Identifier: ISC */
/*
 * durable.c: tests of lib/durable: files appear under their final name
 * only complete, an existing name is never replaced in DURABLE_NOREPLACE
 * mode, and every failure (injected at each system call through
 * durable_set_fault) leaves behind exactly what durable.h promises.
 * An unnamed file (durable_create_unnamed, O_TMPFILE) never shows in its
 * tmp/, gets its one name at the commit (by its descriptor, or through
 * /proc/self/fd where the kernel refuses that), and falls back to a named
 * file where the file system has no O_TMPFILE.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "tap.h"

static char	base[512];
static int	case_no;

/* The fault hook fails the fault_nth call of fault_op with fault_errno. */
static const char	*fault_op;
static int		 fault_nth, fault_seen, fault_errno;

static int
fault_hook(const char *op)
{
	if (fault_op != NULL && strcmp(op, fault_op) == 0 &&
	    ++fault_seen == fault_nth) {
		errno = fault_errno;
		return -1;
	}
	return 0;
}

static void
fault_set(const char *op, int nth, int e)
{
	fault_op = op;
	fault_nth = nth;
	fault_seen = 0;
	fault_errno = e;
	durable_set_fault(op != NULL ? fault_hook : NULL);
}

/* A fresh directory base/NAME-N; returns its path (static storage). */
static const char *
fresh(const char *name)
{
	static char	dirs[4][600];
	static int	next;
	char		*p = dirs[next++ % 4];

	snprintf(p, sizeof(dirs[0]), "%s/%s-%d", base, name, ++case_no);
	if (mkdir(p, 0700) == -1) {
		fprintf(stderr, "mkdir %s: %s\n", p, strerror(errno));
		exit(1);
	}
	return p;
}


/* The contents of dir/name into out (NUL-terminated); -1 when missing. */
static int
slurp(const char *dir, const char *name, char *out, size_t size)
{
	char	path[1200];
	FILE	*f;
	size_t	n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL) {
		return -1;
	}
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
	return (int)n;
}

static void
spew(const char *dir, const char *name, const char *text)
{
	char	path[1200];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) == EOF) {
		fprintf(stderr, "write %s failed\n", path);
		exit(1);
	}
}

/* Create a tmp file holding text; exits on failure (not under test). */
static void
make_tmp(struct durable *d, const char *tmp, const char *text)
{
	if (durable_create(d, tmp, 0600) == -1 ||
	    write(d->fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		fprintf(stderr, "make_tmp in %s: %s\n", tmp, strerror(errno));
		exit(1);
	}
}

static void
test_commit(void)
{
	struct durable	d = DURABLE_INIT;
	struct stat	st;
	const char	*tmp, *dir;
	char		got[256], path[1200];

	tmp = fresh("tmp");
	dir = fresh("dir");
	is_int(durable_create(&d, tmp, 0600), 0, "create: returns 0");
	ok(d.fd >= 0, "create: descriptor open");
	is_int(tap_count_entries(tmp), 1, "create: one file in tmp");
	is_int(write(d.fd, "hello\n", 6), 6, "create: writable");
	is_int(durable_commit(&d, dir, "msg", DURABLE_REPLACE), 0,
	    "commit replace: returns 0");
	is_int(d.fd, -1, "commit: descriptor closed");
	is_int((long long)d.tmp_path.len, 0, "commit: nothing left to clean");
	is_int(tap_count_entries(tmp), 0, "commit: tmp empty");
	is_int(slurp(dir, "msg", got, sizeof(got)), 6, "commit: file placed");
	is_str(got, "hello\n", "commit: contents");
	snprintf(path, sizeof(path), "%s/msg", dir);
	is_int(stat(path, &st), 0, "commit: stat");
	is_int(st.st_mode & 07777, 0600, "commit: mode 0600");
	durable_abort(&d);
	is_int(slurp(dir, "msg", got, sizeof(got)), 6,
	    "abort after commit: file stays");

	/* A mode the umask would cut is kept exactly (fchmod). */
	make_tmp(&d, tmp, "x");
	is_int(fstat(d.fd, &st), 0, "mode: fstat");
	is_int(st.st_mode & 07777, 0600, "mode: 0600 despite umask");
	ok(d.ino == st.st_ino, "create: the inode number noted");
	durable_abort(&d);
	is_int(durable_create(&d, tmp, 0644), 0, "mode 0644: create");
	is_int(fstat(d.fd, &st), 0, "mode 0644: fstat");
	is_int(st.st_mode & 07777, 0644, "mode 0644: exact under umask 077");
	ok(d.ino == st.st_ino, "mode 0644: the inode number noted");
	durable_abort(&d);
	is_int(tap_count_entries(tmp), 0, "mode: aborted files removed");

	/* Replace over an existing name. */
	make_tmp(&d, tmp, "new\n");
	is_int(durable_commit(&d, dir, "msg", DURABLE_REPLACE), 0,
	    "replace existing: returns 0");
	slurp(dir, "msg", got, sizeof(got));
	is_str(got, "new\n", "replace existing: new contents");
	is_int(tap_count_entries(tmp), 0, "replace existing: tmp empty");

	/* No-replace: a new name works, an existing one is EEXIST. */
	make_tmp(&d, tmp, "other\n");
	errno = 0;
	is_int(durable_commit(&d, dir, "msg", DURABLE_NOREPLACE), -1,
	    "noreplace existing: fails");
	is_int(errno, EEXIST, "noreplace existing: EEXIST");
	slurp(dir, "msg", got, sizeof(got));
	is_str(got, "new\n", "noreplace existing: old file untouched");
	is_int(tap_count_entries(tmp), 1, "noreplace existing: tmp file kept");
	is_int(d.fd, -1, "noreplace existing: descriptor closed");
	is_int(durable_commit(&d, dir, "msg2", DURABLE_NOREPLACE), 0,
	    "noreplace: retry with a new name");
	slurp(dir, "msg2", got, sizeof(got));
	is_str(got, "other\n", "noreplace: contents");
	is_int(tap_count_entries(tmp), 0, "noreplace: tmp empty");
	is_int(tap_count_entries(dir), 2, "noreplace: two files in dir");
}

static void
test_abort(void)
{
	struct durable	d = DURABLE_INIT, many[50];
	const char	*tmp;
	int		i, good = 1;

	tmp = fresh("tmp");
	durable_abort(&d);
	ok(1, "abort on DURABLE_INIT: harmless");
	make_tmp(&d, tmp, "x");
	errno = 1234;
	durable_abort(&d);
	is_int(errno, 1234, "abort: keeps errno");
	is_int(tap_count_entries(tmp), 0, "abort: tmp empty");
	is_int(d.fd, -1, "abort: descriptor closed");
	durable_abort(&d);
	ok(1, "abort twice: harmless");

	errno = 0;
	is_int(durable_create(&d, "/nonexistent/postlet/tmp", 0600), -1,
	    "create in missing dir: fails");
	is_int(errno, ENOENT, "create in missing dir: ENOENT");
	ok(d.fd == -1 && d.tmp_path.s == NULL,
	    "create in missing dir: nothing held");
	durable_abort(&d);

	for (i = 0; i < 50; i++) {
		many[i] = (struct durable)DURABLE_INIT;
		if (durable_create(&many[i], tmp, 0600) == -1) {
			good = 0;
		}
	}
	ok(good, "50 creates at once: all succeed");
	is_int(tap_count_entries(tmp), 50,
	    "50 creates at once: 50 distinct files");
	for (i = 0; i < 50; i++) {
		durable_abort(&many[i]);
	}
	is_int(tap_count_entries(tmp), 0, "50 aborts: tmp empty");
}

static void
test_names(void)
{
	static const struct {
		const char	*name;
		const char	*label;
	} bad[] = {
		{ "", "empty name" },
		{ ".", "dot" },
		{ "..", "dot dot" },
		{ "a/b", "slash" },
		{ "/abs", "leading slash" },
		{ NULL, "256 bytes" },
	};
	struct durable	d = DURABLE_INIT;
	const char	*tmp, *dir, *name;
	char		longname[257];
	size_t		i;

	tmp = fresh("tmp");
	dir = fresh("dir");
	memset(longname, 'a', 256);
	longname[256] = '\0';
	make_tmp(&d, tmp, "x");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		name = bad[i].name != NULL ? bad[i].name : longname;
		errno = 0;
		is_int(durable_commit(&d, dir, name, DURABLE_NOREPLACE), -1,
		    "commit %s: fails", bad[i].label);
		is_int(errno, EINVAL, "commit %s: EINVAL", bad[i].label);
		errno = 0;
		is_int(durable_move(tmp, dir, name, DURABLE_REPLACE), -1,
		    "move %s: fails", bad[i].label);
		is_int(errno, EINVAL, "move %s: EINVAL", bad[i].label);
	}
	longname[255] = '\0';
	errno = 0;
	is_int(durable_commit(&d, dir, "x", 7), -1, "commit bad flags: fails");
	is_int(errno, EINVAL, "commit bad flags: EINVAL");
	is_int(tap_count_entries(tmp), 1, "bad names: tmp file still there");
	is_int(tap_count_entries(dir), 0, "bad names: nothing placed");
	is_int(durable_commit(&d, dir, longname, DURABLE_NOREPLACE), 0,
	    "commit 255-byte name: works");
	is_int(tap_count_entries(tmp), 0, "commit 255-byte name: tmp empty");
}

/*
 * Each row injects one failure.  After the failed call: tmp_after files
 * left in tmp (before durable_abort), target_after files in dir, and
 * after durable_abort: tmp empty always.
 */
static void
test_faults(void)
{
	static const struct {
		const char	*label;
		const char	*op;
		int		 flags;
		int		 rc;
		int		 tmp_after;
		int		 target_after;
	} cases[] = {
		{ "fsync of file", "fsync", DURABLE_NOREPLACE, -1, 0, 0 },
		{ "fsync of file (replace)", "fsync", DURABLE_REPLACE,
		    -1, 0, 0 },
		{ "close", "close", DURABLE_NOREPLACE, -1, 0, 0 },
		{ "link", "link", DURABLE_NOREPLACE, -1, 1, 0 },
		{ "rename", "rename", DURABLE_REPLACE, -1, 1, 0 },
		{ "fsync of dir after link", "fsync_dir", DURABLE_NOREPLACE,
		    -1, 1, 0 },
		{ "fsync of dir after rename", "fsync_dir", DURABLE_REPLACE,
		    -1, 0, 1 },
		{ "unlink of tmp name after link", "unlink",
		    DURABLE_NOREPLACE, 0, 1, 1 },
	};
	struct durable	d = DURABLE_INIT;
	const char	*tmp, *dir;
	size_t		i;
	int		rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tmp = fresh("tmp");
		dir = fresh("dir");
		make_tmp(&d, tmp, "data\n");
		fault_set(cases[i].op, 1, EIO);
		errno = 0;
		rc = durable_commit(&d, dir, "msg", cases[i].flags);
		fault_set(NULL, 0, 0);
		is_int(rc, cases[i].rc, "fault %s: commit returns %d",
		    cases[i].label, cases[i].rc);
		if (cases[i].rc == -1) {
			is_int(errno, EIO, "fault %s: errno EIO",
			    cases[i].label);
		}
		is_int(tap_count_entries(tmp), cases[i].tmp_after,
		    "fault %s: %d file(s) left in tmp", cases[i].label,
		    cases[i].tmp_after);
		is_int(tap_count_entries(dir), cases[i].target_after,
		    "fault %s: %d file(s) in target", cases[i].label,
		    cases[i].target_after);
		durable_abort(&d);
		if (cases[i].rc == 0) {
			/* A stale second name: the sweeper's job. */
			is_int(durable_clean_tmp(tmp, 0, time(NULL) + 10), 1,
			    "fault %s: clean_tmp removes the stale name",
			    cases[i].label);
		}
		is_int(tap_count_entries(tmp), 0,
		    "fault %s: tmp empty after abort", cases[i].label);
	}

	tmp = fresh("tmp");
	fault_set("open", 1, ENOSPC);
	errno = 0;
	is_int(durable_create(&d, tmp, 0600), -1, "fault open: create fails");
	is_int(errno, ENOSPC, "fault open: errno kept");
	fault_set("fchmod", 1, EPERM);
	errno = 0;
	is_int(durable_create(&d, tmp, 0600), -1, "fault fchmod: create fails");
	is_int(errno, EPERM, "fault fchmod: errno kept");
	fault_set(NULL, 0, 0);
	is_int(tap_count_entries(tmp), 0, "fault open/fchmod: tmp empty");
	durable_abort(&d);

	/* A failed commit cannot be repeated into a false success. */
	make_tmp(&d, tmp, "data\n");
	dir = fresh("dir");
	fault_set("fsync", 1, EIO);
	(void)durable_commit(&d, dir, "msg", DURABLE_NOREPLACE);
	fault_set(NULL, 0, 0);
	ok(TAP_FATAL(durable_commit(&d, dir, "msg", DURABLE_NOREPLACE)),
	    "commit after a dropped file: panic");
	is_int(tap_count_entries(dir), 0,
	    "commit after a dropped file: nothing placed");
	durable_abort(&d);
}

static void
test_move(void)
{
	const char	*a, *b;
	char		got[64];

	a = fresh("from");
	b = fresh("to");
	spew(a, "m1", "one\n");
	is_int(durable_move(a, b, "m1", DURABLE_REPLACE), 0,
	    "move: returns 0");
	is_int(tap_count_entries(a), 0, "move: gone from source");
	slurp(b, "m1", got, sizeof(got));
	is_str(got, "one\n", "move: in target");
	errno = 0;
	is_int(durable_move(a, b, "m1", DURABLE_REPLACE), -1,
	    "move missing: fails");
	is_int(errno, ENOENT, "move missing: ENOENT");

	spew(a, "m1", "two\n");
	errno = 0;
	is_int(durable_move(a, b, "m1", DURABLE_NOREPLACE), -1,
	    "move noreplace onto existing: fails");
	is_int(errno, EEXIST, "move noreplace onto existing: EEXIST");
	slurp(b, "m1", got, sizeof(got));
	is_str(got, "one\n", "move noreplace: target untouched");
	is_int(tap_count_entries(a), 1, "move noreplace: source kept");
	is_int(durable_move_as(a, "m1", b, "m2", DURABLE_NOREPLACE), 0,
	    "move_as: new name");
	slurp(b, "m2", got, sizeof(got));
	is_str(got, "two\n", "move_as: contents");
	is_int(tap_count_entries(a), 0, "move_as: source gone");

	is_int(durable_move(b, a, "m1", DURABLE_REPLACE), 0, "move back");
	spew(b, "m1", "three\n");
	is_int(durable_move(a, b, "m1", DURABLE_REPLACE), 0,
	    "move replace onto existing: works");
	slurp(b, "m1", got, sizeof(got));
	is_str(got, "one\n", "move replace: replaced");

	spew(a, "f", "four\n");
	fault_set("rename", 1, EIO);
	is_int(durable_move(a, b, "f", DURABLE_REPLACE), -1,
	    "move fault rename: fails");
	is_int(tap_count_entries(a), 1, "move fault rename: source kept");
	fault_set("fsync_dir", 1, EIO);
	is_int(durable_move(a, b, "f", DURABLE_NOREPLACE), -1,
	    "move fault target fsync: fails");
	is_int(tap_count_entries(a), 1, "move fault target fsync: source kept");
	is_int(slurp(b, "f", got, sizeof(got)), -1,
	    "move fault target fsync: new name taken back");
	fault_set("fsync_dir", 2, EIO);
	is_int(durable_move(a, b, "f", DURABLE_REPLACE), -1,
	    "move fault source fsync: fails");
	fault_set(NULL, 0, 0);
	is_int(slurp(b, "f", got, sizeof(got)), 5,
	    "move fault source fsync: file in target, never lost");

	/* NOSYNC: the rename only; a failing directory fsync is not met */
	spew(a, "g", "five\n");
	fault_set("fsync_dir", 1, EIO);
	is_int(durable_move(a, b, "g", DURABLE_REPLACE | DURABLE_NOSYNC), 0,
	    "move nosync: no directory fsync");
	fault_set(NULL, 0, 0);
	is_int(slurp(b, "g", got, sizeof(got)), 5, "move nosync: in target");
	spew(a, "h", "six\n");
	errno = 0;
	is_int(durable_move(a, b, "h", DURABLE_NOREPLACE | DURABLE_NOSYNC),
	    -1, "move noreplace|nosync: refused");
	is_int(errno, EINVAL, "move noreplace|nosync: EINVAL");
	is_int(slurp(a, "h", got, sizeof(got)), 4,
	    "move noreplace|nosync: source kept");
}

static void
test_fsync_dir(void)
{
	const char	*a;

	a = fresh("dir");
	is_int(durable_fsync_dir(a), 0, "fsync_dir: directory");
	errno = 0;
	is_int(durable_fsync_dir("/nonexistent/postlet"), -1,
	    "fsync_dir missing: fails");
	is_int(errno, ENOENT, "fsync_dir missing: ENOENT");
	spew(a, "file", "x");
	errno = 0;
	{
		char	path[700];

		snprintf(path, sizeof(path), "%s/file", a);
		is_int(durable_fsync_dir(path), -1,
		    "fsync_dir on a file: fails");
		is_int(errno, ENOTDIR, "fsync_dir on a file: ENOTDIR");
	}
}

/* The lowest free descriptor: what an open would get now. */
static int
next_fd(void)
{
	int	fd = dup(0);

	(void)close(fd);
	return fd;
}

/* durable_keep_dirs: directories synced again and again stay open. */
static void
test_keep_dirs(void)
{
	char		 path[DURABLE_KEPT_DIRS + 2][700];
	const char	*a;
	int		 before, i, ok_all;

	a = fresh("kept");
	for (i = 0; i < DURABLE_KEPT_DIRS + 2; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/d%d", a, i);
		if (mkdir(path[i], 0700) == -1) {
			perror(path[i]);
			exit(1);
		}
	}
	durable_keep_dirs();
	before = next_fd();
	is_int(durable_fsync_dir(path[0]), 0, "keep: fsync_dir");
	ok(next_fd() > before, "keep: the directory stays open");
	i = next_fd();
	is_int(durable_fsync_dir(path[0]), 0, "keep: fsync_dir again");
	is_int(next_fd(), i, "keep: again through the kept descriptor");
	/* More directories than are kept: the others are opened and
	 * closed each time, and no descriptor is left behind. */
	for (ok_all = 1, i = 1; i < DURABLE_KEPT_DIRS + 2; i++) {
		ok_all &= durable_fsync_dir(path[i]) == 0;
	}
	ok(ok_all, "keep: %d more directories synced",
	    DURABLE_KEPT_DIRS + 1);
	for (ok_all = 1, i = 0; i < DURABLE_KEPT_DIRS + 2; i++) {
		ok_all &= durable_fsync_dir(path[i]) == 0;
	}
	ok(ok_all, "keep: all of them again");
	is_int(next_fd(), before + DURABLE_KEPT_DIRS,
	    "keep: %d kept open, no more", DURABLE_KEPT_DIRS);
	/* The fault hook still sees every call. */
	fault_set("fsync_dir", 1, EIO);
	errno = 0;
	ok(durable_fsync_dir(path[0]) == -1 && errno == EIO,
	    "keep: an injected fault still fails the call");
	fault_set(NULL, 0, 0);
	is_int(durable_fsync_dir("/nonexistent/postlet"), -1,
	    "keep: a missing directory still fails");
}

static void
test_clean(void)
{
	struct timespec	times[2];
	const char	*tmp, *other;
	char		path[1200], target[1200];
	time_t		now = time(NULL);

	tmp = fresh("tmp");
	other = fresh("other");
	spew(tmp, "old", "x");
	spew(tmp, "new", "x");
	spew(other, "target", "keep");
	snprintf(path, sizeof(path), "%s/olddir", tmp);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/oldlink", tmp);
	snprintf(target, sizeof(target), "%s/target", other);
	if (symlink(target, path) == -1) {
		diag("symlink: %s", strerror(errno));
	}
	times[0].tv_sec = times[1].tv_sec = now - 1000;
	times[0].tv_nsec = times[1].tv_nsec = 0;
	snprintf(path, sizeof(path), "%s/old", tmp);
	utimensat(AT_FDCWD, path, times, 0);
	snprintf(path, sizeof(path), "%s/olddir", tmp);
	utimensat(AT_FDCWD, path, times, 0);
	snprintf(path, sizeof(path), "%s/oldlink", tmp);
	utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
	snprintf(target, sizeof(target), "%s/target", other);
	utimensat(AT_FDCWD, target, times, 0);

	is_int(durable_clean_tmp(tmp, 100, now), 2,
	    "clean: old file and old link removed");
	is_int(tap_count_entries(tmp), 2, "clean: new file and directory stay");
	is_int(slurp(tmp, "new", path, sizeof(path)), 1,
	    "clean: new file kept");
	is_int(slurp(other, "target", path, sizeof(path)), 4,
	    "clean: link target untouched");
	is_int(durable_clean_tmp(tmp, 100, now), 0, "clean again: nothing");
	errno = 0;
	is_int(durable_clean_tmp("/nonexistent/postlet", 100, now), -1,
	    "clean missing dir: fails");
	is_int(errno, ENOENT, "clean missing dir: ENOENT");
}

/*
 * durable_create_unnamed: nothing in tmp/ at any time; the commit names
 * it; a taken name keeps it open for another try; a failed fsync (of it
 * or of the directory) drops it; without O_TMPFILE it is a named file.
 * The checks that need O_TMPFILE pass as skipped on a file system
 * without it (they are the same number either way).
 */
static void
test_unnamed(void)
{
	static const struct {
		const char	*op;
		bool		 kept;
	} faults[] = {
		{ "fsync", false },
		{ "link", true },
		{ "fsync_dir", false },
	};
	struct durable	d = DURABLE_INIT;
	struct stat	st;
	const char	*tmp, *dir;
	char		got[256], path[1200];
	size_t		i;
	bool		unnamed;

	tmp = fresh("utmp");
	dir = fresh("udir");
	is_int(durable_create_unnamed(&d, tmp, 0640), 0,
	    "unnamed: create returns 0");
	ok(d.fd >= 0, "unnamed: descriptor open");
	unnamed = d.unnamed;
	if (!unnamed) {
		diag("no O_TMPFILE here (or no /proc): named file");
	}
	is_int(tap_count_entries(tmp), unnamed ? 0 : 1,
	    "unnamed: nothing in tmp/ (one file without O_TMPFILE)");
	ok(!unnamed || d.tmp_path.len == 0, "unnamed: no tmp path");
	is_int(write(d.fd, "first\n", 6), 6, "unnamed: writable");
	ok(fstat(d.fd, &st) == 0 && d.ino == st.st_ino,
	    "unnamed: the inode number noted");
	spew(dir, "taken", "other\n");
	is_int(durable_commit(&d, dir, "taken", DURABLE_NOREPLACE), -1,
	    "unnamed: commit to a taken name fails");
	is_int(errno, EEXIST, "unnamed: with EEXIST");
	is_int(slurp(dir, "taken", got, sizeof(got)), 6,
	    "unnamed: the taken name keeps its file");
	is_str(got, "other\n", "unnamed: its contents");
	is_int(durable_commit(&d, dir, "msg", DURABLE_NOREPLACE), 0,
	    "unnamed: commit to a free name");
	is_int(d.fd, -1, "unnamed: descriptor closed");
	ok(!d.unnamed, "unnamed: no longer");
	is_int(slurp(dir, "msg", got, sizeof(got)), 6, "unnamed: placed");
	is_str(got, "first\n", "unnamed: contents");
	snprintf(path, sizeof(path), "%s/msg", dir);
	is_int(stat(path, &st), 0, "unnamed: stat");
	is_int(st.st_mode & 07777, 0640, "unnamed: mode 0640, umask 077");
	is_int((long long)st.st_nlink, 1, "unnamed: one name only");
	is_int(tap_count_entries(tmp), 0, "unnamed: tmp/ empty");
	durable_abort(&d);

	/* A failed fsync (of the file or the directory) drops the file; a
	 * failed link keeps it open for another commit.  After
	 * durable_abort, nothing is left in either directory. */
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		tmp = fresh("utmp");
		dir = fresh("udir");
		is_int(durable_create_unnamed(&d, tmp, 0600), 0,
		    "unnamed, failed %s: create", faults[i].op);
		fault_set(faults[i].op, 1, EIO);
		is_int(durable_commit(&d, dir, "msg", DURABLE_NOREPLACE), -1,
		    "unnamed, failed %s: commit fails", faults[i].op);
		is_int(errno, EIO, "unnamed, failed %s: with its errno",
		    faults[i].op);
		fault_set(NULL, 0, 0);
		ok(!unnamed || (d.fd != -1) == faults[i].kept,
		    "unnamed, failed %s: the file %s", faults[i].op,
		    faults[i].kept ? "stays open" : "is dropped");
		durable_abort(&d);
		is_int(d.fd, -1, "unnamed, failed %s: abort closes it",
		    faults[i].op);
		is_int(tap_count_entries(dir) + tap_count_entries(tmp), 0,
		    "unnamed, failed %s: nothing left", faults[i].op);
	}

	/* A kernel that refuses linkat(AT_EMPTY_PATH) to this process says
	 * ENOENT: the link goes through /proc/self/fd instead.  A taken
	 * name is EEXIST whichever way the link goes. */
	tmp = fresh("utmp");
	dir = fresh("udir");
	is_int(durable_create_unnamed(&d, tmp, 0600), 0,
	    "AT_EMPTY_PATH refused: create");
	is_int(write(d.fd, "proc\n", 5), 5, "AT_EMPTY_PATH refused: write");
	fault_set("empty_path", 1, ENOENT);
	is_int(durable_commit(&d, dir, "msg", DURABLE_NOREPLACE), 0,
	    "AT_EMPTY_PATH refused: commit through /proc");
	fault_set(NULL, 0, 0);
	is_int(slurp(dir, "msg", got, sizeof(got)), 5,
	    "AT_EMPTY_PATH refused: placed");
	is_str(got, "proc\n", "AT_EMPTY_PATH refused: contents");
	is_int(durable_create_unnamed(&d, tmp, 0600), 0,
	    "AT_EMPTY_PATH taken name: create");
	is_int(durable_commit(&d, dir, "msg", DURABLE_NOREPLACE), -1,
	    "AT_EMPTY_PATH taken name: commit fails");
	ok(errno == EEXIST && (!unnamed || d.fd != -1),
	    "AT_EMPTY_PATH taken name: EEXIST, the file stays open");
	durable_abort(&d);
	is_int(tap_count_entries(dir) + tap_count_entries(tmp), 1,
	    "AT_EMPTY_PATH: only the placed file left");

	/* no O_TMPFILE on this file system: a named file in tmp/ */
	tmp = fresh("utmp");
	dir = fresh("udir");
	fault_set("tmpfile", 1, EOPNOTSUPP);
	is_int(durable_create_unnamed(&d, tmp, 0600), 0,
	    "no O_TMPFILE: create returns 0");
	fault_set(NULL, 0, 0);
	ok(!d.unnamed && d.tmp_path.len > 0, "no O_TMPFILE: a named file");
	is_int(tap_count_entries(tmp), 1, "no O_TMPFILE: in tmp/");
	is_int(durable_commit(&d, dir, "msg", DURABLE_NOREPLACE), 0,
	    "no O_TMPFILE: commit");
	is_int(tap_count_entries(dir), 1, "no O_TMPFILE: placed");
	is_int(tap_count_entries(tmp), 0, "no O_TMPFILE: tmp/ empty");

	/* another error of the open is an error */
	fault_set("tmpfile", 1, EACCES);
	is_int(durable_create_unnamed(&d, tmp, 0600), unnamed ? -1 : 0,
	    "unnamed: EACCES fails the create");
	fault_set(NULL, 0, 0);
	durable_abort(&d);
	is_int(tap_count_entries(tmp), 0, "unnamed: EACCES leaves nothing");
}

int
main(void)
{
	snprintf(base, sizeof(base), "%s", tap_tmpdir());
	umask(077);
	test_commit();
	test_unnamed();
	test_abort();
	test_names();
	test_faults();
	test_move();
	test_fsync_dir();
	test_clean();
	/* last: it changes durable_fsync_dir for the rest of the process */
	test_keep_dirs();
	return done_testing();
}
