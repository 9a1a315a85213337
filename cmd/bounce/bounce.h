/* SPDX-License-Identifier: ISC */
/*
 * bounce.h: private interface of bounce(8), which makes the RFC 3464
 * delivery status notifications of one queued message.
 *
 * main.c reads the command line and the configuration; bounce.c decides
 * who gets which notice (NOTIFY, the null sender, notify_classes);
 * bounce_log.c reads the per-recipient logs bounce/ID and defer/ID;
 * bounce_compose.c writes a notice (multipart/report); bounce_submit.c
 * hands it to cleanup.  Nothing here changes the queue file or the logs:
 * qmgr does that once bounce has exited 0.
 */
#ifndef POSTLET_BOUNCE_H
#define POSTLET_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "dsn.h"
#include "qfile.h"
#include "str.h"

/* notify_classes words that bounce acts on. */
#define BOUNCE_CLASS_BOUNCE	0x1	/* copy of every failure notice */
#define BOUNCE_CLASS_2BOUNCE	0x2	/* undeliverable notices */
#define BOUNCE_CLASS_DELAY	0x4	/* copy of every delay notice */

/* What bounce needs from main.cf; strings borrowed from lib/conf. */
struct bounce_config {
	const char		*config_dir;
	const char		*queue_dir;
	const char		*daemon_dir;
	const char		*myhostname;
	const char		*myorigin;
	const char		*mail_name;
	const char		*bounce_notice_recipient;
	const char		*twobounce_notice_recipient;
	const char		*delay_notice_recipient;
	const char		*double_bounce_sender;
	/* BOUNCE_CLASS_* bits of notify_classes */
	unsigned		 classes;
	/* largest original returned whole, in bytes */
	unsigned long long	 bounce_size_limit;
	/* seconds, for Will-Retry-Until */
	long long		 maximal_queue_lifetime;
};

/* The three kinds of notice. */
enum bounce_kind {
	BOUNCE_FAILURE,		/* Action: failed */
	BOUNCE_DELAY,		/* Action: delayed */
	BOUNCE_SUCCESS,		/* Action: delivered */
	BOUNCE_VERIFY,		/* sendmail -bv: Action: (un)deliverable */
};

/* One recipient of a notice; every pointer is borrowed. */
struct bounce_rcpt {
	/* the R record's address */
	const char	*address;
	/* the R record's ORCPT (xtext) or NULL */
	const char	*orcpt;
	/* RFC 3463 code of the right class */
	const char	*code;
	/* the reason as logged by qmgr, or NULL when none was */
	const char	*text;
	/* delivered to a server that passes no notices on (Action:
	 * relayed instead of delivered) */
	bool		 relayed;
};

/* One log line: "address TAB [relayed SP] code SP text"; pointers into
 * the log. */
struct bounce_line {
	const char	*address;
	const char	*code;
	const char	*text;
	bool		 relayed;
};

/* A per-message log read whole; lines point into mem. */
struct bounce_log {
	struct str		 mem;
	struct bounce_line	*lines;
	size_t			 nline;
};
#define BOUNCE_LOG_INIT	{ STR_INIT, NULL, 0 }

/* The largest log bounce reads (qmgr's bound as well). */
#define BOUNCE_LOG_MAX		(64L * 1024 * 1024)
/* Reason text kept per recipient; the rest is cut off with "...". */
#define BOUNCE_TEXT_MAX		800
/* Longest line bounce writes (RFC 5322 §2.1.1: 998 and CRLF). */
#define BOUNCE_LINE_MAX		998

/*
 * Read queue_dir/subdir/id into log: lines with a tab and a space after
 * it; other lines are skipped with a warning, a final line without LF is
 * dropped.  A missing log is empty.  Returns 0, or -1 with errno (EFBIG:
 * over BOUNCE_LOG_MAX; EINVAL: not a regular file).
 */
int	bounce_log_read(const char *queue_dir, const char *subdir,
	    const char *id, struct bounce_log *log);
/* The last line for address (exact bytes), or NULL.  Borrowed. */
const struct bounce_line *bounce_log_find(const struct bounce_log *log,
	    const char *address);
void	bounce_log_free(struct bounce_log *log);

/* A notice to compose. */
struct bounce_notice {
	enum bounce_kind	 kind;
	/* a copy for the postmaster (notify_classes), not the sender's */
	bool			 postmaster;
	/* the To: address (internal form) */
	const char		*to;
	/* the original: its ID, envelope and queue file */
	const char		*id;
	const struct qfile	*qf;
	const struct bounce_rcpt *rcpts;
	size_t			 nrcpt;
	/* what of the original goes in part 3: all of it, or headers */
	bool			 full;
	const char		*original;
	size_t			 original_len;
};

/*
 * Write the notice n, a complete message (header section and body, lines
 * ending in LF, none longer than BOUNCE_LINE_MAX) into out (cleared
 * first), dated now.  *eightbit is set when it holds bytes >= 0x80 (its
 * parts are then marked 8bit: the submission must say 8BITMIME).  Pure
 * but for the time zone; cannot fail (out of memory is fatal).
 */
void	bounce_compose(const struct bounce_config *cfg,
	    const struct bounce_notice *n, time_t now, struct str *out,
	    bool *eightbit);

/*
 * Decode the xtext s (RFC 3461 §4) into out (cleared first).  Returns 0,
 * or -1 (out then holds s as it is) when s is not valid xtext or decodes
 * to a control byte, which could not be shown in a header field.
 */
int	bounce_xtext_decode(const char *s, struct str *out);

/*
 * Hand a message to cleanup ($daemon_dir/cleanup -c config_dir): sender
 * ("" is the null sender), one recipient, the message in content, the
 * attribute body_type=8BITMIME when eightbit.  Returns 0 with cleanup's
 * answer in *status and text (the new queue ID, or "code text"), or -1
 * with a reason in text when cleanup could not run or gave no valid
 * answer.
 */
int	bounce_submit(const struct bounce_config *cfg, const char *sender,
	    const char *rcpt, const struct str *content, bool eightbit,
	    enum dsn_status *status, struct str *text);

/*
 * Make and send the notices of message id (in queue_dir/active/): the
 * failure and success notices, or with delay the delay warning.  Returns
 * 0 when everything needed was submitted (or nothing was needed), or an
 * exit status (EX_TEMPFAIL: try again later; EX_DATAERR: the queue file
 * is unreadable) after logging why.
 */
int	bounce_run(const struct bounce_config *cfg, const char *id,
	    bool delay);

#endif
