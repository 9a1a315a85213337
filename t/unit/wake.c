/* SPDX-License-Identifier: ISC */
/*
 * wake.c: unit tests for lib/wake: a wake-up reaches a reader as one
 * byte; no FIFO, no reader or a full FIFO are harmless (0); something
 * else in the FIFO's place is an error.  wake_request tells "nobody
 * listens" (ENOENT, ENXIO) apart from a full FIFO (0).  wake_up_kept
 * keeps its FIFO open from one call to the next, and opens it again
 * after its reader went away or the FIFO was made anew.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "wake.h"

/* wake_up_kept, in queue q whose public/ exists and has no FIFO yet */
static void
kept(const char *q)
{
	struct wake_fifo	w = WAKE_FIFO_INIT;
	char			path[600], b[8];
	int			rfd, fd, n, r;

	is_int(wake_up_kept(&w, q, "kept"), 0, "kept: no FIFO: 0");
	is_int(w.fd, -1, "kept: no FIFO: nothing open");
	snprintf(path, sizeof(path), "%s/public/kept", q);
	if (mkfifo(path, 0622) == -1) {
		perror("mkfifo");
		exit(1);
	}
	is_int(wake_up_kept(&w, q, "kept"), 0, "kept: no reader: 0");
	is_int(w.fd, -1, "kept: no reader: nothing open");

	rfd = open(path, O_RDONLY | O_NONBLOCK);
	is_int(wake_up_kept(&w, q, "kept"), 1, "kept: a reader: 1");
	fd = w.fd;
	ok(fd != -1, "kept: the FIFO stays open");
	is_int(wake_up_kept(&w, q, "kept"), 1, "kept: again: 1");
	is_int(w.fd, fd, "kept: again through the same descriptor");
	ok(read(rfd, b, sizeof(b)) == 2 && b[0] == 'W' && b[1] == 'W',
	    "kept: the reader gets both wake-ups");

	/* A full FIFO drops wake-ups and stays open. */
	(void)fcntl(rfd, F_SETPIPE_SZ, 4096);
	for (n = 0, r = 1; r == 1 && n < 1000000; n++) {
		r = wake_up_kept(&w, q, "kept");
	}
	is_int(r, 0, "kept: a full FIFO: 0 (after %d bytes)", n);
	is_int(w.fd, fd, "kept: a full FIFO: still open");
	close(rfd);

	/* The reader goes away, then comes back. */
	is_int(wake_up_kept(&w, q, "kept"), 0, "kept: the reader left: 0");
	is_int(w.fd, -1, "kept: the reader left: closed");
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	is_int(wake_up_kept(&w, q, "kept"), 1, "kept: the reader is back: 1");
	ok(read(rfd, b, sizeof(b)) == 1 && b[0] == 'W',
	    "kept: the reader that came back gets the byte");
	/* ... and goes away and comes back while the FIFO is kept open:
	 * the first wake-up after it came back reaches it. */
	ok(w.fd != -1, "kept: open again");
	close(rfd);
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	is_int(wake_up_kept(&w, q, "kept"), 1, "kept: back while kept open: 1");
	ok(read(rfd, b, sizeof(b)) == 1 && b[0] == 'W',
	    "kept: back while kept open: the byte");

	/* The FIFO is made anew, with a reader on the new one: the old
	 * one has no reader left, and the next call finds the new one. */
	close(rfd);
	if (unlink(path) == -1 || mkfifo(path, 0622) == -1) {
		perror("mkfifo");
		exit(1);
	}
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	ok(w.fd != -1, "kept: the old FIFO is still open");
	is_int(wake_up_kept(&w, q, "kept"), 1, "kept: a new FIFO: found at "
	    "once: 1");
	ok(read(rfd, b, sizeof(b)) == 1 && b[0] == 'W',
	    "kept: the new FIFO's reader gets the byte");
	close(rfd);
	wake_close(&w);
	is_int(w.fd, -1, "kept: wake_close");
	wake_close(&w);

	/* Something else in the FIFO's place. */
	if (unlink(path) == -1) {
		perror("unlink");
		exit(1);
	}
	close(open(path, O_WRONLY | O_CREAT, 0600));
	errno = 0;
	is_int(wake_up_kept(&w, q, "kept"), -1, "kept: a regular file: -1");
	is_int(errno, EINVAL, "kept: a regular file: EINVAL");
	is_int(w.fd, -1, "kept: a regular file: nothing open");
}

int
main(void)
{
	char	q[512], path[600], b[8];
	int	rfd, n, r;

	snprintf(q, sizeof(q), "%s/q", tap_tmpdir());
	snprintf(path, sizeof(path), "%s/public", q);
	if (mkdir(q, 0700) == -1 || mkdir(path, 0700) == -1) {
		perror("mkdir");
		return 1;
	}
	is_int(wake_up(q, "qmgr"), 0, "no FIFO: 0");
	errno = 0;
	ok(wake_request(q, "qmgr", WAKE_REQ_FLUSH) == -1 && errno == ENOENT,
	    "wake_request, no FIFO: -1 ENOENT");

	snprintf(path, sizeof(path), "%s/public/qmgr", q);
	if (mkfifo(path, 0622) == -1) {
		perror("mkfifo");
		return 1;
	}
	is_int(wake_up(q, "qmgr"), 0, "FIFO without a reader: 0");
	errno = 0;
	ok(wake_request(q, "qmgr", WAKE_REQ_FLUSH) == -1 && errno == ENXIO,
	    "wake_request, FIFO without a reader: -1 ENXIO");

	rfd = open(path, O_RDONLY | O_NONBLOCK);
	ok(rfd != -1, "reader opens the FIFO");
	is_int(wake_up(q, "qmgr"), 1, "FIFO with a reader: 1");
	is_int(read(rfd, b, sizeof(b)), 1, "the reader gets one byte");
	is_int(b[0], 'W', "wake_up writes W");
	is_int(wake_up_with(q, "qmgr", WAKE_REQ_SCAN_ALL), 1,
	    "wake_up_with: 1");
	ok(read(rfd, b, sizeof(b)) == 1 && b[0] == 'A',
	    "wake_up_with: the request byte");
	is_int(wake_request(q, "qmgr", WAKE_REQ_FLUSH), 1,
	    "wake_request with a reader: 1");
	ok(read(rfd, b, sizeof(b)) == 1 && b[0] == 'F',
	    "wake_request: the flush byte F");

	/* Fill the FIFO: further wake-ups are dropped, not errors. */
	(void)fcntl(rfd, F_SETPIPE_SZ, 4096);
	for (n = 0, r = 1; r == 1 && n < 1000000; n++) {
		r = wake_up(q, "qmgr");
	}
	is_int(r, 0, "a full FIFO: 0 (after %d bytes)", n);
	is_int(wake_request(q, "qmgr", WAKE_REQ_FLUSH), 0,
	    "wake_request, a full FIFO: 0");
	close(rfd);

	/* (writing to a FIFO whose reader left raises SIGPIPE) */
	signal(SIGPIPE, SIG_IGN);
	kept(q);

	snprintf(path, sizeof(path), "%s/public/pickup", q);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	errno = 0;
	is_int(wake_up(q, "pickup"), -1, "a regular file: -1");
	is_int(errno, EINVAL, "a regular file: EINVAL");
	{
		struct stat	st;

		ok(stat(path, &st) == 0 && st.st_size == 0,
		    "a regular file: nothing written into it");
	}
	return done_testing();
}
