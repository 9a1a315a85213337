/* SPDX-License-Identifier: ISC */
/*
 * mastercf.h: master.cf, the table of services that master runs, in
 * Postfix's syntax.
 *
 * One service per logical line (a line that starts with white space
 * continues the previous one; "#" lines and blank lines are ignored):
 *
 *	service type private unpriv chroot wakeup maxproc command [args...]
 *	smtp    inet n       -      n      -      -       smtpd
 *	  -o smtpd_tls_wrappermode=yes
 *
 * type is inet, unix, fifo, pass or unix-dgram; private, unpriv and chroot
 * are y, n or - (the default); wakeup is a number of seconds, optionally
 * followed by '?' (wake only when in use), or -; maxproc is a number or -
 * (default_process_limit).  Arguments are words; "{ text with spaces }"
 * is one argument, and "-o name=value" (or "-o { name = value }") sets a
 * main.cf parameter for that service only.  For inet services the name is
 * [host:]port.  The parser is a pure function over a buffer.
 */
#ifndef POSTLET_MASTERCF_H
#define POSTLET_MASTERCF_H

#include <stdbool.h>
#include <stddef.h>

#include "str.h"

/* A y/n/- column. */
enum mastercf_flag { MASTERCF_DEFAULT = -1, MASTERCF_NO = 0, MASTERCF_YES = 1 };

struct mastercf_override {
	char	*name;
	char	*value;
};

struct mastercf_service {
	/* [host:]port, or a name */
	char			*name;
	/* inet, unix, fifo, pass, unix-dgram */
	char			*type;
	/* "private" is a C++ word */
	enum mastercf_flag	 private_;
	enum mastercf_flag	 unpriv;
	enum mastercf_flag	 chroot;
	/* seconds; 0: never */
	int			 wakeup;
	/* the '?' suffix */
	bool			 wakeup_if_used;
	/* -1: default_process_limit */
	int			 maxproc;
	/* argv[0] */
	char			*command;
	/* command and arguments, NULL ended, -o options removed */
	char			**argv;
	size_t			 argc;
	/* -o name=value, in order */
	struct mastercf_override *overrides;
	size_t			 noverrides;
	char			*file;
	int			 line;
};

struct mastercf {
	struct mastercf_service	*services;
	size_t			 n, cap;
};
#define MASTERCF_INIT	{ NULL, 0, 0 }

/*
 * Parse master.cf text (len bytes, any content) as if read from file.
 * Every problem is appended to errs as "file, line N: text\n"; services
 * with errors are left out.  Returns the number of errors.
 */
int	mastercf_parse(struct mastercf *, const char *text, size_t len,
	    const char *file, struct str *errs);
void	mastercf_free(struct mastercf *);
/* The service with that name and type, or NULL. */
const struct mastercf_service *mastercf_find(const struct mastercf *,
	    const char *name, const char *type);
/*
 * Whether program command can honour a chroot column of y (it takes -J
 * and chroots itself, lib/jail.h): cleanup, pickup, qmqpd and smtpd,
 * which master starts, and the smtp and lmtp agents, which qmgr's
 * privileged spawner starts.
 */
bool	mastercf_can_chroot(const char *command);

#endif
