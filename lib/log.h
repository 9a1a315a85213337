/* SPDX-License-Identifier: ISC */
/*
 * log.h: logging in Postfix's line shape, to syslog or to maillog_file.
 *
 * Lines look like "postlet/smtpd[1234]: 3F2A91C07: client=host[192.0.2.1]"
 * so that tools written for Postfix logs (pflogsumm) read them.  Severity
 * words are "warning: ", "error: ", "fatal: ", "panic: "; info lines have
 * none.  Every line is escaped (control bytes become '?') and cut at
 * LOG_LINE_MAX with a "..." mark, so no caller can inject a line.
 *
 * Before log_open() is called, and after log_open(prog, NULL), lines go to
 * standard error as "PROG: text" (what an admin at a terminal wants).
 * log_open(prog, "") means syslog (facility LOG_MAIL); any other string is
 * maillog_file: "/dev/stdout", "/dev/stderr" or a path opened for append,
 * and lines get a timestamp and host name first, as syslog would write.
 */
#ifndef POSTLET_LOG_H
#define POSTLET_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* -v on a command line adds one; log_debug prints when it is > 0. */
extern int	log_verbose;

/*
 * Set the program name and destination.  Returns 0, or -1 with errno when
 * maillog_file cannot be opened (logging then stays on standard error).
 * The path that is open already is not opened again but kept: a daemon
 * that rereads main.cf after dropping root may not be allowed to open
 * the file that root created.  For the same reason a path that cannot be
 * opened is taken from standard error when that is the very file (same
 * device and inode; a copy of the descriptor is kept): master gives the
 * daemons it starts its own maillog_file descriptor there (log_file_fd),
 * since those that master starts with mail_owner's ids cannot open
 * root's file.
 */
int	log_open(const char *prog, const char *maillog_file);
/* The descriptor of the maillog_file path being logged to, or -1 (syslog,
 * standard error or standard output). */
int	log_file_fd(void);
const char *log_progname(void);
/*
 * For programs whose standard output carries a protocol (cleanup,
 * postdrop, the delivery agents): from then on, maillog_file
 * "/dev/stdout" means standard error, so that no log line can reach the
 * peer.  Their standard error is their parent's, so the lines still end
 * up where the administrator asked (e.g. a container's output).
 */
void	log_stdout_reserved(void);
/*
 * For commands run by a person: when on, every line logged to syslog or
 * maillog_file is also written to standard error as "PROG: text".
 */
void	log_also_stderr(bool);

void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Log, run the cleanup hook, exit(status).  fatal adds strerror(errno). */
void	fatal(int status, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	fatalx(int status, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
/* A broken invariant (our bug): log and abort(). */
void	panic(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Log a batch of messages, one per "\n"-ended line of text (len bytes), as
 * parsers collect them: a line that starts with "warning: " is logged as a
 * warning, any other as an error.  Returns the number of errors.
 */
int	log_messages(const char *text, size_t len);

/* Called by fatal and fatalx before exit (e.g. to remove a tmp/ file). */
void	log_set_cleanup(void (*)(void));
/*
 * Tests: called instead of exiting, with the status (-1 for panic) and the
 * formatted text; the hook must not return (it longjmps).
 */
void	log_set_fatal_hook(void (*)(int status, const char *text));

/* Escape s (n bytes) for a log line into out (size outsize, NUL ended). */
void	log_escape(char *out, size_t outsize, const char *s, size_t n);

#endif
