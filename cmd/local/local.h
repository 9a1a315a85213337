/* SPDX-License-Identifier: ISC */
/*
 * local.h: the local delivery agent's private interface.
 *
 * local reads jobs in the delivery agent protocol (lib/agent.h) and, for
 * each recipient, does what Postfix's local(8) does: looks the local
 * part up in alias_maps (local_expand.c; nested aliases, owner-NAME,
 * :include:, "|command", /file), else reads the user's .forward files
 * (forward_path), else delivers to the user's mailbox: mailbox_command,
 * or an mbox file or a Maildir (local_mailbox.c).  Addresses found in
 * aliases and .forward files are forwarded in one new message through
 * cleanup (local_forward.c); commands (local_command.c) and files
 * (local_file.c) are delivered here.
 *
 * Identity: everything that touches a user's files or runs a command
 * is done, when local runs as root, as the user the delivery runs as
 * (uid, gid and supplementary groups): the recipient for mailboxes and
 * .forward, the owner of the alias table or :include: file
 * (default_privs when that is root) for aliases.  A mailbox is written
 * by local itself with that user's effective ids (local_assume); a
 * command, a file or a list file is handled in a child process that has
 * become the user (local_child.c).  Not root, everything runs as local's
 * own user.
 *
 * Each recipient gets exactly one result; any failure that is not
 * certainly permanent is a deferral.
 */
#ifndef LOCAL_H
#define LOCAL_H

#include <sys/types.h>

#include <stdbool.h>

#include "buf.h"
#include "dsn.h"
#include "maildir.h"
#include "map.h"
#include "qfile.h"
#include "str.h"

/* Delivery classes, for allow_mail_to_commands and allow_mail_to_files. */
#define LOCAL_CLASS_ALIAS	0x1
#define LOCAL_CLASS_FORWARD	0x2
#define LOCAL_CLASS_INCLUDE	0x4

/* Nesting of aliases, :include: files and .forward files. */
#define LOCAL_EXPAND_DEPTH	20
/* Destinations one recipient may expand to. */
#define LOCAL_EXPAND_MAX	1000
/* The largest .forward or :include: file read. */
#define LOCAL_LIST_FILE_MAX	(1024 * 1024)
/* Command output kept for the diagnostic text. */
#define LOCAL_OUTPUT_MAX	1000

/* One alias table: its own list, so the one that matched is known. */
struct local_table {
	struct map_list	*list;
	/* whose rights its commands and files run with: the file owner */
	const char	*spec;
};

/* The configuration local works with (strings borrowed from conf). */
struct local {
	const char		*queue_directory;
	const char		*daemon_directory;
	const char		*config_directory;
	const char		*home_mailbox;
	const char		*mail_spool_directory;
	const char		*recipient_delimiter;
	const char		*mailbox_command;
	/* raw (unexpanded: $home, $user, ...) */
	const char		*forward_path;
	const char		*default_privs;
	const char		*local_command_shell;
	/* raw (unexpanded: $home, $user, ...); "" for the home */
	const char		*command_execution_directory;
	unsigned long long	 mailbox_size_limit;
	long long		 stale_lock_time;	/* seconds */
	long long		 command_time_limit;	/* seconds */
	int			 lock_attempts;
	int			 lock_delay_ms;
	/* LOCAL_CLASS_* bits */
	int			 allow_commands;
	int			 allow_files;
	bool			 expand_owner_alias;
	/* owner-NAME and NAME-request are not split at '-' */
	bool			 owner_request_special;
	/* add X-Original-To */
	bool			 enable_original_recipient;
	/* propagate_unmatched_extensions: LOCAL_CLASS_* bits */
	int			 propagate_ext;
	/* alias_maps, one table each */
	struct local_table	*tables;
	size_t			 ntables;
	/* why alias_maps could not be opened (deliveries then defer) */
	struct str		 tables_error;
	/* cleanup runs as mail_owner when local runs as root */
	const char		*mail_owner;
	bool			 mail_owner_ok;
	uid_t			 mail_owner_uid;
	gid_t			 mail_owner_gid;
	/* started as root: deliveries switch to the recipient */
	bool			 root;
	/* Maildir deliveries waiting for one commit */
	struct local_batch	*batch;
};

/*
 * Maildir deliveries written in this process and not yet committed
 * (local_deliver.c): while the next jobs are already on the input (jobs
 * ahead), local holds back the results of the current one, delivers the
 * next ones (eight jobs at most), and commits them all with one fsync of
 * new/ (and the files' fsyncs in one journal commit), then writes the
 * jobs' results, in order.  As root, the entries are all one user's
 * (uid, gid, owner), and the commit is made as that user; a delivery for
 * another user meanwhile commits by itself.
 * For each entry of md, the user and the mailbox, for a failure's text.
 */
struct local_batch {
	struct maildir_batch	 md;
	struct str		*user, *path;
	size_t			 cap;
	uid_t			 uid;
	gid_t			 gid;
	struct str		 owner;
};

/* One delivery's outcome. */
struct local_status {
	enum dsn_status	 status;
	char		 code[16];
	struct str	 text;
};
#define LOCAL_STATUS_INIT	{ DSN_TEMP, "4.3.0", STR_INIT }

/* A recipient being delivered: who and where. */
struct local_rcpt {
	/* the address as in the job (borrowed) */
	const char	*address;
	/* lowercased: written as Delivered-To */
	struct str	 delivered;
	/* the user whose mailbox it is */
	struct str	 user;
	uid_t		 uid;
	gid_t		 gid;
	struct str	 home;
};
#define LOCAL_RCPT_INIT	{ NULL, STR_INIT, STR_INIT, 0, 0, STR_INIT }

/* An identity a delivery runs as. */
struct local_id {
	uid_t		 uid;
	gid_t		 gid;
	/* the login name (for its groups), home and shell */
	struct str	 name;
	struct str	 home;
	struct str	 shell;
};
#define LOCAL_ID_INIT	{ 0, 0, STR_INIT, STR_INIT, STR_INIT }

/* What a command or a file delivery needs to know of the recipient. */
struct local_env {
	/* the queue file */
	const struct qfile	*qf;
	/* its recipient record (DSN attributes), or NULL */
	const struct qfile_rcpt	*qrcpt;
	/* the recipient, as in the job; lowercased and quoted (as in
	 * Delivered-To); its parts, lowercased */
	const char		*address;
	const char		*delivered;
	const char		*local;
	const char		*user;
	const char		*extension;
	const char		*domain;
	/* the recipient_delimiter character that split, or "" */
	const char		*delimiter;
	/* Return-Path, X-Original-To and Delivered-To lines */
	const struct str	*head;
};

/*
 * Set st to status, code and the printf-formatted text (replacing what
 * was there).
 */
void	local_status_set(struct local_status *st, enum dsn_status status,
	    const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	local_status_free(struct local_status *);

/*
 * Serve jobs from in until its end, answering on out (local_deliver.c).
 * Returns the exit status: 0 at the end of input, EX_DATAERR for a
 * malformed job, EX_IOERR when the answers cannot be written.
 */
int	local_run(const struct local *, struct buf *in, struct buf *out);

/*
 * Where the extension starts in the local part local (len bytes), as
 * Postfix splits it (local_deliver.c): the length of the part before the
 * first recipient_delimiter character, or len when there is no
 * extension.  Never split: an empty user part, postmaster,
 * mailer-daemon, double-bounce, and with owner_request_special and '-'
 * a delimiter, owner-NAME and NAME-request.
 */
size_t	local_ext_split(const struct local *, const char *local, size_t len);

/*
 * Deliver the recipient described by env (local_expand.c): aliases,
 * .forward, mailbox; the outcome goes to st.
 */
/*
 * The $names of forward_path and command_execution_directory (Postfix's
 * list) for user, home and shell, into vars as name, value pairs ending
 * with NULL: vars must hold LOCAL_PATH_VARS entries.  Returns the index
 * of the NULL.  The values of "extension" and "recipient_delimiter" are
 * at LOCAL_PATH_VAR_EXT and LOCAL_PATH_VAR_DELIM.
 */
#define LOCAL_PATH_VARS		17
#define LOCAL_PATH_VAR_EXT	9
#define LOCAL_PATH_VAR_DELIM	15
size_t	local_path_vars(const char *vars[LOCAL_PATH_VARS], const char *user,
	    const char *home, const char *shell, const struct local_env *env);
void	local_expand(const struct local *, const struct local_env *env,
	    struct local_status *st);

/*
 * Deliver the message of qf to the mailbox of rcpt (local_mailbox.c):
 * chooses the mailbox, prepares what needs root, and writes it as the
 * recipient (as root: with the recipient's effective ids, local_assume,
 * local_resume).  head holds the
 * Return-Path and Delivered-To lines.  Fills in st; never fails
 * otherwise.
 */
void	local_mailbox(const struct local *, const struct qfile *qf,
	    const struct local_rcpt *rcpt, const struct str *head,
	    struct local_status *st);
/*
 * With l->batch, a Maildir delivery made here only writes the message
 * and adds it to the batch, and st says delivered; the caller commits
 * the batch before it reports st, and then local_mailbox_commit_status
 * changes st to the failure of entry i, when it failed.
 */
void	local_mailbox_commit_status(const struct local_batch *, size_t i,
	    struct local_status *st);
/* Commit the batch (as its user when root): maildir_commit, or, when
 * that user's ids cannot be taken, maildir_abort. */
void	local_mailbox_commit(const struct local *, struct local_batch *);

/*
 * Identities (local_child.c).  local_id_user looks user up: 0, or -1
 * with errno ENOENT (unknown) or another error (with priv_error()).
 * local_id_uid does the same by uid.  local_id_self is local's own
 * identity.
 */
int	local_id_user(const char *user, struct local_id *id);
int	local_id_uid(uid_t uid, struct local_id *id);
void	local_id_self(struct local_id *id);
void	local_id_copy(struct local_id *to, const struct local_id *from);
void	local_id_free(struct local_id *id);

/*
 * As root, for a mailbox written by local itself: local_assume makes id's
 * uid, gid and groups local's effective ones (lib/priv: priv_assume; the
 * real and saved ids stay root's), local_resume makes local root again.
 * local_assume returns 0, or -1 with a reason in st (local is then root
 * again); a failed local_resume is fatal, so that no next job runs as
 * that user.  Not root, both do nothing.
 */
int	local_assume(const struct local *, const struct local_id *id,
	    struct local_status *st);
void	local_resume(const struct local *);

/*
 * Run fn(l, arg, st) in a child process as id, with RLIMIT_FSIZE at
 * mailbox_size_limit, and wait for it; the child's status comes back to
 * st through a pipe.  A child that dies without a status defers.
 */
typedef void	(*local_child_fn)(const struct local *, void *arg,
		    struct local_status *st);
void	local_child(const struct local *, const struct local_id *id,
	    local_child_fn fn, void *arg, struct local_status *st);

/*
 * Read the list file path (.forward, :include:) as id, in a child.  The
 * file must be a regular file of at most LOCAL_LIST_FILE_MAX bytes; when
 * must_own is true, owned by id and not writable by group or others.
 * Returns 1 with its contents in text and its owner in *owner, 0 when it
 * does not exist (or, for must_own, is refused: reason in why), -1 on an
 * error that must defer (reason in why).
 */
int	local_read_list(const struct local *, const struct local_id *id,
	    const char *path, bool must_own, struct str *text, uid_t *owner,
	    struct str *why);

/*
 * Deliver to "|command" (without the '|') as id (local_command.c):
 * stdin is the message with a From_ line, Return-Path and Delivered-To,
 * the environment is built (HOME, USER, SENDER, RECIPIENT, ...), output
 * is kept for the diagnostic, command_time_limit applies.
 */
void	local_command(const struct local *, const struct local_env *,
	    const struct local_id *id, const char *command,
	    struct local_status *st);

/*
 * Deliver to the file path as id (local_file.c): an mbox file, locked,
 * or a Maildir when path ends in '/'.
 */
void	local_file(const struct local *, const struct local_env *,
	    const struct local_id *id, const char *path,
	    struct local_status *st);

/*
 * Forward: submit one new message to cleanup (local_forward.c) with
 * sender, the addresses (n) as recipients with the DSN attributes of
 * env's recipient, and the content with a Delivered-To line for env's
 * recipient first.  D with the queue ID, or T or P.
 */
void	local_forward(const struct local *, const struct local_env *,
	    const char *sender, const struct str *addrs, size_t n,
	    struct local_status *st);

#endif
