/* SPDX-License-Identifier: ISC */
/*
 * runcmd.c: unit tests for lib/runcmd: the input a command gets (head,
 * content from a file, end of line conversion, dot-stuffing, From_
 * quoting across chunk boundaries, the blank line), its output kept and
 * bounded, the time limit, and the judgement texts.  The commands are
 * /bin/cat and /bin/sh.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"
#include "runcmd.h"
#include "sig.h"
#include "str.h"
#include "tap.h"

static int	content(const char *, size_t);

/* A temporary file holding n bytes of s, open for reading. */
static int
content(const char *s, size_t n)
{
	struct str	path = STR_INIT;
	int		fd;

	str_catf(&path, "%s/content", tap_tmpdir());
	(void)unlink(path.s);
	fd = open(path.s, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	str_free(&path);
	if (fd == -1 || fd_write_all(fd, s, n) == -1) {
		return -1;
	}
	return fd;
}

int
main(void)
{
	static const char	 body[] = "From x\n.dot\nFrom: y\nFro\n"
	    "From";
	char			*cat[] = { (char *)(uintptr_t)"cat", NULL };
	char			*sh[] = { (char *)(uintptr_t)"sh",
	    (char *)(uintptr_t)"-c", NULL, NULL };
	struct runcmd		 c;
	struct runcmd_result	 r = RUNCMD_RESULT_INIT;
	struct str		 text = STR_INIT, big = STR_INIT;
	const char		*failed, *want;
	char			 code[16];
	enum dsn_status		 st;
	long long		 t0;
	int			 fd, i;

	/* as every program does (proc_init): a command may stop reading */
	(void)sig_ignore(SIGPIPE);

	plan(17);
	fd = content(body, sizeof(body) - 1);
	ok(fd != -1, "a content file");
	memset(&c, 0, sizeof(c));
	c.path = "/bin/cat";
	c.argv = cat;
	c.head = "H: 1\n";
	c.headlen = 5;
	c.src = fd;
	c.off = 0;
	c.len = sizeof(body) - 1;
	c.time_limit = 10;
	c.output_max = 1000;
	is_int(runcmd_run(&c, &r, &failed), 0, "cat runs");
	want = "H: 1\nFrom x\n.dot\nFrom: y\nFro\nFrom";
	is_mem(r.output.s, r.output.len, want, strlen(want),
	    "no flags: head and content unchanged");
	c.flags = RUNCMD_DOT | RUNCMD_QUOTE_FROM | RUNCMD_FINAL_EOL;
	c.eol = "\r\n";
	c.blank = true;
	(void)runcmd_run(&c, &r, &failed);
	want = "H: 1\r\n>From x\r\n..dot\r\nFrom: y\r\nFro\r\nFrom\r\n"
	    "\r\n";
	is_mem(r.output.s, r.output.len, want, strlen(want),
	    ". > eol= B: converted, the last line ended, a blank line");
	runcmd_judge(&r, "cat", &st, code, &text);
	ok(st == DSN_OK && text.len == 0, "exit 0: delivered, no text");

	/* "From " split over chunk boundaries: 8192-byte chunks */
	str_clear(&big);
	for (i = 0; i < 8190; i++) {
		str_cat_char(&big, i % 100 == 99 ? '\n' : 'a');
	}
	str_cat(&big, "\nFrom z\n");
	(void)close(fd);
	fd = content(big.s, big.len);
	c.src = fd;
	c.len = (off_t)big.len;
	c.head = "";
	c.headlen = 0;
	c.flags = RUNCMD_QUOTE_FROM;
	c.eol = NULL;
	c.blank = false;
	c.output_max = 20000;
	(void)runcmd_run(&c, &r, &failed);
	ok(r.output.len == big.len + 1 &&
	    memcmp(r.output.s + big.len - 7, ">From z\n", 8) == 0,
	    "From_ quoting across a chunk boundary");

	/* output bounded, exit status judged */
	c.path = "/bin/sh";
	c.argv = sh;
	c.output_max = 10;
	sh[2] = (char *)(uintptr_t)"cat >/dev/null; echo 0123456789abc; "
	    "exit 67";
	is_int(runcmd_run(&c, &r, &failed), 0, "sh runs");
	is_mem(r.output.s, r.output.len, "0123456789", 10,
	    "the output is cut at output_max");
	runcmd_judge(&r, "x", &st, code, &text);
	is_str(code, "5.1.1", "exit 67: 5.1.1");
	is_str(text.s, "command died with status 67 (user unknown): \"x\". "
	    "Command output: 0123456789", "exit 67: the text");
	c.output_max = 100;
	sh[2] = (char *)(uintptr_t)"echo '4.2.2 full'; exit 1";
	(void)runcmd_run(&c, &r, &failed);
	runcmd_judge(&r, "x", &st, code, &text);
	ok(st == DSN_TEMP && strcmp(code, "4.2.2") == 0,
	    "a leading 4.2.2 in the output defers with it");
	sh[2] = (char *)(uintptr_t)"kill -TERM $$";
	(void)runcmd_run(&c, &r, &failed);
	runcmd_judge(&r, "x", &st, code, &text);
	is_str(text.s, "command \"x\" killed by signal 15 (SIGTERM)",
	    "a signal defers: the text");
	ok(st == DSN_TEMP, "a signal defers");

	/* the time limit kills the command and what it started */
	c.time_limit = 1;
	sh[2] = (char *)(uintptr_t)"sleep 30 & sleep 30";
	t0 = clock_ms();
	(void)runcmd_run(&c, &r, &failed);
	ok(clock_ms() - t0 < 5000, "the time limit ends it in time");
	runcmd_judge(&r, "x", &st, code, &text);
	ok(st == DSN_PERM && strcmp(code, "5.3.0") == 0 &&
	    strcmp(text.s, "command time limit exceeded: \"x\"") == 0,
	    "the time limit: 5.3.0, bounced");

	/* a command that cannot start */
	c.path = "/nonexistent/cmd";
	is_int(runcmd_run(&c, &r, &failed), -1, "a missing command: -1");
	ok(errno == ENOENT && strcmp(failed, "execve") == 0,
	    "ENOENT at execve");
	(void)close(fd);
	runcmd_result_free(&r);
	str_free(&text);
	str_free(&big);
	return done_testing();
}
