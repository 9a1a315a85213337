/* SPDX-License-Identifier: ISC */
/*
 * smtpd.h: the state of one SMTP session (smtpd(8)), shared by the
 * command loop (smtpd_session.c), the message transfer to cleanup
 * (smtpd_data.c) and the recipient policy (smtpd_policy.c).
 */
#ifndef SMTPD_H
#define SMTPD_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "proc.h"
#include "str.h"

/* The command counters of the "disconnect from" line, in its order. */
enum smtpd_cmd {
	CMD_HELO, CMD_EHLO, CMD_STARTTLS, CMD_AUTH, CMD_MAIL, CMD_RCPT,
	CMD_DATA, CMD_BDAT, CMD_RSET, CMD_NOOP, CMD_VRFY, CMD_HELP,
	CMD_QUIT, CMD_UNKNOWN, CMD_COUNT
};

/* smtpd_forbid_bare_newline */
enum smtpd_bare {
	BARE_NORMALIZE,		/* no, normalize: LF is a line end */
	BARE_REJECT,		/* yes, reject: 521 and disconnect */
};

/* One recipient of the transaction. */
struct smtpd_rcpt {
	char	*addr;		/* internal form */
	char	*orcpt;		/* xtext as received, or NULL */
	unsigned notify;	/* qfile_notify_parse bits */
};

struct smtpd {
	/* the client: reads on fd 0, replies on fd 1 */
	struct buf	 in, out;
	/* sendmail -bs: standard input, submission through postdrop */
	bool		 stdin_mode;
	const char	*config_dir;	/* -c, or NULL */
	/* "unknown[127.0.0.1]" and its parts */
	char		 name[64];
	char		 addr[64];
	char		 peer[160];
	bool		 in_mynetworks;
	/* settings */
	const char	*myhostname;
	unsigned long long size_limit;
	long long	 recipient_limit, soft_limit, hard_limit;
	long long	 sleep_time;
	size_t		 line_limit;
	int		 timeout_ms;
	enum smtpd_bare	 bare;
	bool		 forbid_pipelining;
	bool		 disable_vrfy;
	/* session */
	struct str	 helo;
	bool		 esmtp;
	int		 errors;
	unsigned	 ok[CMD_COUNT], total[CMD_COUNT];
	/* transaction */
	bool		 in_mail;
	struct str	 sender;
	struct str	 envid;		/* xtext */
	struct str	 ret;		/* FULL, HDRS or empty */
	struct str	 body_type;	/* 7BIT, 8BITMIME or empty */
	bool		 smtputf8;
	unsigned long long declared_size;
	struct smtpd_rcpt *rcpts;
	size_t		 nrcpt, rcpt_cap;
	/* a BDAT transfer in progress */
	struct smtpd_xfer *bdat;
	/* the session must end (after a 421/521/554 reply) */
	bool		 quit;
};

/* smtpd_session.c */
int	smtpd_session(struct smtpd *);
void	smtpd_reply(struct smtpd *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	smtpd_flush(struct smtpd *);
void	smtpd_reset(struct smtpd *);
void	smtpd_log_reject(struct smtpd *, const char *cmd, const char *rcpt,
	    const char *reply);

/*
 * smtpd_data.c: DATA and BDAT; each returns once its reply is queued: 0
 * for a success reply, -1 for an error reply or the end of the session.
 */
int	smtpd_data(struct smtpd *);
int	smtpd_bdat(struct smtpd *, const char *args);
void	smtpd_xfer_abort(struct smtpd *);

/*
 * smtpd_policy.c: decide on a recipient (internal form).  Returns 0 to
 * accept, or -1 with the whole reply ("554 5.7.1 <a>: Relay access
 * denied") in reply.
 */
int	smtpd_policy_rcpt(struct smtpd *, const char *addr,
	    struct str *reply);
/* The client is in mynetworks: 1, 0, or -1 with a message in err. */
int	smtpd_policy_mynetworks(const char *addr, struct str *err);

#endif
