/* SPDX-License-Identifier: ISC */
/*
 * proc.c: unit tests for lib/proc (start-up hygiene, spawning commands,
 * wait statuses, command environments).
 *
 * Commands are /bin/sh -c scripts (only here: postlet itself never runs a
 * shell unless configured to), /usr/bin/env, /bin/cat, /bin/sleep, and
 * this test program itself, which run with a first argument "fds", "sigs",
 * "sid" or "cwd" prints what the child sees: its open descriptors, its
 * signal state, whether it leads a session, its working directory.  Every
 * run feeds stdin and drains stdout and stderr together with poll(2), so
 * that a megabyte in both directions cannot deadlock.  Forked children end
 * with _exit, so that the test's atexit handlers run only once.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "proc.h"
#include "sig.h"
#include "str.h"
#include "tap.h"

/*
 * Not PATH_MAX: POSIX lets <limits.h> leave it undefined.
 */
#define TEST_PATH_MAX	4096

static char	self[TEST_PATH_MAX];

static void	bail(const char *) __attribute__((noreturn));
static void	high_pipe(int [2]);
static int	child_main(const char *);
static char	**mkargv(const char *, ...);
static void	argv_free(char **);
static void	cmd_init(struct proc_cmd *, const char *, char **);
static int	run(const struct proc_cmd *, const void *, size_t,
		    struct str *, struct str *, int *);
static int	count_fds(void);
static const char *status_text(int);
static void	test_output(void);
static void	test_env(void);
static void	test_status(void);
static void	test_status_text(void);
static void	test_failures(void);
static void	test_fds(void);
static void	test_io(void);
static void	test_large(void);
static void	test_child_state(void);
static void	test_wait(void);
static void	test_init(void);
static void	test_panics(void);
static void	test_setid(void);
static void	test_fsize(void);

/* A set-up step of a test failed: stop the whole test. */
static void
bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

/* A pipe whose ends are 50 and up, clear of the numbers tests use. */
static void
high_pipe(int p[2])
{
	int	i, fd;

	if (pipe(p) == -1) {
		bail("pipe");
	}
	for (i = 0; i < 2; i++) {
		if ((fd = fcntl(p[i], F_DUPFD, 50)) == -1) {
			bail("fcntl F_DUPFD");
		}
		close(p[i]);
		p[i] = fd;
	}
}

/* This program as a command: print what the child sees. */
static int
child_main(const char *mode)
{
	struct sigaction	sa;
	sigset_t		set;
	char			cwd[TEST_PATH_MAX];
	int			fd, signo, first = 1, blocked = 0;

	if (strcmp(mode, "fds") == 0) {
		for (fd = 0; fd < 4096; fd++) {
			if (fcntl(fd, F_GETFD) != -1) {
				printf("%s%d", first ? "" : " ", fd);
				first = 0;
			}
		}
		printf("\n");
	} else if (strcmp(mode, "sigs") == 0) {
		sigaction(SIGPIPE, NULL, &sa);
		sigprocmask(SIG_BLOCK, NULL, &set);
		for (signo = 1; signo < NSIG; signo++) {
			if (sigismember(&set, signo) == 1) {
				blocked++;
			}
		}
		printf("SIGPIPE=%s blocked=%d\n", sa.sa_handler == SIG_DFL ?
		    "dfl" : sa.sa_handler == SIG_IGN ? "ign" : "other",
		    blocked);
	} else if (strcmp(mode, "sid") == 0) {
		printf("%s\n", getsid(0) == getpid() ? "leader" : "member");
	} else if (strcmp(mode, "ids") == 0) {
		printf("%lu %lu %d\n", (unsigned long)getuid(),
		    (unsigned long)getgid(), getgroups(0, NULL));
	} else if (strcmp(mode, "cwd") == 0) {
		printf("%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	} else {
		return 2;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* A heap argv (execve wants char *const *, literals are const). */
static char **
mkargv(const char *a0, ...)
{
	va_list		 ap;
	const char	*a;
	char		**v;
	size_t		 n = 0;

	v = xreallocarray(NULL, 16, sizeof(*v));
	va_start(ap, a0);
	for (a = a0; a != NULL && n < 15; a = va_arg(ap, const char *)) {
		v[n++] = xstrdup(a);
	}
	va_end(ap);
	v[n] = NULL;
	return v;
}

static void
argv_free(char **v)
{
	size_t	i;

	for (i = 0; v[i] != NULL; i++) {
		free(v[i]);
	}
	free(v);
}

static void
cmd_init(struct proc_cmd *c, const char *path, char **argv)
{
	memset(c, 0, sizeof(*c));
	c->path = path;
	c->argv = argv;
}

/*
 * Spawn c, feed it in, collect stdout and stderr (for the PROC_IO_PIPE
 * ones), wait.  -1 when proc_spawn failed (errno kept) or the command
 * hung for 20 s (it is then killed).
 */
static int
run(const struct proc_cmd *c, const void *in, size_t inlen, struct str *out,
    struct str *err, int *status)
{
	struct pollfd	 pfd[3];
	struct proc	 p;
	struct str	*dst;
	const char	*ip = in;
	char		 buf[8192];
	ssize_t		 r;
	int		 i, n, hung = 0;

	if (proc_spawn(c, &p) == -1) {
		return -1;
	}
	if (p.fd[0] != -1) {
		fcntl(p.fd[0], F_SETFL, O_NONBLOCK);
		if (inlen == 0) {
			close(p.fd[0]);
			p.fd[0] = -1;
		}
	}
	for (;;) {
		for (i = 0; i < 3; i++) {
			pfd[i].fd = p.fd[i];
			pfd[i].events = i == 0 ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
		}
		if (p.fd[0] == -1 && p.fd[1] == -1 && p.fd[2] == -1) {
			break;
		}
		if ((n = poll(pfd, 3, 20000)) == -1 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			hung = 1;
			break;
		}
		if (pfd[0].revents != 0) {
			r = write(p.fd[0], ip, inlen > 65536 ? 65536 : inlen);
			if (r > 0) {
				ip += r;
				inlen -= (size_t)r;
			}
			if (inlen == 0 || (r == -1 && errno != EAGAIN)) {
				close(p.fd[0]);
				p.fd[0] = -1;
			}
		}
		for (i = 1; i < 3; i++) {
			if (pfd[i].revents == 0) {
				continue;
			}
			dst = i == 1 ? out : err;
			r = read(p.fd[i], buf, sizeof(buf));
			if (r > 0 && dst != NULL) {
				str_cat_mem(dst, buf, (size_t)r);
			} else if (r == 0 || (r == -1 && errno != EINTR)) {
				close(p.fd[i]);
				p.fd[i] = -1;
			}
		}
	}
	if (hung) {
		diag("command %s hung: killed", c->path);
		kill(p.pid, SIGKILL);
	}
	proc_close(&p);
	if (proc_wait(p.pid, status, clock_deadline(20000)) == -1) {
		diag("command %s does not end: killed", c->path);
		kill(p.pid, SIGKILL);
		proc_wait(p.pid, status, -1);
		return -1;
	}
	return hung ? -1 : 0;
}

static int
count_fds(void)
{
	int	fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		if (fcntl(fd, F_GETFD) != -1) {
			n++;
		}
	}
	return n;
}

static const char *
status_text(int status)
{
	static char	buf[PROC_STATUS_MAX];

	return proc_status_text(status, buf, sizeof(buf));
}

static void
test_output(void)
{
	struct proc_env	 env = PROC_ENV_INIT;
	struct proc_cmd	 c;
	struct str	 out = STR_INIT;
	char		**av;
	int		 st = -1;

	av = mkargv("sh", "-c", "echo \"$FOO\"; exit 3", NULL);
	proc_env_set(&env, "FOO", "hello world");
	cmd_init(&c, "/bin/sh", av);
	c.envp = proc_env_vector(&env);
	c.io[1] = PROC_IO_PIPE;
	is_int(run(&c, NULL, 0, &out, NULL, &st), 0, "sh -c: runs");
	is_str(str_c(&out), "hello world\n", "sh -c: output");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 3, "sh -c: exits 3");
	is_str(status_text(st), "exit status 3", "sh -c: status text");
	argv_free(av);
	proc_env_free(&env);
	str_free(&out);
}

static void
test_env(void)
{
	struct proc_env	 env = PROC_ENV_INIT;
	struct proc_cmd	 c;
	struct str	 out = STR_INIT;
	char		**av;
	char *const	*v;
	int		 st = -1, i;

	is_int(proc_env_set(&env, "FOO", "bar"), 0, "env: set FOO");
	is_int(proc_env_default(&env), 0, "env: defaults");
	is_int(proc_env_set(&env, "EMPTY", ""), 0, "env: set EMPTY");
	is_int(proc_env_set(&env, "FOO", "baz=qux"), 0, "env: set FOO again");
	setenv("POSTLET_T_TZ", "Europe/Paris", 1);
	unsetenv("POSTLET_T_UNSET");
	is_int(proc_env_import(&env, "POSTLET_T_TZ"), 0, "env: import a set "
	    "variable");
	is_int(proc_env_import(&env, "POSTLET_T_UNSET"), 0, "env: import an "
	    "unset variable");
	errno = 0;
	is_int(proc_env_set(&env, "A=B", "x"), -1, "env: name with '=' fails");
	is_int(errno, EINVAL, "env: with EINVAL");
	errno = 0;
	is_int(proc_env_set(&env, "", "x"), -1, "env: empty name fails");
	is_int(errno, EINVAL, "env: with EINVAL");
	errno = 0;
	is_int(proc_env_import(&env, "X=Y"), -1, "env: import 'X=Y' fails");
	is_int(errno, EINVAL, "env: with EINVAL");
	is_int((long long)env.n, 5, "env: 5 variables");
	v = proc_env_vector(&env);
	ok(v[5] == NULL, "env: vector is NULL-terminated");

	av = mkargv("env", NULL);
	cmd_init(&c, "/usr/bin/env", av);
	c.envp = v;
	c.io[1] = PROC_IO_PIPE;
	is_int(run(&c, NULL, 0, &out, NULL, &st), 0, "env: runs");
	is_str(str_c(&out), "FOO=baz=qux\nPATH=/usr/bin:/bin\nSHELL=/bin/sh\n"
	    "EMPTY=\nPOSTLET_T_TZ=Europe/Paris\n",
	    "env: the child's environment is exactly ours, in order");
	is_str(status_text(st), "exit status 0", "env: exit status 0");

	str_clear(&out);
	c.envp = NULL;
	is_int(run(&c, NULL, 0, &out, NULL, &st), 0, "env: runs, NULL envp");
	is_str(str_c(&out), "", "env: NULL envp is an empty environment");
	proc_env_free(&env);
	ok(env.v == NULL && env.n == 0, "env: freed");
	v = proc_env_vector(&env);
	ok(v != NULL && v[0] == NULL, "env: empty vector");
	str_clear(&out);
	c.envp = v;
	is_int(run(&c, NULL, 0, &out, NULL, &st), 0, "env: runs, empty env");
	is_str(str_c(&out), "", "env: empty");

	for (i = 0; i < 1000; i++) {
		char	name[32];

		snprintf(name, sizeof(name), "V%d", i);
		if (proc_env_set(&env, name, "1") == -1) {
			break;
		}
	}
	is_int(i, 1000, "env: 1000 variables fit");
	errno = 0;
	is_int(proc_env_set(&env, "ONE_MORE", "1"), -1, "env: 1001 do not");
	is_int(errno, E2BIG, "env: with E2BIG");
	is_int(proc_env_set(&env, "V7", "2"), 0, "env: replacing still works "
	    "when full");
	proc_env_free(&env);
	argv_free(av);
	str_free(&out);
}

static void
test_status(void)
{
	static const struct {
		const char	*script;
		const char	*text;
	} cases[] = {
		{ "exit 0", "exit status 0" },
		{ "exit 75", "exit status 75" },
		{ "exit 255", "exit status 255" },
		{ "kill -KILL $$", "killed by signal 9 (SIGKILL)" },
		{ "kill -TERM $$", "killed by signal 15 (SIGTERM)" },
		{ "kill -HUP $$", "killed by signal 1 (SIGHUP)" },
	};
	struct proc_cmd	 c;
	char		**av;
	size_t		 i;
	int		 st;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		av = mkargv("sh", "-c", cases[i].script, NULL);
		cmd_init(&c, "/bin/sh", av);
		st = -1;
		if (run(&c, NULL, 0, NULL, NULL, &st) == -1) {
			ok(0, "status: sh -c '%s': %s", cases[i].script,
			    strerror(errno));
		} else {
			is_str(status_text(st), cases[i].text,
			    "status: sh -c '%s'", cases[i].script);
		}
		argv_free(av);
	}
}

static void
test_status_text(void)
{
	char	buf[14];

#ifdef __linux__
	/* The Linux encoding of wait statuses. */
	is_str(status_text(11 | 0x80), "killed by signal 11 (SIGSEGV), "
	    "core dumped", "text: core dump");
	is_str(status_text((19 << 8) | 0x7f), "stopped by signal 19 "
	    "(SIGSTOP)", "text: stopped");
	is_str(status_text(40), "killed by signal 40", "text: signal "
	    "without a name");
	is_str(status_text(0xffff), "unknown status 0xffff", "text: "
	    "continued is unknown");
#else
	skip(4, "wait status encoding is system-specific");
#endif
	is_int(TAP_FATAL(proc_status_text(0, buf, 8)), 1,
	    "text: a buffer too small panics");
	ok(strstr(tap_fatal_text, "too small") != NULL, "text: and says "
	    "why (%s)", tap_fatal_text);
	is_str(proc_status_text(0, buf, sizeof(buf)), "exit status 0",
	    "text: an exact fit is enough");
}

static void
test_failures(void)
{
	struct proc_cmd	 c;
	struct proc	 p;
	char		**av;
	char		 path[TEST_PATH_MAX];
	pid_t		 pid;
	int		 fd, before, r;

	before = count_fds();
	av = mkargv("nope", NULL);
	cmd_init(&c, "/nonexistent/postlet-nope", av);
	c.io[0] = c.io[1] = c.io[2] = PROC_IO_PIPE;
	errno = 0;
	is_int(proc_spawn(&c, &p), -1, "missing: proc_spawn fails");
	is_int(errno, ENOENT, "missing: with ENOENT");
	is_str(p.failed, "execve", "missing: in execve");
	ok(p.pid == -1 && p.fd[0] == -1 && p.fd[1] == -1 && p.fd[2] == -1,
	    "missing: no pid, no descriptors");
	is_int(count_fds(), before, "missing: no descriptor leaked");
	is_int(proc_reap(&pid, NULL), 0, "missing: no child left to reap");

	c.path = "nope";
	errno = 0;
	is_int(proc_spawn(&c, &p), -1, "no slash: proc_spawn fails");
	is_int(errno, EINVAL, "no slash: with EINVAL");
	ok(p.failed != NULL && strstr(p.failed, "'/'") != NULL,
	    "no slash: says so (%s)", p.failed ? p.failed : "NULL");

	snprintf(path, sizeof(path), "%s/noexec", tap_tmpdir());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	r = fd == -1 ? -1 : (int)write(fd, "#!/bin/sh\n", 10);
	if (fd != -1) {
		close(fd);
	}
	ok(r == 10, "noexec: file written");
	c.path = path;
	errno = 0;
	is_int(proc_spawn(&c, &p), -1, "noexec: proc_spawn fails");
	is_int(errno, EACCES, "noexec: with EACCES");
	is_str(p.failed, "execve", "noexec: in execve");

	c.path = "/bin/sh";
	c.cwd = "/nonexistent/dir";
	errno = 0;
	is_int(proc_spawn(&c, &p), -1, "bad cwd: proc_spawn fails");
	is_int(errno, ENOENT, "bad cwd: with ENOENT");
	is_str(p.failed, "chdir", "bad cwd: in chdir");
	is_int(count_fds(), before, "failures: no descriptor leaked");
	is_int(proc_reap(&pid, NULL), 0, "failures: no child left to reap");
	argv_free(av);
}

static void
test_fds(void)
{
	struct proc_fdmap	 map[2];
	struct proc_cmd		 c;
	struct str		 out = STR_INIT, a = STR_INIT, b = STR_INIT;
	char			**av, buf[64];
	int			 fd, p[2], pa[2], pb[2], st, before;
	ssize_t			 r;

	before = count_fds();
	/* Inherited, not close-on-exec: must still not reach the child. */
	fd = open("/dev/null", O_RDONLY);
	ok(fd > 2 && dup2(fd, 77) == 77, "fds: leaky descriptors %d and 77",
	    fd);
	av = mkargv("proc.t", "fds", NULL);
	cmd_init(&c, self, av);
	c.io[1] = PROC_IO_PIPE;
	is_int(run(&c, NULL, 0, &out, NULL, &st), 0, "fds: runs");
	is_str(str_c(&out), "0 1 2\n", "fds: the child has only 0, 1 and 2");
	is_str(status_text(st), "exit status 0", "fds: exit status 0");

	if (pipe(p) == -1) {
		bail("setup");
	}
	map[0].from = p[1];
	map[0].to = 5;
	c.fdmap = map;
	c.nfdmap = 1;
	str_clear(&out);
	is_int(run(&c, NULL, 0, &out, NULL, &st), 0, "fds: runs with a map");
	is_str(str_c(&out), "0 1 2 5\n", "fds: the child has 0, 1, 2, 5");
	ok(fcntl(p[1], F_GETFD) != -1, "fds: the mapped descriptor stays "
	    "open in the parent");
	close(p[0]);
	close(p[1]);
	close(fd);
	close(77);

	/*
	 * Sources that are each other's targets: 6 -> 7, 7 -> 6 (one digit:
	 * dash redirects only descriptors 0 to 9).
	 */
	high_pipe(pa);
	high_pipe(pb);
	ok(dup2(pa[1], 6) == 6 && dup2(pb[1], 7) == 7, "swap: pipes on "
	    "6 and 7");
	close(pa[1]);
	close(pb[1]);
	map[0].from = 6;
	map[0].to = 7;
	map[1].from = 7;
	map[1].to = 6;
	argv_free(av);
	av = mkargv("sh", "-c", "echo a >&7; echo b >&6", NULL);
	cmd_init(&c, "/bin/sh", av);
	c.fdmap = map;
	c.nfdmap = 2;
	is_int(run(&c, NULL, 0, NULL, NULL, &st), 0, "swap: runs");
	is_str(status_text(st), "exit status 0", "swap: exit status 0");
	close(6);
	close(7);
	while ((r = read(pa[0], buf, sizeof(buf))) > 0) {
		str_cat_mem(&a, buf, (size_t)r);
	}
	while ((r = read(pb[0], buf, sizeof(buf))) > 0) {
		str_cat_mem(&b, buf, (size_t)r);
	}
	close(pa[0]);
	close(pb[0]);
	is_str(str_c(&a), "a\n", "swap: child's 7 was our 6");
	is_str(str_c(&b), "b\n", "swap: child's 6 was our 7");
	is_int(count_fds(), before, "fds: no descriptor leaked");
	argv_free(av);
	str_free(&out);
	str_free(&a);
	str_free(&b);
}

static void
test_io(void)
{
	struct proc_cmd	 c;
	struct str	 out = STR_INIT, err = STR_INIT;
	char		 path[TEST_PATH_MAX], buf[64];
	char		**av;
	int		 st, fd, saved, p[2];
	ssize_t		 r;

	av = mkargv("sh", "-c", "cat; echo out; echo err >&2", NULL);
	cmd_init(&c, "/bin/sh", av);
	c.io[1] = PROC_IO_PIPE;
	c.io[2] = PROC_IO_PIPE;
	is_int(run(&c, NULL, 0, &out, &err, &st), 0, "io: runs");
	is_str(str_c(&out), "out\n", "io: stdout; stdin was /dev/null");
	is_str(str_c(&err), "err\n", "io: stderr apart");

	c.io[0] = PROC_IO_PIPE;
	c.io[2] = PROC_IO_STDOUT;
	str_clear(&out);
	str_clear(&err);
	is_int(run(&c, "in\n", 3, &out, &err, &st), 0, "io: runs 2>&1");
	is_str(str_c(&out), "in\nout\nerr\n", "io: stdin piped, 2>&1");

	snprintf(path, sizeof(path), "%s/out", tap_tmpdir());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	c.io[0] = PROC_IO_NULL;
	c.io[1] = PROC_IO_FD;
	c.io_fd[1] = fd;
	c.io[2] = PROC_IO_NULL;
	is_int(run(&c, NULL, 0, NULL, NULL, &st), 0, "io: runs into a file");
	r = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[r > 0 ? r : 0] = '\0';
	is_str(buf, "out\n", "io: stdout went to our descriptor");
	ok(fcntl(fd, F_GETFD) != -1, "io: which stays open");
	close(fd);

	/* PROC_IO_INHERIT: our stdin, for a moment a pipe. */
	saved = dup(0);
	if (saved == -1 || pipe(p) == -1 || dup2(p[0], 0) == -1) {
		bail("setup");
	}
	close(p[0]);
	if (write(p[1], "inherited\n", 10) != 10) {
		bail("setup");
	}
	close(p[1]);
	c.io[0] = PROC_IO_INHERIT;
	c.io[1] = PROC_IO_PIPE;
	str_clear(&out);
	is_int(run(&c, NULL, 0, &out, NULL, &st), 0, "io: runs with our "
	    "stdin");
	dup2(saved, 0);
	close(saved);
	is_str(str_c(&out), "inherited\nout\n", "io: stdin inherited");
	argv_free(av);
	str_free(&out);
	str_free(&err);
}

static void
test_large(void)
{
	struct proc_cmd	 c;
	struct str	 out = STR_INIT;
	char		**av, *in;
	size_t		 i, n = 1024 * 1024;
	int		 st = -1;

	in = xmalloc(n);
	for (i = 0; i < n; i++) {
		in[i] = (char)(i * 7 % 251);
	}
	av = mkargv("cat", NULL);
	cmd_init(&c, "/bin/cat", av);
	c.io[0] = PROC_IO_PIPE;
	c.io[1] = PROC_IO_PIPE;
	is_int(run(&c, in, n, &out, NULL, &st), 0, "large: 1 MiB through cat");
	is_int((long long)out.len, (long long)n, "large: all bytes back");
	ok(out.len == n && memcmp(out.s, in, n) == 0, "large: the same bytes");
	is_str(status_text(st), "exit status 0", "large: exit status 0");
	argv_free(av);
	free(in);
	str_free(&out);
}

static void
test_child_state(void)
{
	struct proc_cmd	 c;
	struct str	 out = STR_INIT;
	sigset_t	 set, old;
	char		**av;
	char		 want[TEST_PATH_MAX + 2], *real;
	int		 st;

	/* We ignore SIGPIPE and block SIGUSR1: the child must not. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	av = mkargv("proc.t", "sigs", NULL);
	cmd_init(&c, self, av);
	c.io[1] = PROC_IO_PIPE;
	is_int(run(&c, NULL, 0, &out, NULL, &st), 0, "child: runs");
	is_str(str_c(&out), "SIGPIPE=dfl blocked=0\n", "child: default "
	    "SIGPIPE, nothing blocked");
	sigprocmask(SIG_SETMASK, &old, NULL);
	argv_free(av);

	av = mkargv("proc.t", "sid", NULL);
	c.argv = av;
	str_clear(&out);
	is_int(run(&c, NULL, 0, &out, NULL, &st), 0, "sid: runs");
	is_str(str_c(&out), "member\n", "sid: no new session by default");
	c.flags = PROC_SETSID;
	str_clear(&out);
	is_int(run(&c, NULL, 0, &out, NULL, &st), 0, "sid: runs with SETSID");
	is_str(str_c(&out), "leader\n", "sid: a session leader with SETSID");
	argv_free(av);

	av = mkargv("proc.t", "cwd", NULL);
	c.argv = av;
	c.flags = 0;
	c.cwd = "/";
	str_clear(&out);
	is_int(run(&c, NULL, 0, &out, NULL, &st), 0, "cwd: runs");
	is_str(str_c(&out), "/\n", "cwd: /");
	if ((real = realpath(tap_tmpdir(), NULL)) == NULL) {
		bail("realpath");
	}
	snprintf(want, sizeof(want), "%s\n", real);
	free(real);
	c.cwd = tap_tmpdir();
	str_clear(&out);
	is_int(run(&c, NULL, 0, &out, NULL, &st), 0, "cwd: runs");
	is_str(str_c(&out), want, "cwd: the temporary directory");
	argv_free(av);
	str_free(&out);
}

static void
test_wait(void)
{
	struct proc_cmd	 c;
	struct proc	 p;
	char		**av;
	long long	 t0, dt;
	pid_t		 pid = 0;
	int		 st = -1, r, i;

	av = mkargv("sleep", "10", NULL);
	cmd_init(&c, "/bin/sleep", av);
	is_int(proc_spawn(&c, &p), 0, "wait: sleep 10 started");
	t0 = clock_ms();
	errno = 0;
	is_int(proc_wait(p.pid, &st, clock_deadline(200)), -1,
	    "wait: a deadline of 200 ms passes");
	dt = clock_ms() - t0;
	is_int(errno, ETIMEDOUT, "wait: with ETIMEDOUT");
	ok(dt >= 190 && dt < 5000, "wait: after about 200 ms (%lld)", dt);
	errno = 0;
	is_int(proc_wait(p.pid, &st, clock_ms()), -1, "wait: a past deadline "
	    "checks once");
	is_int(errno, ETIMEDOUT, "wait: with ETIMEDOUT");
	kill(p.pid, SIGTERM);
	is_int(proc_wait(p.pid, &st, -1), 0, "wait: without deadline");
	is_str(status_text(st), "killed by signal 15 (SIGTERM)",
	    "wait: killed by SIGTERM");
	errno = 0;
	is_int(proc_wait(p.pid, &st, -1), -1, "wait: twice fails");
	is_int(errno, ECHILD, "wait: with ECHILD");
	argv_free(av);

	av = mkargv("sh", "-c", "exit 4", NULL);
	cmd_init(&c, "/bin/sh", av);
	is_int(proc_spawn(&c, &p), 0, "wait: sh -c 'exit 4' started");
	is_int(proc_wait(p.pid, &st, clock_deadline(10000)), 0,
	    "wait: with a deadline, before it");
	is_str(status_text(st), "exit status 4", "wait: exit status 4");

	is_int(proc_spawn(&c, &p), 0, "reap: sh -c 'exit 4' started");
	r = 0;
	for (i = 0; i < 1000 && (r = proc_reap(&pid, &st)) == 0; i++) {
		struct timespec	ts = { 0, 10000000L };

		nanosleep(&ts, NULL);
	}
	is_int(r, 1, "reap: a child ended");
	is_int(pid, p.pid, "reap: that child");
	is_str(status_text(st), "exit status 4", "reap: exit status 4");
	is_int(proc_reap(&pid, &st), 0, "reap: no more");
	argv_free(av);
	is_int(TAP_FATAL(proc_wait(0, &st, -1)), 1, "wait: pid 0 panics");
}

/* proc_init in a child, which reports on fd 3 (kept: keep_fds 4). */
static void
test_init(void)
{
	struct str	 rep = STR_INIT;
	struct stat	 null, sb;
	char		 buf[256];
	int		 p[2], st = -1;
	pid_t		 pid;
	ssize_t		 r;

	high_pipe(p);
	if (stat("/dev/null", &null) == -1) {
		bail("stat /dev/null");
	}
	if ((pid = fork()) == 0) {
		struct sigaction	sa;
		mode_t			mask;
		int			n = 0, fd;

		if (dup2(p[1], 3) != 3) {
			_exit(1);
		}
		close(p[0]);
		close(p[1]);
		while ((fd = open("/dev/null", O_RDONLY)) < 9 && fd != -1) {
			continue;
		}
		dup2(3, 200);
		close(0);
		umask(022);
		signal(SIGPIPE, SIG_DFL);
		if (proc_init(4) == -1) {
			_exit(2);
		}
		mask = umask(0);
		sigaction(SIGPIPE, NULL, &sa);
		n = fstat(0, &sb) == 0 && sb.st_rdev == null.st_rdev &&
		    S_ISCHR(sb.st_mode);
		r = snprintf(buf, sizeof(buf), "fd0=%s fd0cloexec=%d fd5=%s "
		    "fd8=%s fd200=%s umask=%03o sigpipe=%s\n",
		    n ? "null" : "other", fcntl(0, F_GETFD) & FD_CLOEXEC,
		    fcntl(5, F_GETFD) == -1 ? "closed" : "open",
		    fcntl(8, F_GETFD) == -1 ? "closed" : "open",
		    fcntl(200, F_GETFD) == -1 ? "closed" : "open",
		    (unsigned int)mask,
		    sa.sa_handler == SIG_IGN ? "ign" : "not");
		_exit(write(3, buf, (size_t)r) == r ? 0 : 3);
	}
	close(p[1]);
	while ((r = read(p[0], buf, sizeof(buf))) > 0) {
		str_cat_mem(&rep, buf, (size_t)r);
	}
	close(p[0]);
	waitpid(pid, &st, 0);
	is_str(status_text(st), "exit status 0", "init: child ran");
	is_str(str_c(&rep), "fd0=null fd0cloexec=0 fd5=closed fd8=closed "
	    "fd200=closed umask=077 sigpipe=ign\n", "init: /dev/null on 0, "
	    "others closed, fd 3 kept, umask 077, SIGPIPE ignored");
	str_free(&rep);
}

static void
test_panics(void)
{
	struct proc_fdmap	 map[1];
	struct proc_cmd		 c;
	struct proc		 p;
	char			**av;

	av = mkargv("sh", NULL);
	cmd_init(&c, "/bin/sh", NULL);
	is_int(TAP_FATAL(proc_spawn(&c, &p)), 1, "panic: NULL argv");
	cmd_init(&c, "/bin/sh", av);
	map[0].from = 0;
	map[0].to = 1;
	c.fdmap = map;
	c.nfdmap = 1;
	is_int(TAP_FATAL(proc_spawn(&c, &p)), 1, "panic: a map onto fd 1");
	cmd_init(&c, "/bin/sh", av);
	c.io[0] = PROC_IO_STDOUT;
	is_int(TAP_FATAL(proc_spawn(&c, &p)), 1, "panic: stdin as stdout");
	cmd_init(&c, "/bin/sh", av);
	c.io[1] = PROC_IO_FD;
	c.io_fd[1] = -1;
	is_int(TAP_FATAL(proc_spawn(&c, &p)), 1, "panic: PROC_IO_FD with -1");
	argv_free(av);
}

/*
 * PROC_SETID: the child runs as the given ids (as root: nobody's 65534,
 * with that one group), or unchanged when we are not root.
 */
static void
test_setid(void)
{
	struct proc_cmd	 c;
	struct str	 out = STR_INIT, want = STR_INIT;
	char		**av;
	int		 st = -1, rc;

	av = mkargv("proc.t", "ids", NULL);
	cmd_init(&c, self, av);
	c.io[1] = PROC_IO_PIPE;
	c.flags = PROC_SETID;
	if (geteuid() == 0) {
		c.uid = 65534;
		c.gid = 65534;
		str_set(&want, "65534 65534 1\n");
	} else {
		c.uid = getuid();
		c.gid = getgid();
		str_catf(&want, "%lu %lu ", (unsigned long)getuid(),
		    (unsigned long)getgid());
	}
	rc = run(&c, NULL, 0, &out, NULL, &st);
	if (rc == -1 && errno == EACCES) {
		skip(2, "uid 65534 cannot run this test binary");
	} else {
		is_int(rc, 0, "setid: runs");
		if (!ok(strncmp(str_c(&out), str_c(&want), want.len) == 0,
		    "setid: the child has the ids")) {
			diag("got \"%s\", want \"%s\"", str_c(&out),
			    str_c(&want));
		}
	}
	argv_free(av);
	str_free(&out);
	str_free(&want);
}

/* proc_fsize_limit and proc_fsize_restore: EFBIG past the limit, the
 * old limit back after, no change for 0 or a limit above the current. */
static void
test_fsize(void)
{
	struct proc_fsize	 f;
	struct rlimit		 before, during, after;
	char			 path[600], data[3000];
	int			 fd;
	ssize_t			 w;

	memset(data, 'x', sizeof(data));
	snprintf(path, sizeof(path), "%s/fsize", tap_tmpdir());
	sig_ignore(SIGXFSZ);
	(void)getrlimit(RLIMIT_FSIZE, &before);
	ok(proc_fsize_limit(1000, &f) == 0 &&
	    getrlimit(RLIMIT_FSIZE, &during) == 0 &&
	    during.rlim_cur == 1000 && during.rlim_max == before.rlim_max,
	    "fsize: the soft limit is 1000, the hard one unchanged");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	errno = 0;
	w = write(fd, data, sizeof(data));
	ok(w == 1000 || (w == -1 && errno == EFBIG),
	    "fsize: a write stops at 1000 bytes (%zd)", w);
	errno = 0;
	w = write(fd, data, 10);
	ok(w == -1 && errno == EFBIG, "fsize: then EFBIG");
	(void)close(fd);
	proc_fsize_restore(&f);
	ok(getrlimit(RLIMIT_FSIZE, &after) == 0 &&
	    after.rlim_cur == before.rlim_cur &&
	    after.rlim_max == before.rlim_max, "fsize: restored");
	ok(proc_fsize_limit(0, &f) == 0 && !f.lowered &&
	    getrlimit(RLIMIT_FSIZE, &during) == 0 &&
	    during.rlim_cur == before.rlim_cur, "fsize: 0 changes nothing");
	proc_fsize_restore(&f);
	(void)unlink(path);
}

int
main(int argc, char *argv[])
{
	ssize_t	n;

	if (argc > 1) {
		return child_main(argv[1]);
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		printf("1..0 # SKIP no /proc/self/exe\n");
		return 0;
	}
	self[n] = '\0';
	/* A test writes to children that may have exited. */
	sig_ignore(SIGPIPE);
	test_output();
	test_env();
	test_status();
	test_status_text();
	test_failures();
	test_fds();
	test_io();
	test_large();
	test_child_state();
	test_wait();
	test_init();
	test_panics();
	test_setid();
	test_fsize();
	return done_testing();
}
