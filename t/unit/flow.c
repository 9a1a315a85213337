/* SPDX-License-Identifier: ISC */
/*
 * flow.c: tests of lib/flow: qmgr's side makes the FIFO and fills it up
 * to its limit and no further; cleanup's side takes one token a call,
 * waits out its time without one, takes a token written while it
 * waits, and does not wait at all when no writer holds the FIFO; a
 * limit larger than one write is filled whole.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "clock.h"
#include "flow.h"
#include "tap.h"

int
main(void)
{
	const char		*base = tap_tmpdir();
	struct flow_reader	 r;
	struct stat		 st;
	char			 p[1024];
	long long		 t;
	pid_t			 pid;
	int			 w, i, got = 0, status;

	plan(12);
	snprintf(p, sizeof(p), "%s/public", base);
	(void)mkdir(p, 0700);
	errno = 0;
	ok(flow_open_get(base, &r) == -1 && errno == ENOENT,
	    "get: no FIFO yet: ENOENT");
	w = flow_open_put(base);
	snprintf(p, sizeof(p), "%s/%s", base, FLOW_FIFO);
	ok(w != -1 && stat(p, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    (st.st_mode & 0777) == 0600, "put: made the FIFO, mode 0600");
	is_int(flow_put(w, 5, 3), 3, "put: 5 asked, 3 the limit: 3");
	is_int(flow_put(w, 1, 3), 0, "put: the FIFO holds the limit: 0");
	ok(flow_open_get(base, &r) == 0, "get: opened");
	for (i = 0; i < 3; i++) {
		got += flow_get(&r, 1000);
	}
	is_int(got, 3, "get: three tokens");
	t = clock_ms();
	is_int(flow_get(&r, 200), 0, "get: no token left: 0");
	ok(clock_ms() - t >= 190, "get: after waiting its time (%lld ms)",
	    clock_ms() - t);
	/* a token written while the reader waits */
	if ((pid = fork()) == 0) {
		tap_sleep_ms(100);
		_exit(flow_put(w, 1, 3) == 1 ? 0 : 1);
	}
	is_int(flow_get(&r, 5000), 1, "get: a token written meanwhile");
	(void)waitpid(pid, &status, 0);
	/* nobody holds the FIFO for writing: nothing to wait for */
	(void)close(w);
	t = clock_ms();
	is_int(flow_get(&r, 5000), 0, "get: no writer: 0");
	ok(clock_ms() - t < 2000, "get: at once (%lld ms)", clock_ms() - t);
	/* a limit larger than one write (256 tokens) is filled whole */
	w = flow_open_put(base);
	is_int(flow_put(w, 1000, 1000), 1000, "put: 1000 tokens at once");
	(void)close(w);
	return done_testing();
}
