/* SPDX-License-Identifier: ISC */
/*
 * postlet_queue.c: the queue tools of postlet, which do what Postfix's
 * postqueue -p/-j, postcat -q and postsuper -d/-h/-H/-r do:
 *
 *	postlet queue [-j]		list the queue (mailq), or JSON lines
 *	postlet show ID			envelope and content of one message
 *	postlet delete ID|ALL [QUEUE]	remove messages
 *	postlet hold ID|ALL [QUEUE]	park messages in hold/
 *	postlet release ID|ALL		hold/ back to deferred/
 *	postlet requeue ID|ALL [QUEUE]	back to incoming/, scheduled at once
 *
 * They read and move queue files directly, so they need the rights of
 * mail_owner (or root).  Anyone else may list the queue, as with Postfix's
 * postqueue -p: `postlet queue [-j]' then runs "$daemon_directory/postdrop
 * -q [-j]", the setgid program that may ask master's showq service
 * (lib/qlist.h prints the same listing either way).  show, delete, hold,
 * release and requeue stay with root and mail_owner, as postcat and
 * postsuper do.  Moves are durable (rename, then fsync of both
 * directories).  A file that does not parse is reported as corrupt,
 * never guessed at.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "conf.h"
#include "durable.h"
#include "fd.h"
#include "log.h"
#include "postlet.h"
#include "priv.h"
#include "qfile.h"
#include "qlist.h"
#include "str.h"
#include "wake.h"

/*
 * Whether we may read the queue ourselves: root, or the owner of
 * incoming/ (mail_owner; in non-root mode the instance's user) when it
 * also lets us in.  A queue that is not there yet counts as ours, so the
 * direct path reports what is wrong with it.
 */
bool
postlet_queue_owner(const char *queue_dir)
{
	struct str	path = STR_INIT;
	struct stat	st;
	bool		mine = true;

	if (priv_is_root()) {
		return true;
	}
	str_catf(&path, "%s/%s", queue_dir, QFILE_INCOMING);
	if (stat(path.s, &st) == -1) {
		mine = errno != EACCES;
	} else if (st.st_uid != geteuid() ||
	    (faccessat(AT_FDCWD, path.s, R_OK | X_OK, AT_EACCESS) == -1 &&
	    errno == EACCES)) {
		mine = false;
	}
	str_free(&path);
	return mine;
}

void
postlet_exec_postdrop(const char *mode, const char *mode2)
{
	struct str	 path = STR_INIT;
	char		*argv[8];
	size_t		 argc = 0;

	str_catf(&path, "%s/postdrop", conf_value("daemon_directory"));
	/* writable copies: execv's argv is char *const [] */
	argv[argc++] = xstrdup("postdrop");
	if (strcmp(postlet_config_dir, POSTLET_SYSCONFDIR) != 0) {
		argv[argc++] = xstrdup("-c");
		argv[argc++] = xstrdup(postlet_config_dir);
	}
	if (log_verbose > 0) {
		argv[argc++] = xstrdup("-v");
	}
	argv[argc++] = xstrdup(mode);
	if (mode2 != NULL) {
		argv[argc++] = xstrdup(mode2);
	}
	argv[argc] = NULL;
	log_debug("not the queue's owner: running %s %s", path.s, mode);
	execv(path.s, argv);
	fatal(EX_UNAVAILABLE, "execute %s", path.s);
}

/* Open queue_dir/queue/id; 0, or -1 with the reason in qf->error. */
static int
queue_open(const char *queue_dir, const char *queue, const char *id,
    struct qfile *qf)
{
	struct str	path = STR_INIT;
	int		rc;

	str_catf(&path, "%s/%s/%s", queue_dir, queue, id);
	rc = qfile_open(path.s, O_RDONLY, qf);
	str_free(&path);
	return rc;
}

static int
queue_write(struct str *out)
{
	if (fd_write_all(1, str_c(out), out->len) == -1) {
		log_warn("write to standard output");
		str_clear(out);
		return -1;
	}
	str_clear(out);
	return 0;
}

/* postlet queue [-j]: ourselves when we may, else through showq. */
static int
queue_list(const char *queue_dir, bool json)
{
	int	rc;

	if (!postlet_queue_owner(queue_dir)) {
		postlet_exec_postdrop("-q", json ? "-j" : NULL);
	}
	rc = qlist_print(queue_dir, json, 1);
	return (rc & QLIST_WRITE) != 0 ? EX_IOERR :
	    (rc & QLIST_UNREADABLE) != 0 ? EX_NOPERM : 0;
}

/* Which queue holds id: its name, or NULL (errno ENOENT). */
static const char *
queue_find(const char *queue_dir, const char *id)
{
	struct str	path = STR_INIT;
	int		k;

	for (k = 0; qlist_queues[k] != NULL; k++) {
		str_clear(&path);
		str_catf(&path, "%s/%s/%s", queue_dir, qlist_queues[k], id);
		if (access(path.s, F_OK) == 0) {
			str_free(&path);
			return qlist_queues[k];
		}
	}
	str_free(&path);
	errno = ENOENT;
	return NULL;
}

/* postlet show ID: like postcat -q. */
static int
queue_show(const char *queue_dir, const char *id)
{
	struct qfile	 qf = QFILE_INIT;
	struct str	 out = STR_INIT, date = STR_INIT, nt = STR_INIT;
	const char	*queue;
	char		 chunk[8192];
	off_t		 off, left;
	ssize_t		 n;
	size_t		 i;
	int		 status = 0;

	if (!qid_valid(id) || (queue = queue_find(queue_dir, id)) == NULL) {
		log_error("%s: no such message in the queue", id);
		return EX_NOINPUT;
	}
	if (queue_open(queue_dir, queue, id, &qf) == -1) {
		log_error("%s/%s: %s", queue, id, str_c(&qf.error));
		qfile_close(&qf);
		return errno == EBADMSG ? EX_DATAERR : EX_NOPERM;
	}
	qlist_date(qf.arrival_sec, &date);
	str_catf(&out, "*** ENVELOPE RECORDS %s/%s ***\n", queue, id);
	str_catf(&out, "message_size: %lld\n", (long long)qf.content_len);
	str_catf(&out, "arrival_time: %s (%lld.%06ld)\n", date.s,
	    qf.arrival_sec, qf.arrival_usec);
	str_catf(&out, "sender: %s\n", qf.sender);
	for (i = 0; i < qf.nattr; i++) {
		str_catf(&out, "named_attribute: %s=%s\n", qf.attrs[i].name,
		    qf.attrs[i].value);
	}
	for (i = 0; i < qf.nrcpt; i++) {
		str_clear(&nt);
		(void)qfile_notify_format(qf.rcpts[i].notify, &nt);
		str_catf(&out, "recipient: %s (%s)", qf.rcpts[i].address,
		    qf.rcpts[i].status == QFILE_DONE ? "delivered" :
		    qf.rcpts[i].status == QFILE_FAILED ? "failed" :
		    qf.rcpts[i].status == QFILE_WARNED ?
		    "pending, delay notice sent" : "pending");
		if (qf.rcpts[i].notify != 0) {
			str_catf(&out, " notify=%s", nt.s);
		}
		if (qf.rcpts[i].orcpt != NULL) {
			str_catf(&out, " orcpt=%s", qf.rcpts[i].orcpt);
		}
		str_cat_char(&out, '\n');
	}
	str_catf(&out, "*** MESSAGE CONTENTS %s/%s ***\n", queue, id);
	if (queue_write(&out) == -1) {
		status = EX_IOERR;
		goto out;
	}
	/* The content, streamed: it may be as large as the size limit. */
	for (off = qf.content_offset, left = qf.content_len; left > 0;
	    off += n, left -= n) {
		n = pread(qf.fd, chunk, left < (off_t)sizeof(chunk) ?
		    (size_t)left : sizeof(chunk), off);
		if (n <= 0) {
			log_warn("%s/%s: read", queue, id);
			status = EX_IOERR;
			goto out;
		}
		if (fd_write_all(1, chunk, (size_t)n) == -1) {
			log_warn("write to standard output");
			status = EX_IOERR;
			goto out;
		}
	}
	str_catf(&out, "*** MESSAGE FILE END %s/%s ***\n", queue, id);
	if (queue_write(&out) == -1) {
		status = EX_IOERR;
	}
out:
	qfile_close(&qf);
	str_free(&out);
	str_free(&date);
	str_free(&nt);
	return status;
}

enum queue_action { ACT_DELETE, ACT_HOLD, ACT_RELEASE, ACT_REQUEUE };

/* Do action to queue_dir/queue/id; 0, or -1 with the reason logged. */
static int
queue_act_one(const char *queue_dir, const char *queue, const char *id,
    enum queue_action act)
{
	struct str	path = STR_INIT, dir = STR_INIT;
	const char	*logs[] = { "defer", "bounce", NULL };
	int		rc = 0, k;

	switch (act) {
	case ACT_DELETE:
		str_catf(&dir, "%s/%s", queue_dir, queue);
		str_catf(&path, "%s/%s", dir.s, id);
		if (unlink(path.s) == -1 || durable_fsync_dir(dir.s) == -1) {
			log_warn("%s/%s: remove", queue, id);
			rc = -1;
			break;
		}
		for (k = 0; logs[k] != NULL; k++) {
			str_clear(&path);
			str_catf(&path, "%s/%s/%s", queue_dir, logs[k], id);
			if (unlink(path.s) == -1 && errno != ENOENT) {
				log_warn("%s/%s: remove", logs[k], id);
			}
		}
		log_info("%s: removed", id);
		break;
	case ACT_HOLD:
		if (strcmp(queue, QFILE_HOLD) == 0) {
			break;
		}
		if ((rc = qfile_move(queue_dir, id, queue, QFILE_HOLD)) == -1) {
			log_warn("%s/%s: move to hold", queue, id);
		} else {
			log_info("%s: placed on hold", id);
		}
		break;
	case ACT_RELEASE:
		if (strcmp(queue, QFILE_HOLD) != 0) {
			break;
		}
		/* The modification time is the next attempt: now. */
		str_catf(&path, "%s/%s/%s", queue_dir, queue, id);
		(void)utimensat(AT_FDCWD, path.s, NULL, 0);
		if ((rc = qfile_move(queue_dir, id, queue,
		    QFILE_DEFERRED)) == -1) {
			log_warn("%s/%s: release", queue, id);
		} else {
			log_info("%s: released from hold", id);
		}
		break;
	case ACT_REQUEUE:
		if (strcmp(queue, QFILE_INCOMING) == 0) {
			break;
		}
		if ((rc = qfile_move(queue_dir, id, queue,
		    QFILE_INCOMING)) == -1) {
			log_warn("%s/%s: requeue", queue, id);
		} else {
			log_info("%s: requeued", id);
		}
		break;
	}
	str_free(&path);
	str_free(&dir);
	return rc;
}

/* postlet delete|hold|release|requeue ID|ALL [QUEUE] */
static int
queue_act(const char *queue_dir, enum queue_action act, const char *what,
    const char *only)
{
	struct qlist_ids	 q;
	const char		*queue;
	size_t			 i;
	int			 k, status = 0, done = 0;

	if (only != NULL) {
		for (k = 0; qlist_queues[k] != NULL; k++) {
			if (strcmp(only, qlist_queues[k]) == 0) {
				break;
			}
		}
		if (qlist_queues[k] == NULL) {
			log_error("%s: not a queue (incoming, active, "
			    "deferred or hold)", only);
			return EX_USAGE;
		}
	}
	if (strcmp(what, "ALL") != 0) {
		if (!qid_valid(what)) {
			log_error("%s: not a queue ID", what);
			return EX_USAGE;
		}
		queue = only;
		if (queue == NULL &&
		    (queue = queue_find(queue_dir, what)) == NULL) {
			log_error("%s: no such message in the queue", what);
			return EX_NOINPUT;
		}
		if (queue_act_one(queue_dir, queue, what, act) == -1) {
			return EX_NOPERM;
		}
		done = 1;
	} else {
		for (k = 0; qlist_queues[k] != NULL; k++) {
			if (only != NULL && strcmp(only, qlist_queues[k]) != 0) {
				continue;
			}
			if (qlist_scan(queue_dir, qlist_queues[k], &q) == -1) {
				log_warn("%s/%s", queue_dir, qlist_queues[k]);
				status = EX_NOPERM;
				continue;
			}
			for (i = 0; i < q.n; i++) {
				if (queue_act_one(queue_dir, qlist_queues[k],
				    q.ids[i], act) == -1) {
					status = EX_NOPERM;
				} else {
					done++;
				}
			}
			qlist_ids_free(&q);
		}
	}
	if (done > 0 && (act == ACT_RELEASE || act == ACT_REQUEUE)) {
		(void)wake_up(queue_dir, "qmgr");
	}
	return status;
}

int
postlet_queue(int argc, char *argv[])
{
	const char	*cmd = argv[0], *queue_dir;
	bool		 json = false;
	int		 ch;

	while ((ch = getopt(argc, argv, "j")) != -1) {
		if (ch == 'j' && strcmp(cmd, "queue") == 0) {
			json = true;
			continue;
		}
		goto usage;
	}
	argc -= optind;
	argv += optind;
	queue_dir = conf_value("queue_directory");
	if (strcmp(cmd, "queue") == 0) {
		if (argc != 0) {
			goto usage;
		}
		return queue_list(queue_dir, json);
	}
	if (!postlet_queue_owner(queue_dir)) {
		log_error("%s: permission denied: only root and the mail "
		    "system's owner (mail_owner) may %s queued messages; "
		    "anyone may list them with postlet queue or mailq", cmd,
		    strcmp(cmd, "show") == 0 ? "read" : "change");
		return EX_NOPERM;
	}
	if (strcmp(cmd, "show") == 0) {
		if (argc != 1) {
			goto usage;
		}
		return queue_show(queue_dir, argv[0]);
	}
	if (argc < 1 || argc > 2 ||
	    (strcmp(cmd, "release") == 0 && argc != 1)) {
		goto usage;
	}
	if (strcmp(cmd, "delete") == 0) {
		return queue_act(queue_dir, ACT_DELETE, argv[0], argv[1]);
	}
	if (strcmp(cmd, "hold") == 0) {
		return queue_act(queue_dir, ACT_HOLD, argv[0], argv[1]);
	}
	if (strcmp(cmd, "release") == 0) {
		return queue_act(queue_dir, ACT_RELEASE, argv[0], NULL);
	}
	if (strcmp(cmd, "requeue") == 0) {
		return queue_act(queue_dir, ACT_REQUEUE, argv[0], argv[1]);
	}
usage:
	log_error("usage: postlet queue [-j] | show ID | delete ID|ALL [QUEUE] "
	    "| hold ID|ALL [QUEUE] | release ID|ALL | requeue ID|ALL [QUEUE]");
	return EX_USAGE;
}
