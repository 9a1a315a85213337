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
#include "qfile.h"
#include "str.h"
#include "tls.h"

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
	/* the queue ID of the message being received, once cleanup gave
	 * it (reject lines name it instead of NOQUEUE), or "" */
	char		 log_id[QID_SIZE];
	const char	*config_dir;	/* -c, or NULL */
	/* "unknown[127.0.0.1]" and its parts; the PTR name, and how the
	 * lookups went (enum dns_status: smtpd_dns.c) */
	char		 name[256];
	char		 reverse_name[256];
	char		 addr[64];
	char		 peer[336];
	int		 name_status, reverse_status;
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
	/* TLS (smtpd_tls.c) */
	struct tls_server_conf *tls_conf;	/* NULL: no usable certificate */
	struct tls	*tls;		/* the TLS session, once started */
	bool		 tls_offer;	/* level may or encrypt */
	bool		 tls_required;	/* level encrypt */
	bool		 tls_wrapper;	/* smtpd_tls_wrappermode */
	/* AUTH (smtpd_auth.c); sasl_username points into sasl_name */
	bool		 sasl_enable;
	bool		 sasl_tls_only;	/* smtpd_tls_auth_only */
	struct str	 sasl_name;
	const char	*sasl_method;	/* "PLAIN", "LOGIN", or NULL */
	/* session */
	struct str	 helo;
	/* the AUTH name (smtpd_auth.c), NULL when not authenticated */
	const char	*sasl_username;
	/* smtpd_delay_reject = no: the client and HELO restrictions'
	 * rejection, kept for every later MAIL and RCPT */
	struct str	 early_reject;
	struct str	 policy_reply;	/* scratch for the policy hooks */
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
/* The settings from main.cf (the configuration is loaded). */
void	smtpd_settings(struct smtpd *);
/* Free what a session holds (after smtpd_session), keeping the
 * settings (tls_conf) for the next one. */
void	smtpd_end_session(struct smtpd *);
/* smtpd_end_session, and free the settings too. */
void	smtpd_free(struct smtpd *);
int	smtpd_session(struct smtpd *);
/* An error reply as the session's own (error limits); returns -1. */
int	smtpd_error(struct smtpd *, int count, const char *text);
/* Read one reply line of the client (AUTH); as buf_getline, logged. */
int	smtpd_read_line(struct smtpd *, struct str *, const char *after);
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
/* End the cleanup kept for the next message, if any (smtpd_data.c). */
void	smtpd_cleanup_release(void);

/*
 * smtpd_policy.c: decide on a recipient (internal form).  Returns 0 to
 * accept, or -1 with the whole reply ("554 5.7.1 <a>: Relay access
 * denied") in reply.
 */
int	smtpd_policy_rcpt(struct smtpd *, const char *addr,
	    struct str *reply);
/*
 * With smtpd_delay_reject = no, the client and HELO restrictions at HELO
 * and the sender restrictions at MAIL; at MAIL also the free space of the
 * queue (queue_minfree, SIZE=).  0 to accept, or -1 with the whole reply.
 */
int	smtpd_policy_helo(struct smtpd *, struct str *reply);
int	smtpd_policy_mail(struct smtpd *, struct str *reply);
/*
 * smtpd_dns.c: the client's name (name, reverse_name and their status)
 * from the DNS; the DNS restrictions, each 0 to go on or -1 with the
 * whole reply appended to reply.
 */
void	smtpd_dns_client(struct smtpd *);
/* Read the resolver settings now (before a chroot). */
void	smtpd_dns_prepare(void);
int	smtpd_dns_unknown_client(struct smtpd *, bool reverse,
	    struct str *reply);
int	smtpd_dns_unknown_domain(const char *addr, const char *quoted,
	    const char *what, struct str *reply);
int	smtpd_dns_rbl(struct smtpd *, const char *zone, struct str *reply);
/* The client is in mynetworks: 1, 0, or -1 with a message in err. */
int	smtpd_policy_mynetworks(const char *addr, struct str *err);

/*
 * smtpd_tls.c: STARTTLS and smtpd_tls_wrappermode.  smtpd_tls_init
 * reads the settings and the certificate (before privileges are
 * dropped).  smtpd_tls_starttls is the command; smtpd_tls_wrapper the
 * handshake at connect: 0, or -1 when the session must end (logged).
 */
void	smtpd_tls_init(struct smtpd *);
int	smtpd_tls_starttls(struct smtpd *, const char *args);
int	smtpd_tls_wrapper(struct smtpd *);
void	smtpd_tls_end(struct smtpd *);
/* SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA (RFC 3848), for Received. */
const char *smtpd_protocol(const struct smtpd *);
/* The Received header's lines about TLS and AUTH, appended to out. */
void	smtpd_tls_received(const struct smtpd *, struct str *out);

/*
 * smtpd_auth.c: AUTH PLAIN and LOGIN.  smtpd_auth_offered: whether EHLO
 * lists AUTH now; smtpd_auth the command (0 success, -1 error reply);
 * smtpd_auth_reset forgets the login (STARTTLS, end of session).
 */
void	smtpd_auth_init(struct smtpd *);
bool	smtpd_auth_offered(const struct smtpd *);
int	smtpd_auth(struct smtpd *, const char *args);
void	smtpd_auth_reset(struct smtpd *);

#endif
