/* SPDX-License-Identifier: ISC */
/*
 * spawn.c: unit tests for lib/spawn (the privileged spawner).
 *
 * Service names and agent command lines are checked from tables.  Then a
 * real server is forked with spawn_start, with a master.cf whose
 * services run this test program itself from its own directory: started
 * as "spawn.t -c DIR ...", it is a tiny agent that prints its arguments,
 * its effective uid and the number of environment variables other than
 * TZ, then copies its input to its output, and exits 3 when the input
 * was "exit3".  Through the descriptors the server passes back the test
 * talks to those agents, reads their exit reports, has one killed, and
 * checks the refusals: unknown services, programs that cannot start,
 * and hostile raw packets (garbage, too long, with NUL, empty, carrying
 * a descriptor, which the server must close).  Last, a server that dies
 * makes requests fail with EPIPE.  Run as root, the service without
 * unpriv = n runs as uid 65534 and the other keeps uid 0.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"
#include "log.h"
#include "mastercf.h"
#include "proc.h"
#include "spawn.h"
#include "str.h"
#include "tap.h"

/* Not PATH_MAX: POSIX lets <limits.h> leave it undefined. */
#define TEST_PATH_MAX	4096

extern char	**environ;

static char	self_dir[TEST_PATH_MAX];
static char	self_name[TEST_PATH_MAX];
static char	logfile[TEST_PATH_MAX];

static int	agent_main(int, char **);
static void	test_names(void);
static void	test_cmd(void);
static int	talk(int, const char *, struct str *);
static int	raw_reply(int, struct str *);
static void	raw_send(int, const void *, size_t, int);
static void	test_server(void);
static void	test_raw(struct spawn_client *);
static void	test_death(const struct spawn_config *);
static bool	log_has(const char *);

/* The test agent: see the comment at the top. */
static int
agent_main(int argc, char **argv)
{
	struct str	out = STR_INIT, in = STR_INIT;
	char		buf[4096];
	ssize_t		n;
	int		i, nenv = 0, rc;

	str_cat(&out, "args:");
	for (i = 1; i < argc; i++) {
		str_catf(&out, " %s", argv[i]);
	}
	for (i = 0; environ[i] != NULL; i++) {
		if (strncmp(environ[i], "TZ=", 3) != 0) {
			nenv++;
		}
	}
	str_catf(&out, "\nuid: %ld\nenv: %d\n", (long)geteuid(), nenv);
	if (write(1, out.s, out.len) != (ssize_t)out.len) {
		rc = 1;
		goto out;
	}
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		str_cat_mem(&in, buf, (size_t)n);
		if (write(1, buf, (size_t)n) != n) {
			rc = 1;
			goto out;
		}
	}
	rc = str_eq(&in, "exit3\n") ? 3 : 0;
out:
	str_free(&out);
	str_free(&in);
	return rc;
}

static void
test_names(void)
{
	static const struct {
		const char	*name;
		bool		 good;
	} cases[] = {
		{ "local", true },
		{ "smtp-relay_2.x", true },
		{ "", false },
		{ ".hidden", false },
		{ "../bin/sh", false },
		{ "a b", false },
		{ "a/b", false },
		{ "x\n", false },
		{ "0123456789012345678901234567890123456789012345678901234567"
		    "890123", true },
		{ "0123456789012345678901234567890123456789012345678901234567"
		    "8901234", false },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(spawn_name_ok(cases[i].name), cases[i].good,
		    "name %zu: \"%s\"", i, cases[i].name);
	}
}

static void
test_cmd(void)
{
	static const char	text[] =
	    "relay unix - - n - - smtp -o a=b -o { c = d e }\n"
	    "  { two words } last\n"
	    "bad unix - n n - - ../bin/sh\n"
	    "jailed unix - - y - - smtp -o x=y\n"
	    "lj unix - n y - - local\n";
	struct mastercf		 mcf = MASTERCF_INIT;
	struct spawn_cmd	 cmd = SPAWN_CMD_INIT;
	struct str		 errs = STR_INIT, why = STR_INIT;
	struct str		 all = STR_INIT;
	size_t			 i;

	is_int(mastercf_parse(&mcf, text, sizeof(text) - 1, "master.cf",
	    &errs), 0, "cmd: master.cf parses");
	is_int(spawn_cmd_build(&cmd, "relay", mastercf_find(&mcf, "relay",
	    "unix"), "/usr/lib/pl", "/etc/pl", false, &why), 0,
	    "cmd: built");
	is_str(str_c(&cmd.path), "/usr/lib/pl/smtp", "cmd: path");
	for (i = 0; i < cmd.argc; i++) {
		str_catf(&all, "%s[%s]", i == 0 ? "" : " ", cmd.argv[i]);
	}
	is_str(str_c(&all), "[smtp] [-c] [/etc/pl] [-o] [a=b] [-o] [c=d e] "
	    "[two words] [last]", "cmd: argv as qmgr runs it");
	ok(cmd.argv[cmd.argc] == NULL, "cmd: argv ends with NULL");

	is_int(spawn_cmd_build(&cmd, "discard", NULL, "/x", "/c", false,
	    &why), 0, "cmd: no service: the default program");
	is_str(str_c(&cmd.path), "/x/discard", "cmd: default path");
	is_int((long long)cmd.argc, 3, "cmd: default argv: name -c dir");

	errno = 0;
	is_int(spawn_cmd_build(&cmd, "bad", mastercf_find(&mcf, "bad",
	    "unix"), "/x", "/c", false, &why), -1,
	    "cmd: command with '/' refused");
	is_str(str_c(&why), "master.cf command of bad has a '/'",
	    "cmd: why");
	is_int(errno, EINVAL, "cmd: EINVAL");
	is_int(spawn_cmd_build(&cmd, "../sh", NULL, "/x", "/c", false,
	    &why), -1, "cmd: bad name refused");
	/* chroot column y for smtp: -J after the configuration directory */
	ok(spawn_jailed(mastercf_find(&mcf, "jailed", "unix")),
	    "cmd: smtp with chroot y is jailed");
	ok(!spawn_jailed(mastercf_find(&mcf, "relay", "unix")) &&
	    !spawn_jailed(mastercf_find(&mcf, "lj", "unix")) &&
	    !spawn_jailed(NULL), "cmd: chroot n, or local, or no service: not");
	is_int(spawn_cmd_build(&cmd, "jailed", mastercf_find(&mcf, "jailed",
	    "unix"), "/x", "/c", true, &why), 0, "cmd: jailed: built");
	str_clear(&all);
	for (i = 0; i < cmd.argc; i++) {
		str_catf(&all, "%s[%s]", i == 0 ? "" : " ", cmd.argv[i]);
	}
	is_str(str_c(&all), "[smtp] [-c] [/c] [-J] [-o] [x=y]",
	    "cmd: jailed: -J after -c dir");
	spawn_cmd_free(&cmd);
	mastercf_free(&mcf);
	str_free(&errs);
	str_free(&why);
	str_free(&all);
}

/*
 * Send input to an agent on fd, end it with shutdown, read everything
 * it writes until end of file (at most 10 s), close fd.  Returns 0 or
 * -1.
 */
static int
talk(int fd, const char *input, struct str *out)
{
	struct pollfd	pfd;
	long long	deadline = clock_deadline(10000);
	char		buf[4096];
	ssize_t		n;
	int		rc = -1;

	str_clear(out);
	if (write(fd, input, strlen(input)) != (ssize_t)strlen(input) ||
	    shutdown(fd, SHUT_WR) == -1) {
		goto out;
	}
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, clock_left(deadline)) <= 0) {
			goto out;
		}
		if ((n = read(fd, buf, sizeof(buf))) == -1) {
			goto out;
		}
		if (n == 0) {
			break;
		}
		str_cat_mem(out, buf, (size_t)n);
	}
	rc = 0;
out:
	(void)close(fd);
	return rc;
}

/* The next message on the channel other than an exit report (5 s). */
static int
raw_reply(int fd, struct str *out)
{
	struct pollfd	pfd;
	char		buf[SPAWN_MSG_MAX + 1];
	ssize_t		n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 5000) <= 0) {
			return -1;
		}
		if ((n = recv(fd, buf, sizeof(buf), 0)) <= 0) {
			return -1;
		}
		if (buf[0] != 'X') {
			str_set_mem(out, buf, (size_t)n);
			return 0;
		}
	}
}

/* Send one raw packet, with descriptor passfd unless it is -1 (waiting
 * for room, as the spawner may be slow to read). */
static void
raw_send(int fd, const void *p, size_t n, int passfd)
{
	while (fd_send_packet(fd, p, n, passfd) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			diag("sendmsg: %s", strerror(errno));
			return;
		}
		tap_sleep_ms(10);
	}
}

static void
test_raw(struct spawn_client *c)
{
	static const struct {
		const char	*name;
		const char	*packet;
		const char	*reply;
	} cases[] = {
		{ "garbage", "hello", "E 0 malformed request" },
		{ "bad name", "S 7 ../../bin/sh", "E 7 bad service name" },
		{ "name with a space", "S 7 echo x", "E 7 bad service name" },
		{ "seq 0", "S 0 echo", "E 0 malformed request" },
		{ "seq too large", "S 4294967296 echo",
		    "E 0 malformed request" },
		{ "signed seq", "S -1 echo", "E 0 malformed request" },
		{ "no name", "S 5", "E 0 malformed request" },
		{ "two spaces", "S  5 echo", "E 0 malformed request" },
		{ "kill pid 0", "K 0", "E 0 malformed request" },
		{ "kill junk", "K 12x", "E 0 malformed request" },
		{ "unknown tag", "O 1 2", "E 0 malformed request" },
		{ "unknown service", "S 9 nosuch",
		    "E 9 unknown service nosuch" },
	};
	struct str	got = STR_INIT;
	char		big[1000], buf[8];
	int		p[2];
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw_send(c->fd, cases[i].packet, strlen(cases[i].packet), -1);
		if (raw_reply(c->fd, &got) == -1) {
			str_set(&got, "(no reply)");
		}
		is_str(str_c(&got), cases[i].reply, "raw: %s", cases[i].name);
	}

	memset(big, 'S', sizeof(big));
	raw_send(c->fd, big, sizeof(big), -1);
	(void)raw_reply(c->fd, &got);
	is_str(str_c(&got), "E 0 request too long or not text",
	    "raw: 1000 bytes refused whole");
	raw_send(c->fd, "S 3 ec\0ho", 9, -1);
	(void)raw_reply(c->fd, &got);
	is_str(str_c(&got), "E 0 request too long or not text",
	    "raw: a NUL inside refused");
	raw_send(c->fd, "", 0, -1);
	(void)raw_reply(c->fd, &got);
	is_str(str_c(&got), "E 0 empty request", "raw: empty packet refused");

	/* A descriptor in a request: refused, and closed by the server. */
	if (pipe2(p, O_CLOEXEC) == -1) {
		diag("pipe: %s", strerror(errno));
		str_free(&got);
		return;
	}
	raw_send(c->fd, "S 8 echo", 8, p[1]);
	(void)close(p[1]);
	(void)raw_reply(c->fd, &got);
	is_str(str_c(&got), "E 0 descriptors in a request",
	    "raw: request with a descriptor refused");
	ok(read(p[0], buf, sizeof(buf)) == 0,
	    "raw: the server closed the descriptor it was sent");
	(void)close(p[0]);
	str_free(&got);
}

/* A server that dies: requests fail with EPIPE, nothing hangs. */
static void
test_death(const struct spawn_config *cfg)
{
	struct spawn_client	c = SPAWN_CLIENT_INIT;
	struct str		why = STR_INIT;
	pid_t			pid;
	int			fd, st;

	if (spawn_start(&c, cfg) == -1) {
		diag("spawn_start: %s", strerror(errno));
		skip(4, "no server");
		return;
	}
	(void)kill(c.pid, SIGKILL);
	is_int(spawn_request(&c, "echo", clock_deadline(5000), &pid, &fd,
	    &why), -1, "death: request fails");
	is_int(errno, EPIPE, "death: EPIPE");
	ok(c.dead, "death: the client knows");
	is_int(spawn_wait(&c, 12345, &st, clock_deadline(1000)), -1,
	    "death: no exit report will come");
	spawn_stop(&c, clock_deadline(1000));
	str_free(&why);
}

static bool
log_has(const char *needle)
{
	FILE	*f;
	char	 line[4096];
	bool	 found = false;

	if ((f = fopen(logfile, "re")) == NULL) {
		return false;
	}
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		found = strstr(line, needle) != NULL;
	}
	(void)fclose(f);
	return found;
}

static void
test_server(void)
{
	struct mastercf		 mcf = MASTERCF_INIT;
	struct spawn_config	 cfg;
	struct spawn_client	 c = SPAWN_CLIENT_INIT;
	struct str		 text = STR_INIT, errs = STR_INIT;
	struct str		 why = STR_INIT, out = STR_INIT;
	struct str		 want = STR_INIT;
	char			 ptext[PROC_STATUS_MAX], needle[128];
	bool			 root = geteuid() == 0;
	pid_t			 pid, spid;
	int			 fd, st, type, flags;
	socklen_t		 len;

	str_catf(&text,
	    "echo unix - n n - - %s -o a=b\n"
	    "  one { two words }\n"
	    "user unix - - n - - %s\n"
	    "gone unix - n n - - no-such-program\n"
	    "slash unix - n n - - ../%s\n"
	    "inet.example:25 inet n - n - - %s\n",
	    self_name, self_name, self_name, self_name);
	if (mastercf_parse(&mcf, text.s, text.len, "master.cf", &errs) > 0) {
		diag("%s", str_c(&errs));
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.mcf = &mcf;
	cfg.daemon_dir = self_dir;
	cfg.config_dir = "/cfg";
	cfg.uid = root ? 65534 : getuid();
	cfg.gid = root ? 65534 : getgid();
	cfg.maillog_file = logfile;
	if (!ok(spawn_start(&c, &cfg) == 0, "server started")) {
		diag("spawn_start: %s", strerror(errno));
		return;
	}

	/* A root service: its argv, identity, environment, a round trip. */
	fd = -1;
	is_int(spawn_request(&c, "echo", clock_deadline(5000), &pid, &fd,
	    &why), 0, "echo: started");
	ok(pid > 0 && fd > 2, "echo: a pid and a descriptor");
	flags = fcntl(fd, F_GETFD);
	ok(flags != -1 && (flags & FD_CLOEXEC), "echo: close-on-exec");
	len = sizeof(type);
	ok(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	    type == SOCK_STREAM, "echo: a stream socket");
	is_int(talk(fd, "hello\n", &out), 0, "echo: talked");
	str_catf(&want, "args: -c /cfg -o a=b one two words\nuid: %ld\n"
	    "env: 0\nhello\n", (long)geteuid());
	is_str(str_c(&out), str_c(&want),
	    "echo: argv, our uid, clean environment, input echoed");
	st = -1;
	is_int(spawn_wait(&c, pid, &st, clock_deadline(5000)), 0,
	    "echo: exit report");
	is_str(proc_status_text(st, ptext, sizeof(ptext)), "exit status 0",
	    "echo: exit 0");

	/* Exit status 3 comes back and is logged by the server. */
	is_int(spawn_request(&c, "echo", clock_deadline(5000), &pid, &fd,
	    &why), 0, "exit3: started");
	(void)talk(fd, "exit3\n", &out);
	st = -1;
	(void)spawn_wait(&c, pid, &st, clock_deadline(5000));
	is_str(proc_status_text(st, ptext, sizeof(ptext)), "exit status 3",
	    "exit3: status reported");
	(void)snprintf(needle, sizeof(needle), "process echo pid %ld exit "
	    "status 3", (long)pid);
	ok(log_has(needle), "exit3: the server logged \"%s\"", needle);

	/* Not unpriv = n: mail_owner's identity. */
	if (spawn_request(&c, "user", clock_deadline(5000), &pid, &fd,
	    &why) == -1) {
		if (root && strstr(str_c(&why), "Permission denied") != NULL) {
			skip(2, "uid 65534 cannot run this test binary");
		} else {
			ok(0, "user: started (%s)", str_c(&why));
			ok(0, "user: uid");
		}
	} else {
		ok(1, "user: started");
		(void)talk(fd, "", &out);
		str_clear(&want);
		str_catf(&want, "uid: %ld\n", root ? 65534L :
		    (long)geteuid());
		ok(strstr(str_c(&out), str_c(&want)) != NULL,
		    "user: runs as the configured uid (%s)",
		    root ? "65534" : "ours");
		(void)spawn_wait(&c, pid, &st, clock_deadline(5000));
	}

	/* Refusals. */
	is_int(spawn_request(&c, "nosuch", clock_deadline(5000), &pid, &fd,
	    &why), -1, "unknown: refused");
	is_int(errno, EINVAL, "unknown: EINVAL");
	is_str(str_c(&why), "unknown service nosuch", "unknown: why");
	is_int(spawn_request(&c, "inet.example", clock_deadline(5000), &pid,
	    &fd, &why), -1, "inet service: not a unix service: refused");
	is_int(spawn_request(&c, "gone", clock_deadline(5000), &pid, &fd,
	    &why), -1, "gone: refused");
	str_clear(&want);
	str_catf(&want, "execve %s/no-such-program: No such file or "
	    "directory", self_dir);
	is_str(str_c(&why), str_c(&want), "gone: why");
	is_int(spawn_request(&c, "slash", clock_deadline(5000), &pid, &fd,
	    &why), -1, "slash: refused");
	is_str(str_c(&why), "master.cf command of slash has a '/'",
	    "slash: why");
	is_int(spawn_request(&c, "../x", clock_deadline(5000), &pid, &fd,
	    &why), -1, "bad name: refused by the client");
	is_str(str_c(&why), "bad service name", "bad name: why");

	/* Kill: our agent only. */
	is_int(spawn_request(&c, "echo", clock_deadline(5000), &pid, &fd,
	    &why), 0, "kill: started");
	is_int(spawn_kill(&c, pid), 0, "kill: asked");
	st = -1;
	is_int(spawn_wait(&c, pid, &st, clock_deadline(5000)), 0,
	    "kill: exit report");
	is_str(proc_status_text(st, ptext, sizeof(ptext)),
	    "killed by signal 9 (SIGKILL)", "kill: killed");
	(void)close(fd);
	is_int(spawn_kill(&c, getpid()), 0, "kill: of a non-agent, asked");

	test_raw(&c);

	/* Still serving after all that. */
	is_int(spawn_request(&c, "echo", clock_deadline(5000), &pid, &fd,
	    &why), 0, "still serving");
	(void)talk(fd, "", &out);
	ok(log_has("not an agent: ignored"), "kill of a non-agent ignored");
	ok(c.nexit <= SPAWN_EXITS_MAX, "exit reports bounded");

	spid = c.pid;
	spawn_stop(&c, clock_deadline(5000));
	ok(c.pid == -1 && kill(spid, 0) == -1 && errno == ESRCH,
	    "stop: the server exited and was collected");
	ok(!log_has("privileged spawner (pid"), "stop: exit 0, nothing "
	    "logged");

	test_death(&cfg);

	mastercf_free(&mcf);
	str_free(&text);
	str_free(&errs);
	str_free(&why);
	str_free(&out);
	str_free(&want);
}

int
main(int argc, char *argv[])
{
	char	 exe[TEST_PATH_MAX];
	char	*slash;
	ssize_t	 n;

	if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
		return agent_main(argc, argv);
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0) {
		printf("1..0 # SKIP no /proc/self/exe\n");
		return 0;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';
	(void)snprintf(self_dir, sizeof(self_dir), "%s", exe);
	(void)snprintf(self_name, sizeof(self_name), "%s", slash + 1);
	(void)snprintf(logfile, sizeof(logfile), "%s/log", tap_tmpdir());
	(void)signal(SIGPIPE, SIG_IGN);
	(void)log_open("spawn.t", logfile);

	test_names();
	test_cmd();
	test_server();
	return done_testing();
}
