/* SPDX-License-Identifier: ISC */
/*
 * local_mailbox.c: delivery to a user's mbox file or Maildir.
 *
 * The mailbox is chosen as Postfix does: home_mailbox relative to the
 * user's home directory when it is set, else mail_spool_directory/USER;
 * a name ending in '/' is a Maildir, any other an mbox file.
 *
 * Who does what.  As root, local writes the mailbox itself, as Postfix's
 * local does, with the recipient's uid, gid and groups as its effective
 * ones (local_assume, lib/priv's priv_assume) from before it opens
 * anything of the user's until the delivery is done, then root's again
 * (local_resume); the real and saved ids stay root's, so the user can
 * neither signal nor trace local meanwhile.  (A child process per
 * delivery, which earlier versions forked, cost about half of local's
 * CPU per message.)
 * One thing needs root: the spool directory (/var/mail, usually root:mail
 * 2775) is not writable by its users, so when local runs as root it
 * takes the dot lock there as root, creates a missing mbox
 * (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, then fchown to the user; or the
 * directory of a spool Maildir, mode 0700) and removes the lock after the
 * delivery, as Postfix does with its spool privileges.  The mailbox is
 * opened as the user with O_NOFOLLOW and checked on the descriptor: a
 * regular file with one link owned by the user.
 *
 * Not root (non-root mode), everything runs as local's own user: there
 * is no one to become, so the mailbox is written as it is.  Mailboxes
 * must then be owned by that user (a spool in a directory of the
 * instance), and a home_mailbox is only used for the user local runs as.
 * Either way mailbox_size_limit is the soft file size limit for the
 * delivery only, lifted again afterwards.
 *
 * Failures: EFBIG (mailbox_size_limit) is permanent, 5.2.2, as in
 * Postfix; everything else defers (quota 4.2.2, full disk 4.3.0, others
 * 4.2.0), including a mailbox that is a symbolic link or has the wrong
 * owner: an administrator can fix those, and mail is kept meanwhile.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "fd.h"
#include "local.h"
#include "log.h"
#include "maildir.h"
#include "mbox.h"
#include "priv.h"
#include "proc.h"
#include "safeopen.h"
#include "str.h"

/* Where one recipient's mailbox is. */
struct local_box {
	bool		 maildir;
	/* in mail_spool_directory (else under the home directory) */
	bool		 spool;
	/* the spool directory, opened by the parent; else -1 */
	int		 spoolfd;
	/* path below the spool or home directory */
	struct str	 rel;
	/* the whole path, for messages */
	struct str	 path;
	/* the uid and gid that write, and must own, the mailbox */
	uid_t		 uid;
	gid_t		 gid;
	/* the parent took the dot lock, or made the mailbox */
	bool		 parent_locked;
	bool		 parent_prepared;
};

static void	errno_status(struct local_status *, int, const char *,
		    const struct local_rcpt *, const char *, const char *);
static void	user_errno_status(struct local_status *, int, const char *,
		    const char *, const char *, const char *);
static int	box_choose(const struct local *, const struct local_rcpt *,
		    struct local_box *, struct local_status *);
static int	box_prepare(const struct local *, const struct local_rcpt *,
		    struct local_box *, struct local_status *);
static void	write_mbox(const struct local *, const struct qfile *,
		    const struct local_rcpt *, const struct str *,
		    const struct local_box *, struct local_status *);
static struct local_batch *batch_for(const struct local *,
		    const struct local_rcpt *, const struct local_box *);
static void	write_maildir(const struct local *, const struct qfile *,
		    const struct local_rcpt *, const struct str *,
		    const struct local_box *, struct local_status *);
static void	write_box(const struct local *, const struct qfile *,
		    const struct local_rcpt *, const struct str *,
		    const struct local_box *, struct local_status *);
static void	write_here(const struct local *, const struct qfile *,
		    const struct local_rcpt *, const struct str *,
		    const struct local_box *, struct local_status *);
static void	write_as_user(const struct local *, const struct qfile *,
		    const struct local_rcpt *, const struct str *,
		    const struct local_box *, struct local_status *);

/*
 * The status for a failure with errno err: "PREFIX REASON" where reason
 * is why when given, else "WHAT: strerror".
 */
static void
errno_status(struct local_status *st, int err, const char *prefix,
    const struct local_rcpt *r, const char *what, const char *why)
{
	user_errno_status(st, err, prefix, str_c(&r->user), what, why);
}

/* errno_status for a user given by name. */
static void
user_errno_status(struct local_status *st, int err, const char *prefix,
    const char *user, const char *what, const char *why)
{
	const char	*code = "4.2.0";
	enum dsn_status	 status = DSN_TEMP;
	struct str	 reason = STR_INIT;

	if (why != NULL && *why != '\0') {
		str_set(&reason, why);
	} else {
		str_catf(&reason, "%s: %s", what, strerror(err));
	}
	if (err == EFBIG) {
		status = DSN_PERM;
		code = "5.2.2";
	} else if (err == EDQUOT) {
		code = "4.2.2";
	} else if (err == ENOSPC) {
		code = "4.3.0";
	}
	local_status_set(st, status, code, "%s for user %s. %s", prefix,
	    user, reason.s);
	str_free(&reason);
}

/* Decide where the mailbox is and as whom it is written: 0 or -1. */
static int
box_choose(const struct local *l, const struct local_rcpt *r,
    struct local_box *b, struct local_status *st)
{
	const char	*base;
	size_t		 n;

	b->uid = l->root ? r->uid : geteuid();
	b->gid = l->root ? r->gid : getegid();
	if (*l->home_mailbox != '\0') {
		if (*l->home_mailbox == '/') {
			local_status_set(st, DSN_TEMP, "4.3.5",
			    "home_mailbox %s: not a relative path",
			    l->home_mailbox);
			return -1;
		}
		if (!l->root && r->uid != geteuid()) {
			local_status_set(st, DSN_TEMP, "4.3.0",
			    "cannot deliver to the home directory of user "
			    "%s: local runs as uid %lu, not as root",
			    str_c(&r->user), (unsigned long)geteuid());
			return -1;
		}
		base = str_c(&r->home);
		str_set(&b->rel, l->home_mailbox);
	} else {
		base = l->mail_spool_directory;
		b->spool = true;
		str_set(&b->rel, str_c(&r->user));
		n = strlen(base);
		if (n > 0 && base[n - 1] == '/') {
			str_cat(&b->rel, "/");
		}
	}
	b->maildir = b->rel.len > 0 && b->rel.s[b->rel.len - 1] == '/';
	str_set(&b->path, base);
	if (b->path.len > 0 && b->path.s[b->path.len - 1] != '/') {
		str_cat(&b->path, "/");
	}
	str_cat(&b->path, b->rel.s);
	return 0;
}

/*
 * The parent's part: open and check the spool directory; as root, take
 * the dot lock and create a missing mailbox for the user.  0 or -1.
 */
static int
box_prepare(const struct local *l, const struct local_rcpt *r,
    struct local_box *b, struct local_status *st)
{
	struct str	 why = STR_INIT;
	struct stat	 sb;
	const char	*user = str_c(&r->user);
	bool		 locked;
	int		 fd, rc = -1;

	if (!b->spool) {
		return 0;
	}
	b->spoolfd = fd_open(l->mail_spool_directory, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC, 0);
	if (b->spoolfd == -1 || fstat(b->spoolfd, &sb) == -1) {
		local_status_set(st, DSN_TEMP, "4.3.0",
		    "mail_spool_directory %s: %s", l->mail_spool_directory,
		    strerror(errno));
		return -1;
	}
	/* Anyone could replace a mailbox in there: refuse it. */
	if ((sb.st_mode & S_IWOTH) && !(sb.st_mode & S_ISVTX)) {
		local_status_set(st, DSN_TEMP, "4.3.0",
		    "mail_spool_directory %s: world-writable without the "
		    "sticky bit", l->mail_spool_directory);
		return -1;
	}
	if (!l->root) {
		return 0;
	}
	if (b->maildir) {
		/*
		 * mkdir and chown under a lock on the spool directory: a
		 * second local that finds the directory made (EEXIST) must
		 * not go on before the first gave it to the user, or its
		 * delivery, as the user, could not enter a directory of root's
		 * (where no such lock can be had, it goes on without, as
		 * before)
		 */
		locked = flock(b->spoolfd, LOCK_EX) == 0;
		if (mkdirat(b->spoolfd, user, 0700) == -1) {
			if (errno == EEXIST) {
				rc = 0;
			} else {
				errno_status(st, errno,
				    "cannot update maildir", r, "mkdir",
				    NULL);
			}
			goto unlock;
		}
		fd = safeopen_dir(b->spoolfd, user, 0, 0, SAFEOPEN_ANY_OWNER,
		    &why);
		if (fd == -1 || fchown(fd, r->uid, r->gid) == -1) {
			errno_status(st, errno, "cannot update maildir", r,
			    "chown", why.s);
			if (fd != -1) {
				(void)close(fd);
			}
			goto unlock;
		}
		(void)close(fd);
		rc = 0;
unlock:
		if (locked) {
			(void)flock(b->spoolfd, LOCK_UN);
		}
		goto out;
	}
	if (mbox_dotlock(b->spoolfd, user, (time_t)l->stale_lock_time,
	    l->lock_attempts, l->lock_delay_ms) == 0) {
		b->parent_locked = true;
	} else if (errno == EACCES || errno == EPERM || errno == EROFS) {
		/* As Postfix: no dot lock where none can be made. */
		log_warn("%s%s: cannot create lock file", b->path.s,
		    MBOX_LOCK_SUFFIX);
	} else {
		str_catf(&why, "unable to create lock file %s%s: %s",
		    b->path.s, MBOX_LOCK_SUFFIX, strerror(errno));
		errno_status(st, errno, "cannot update mailbox", r, NULL,
		    why.s);
		goto out;
	}
	b->parent_prepared = true;
	fd = safeopen_file(b->spoolfd, user, O_WRONLY | O_CREAT | O_EXCL,
	    0600, SAFEOPEN_ANY_OWNER, NULL, &why);
	if (fd == -1 && errno != EEXIST) {
		errno_status(st, errno, "cannot update mailbox", r, NULL,
		    why.s);
		goto out;
	}
	if (fd != -1) {
		if (fchown(fd, r->uid, r->gid) == -1) {
			errno_status(st, errno, "cannot update mailbox", r,
			    "chown", NULL);
			(void)close(fd);
			(void)unlinkat(b->spoolfd, user, 0);
			goto out;
		}
		(void)close(fd);
	}
	rc = 0;
out:
	str_free(&why);
	return rc;
}

/* The mbox delivery, as the user (write_as_user, or write_here when not
 * root). */
static void
write_mbox(const struct local *l, const struct qfile *qf,
    const struct local_rcpt *r, const struct str *head,
    const struct local_box *b, struct local_status *st)
{
	static const char	 prefix[] = "cannot update mailbox";
	struct str		 why = STR_INIT, dir = STR_INIT;
	struct str		 all = STR_INIT, full = STR_INIT;
	const char		*leaf, *slash;
	int			 basefd = -1, dirfd = -1, fd = -1;
	bool			 locked = false;

	str_catf(&full, "%s %s", prefix, b->path.s);
	if (b->spool) {
		basefd = b->spoolfd;
	} else if ((basefd = fd_open(str_c(&r->home), O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC, 0)) == -1) {
		errno_status(st, errno, full.s, r, "home directory", NULL);
		goto out;
	}
	if ((slash = strrchr(b->rel.s, '/')) != NULL) {
		str_set_mem(&dir, b->rel.s, (size_t)(slash - b->rel.s));
		leaf = slash + 1;
	} else {
		leaf = b->rel.s;
	}
	if ((dirfd = safeopen_dir(basefd, str_c(&dir), 0, 0,
	    SAFEOPEN_ANY_OWNER, &why)) == -1) {
		errno_status(st, errno, full.s, r, NULL, why.s);
		goto out;
	}
	if (!b->parent_prepared) {
		if (mbox_dotlock(dirfd, leaf, (time_t)l->stale_lock_time,
		    l->lock_attempts, l->lock_delay_ms) == 0) {
			locked = true;
		} else if (errno == EACCES || errno == EPERM ||
		    errno == EROFS) {
			log_warn("%s%s: cannot create lock file", b->path.s,
			    MBOX_LOCK_SUFFIX);
		} else {
			str_catf(&why, "unable to create lock file %s%s: %s",
			    b->path.s, MBOX_LOCK_SUFFIX, strerror(errno));
			errno_status(st, errno, full.s, r, NULL, why.s);
			goto out;
		}
	}
	fd = safeopen_file(dirfd, leaf, O_WRONLY | O_APPEND |
	    (b->parent_prepared ? 0 : O_CREAT), 0600, b->uid, NULL, &why);
	if (fd == -1) {
		errno_status(st, errno, full.s, r, NULL, why.s);
		goto out;
	}
	if (mbox_lock(fd, l->lock_attempts, l->lock_delay_ms) == -1) {
		errno_status(st, errno, full.s, r,
		    "unable to lock for exclusive access", NULL);
		goto out;
	}
	mbox_from_line(&all, qf->sender, time(NULL));
	str_cat_mem(&all, head->s, head->len);
	if (mbox_append(fd, all.s, all.len, qf->fd, qf->content_offset,
	    qf->content_len) == -1) {
		errno_status(st, errno, full.s, r, "error writing message",
		    NULL);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		errno_status(st, errno, full.s, r, "close", NULL);
		goto out;
	}
	fd = -1;
	local_status_set(st, DSN_OK, "2.0.0", "delivered to mailbox");
out:
	if (fd != -1) {
		(void)close(fd);
	}
	if (locked && mbox_dotunlock(dirfd, leaf) == -1) {
		log_warn("remove %s%s", b->path.s, MBOX_LOCK_SUFFIX);
	}
	if (dirfd != -1) {
		(void)close(dirfd);
	}
	if (!b->spool && basefd != -1) {
		(void)close(basefd);
	}
	str_free(&why);
	str_free(&dir);
	str_free(&all);
	str_free(&full);
}

/*
 * The batch a Maildir delivery to b joins: l->batch, unless (as root) it
 * holds another user's deliveries, to be committed as that user; then
 * NULL, and this one commits by itself.
 */
static struct local_batch *
batch_for(const struct local *l, const struct local_rcpt *r,
    const struct local_box *b)
{
	struct local_batch	*lb = l->batch;

	if (lb == NULL || !l->root || lb->md.n == 0) {
		return lb;
	}
	/* (the name too: it gives the groups) */
	return lb->uid == b->uid && lb->gid == b->gid &&
	    str_eq(&lb->owner, str_c(&r->user)) ? lb : NULL;
}

/*
 * The Maildir delivery, as the user (as write_mbox); with a batch only
 * its write: its commit waits (see local.h).
 */
static void
write_maildir(const struct local *l, const struct qfile *qf,
    const struct local_rcpt *r, const struct str *head,
    const struct local_box *b, struct local_status *st)
{
	struct local_batch	*lb = batch_for(l, r, b);
	struct str	 why = STR_INIT, full = STR_INIT;
	int		 basefd = -1, mdfd = -1;

	str_catf(&full, "cannot update maildir %s", b->path.s);
	if (b->spool) {
		basefd = b->spoolfd;
	} else if ((basefd = fd_open(str_c(&r->home), O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC, 0)) == -1) {
		errno_status(st, errno, full.s, r, "home directory", NULL);
		goto out;
	}
	if ((mdfd = maildir_open(basefd, b->rel.s, true, b->uid,
	    &why)) == -1 ||
	    (lb != NULL ? maildir_write(&lb->md, mdfd, head->s, head->len,
	    qf->fd, qf->content_offset, qf->content_len, &why) :
	    maildir_deliver(mdfd, head->s, head->len, qf->fd,
	    qf->content_offset, qf->content_len, NULL, &why)) == -1) {
		errno_status(st, errno, full.s, r, NULL, why.s);
		goto out;
	}
	if (lb != NULL) {
		if (lb->md.n > lb->cap) {
			lb->cap = lb->md.cap;
			lb->user = xreallocarray(lb->user, lb->cap,
			    sizeof(*lb->user));
			lb->path = xreallocarray(lb->path, lb->cap,
			    sizeof(*lb->path));
		}
		if (lb->md.n == 1) {
			lb->uid = b->uid;
			lb->gid = b->gid;
			str_set(&lb->owner, str_c(&r->user));
		}
		lb->user[lb->md.n - 1] = (struct str)STR_INIT;
		str_set(&lb->user[lb->md.n - 1], str_c(&r->user));
		lb->path[lb->md.n - 1] = (struct str)STR_INIT;
		str_set(&lb->path[lb->md.n - 1], b->path.s);
	}
	local_status_set(st, DSN_OK, "2.0.0", "delivered to maildir");
out:
	if (mdfd != -1) {
		(void)close(mdfd);
	}
	if (!b->spool && basefd != -1) {
		(void)close(basefd);
	}
	str_free(&why);
	str_free(&full);
}

/* The delivery to b, mbox or Maildir, as the user. */
static void
write_box(const struct local *l, const struct qfile *qf,
    const struct local_rcpt *r, const struct str *head,
    const struct local_box *b, struct local_status *st)
{
	if (b->maildir) {
		write_maildir(l, qf, r, head, b, st);
	} else {
		write_mbox(l, qf, r, head, b, st);
	}
}

/*
 * Deliver in this process, as the user it is now (not root: the only
 * user it can write as; root: write_as_user).  mailbox_size_limit
 * becomes the soft file size limit for the delivery only (a write past
 * it fails with EFBIG; SIGXFSZ is ignored, main.c; lib/proc.h's
 * proc_fsize_limit).  Nothing is run here, so qmgr's descriptors need no
 * hiding.
 */
static void
write_here(const struct local *l, const struct qfile *qf,
    const struct local_rcpt *r, const struct str *head,
    const struct local_box *b, struct local_status *st)
{
	struct proc_fsize	fsize;

	if (proc_fsize_limit(l->mailbox_size_limit, &fsize) == -1) {
		local_status_set(st, DSN_TEMP, "4.3.0",
		    "cannot set the file size limit: %s", strerror(errno));
		return;
	}
	write_box(l, qf, r, head, b, st);
	proc_fsize_restore(&fsize);
}

/*
 * Root: write as the recipient, in this process, as Postfix's local does
 * (see the top of this file): the effective
 * ids and groups become the user's (local_assume) before anything of
 * theirs is opened, and root's again after.  Nothing is run here, so the
 * user's rights are those of the files this code opens, nothing else.
 */
static void
write_as_user(const struct local *l, const struct qfile *qf,
    const struct local_rcpt *r, const struct str *head,
    const struct local_box *b, struct local_status *st)
{
	struct local_id		 id = LOCAL_ID_INIT;

	id.uid = r->uid;
	id.gid = r->gid;
	str_set(&id.name, str_c(&r->user));
	if (local_assume(l, &id, st) == 0) {
		write_here(l, qf, r, head, b, st);
		local_resume(l);
	}
	local_id_free(&id);
}

void
local_mailbox(const struct local *l, const struct qfile *qf,
    const struct local_rcpt *r, const struct str *head,
    struct local_status *st)
{
	struct local_box	 b;

	memset(&b, 0, sizeof(b));
	b.spoolfd = -1;
	if (box_choose(l, r, &b, st) == -1 ||
	    box_prepare(l, r, &b, st) == -1) {
		goto out;
	}
	if (l->root) {
		write_as_user(l, qf, r, head, &b, st);
	} else {
		write_here(l, qf, r, head, &b, st);
	}
out:
	if (b.parent_locked && mbox_dotunlock(b.spoolfd,
	    str_c(&r->user)) == -1) {
		log_warn("remove %s%s", b.path.s, MBOX_LOCK_SUFFIX);
	}
	if (b.spoolfd != -1) {
		(void)close(b.spoolfd);
	}
	str_free(&b.rel);
	str_free(&b.path);
}

void
local_mailbox_commit(const struct local *l, struct local_batch *lb)
{
	struct local_id		 id = LOCAL_ID_INIT;
	struct local_status	 st = LOCAL_STATUS_INIT;

	if (!l->root) {
		(void)maildir_commit(&lb->md);
		return;
	}
	id.uid = lb->uid;
	id.gid = lb->gid;
	str_set(&id.name, str_c(&lb->owner));
	if (local_assume(l, &id, &st) == 0) {
		(void)maildir_commit(&lb->md);
		local_resume(l);
	} else {
		/* as root, then: it closes the files and removes what is
		 * ours in tmp/ (a name there only without O_TMPFILE),
		 * through the descriptors of the user's directories */
		(void)maildir_abort(&lb->md, EPERM, str_c(&st.text));
	}
	local_status_free(&st);
	local_id_free(&id);
}

void
local_mailbox_commit_status(const struct local_batch *lb, size_t i,
    struct local_status *st)
{
	const struct maildir_entry	*e = &lb->md.e[i];
	struct str			 full = STR_INIT;

	if (e->error == 0) {
		return;
	}
	str_catf(&full, "cannot update maildir %s", str_c(&lb->path[i]));
	user_errno_status(st, e->error, full.s, str_c(&lb->user[i]), NULL,
	    str_c(&e->why));
	str_free(&full);
}
