/* SPDX-License-Identifier: ISC */
/*
 * virtual_mailbox.c: delivery to a virtual mailbox, an mbox file or a
 * Maildir below virtual_mailbox_base, as Postfix's virtual(8).
 *
 * The delivery runs in this process, as Postfix's virtual does it: as
 * root, with the mailbox's uid and gid as the effective ids and that gid
 * as the only group (lib/priv's priv_assume) from before anything below
 * the base is opened until the delivery is done, then root's again
 * (priv_resume; the real and saved ids stay root's, so the mailbox's
 * owner can neither signal nor trace virtual meanwhile); and with
 * RLIMIT_FSIZE at virtual_mailbox_limit for the delivery only.  (A child
 * process per delivery, which earlier versions forked, cost more than
 * the delivery.)  Not root, the delivery runs as the instance's user.
 * The path is walked from the base with safeopen (no symbolic links),
 * creating missing directories (mode 0700, owned by the user, as Postfix
 * creates them), so the base itself must be searchable by the user and
 * the directories under it writable.
 *
 * mbox: the file is created (0600) when missing, must then be a regular
 * file with one link owned by the uid, and is locked with
 * virtual_mailbox_lock (a dot lock next to it, when the directory allows
 * one, then fcntl and/or flock); the message gets a From_ line, the
 * Return-Path etc. lines and ">From " quoting (lib/mbox), and a failed
 * write leaves the file as it was.  Maildir: tmp/, new/, cur/ are made
 * when missing (lib/maildir).
 *
 * Failures: EFBIG (virtual_mailbox_limit) bounces, 5.2.2, as Postfix;
 * everything else defers (4.2.2 quota, 4.3.0 disk full, 4.2.0 others).
 */
#include <sys/file.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"
#include "log.h"
#include "maildir.h"
#include "mbox.h"
#include "priv.h"
#include "proc.h"
#include "safeopen.h"
#include "str.h"
#include "virtual.h"

static void	fail(struct virtual_status *, int, const char *,
		    const struct virtual_box *, const char *, const char *);
static int	flock_take(int, int, int);
static void	deliver_mbox(const struct virtual *,
		    const struct virtual_box *, int, struct virtual_status *);
static void	deliver_maildir(const struct virtual_box *, int,
		    struct virtual_status *);
static void	deliver(const struct virtual *, const struct virtual_box *,
		    struct virtual_status *);
static void	deliver_limited(const struct virtual *,
		    const struct virtual_box *, struct virtual_status *);

/*
 * The status for a failure with errno err: "cannot update WHAT PATH for
 * user ADDRESS. REASON", reason why when given, else "step: strerror".
 */
static void
fail(struct virtual_status *st, int err, const char *what,
    const struct virtual_box *b, const char *step, const char *why)
{
	const char	*code = "4.2.0";
	enum dsn_status	 status = DSN_TEMP;

	if (err == EFBIG) {
		status = DSN_PERM;
		code = "5.2.2";
	} else if (err == EDQUOT) {
		code = "4.2.2";
	} else if (err == ENOSPC) {
		code = "4.3.0";
	}
	if (why != NULL && *why != '\0') {
		virtual_status_set(st, status, code, "cannot update %s %s for "
		    "user %s. %s", what, b->rel, b->address, why);
	} else {
		virtual_status_set(st, status, code, "cannot update %s %s for "
		    "user %s. %s: %s", what, b->rel, b->address, step,
		    strerror(err));
	}
}

/* flock(2) LOCK_EX, tried attempts times delay_ms apart: 0 or -1. */
static int
flock_take(int fd, int attempts, int delay_ms)
{
	struct timespec	ts;
	int		i;

	for (i = 0; i < attempts; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			return 0;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			return -1;
		}
		if (i + 1 < attempts) {
			ts.tv_sec = delay_ms / 1000;
			ts.tv_nsec = (long)(delay_ms % 1000) * 1000000L;
			(void)nanosleep(&ts, NULL);
		}
	}
	errno = EAGAIN;
	return -1;
}

static void
deliver_mbox(const struct virtual *v, const struct virtual_box *b,
    int basefd, struct virtual_status *st)
{
	struct str	 why = STR_INIT, dir = STR_INIT, all = STR_INIT;
	const char	*leaf, *slash;
	int		 dirfd = -1, fd = -1;
	bool		 locked = false;

	if ((slash = strrchr(b->rel, '/')) != NULL) {
		str_set_mem(&dir, b->rel, (size_t)(slash - b->rel));
		leaf = slash + 1;
	} else {
		str_set(&dir, "");
		leaf = b->rel;
	}
	if ((dirfd = safeopen_dir(basefd, dir.s, SAFEOPEN_CREATE, 0700,
	    SAFEOPEN_ANY_OWNER, &why)) == -1) {
		fail(st, errno, "mailbox", b, NULL, why.s);
		goto out;
	}
	if (v->lock & VIRTUAL_LOCK_DOTLOCK) {
		if (mbox_dotlock(dirfd, leaf, (time_t)v->stale_lock_time,
		    v->lock_attempts, v->lock_delay_ms) == 0) {
			locked = true;
		} else if (errno == EACCES || errno == EPERM ||
		    errno == EROFS) {
			/* as Postfix: no dot lock where none can be made */
			log_warn("%s/%s%s: cannot create lock file",
			    v->mailbox_base, b->rel, MBOX_LOCK_SUFFIX);
		} else {
			str_catf(&why, "unable to create lock file %s%s: %s",
			    b->rel, MBOX_LOCK_SUFFIX, strerror(errno));
			fail(st, errno, "mailbox", b, NULL, why.s);
			goto out;
		}
	}
	fd = safeopen_file(dirfd, leaf, O_WRONLY | O_APPEND | O_CREAT, 0600,
	    v->root ? b->uid : geteuid(), NULL, &why);
	if (fd == -1) {
		fail(st, errno, "mailbox", b, NULL, why.s);
		goto out;
	}
	if (((v->lock & VIRTUAL_LOCK_FCNTL) &&
	    mbox_lock(fd, v->lock_attempts, v->lock_delay_ms) == -1) ||
	    ((v->lock & VIRTUAL_LOCK_FLOCK) &&
	    flock_take(fd, v->lock_attempts, v->lock_delay_ms) == -1)) {
		fail(st, errno, "mailbox", b,
		    "unable to lock for exclusive access", NULL);
		goto out;
	}
	mbox_from_line(&all, b->qf->sender, time(NULL));
	str_cat_mem(&all, b->head->s, b->head->len);
	if (mbox_append(fd, all.s, all.len, b->qf->fd, b->qf->content_offset,
	    b->qf->content_len) == -1) {
		fail(st, errno, "mailbox", b, "error writing message", NULL);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		fail(st, errno, "mailbox", b, "close", NULL);
		goto out;
	}
	fd = -1;
	virtual_status_set(st, DSN_OK, "2.0.0", "delivered to mailbox");
out:
	if (fd != -1) {
		(void)close(fd);
	}
	if (locked && mbox_dotunlock(dirfd, leaf) == -1) {
		log_warn("remove %s/%s%s", v->mailbox_base, b->rel,
		    MBOX_LOCK_SUFFIX);
	}
	if (dirfd != -1) {
		(void)close(dirfd);
	}
	str_free(&why);
	str_free(&dir);
	str_free(&all);
}

static void
deliver_maildir(const struct virtual_box *b, int basefd,
    struct virtual_status *st)
{
	struct str	why = STR_INIT;
	int		mdfd;

	if ((mdfd = maildir_open(basefd, b->rel, true, SAFEOPEN_ANY_OWNER,
	    &why)) == -1 ||
	    maildir_deliver(mdfd, b->head->s, b->head->len, b->qf->fd,
	    b->qf->content_offset, b->qf->content_len, NULL, &why) == -1) {
		fail(st, errno, "maildir", b, NULL, why.s);
	} else {
		virtual_status_set(st, DSN_OK, "2.0.0",
		    "delivered to maildir");
	}
	if (mdfd != -1) {
		(void)close(mdfd);
	}
	str_free(&why);
}

/* The delivery, as the mailbox's user (or the instance's). */
static void
deliver(const struct virtual *v, const struct virtual_box *b,
    struct virtual_status *st)
{
	int	basefd;

	if ((basefd = fd_open(v->mailbox_base, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC, 0)) == -1) {
		virtual_status_set(st, DSN_TEMP, "4.3.0",
		    "virtual_mailbox_base %s: %s", v->mailbox_base,
		    strerror(errno));
		return;
	}
	if (b->maildir) {
		deliver_maildir(b, basefd, st);
	} else {
		deliver_mbox(v, b, basefd, st);
	}
	(void)close(basefd);
}

/*
 * deliver, with virtual_mailbox_limit as the soft file size limit for
 * the delivery only (a write past it fails with EFBIG; SIGXFSZ is
 * ignored, main.c; lib/proc.h's proc_fsize_limit).
 */
static void
deliver_limited(const struct virtual *v, const struct virtual_box *b,
    struct virtual_status *st)
{
	struct proc_fsize	fsize;

	if (proc_fsize_limit(v->mailbox_limit, &fsize) == -1) {
		virtual_status_set(st, DSN_TEMP, "4.3.0",
		    "cannot set the file size limit: %s", strerror(errno));
		return;
	}
	deliver(v, b, st);
	proc_fsize_restore(&fsize);
}

void
virtual_mailbox(const struct virtual *v, const struct virtual_box *b,
    struct virtual_status *st)
{
	if (*v->mailbox_base != '/') {
		virtual_status_set(st, DSN_TEMP, "4.3.5", "mail system "
		    "configuration error: virtual_mailbox_base \"%s\" is not "
		    "an absolute path", v->mailbox_base);
		return;
	}
	virtual_status_set(st, DSN_TEMP, "4.3.0", "delivery not attempted");
	if (!v->root) {
		deliver_limited(v, b, st);
		return;
	}
	/* the mailbox's ids, its gid the only group, until it is done */
	if (priv_assume(b->uid, b->gid, NULL, 0) == -1) {
		virtual_status_set(st, DSN_TEMP, "4.3.0",
		    "cannot become uid %lu: %s", (unsigned long)b->uid,
		    priv_error());
		/* priv_assume went back; if it could not, we must not go on */
		priv_resume_or_exit();
		return;
	}
	deliver_limited(v, b, st);
	priv_resume_or_exit();
}
