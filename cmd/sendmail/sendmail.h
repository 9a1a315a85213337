/* SPDX-License-Identifier: ISC */
/*
 * sendmail.h: private interface of sendmail(1): the command line as
 * parsed (sendmail_opts.c), the submission of one message to postdrop
 * (sendmail_submit.c) and the delivery without master that may follow
 * (sendmail_daemonless.c).
 */
#ifndef POSTLET_SENDMAIL_H
#define POSTLET_SENDMAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "str.h"

/* What the command line asks for. */
enum sendmail_mode {
	SENDMAIL_DELIVER,	/* -bm, the default: read a message */
	SENDMAIL_MAILQ,		/* -bp, mailq */
	SENDMAIL_NEWALIASES,	/* -bi, -I, newaliases */
	SENDMAIL_FLUSH,		/* -q */
	SENDMAIL_SMTP,		/* -bs */
	SENDMAIL_VERIFY,	/* -bv */
	SENDMAIL_START,		/* -bd */
	SENDMAIL_START_FG,	/* -bD */
};

/* Every pointer is borrowed from argv. */
struct sendmail_opts {
	enum sendmail_mode	 mode;
	/* -C: main.cf or its directory; NULL when not given */
	const char		*config;
	/* -f or -r; NULL: the login name */
	const char		*sender;
	/* -F */
	const char		*full_name;
	/* -N, -R, -V, -B as given */
	const char		*notify;
	const char		*ret;
	const char		*envid;
	const char		*body_type;
	/* -t */
	bool			 extract;
	/* -i, -oi: a line "." does not end the message */
	bool			 dots_ok;
	/* -v, counted */
	int			 verbose;
	/* the operands: recipients */
	char			**operands;
	size_t			 noperands;
};

/*
 * Parse the arguments after argv[0] (argc counts argv[0]) into o, which
 * is zeroed first; o->operands is allocated (free it).  Options may come
 * anywhere before "--"; an option's argument may be attached (-fuser) or
 * the next argument (-f user).  Returns 0, or -1 with a message in why
 * for an unknown option or a missing argument.
 */
int	sendmail_parse(int argc, char *argv[], struct sendmail_opts *o,
	    struct str *why);

/* What sendmail_submit needs besides the options. */
struct sendmail_env {
	/* daemon_directory/postdrop */
	const char		*postdrop;
	/* passed to postdrop as -c; NULL for the default */
	const char		*config_dir;
	/* message_size_limit, 0 for none */
	unsigned long long	 size_limit;
	/* envelope sender in internal form ("": null sender) */
	const char		*sender;
	/* recipients in internal form */
	char			**rcpts;
	size_t			 nrcpt;
};

/*
 * Read the message on standard input and hand it to postdrop with the
 * envelope of o and env.  Returns the exit status for sendmail: 0 once
 * postdrop answered OK, EX_TEMPFAIL, EX_DATAERR, ... otherwise, after a
 * one-line reason on standard error.
 */
int	sendmail_submit(const struct sendmail_opts *o,
	    const struct sendmail_env *env);

/*
 * Daemonless mode, after a message was accepted: when no master runs and
 * we may run the queue (root or the queue's owner), start "postlet [-c
 * config_dir] flush -i" in the background and return at once, without
 * waiting for it.  config_dir is NULL for the default.  Never fails: a
 * delivery that does not start leaves the message queued (logged).
 */
void	sendmail_daemonless(const char *config_dir);

#endif
