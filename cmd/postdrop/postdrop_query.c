/* SPDX-License-Identifier: ISC */
/*
 * postdrop_query.c: the two requests that any local user may make of a
 * running mail system through postdrop, the one program with the group
 * (setgid_group) that can reach queue_directory/public/:
 *
 *	postdrop -q [-j]	connect to master's showq service
 *				(public/showq) and copy its queue listing
 *				to standard output: mailq for everyone
 *	postdrop -f		write the flush request 'F' to public/qmgr
 *				and wake pickup: postqueue -f
 *
 * postdrop is setgid, so this stays small: it opens nothing but those
 * two entries of public/, gives up the group (real, effective and saved)
 * right after the socket is connected or the FIFOs written, before
 * reading a byte of the answer, and bounds the wait (each read and the
 * connect) and the size of what it copies.  A mail system that is not
 * running (no socket, nobody listening, no reader on the FIFO) is
 * Postfix's "mail system is down", exit EX_UNAVAILABLE.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"
#include "log.h"
#include "postdrop.h"
#include "str.h"
#include "wake.h"

#if defined(__linux__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__DragonFly__)
#define QUERY_HAVE_SETRES	1
#endif

/* How long the connect and each read may wait for showq. */
#define QUERY_TIMEOUT_S		60
/* The most listing copied: far above any real queue's. */
#define QUERY_OUTPUT_MAX	(1024LL * 1024 * 1024)

static void	query_drop_group(void);
static int	query_connect(const char *);

/* Give up setgid_group for good: real, effective and saved group. */
static void
query_drop_group(void)
{
	gid_t	gid = getgid();

#ifdef QUERY_HAVE_SETRES
	if (setresgid(gid, gid, gid) == -1) {
		fatal(EX_OSERR, "setresgid %lu", (unsigned long)gid);
	}
#else
	if (setregid(gid, gid) == -1) {
		fatal(EX_OSERR, "setregid %lu", (unsigned long)gid);
	}
#endif
	if (getegid() != gid || (gid != 0 && setegid(0) != -1)) {
		fatalx(EX_OSERR, "cannot give up the group privilege");
	}
}

/*
 * Connect to queue_dir/public/showq.  Returns the socket; the mail system
 * being down is fatal (EX_UNAVAILABLE), as is every other failure.
 */
static int
query_connect(const char *queue_dir)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv;
	int			 fd, n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/public/showq",
	    queue_dir);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		fatalx(EX_CONFIG, "queue report unavailable: %s/public/showq: "
		    "path too long for a socket", queue_dir);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		fatal(EX_OSERR, "socket");
	}
	/* A connect that waits for room in the listen queue (master at its
	 * process limit) waits this long at most (Linux honours it). */
	tv.tv_sec = QUERY_TIMEOUT_S;
	tv.tv_usec = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EINTR) {
			continue;
		}
		if (errno == ENOENT || errno == ECONNREFUSED ||
		    errno == ENOTDIR) {
			fatalx(EX_UNAVAILABLE, "queue report unavailable: "
			    "mail system is down");
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ETIMEDOUT) {
			fatalx(EX_TEMPFAIL, "queue report unavailable: no "
			    "answer from the mail system in %d seconds",
			    QUERY_TIMEOUT_S);
		}
		fatal(EX_UNAVAILABLE, "queue report unavailable: connect to "
		    "%s", sun.sun_path);
	}
	return fd;
}

int
postdrop_showq(const char *queue_dir, bool json)
{
	static const char	 list[] = "list\n", jlist[] = "json\n";
	char			 chunk[8192];
	long long		 total = 0;
	ssize_t			 n;
	int			 fd, r;

	fd = query_connect(queue_dir);
	query_drop_group();
	if (fd_write_all(fd, json ? jlist : list, json ? sizeof(jlist) - 1 :
	    sizeof(list) - 1) == -1) {
		fatal(EX_TEMPFAIL, "queue report unavailable: send request");
	}
	(void)shutdown(fd, SHUT_WR);
	for (;;) {
		r = fd_wait(fd, POLLIN, clock_deadline(QUERY_TIMEOUT_S * 1000));
		if (r == -1 && errno == ETIMEDOUT) {
			fatalx(EX_TEMPFAIL, "queue report unavailable: no "
			    "answer from showq in %d seconds",
			    QUERY_TIMEOUT_S);
		}
		if (r == -1) {
			fatal(EX_TEMPFAIL, "queue report unavailable: poll");
		}
		if ((n = fd_read(fd, chunk, sizeof(chunk))) == -1) {
			fatal(EX_TEMPFAIL, "queue report unavailable: read");
		}
		if (n == 0) {
			break;
		}
		total += n;
		if (total > QUERY_OUTPUT_MAX) {
			fatalx(EX_SOFTWARE, "queue report longer than %lld "
			    "bytes: cut off", QUERY_OUTPUT_MAX);
		}
		if (fd_write_all(1, chunk, (size_t)n) == -1) {
			fatal(EX_IOERR, "write to standard output");
		}
	}
	(void)close(fd);
	if (total == 0) {
		/* showq always says something, even "Mail queue is empty" */
		fatalx(EX_TEMPFAIL, "queue report unavailable: showq ended "
		    "without an answer (see the mail log)");
	}
	return 0;
}

int
postdrop_flush(const char *queue_dir)
{
	if (wake_request(queue_dir, "qmgr", WAKE_REQ_FLUSH) == -1) {
		if (errno == ENOENT || errno == ENXIO || errno == ENOTDIR) {
			fatalx(EX_UNAVAILABLE, "cannot flush mail queue: mail "
			    "system is down");
		}
		fatal(EX_UNAVAILABLE, "cannot flush mail queue: %s/public/qmgr",
		    queue_dir);
	}
	/* What waits in maildrop/ goes too; pickup not running only
	 * delays it. */
	(void)wake_up(queue_dir, "pickup");
	query_drop_group();
	return 0;
}
