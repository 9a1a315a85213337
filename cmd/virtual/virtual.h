/* SPDX-License-Identifier: ISC */
/*
 * virtual.h: the virtual delivery agent's private interface
 * (docs/virtual.8).
 *
 * virtual delivers mail for virtual_mailbox_domains as Postfix's
 * virtual(8): the recipient is looked up in virtual_mailbox_maps
 * (user+ext@domain, user@domain, then the @domain catch-all), the value
 * is a mailbox path below virtual_mailbox_base (a trailing '/' means a
 * Maildir, anything else an mbox file), and the owner comes from
 * virtual_uid_maps and virtual_gid_maps (same keys; static:N answers
 * every key).  The delivery itself runs with that uid and gid (and no
 * other group) as the process's effective ids, taken before it touches
 * anything below the base and given back after; uids below
 * virtual_minimum_uid are refused.  Not root (non-root mode), it keeps
 * the instance's identity and the maps' uid and gid are only checked.
 */
#ifndef VIRTUAL_H
#define VIRTUAL_H

#include <sys/types.h>

#include <stdbool.h>

#include "agent.h"
#include "buf.h"
#include "dsn.h"
#include "map.h"
#include "qfile.h"
#include "str.h"

/* virtual_mailbox_lock methods. */
#define VIRTUAL_LOCK_FCNTL	0x1
#define VIRTUAL_LOCK_FLOCK	0x2
#define VIRTUAL_LOCK_DOTLOCK	0x4

/* The configuration virtual works with (strings borrowed from conf). */
struct virtual {
	const char		*queue_directory;
	const char		*mailbox_base;
	const char		*recipient_delimiter;
	struct map_list		*mailbox_maps;
	struct map_list		*uid_maps;
	struct map_list		*gid_maps;
	/* why a list could not be opened (deliveries then defer) */
	struct str		 maps_error;
	unsigned long long	 minimum_uid;
	unsigned long long	 mailbox_limit;
	/* VIRTUAL_LOCK_* */
	int			 lock;
	long long		 stale_lock_time;
	int			 lock_attempts;
	int			 lock_delay_ms;
	bool			 enable_original_recipient;
	/* started as root: deliveries switch to the mapped uid and gid */
	bool			 root;
};

/* One delivery's outcome. */
struct virtual_status {
	enum dsn_status	 status;
	char		 code[16];
	struct str	 text;
};

/* Set st (replacing what was there). */
void	virtual_status_set(struct virtual_status *st, enum dsn_status status,
	    const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* What a mailbox delivery needs. */
struct virtual_box {
	/* the recipient, for messages */
	const char		*address;
	/* the path below virtual_mailbox_base, as in the map */
	const char		*rel;
	bool			 maildir;
	uid_t			 uid;
	gid_t			 gid;
	const struct qfile	*qf;
	/* Return-Path, X-Original-To, Delivered-To */
	const struct str	*head;
};

/* Deliver one job (an agent_job_fn; ctx is the struct virtual). */
void	virtual_job(const struct agent_job *job, struct buf *out, void *ctx);

/*
 * Deliver to the mailbox of b, in this process, with b's uid and gid as
 * its effective ids when root (virtual_mailbox.c); the outcome goes to
 * st.
 */
void	virtual_mailbox(const struct virtual *, const struct virtual_box *b,
	    struct virtual_status *st);

#endif
