/* SPDX-License-Identifier: ISC */
/*
 * priv.c: unit tests for lib/priv (user look-up, dropping privileges,
 * chroot, the effective ids of priv_assume and priv_resume, non-root
 * mode).
 *
 * Every identity change happens in a forked child, which writes what it
 * sees as "key=value" lines into a pipe: the ids from getresuid and
 * getresgid, the group list, the Uid:, Gid: and Groups: lines of
 * /proc/self/status, and whether setuid(0) and friends fail afterwards.
 * The parent compares each line with the exact expected text.  Run as
 * root, all cases run, and the non-root path is tested in a child that
 * first became nobody by hand; run as another user, the root-only cases
 * are skipped with the reason.  Children end with _exit, so that the
 * test's atexit handlers run only once.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "priv.h"
#include "str.h"
#include "tap.h"

/*
 * Not PATH_MAX: POSIX lets <limits.h> leave it undefined.
 */
#define TEST_PATH_MAX	4096

/* What a child is to do, with the ids it needs. */
struct job {
	const char	*what;
	uid_t		 uid;
	gid_t		 gid;
	const char	*dir;
	ino_t		 ino;
	dev_t		 dev;
};

static int	report_fd = -1;

static void	say(const char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static const char *errname(int);
static void	say_ids(void);
static void	say_status(void);
static void	say_getroot(void);
static void	child(const struct job *);
static int	run_child(const struct job *, struct str *);
static const char *field(const struct str *, const char *);
static void	test_lookup(void);
static void	test_drop_nobody(uid_t, gid_t);
static void	test_chroot(uid_t, gid_t);
static void	test_drop_errors(uid_t, gid_t);
static void	test_drop_ids(void);
static void	test_nonroot(uid_t, gid_t);

static void
say(const char *key, const char *fmt, ...)
{
	struct str	line = STR_INIT;
	va_list		ap;

	str_cat(&line, key);
	str_cat_char(&line, '=');
	va_start(ap, fmt);
	str_vcatf(&line, fmt, ap);
	va_end(ap);
	str_cat_char(&line, '\n');
	if (write(report_fd, line.s, line.len) != (ssize_t)line.len) {
		_exit(3);
	}
	str_free(&line);
}

static const char *
errname(int e)
{
	static char	buf[32];

	switch (e) {
	case 0:
		return "0";
	case EPERM:
		return "EPERM";
	case ENOENT:
		return "ENOENT";
	case EINVAL:
		return "EINVAL";
	case EACCES:
		return "EACCES";
	default:
		snprintf(buf, sizeof(buf), "errno %d", e);
		return buf;
	}
}

static void
say_ids(void)
{
	uid_t	ru, eu, su;
	gid_t	rg, eg, sg, groups[64];
	int	i, n;
	char	list[512];
	size_t	len = 0;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1) {
		say("ids", "getresuid: %s", strerror(errno));
		return;
	}
	say("uids", "%lu,%lu,%lu", (unsigned long)ru, (unsigned long)eu,
	    (unsigned long)su);
	say("gids", "%lu,%lu,%lu", (unsigned long)rg, (unsigned long)eg,
	    (unsigned long)sg);
	n = getgroups(64, groups);
	list[0] = '\0';
	for (i = 0; i < n && len < sizeof(list) - 24; i++) {
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%lu",
		    i > 0 ? " " : "", (unsigned long)groups[i]);
	}
	say("groups", "%s", n == -1 ? strerror(errno) : list);
	say("root", "%d", priv_is_root() ? 1 : 0);
}

/* The Uid:, Gid: and Groups: lines, blanks collapsed to one space. */
static void
say_status(void)
{
	FILE	*fp;
	char	 line[512], out[512], *p;
	size_t	 n;
	int	 blank;

	if ((fp = fopen("/proc/self/status", "r")) == NULL) {
		say("status", "%s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "Uid:", 4) != 0 &&
		    strncmp(line, "Gid:", 4) != 0 &&
		    strncmp(line, "Groups:", 7) != 0) {
			continue;
		}
		n = 0;
		blank = 0;
		for (p = strchr(line, ':') + 1; *p != '\0'; p++) {
			if (*p == ' ' || *p == '\t' || *p == '\n') {
				blank = n > 0;
				continue;
			}
			if (blank && n < sizeof(out) - 1) {
				out[n++] = ' ';
			}
			blank = 0;
			if (n < sizeof(out) - 1) {
				out[n++] = *p;
			}
		}
		out[n] = '\0';
		*strchr(line, ':') = '\0';
		say(line, "%s", out);
	}
	fclose(fp);
}

static void
say_getroot(void)
{
	int	r;

	errno = 0;
	r = setuid(0);
	say("setuid0", "%d %s", r, errname(r == -1 ? errno : 0));
	errno = 0;
	r = seteuid(0);
	say("seteuid0", "%d %s", r, errname(r == -1 ? errno : 0));
	errno = 0;
	r = setgid(0);
	say("setgid0", "%d %s", r, errname(r == -1 ? errno : 0));
}

static void
child(const struct job *j)
{
	struct stat	sb;
	struct str	home = STR_INIT;
	char		buf[TEST_PATH_MAX];
	ssize_t		n;
	uid_t		uid = 1;
	gid_t		gid = 1;
	int		r, fd;

	if (strcmp(j->what, "nobody") == 0) {
		r = priv_drop("nobody", NULL);
		say("ret", "%d %s", r, errname(r == -1 ? errno : 0));
		say("error", "%s", priv_error());
		say_ids();
		say_status();
		say_getroot();
	} else if (strcmp(j->what, "chroot") == 0) {
		r = priv_keep_passwd();
		say("keep", "%d %s", r, errname(r == -1 ? errno : 0));
		r = priv_drop("nobody", j->dir);
		say("ret", "%d %s", r, errname(r == -1 ? errno : 0));
		/* in the jail: users from the file opened before */
		r = priv_lookup("root", &uid, &gid, &home);
		say("jail_root", "%d %lu %s", r, (unsigned long)uid,
		    r == 0 ? home.s : errname(errno));
		r = priv_lookup("postlet-no-such-user", &uid, &gid, NULL);
		say("jail_unknown", "%d %s", r, errname(r == -1 ? errno : 0));
		say_ids();
		if ((fd = open("/marker", O_RDONLY | O_CLOEXEC)) == -1) {
			say("marker", "%s", strerror(errno));
		} else {
			n = read(fd, buf, sizeof(buf) - 1);
			buf[n > 0 ? n : 0] = '\0';
			say("marker", "%s", buf);
			close(fd);
		}
		say("cwd", "%s", getcwd(buf, sizeof(buf)) ? buf : "?");
		say("root_is_jail", "%d", stat("/", &sb) == 0 &&
		    sb.st_ino == j->ino && sb.st_dev == j->dev);
		say("etc", "%s", access("/etc/passwd", F_OK) == 0 ? "found" :
		    errname(errno));
		say_getroot();
	} else if (strcmp(j->what, "unknown") == 0) {
		r = priv_drop("postlet-no-such-user", NULL);
		say("ret", "%d %s", r, errname(r == -1 ? errno : 0));
		say("error", "%s", priv_error());
		say_ids();
	} else if (strcmp(j->what, "badchroot") == 0) {
		r = priv_drop_ids(j->uid, j->gid, "/nonexistent/jail");
		say("ret", "%d %s", r, errname(r == -1 ? errno : 0));
		say("error", "%s", priv_error());
		say_ids();
	} else if (strcmp(j->what, "groups") == 0) {
		gid_t	extra[3] = { 54400, 54401, 54400 };

		r = priv_drop_groups(j->uid, j->gid, extra, 3);
		say("ret", "%d %s", r, errname(r == -1 ? errno : 0));
		say_ids();
		say_getroot();
	} else if (strcmp(j->what, "toomany") == 0) {
		gid_t	extra[PRIV_GROUPS_MAX + 1];

		memset(extra, 0, sizeof(extra));
		r = priv_drop_groups(j->uid, j->gid, extra,
		    PRIV_GROUPS_MAX + 1);
		say("ret", "%d %s", r, errname(r == -1 ? errno : 0));
		say_ids();
	} else if (strcmp(j->what, "ids") == 0) {
		r = priv_drop_ids(j->uid, j->gid, "");
		say("ret", "%d %s", r, errname(r == -1 ? errno : 0));
		say_ids();
		say_status();
		say_getroot();
	} else if (strcmp(j->what, "assume") == 0) {
		gid_t	extra[2] = { 54400, 54400 };

		r = priv_assume(j->uid, j->gid, extra, 2);
		say("ret", "%d %s", r, errname(r == -1 ? errno : 0));
		say_ids();
		/* j->dir: a file of root's, mode 0600 */
		fd = open(j->dir, O_RDONLY | O_CLOEXEC);
		say("open", "%s", fd == -1 ? errname(errno) : "opened");
		if (fd != -1) {
			close(fd);
		}
		r = priv_assume(j->uid, j->gid, NULL, 0);
		say("again", "%d %s", r, errname(r == -1 ? errno : 0));
		r = priv_resume();
		say("resume", "%d %s", r, errname(r == -1 ? errno : 0));
		fd = open(j->dir, O_RDONLY | O_CLOEXEC);
		say("open_back", "%s", fd == -1 ? errname(errno) : "opened");
		if (fd != -1) {
			close(fd);
		}
		say("after_uids", "%s", "");
		say_ids();
		r = priv_resume();
		say("resume_twice", "%d %s", r, errname(r == -1 ? errno : 0));
	} else if (strcmp(j->what, "nonroot") == 0) {
		/* As root, become j->uid by hand first. */
		if (geteuid() == 0 && (setgroups(1, &j->gid) == -1 ||
		    setresgid(j->gid, j->gid, j->gid) == -1 ||
		    setresuid(j->uid, j->uid, j->uid) == -1)) {
			say("setup", "%s", strerror(errno));
			_exit(4);
		}
		r = priv_drop("nobody", NULL);
		say("drop_nobody", "%d %s", r, errname(r == -1 ? errno : 0));
		r = priv_drop("root", NULL);
		say("drop_root", "%d %s", r, errname(r == -1 ? errno : 0));
		r = priv_drop("postlet-no-such-user", "");
		say("drop_unknown", "%d %s", r, errname(r == -1 ? errno : 0));
		r = priv_drop_ids(0, 0, NULL);
		say("drop_ids", "%d %s", r, errname(r == -1 ? errno : 0));
		r = priv_drop("nobody", "/tmp");
		say("drop_chroot", "%d %s", r, errname(r == -1 ? errno : 0));
		say("error", "%s", priv_error());
		r = priv_drop_ids(0, 0, "/tmp");
		say("drop_ids_chroot", "%d %s", r,
		    errname(r == -1 ? errno : 0));
		r = priv_assume(j->uid, j->gid, NULL, 0);
		say("assume", "%d %s", r, errname(r == -1 ? errno : 0));
		say_ids();
	}
}

/* Run j in a child; its report goes to rep.  Returns the wait status. */
static int
run_child(const struct job *j, struct str *rep)
{
	char	buf[4096];
	int	p[2], st = -1;
	pid_t	pid;
	ssize_t	n;

	str_clear(rep);
	if (pipe(p) == -1 || (pid = fork()) == -1) {
		printf("Bail out! pipe/fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		child(j);
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0) {
		str_cat_mem(rep, buf, (size_t)n);
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR) {
		continue;
	}
	return st;
}

/* The value of "key=" in a report, or "(missing)". */
static const char *
field(const struct str *rep, const char *key)
{
	static char	 buf[1024];
	const char	*p = str_c(rep), *end;
	size_t		 klen = strlen(key), n;

	while (*p != '\0') {
		end = strchr(p, '\n');
		if (end == NULL) {
			end = p + strlen(p);
		}
		if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 &&
		    p[klen] == '=') {
			n = (size_t)(end - p) - klen - 1;
			if (n >= sizeof(buf)) {
				n = sizeof(buf) - 1;
			}
			memcpy(buf, p + klen + 1, n);
			buf[n] = '\0';
			return buf;
		}
		p = *end == '\n' ? end + 1 : end;
	}
	return "(missing)";
}

static void
test_lookup(void)
{
	struct passwd	*pw;
	struct str	 home = STR_INIT;
	char		 name[400];
	uid_t		 uid = 4242;
	gid_t		 gid = 4242;
	int		 r;

	ok(priv_is_root() == (geteuid() == 0), "priv_is_root is euid 0");

	r = priv_lookup("root", &uid, &gid, &home);
	is_int(r, 0, "lookup root");
	is_int(uid, 0, "lookup root: uid 0");
	is_int(gid, 0, "lookup root: gid 0");
	pw = getpwnam("root");
	is_str(str_c(&home), pw ? pw->pw_dir : "?", "lookup root: home");
	is_str(priv_error(), "", "lookup root: no error text");

	uid = 4242;
	r = priv_lookup("nobody", &uid, &gid, NULL);
	pw = getpwnam("nobody");
	if (pw == NULL) {
		skip(2, "no user nobody here");
	} else {
		is_int(r, 0, "lookup nobody, without home");
		is_int(uid, pw->pw_uid, "lookup nobody: its uid");
	}

	uid = 4242;
	errno = 0;
	r = priv_lookup("postlet-no-such-user", &uid, &gid, &home);
	is_int(r, -1, "lookup unknown user fails");
	is_int(errno, ENOENT, "with ENOENT");
	is_str(priv_error(), "unknown user: postlet-no-such-user",
	    "and says so");
	is_int(uid, 4242, "and writes no uid");

	errno = 0;
	is_int(priv_lookup("", &uid, &gid, NULL), -1, "lookup '' fails");
	is_int(errno, EINVAL, "with EINVAL");
	errno = 0;
	is_int(priv_lookup(NULL, &uid, &gid, NULL), -1, "lookup NULL fails");
	is_int(errno, EINVAL, "with EINVAL");

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	errno = 0;
	is_int(priv_lookup(name, &uid, &gid, NULL), -1, "lookup of a "
	    "399-byte name fails");
	is_int(errno, ENOENT, "with ENOENT");
	is_int((long long)strlen(priv_error()), 255, "its error text is "
	    "cut at 255 bytes");
	ok(strncmp(priv_error(), "unknown user: xxx", 17) == 0 &&
	    strcmp(priv_error() + 252, "...") == 0, "and marked with ...");

	gid = 4242;
	is_int(priv_lookup_group("root", &gid), 0, "lookup group root");
	is_int(gid, 0, "lookup group root: gid 0");
	errno = 0;
	is_int(priv_lookup_group("postlet-no-such-group", &gid), -1,
	    "lookup unknown group fails");
	is_int(errno, ENOENT, "with ENOENT");
	is_str(priv_error(), "unknown group: postlet-no-such-group",
	    "and says so");
	errno = 0;
	is_int(priv_lookup_group("", &gid), -1, "lookup group '' fails");
	is_int(errno, EINVAL, "with EINVAL");
	str_free(&home);
}

static void
test_drop_nobody(uid_t uid, gid_t gid)
{
	struct job	 j = { "nobody", 0, 0, NULL, 0, 0 };
	struct str	 rep = STR_INIT;
	char		 ids[64], four[64];
	int		 st;

	snprintf(ids, sizeof(ids), "%lu,%lu,%lu", (unsigned long)uid,
	    (unsigned long)uid, (unsigned long)uid);
	st = run_child(&j, &rep);
	is_int(st, 0, "drop nobody: child exits 0");
	is_str(field(&rep, "ret"), "0 0", "drop nobody: returns 0");
	is_str(field(&rep, "error"), "", "drop nobody: no error text");
	is_str(field(&rep, "uids"), ids, "drop nobody: real, effective, "
	    "saved uid");
	snprintf(ids, sizeof(ids), "%lu,%lu,%lu", (unsigned long)gid,
	    (unsigned long)gid, (unsigned long)gid);
	is_str(field(&rep, "gids"), ids, "drop nobody: real, effective, "
	    "saved gid");
	snprintf(ids, sizeof(ids), "%lu", (unsigned long)gid);
	is_str(field(&rep, "groups"), ids, "drop nobody: only the primary "
	    "group");
	is_str(field(&rep, "root"), "0", "drop nobody: not root");
	snprintf(four, sizeof(four), "%lu %lu %lu %lu", (unsigned long)uid,
	    (unsigned long)uid, (unsigned long)uid, (unsigned long)uid);
	is_str(field(&rep, "Uid"), four, "drop nobody: /proc Uid: line");
	snprintf(four, sizeof(four), "%lu %lu %lu %lu", (unsigned long)gid,
	    (unsigned long)gid, (unsigned long)gid, (unsigned long)gid);
	is_str(field(&rep, "Gid"), four, "drop nobody: /proc Gid: line");
	is_str(field(&rep, "Groups"), ids, "drop nobody: /proc Groups: line");
	is_str(field(&rep, "setuid0"), "-1 EPERM", "drop nobody: setuid(0) "
	    "fails");
	is_str(field(&rep, "seteuid0"), "-1 EPERM", "drop nobody: seteuid(0) "
	    "fails");
	is_str(field(&rep, "setgid0"), "-1 EPERM", "drop nobody: setgid(0) "
	    "fails");
	str_free(&rep);
}

static void
test_chroot(uid_t uid, gid_t gid)
{
	struct job	 j = { "chroot", 0, 0, NULL, 0, 0 };
	struct str	 rep = STR_INIT;
	struct stat	 sb;
	char		 jail[TEST_PATH_MAX], path[TEST_PATH_MAX + 16],
	    ids[64];
	int		 fd, st;

	snprintf(jail, sizeof(jail), "%s/jail", tap_tmpdir());
	snprintf(path, sizeof(path), "%s/marker", jail);
	if (mkdir(jail, 0755) == -1 || chmod(jail, 0755) == -1 ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1 ||
	    write(fd, "jail\n", 5) != 5 || close(fd) == -1 ||
	    chmod(path, 0644) == -1 || stat(jail, &sb) == -1) {
		printf("Bail out! jail %s: %s\n", jail, strerror(errno));
		exit(1);
	}
	j.dir = jail;
	j.ino = sb.st_ino;
	j.dev = sb.st_dev;
	st = run_child(&j, &rep);
	is_int(st, 0, "chroot: child exits 0");
	is_str(field(&rep, "ret"), "0 0", "chroot: returns 0");
	snprintf(ids, sizeof(ids), "%lu,%lu,%lu", (unsigned long)uid,
	    (unsigned long)uid, (unsigned long)uid);
	is_str(field(&rep, "uids"), ids, "chroot: uids are nobody's");
	snprintf(ids, sizeof(ids), "%lu,%lu,%lu", (unsigned long)gid,
	    (unsigned long)gid, (unsigned long)gid);
	is_str(field(&rep, "gids"), ids, "chroot: gids are nobody's");
	is_str(field(&rep, "marker"), "jail", "chroot: /marker is the "
	    "jail's file");
	is_str(field(&rep, "cwd"), "/", "chroot: working directory is /");
	is_str(field(&rep, "root_is_jail"), "1", "chroot: / is the jail "
	    "directory");
	is_str(field(&rep, "etc"), "ENOENT", "chroot: no /etc/passwd inside");
	is_str(field(&rep, "keep"), "0 0", "chroot: priv_keep_passwd before");
	is_str(field(&rep, "jail_root"), "0 0 /root",
	    "chroot: root is still known in the jail (kept password file)");
	is_str(field(&rep, "jail_unknown"), "-1 ENOENT",
	    "chroot: an unknown user is ENOENT in the jail");
	is_str(field(&rep, "setuid0"), "-1 EPERM", "chroot: setuid(0) fails");
	str_free(&rep);
}

static void
test_drop_errors(uid_t uid, gid_t gid)
{
	struct job	 j = { "unknown", 0, 0, NULL, 0, 0 };
	struct str	 rep = STR_INIT;

	is_int(run_child(&j, &rep), 0, "unknown user: child exits 0");
	is_str(field(&rep, "ret"), "-1 ENOENT", "unknown user: -1 ENOENT");
	is_str(field(&rep, "error"), "unknown user: postlet-no-such-user",
	    "unknown user: says so");
	is_str(field(&rep, "uids"), "0,0,0", "unknown user: still root");
	is_str(field(&rep, "root"), "1", "unknown user: priv_is_root");

	j.what = "badchroot";
	j.uid = uid;
	j.gid = gid;
	is_int(run_child(&j, &rep), 0, "bad chroot: child exits 0");
	is_str(field(&rep, "ret"), "-1 ENOENT", "bad chroot: -1 ENOENT");
	is_str(field(&rep, "error"), "chroot /nonexistent/jail: No such file "
	    "or directory", "bad chroot: says so");
	is_str(field(&rep, "uids"), "0,0,0", "bad chroot: ids not changed");
	str_free(&rep);
}

static void
test_drop_ids(void)
{
	struct job	 j = { "ids", 54321, 54322, NULL, 0, 0 };
	struct str	 rep = STR_INIT;

	is_int(run_child(&j, &rep), 0, "ids 54321/54322: child exits 0");
	is_str(field(&rep, "ret"), "0 0", "ids 54321/54322: returns 0");
	is_str(field(&rep, "uids"), "54321,54321,54321", "ids 54321/54322: "
	    "uids");
	is_str(field(&rep, "gids"), "54322,54322,54322", "ids 54321/54322: "
	    "gids");
	is_str(field(&rep, "groups"), "54322", "ids 54321/54322: groups");
	is_str(field(&rep, "Uid"), "54321 54321 54321 54321",
	    "ids 54321/54322: /proc Uid: line");
	is_str(field(&rep, "setuid0"), "-1 EPERM", "ids 54321/54322: "
	    "setuid(0) fails");
	is_str(field(&rep, "setgid0"), "-1 EPERM", "ids 54321/54322: "
	    "setgid(0) fails");

	j.uid = 0;
	j.gid = 0;
	is_int(run_child(&j, &rep), 0, "ids 0/0: child exits 0");
	is_str(field(&rep, "ret"), "0 0", "ids 0/0: returns 0");
	is_str(field(&rep, "uids"), "0,0,0", "ids 0/0: still root");
	is_str(field(&rep, "groups"), "0", "ids 0/0: just group 0");
	is_str(field(&rep, "setuid0"), "0 0", "ids 0/0: setuid(0) works");

	/* priv_drop_groups: the supplementary groups are kept, once each */
	j.what = "groups";
	j.uid = 54321;
	j.gid = 54322;
	is_int(run_child(&j, &rep), 0, "groups: child exits 0");
	is_str(field(&rep, "ret"), "0 0", "groups: returns 0");
	is_str(field(&rep, "uids"), "54321,54321,54321", "groups: uids");
	is_str(field(&rep, "groups"), "54322 54400 54401",
	    "groups: the primary group and the two others, no duplicate");
	is_str(field(&rep, "setgid0"), "-1 EPERM", "groups: setgid(0) "
	    "fails");
	j.what = "toomany";
	is_int(run_child(&j, &rep), 0, "too many groups: child exits 0");
	is_str(field(&rep, "ret"), "-1 EINVAL", "too many groups: EINVAL");
	is_str(field(&rep, "uids"), "0,0,0", "too many groups: still root");
	str_free(&rep);
}

/*
 * priv_assume: the effective ids and groups become the user's, the real
 * and saved ids stay root's, and file access is the user's; a second
 * assume is refused; priv_resume brings root, its gid and its groups
 * back.  The report holds the ids twice: the first "uids" line is while
 * assumed, the one after "after_uids" is after the resume.
 */
static void
test_assume(uid_t uid, gid_t gid)
{
	struct job	 j = { "assume", 0, 0, NULL, 0, 0 };
	struct str	 rep = STR_INIT;
	char		 want[128], path[TEST_PATH_MAX], groups[512];
	const char	*after;
	gid_t		 list[64];
	int		 fd, i, n;
	size_t		 len = 0;

	snprintf(path, sizeof(path), "%s/rootonly", tap_tmpdir());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ok(fd != -1 && fchown(fd, 0, 0) == 0, "assume: a file of root's, "
	    "mode 0600");
	if (fd != -1) {
		close(fd);
	}
	n = getgroups(64, list);
	groups[0] = '\0';
	for (i = 0; i < n && len < sizeof(groups) - 24; i++) {
		len += (size_t)snprintf(groups + len, sizeof(groups) - len,
		    "%s%lu", i > 0 ? " " : "", (unsigned long)list[i]);
	}
	j.uid = uid;
	j.gid = gid;
	j.dir = path;
	is_int(run_child(&j, &rep), 0, "assume: child exits 0");
	is_str(field(&rep, "ret"), "0 0", "assume: returns 0");
	snprintf(want, sizeof(want), "0,%lu,0", (unsigned long)uid);
	is_str(field(&rep, "uids"), want, "assume: effective uid only");
	snprintf(want, sizeof(want), "%lu,%lu,%lu", (unsigned long)getgid(),
	    (unsigned long)gid, (unsigned long)getgid());
	is_str(field(&rep, "gids"), want, "assume: effective gid only");
	/* (the kernel keeps the list sorted) */
	snprintf(want, sizeof(want), gid < 54400 ? "%lu 54400" : "54400 %lu",
	    (unsigned long)gid);
	is_str(field(&rep, "groups"), want, "assume: the gid and the other "
	    "group, once");
	is_str(field(&rep, "open"), "EACCES", "assume: root's file is "
	    "closed to the user");
	is_str(field(&rep, "again"), "-1 EPERM", "assume: not twice");
	is_str(field(&rep, "resume"), "0 0", "assume: resume returns 0");
	is_str(field(&rep, "open_back"), "opened", "assume: root again "
	    "opens it");
	after = strstr(str_c(&rep), "after_uids=\n");
	if (after == NULL) {
		after = "";
	}
	{
		struct str	tail = STR_INIT;

		str_set(&tail, after);
		is_str(field(&tail, "uids"), "0,0,0", "resume: uids root's");
		snprintf(want, sizeof(want), "%lu,%lu,%lu",
		    (unsigned long)getgid(), (unsigned long)getegid(),
		    (unsigned long)getgid());
		is_str(field(&tail, "gids"), want, "resume: gids as before");
		is_str(field(&tail, "groups"), groups, "resume: groups as "
		    "before");
		str_free(&tail);
	}
	is_str(field(&rep, "resume_twice"), "0 0", "resume: a second one "
	    "is a no-op");
	(void)unlink(path);
	str_free(&rep);
}

/* Non-root mode: as root in a child that became uid/gid by hand. */
static void
test_nonroot(uid_t uid, gid_t gid)
{
	struct job	 j = { "nonroot", 0, 0, NULL, 0, 0 };
	struct str	 rep = STR_INIT;
	char		 want[128], ids[64];

	j.uid = uid;
	j.gid = gid;
	is_int(run_child(&j, &rep), 0, "non-root: child exits 0");
	is_str(field(&rep, "drop_nobody"), "0 0", "non-root: drop to nobody "
	    "is a no-op");
	is_str(field(&rep, "drop_root"), "0 0", "non-root: drop to root is "
	    "a no-op");
	is_str(field(&rep, "drop_unknown"), "0 0", "non-root: no look-up, "
	    "so an unknown user is no error");
	is_str(field(&rep, "drop_ids"), "0 0", "non-root: drop_ids is a "
	    "no-op");
	is_str(field(&rep, "drop_chroot"), "-1 EPERM", "non-root: chroot "
	    "is an error");
	snprintf(want, sizeof(want), "chroot /tmp: needs root, running as "
	    "uid %lu", (unsigned long)uid);
	is_str(field(&rep, "error"), want, "non-root: which says why");
	is_str(field(&rep, "drop_ids_chroot"), "-1 EPERM", "non-root: also "
	    "for drop_ids");
	is_str(field(&rep, "assume"), "-1 EPERM", "non-root: assume is an "
	    "error");
	snprintf(ids, sizeof(ids), "%lu,%lu,%lu", (unsigned long)uid,
	    (unsigned long)uid, (unsigned long)uid);
	is_str(field(&rep, "uids"), ids, "non-root: uids unchanged");
	str_free(&rep);
}

int
main(void)
{
	uid_t	uid;
	gid_t	gid;
	int	have_nobody;

	test_lookup();
	have_nobody = priv_lookup("nobody", &uid, &gid, NULL) == 0;
	if (!have_nobody) {
		skip(64, "no user nobody here");
		return done_testing();
	}
	if (geteuid() == 0) {
		test_drop_nobody(uid, gid);
		test_chroot(uid, gid);
		test_drop_errors(uid, gid);
		test_drop_ids();
		test_assume(uid, gid);
		test_nonroot(uid, gid);
	} else {
		skip(13, "root only: priv_drop to nobody");
		skip(12, "root only: chroot");
		skip(9, "root only: failing drops leave root alone");
		skip(21, "root only: priv_drop_ids, priv_drop_groups");
		skip(14, "root only: priv_assume, priv_resume");
		test_nonroot(geteuid(), getegid());
	}
	return done_testing();
}
