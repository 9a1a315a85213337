/* SPDX-License-Identifier: ISC */
/*
 * mbox.c: tests of lib/mbox: ">From " quoting fed in every possible
 * split of the input, the From_ line, dot locks (taken, busy, stale),
 * the fcntl lock against another process, and the append that is cut
 * back to the old size when it fails.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mbox.h"
#include "str.h"
#include "tap.h"

static const struct {
	const char	*name, *in, *out;
} quote_cases[] = {
	{ "empty", "", "\n" },
	{ "from line", "From x\n", ">From x\n\n" },
	{ "from later", "a\nFrom b\n", "a\n>From b\n\n" },
	{ "no final newline", "a\nFrom b", "a\n>From b\n\n" },
	{ "prefix only", "Fro\n", "Fro\n\n" },
	{ "partial at end", "From", "From\n\n" },
	{ "already quoted", ">From x\n", ">From x\n\n" },
	{ "not at line start", "xFrom y\n", "xFrom y\n\n" },
	{ "From without space", "\nFrom\n", "\nFrom\n\n" },
	{ "From space only", "From \n", ">From \n\n" },
	{ "two", "From a\nFrom b\n", ">From a\n>From b\n\n" },
	{ "blank lines", "\n\nFrom \n", "\n\n>From \n\n" },
};

/* Quote in with one split at every position: all give the same. */
static void
test_quote(void)
{
	struct str	out = STR_INIT;
	size_t		i, cut, n;
	int		bad;

	for (i = 0; i < sizeof(quote_cases) / sizeof(quote_cases[0]); i++) {
		n = strlen(quote_cases[i].in);
		bad = 0;
		for (cut = 0; cut <= n; cut++) {
			struct mbox_quote	q = MBOX_QUOTE_INIT;

			str_clear(&out);
			mbox_quote_put(&q, quote_cases[i].in, cut, &out);
			mbox_quote_put(&q, quote_cases[i].in + cut, n - cut,
			    &out);
			mbox_quote_finish(&q, &out);
			if (!str_eq(&out, quote_cases[i].out)) {
				diag("split at %zu: got '%s'", cut,
				    str_c(&out));
				bad = 1;
			}
		}
		ok(!bad, "quote: %s", quote_cases[i].name);
	}
	str_free(&out);
}

static void
test_from_line(void)
{
	struct str	out = STR_INIT;

	setenv("TZ", "UTC", 1);
	tzset();
	mbox_from_line(&out, "", 0);
	is_str(str_c(&out), "From MAILER-DAEMON  Thu Jan  1 00:00:00 1970\n",
	    "From_ line: null sender, asctime date, two spaces");
	str_clear(&out);
	mbox_from_line(&out, "john doe@example.org", 1700000000);
	is_str(str_c(&out),
	    "From \"john doe\"@example.org  Tue Nov 14 22:13:20 2023\n",
	    "From_ line: the local part quoted");
	str_free(&out);
}

static void
test_dotlock(const char *dir)
{
	struct timespec	ts[2];
	struct stat	st;
	int		dfd;

	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ok(mbox_dotlock(dfd, "u", 500, 1, 0) == 0, "dotlock: taken");
	ok(fstatat(dfd, "u.lock", &st, 0) == 0, "dotlock: u.lock exists");
	errno = 0;
	ok(mbox_dotlock(dfd, "u", 500, 2, 10) == -1 && errno == EAGAIN,
	    "dotlock: busy gives EAGAIN after the attempts");
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 1000;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	(void)utimensat(dfd, "u.lock", ts, 0);
	ok(mbox_dotlock(dfd, "u", 500, 1, 0) == 0,
	    "dotlock: a stale lock is removed and taken");
	ok(mbox_dotunlock(dfd, "u") == 0 &&
	    fstatat(dfd, "u.lock", &st, 0) == -1, "dotlock: unlock removes it");
	errno = 0;
	ok(mbox_dotlock(dfd, "../u", 500, 1, 0) == -1 && errno == EINVAL,
	    "dotlock: a name with '/' is refused");
	(void)close(dfd);
}

static void
test_lock(const char *dir)
{
	char	path[512];
	pid_t	pid;
	int	fd, status = -1;

	snprintf(path, sizeof(path), "%s/box", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ok(mbox_lock(fd, 1, 0) == 0, "fcntl lock: taken");
	if ((pid = fork()) == 0) {
		int	fd2 = open(path, O_RDWR);

		_exit(mbox_lock(fd2, 2, 10) == -1 && errno == EAGAIN ? 0 : 1);
	}
	(void)waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "fcntl lock: another process gets EAGAIN");
	ok(mbox_unlock(fd) == 0, "fcntl lock: released");
	(void)close(fd);
	(void)unlink(path);
}

static void
test_append(const char *dir)
{
	char		path[512], src[512], buf[256];
	const char	want[] = "old\nHEAD\n>From a\nb\n\n";
	ssize_t		n;
	int		fd, sfd;

	snprintf(path, sizeof(path), "%s/mbox", dir);
	snprintf(src, sizeof(src), "%s/src", dir);
	sfd = open(src, O_RDWR | O_CREAT | O_TRUNC, 0600);
	(void)write(sfd, "xxFrom a\nb", 10);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC, 0600);
	(void)write(fd, "old\n", 4);
	ok(mbox_append(fd, "HEAD\n", 5, sfd, 2, 8) == 0, "append: 0");
	errno = 0;
	ok(mbox_append(fd, "HEAD\n", 5, sfd, 2, 100) == -1 && errno == EIO,
	    "append: a short source is EIO");
	(void)close(fd);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	is_mem(buf, n < 0 ? 0 : (size_t)n, want, sizeof(want) - 1,
	    "append: the message, quoted; the failed one cut off");
	(void)close(fd);
	(void)close(sfd);
}

int
main(void)
{
	const char	*dir = tap_tmpdir();

	plan(12 + 2 + 6 + 3 + 3);
	test_quote();
	test_from_line();
	test_dotlock(dir);
	test_lock(dir);
	test_append(dir);
	return done_testing();
}
