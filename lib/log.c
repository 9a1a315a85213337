/* SPDX-License-Identifier: ISC */
/*
 * log.c: one formatted, escaped, bounded line per call, written with one
 * write(2) (so concurrent writers to maillog_file never interleave inside
 * a line) or one syslog(3) call.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "fmt.h"
#include "log.h"

int	log_verbose;

enum log_dest { LOG_TO_STDERR, LOG_TO_SYSLOG, LOG_TO_FILE };

static enum log_dest	log_dest = LOG_TO_STDERR;
static int		log_fd = 2;
static char		log_prog[64] = "postlet";
static char		log_tag[80] = "postlet";
static char		log_host[64];
/* the maillog_file that log_fd has open ("" for none) */
static char		log_path[1024];
static bool		log_stderr_too;
static bool		log_stdout_busy;
static void		(*log_cleanup)(void);
static void		(*log_fatal_hook)(int, const char *);

const char *
log_progname(void)
{
	return log_prog;
}

void
log_stdout_reserved(void)
{
	log_stdout_busy = true;
}

void
log_also_stderr(bool on)
{
	log_stderr_too = on;
}

/* Whether standard error is the regular file path (keeps errno). */
static bool
log_stderr_is(const char *path)
{
	struct stat	fd2, named;
	int		saved = errno;
	bool		same;

	same = fstat(2, &fd2) == 0 && S_ISREG(fd2.st_mode) &&
	    stat(path, &named) == 0 && fd2.st_dev == named.st_dev &&
	    fd2.st_ino == named.st_ino;
	errno = saved;
	return same;
}

int
log_file_fd(void)
{
	return log_dest == LOG_TO_FILE && log_fd > 2 ? log_fd : -1;
}

int
log_open(const char *prog, const char *maillog_file)
{
	int	fd;

	if (prog != log_prog) {	/* log_open(log_progname(), ...) */
		snprintf(log_prog, sizeof(log_prog), "%s", prog);
	}
	if (strcmp(prog, "postlet") == 0) {
		snprintf(log_tag, sizeof(log_tag), "postlet");
	} else {
		snprintf(log_tag, sizeof(log_tag), "postlet/%s", prog);
	}
	if (log_fd > 2 && maillog_file != NULL &&
	    strcmp(maillog_file, log_path) == 0) {
		/* the same file again (a reload): keep it, as the process
		 * may no longer be allowed to open it */
		return 0;
	}
	if (log_fd > 2) {
		close(log_fd);
	}
	log_fd = 2;
	log_path[0] = '\0';
	if (maillog_file == NULL) {
		log_dest = LOG_TO_STDERR;
		return 0;
	}
	if (*maillog_file == '\0') {
		closelog();
		openlog(log_tag, LOG_PID | LOG_NDELAY, LOG_MAIL);
		log_dest = LOG_TO_SYSLOG;
		return 0;
	}
	if (gethostname(log_host, sizeof(log_host)) != 0) {
		snprintf(log_host, sizeof(log_host), "localhost");
	}
	log_host[sizeof(log_host) - 1] = '\0';
	if (strcmp(maillog_file, "/dev/stderr") == 0) {
		fd = 2;
	} else if (strcmp(maillog_file, "/dev/stdout") == 0) {
		fd = log_stdout_busy ? 2 : 1;
	} else if ((fd = open(maillog_file, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC | O_NOCTTY, 0600)) == -1) {
		if (!log_stderr_is(maillog_file)) {
			log_dest = LOG_TO_STDERR;
			return -1;
		}
		/* a copy of its own: standard error may be replaced later
		 * (master's detach puts /dev/null there), and a reload
		 * keeps the descriptor of the same path */
		if ((fd = fcntl(2, F_DUPFD_CLOEXEC, 3)) == -1) {
			fd = 2;
		}
	}
	log_fd = fd;
	log_dest = LOG_TO_FILE;
	if (fd > 2 && strlen(maillog_file) < sizeof(log_path)) {
		memcpy(log_path, maillog_file, strlen(maillog_file) + 1);
	}
	return 0;
}

void
log_escape(char *out, size_t outsize, const char *s, size_t n)
{
	size_t	i, o = 0;

	if (outsize == 0) {
		return;
	}
	for (i = 0; i < n && o + 1 < outsize; i++) {
		unsigned char	c = (unsigned char)s[i];

		/* Control bytes could forge lines or terminal escapes;
		 * 8-bit bytes are kept for UTF-8 addresses. */
		out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (i < n && outsize > 4) {
		memcpy(out + outsize - 4, "...", 3);
		o = outsize - 1;
	}
	out[o] = '\0';
}

static void
log_emit(int prio, const char *severity, const char *fmt, va_list ap,
    int errnum)
{
	char		raw[LOG_LINE_MAX], text[LOG_LINE_MAX],
	    line[LOG_LINE_MAX + 200];
	static char	stamp[32];
	static time_t	stamp_sec = -1;
	struct tm	tm;
	time_t		now;
	int		n, len;

	n = fmt_vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n < 0) {
		snprintf(raw, sizeof(raw), "(bad log format)");
		n = (int)strlen(raw);
	}
	/* Append at n, not strlen(): %c may have put a NUL in raw. */
	if (errnum != 0 && (size_t)n < sizeof(raw)) {
		n += snprintf(raw + n, sizeof(raw) - (size_t)n, ": %s",
		    strerror(errnum));
	}
	if ((size_t)n >= sizeof(raw)) {
		n = sizeof(raw) - 1;
		memcpy(raw + n - 3, "...", 3);
	}
	log_escape(text, sizeof(text), raw, (size_t)n);

	if (log_stderr_too && log_dest != LOG_TO_STDERR &&
	    !(log_dest == LOG_TO_FILE && log_fd == 2)) {
		len = snprintf(line, sizeof(line), "%s: %s%s\n", log_prog,
		    severity, text);
		if (len > 0) {
			if ((size_t)len >= sizeof(line)) {
				len = sizeof(line) - 1;
				line[len - 1] = '\n';
			}
			while (write(2, line, (size_t)len) == -1 &&
			    errno == EINTR) {
				continue;
			}
		}
	}
	switch (log_dest) {
	case LOG_TO_SYSLOG:
		syslog(prio, "%s%s", severity, text);
		return;
	case LOG_TO_FILE:
		/* the stamp of the last line serves the lines of the same
		 * second: the time zone's rules cost more than the line */
		now = time(NULL);
		if (now != stamp_sec) {
			if (localtime_r(&now, &tm) == NULL ||
			    strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S",
			    &tm) == 0) {
				snprintf(stamp, sizeof(stamp), "-");
			}
			stamp_sec = now;
		}
		len = fmt_snprintf(line, sizeof(line), "%s %s %s[%ld]: %s%s\n",
		    stamp, log_host, log_tag, (long)getpid(), severity, text);
		break;
	default:
		len = snprintf(line, sizeof(line), "%s: %s%s\n", log_prog,
		    severity, text);
		break;
	}
	if (len < 0) {
		return;
	}
	if ((size_t)len >= sizeof(line)) {
		len = sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	/* One write keeps the line whole; a failed log write has nowhere
	 * to be reported, so it is ignored. */
	while (write(log_fd, line, (size_t)len) == -1 && errno == EINTR) {
		continue;
	}
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_emit(LOG_INFO, "", fmt, ap, 0);
	va_end(ap);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	if (log_verbose <= 0) {
		return;
	}
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, "", fmt, ap, 0);
	va_end(ap);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, "warning: ", fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, "warning: ", fmt, ap, 0);
	va_end(ap);
	errno = saved;
}

void
log_error(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_emit(LOG_ERR, "error: ", fmt, ap, 0);
	va_end(ap);
	errno = saved;
}

int
log_messages(const char *text, size_t len)
{
	const char	*p = text, *end = text + len, *nl;
	size_t		 n;
	int		 nerr = 0;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			nl = end;
		}
		n = (size_t)(nl - p);
		if (n >= 9 && memcmp(p, "warning: ", 9) == 0) {
			log_warnx("%.*s", (int)(n - 9), p + 9);
		} else {
			log_error("%.*s", (int)n, p);
			nerr++;
		}
	}
	return nerr;
}

void
log_set_cleanup(void (*fn)(void))
{
	log_cleanup = fn;
}

void
log_set_fatal_hook(void (*fn)(int, const char *))
{
	log_fatal_hook = fn;
}

static void __attribute__((noreturn))
log_die(int status, const char *severity, int prio, int errnum,
    const char *fmt, va_list ap)
{
	char	text[LOG_LINE_MAX];
	va_list	aq;

	if (log_fatal_hook != NULL) {
		va_copy(aq, ap);
		vsnprintf(text, sizeof(text), fmt, aq);
		va_end(aq);
		if (errnum != 0) {
			size_t	used = strlen(text);

			snprintf(text + used, sizeof(text) - used, ": %s",
			    strerror(errnum));
		}
		log_fatal_hook(status, text);
	}
	log_emit(prio, severity, fmt, ap, errnum);
	if (status < 0) {
		abort();
	}
	if (log_cleanup != NULL) {
		void	(*fn)(void) = log_cleanup;

		/* a fatal inside cleanup ends here */
		log_cleanup = NULL;
		fn();
	}
	exit(status);
}

void
fatal(int status, const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_die(status, "fatal: ", LOG_CRIT, saved, fmt, ap);
}

void
fatalx(int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_die(status, "fatal: ", LOG_CRIT, 0, fmt, ap);
}

void
panic(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_die(-1, "panic: ", LOG_CRIT, 0, fmt, ap);
}
