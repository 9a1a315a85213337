/* SPDX-License-Identifier: ISC */
/*
 * master_queue.c: the queue directory as master leaves it at every start
 * (the table in docs/master.8 and docs/queue.5):
 *
 *	queue_directory	root		0755
 *	maildrop	mail_owner:setgid_group	1770
 *	public		mail_owner:setgid_group	0710
 *	pid		root		0755
 *	tmp incoming active deferred hold corrupt defer bounce
 *			mail_owner	0700
 *	public/qmgr public/pickup (FIFOs)
 *			mail_owner	0622
 *
 * Missing entries are created; existing ones get their owner and mode
 * fixed when they differ (as root; a non-root master fixes only modes of
 * what it owns, and everything is its own).  Nothing is ever removed: an
 * entry of the wrong kind (a file where a directory belongs, a symbolic
 * link anywhere) is fatal, for the administrator to look at.  Entries are
 * opened with O_NOFOLLOW and changed through the descriptor (fchown,
 * fchmod), so a link swapped in between cannot redirect the change.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "durable.h"
#include "log.h"
#include "priv.h"
#include "qfile.h"
#include "str.h"
#include "master.h"

/* Who owns an entry. */
enum queue_owner {
	OWN_ROOT,	/* root (or the running user) */
	OWN_MAIL,	/* mail_owner and its group */
	OWN_MAIL_GROUP	/* mail_owner and setgid_group */
};

struct queue_entry {
	const char		*name;
	enum queue_owner	 owner;
	mode_t			 mode;
};

/* In creation order: public before its FIFOs. */
static const struct queue_entry queue_dirs[] = {
	{ QFILE_MAILDROP, OWN_MAIL_GROUP, 01770 },
	{ QFILE_TMP, OWN_MAIL, 0700 },
	{ QFILE_INCOMING, OWN_MAIL, 0700 },
	{ QFILE_ACTIVE, OWN_MAIL, 0700 },
	{ QFILE_DEFERRED, OWN_MAIL, 0700 },
	{ QFILE_HOLD, OWN_MAIL, 0700 },
	{ QFILE_CORRUPT, OWN_MAIL, 0700 },
	{ "defer", OWN_MAIL, 0700 },
	{ "bounce", OWN_MAIL, 0700 },
	{ "public", OWN_MAIL_GROUP, 0710 },
	{ "pid", OWN_ROOT, 0755 },
};

static const struct queue_entry queue_fifos[] = {
	{ "public/qmgr", OWN_MAIL, 0622 },
	{ "public/pickup", OWN_MAIL, 0622 },
	/* in_flow_delay's tokens (lib/flow.h): qmgr's and cleanup's only */
	{ "public/flow", OWN_MAIL, 0600 },
};

static void	queue_fix(const struct master *, const char *, int,
		    const struct queue_entry *, bool, bool);

/*
 * Give the open entry fd (path, for messages) its owner and mode.  fifo
 * says what kind it must be; changes to an entry that existed before
 * (not created) are logged.  Fatal on a wrong kind or a failed change.
 */
static void
queue_fix(const struct master *m, const char *path, int fd,
    const struct queue_entry *e, bool fifo, bool created)
{
	struct stat	st;
	uid_t		uid;
	gid_t		gid;

	if (fstat(fd, &st) == -1) {
		fatal(EX_OSERR, "fstat %s", path);
	}
	if (fifo ? !S_ISFIFO(st.st_mode) : !S_ISDIR(st.st_mode)) {
		fatalx(EX_CANTCREAT, "%s: not a %s; move it away", path,
		    fifo ? "FIFO" : "directory");
	}
	if (m->root) {
		uid = e->owner == OWN_ROOT ? 0 : m->owner_uid;
		gid = e->owner == OWN_ROOT ? 0 : e->owner == OWN_MAIL_GROUP ?
		    m->group_gid : m->owner_gid;
		if (st.st_uid != uid || st.st_gid != gid) {
			if (fchown(fd, uid, gid) == -1) {
				fatal(EX_OSERR, "chown %s", path);
			}
			if (!created) {
				log_info("%s: owner set to %lu:%lu", path,
				    (unsigned long)uid, (unsigned long)gid);
			}
		}
	} else if (st.st_uid != geteuid()) {
		log_warnx("%s: owned by uid %lu, not by us (uid %lu)", path,
		    (unsigned long)st.st_uid, (unsigned long)geteuid());
		return;
	}
	if ((st.st_mode & 07777) != e->mode) {
		if (fchmod(fd, e->mode) == -1) {
			fatal(EX_OSERR, "chmod %s", path);
		}
		if (!created) {
			log_info("%s: mode %04o set to %04o", path,
			    (unsigned)(st.st_mode & 07777),
			    (unsigned)e->mode);
		}
	}
}

void
master_queue_ids(struct master *m)
{
	m->root = priv_is_root();
	if (m->root) {
		if (priv_lookup(m->mail_owner, &m->owner_uid, &m->owner_gid,
		    NULL) == -1) {
			fatalx(EX_CONFIG, "mail_owner %s: %s", m->mail_owner,
			    priv_error());
		}
		if (m->owner_uid == 0) {
			fatalx(EX_CONFIG, "mail_owner %s: must not be root",
			    m->mail_owner);
		}
		if (priv_lookup_group(m->setgid_group, &m->group_gid) == -1) {
			fatalx(EX_CONFIG, "setgid_group %s: %s",
			    m->setgid_group, priv_error());
		}
	} else {
		m->owner_uid = geteuid();
		m->owner_gid = getegid();
		m->group_gid = getegid();
	}
}

void
master_queue_setup(struct master *m)
{
	static const struct queue_entry	 top = { "", OWN_ROOT, 0755 };
	struct str			 path = STR_INIT;
	size_t				 i;
	int				 fd, flags;
	bool				 created;

	flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	created = mkdir(m->queue_dir, 0700) == 0;
	if (!created && errno != EEXIST) {
		fatal(EX_CANTCREAT, "mkdir %s", m->queue_dir);
	}
	if ((fd = open(m->queue_dir, flags)) == -1) {
		fatal(EX_CANTCREAT, "open %s", m->queue_dir);
	}
	queue_fix(m, m->queue_dir, fd, &top, false, created);
	(void)close(fd);
	for (i = 0; i < sizeof(queue_dirs) / sizeof(queue_dirs[0]); i++) {
		str_clear(&path);
		str_catf(&path, "%s/%s", m->queue_dir, queue_dirs[i].name);
		/* 0700 until fixed below: never briefly too open */
		created = mkdir(path.s, 0700) == 0;
		if (!created && errno != EEXIST) {
			fatal(EX_CANTCREAT, "mkdir %s", path.s);
		}
		if ((fd = open(path.s, flags)) == -1) {
			fatal(EX_CANTCREAT, "open %s", path.s);
		}
		queue_fix(m, path.s, fd, &queue_dirs[i], false, created);
		(void)close(fd);
	}
	for (i = 0; i < sizeof(queue_fifos) / sizeof(queue_fifos[0]); i++) {
		str_clear(&path);
		str_catf(&path, "%s/%s", m->queue_dir, queue_fifos[i].name);
		created = mkfifo(path.s, 0600) == 0;
		if (!created && errno != EEXIST) {
			fatal(EX_CANTCREAT, "mkfifo %s", path.s);
		}
		/* O_NONBLOCK: opening a FIFO to read does not wait for a
		 * writer; O_NOFOLLOW: never through a planted link. */
		if ((fd = open(path.s, O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
		    O_CLOEXEC)) == -1) {
			fatal(EX_CANTCREAT, "open %s", path.s);
		}
		queue_fix(m, path.s, fd, &queue_fifos[i], true, created);
		(void)close(fd);
	}
	str_free(&path);
}

void
master_queue_clean(const struct master *m)
{
	struct str	path = STR_INIT;
	int		n;

	str_catf(&path, "%s/%s", m->queue_dir, QFILE_TMP);
	/* durable_clean_tmp logs each file it removes */
	n = durable_clean_tmp(path.s, MASTER_TMP_MAX_AGE, time(NULL));
	if (n == -1) {
		log_warn("clean %s", path.s);
	}
	str_free(&path);
}
