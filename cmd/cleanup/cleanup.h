/* SPDX-License-Identifier: ISC */
/*
 * cleanup.h: the cleanup program's private interface.  One message comes
 * in on standard input in the submission protocol (submit.h); one queue
 * file goes out into incoming/, and one reply line to standard output.
 *
 * The work is split by responsibility, as Postfix splits its cleanup:
 *	cleanup_session.c	the protocol loop, the reply, the commit
 *	cleanup_envelope.c	F, S, A and R records; the final envelope
 *	cleanup_message.c	the content: header section, fix-ups, body
 *	cleanup_rewrite.c	canonical maps, masquerading, virtual aliases
 *
 * Errors: the first problem with the message is kept in c->status,
 * c->code and c->text (cleanup_fail); the rest of the input is still
 * read and checked (so that a submitter is not cut off in the middle of
 * a write), nothing more is written, and the reply reports that problem.
 * Nothing of a refused message is left in tmp/ or incoming/.
 *
 * F early-id (smtpd, qmqpd): right after the S record the sender is
 * rewritten and the queue file begun (cleanup_envelope_begin), and its
 * ID is answered ("ID queue-id") before anything else is read; a message
 * refused by then gets its final answer there instead, and the rest of
 * the input is read and dropped.
 */
#ifndef CLEANUP_H
#define CLEANUP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "dsn.h"
#include "map.h"
#include "qfile.h"
#include "str.h"

/* How long one read of the submitter's input may wait. */
#define CLEANUP_READ_TIMEOUT_MS	(3600 * 1000)

/* One envelope recipient. */
struct cleanup_rcpt {
	char		*address;	/* internal form, owned */
	char		*orcpt;		/* xtext, owned; NULL for none */
	unsigned	 notify;	/* QFILE_NOTIFY_* bits */
};

struct cleanup_rcpts {
	struct cleanup_rcpt	*v;
	size_t			 n, cap;
};
#define CLEANUP_RCPTS_INIT	{ NULL, 0, 0 }

/* One header field as received: name, value, folding and final "\n". */
struct cleanup_fields {
	struct str	*v;
	size_t		 n, cap;
	size_t		 bytes;		/* all fields together */
};
#define CLEANUP_FIELDS_INIT	{ NULL, 0, 0, 0 }

/* Where the content is. */
enum cleanup_phase {
	CLEANUP_HEADERS,	/* reading the header section */
	CLEANUP_BODY,		/* header section written; the rest streams */
};

/* The address classes of canonical_classes and masquerade_classes. */
#define CLEANUP_CLASS_ENVELOPE_SENDER		0x1
#define CLEANUP_CLASS_ENVELOPE_RECIPIENT	0x2
#define CLEANUP_CLASS_HEADER_SENDER		0x4
#define CLEANUP_CLASS_HEADER_RECIPIENT		0x8

/*
 * The configuration each message uses (borrowed from conf.h's strings),
 * read for a process's first message: its configuration never changes
 * (a reload ends it).
 */
struct cleanup_settings {
	const char		*myhostname;
	const char		*mail_name;
	unsigned long long	 message_size_limit;	/* 0: none */
	unsigned long long	 header_size_limit;
	long long		 hopcount_limit;
	long long		 recursion_limit;
	long long		 expansion_limit;
	bool			 always_add_missing_headers;
	bool			 allow_min_user;
	/* canonical_classes, masquerade_classes: CLEANUP_CLASS_* bits */
	unsigned		 canonical_classes, masquerade_classes;
};

struct cleanup {
	/* -c, or NULL */
	const char		*config_dir;

	/* Configuration. */
	const char		*queue_directory;
	struct cleanup_settings	 conf;
	/* tables, opened at start */
	struct map_list		*canonical_maps;
	struct map_list		*sender_canonical_maps;
	struct map_list		*recipient_canonical_maps;
	struct map_list		*virtual_alias_maps;

	/* The envelope as received. */
	bool			 extract;	/* F extract (sendmail -t) */
	bool			 verify;	/* F verify (sendmail -bv) */
	bool			 early_id;	/* F early-id */
	bool			 local;		/* A submit_uid= was given */
	struct str		 sender;
	struct str		 attrs;		/* "name=value\n" each */
	struct str		 submit_uid;
	struct str		 full_name;
	struct cleanup_rcpts	 rcpts;

	/* The content. */
	enum cleanup_phase	 phase;
	struct cleanup_fields	 fields;
	/* the start of a line not yet classified */
	struct str		 line;
	/* the line being read continues field fields.v[n - 1] */
	bool			 in_field;
	/* the current field was cut at header_size_limit */
	bool			 truncated;
	unsigned long long	 content_size;	/* bytes written */
	struct str		 message_id;	/* for the log */

	/* The queue file. */
	struct qfile_writer	 writer;
	bool			 writing;
	char			 id[QID_SIZE];

	/* F early-id: the ID written after S (to compare at the commit) */
	char			 early[QID_SIZE];
	/* the final answer was written after S (F early-id), 0 or
	 * EX_IOERR when it could not be: the rest of the input is dropped */
	bool			 answered;
	int			 answered_rc;
	/* the input was read up to the E record: another message may follow */
	bool			 input_done;

	/* The outcome: the first problem. */
	enum dsn_status		 status;
	struct str		 code;
	struct str		 text;
};

/* Set up c from the loaded configuration; fatal on a table error. */
void	cleanup_init(struct cleanup *c, const char *config_dir);
void	cleanup_free(struct cleanup *c);

/*
 * Read one message from in and answer on fd out.  Returns the exit
 * status: 0 whenever a reply could be written (OK, TEMP or PERM),
 * EX_IOERR when not.
 */
int	cleanup_run(struct cleanup *c, struct buf *in, int out);

/*
 * The messages of one submitter, one after another: cleanup_run on fd
 * in and out, again as long as the message before ended with its E
 * record and its answer was written, until the end of input between
 * two messages (a submitter such as smtpd keeps one cleanup for its
 * session).  Returns the exit status of the last cleanup_run.
 */
int	cleanup_serve(const char *config_dir, int in, int out);

/*
 * Record a problem (only the first one counts) with an RFC 3463 code and
 * a text; logs it as a warning.  Returns -1, for "return cleanup_fail()".
 */
int	cleanup_fail(struct cleanup *c, enum dsn_status, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* True once a problem was recorded. */
bool	cleanup_failed(const struct cleanup *c);

/* cleanup_envelope.c */
/* One F, S, A or R record. */
void	cleanup_envelope_record(struct cleanup *c, char tag,
	    const struct str *value);
/*
 * F early-id, after S: rewrite the sender and begin the queue file with
 * it, so that its ID is known (c->id) before the content.  0, or -1
 * after cleanup_fail.  cleanup_envelope_finish then skips that part.
 */
int	cleanup_envelope_begin(struct cleanup *c);
/* Add a recipient as received (copied); extracted ones have no DSN. */
void	cleanup_rcpt_add(struct cleanup_rcpts *l, const char *address,
	    unsigned notify, const char *orcpt);
void	cleanup_rcpts_free(struct cleanup_rcpts *l);
/*
 * Rewrite sender and recipients, expand aliases, drop duplicates, and
 * start the queue file with its whole envelope.  0, or -1 after
 * cleanup_fail.
 */
int	cleanup_envelope_finish(struct cleanup *c);

/* cleanup_message.c */
/* Content bytes, as they arrive in D records. */
void	cleanup_content(struct cleanup *c, const char *p, size_t n);
/* The end of the content (E record): finish what is pending. */
void	cleanup_content_end(struct cleanup *c);
/* Write content bytes to the queue file, checking message_size_limit. */
void	cleanup_write(struct cleanup *c, const char *p, size_t n);

/* cleanup_rewrite.c */
/* Open the tables; 0, or -1 with a message in err. */
int	cleanup_rewrite_init(struct cleanup *c, struct str *err);
void	cleanup_rewrite_free(struct cleanup *c);
/*
 * The envelope sender or one recipient (internal form) through
 * rewrite_canonical, the canonical tables (sender_ or recipient_, then
 * canonical_maps) and masquerading, into out.  0, or -1 after
 * cleanup_fail (a table error: TEMP).
 */
int	cleanup_rewrite_sender(struct cleanup *c, const char *addr,
	    struct str *out);
int	cleanup_rewrite_recipient(struct cleanup *c, const char *addr,
	    struct str *out);
/*
 * The same for an address of a header field: of the sender class (From,
 * Sender, Reply-To, ...) or the recipient class (To, Cc, ...), per
 * canonical_classes and masquerade_classes.
 */
int	cleanup_rewrite_header(struct cleanup *c, bool sender,
	    const char *addr, struct str *out);
/*
 * Expand addr through virtual_alias_maps and append the final addresses
 * to out (with notify and orcpt).  0, or -1 after cleanup_fail.
 */
int	cleanup_virtual(struct cleanup *c, const char *addr, unsigned notify,
	    const char *orcpt, struct cleanup_rcpts *out);

#endif
