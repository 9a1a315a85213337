/* SPDX-License-Identifier: ISC */
/*
 * priv.c: identity changes and their verification (see priv.h).
 *
 * Why verify after the calls succeeded: setuid(2) semantics differ
 * between systems (saved ids, the effective-only change of non-root
 * callers), and a process that silently kept a saved uid of 0 could get
 * root back after an exploit.  So the ids are read back, and trying to
 * get root back must fail.  Why setresuid and not setuid: it sets real,
 * effective and saved ids in one call and says so; where it is missing,
 * setuid by root sets all three as well (POSIX).
 */
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "bounds.h"
#include "log.h"
#include "priv.h"
#include "str.h"

#if defined(__linux__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__DragonFly__)
#define PRIV_HAVE_SETRES	1
#endif

static char	priv_msg[256];
/* What priv_assume found, for priv_resume. */
static struct {
	bool	assumed;
	gid_t	egid;
	gid_t	groups[PRIV_GROUPS_MAX + 1];
	size_t	ngroups;
} priv_saved;
/* The password file, opened before a chroot (priv_keep_passwd). */
static FILE	*priv_passwd;

static int	priv_fail(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static size_t	priv_bufsize(int);
static int	priv_lookup_kept(const char *, uid_t *, gid_t *,
		    struct str *);
static int	priv_nonroot(const char *);
static int	priv_verify(uid_t, gid_t, const gid_t *, size_t);
static int	priv_set_effective(uid_t, gid_t);
static size_t	priv_group_list(gid_t, const gid_t *, size_t, gid_t *);
static int	priv_drop_full(uid_t, gid_t, const gid_t *, size_t,
		    const char *);

/* Keep the text for priv_error, set errno to err, return -1. */
static int
priv_fail(int err, const char *fmt, ...)
{
	static const char	lost[] = "(error text lost)";
	va_list			ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(priv_msg, sizeof(priv_msg), fmt, ap);
	va_end(ap);
	if (n < 0) {
		memcpy(priv_msg, lost, sizeof(lost));
	} else if ((size_t)n >= sizeof(priv_msg)) {
		/* A very long name or path: keep the start, mark the cut. */
		memcpy(priv_msg + sizeof(priv_msg) - 4, "...", 4);
	}
	errno = err;
	return -1;
}

const char *
priv_error(void)
{
	return priv_msg;
}

bool
priv_is_root(void)
{
	return geteuid() == 0;
}

/* The first buffer size to try for a getpw/getgr *_r call. */
static size_t
priv_bufsize(int name)
{
	long	n = sysconf(name);

	return n > 0 && n <= PRIV_PWBUF_MAX ? (size_t)n : 1024;
}

int
priv_lookup(const char *user, uid_t *uid, gid_t *gid, struct str *home)
{
	struct passwd	 pw, *res = NULL;
	char		*buf;
	size_t		 size = priv_bufsize(_SC_GETPW_R_SIZE_MAX);
	int		 r;

	priv_msg[0] = '\0';
	if (user == NULL || *user == '\0') {
		return priv_fail(EINVAL, "empty user name");
	}
	if (priv_passwd != NULL) {
		return priv_lookup_kept(user, uid, gid, home);
	}
	for (;;) {
		buf = xmalloc(size);
		r = getpwnam_r(user, &pw, buf, size, &res);
		if (r != ERANGE || size >= PRIV_PWBUF_MAX) {
			break;
		}
		free(buf);
		size = size > PRIV_PWBUF_MAX / 2 ? PRIV_PWBUF_MAX : size * 2;
	}
	if (r == 0 && res != NULL) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
		if (home != NULL) {
			str_set(home, pw.pw_dir);
		}
		free(buf);
		return 0;
	}
	free(buf);
	/* Not found is 0 with no result in POSIX, an errno in some libcs. */
	if (r == 0 || r == ENOENT || r == ESRCH) {
		return priv_fail(ENOENT, "unknown user: %s", user);
	}
	if (r == ERANGE) {
		return priv_fail(ERANGE, "user %s: entry over %d bytes", user,
		    PRIV_PWBUF_MAX);
	}
	return priv_fail(r, "getpwnam %s: %s", user, strerror(r));
}

int
priv_keep_passwd(void)
{
	int	fd;

	if (priv_passwd != NULL) {
		return 0;
	}
	if ((fd = open(PRIV_PASSWD_FILE, O_RDONLY | O_CLOEXEC)) == -1) {
		return priv_fail(errno, "open %s: %s", PRIV_PASSWD_FILE,
		    strerror(errno));
	}
	if ((priv_passwd = fdopen(fd, "r")) == NULL) {
		(void)close(fd);
		return priv_fail(errno, "fdopen %s: %s", PRIV_PASSWD_FILE,
		    strerror(errno));
	}
	return 0;
}

/* priv_lookup in the file kept open: read it from its start. */
static int
priv_lookup_kept(const char *user, uid_t *uid, gid_t *gid, struct str *home)
{
	struct passwd	*pw;

	rewind(priv_passwd);
	errno = 0;
	while ((pw = fgetpwent(priv_passwd)) != NULL) {
		if (strcmp(pw->pw_name, user) == 0) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			if (home != NULL) {
				str_set(home, pw->pw_dir);
			}
			return 0;
		}
	}
	if (ferror(priv_passwd)) {
		return priv_fail(EIO, "read %s: %s", PRIV_PASSWD_FILE,
		    strerror(errno != 0 ? errno : EIO));
	}
	return priv_fail(ENOENT, "unknown user: %s", user);
}

int
priv_lookup_group(const char *group, gid_t *gid)
{
	struct group	 gr, *res = NULL;
	char		*buf;
	size_t		 size = priv_bufsize(_SC_GETGR_R_SIZE_MAX);
	int		 r;

	priv_msg[0] = '\0';
	if (group == NULL || *group == '\0') {
		return priv_fail(EINVAL, "empty group name");
	}
	for (;;) {
		buf = xmalloc(size);
		r = getgrnam_r(group, &gr, buf, size, &res);
		if (r != ERANGE || size >= PRIV_PWBUF_MAX) {
			break;
		}
		free(buf);
		size = size > PRIV_PWBUF_MAX / 2 ? PRIV_PWBUF_MAX : size * 2;
	}
	if (r == 0 && res != NULL) {
		*gid = gr.gr_gid;
		free(buf);
		return 0;
	}
	free(buf);
	if (r == 0 || r == ENOENT || r == ESRCH) {
		return priv_fail(ENOENT, "unknown group: %s", group);
	}
	if (r == ERANGE) {
		return priv_fail(ERANGE, "group %s: entry over %d bytes",
		    group, PRIV_PWBUF_MAX);
	}
	return priv_fail(r, "getgrnam %s: %s", group, strerror(r));
}

/* Non-root mode: nothing to drop, but a chroot cannot be done. */
static int
priv_nonroot(const char *chroot_dir)
{
	if (chroot_dir != NULL && *chroot_dir != '\0') {
		return priv_fail(EPERM, "chroot %s: needs root, running as "
		    "uid %lu", chroot_dir, (unsigned long)geteuid());
	}
	return 0;
}

int
priv_drop(const char *user, const char *chroot_dir)
{
	uid_t	uid;
	gid_t	gid;

	priv_msg[0] = '\0';
	if (!priv_is_root()) {
		return priv_nonroot(chroot_dir);
	}
	if (priv_lookup(user, &uid, &gid, NULL) == -1) {
		return -1;
	}
	return priv_drop_ids(uid, gid, chroot_dir);
}

int
priv_drop_ids(uid_t uid, gid_t gid, const char *chroot_dir)
{
	return priv_drop_full(uid, gid, NULL, 0, chroot_dir);
}

int
priv_drop_groups(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	if (ngroups > PRIV_GROUPS_MAX || (ngroups > 0 && groups == NULL)) {
		return priv_fail(EINVAL, "setgroups: %zu groups", ngroups);
	}
	return priv_drop_full(uid, gid, groups, ngroups, NULL);
}

/*
 * priv_drop_ids with a supplementary group list: groups (ngroups) are
 * set besides gid, which is always in the list.
 */
static int
priv_drop_full(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
    const char *chroot_dir)
{
	gid_t	list[PRIV_GROUPS_MAX + 1];
	size_t	n;

	priv_msg[0] = '\0';
	if (!priv_is_root()) {
		return priv_nonroot(chroot_dir);
	}
	if (chroot_dir != NULL && *chroot_dir != '\0') {
		if (chroot(chroot_dir) == -1) {
			return priv_fail(errno, "chroot %s: %s", chroot_dir,
			    strerror(errno));
		}
		if (chdir("/") == -1) {
			return priv_fail(errno, "chdir / after chroot %s: %s",
			    chroot_dir, strerror(errno));
		}
	}
	n = priv_group_list(gid, groups, ngroups, list);
	if (setgroups(n, list) == -1) {
		return priv_fail(errno, "setgroups %lu: %s",
		    (unsigned long)gid, strerror(errno));
	}
#ifdef PRIV_HAVE_SETRES
	if (setresgid(gid, gid, gid) == -1) {
		return priv_fail(errno, "setresgid %lu: %s",
		    (unsigned long)gid, strerror(errno));
	}
	if (setresuid(uid, uid, uid) == -1) {
		return priv_fail(errno, "setresuid %lu: %s",
		    (unsigned long)uid, strerror(errno));
	}
#else
	if (setgid(gid) == -1) {
		return priv_fail(errno, "setgid %lu: %s", (unsigned long)gid,
		    strerror(errno));
	}
	if (setuid(uid) == -1) {
		return priv_fail(errno, "setuid %lu: %s", (unsigned long)uid,
		    strerror(errno));
	}
#endif
	return priv_verify(uid, gid, list, n);
}

/* Read the identity back, and make sure root cannot be had again. */
static int
priv_verify(uid_t uid, gid_t gid, const gid_t *list, size_t n)
{
	uid_t	ru, eu, su;
	gid_t	rg, eg, sg, groups[PRIV_GROUPS_MAX + 2];
	size_t	i, j;
	int	got;

#ifdef PRIV_HAVE_SETRES
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) ==
	    -1) {
		return priv_fail(errno, "getresuid: %s", strerror(errno));
	}
#else
	ru = getuid();
	eu = su = geteuid();
	rg = getgid();
	eg = sg = getegid();
#endif
	if (ru != uid || eu != uid || su != uid) {
		return priv_fail(EPERM, "uids are %lu/%lu/%lu after the "
		    "switch to %lu", (unsigned long)ru, (unsigned long)eu,
		    (unsigned long)su, (unsigned long)uid);
	}
	if (rg != gid || eg != gid || sg != gid) {
		return priv_fail(EPERM, "gids are %lu/%lu/%lu after the "
		    "switch to %lu", (unsigned long)rg, (unsigned long)eg,
		    (unsigned long)sg, (unsigned long)gid);
	}
	/* More groups than we set is EINVAL here, and wrong too. */
	got = getgroups((int)(n + 1), groups);
	if (got < 0 || (size_t)got != n) {
		return priv_fail(EPERM, "group list is not the %zu group(s) "
		    "set after the switch to %lu", n, (unsigned long)gid);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < n && groups[j] != list[i]; j++) {
			continue;
		}
		if (j == n) {
			return priv_fail(EPERM, "group %lu missing after the "
			    "switch", (unsigned long)list[i]);
		}
	}
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		return priv_fail(EPERM, "uid 0 can be had back after the "
		    "switch to %lu", (unsigned long)uid);
	}
	if (uid != 0 && gid != 0 && (setgid(0) != -1 || setegid(0) != -1)) {
		return priv_fail(EPERM, "gid 0 can be had back after the "
		    "switch to %lu", (unsigned long)gid);
	}
	return 0;
}

/* gid, then the groups not already in the list: into list
 * (PRIV_GROUPS_MAX + 1); their number. */
static size_t
priv_group_list(gid_t gid, const gid_t *groups, size_t ngroups, gid_t *list)
{
	size_t	n = 0, i, j;

	list[n++] = gid;
	for (i = 0; i < ngroups && n < PRIV_GROUPS_MAX + 1; i++) {
		for (j = 0; j < n && list[j] != groups[i]; j++) {
			continue;
		}
		if (j == n) {
			list[n++] = groups[i];
		}
	}
	return n;
}

/*
 * The effective ids only (the real and saved ones stay), read back.
 * Away from root the gid goes first, while the uid is still 0; back to
 * root (uid 0) the uid goes first, so that the gid may then be any.
 */
static int
priv_set_effective(uid_t uid, gid_t gid)
{
	int	rc;

#ifdef PRIV_HAVE_SETRES
	if (uid == 0) {
		rc = setresuid((uid_t)-1, uid, (uid_t)-1) == -1 ||
		    setresgid((gid_t)-1, gid, (gid_t)-1) == -1 ? -1 : 0;
	} else {
		rc = setresgid((gid_t)-1, gid, (gid_t)-1) == -1 ||
		    setresuid((uid_t)-1, uid, (uid_t)-1) == -1 ? -1 : 0;
	}
#else
	if (uid == 0) {
		rc = seteuid(uid) == -1 || setegid(gid) == -1 ? -1 : 0;
	} else {
		rc = setegid(gid) == -1 || seteuid(uid) == -1 ? -1 : 0;
	}
#endif
	if (rc == -1) {
		return priv_fail(errno, "effective ids %lu/%lu: %s",
		    (unsigned long)uid, (unsigned long)gid, strerror(errno));
	}
	if (geteuid() != uid || getegid() != gid || getuid() != 0) {
		return priv_fail(EPERM, "effective ids are %lu/%lu, not "
		    "%lu/%lu", (unsigned long)geteuid(),
		    (unsigned long)getegid(), (unsigned long)uid,
		    (unsigned long)gid);
	}
	return 0;
}

int
priv_assume(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	gid_t	list[PRIV_GROUPS_MAX + 1];
	size_t	n;
	int	got, saved;

	priv_msg[0] = '\0';
	if (priv_saved.assumed) {
		return priv_fail(EPERM, "assume uid %lu: another user's ids "
		    "are assumed", (unsigned long)uid);
	}
	if (getuid() != 0 || geteuid() != 0) {
		return priv_fail(EPERM, "assume uid %lu: needs root, running "
		    "as uid %lu", (unsigned long)uid,
		    (unsigned long)geteuid());
	}
	if (ngroups > PRIV_GROUPS_MAX || (ngroups > 0 && groups == NULL)) {
		return priv_fail(EINVAL, "setgroups: %zu groups", ngroups);
	}
	got = getgroups(PRIV_GROUPS_MAX + 1, priv_saved.groups);
	if (got < 0) {
		return priv_fail(errno, "getgroups: %s", strerror(errno));
	}
	priv_saved.ngroups = (size_t)got;
	priv_saved.egid = getegid();
	n = priv_group_list(gid, groups, ngroups, list);
	if (setgroups(n, list) == -1) {
		return priv_fail(errno, "setgroups %lu: %s",
		    (unsigned long)gid, strerror(errno));
	}
	priv_saved.assumed = true;
	if (priv_set_effective(uid, gid) == -1) {
		saved = errno;
		if (priv_resume() == -1) {
			return -1;	/* its message says more */
		}
		errno = saved;
		return -1;
	}
	return 0;
}

int
priv_resume(void)
{
	char	msg[sizeof(priv_msg)];

	if (!priv_saved.assumed) {
		return 0;
	}
	/* a failed assume's message stays, unless this fails too */
	memcpy(msg, priv_msg, sizeof(msg));
	if (priv_set_effective(0, priv_saved.egid) == -1) {
		return -1;
	}
	if (setgroups(priv_saved.ngroups, priv_saved.groups) == -1) {
		return priv_fail(errno, "setgroups back: %s",
		    strerror(errno));
	}
	priv_saved.assumed = false;
	memcpy(priv_msg, msg, sizeof(msg));
	return 0;
}

void
priv_resume_or_exit(void)
{
	if (priv_resume() == -1) {
		fatal(EX_OSERR, "cannot become root again: %s", priv_error());
	}
}
