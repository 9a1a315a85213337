/* SPDX-License-Identifier: ISC */
/*
 * handoff.c: unit tests for lib/handoff (and the packet helpers of
 * lib/fd it rests on): a connection passed by handoff_send arrives in
 * the child as a working descriptor; "done" comes back; master's end of
 * file ends the child's loop; a packet that is not one 'C' with one
 * descriptor is refused (EPROTO) with what came along closed; a child
 * whose master closed the channel while it served ends quietly.  A
 * child that keeps a table open (as a chrooted one does) and sees it
 * rebuilt gives the next connection back ('R') and ends, or ends
 * without 'D' after the connection in which it saw it; a fresh child
 * always serves its first connection.  handoff_serve_idle calls its
 * idle callback once when no connection came for its time, not before,
 * and again only after another connection.  handoff_done_early sends
 * the 'D' while the connection is still being served, once, and
 * handoff_serve then sends none; after a rebuilt table, none at all.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "fd.h"
#include "handoff.h"
#include "map.h"
#include "str.h"
#include "tap.h"

/* A serve callback: answer "hello N" on the connection. */
static void
serve_hello(int conn, void *arg)
{
	int	*n = arg;
	char	 line[16] = "hello 0\n";

	line[6] = (char)('0' + (*n)++ % 10);
	(void)fd_write_all(conn, line, strlen(line));
}

/* An idle callback: a byte "i" on idle_fd. */
static int	idle_fd = -1;

static void
idle_mark(void *arg)
{
	(void)arg;
	(void)write(idle_fd, "i", 1);
}

/* Is a byte there on fd within ms milliseconds?  (1, 0 or -1) */
static int
byte_within(int fd, int ms)
{
	struct pollfd	pfd;
	char		c;

	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) != 1) {
		return 0;
	}
	return read(fd, &c, 1) == 1 ? 1 : -1;
}

/* The table of the tests of rebuilt tables: its source path. */
static char	table[600];

/* Write the table's source with one entry and build it (a new file
 * renamed into place, as postlet map does): 0 or -1. */
static int
table_build(const char *value)
{
	struct str	msgs = STR_INIT;
	FILE		*f;
	int		 rc;

	if ((f = fopen(table, "w")) == NULL) {
		return -1;
	}
	(void)fprintf(f, "key %s\n", value);
	if (fclose(f) != 0) {
		return -1;
	}
	rc = map_cdb_build(table, MAPSRC_POSTMAP, &msgs);
	str_free(&msgs);
	return rc;
}

/* A serve callback that answers, then rebuilds the table. */
static void
serve_rebuild(int conn, void *arg)
{
	serve_hello(conn, arg);
	(void)table_build("rebuilt");
}

/* serve_early's go-ahead: it waits for a byte here after its early D. */
static int	early_go = -1;

/* A serve callback that reports the connection done early (twice, the
 * second a no-op), waits for the parent's go-ahead, then answers. */
static void
serve_early(int conn, void *arg)
{
	handoff_done_early();
	handoff_done_early();
	(void)byte_within(early_go, 10000);
	serve_hello(conn, arg);
}

/* A serve callback that answers, rebuilds the table, then reports the
 * connection done early: no 'D' may go out. */
static void
serve_rebuild_early(int conn, void *arg)
{
	serve_rebuild(conn, arg);
	handoff_done_early();
}

/*
 * A child that keeps its tables open as a chrooted one does, opens the
 * table, says so with a byte on ready, and serves with serve until
 * handoff_serve returns; exits 0 when that was 0.  The parent gets the
 * byte before it returns.
 */
static pid_t
table_child(int ctl, int other, void (*serve)(int, void *))
{
	int	ready[2];
	char	c;

	struct str	 spec = STR_INIT, err = STR_INIT;
	pid_t		 pid;
	int		 n = 0;

	if (pipe(ready) == -1) {
		return -1;
	}
	if ((pid = fork()) != 0) {
		(void)close(ready[1]);
		(void)read(ready[0], &c, 1);
		(void)close(ready[0]);
		return pid;
	}
	(void)close(other);
	(void)close(ready[0]);
	map_keep_open();
	str_catf(&spec, "cdb:%s", table);
	if (map_open(spec.s, &err) == NULL) {
		_exit(2);
	}
	(void)write(ready[1], "r", 1);
	(void)close(ready[1]);
	_exit(handoff_serve(ctl, serve, &n) == 0 ? 0 : 1);
}

/*
 * A new channel ch, and a child that runs handoff_serve(serve_hello) on
 * ch[1] and exits 0 when that returned 0.  The parent keeps ch[0]: the
 * child's pid, or -1.
 */
static pid_t
hello_child(int ch[2])
{
	int	n = 0;
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ch) == -1 ||
	    (pid = fork()) == -1) {
		return -1;
	}
	if (pid == 0) {
		(void)close(ch[0]);
		_exit(handoff_serve(ch[1], serve_hello, &n) == 0 ? 0 : 1);
	}
	(void)close(ch[1]);
	return pid;
}

/*
 * A table child serving with serve gets a connection on pipe pp (the
 * parent reads pp[0]): it answers "hello 0", sends no D and ends with
 * 0, which the parent sees as the channel's end of file.  0, or -1 when
 * the channel cannot be made.
 */
static int
served_without_done(void (*serve)(int, void *), const int pp[2],
    const char *what)
{
	int	ch[2], status;
	char	buf[32], tag;
	ssize_t	r;
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ch) == -1) {
		return -1;
	}
	pid = table_child(ch[1], ch[0], serve);
	(void)close(ch[1]);
	is_int(handoff_send(ch[0], pp[1]), 0, "%s: send", what);
	is_int(read(ch[0], &tag, 1), 0, "%s: no D, end of file", what);
	r = read(pp[0], buf, sizeof(buf));
	is_mem(buf, r > 0 ? (size_t)r : 0, "hello 0\n", 8,
	    "%s: the session was served", what);
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "%s: ends with 0", what);
	(void)close(ch[0]);
	return 0;
}

int
main(void)
{
	int	 ch[2], pp[2], pp2[2], pi[2], conn, fds[4], n = 0, status, lowest;
	size_t	 nfds;
	bool	 trunc;
	char	 buf[32], tag;
	pid_t	 pid;
	ssize_t	 r;
	struct pollfd	 pfd;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ch) == -1 ||
	    pipe(pp) == -1) {
		return 1;
	}

	/* One connection there and back. */
	is_int(handoff_send(ch[0], pp[1]), 0, "handoff_send: 0");
	is_int(handoff_next(ch[1], &conn), 1, "handoff_next: 1");
	ok(conn != -1 && conn != pp[1], "a new descriptor arrives");
	ok((fcntl(conn, F_GETFD) & FD_CLOEXEC) != 0, "it is close-on-exec");
	is_int(write(conn, "x", 1), 1, "it writes into the passed pipe");
	ok(read(pp[0], buf, 1) == 1 && buf[0] == 'x', "the byte arrives");
	(void)close(conn);
	is_int(handoff_done(ch[1]), 0, "handoff_done: 0");
	ok(read(ch[0], &tag, 1) == 1 && tag == HANDOFF_DONE,
	    "master reads D");

	/* Bad packets: refused, their descriptors closed. */
	lowest = dup(0);
	(void)close(lowest);
	tag = 'X';
	is_int(fd_send_packet(ch[0], &tag, 1, pp[1]), 0, "send a bad tag");
	errno = 0;
	ok(handoff_next(ch[1], &conn) == -1 && errno == EPROTO &&
	    conn == -1, "bad tag: -1 EPROTO");
	tag = HANDOFF_CONN;
	is_int(fd_send_packet(ch[0], &tag, 1, -1), 0, "send C without fd");
	errno = 0;
	ok(handoff_next(ch[1], &conn) == -1 && errno == EPROTO,
	    "C without descriptor: -1 EPROTO");
	is_int(fd_send_packet(ch[0], "CC", 2, pp[1]), 0, "send two bytes");
	errno = 0;
	ok(handoff_next(ch[1], &conn) == -1 && errno == EPROTO,
	    "two bytes: -1 EPROTO");
	/* the descriptors that came with the bad packets are closed: the
	 * lowest free number is what it was */
	fds[0] = dup(0);
	is_int(fds[0], lowest, "no descriptor leaked");
	(void)close(fds[0]);

	/* fd_recv_packet: a packet longer than the buffer is flagged. */
	is_int(fd_send_packet(ch[0], "abcdef", 6, -1), 0, "send 6 bytes");
	r = fd_recv_packet(ch[1], true, buf, 3, fds, 4, &nfds, &trunc);
	ok(r == 3 && trunc && nfds == 0, "6 bytes into 3: cut, flagged");
	/* too many descriptors: the extra ones are closed */
	if (pipe(pp2) == -1) {
		return 1;
	}
	is_int(fd_send_packet(ch[0], "C", 1, pp2[0]), 0, "send one more");
	r = fd_recv_packet(ch[1], false, buf, sizeof(buf), fds, 0, &nfds,
	    &trunc);
	ok(r == 1 && nfds == 0 && trunc, "no room for the descriptor: "
	    "closed, flagged");
	errno = 0;
	ok(fd_recv_packet(ch[1], false, buf, sizeof(buf), fds, 4, &nfds,
	    &trunc) == -1 && (errno == EAGAIN || errno == EWOULDBLOCK),
	    "nothing there, no wait: EAGAIN");

	/* handoff_serve in a child: two connections, then end of file. */
	pid = fork();
	if (pid == 0) {
		(void)close(ch[0]);
		_exit(handoff_serve(ch[1], serve_hello, &n) == 0 &&
		    n == 2 ? 0 : 1);
	}
	(void)close(ch[1]);
	is_int(handoff_send(ch[0], pp2[1]), 0, "serve: first connection");
	ok(read(ch[0], &tag, 1) == 1 && tag == HANDOFF_DONE,
	    "serve: first done");
	is_int(handoff_send(ch[0], pp2[1]), 0, "serve: second connection");
	ok(read(ch[0], &tag, 1) == 1 && tag == HANDOFF_DONE,
	    "serve: second done");
	r = read(pp2[0], buf, sizeof(buf));
	is_mem(buf, r > 0 ? (size_t)r : 0, "hello 0\nhello 1\n", 16,
	    "serve: both answered on the connections");
	(void)close(ch[0]);
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "serve: ends 0 at master's end of "
	    "file, after two");

	/* Master gone while the child serves: it ends quietly. */
	if ((pid = hello_child(ch)) == -1) {
		return 1;
	}
	is_int(handoff_send(ch[0], pp2[1]), 0, "send, then close");
	(void)close(ch[0]);
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "master closed during a connection: "
	    "ends 0");

	/*
	 * Master lets the child go (a reload) before it read the child's
	 * D: closing a socket with unread data resets the connection, and
	 * the child's next read fails with ECONNRESET.  That is an end
	 * like any other: it ends 0.
	 */
	if ((pid = hello_child(ch)) == -1) {
		return 1;
	}
	is_int(handoff_send(ch[0], pp2[1]), 0, "D unread: send");
	r = read(pp2[0], buf, sizeof(buf));
	pfd.fd = ch[0];
	pfd.events = POLLIN;
	ok(r > 0 && poll(&pfd, 1, 5000) == 1, "D unread: served, D waits");
	(void)close(ch[0]);
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "D unread: master closed, the child "
	    "ends 0");

	/*
	 * handoff_serve_idle: a connection already waiting is served at
	 * once (no idle call before it); 100 ms without one, one idle
	 * call, and no second while the wait goes on; after the next
	 * connection, another.
	 */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ch) == -1 ||
	    pipe(fds) == -1 || pipe(pi) == -1) {
		return 1;
	}
	is_int(handoff_send(ch[0], pi[1]), 0, "idle: a connection waits");
	if ((pid = fork()) == 0) {
		(void)close(ch[0]);
		(void)close(fds[0]);
		idle_fd = fds[1];
		n = 0;
		_exit(handoff_serve_idle(ch[1], serve_hello, &n, 100,
		    idle_mark) == 0 && n == 2 ? 0 : 1);
	}
	(void)close(ch[1]);
	(void)close(fds[1]);
	ok(read(ch[0], &tag, 1) == 1 && tag == HANDOFF_DONE,
	    "idle: the waiting connection served, D");
	ok(byte_within(fds[0], 50) == 0, "idle: no idle call right after it");
	is_int(byte_within(fds[0], 5000), 1, "idle: one idle call after "
	    "100 ms without a connection");
	is_int(byte_within(fds[0], 400), 0, "idle: no second one while the "
	    "wait goes on");
	is_int(handoff_send(ch[0], pi[1]), 0, "idle: another connection");
	ok(read(ch[0], &tag, 1) == 1 && tag == HANDOFF_DONE,
	    "idle: served, D");
	is_int(byte_within(fds[0], 5000), 1, "idle: another idle call after "
	    "it");
	r = read(pi[0], buf, sizeof(buf));
	is_mem(buf, r > 0 ? (size_t)r : 0, "hello 0\nhello 1\n", 16,
	    "idle: both connections answered");
	(void)close(ch[0]);
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "idle: ends 0 at master's end of file");
	(void)close(fds[0]);
	(void)close(pi[0]);
	(void)close(pi[1]);

	/*
	 * A kept table rebuilt while the child waits: the next connection
	 * comes back unserved ('R', the same connection), and the child
	 * ends.
	 */
	(void)snprintf(table, sizeof(table), "%s/access", tap_tmpdir());
	if (table_build("first") == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ch) == -1) {
		return 1;
	}
	pid = table_child(ch[1], ch[0], serve_hello);
	(void)close(ch[1]);
	is_int(handoff_send(ch[0], pp2[1]), 0, "table: a connection");
	ok(read(ch[0], &tag, 1) == 1 && tag == HANDOFF_DONE,
	    "table: served, D");
	r = read(pp2[0], buf, sizeof(buf));
	is_int(table_build("second"), 0, "table: rebuilt");
	is_int(handoff_send(ch[0], pp2[1]), 0, "table: the next connection");
	r = fd_recv_packet(ch[0], true, buf, sizeof(buf), fds, 4, &nfds,
	    &trunc);
	ok(r == 1 && buf[0] == HANDOFF_RETURN && nfds == 1 && !trunc,
	    "table: it comes back with R");
	if (nfds == 1) {
		ok(write(fds[0], "z", 1) == 1 && read(pp2[0], buf, 1) == 1 &&
		    buf[0] == 'z', "table: R carries the same connection");
		(void)close(fds[0]);
	} else {
		skip(1, "no descriptor came back");
	}
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "table: the child ends with 0");
	(void)close(ch[0]);

	/* Rebuilt during a connection: served, then the end without D. */
	if (served_without_done(serve_rebuild, pp2,
	    "rebuilt in a session") == -1) {
		return 1;
	}

	/* A fresh child serves its first connection even when the table
	 * changed since it opened it (it never gives back twice). */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ch) == -1) {
		return 1;
	}
	pid = table_child(ch[1], ch[0], serve_hello);
	(void)close(ch[1]);
	(void)table_build("third");
	is_int(handoff_send(ch[0], pp2[1]), 0, "fresh child: send");
	is_int(read(ch[0], &tag, 1), 0, "fresh child: served, then ends");
	r = read(pp2[0], buf, sizeof(buf));
	is_mem(buf, r > 0 ? (size_t)r : 0, "hello 0\n", 8,
	    "fresh child: the first connection was served");
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "fresh child: ends with 0");
	(void)close(ch[0]);

	/* Rebuilt, then handoff_done_early: no D either, the same end. */
	if (served_without_done(serve_rebuild_early, pp2,
	    "early, rebuilt") == -1) {
		return 1;
	}

	/*
	 * handoff_done_early: the D comes while serve still runs (it
	 * waits for the parent, who waits for the D), once per connection
	 * however often it is called, and handoff_serve adds none.
	 */
	handoff_done_early();	/* outside handoff_serve: nothing */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ch) == -1 ||
	    pipe(pi) == -1) {
		return 1;
	}
	if ((pid = fork()) == 0) {
		(void)close(ch[0]);
		(void)close(pi[1]);
		early_go = pi[0];
		n = 0;
		_exit(handoff_serve(ch[1], serve_early, &n) == 0 && n == 2 ?
		    0 : 1);
	}
	(void)close(ch[1]);
	(void)close(pi[0]);
	is_int(handoff_send(ch[0], pp2[1]), 0, "early: first connection");
	ok(byte_within(ch[0], 3000) == 1, "early: D while serve runs");
	(void)write(pi[1], "g", 1);
	is_int(handoff_send(ch[0], pp2[1]), 0, "early: second connection");
	ok(byte_within(ch[0], 3000) == 1, "early: D again while serve runs");
	(void)write(pi[1], "g", 1);
	r = read(pp2[0], buf, sizeof(buf));
	if (r > 0 && r < 16) {
		ssize_t	r2 = read(pp2[0], buf + r, sizeof(buf) - (size_t)r);

		r += r2 > 0 ? r2 : 0;
	}
	is_mem(buf, r > 0 ? (size_t)r : 0, "hello 0\nhello 1\n", 16,
	    "early: both connections answered");
	is_int(byte_within(ch[0], 300), 0, "early: no second D from "
	    "handoff_serve");
	(void)close(ch[0]);
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "early: ends 0 at master's end of file");
	(void)close(pi[1]);
	return done_testing();
}
