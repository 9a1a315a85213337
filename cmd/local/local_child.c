/* SPDX-License-Identifier: ISC */
/*
 * local_child.c: who a delivery runs as, and the child processes that
 * run as them.
 *
 * local itself stays as it was started (root, or the instance's user)
 * for the next job.  A mailbox is written by local itself with the
 * user's ids as its effective ones (local_assume, local_resume: see
 * local_mailbox.c).  Other work done for a user (a command, a file,
 * reading a .forward or :include: file) runs in a forked child that
 * first becomes that user: supplementary groups from the group file
 * (getgrouplist), gid, uid, verified by lib/dchild.
 * The child (lib/dchild) reports one line "S CODE TEXT" (S: D, T or P)
 * on a pipe and exits; a child that dies without one defers the
 * delivery.  Its standard input and output (qmgr's protocol) are
 * replaced by /dev/null first, so nothing the child runs can read jobs
 * or write answers.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "dchild.h"
#include "fd.h"
#include "local.h"
#include "log.h"
#include "priv.h"
#include "proc.h"
#include "str.h"

/*
 * What local keeps of the last lookup in a file: the file's stat then
 * and the time.  It stands while the file is unchanged (same device,
 * inode, size and modification time) and for at most KEPT_MS (an answer
 * that came from elsewhere, nscd, has no file to watch).  The file's
 * stat is taken before the lookup: a change made while the lookup reads
 * it shows at the next one.
 */
#define KEPT_MS		60000
struct kept_from {
	bool		 valid;
	struct stat	 st;
	long long	 when;
	/* of the last kept_check */
	bool		 watched;
	struct stat	 now_st;
	long long	 now;
};

/*
 * The password database's answer for the last user looked up by name,
 * and the supplementary groups of the last user asked: a worker that
 * delivers message after message to the same user reads and parses
 * /etc/passwd and /etc/group once for them, not once per message.
 */
#define GROUP_FILE	"/etc/group"
static struct {
	struct kept_from from;
	struct str	 user;
	struct local_id	 id;
} id_kept = { { false }, STR_INIT, LOCAL_ID_INIT };
static struct {
	struct kept_from from;
	struct str	 user;
	gid_t		 gid;
	gid_t		 groups[PRIV_GROUPS_MAX];
	size_t		 n;
} groups_kept = { { false }, STR_INIT, 0, { 0 }, 0 };

static bool	same_file(const struct stat *, const struct stat *);
static bool	kept_check(struct kept_from *, const char *);
static void	kept_mark(struct kept_from *);
static int	id_from_pw(const struct passwd *, struct local_id *);
static int	id_groups(const struct local_id *, gid_t *, size_t *);
static void	child_result(const char *, size_t, int,
		    struct local_status *);
static void	child_call(void *, const char *, struct str *);
static void	read_list_child(const struct local *, void *,
		    struct local_status *);

static int
id_from_pw(const struct passwd *pw, struct local_id *id)
{
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	str_set(&id->name, pw->pw_name != NULL ? pw->pw_name : "");
	str_set(&id->home, pw->pw_dir != NULL ? pw->pw_dir : "/");
	str_set(&id->shell, pw->pw_shell != NULL && *pw->pw_shell != '\0' ?
	    pw->pw_shell : "/bin/sh");
	return 0;
}

/* The same file, not changed (as far as its stat says)? */
static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Stat path, and say whether what k holds still stands. */
static bool
kept_check(struct kept_from *k, const char *path)
{
	k->now = clock_ms();
	k->watched = stat(path, &k->now_st) == 0;
	return k->valid && k->watched && k->now >= k->when &&
	    k->now - k->when < KEPT_MS && same_file(&k->now_st, &k->st);
}

/* What was just looked up (after kept_check) is kept, when its file
 * could be watched. */
static void
kept_mark(struct kept_from *k)
{
	k->valid = k->watched;
	k->st = k->now_st;
	k->when = k->now;
}

int
local_id_user(const char *user, struct local_id *id)
{
	struct passwd	*pw;

	if (kept_check(&id_kept.from, PRIV_PASSWD_FILE) &&
	    str_eq(&id_kept.user, user)) {
		local_id_copy(id, &id_kept.id);
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno == 0) {
			errno = ENOENT;
		}
		return -1;
	}
	(void)id_from_pw(pw, id);
	str_set(&id_kept.user, user);
	local_id_copy(&id_kept.id, id);
	kept_mark(&id_kept.from);
	return 0;
}

int
local_id_uid(uid_t uid, struct local_id *id)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwuid(uid)) == NULL) {
		if (errno == 0) {
			errno = ENOENT;
		}
		return -1;
	}
	return id_from_pw(pw, id);
}

void
local_id_self(struct local_id *id)
{
	if (local_id_uid(geteuid(), id) == -1) {
		id->uid = geteuid();
		id->gid = getegid();
		str_set(&id->name, "");
		str_set(&id->home, "/");
		str_set(&id->shell, "/bin/sh");
	}
	/* the effective gid, whatever the password file says */
	id->gid = getegid();
}

void
local_id_copy(struct local_id *to, const struct local_id *from)
{
	to->uid = from->uid;
	to->gid = from->gid;
	str_set(&to->name, str_c(&from->name));
	str_set(&to->home, str_c(&from->home));
	str_set(&to->shell, str_c(&from->shell));
}

void
local_id_free(struct local_id *id)
{
	str_free(&id->name);
	str_free(&id->home);
	str_free(&id->shell);
}

/*
 * The supplementary groups of id from the group file into groups
 * (PRIV_GROUPS_MAX), their number into *n (none for a nameless id): 0,
 * or -1 with errno when the group file cannot be read.  Over
 * PRIV_GROUPS_MAX groups, the first ones.  The last user's are kept
 * (groups_kept, above).
 */
static int
id_groups(const struct local_id *id, gid_t *groups, size_t *n)
{
	int		 got = PRIV_GROUPS_MAX;

	*n = 0;
	if (id->name.len == 0) {
		return 0;
	}
	if (kept_check(&groups_kept.from, GROUP_FILE) &&
	    groups_kept.gid == id->gid &&
	    str_eq(&groups_kept.user, id->name.s)) {
		memcpy(groups, groups_kept.groups,
		    groups_kept.n * sizeof(*groups));
		*n = groups_kept.n;
		return 0;
	}
	errno = 0;
	if (getgrouplist(id->name.s, id->gid, groups, &got) == -1) {
		/* too many says how many it found, and filled the list;
		 * an error (the file unreadable) leaves the count */
		if (got <= PRIV_GROUPS_MAX) {
			if (errno == 0) {
				errno = EIO;
			}
			return -1;
		}
		got = PRIV_GROUPS_MAX;
	}
	*n = got < 0 ? 0 : (size_t)got;
	str_set(&groups_kept.user, id->name.s);
	groups_kept.gid = id->gid;
	memcpy(groups_kept.groups, groups, *n * sizeof(*groups));
	groups_kept.n = *n;
	kept_mark(&groups_kept.from);
	return 0;
}

int
local_assume(const struct local *l, const struct local_id *id,
    struct local_status *st)
{
	gid_t	groups[PRIV_GROUPS_MAX];
	size_t	n;

	if (!l->root) {
		return 0;
	}
	if (id_groups(id, groups, &n) == -1) {
		local_status_set(st, DSN_TEMP, "4.3.0",
		    "cannot read the groups of user %s: %s", str_c(&id->name),
		    strerror(errno));
		return -1;
	}
	if (priv_assume(id->uid, id->gid, groups, n) == -1) {
		local_status_set(st, DSN_TEMP, "4.3.0",
		    "cannot become user %s: %s", str_c(&id->name),
		    priv_error());
		local_resume(l);	/* (priv_assume went back; if not: fatal) */
		return -1;
	}
	return 0;
}

void
local_resume(const struct local *l)
{
	if (l->root) {
		priv_resume_or_exit();
	}
}

/* A child's "S CODE TEXT" (len bytes) into st; wstatus words a child
 * that sent nothing usable. */
static void
child_result(const char *p, size_t len, int wstatus,
    struct local_status *st)
{
	char		 text[PROC_STATUS_MAX];

	if (dchild_result_parse(p, len, &st->status, st->code,
	    &st->text) == -1) {
		local_status_set(st, DSN_TEMP, "4.3.0",
		    "mail delivery process: %s",
		    proc_status_text(wstatus, text, sizeof(text)));
	}
}

/* What child_call needs (borrowed). */
struct child_call {
	const struct local	*l;
	local_child_fn		 fn;
	void			*arg;
};

/* In the child (lib/dchild): fn, and its status as "S CODE TEXT". */
static void
child_call(void *arg, const char *become_error, struct str *result)
{
	const struct child_call	*c = arg;
	struct local_status	 cst = LOCAL_STATUS_INIT;

	if (become_error != NULL) {
		local_status_set(&cst, DSN_TEMP, "4.3.0", "%s", become_error);
	} else {
		local_status_set(&cst, DSN_TEMP, "4.3.0",
		    "delivery not attempted");
		c->fn(c->l, c->arg, &cst);
	}
	dchild_result_put(result, cst.status, cst.code, &cst.text);
	local_status_free(&cst);
}

void
local_child(const struct local *l, const struct local_id *id,
    local_child_fn fn, void *arg, struct local_status *st)
{
	struct child_call	 call;
	struct dchild_id	 did;
	struct str		 res = STR_INIT;
	gid_t			 groups[PRIV_GROUPS_MAX];
	int			 wstatus = 0;

	call.l = l;
	call.fn = fn;
	call.arg = arg;
	memset(&did, 0, sizeof(did));
	did.setid = l->root;
	did.uid = id->uid;
	did.gid = id->gid;
	did.groups = groups;
	did.ngroups = 0;
	did.fsize_limit = l->mailbox_size_limit;
	if (l->root && id_groups(id, groups, &did.ngroups) == -1) {
		local_status_set(st, DSN_TEMP, "4.3.0",
		    "cannot read the groups of user %s: %s", str_c(&id->name),
		    strerror(errno));
	} else if (dchild_run(&did, LOCAL_LIST_FILE_MAX + 4096, child_call,
	    &call, &res, &wstatus) == -1) {
		local_status_set(st, DSN_TEMP, "4.3.0",
		    "cannot start delivery process: %s", strerror(errno));
	} else {
		child_result(res.s == NULL ? "" : res.s, res.len,
		    wstatus, st);
	}
	str_free(&res);
}

/* What read_list_child needs. */
struct read_list {
	const char	*path;
	uid_t		 uid;
	bool		 must_own;
};

/*
 * In the child: "D 2.0.0 OWNER CONTENT", "P 5.0.0 why" for a missing or
 * refused file, "T 4.3.0 why" for an error.
 */
static void
read_list_child(const struct local *l, void *arg, struct local_status *st)
{
	const struct read_list	*rl = arg;
	struct stat		 sb;
	char			 chunk[8192];
	ssize_t			 n;
	int			 fd;

	(void)l;
	fd = fd_open(rl->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
	    0);
	if (fd == -1) {
		if (errno == ENOENT || errno == ENOTDIR) {
			local_status_set(st, DSN_PERM, "5.0.0", "absent");
		} else {
			local_status_set(st, DSN_TEMP, "4.3.0",
			    "cannot open %s: %s", rl->path, strerror(errno));
		}
		return;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		local_status_set(st, DSN_TEMP, "4.3.0",
		    "%s: not a regular file", rl->path);
		goto out;
	}
	if (rl->must_own && sb.st_uid != rl->uid) {
		local_status_set(st, DSN_PERM, "5.0.0",
		    "%s: owned by uid %lu, not by the recipient (uid %lu)",
		    rl->path, (unsigned long)sb.st_uid,
		    (unsigned long)rl->uid);
		goto out;
	}
	if (rl->must_own && (sb.st_mode & (S_IWGRP | S_IWOTH))) {
		local_status_set(st, DSN_PERM, "5.0.0",
		    "%s: writable by group or others", rl->path);
		goto out;
	}
	if (sb.st_size > LOCAL_LIST_FILE_MAX) {
		local_status_set(st, DSN_TEMP, "4.3.0",
		    "%s: larger than %d bytes", rl->path,
		    LOCAL_LIST_FILE_MAX);
		goto out;
	}
	local_status_set(st, DSN_OK, "2.0.0", "%lu ",
	    (unsigned long)sb.st_uid);
	while ((n = fd_read(fd, chunk, sizeof(chunk))) > 0) {
		if (memchr(chunk, '\0', (size_t)n) != NULL ||
		    st->text.len + (size_t)n > LOCAL_LIST_FILE_MAX + 32) {
			local_status_set(st, DSN_TEMP, "4.3.0",
			    "%s: NUL byte or grew too large", rl->path);
			goto out;
		}
		str_cat_mem(&st->text, chunk, (size_t)n);
	}
	if (n == -1) {
		local_status_set(st, DSN_TEMP, "4.3.0", "read %s: %s",
		    rl->path, strerror(errno));
	}
out:
	(void)close(fd);
}

int
local_read_list(const struct local *l, const struct local_id *id,
    const char *path, bool must_own, struct str *text, uid_t *owner,
    struct str *why)
{
	struct local_status	 st = LOCAL_STATUS_INIT;
	struct read_list	 rl;
	char			*end;
	unsigned long		 u;
	int			 rc;

	rl.path = path;
	rl.uid = id->uid;
	rl.must_own = must_own;
	local_child(l, id, read_list_child, &rl, &st);
	str_clear(text);
	str_clear(why);
	if (st.status == DSN_OK) {
		errno = 0;
		u = strtoul(str_c(&st.text), &end, 10);
		if (errno != 0 || *end != ' ') {
			str_set(why, "bad answer from the reading process");
			rc = -1;
		} else {
			*owner = (uid_t)u;
			end++;
			str_set_mem(text, end, st.text.len -
			    (size_t)(end - st.text.s));
			rc = 1;
		}
	} else if (st.status == DSN_PERM) {
		if (!str_eq(&st.text, "absent")) {
			str_set(why, str_c(&st.text));
		}
		rc = 0;
	} else {
		str_set(why, str_c(&st.text));
		rc = -1;
	}
	local_status_free(&st);
	return rc;
}
