/* SPDX-License-Identifier: ISC */
/*
 * qlist.c: unit tests for lib/qlist: mailq's listing and postqueue -j's
 * JSON lines of a small queue written by hand (docs/queue.5), byte for
 * byte; an empty queue; a corrupt file left out; the reason of the
 * defer log; the mark of active and hold; a write error reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qlist.h"
#include "str.h"
#include "tap.h"

static char	q[512];

/* Write queue_dir/dir/name with text; exits on failure. */
static void
put(const char *dir, const char *name, const char *text)
{
	char	path[1024];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s/%s", q, dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) == EOF) {
		perror(path);
		exit(1);
	}
}

/* A queue file: envelope, content, END (the content is "x\n"). */
static void
put_msg(const char *dir, const char *id, const char *sec, const char *sender,
    const char *rcpts)
{
	char	text[1024];

	snprintf(text, sizeof(text), "postlet-queue 1\nT %s.000000\nS %s\n"
	    "%sE %020d %020d\nx\nEND\n", sec, sender, rcpts, 2, 2);
	put(dir, id, text);
}

/* The listing of q into a file, read back into out; returns the status. */
static int
list(bool json, struct str *out)
{
	char	path[1024], buf[4096];
	ssize_t	n;
	int	fd, rc;

	snprintf(path, sizeof(path), "%s/out", tap_tmpdir());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	rc = qlist_print(q, json, fd);
	str_clear(out);
	(void)lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		str_cat_mem(out, buf, (size_t)n);
	}
	close(fd);
	return rc;
}

int
main(void)
{
	static const char *const dirs[] = {
		"incoming", "active", "deferred", "hold", "defer", NULL
	};
	struct str	out = STR_INIT;
	char		path[1024];
	int		i, rc;

	setenv("TZ", "UTC", 1);
	snprintf(q, sizeof(q), "%s/q", tap_tmpdir());
	if (mkdir(q, 0700) == -1) {
		perror(q);
		return 1;
	}
	for (i = 0; dirs[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", q, dirs[i]);
		if (mkdir(path, 0700) == -1) {
			perror(path);
			return 1;
		}
	}

	is_int(list(false, &out), 0, "empty queue: status 0");
	is_str(str_c(&out), "Mail queue is empty\n", "empty queue: the text");
	is_int(list(true, &out), 0, "empty queue, JSON: status 0");
	is_str(str_c(&out), "", "empty queue, JSON: nothing");

	put_msg("deferred", "06553F100000000A1", "1700000000",
	    "alice@example.org", "R P - - bob@example.org\n"
	    "R D - - carol@example.org\nR P - - dave@example.org\n");
	put("defer", "06553F100000000A1",
	    "bob@example.org\t4.4.1 no route\n"
	    "dave@example.org\t4.4.1 no route\n");
	put_msg("hold", "06553F17000000002B", "1700000007", "",
	    "R P - - root@example.org\n");
	put_msg("active", "06553F1E000000003C", "1700000014",
	    "eve@example.org", "R P - - \"q\\\"x\"@example.org\n");
	put("deferred", "06553F200000000FF", "garbage");

	rc = list(false, &out);
	is_int(rc, 0, "listing: status 0");
	is_str(str_c(&out),
	    "-Queue ID-           --Size-- ----Arrival Time---- "
	    "-Sender/Recipient-------\n"
	    "06553F1E000000003C*         2 Tue Nov 14 22:13:34  "
	    "eve@example.org\n"
	    "                                                   "
	    "\"q\\\"x\"@example.org\n"
	    "\n"
	    "06553F100000000A1           2 Tue Nov 14 22:13:20  "
	    "alice@example.org\n"
	    "(4.4.1 no route)\n"
	    "                                                   "
	    "bob@example.org\n"
	    "                                                   "
	    "dave@example.org\n"
	    "\n"
	    "06553F17000000002B!         2 Tue Nov 14 22:13:27  "
	    "MAILER-DAEMON\n"
	    "                                                   "
	    "root@example.org\n"
	    "\n"
	    "-- 1 Kbytes in 3 Requests.\n",
	    "listing: mailq's columns, marks, one reason for two, corrupt "
	    "file left out");

	rc = list(true, &out);
	is_int(rc, 0, "JSON: status 0");
	is_str(str_c(&out),
	    "{\"queue_name\": \"active\", \"queue_id\": \"06553F1E000000003C\", "
	    "\"arrival_time\": 1700000014, \"message_size\": 2, "
	    "\"forced_expire\": false, \"sender\": \"eve@example.org\", "
	    "\"recipients\": [{\"address\": \"\\\"q\\\\\\\"x\\\"@example.org\"}]}\n"
	    "{\"queue_name\": \"deferred\", \"queue_id\": \"06553F100000000A1\", "
	    "\"arrival_time\": 1700000000, \"message_size\": 2, "
	    "\"forced_expire\": false, \"sender\": \"alice@example.org\", "
	    "\"recipients\": [{\"address\": \"bob@example.org\", "
	    "\"delay_reason\": \"4.4.1 no route\"}, {\"address\": "
	    "\"dave@example.org\", \"delay_reason\": \"4.4.1 no route\"}]}\n"
	    "{\"queue_name\": \"hold\", \"queue_id\": \"06553F17000000002B\", "
	    "\"arrival_time\": 1700000007, \"message_size\": 2, "
	    "\"forced_expire\": false, \"sender\": \"\", \"recipients\": "
	    "[{\"address\": \"root@example.org\"}]}\n",
	    "JSON lines with escapes and reasons");

	is_int(qlist_print(q, false, -1), QLIST_WRITE,
	    "a bad descriptor: QLIST_WRITE");

	if (geteuid() != 0) {
		snprintf(path, sizeof(path), "%s/hold", q);
		chmod(path, 0);
		rc = list(false, &out);
		chmod(path, 0700);
		is_int(rc, QLIST_UNREADABLE, "an unreadable queue: reported");
		ok(strstr(str_c(&out), "in 2 Requests.") != NULL,
		    "an unreadable queue: the others listed");
	} else {
		skip(2, "root reads every directory");
	}
	str_free(&out);
	return done_testing();
}
