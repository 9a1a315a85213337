/* SPDX-License-Identifier: ISC */
/*
 * wake.c: unit tests for lib/wake: a wake-up reaches a reader as one
 * byte; no FIFO, no reader or a full FIFO are harmless (0); something
 * else in the FIFO's place is an error.  wake_request tells "nobody
 * listens" (ENOENT, ENXIO) apart from a full FIFO (0).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "wake.h"

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
