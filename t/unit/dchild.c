/* SPDX-License-Identifier: ISC */
/*
 * dchild.c: unit tests for lib/dchild: the child's result reaches the
 * parent, its standard input and output are /dev/null, RLIMIT_FSIZE
 * gives EFBIG, a child that dies leaves an empty result, and the
 * "S CODE TEXT" result lines round-trip and are checked.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dchild.h"
#include "str.h"
#include "tap.h"

static void	say(void *, const char *, struct str *);
static void	stdio(void *, const char *, struct str *);
static void	big(void *, const char *, struct str *);
static void	die(void *, const char *, struct str *);

static void
say(void *arg, const char *become_error, struct str *result)
{
	str_cat(result, become_error == NULL ? arg : "error");
}

/* Standard output must be /dev/null: a write there goes nowhere. */
static void
stdio(void *arg, const char *become_error, struct str *result)
{
	struct stat	a, b;

	(void)arg;
	(void)become_error;
	str_cat(result, fstat(1, &a) == 0 && stat("/dev/null", &b) == 0 &&
	    a.st_rdev == b.st_rdev ? "null" : "other");
}

static void
big(void *arg, const char *become_error, struct str *result)
{
	char	buf[200];
	int	fd;

	(void)become_error;
	memset(buf, 'x', sizeof(buf));
	fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	/* the first write may be cut short at the limit; the next fails */
	if (fd != -1 && write(fd, buf, sizeof(buf)) != -1 &&
	    write(fd, buf, sizeof(buf)) == -1 && errno == EFBIG) {
		str_cat(result, "EFBIG");
	} else {
		str_cat(result, "no EFBIG");
	}
}

static void
die(void *arg, const char *become_error, struct str *result)
{
	(void)arg;
	(void)become_error;
	(void)result;
	abort();
}

int
main(void)
{
	static char		 hello[] = "hello";
	struct dchild_id	 id;
	struct str		 res = STR_INIT, text = STR_INIT;
	struct str		 path = STR_INIT;
	enum dsn_status		 st;
	char			 code[16];
	int			 ws;

	plan(12);
	(void)signal(SIGXFSZ, SIG_IGN);
	memset(&id, 0, sizeof(id));
	is_int(dchild_run(&id, 100, say, hello, &res, &ws), 0, "runs");
	is_str(str_c(&res), "hello", "the result comes back");
	ok(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "the child exits 0");
	(void)dchild_run(&id, 3, say, hello, &res, &ws);
	is_str(str_c(&res), "hel", "the result is bounded");
	(void)dchild_run(&id, 100, stdio, NULL, &res, &ws);
	is_str(str_c(&res), "null", "standard output is /dev/null");
	str_catf(&path, "%s/big", tap_tmpdir());
	id.fsize_limit = 100;
	(void)dchild_run(&id, 100, big, path.s, &res, &ws);
	is_str(str_c(&res), "EFBIG", "fsize_limit: a write past it fails");
	id.fsize_limit = 0;
	(void)dchild_run(&id, 100, die, NULL, &res, &ws);
	ok(res.len == 0 && WIFSIGNALED(ws), "a child that dies: no result");

	str_clear(&res);
	str_set(&text, "delivered to x");
	dchild_result_put(&res, DSN_OK, "2.0.0", &text);
	is_str(str_c(&res), "D 2.0.0 delivered to x", "result_put");
	ok(dchild_result_parse(res.s, res.len, &st, code, &text) == 0 &&
	    st == DSN_OK && strcmp(code, "2.0.0") == 0 &&
	    strcmp(text.s, "delivered to x") == 0, "result_parse");
	is_int(dchild_result_parse("T 5.0.0 x", 9, &st, code, &text), -1,
	    "a code that does not match its status");
	is_int(dchild_result_parse("X 4.0.0 x", 9, &st, code, &text), -1,
	    "an unknown status");
	is_int(dchild_result_parse("", 0, &st, code, &text), -1,
	    "an empty result");
	str_free(&res);
	str_free(&text);
	str_free(&path);
	return done_testing();
}
