/*
 * SPDX-License-Identifier: ISC
 *
 * ceiling.c: what the disk allows a durable mail queue, the ceiling of
 * every MTA rate in bench/run.sh.  Per message it does what a queue must
 * do before it may say "250 queued": create a file in DIR/tmp, write
 * 2 KB, fsync it, close it, rename it into DIR/new and fsync DIR/new.
 * With 1, 4 and 20 (or the given) concurrent writers, each a process,
 * for SECONDS seconds or MESSAGES messages per writer count, whichever
 * ends first; one line per writer count:
 *
 *	ceiling: writers 20 messages 8123 seconds 2.01 rate 4041.3 cpu_ms 0.152
 *
 * cpu_ms is the CPU time (user and system) the writers used, per
 * message: what the durable queue alone costs the machine.
 *
 * Usage: ceiling [-d DIR] [-s SECONDS] [-n MESSAGES] [WRITERS...]
 * DIR (default ".") gets the subdirectories tmp/ and new/ of a fresh
 * directory ceiling.PID, removed with every file in it at the end.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_SIZE	2048
#define MAX_WRITERS	256

static char base[4096];

static double	now(void);
static void	die(const char *);
static int	path(char *, size_t, const char *, int, long);
static void	writer(int, int, int, double, long);
static void	clean(const char *, int, long);
static double	children_cpu(void);
static int	measure(int, double, long, long *);
static long	number(const char *, long, long);

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "ceiling: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
path(char *buf, size_t size, const char *sub, int w, long n)
{
	int len = snprintf(buf, size, "%s/%s/%d.%ld", base, sub, w, n);

	return len > 0 && (size_t)len < size ? 0 : -1;
}

/*
 * One writer: wait for the start (the parent closes the pipe), then
 * queue messages until the deadline or the count; write the count to
 * the result pipe.
 */
static void
writer(int w, int go, int res, double seconds, long max)
{
	char data[MSG_SIZE], tmp[4200], dst[4200], dirname[4200];
	double end;
	long n = 0;
	int dfd, fd, len;
	char c;

	memset(data, 'x', sizeof data);
	for (len = 76; len < MSG_SIZE; len += 78) {
		data[len] = '\r';
		data[len + 1] = '\n';
	}
	len = snprintf(dirname, sizeof dirname, "%s/new", base);
	if (len < 0 || (size_t)len >= sizeof dirname) {
		_exit(1);
	}
	if ((dfd = open(dirname, O_RDONLY | O_DIRECTORY)) < 0) {
		die(dirname);
	}
	while (read(go, &c, 1) > 0) {
		continue;
	}
	end = now() + seconds;
	while (n < max && now() < end) {
		if (path(tmp, sizeof tmp, "tmp", w, n) < 0 ||
		    path(dst, sizeof dst, "new", w, n) < 0) {
			_exit(1);
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0) {
			die(tmp);
		}
		if (write(fd, data, sizeof data) != (ssize_t)sizeof data) {
			die("write");
		}
		if (fsync(fd) < 0) {
			die("fsync");
		}
		if (close(fd) < 0) {
			die("close");
		}
		if (rename(tmp, dst) < 0) {
			die("rename");
		}
		if (fsync(dfd) < 0) {
			die("fsync directory");
		}
		n++;
	}
	if (write(res, &n, sizeof n) != (ssize_t)sizeof n) {
		die("result");
	}
	_exit(0);
}

/* Remove every file of DIR/SUB, then DIR/SUB. */
static void
clean(const char *sub, int writers, long max)
{
	char p[4200];
	int w;
	long n;

	for (w = 0; w < writers; w++) {
		for (n = 0; n < max; n++) {
			if (path(p, sizeof p, sub, w, n) < 0) {
				return;
			}
			if (unlink(p) < 0 && errno == ENOENT) {
				break;
			}
		}
	}
}

/* CPU seconds (user and system) of the children reaped so far. */
static double
children_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_CHILDREN, &ru) < 0) {
		die("getrusage");
	}
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* One measurement with WRITERS processes; prints its line. */
static int
measure(int writers, double seconds, long max, long *counts)
{
	int go[2], res[2], w, status, failed = 0;
	pid_t pid;
	double start, elapsed, cpu0, cpu;
	long n, total = 0;

	cpu0 = children_cpu();
	if (pipe(go) < 0 || pipe(res) < 0) {
		die("pipe");
	}
	for (w = 0; w < writers; w++) {
		pid = fork();
		if (pid < 0) {
			die("fork");
		}
		if (pid == 0) {
			close(go[1]);
			close(res[0]);
			writer(w, go[0], res[1], seconds, max);
		}
	}
	close(go[0]);
	close(res[1]);
	/* Let the writers open their directory, then start them at once. */
	usleep(100000);
	start = now();
	close(go[1]);
	while (wait(&status) > 0) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			failed = 1;
		}
	}
	elapsed = now() - start;
	cpu = children_cpu() - cpu0;
	for (w = 0; w < writers; w++) {
		if (read(res[0], &n, sizeof n) != (ssize_t)sizeof n) {
			failed = 1;
			break;
		}
		total += n;
	}
	close(res[0]);
	counts[0] = total;
	if (failed) {
		fprintf(stderr, "ceiling: a writer failed\n");
		return -1;
	}
	printf("ceiling: writers %d messages %ld seconds %.2f rate %.1f "
	    "cpu_ms %.3f\n", writers, total, elapsed,
	    elapsed > 0 ? (double)total / elapsed : 0,
	    total > 0 ? cpu * 1000 / (double)total : 0);
	fflush(stdout);
	return 0;
}

/* A whole decimal number from MIN to MAX, or the usage message. */
static long
number(const char *text, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "ceiling: %s: not a number from %ld to %ld\n",
		    text, min, max);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	static const int def[] = { 1, 4, 20 };
	const char *dir = ".";
	double seconds = 3;
	long max = 1000000, total;
	int ch, i, nw, w[MAX_WRITERS], len, rc = 0;
	char sub[4200];

	while ((ch = getopt(argc, argv, "d:s:n:")) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 's':
			seconds = (double)number(optarg, 1, 3600);
			break;
		case 'n':
			max = number(optarg, 1, 100000000);
			break;
		default:
			fprintf(stderr, "usage: ceiling [-d DIR] [-s SECONDS] "
			    "[-n MESSAGES] [WRITERS...]\n");
			return 2;
		}
	}
	nw = 0;
	for (i = optind; i < argc && nw < MAX_WRITERS; i++) {
		w[nw++] = (int)number(argv[i], 1, MAX_WRITERS);
	}
	if (nw == 0) {
		for (nw = 0; nw < 3; nw++) {
			w[nw] = def[nw];
		}
	}
	len = snprintf(base, sizeof base, "%s/ceiling.%ld", dir,
	    (long)getpid());
	if (len < 0 || (size_t)len >= sizeof base - 16) {
		fprintf(stderr, "ceiling: directory name too long\n");
		return 2;
	}
	if (mkdir(base, 0700) < 0) {
		die(base);
	}
	for (i = 0; i < 2; i++) {
		len = snprintf(sub, sizeof sub, "%s/%s", base,
		    i ? "new" : "tmp");
		if (len < 0 || (size_t)len >= sizeof sub ||
		    mkdir(sub, 0700) < 0) {
			die(base);
		}
	}
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < nw && rc == 0; i++) {
		if (measure(w[i], seconds, max, &total) < 0) {
			rc = 1;
		}
		clean("new", w[i], max);
		clean("tmp", w[i], max);
	}
	for (i = 0; i < 2; i++) {
		len = snprintf(sub, sizeof sub, "%s/%s", base,
		    i ? "new" : "tmp");
		if (len > 0 && (size_t)len < sizeof sub) {
			rmdir(sub);
		}
	}
	if (rmdir(base) < 0) {
		fprintf(stderr, "ceiling: rmdir %s: %s\n", base,
		    strerror(errno));
	}
	return rc;
}
