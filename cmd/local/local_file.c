/* SPDX-License-Identifier: ISC */
/*
 * local_file.c: delivery to a file named in an alias, :include: or
 * .forward file ("/path"), as Postfix's local does it.
 *
 * The delivery runs in a child that has become the right user
 * (local_child), so the kernel's permission checks are those of that
 * user.  A name ending in '/' is a Maildir (made when missing, lib/
 * maildir); any other is an mbox file, appended to as the mailbox is: a
 * dot lock next to it when the directory allows one, an fcntl lock, a
 * From_ line, Return-Path and Delivered-To, >From quoting, an empty line,
 * fsync, and a failed append truncated back (lib/mbox).  The directory
 * of the file is opened as named; the file itself is opened with
 * O_NOFOLLOW and must be a regular file with one link.  /dev/null takes
 * the message without anything written, as in Postfix.
 *
 * Failures: the file's size limit (EFBIG) bounces 5.2.2; errors that
 * will not go away by waiting (permission, a missing directory, a
 * symbolic link, not a regular file) bounce 5.2.0, as in Postfix; a full
 * disk (4.3.0), a quota (4.2.2), a lock held by another and every other
 * error defer.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fd.h"
#include "local.h"
#include "log.h"
#include "maildir.h"
#include "mbox.h"
#include "safeopen.h"
#include "str.h"

/* What the child needs (borrowed). */
struct file_job {
	const struct local_env	*env;
	const char		*path;
};

static void	file_status(struct local_status *, int, const char *,
		    const char *);
static void	file_child(const struct local *, void *,
		    struct local_status *);

static void
file_status(struct local_status *st, int err, const char *path,
    const char *why)
{
	enum dsn_status	 status = DSN_TEMP;
	const char	*code = "4.2.0";

	switch (err) {
	case EFBIG:
		status = DSN_PERM;
		code = "5.2.2";
		break;
	case EDQUOT:
		code = "4.2.2";
		break;
	case ENOSPC:
		code = "4.3.0";
		break;
	case EACCES:
	case EPERM:
	case ENOENT:
	case ENOTDIR:
	case EISDIR:
	case ELOOP:
	case EINVAL:
		status = DSN_PERM;
		code = "5.2.0";
		break;
	default:
		break;
	}
	local_status_set(st, status, code, "cannot append message to file "
	    "%s: %s", path, why != NULL && *why != '\0' ? why :
	    strerror(err));
}

static void
file_child(const struct local *l, void *arg, struct local_status *st)
{
	const struct file_job	*job = arg;
	const struct local_env	*env = job->env;
	const struct qfile	*qf = env->qf;
	struct str		 dir = STR_INIT, why = STR_INIT;
	struct str		 all = STR_INIT;
	const char		*slash, *leaf;
	size_t			 len = strlen(job->path);
	int			 dirfd = -1, fd = -1, mdfd = -1;
	bool			 locked = false, maildir;

	maildir = len > 1 && job->path[len - 1] == '/';
	/* the directory that holds the file (or the Maildir) */
	str_set_mem(&dir, job->path, maildir ? len - 1 : len);
	slash = strrchr(dir.s, '/');
	leaf = slash + 1;
	str_truncate(&dir, (size_t)(slash - dir.s));
	if (*leaf == '\0' || !safeopen_name_ok(leaf)) {
		local_status_set(st, DSN_PERM, "5.2.0",
		    "cannot append message to file %s: bad file name",
		    job->path);
		goto out;
	}
	if ((dirfd = fd_open(dir.len == 0 ? "/" : dir.s, O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC, 0)) == -1) {
		file_status(st, errno, job->path, NULL);
		goto out;
	}
	if (maildir) {
		if ((mdfd = maildir_open(dirfd, leaf, true,
		    SAFEOPEN_ANY_OWNER, &why)) == -1 ||
		    maildir_deliver(mdfd, env->head->s, env->head->len,
		    qf->fd, qf->content_offset, qf->content_len, NULL,
		    &why) == -1) {
			file_status(st, errno, job->path, why.s);
			goto out;
		}
		local_status_set(st, DSN_OK, "2.0.0",
		    "delivered to maildir: %s", job->path);
		goto out;
	}
	if (mbox_dotlock(dirfd, leaf, (time_t)l->stale_lock_time,
	    l->lock_attempts, l->lock_delay_ms) == 0) {
		locked = true;
	} else if (errno != EACCES && errno != EPERM && errno != EROFS) {
		str_catf(&why, "unable to create lock file %s%s: %s",
		    job->path, MBOX_LOCK_SUFFIX, strerror(errno));
		local_status_set(st, DSN_TEMP, "4.2.0", "cannot append "
		    "message to file %s: %s", job->path, why.s);
		goto out;
	}
	if ((fd = safeopen_file(dirfd, leaf, O_WRONLY | O_APPEND | O_CREAT,
	    0600, SAFEOPEN_ANY_OWNER, NULL, &why)) == -1) {
		file_status(st, errno, job->path, why.s);
		goto out;
	}
	if (mbox_lock(fd, l->lock_attempts, l->lock_delay_ms) == -1) {
		local_status_set(st, DSN_TEMP, "4.2.0", "cannot append "
		    "message to file %s: unable to lock for exclusive "
		    "access: %s", job->path, strerror(errno));
		goto out;
	}
	mbox_from_line(&all, qf->sender, time(NULL));
	str_cat_mem(&all, env->head->s, env->head->len);
	if (mbox_append(fd, all.s, all.len, qf->fd, qf->content_offset,
	    qf->content_len) == -1) {
		file_status(st, errno, job->path, NULL);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		file_status(st, errno, job->path, NULL);
		goto out;
	}
	fd = -1;
	local_status_set(st, DSN_OK, "2.0.0", "delivered to file: %s",
	    job->path);
out:
	if (fd != -1) {
		(void)close(fd);
	}
	if (mdfd != -1) {
		(void)close(mdfd);
	}
	if (locked && mbox_dotunlock(dirfd, leaf) == -1) {
		log_warn("remove %s%s", job->path, MBOX_LOCK_SUFFIX);
	}
	if (dirfd != -1) {
		(void)close(dirfd);
	}
	str_free(&dir);
	str_free(&why);
	str_free(&all);
}

void
local_file(const struct local *l, const struct local_env *env,
    const struct local_id *id, const char *path, struct local_status *st)
{
	struct file_job	job;

	if (strcmp(path, "/dev/null") == 0) {
		local_status_set(st, DSN_OK, "2.0.0",
		    "delivered to file: /dev/null");
		return;
	}
	job.env = env;
	job.path = path;
	local_child(l, id, file_child, &job, st);
}
