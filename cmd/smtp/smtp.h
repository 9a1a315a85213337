/* SPDX-License-Identifier: ISC */
/*
 * smtp.h: the smtp and lmtp delivery agents' private interface
 * (docs/smtp.8).  One program, two protocols: run as "lmtp" (argv[0]) it
 * speaks LMTP (RFC 2033) to inet:host:port or unix:/path next hops;
 * otherwise SMTP (RFC 5321) to the next hops of lib/rewrite.h.
 *
 * smtp_session.c: next hops, addresses (lib/dns), connections,
 * replies, the greeting and EHLO/LHLO; smtp_tls.c: STARTTLS and wrapper
 * mode (lib/tls); smtp_policy.c: smtp_tls_policy_maps; smtp_auth.c:
 * AUTH PLAIN/LOGIN (per next hop or per sender); smtp_deliver.c: one job
 * (MAIL, RCPT, DATA, the content on the wire, per-recipient results);
 * smtp_generic.c: smtp_generic_maps; main.c: the set-up and the job loop
 * that keeps a session open between jobs for the same next hop.
 */
#ifndef POSTLET_SMTP_H
#define POSTLET_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "agent.h"
#include "buf.h"
#include "dsn.h"
#include "map.h"
#include "qfile.h"
#include "str.h"

/* The longest reply line we read, and the most text of one reply. */
#define SMTP_REPLY_LINE_MAX	2048
#define SMTP_REPLY_TEXT_MAX	4096
/* Addresses tried for one next hop, whatever the limits say. */
#define SMTP_ADDR_MAX		32
/* RCPT commands sent before their replies are read (pipelining). */
#define SMTP_PIPELINE_BATCH	64
/* The session's buffer: half input, half output (the body is written
 * from a staging chunk of SMTP_CHUNK bytes, so that its tail and the
 * final "." always go in one write). */
#define SMTP_BUF_SIZE		(2 * 32768)
#define SMTP_CHUNK		16384

/* EHLO keywords we use. */
#define SMTP_EXT_PIPELINING	0x01
#define SMTP_EXT_SIZE		0x02
#define SMTP_EXT_8BITMIME	0x04
#define SMTP_EXT_SMTPUTF8	0x08
#define SMTP_EXT_DSN		0x10
#define SMTP_EXT_ESMTP		0x20	/* EHLO/LHLO was accepted */
#define SMTP_EXT_STARTTLS	0x40
#define SMTP_EXT_AUTH		0x80

/* smtp_tls_security_level, and the levels of smtp_tls_policy_maps */
enum smtp_tls_level {
	SMTP_TLS_NONE,
	SMTP_TLS_MAY,
	SMTP_TLS_ENCRYPT,
	SMTP_TLS_VERIFY,
	SMTP_TLS_SECURE,
};
/* Names a match= attribute may give the certificate (and so the most
 * sessions one address gets, one per name). */
#define SMTP_MATCH_MAX		8

struct tls;
struct tls_client_conf;

/* The configuration, read once. */
struct smtp {
	bool		 lmtp;		/* run as lmtp */
	const char	*name;		/* "smtp" or "lmtp" */
	const char	*queue_directory;
	const char	*helo_name;
	const char	*myhostname;
	const char	*fallback_relay;	/* smtp_fallback_relay */
	int		 connect_ms, helo_ms, mail_ms, rcpt_ms;
	int		 data_init_ms, data_xfer_ms, data_done_ms;
	int		 rset_ms, quit_ms;
	int		 cache_ms;	/* smtp_connection_cache_time_limit */
	size_t		 line_limit;	/* smtp_line_length_limit; 0: none */
	size_t		 mx_address_limit, mx_session_limit;
	bool		 skip_5xx_greeting;
	/* TLS: smtp_tls_security_level, smtp_tls_wrappermode, the
	 * trust anchors (loaded when first needed) */
	enum smtp_tls_level tls_level;
	bool		 tls_wrapper;
	/* smtp_tls_policy_maps; NULL when empty or not open yet */
	const char	*tls_policy_spec;
	struct map_list	*tls_policy_maps;
	const char	*tls_cafile, *tls_capath;
	struct tls_client_conf *tls_conf;
	bool		 tls_conf_tried;
	/* SASL: smtp_sasl_auth_enable, its tables and options */
	bool		 sasl_enable;
	const char	*sasl_maps_spec;
	struct map_list	*sasl_maps;
	const char	*sasl_options, *sasl_tls_options;
	/* smtp_sender_dependent_authentication */
	bool		 sender_auth;
	/* smtp_generic_maps; NULL when empty; opened when first needed */
	const char	*generic_maps_spec;
	struct map_list	*generic_maps;
	struct str	 generic_error;	/* why it could not be opened */
};

/* One address to try: its host name, the address as text, the port. */
struct smtp_addr {
	char		 host[256];
	char		 addr[108];	/* numeric, or a unix socket path */
	int		 family;	/* AF_INET, AF_INET6, AF_UNIX */
	unsigned	 port;
};

/* An open session with one server. */
struct smtp_session {
	int		 fd;		/* -1: none */
	struct buf	 b;
	unsigned char	 mem[SMTP_BUF_SIZE];
	struct str	 nexthop;	/* the next hop it was opened for */
	struct smtp_addr where;
	char		 label[400];	/* "host[addr]" or "host[addr]:port" */
	unsigned	 ext;		/* SMTP_EXT_* */
	unsigned long long size_limit;	/* SIZE n; 0: none announced */
	char		 auth[256];	/* the AUTH mechanisms offered */
	struct tls	*tls;		/* NULL: plaintext */
	long long	 idle_since;	/* clock_ms() after the last job */
	unsigned	 jobs;		/* transactions done on it */
	/*
	 * The TLS policy of the next hop being tried (smtp_policy.c):
	 * its level, its match= names ("a:b:c"; empty: the level's
	 * default), which of those names the certificate is checked
	 * against in this attempt, and whether a name mismatch leaves
	 * another name to try on a new connection.
	 */
	enum smtp_tls_level tls_level;
	bool		 tls_from_table;	/* the level is the table's */
	struct str	 tls_match;
	unsigned	 tls_match_try;
	bool		 tls_again;
	/* SASL: the user name of the smtp_sasl_password_maps entry this
	 * session was opened with ("" for none), and whether AUTH was
	 * possible at all (the server offered it) */
	struct str	 auth_user;
	bool		 auth_offered;
};

/* One reply: its code, enhanced status code if any, and the text of
 * all its lines joined with spaces ("550 5.1.1 <u@x>: ..."). */
struct smtp_reply {
	int		 code;		/* 0: none (connection lost) */
	char		 dsn[16];	/* "5.1.1", or derived "5.0.0" */
	struct str	 text;
};
#define SMTP_REPLY_INIT	{ 0, "", STR_INIT }

/* The outcome of one stage, for every recipient it concerns. */
struct smtp_status {
	enum dsn_status	 status;
	char		 code[16];
	struct str	 text;
	/* our own problem (a table), not the destination's: qmgr is not
	 * told that the site failed; smtp_status_set clears it */
	bool		 local;
};
#define SMTP_STATUS_INIT	{ DSN_TEMP, "4.0.0", STR_INIT, false }

void	smtp_status_set(struct smtp_status *, enum dsn_status,
	    const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	smtp_status_free(struct smtp_status *);

/* smtp_session.c */
void	smtp_session_init(struct smtp_session *);
/* Read the resolver settings now (before a chroot): 0, or -1 with err;
 * the first lookup reads them otherwise, and retries after an error. */
int	smtp_dns_prepare(struct str *err);
/*
 * Open a session for nexthop: its addresses in order (or, for lmtp, the
 * inet/unix destination), each tried until one greets with 2xx and
 * accepts EHLO/HELO (LHLO); then smtp_fallback_relay's.  Returns 0 with
 * s open, or -1 with the reason every recipient gets in st.
 */
int	smtp_session_open(struct smtp *, struct smtp_session *s,
	    const char *nexthop, const char *sender, struct smtp_status *st);
/* Free what s holds (closed first). */
void	smtp_session_free(const struct smtp *, struct smtp_session *s);
/* QUIT (when polite and the session is sane) and close; idempotent. */
void	smtp_session_close(const struct smtp *, struct smtp_session *s,
	    bool polite);
/* RSET before a reused session's next transaction: 0, or -1 (closed). */
int	smtp_session_rset(const struct smtp *, struct smtp_session *s);
/*
 * Read one reply with a deadline of timeout_ms: 0 with r set, or -1 with
 * errno (ETIMEDOUT, EPIPE for end of input, EBADMSG for a garbled reply).
 */
int	smtp_reply_read(struct smtp_session *, int timeout_ms,
	    struct smtp_reply *r);
void	smtp_reply_free(struct smtp_reply *);
/* The reason for a failed read of a reply "while stage" in st. */
void	smtp_status_io(struct smtp_status *, const struct smtp_session *,
	    const char *stage, int err);
/* A negative reply r to command in st: "host H said: TEXT (in reply to
 * command command)". */
void	smtp_status_reply(struct smtp_status *, const struct smtp_session *,
	    const struct smtp_reply *r, const char *command);

/* smtp_deliver.c */
/* Deliver job over s (open; closed on a broken session), answering one
 * result per recipient on out. */
void	smtp_deliver(struct smtp *, struct smtp_session *s,
	    const struct agent_job *job, struct buf *out);
/* Every recipient of job gets st; with a log line. */
void	smtp_fail_all(const struct smtp *, const struct agent_job *,
	    const struct smtp_status *st, struct buf *out);

/* smtp_tls.c */
/*
 * TLS on the open session s right after the connection
 * (smtp_tls_wrappermode): 0, or -1 with st (the session must be closed).
 */
int	smtp_tls_wrap(struct smtp *, struct smtp_session *,
	    struct smtp_status *);
/*
 * STARTTLS after EHLO: 0 with TLS on, or without it when the level
 * allows (may: no STARTTLS offered, or refused), -1 with st (the session
 * must be closed).  *retry is set when a handshake failed at level may:
 * the caller then tries the same address again in plaintext, as Postfix
 * does.
 */
int	smtp_tls_starttls(struct smtp *, struct smtp_session *,
	    struct smtp_status *, bool *retry);
/* End TLS (close_notify) and free the session's TLS state. */
void	smtp_tls_end(const struct smtp *, struct smtp_session *);
/* Load the trust anchors now (before a chroot); the first handshake
 * loads them otherwise.  A failure is logged, as it would be then. */
void	smtp_tls_prepare(struct smtp *);

/* smtp_policy.c */
/*
 * The TLS policy for nexthop into s (tls_level, tls_match): the entry of
 * smtp_tls_policy_maps for nexthop as written, then for a bare domain
 * its parent domains (".example.com", ".com"), else
 * smtp_tls_security_level.  0, or -1 with st: a table that cannot be
 * read defers with 4.3.0, an entry that makes no sense with 4.7.5.
 */
int	smtp_tls_policy(struct smtp *, struct smtp_session *s,
	    const char *nexthop, struct smtp_status *st);
/*
 * The names the server's certificate may carry, for the match= of s
 * (not empty) and its host and next hop: at most max, in names.
 * Returns their number; 0 when no name applies (no certificate can be
 * accepted from this host).
 */
size_t	smtp_tls_names(const struct smtp_session *s,
	    char (*names)[256], size_t max);

/* smtp_auth.c */
/*
 * SASL authentication, when smtp_sasl_auth_enable is set and the server
 * offers AUTH: PLAIN or LOGIN as smtp_sasl_security_options (or
 * smtp_sasl_tls_security_options under TLS) allow, with the password of
 * smtp_sasl_password_maps for nexthop, then the host name.  0 (done, or
 * nothing to do), -1 with st.
 */
int	smtp_auth(struct smtp *, struct smtp_session *, const char *nexthop,
	    const char *sender, struct smtp_status *);
/*
 * The smtp_sasl_password_maps entry ("username:password") for a delivery:
 * with smtp_sender_dependent_authentication first for the envelope
 * sender (user+ext@domain, user@domain, @domain; not for the null
 * sender), then for nexthop as written, then for host (NULL: not
 * tried).  Same results as map_list_lookup.
 */
enum map_result	smtp_auth_lookup(struct smtp *, const char *sender,
		    const char *nexthop, const char *host, struct str *value,
		    struct str *err);
/*
 * May session s, opened for the same next hop, carry a job from
 * sender?  Not when smtp_sender_dependent_authentication gives the
 * sender other credentials than those s was opened with.  1 yes, 0 no,
 * -1 with st (a table error).
 */
int	smtp_auth_reusable(struct smtp *, struct smtp_session *s,
	    const char *sender, struct smtp_status *st);

/* smtp_generic.c */
/*
 * smtp_generic_maps for addr (internal form) into out: MAP_FOUND with
 * the new address, MAP_NOTFOUND with out = addr, MAP_ERROR with the
 * reason in err.
 */
enum map_result	smtp_generic_addr(struct smtp *, const char *addr,
		    struct str *out, struct str *err);
/*
 * Rewrite the addresses of the address headers in the header section
 * hdr (LF line ends) with smtp_generic_maps into out.  Returns 0, or -1
 * with err (a table error: defer).
 */
int	smtp_generic_header(struct smtp *, const char *hdr, size_t len,
	    struct str *out, struct str *err);

#endif
