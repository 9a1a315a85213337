/* SPDX-License-Identifier: ISC */
/*
 * log.c: unit tests for lib/log.
 *
 * Lines logged to a maillog_file in the test's temporary directory are
 * read back and compared byte for byte: the timestamp must be the local
 * time of the call in syslog's "Mmm dd HH:MM:SS" form, followed by the
 * host name, "postlet/PROG[PID]: " and the expected text, one line with
 * one newline.  Standard error mode is checked by pointing descriptor 2
 * at a file for the duration of a call.  fatal/fatalx/panic are checked
 * twice: through the test hook (status and text), and for real in a
 * child process (exit status or SIGABRT, the logged line, the cleanup).
 * syslog mode is not exercised: it would write to the host's log.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "log.h"
#include "str.h"
#include "tap.h"

#define MEM(s)	(s), (sizeof(s) - 1)

static char	logpath[512];
static char	host[64];
/* f_long_*: longtext, long_len bytes */
static char	longtext[10001];
static int	long_len;
static int	long_errnum;
static char	marker[600];		/* written by cleanup_mark */

static void	read_file(const char *, struct str *);
static int	stamp_ok(const char *, time_t, time_t);
static void	check_file_line(const char *, const char *, const char *,
		    pid_t, time_t, time_t, const char *, size_t);
static void	run_file_case(const char *, void (*)(void), const char *,
		    size_t);
static int	capture_start(const char *);
static void	capture_end(int);
static void	check_stderr(const char *, void (*)(void), const char *);
static pid_t	run_child(void (*)(void), int *);
static void	test_escape(void);
static void	s_before(void);
static void	s_warnx(void);
static void	s_warn(void);
static void	s_error(void);
static void	s_escape(void);
static void	test_stderr(void);
static void	s_messages(void);
static void	f_info(void);
static void	f_qid(void);
static void	f_warnx(void);
static void	f_warn(void);
static void	f_warn_eacces(void);
static void	f_error(void);
static void	f_crlf(void);
static void	f_forged(void);
static void	f_esc(void);
static void	f_tab_del(void);
static void	f_nul(void);
static void	f_8bit(void);
static void	f_allctl(void);
static void	f_warn_nul(void);
static void	f_warn_ctl(void);
static void	f_percent(void);
static void	test_file(void);
static void	f_long_info(void);
static void	f_long_warnx(void);
static void	f_long_warn(void);
static void	long_want(struct str *, const char *, size_t, int, char);
static void	test_long(void);
static void	f_debug(void);
static void	test_verbose(void);
static void	test_errno_kept(void);
static void	test_open(void);
static void	test_inherited(void);
static int	inherited_child(const char *, const char *);
static void	test_fatal_hook(void);
static void	cleanup_mark(void);
static void	cleanup_fatal(void);
static void	child_fatal(void);
static void	child_fatalx(void);
static void	child_fatal_twice(void);
static void	child_panic(void);
static void	strip_stamps(const struct str *, struct str *);
static void	test_fatal_real(void);

static void
read_file(const char *path, struct str *out)
{
	FILE	*fp;
	char	 chunk[4096];
	size_t	 n;

	str_clear(out);
	if ((fp = fopen(path, "rb")) == NULL) {
		return;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		str_cat_mem(out, chunk, n);
	}
	fclose(fp);
}

/* p starts with the syslog stamp of one second in [t0, t1] and a blank. */
static int
stamp_ok(const char *p, time_t t0, time_t t1)
{
	char		want[32];
	struct tm	tm;
	time_t		t;

	for (t = t0; t <= t1; t++) {
		if (localtime_r(&t, &tm) == NULL ||
		    strftime(want, sizeof(want), "%b %e %H:%M:%S ",
		    &tm) != 16) {
			return 0;
		}
		if (memcmp(p, want, 16) == 0) {
			return 1;
		}
	}
	return 0;
}

/*
 * The file holds exactly one line: "STAMP HOST TAG[PID]: TEXT\n".
 */
static void
check_file_line(const char *name, const char *path, const char *tag,
    pid_t pid, time_t t0, time_t t1, const char *text, size_t textlen)
{
	struct str	got = STR_INIT, want = STR_INIT;

	read_file(path, &got);
	str_catf(&want, "%s %s[%ld]: ", host, tag, (long)pid);
	str_cat_mem(&want, text, textlen);
	str_cat(&want, "\n");
	if (!ok(got.len > 16 && stamp_ok(got.s, t0, t1),
	    "%s: timestamp", name)) {
		diag("line: %.40s", str_c(&got));
	}
	if (got.len >= 16) {
		is_mem(got.s + 16, got.len - 16, want.s, want.len,
		    "%s: line after the timestamp", name);
	} else {
		is_mem(got.s, got.len, want.s, want.len, "%s: line", name);
	}
	str_free(&got);
	str_free(&want);
}

static void
run_file_case(const char *name, void (*fn)(void), const char *text,
    size_t textlen)
{
	time_t	t0, t1;

	if (truncate(logpath, 0) == -1) {
		diag("truncate %s: %s", logpath, strerror(errno));
	}
	t0 = time(NULL);
	fn();
	t1 = time(NULL);
	check_file_line(name, logpath, "postlet/smtpd", getpid(), t0, t1,
	    text, textlen);
}

/* Point descriptor 2 at path (emptied); returns the saved descriptor. */
static int
capture_start(const char *path)
{
	int	fd, saved;

	fflush(stderr);
	if ((saved = dup(2)) == -1 ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    dup2(fd, 2) == -1) {
		perror("capture_start");
		exit(1);
	}
	close(fd);
	return saved;
}

static void
capture_end(int saved)
{
	if (dup2(saved, 2) == -1) {
		perror("capture_end");
		exit(1);
	}
	close(saved);
}

static void
check_stderr(const char *name, void (*fn)(void), const char *want)
{
	struct str	got = STR_INIT;
	char		path[600];
	int		saved;

	snprintf(path, sizeof(path), "%s/stderr", tap_tmpdir());
	saved = capture_start(path);
	fn();
	capture_end(saved);
	read_file(path, &got);
	is_mem(got.s, got.len, want, strlen(want), "stderr %s", name);
	str_free(&got);
}

/* Run fn in a child; returns its pid, *status its wait status. */
static pid_t
run_child(void (*fn)(void), int *status)
{
	struct rlimit	rl = { 0, 0 };
	pid_t		pid;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		/* No core file from the abort() of panic; the exit() of
		 * fatal must not remove the parent's tap_tmpdir(). */
		setrlimit(RLIMIT_CORE, &rl);
		setenv("TAP_KEEP", "1", 1);
		if (chdir(tap_tmpdir()) == -1) {
			_exit(99);
		}
		fn();
		_exit(98);
	}
	while (waitpid(pid, status, 0) == -1) {
		if (errno != EINTR) {
			perror("waitpid");
			exit(1);
		}
	}
	return pid;
}

static void
test_escape(void)
{
	static const struct {
		const char	*name;
		const char	*in;
		size_t		 n;
		size_t		 outsize;
		const char	*want;
	} cases[] = {
		{ "plain", MEM("abc"), 16, "abc" },
		{ "empty", MEM(""), 16, "" },
		{ "CR LF", MEM("a\r\nb"), 16, "a??b" },
		{ "NUL", MEM("a\0b"), 16, "a?b" },
		{ "ESC sequence", MEM("\033[2J"), 16, "?[2J" },
		{ "tab", MEM("\t"), 16, "?" },
		{ "DEL", MEM("\x7f"), 16, "?" },
		{ "0x01 and 0x1f", MEM("\x01\x1f"), 16, "??" },
		{ "blank and tilde kept", MEM(" ~"), 16, " ~" },
		{ "8-bit kept", MEM("\xc3\xa9\x80\xff"), 16,
		    "\xc3\xa9\x80\xff" },
		{ "fits exactly", MEM("abcde"), 6, "abcde" },
		{ "one too many", MEM("abcdef"), 6, "ab..." },
		{ "far too long", MEM("abcdefghijklmnop"), 8, "abcd..." },
		{ "cut escapes too", MEM("\r\r\r\r\r\r\r\r"), 7, "???..." },
		{ "cut, no room for a mark", MEM("abcdef"), 4, "abc" },
		{ "size 1", MEM("abc"), 1, "" },
		{ "n counts, not NUL", "abc", 2, 16, "ab" },
	};
	char	out[32];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'Z', sizeof(out));
		log_escape(out, cases[i].outsize, cases[i].in, cases[i].n);
		is_str(out, cases[i].want, "escape %s", cases[i].name);
		ok(out[cases[i].outsize] == 'Z',
		    "escape %s: nothing written past outsize", cases[i].name);
	}
	memset(out, 'Z', sizeof(out));
	log_escape(out, 0, "abc", 3);
	ok(out[0] == 'Z', "escape size 0: nothing written");
}

static void
s_before(void)
{
	log_info("hello %s", "world");
}

static void
s_warnx(void)
{
	log_warnx("cannot %s", "go on");
}

static void
s_warn(void)
{
	errno = ENOENT;
	log_warn("open %s", "main.cf");
}

static void
s_error(void)
{
	log_error("bad line %d", 3);
}

static void
s_escape(void)
{
	log_info("from=<%s>", "a\r\nb\033");
}

/* A parser's batch: two errors, one warning, no final newline. */
static int	messages_nerr;

static void
s_messages(void)
{
	static const char	text[] = "f, line 1: bad\n"
	    "warning: f, line 2: unknown \"x\"\nf, line 3: worse";

	messages_nerr = log_messages(text, sizeof(text) - 1);
}

static void
test_stderr(void)
{
	struct str	want = STR_INIT;

	is_str(log_progname(), "postlet", "stderr: program name before open");
	check_stderr("before log_open", s_before, "postlet: hello world\n");
	is_int(log_open("sendmail", NULL), 0, "stderr: log_open(NULL) is 0");
	is_str(log_progname(), "sendmail", "stderr: program name");
	check_stderr("info", s_before, "sendmail: hello world\n");
	check_stderr("warnx", s_warnx, "sendmail: warning: cannot go on\n");
	str_catf(&want, "sendmail: warning: open main.cf: %s\n",
	    strerror(ENOENT));
	check_stderr("warn", s_warn, want.s);
	check_stderr("error", s_error, "sendmail: error: bad line 3\n");
	check_stderr("escaped", s_escape, "sendmail: from=<a??b?>\n");
	check_stderr("messages", s_messages, "sendmail: error: f, line 1: bad\n"
	    "sendmail: warning: f, line 2: unknown \"x\"\n"
	    "sendmail: error: f, line 3: worse\n");
	is_int(messages_nerr, 2, "log_messages: counts the errors");
	str_free(&want);
}

static void
f_info(void)
{
	log_info("hello %s", "world");
}

static void
f_qid(void)
{
	log_info("%s: from=<%s>, size=%d, nrcpt=%d", "3F2A91C07",
	    "a@example.org", 1234, 1);
}

static void
f_warnx(void)
{
	log_warnx("disk %d%% full", 95);
}

static void
f_warn(void)
{
	errno = ENOENT;
	log_warn("open %s", "maildrop/x");
}

static void
f_warn_eacces(void)
{
	errno = EACCES;
	log_warn("open %s", "maildrop/x");
}

static void
f_error(void)
{
	log_error("queue file %s: corrupt", "Q1");
}

static void
f_crlf(void)
{
	log_info("from=<%s>", "a\r\nb");
}

static void
f_forged(void)
{
	log_info("helo=%s", "x\nJan  1 00:00:00 h postlet/smtpd[1]: fake");
}

static void
f_esc(void)
{
	log_info("%s", "\033[31mred\033[0m");
}

static void
f_tab_del(void)
{
	log_info("%s", "a\tb\x7f");
}

static void
f_nul(void)
{
	log_info("a%cb", 0);
}

static void
f_8bit(void)
{
	log_info("to=<%s>", "r\xc3\xa9sum\xc3\xa9@example.org");
}

static void
f_allctl(void)
{
	char	s[32];
	int	i;

	for (i = 1; i < 32; i++) {
		s[i - 1] = (char)i;
	}
	s[31] = '\0';
	log_info("[%s]", s);
}

static void
f_warn_nul(void)
{
	errno = EIO;
	log_warn("a%cb", 0);
}

static void
f_warn_ctl(void)
{
	errno = EIO;
	log_warn("%s", "a\nb");
}

static void
f_percent(void)
{
	log_info("%s", "100%s %d");
}

static void
test_file(void)
{
	static const struct {
		const char	*name;
		void		(*fn)(void);
		const char	*text;
		size_t		 len;
		/* appended as ": strerror" */
		int		 errnum;
	} cases[] = {
		{ "info", f_info, MEM("hello world"), 0 },
		{ "queue id line", f_qid,
		    MEM("3F2A91C07: from=<a@example.org>, size=1234, nrcpt=1"),
		    0 },
		{ "warnx", f_warnx, MEM("warning: disk 95% full"), 0 },
		{ "warn ENOENT", f_warn, MEM("warning: open maildrop/x"),
		    ENOENT },
		{ "warn EACCES", f_warn_eacces,
		    MEM("warning: open maildrop/x"), EACCES },
		{ "error", f_error, MEM("error: queue file Q1: corrupt"), 0 },
		{ "CR LF from %s", f_crlf, MEM("from=<a??b>"), 0 },
		{ "forged line", f_forged,
		    MEM("helo=x?Jan  1 00:00:00 h postlet/smtpd[1]: fake"), 0 },
		{ "ESC", f_esc, MEM("?[31mred?[0m"), 0 },
		{ "tab and DEL", f_tab_del, MEM("a?b?"), 0 },
		{ "NUL from %c", f_nul, MEM("a?b"), 0 },
		{ "8-bit kept", f_8bit,
		    MEM("to=<r\xc3\xa9sum\xc3\xa9@example.org>"), 0 },
		{ "bytes 1 to 31", f_allctl,
		    MEM("[???????????????????????????????]"), 0 },
		{ "warn with NUL from %c", f_warn_nul, MEM("warning: a?b"),
		    EIO },
		{ "warn with LF from %s", f_warn_ctl, MEM("warning: a?b"),
		    EIO },
		{ "%s is not expanded twice", f_percent, MEM("100%s %d"), 0 },
	};
	struct str	want = STR_INIT;
	size_t		i;

	snprintf(logpath, sizeof(logpath), "%s/maillog", tap_tmpdir());
	is_int(log_open("smtpd", logpath), 0, "file: log_open(smtpd, file)");
	is_str(log_progname(), "smtpd", "file: program name");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		str_set_mem(&want, cases[i].text, cases[i].len);
		if (cases[i].errnum != 0) {
			str_catf(&want, ": %s", strerror(cases[i].errnum));
		}
		run_file_case(cases[i].name, cases[i].fn, want.s, want.len);
	}
	str_free(&want);
	/* a stamp serves the lines of its second only (log.c keeps it) */
	{
		time_t	t = time(NULL);

		while (time(NULL) == t) {
			usleep(20000);
		}
		run_file_case("the next second: a new stamp", f_info,
		    MEM("hello world"));
	}
}

static void
f_long_info(void)
{
	log_info("%.*s", long_len, longtext);
}

static void
f_long_warnx(void)
{
	log_warnx("%.*s", long_len, longtext);
}

static void
f_long_warn(void)
{
	errno = long_errnum;
	log_warn("%.*s", long_len, longtext);
}

/* What a cut line must read: the first LOG_LINE_MAX - 4 bytes, "...". */
static void
long_want(struct str *want, const char *sev, size_t len, int errnum,
    char shown)
{
	struct str	raw = STR_INIT;
	size_t		i;

	for (i = 0; i < len; i++) {
		str_cat_char(&raw, shown);
	}
	if (errnum != 0) {
		str_catf(&raw, ": %s", strerror(errnum));
	}
	if (raw.len > LOG_LINE_MAX - 1) {
		str_truncate(&raw, LOG_LINE_MAX - 4);
		str_cat(&raw, "...");
	}
	str_set(want, sev);
	str_cat_mem(want, raw.s, raw.len);
	str_free(&raw);
}

static void
test_long(void)
{
	static const struct {
		const char	*name;
		void		(*fn)(void);
		const char	*sev;
		int		 len;
		int		 errnum;
		char		 c, shown;
	} cases[] = {
		{ "LOG_LINE_MAX-1 bytes, not cut", f_long_info, "",
		    LOG_LINE_MAX - 1, 0, 'x', 'x' },
		{ "LOG_LINE_MAX bytes, cut", f_long_info, "",
		    LOG_LINE_MAX, 0, 'x', 'x' },
		{ "10000 bytes, cut", f_long_info, "", 10000, 0, 'x', 'x' },
		{ "10000 CRs, escaped and cut", f_long_info, "", 10000, 0,
		    '\r', '?' },
		{ "10000 bytes warnx", f_long_warnx, "warning: ", 10000, 0,
		    'x', 'x' },
		{ "warn, strerror fits", f_long_warn, "warning: ", 100,
		    ENOENT, 'x', 'x' },
		{ "warn, strerror crosses the cut", f_long_warn, "warning: ",
		    LOG_LINE_MAX - 8, ENOENT, 'x', 'x' },
		{ "warn, text alone is too long", f_long_warn, "warning: ",
		    10000, ENOENT, 'x', 'x' },
	};
	struct str	want = STR_INIT;
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(longtext, cases[i].c, sizeof(longtext) - 1);
		long_len = cases[i].len;
		long_errnum = cases[i].errnum;
		long_want(&want, cases[i].sev, (size_t)cases[i].len,
		    cases[i].errnum, cases[i].shown);
		run_file_case(cases[i].name, cases[i].fn, want.s, want.len);
	}
	str_free(&want);
	/* a stamp serves the lines of its second only (log.c keeps it) */
	{
		time_t	t = time(NULL);

		while (time(NULL) == t) {
			usleep(20000);
		}
		run_file_case("the next second: a new stamp", f_info,
		    MEM("hello world"));
	}
}

static void
f_debug(void)
{
	log_debug("debug %d", 1);
}

static void
test_verbose(void)
{
	struct str	got = STR_INIT;

	log_verbose = 0;
	truncate(logpath, 0);
	f_debug();
	read_file(logpath, &got);
	is_int((long long)got.len, 0, "debug: nothing at log_verbose 0");
	log_verbose = -1;
	f_debug();
	read_file(logpath, &got);
	is_int((long long)got.len, 0, "debug: nothing at log_verbose -1");
	log_verbose = 1;
	run_file_case("debug at log_verbose 1", f_debug, MEM("debug 1"));
	log_verbose = 2;
	run_file_case("debug at log_verbose 2", f_debug, MEM("debug 1"));
	log_verbose = 0;
	str_free(&got);
}

static void
test_errno_kept(void)
{
	errno = EXDEV;
	log_info("x");
	is_int(errno, EXDEV, "errno kept by log_info");
	log_warn("x");
	is_int(errno, EXDEV, "errno kept by log_warn");
	log_warnx("x");
	is_int(errno, EXDEV, "errno kept by log_warnx");
	log_error("x");
	is_int(errno, EXDEV, "errno kept by log_error");
	log_verbose = 1;
	log_debug("x");
	log_verbose = 0;
	is_int(errno, EXDEV, "errno kept by log_debug");
}

static void
test_open(void)
{
	struct str	got = STR_INIT;
	char		path2[600], bad[600], moved[600], longname[200];
	time_t		t0, t1;
	int		saved, r;

	/* The program "postlet" itself is tagged "postlet", not twice. */
	snprintf(path2, sizeof(path2), "%s/maillog2", tap_tmpdir());
	is_int(log_open("postlet", path2), 0, "open: log_open(postlet, file)");
	t0 = time(NULL);
	log_info("hello");
	t1 = time(NULL);
	check_file_line("open: tag of postlet itself", path2, "postlet",
	    getpid(), t0, t1, MEM("hello"));

	/* Switching files: the new one gets the lines, the old one none. */
	truncate(logpath, 0);
	truncate(path2, 0);
	is_int(log_open("smtpd", logpath), 0, "open: back to the first file");
	t0 = time(NULL);
	log_info("switched");
	t1 = time(NULL);
	check_file_line("open: switched file", logpath, "postlet/smtpd",
	    getpid(), t0, t1, MEM("switched"));
	read_file(path2, &got);
	is_int((long long)got.len, 0, "open: nothing more in the old file");

	/* Append, never overwrite. */
	truncate(logpath, 0);
	log_info("one");
	log_info("two");
	read_file(logpath, &got);
	ok(got.len > 0 && strstr(got.s, "]: one\n") != NULL &&
	    strstr(got.s, "]: two\n") != NULL &&
	    strstr(got.s, "]: one\n") < strstr(got.s, "]: two\n"),
	    "open: lines are appended in order");

	/* The same file again (a reload): kept open, not opened anew,
	 * so it goes on even where it can no longer be opened. */
	snprintf(moved, sizeof(moved), "%s/maillog.moved", tap_tmpdir());
	truncate(logpath, 0);
	is_int(rename(logpath, moved), 0, "open: the file moves away");
	is_int(log_open("qmgr", logpath), 0, "open: the same path again: 0");
	log_info("kept");
	read_file(moved, &got);
	ok(got.len > 0 && strstr(got.s, "postlet/qmgr[") != NULL &&
	    strstr(got.s, "]: kept\n") != NULL,
	    "open: the same path again keeps the open file (new tag)");
	ok(access(logpath, F_OK) == -1, "open: ... and creates nothing");
	is_int(rename(moved, logpath), 0, "open: the file moves back");

	/* An unwritable file: -1/ENOENT, lines go to standard error. */
	snprintf(bad, sizeof(bad), "%s/no/such/dir/log", tap_tmpdir());
	errno = 0;
	r = log_open("qmgr", bad);
	is_int(r, -1, "open: missing directory is -1");
	is_int(errno, ENOENT, "open: with ENOENT");
	check_stderr("after a failed open", f_info, "qmgr: hello world\n");

	/* "/dev/stderr" is a maillog_file on descriptor 2. */
	snprintf(path2, sizeof(path2), "%s/stderr2", tap_tmpdir());
	saved = capture_start(path2);
	r = log_open("pickup", "/dev/stderr");
	t0 = time(NULL);
	log_info("to stderr");
	t1 = time(NULL);
	capture_end(saved);
	is_int(r, 0, "open: /dev/stderr is 0");
	check_file_line("open: /dev/stderr", path2, "postlet/pickup",
	    getpid(), t0, t1, MEM("to stderr"));

	/* A program name longer than the tag buffer is cut, not overrun. */
	memset(longname, 'p', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	is_int(log_open(longname, NULL), 0, "open: very long program name");
	ok(strlen(log_progname()) > 0 && strlen(log_progname()) < 100 &&
	    strncmp(log_progname(), longname, strlen(log_progname())) == 0,
	    "open: very long program name is cut");

	/* The name handed back by log_progname() can be given again. */
	log_open("cleanup", NULL);
	log_open(log_progname(), NULL);
	is_str(log_progname(), "cleanup",
	    "open: log_open(log_progname()) keeps the name");
	check_stderr("after log_open(log_progname())", f_info,
	    "cleanup: hello world\n");

	is_int(log_open("smtpd", logpath), 0, "open: back to the file");
	str_free(&got);
}

static void
test_fatal_hook(void)
{
	struct str	want = STR_INIT;
	int		trapped;

	trapped = TAP_FATAL(fatalx(EX_CONFIG, "bad %s", "main.cf"));
	ok(trapped, "hook: fatalx is trapped");
	is_int(tap_fatal_status, EX_CONFIG, "hook: fatalx status");
	is_str(tap_fatal_text, "bad main.cf", "hook: fatalx text");

	errno = EACCES;
	trapped = TAP_FATAL(fatal(EX_OSERR, "open %s", "maildrop"));
	str_catf(&want, "open maildrop: %s", strerror(EACCES));
	ok(trapped, "hook: fatal is trapped");
	is_int(tap_fatal_status, EX_OSERR, "hook: fatal status");
	is_str(tap_fatal_text, want.s, "hook: fatal adds strerror");

	trapped = TAP_FATAL(panic("broken %d", 3));
	ok(trapped, "hook: panic is trapped");
	is_int(tap_fatal_status, -1, "hook: panic status is -1");
	is_str(tap_fatal_text, "broken 3", "hook: panic text");

	trapped = TAP_FATAL(log_info("%s", "not fatal"));
	ok(!trapped, "hook: log_info is not fatal");
	str_free(&want);
}

static void
cleanup_mark(void)
{
	int	fd;

	if ((fd = open(marker, O_WRONLY | O_CREAT | O_APPEND, 0600)) != -1) {
		(void)write(fd, "cleanup\n", 8);
		close(fd);
	}
}

static void
cleanup_fatal(void)
{
	cleanup_mark();
	fatalx(EX_SOFTWARE, "fatal in cleanup");
}

static void
child_fatal(void)
{
	log_open("qmgr", logpath);
	log_set_cleanup(cleanup_mark);
	errno = ENOSPC;
	fatal(EX_TEMPFAIL, "write %s", "q/1");
}

static void
child_fatalx(void)
{
	log_open("qmgr", logpath);
	log_set_cleanup(cleanup_mark);
	fatalx(EX_DATAERR, "bad input\r\n%s", "forged");
}

static void
child_fatal_twice(void)
{
	log_open("qmgr", logpath);
	log_set_cleanup(cleanup_fatal);
	fatalx(EX_TEMPFAIL, "first");
}

static void
child_panic(void)
{
	log_open("qmgr", logpath);
	log_set_cleanup(cleanup_mark);
	panic("invariant %s", "broken");
}

/*
 * Copy the lines of in to out without their first 16 bytes (the stamp);
 * a line too short to hold a stamp is copied whole, so that it fails.
 */
static void
strip_stamps(const struct str *in, struct str *out)
{
	const char	*p, *end, *nl;

	str_clear(out);
	for (p = str_c(in), end = p + in->len; p < end; p = nl) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			nl = end;
		} else {
			nl++;
		}
		if (nl - p > 16) {
			str_cat_mem(out, p + 16, (size_t)(nl - p) - 16);
		} else {
			str_cat_mem(out, p, (size_t)(nl - p));
		}
	}
}

static void
test_fatal_real(void)
{
	static const struct {
		const char	*name;
		void		(*fn)(void);
		/* exit status, or -SIGNAL */
		int		 status;
		/* after "STAMP HOST " */
		const char	*lines;
		/* strerror in line 1 */
		int		 errnum;
		/* marker file contents */
		const char	*cleanup;
	} cases[] = {
		{ "fatal", child_fatal, EX_TEMPFAIL,
		    "fatal: write q/1", ENOSPC, "cleanup\n" },
		{ "fatalx escapes", child_fatalx, EX_DATAERR,
		    "fatal: bad input??forged", 0, "cleanup\n" },
		{ "fatal in cleanup", child_fatal_twice, EX_SOFTWARE,
		    "fatal: first\nfatal: fatal in cleanup", 0, "cleanup\n" },
		{ "panic", child_panic, -SIGABRT,
		    "panic: invariant broken", 0, "" },
	};
	struct str	got = STR_INIT, want = STR_INIT, mark = STR_INIT;
	struct str	bare = STR_INIT;
	const char	*p, *q;
	size_t		i;
	pid_t		pid;
	int		status;

	snprintf(marker, sizeof(marker), "%s/cleanup", tap_tmpdir());
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		truncate(logpath, 0);
		unlink(marker);
		pid = run_child(cases[i].fn, &status);
		if (cases[i].status >= 0) {
			ok(WIFEXITED(status) &&
			    WEXITSTATUS(status) == cases[i].status,
			    "real %s: exit status %d", cases[i].name,
			    cases[i].status);
		} else {
			ok(WIFSIGNALED(status) &&
			    WTERMSIG(status) == -cases[i].status,
			    "real %s: killed by signal %d", cases[i].name,
			    -cases[i].status);
		}
		/* Each line, with its stamp and host name taken out. */
		str_clear(&want);
		for (p = cases[i].lines; *p != '\0'; p = *q ? q + 1 : q) {
			q = strchr(p, '\n');
			if (q == NULL) {
				q = p + strlen(p);
			}
			str_catf(&want, "%s postlet/qmgr[%ld]: %.*s", host,
			    (long)pid, (int)(q - p), p);
			if (cases[i].errnum != 0 && p == cases[i].lines) {
				str_catf(&want, ": %s",
				    strerror(cases[i].errnum));
			}
			str_cat(&want, "\n");
		}
		read_file(logpath, &got);
		strip_stamps(&got, &bare);
		is_mem(bare.s, bare.len, want.s, want.len,
		    "real %s: logged lines", cases[i].name);
		read_file(marker, &mark);
		is_mem(mark.s, mark.len, cases[i].cleanup,
		    strlen(cases[i].cleanup), "real %s: cleanup ran %s",
		    cases[i].name, *cases[i].cleanup ? "once" : "not");
	}
	str_free(&got);
	str_free(&want);
	str_free(&mark);
	str_free(&bare);
}

/*
 * A maildir_file this process may not open, that its standard error is
 * (as master gives it to the daemons it starts as mail_owner): log_open
 * takes a copy of that descriptor, which outlives a new standard error
 * (master's detach); another file that it may not open is an error.
 * Child exit status: a bit per check that failed.
 */
static int
inherited_child(const char *path, const char *other)
{
	int	fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_APPEND)) == -1 || dup2(fd, 2) == -1) {
		return 64;
	}
	(void)close(fd);
	/* not allowed to open it from now on */
	if (geteuid() == 0) {
		if (setgroups(0, NULL) == -1 || setgid(65534) == -1 ||
		    setuid(65534) == -1) {
			return 64;
		}
	} else if (chmod(path, 0) == -1 || chmod(other, 0) == -1) {
		return 64;
	}
	if (open(path, O_WRONLY) != -1) {
		return 64;	/* the test cannot be made here */
	}
	if (log_open("smtpd", path) != 0) {
		rc |= 1;
	}
	if (log_file_fd() <= 2) {
		rc |= 2;
	}
	if ((fd = open("/dev/null", O_WRONLY)) == -1 || dup2(fd, 2) == -1) {
		return 64;
	}
	log_info("inherited %s", "line");
	if (log_open("smtpd", other) != -1 || log_file_fd() != -1) {
		rc |= 4;
	}
	return rc;
}

static void
test_inherited(void)
{
	struct str	got = STR_INIT, want = STR_INIT;
	char		path[600], other[600];
	time_t		t0, t1;
	pid_t		pid;
	int		status, fd;

	snprintf(path, sizeof(path), "%s/maillog.inherited", tap_tmpdir());
	snprintf(other, sizeof(other), "%s/maillog.other", tap_tmpdir());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	(void)close(fd);
	fd = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	(void)close(fd);
	/* as root, the child becomes nobody, who must reach the files */
	if (geteuid() == 0) {
		(void)chmod(tap_tmpdir(), 0711);
	}
	t0 = time(NULL);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		_exit(inherited_child(path, other));
	}
	status = -1;
	(void)waitpid(pid, &status, 0);
	t1 = time(NULL);
	(void)chmod(path, 0600);
	(void)chmod(other, 0600);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 64) {
		skip(4, "inherited: cannot make an unopenable maillog here");
		return;
	}
	ok(WIFEXITED(status) && (WEXITSTATUS(status) & 1) == 0,
	    "inherited: log_open takes the file from standard error");
	ok(WIFEXITED(status) && (WEXITSTATUS(status) & 2) == 0,
	    "inherited: a copy of its own, above 2 (log_file_fd)");
	ok(WIFEXITED(status) && (WEXITSTATUS(status) & 4) == 0,
	    "inherited: another file it cannot open: -1");
	read_file(path, &got);
	str_catf(&want, "%s postlet/smtpd[%ld]: inherited line\n", host,
	    (long)pid);
	if (!ok(got.len > 16 && stamp_ok(got.s, t0, t1) &&
	    str_eq(&want, got.s + 16),
	    "inherited: the line in the file's shape, after standard error "
	    "changed")) {
		diag("got: %s", str_c(&got));
	}
	str_free(&got);
	str_free(&want);
}

int
main(void)
{
	if (gethostname(host, sizeof(host)) != 0) {
		snprintf(host, sizeof(host), "localhost");
	}
	host[sizeof(host) - 1] = '\0';
	signal(SIGPIPE, SIG_IGN);
	test_escape();
	test_stderr();
	test_file();
	test_long();
	test_verbose();
	test_errno_kept();
	test_open();
	test_inherited();
	test_fatal_hook();
	test_fatal_real();
	return done_testing();
}
