/* SPDX-License-Identifier: ISC */
/*
 * jail.c: unit tests for lib/jail: queue paths outside and inside the
 * jail, and, as root, a real jail_enter in a forked child: / is the
 * queue directory, the ids are mail_owner's (nobody here), and a cdb
 * table and a user from /etc/passwd, both outside the jail, are still
 * found after the chroot.  Elsewhere only the paths are checked.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "jail.h"
#include "log.h"
#include "map.h"
#include "priv.h"
#include "str.h"
#include "tap.h"

static char	queue[600];

/* In a child: enter the jail and check it; the exit status says how
 * far it got (0: all good). */
static int
jailed_child(const struct stat *qst)
{
	struct str	 err = STR_INIT, value = STR_INIT, path = STR_INIT;
	struct stat	 st;
	struct map	*m;
	char		 spec[700];
	uid_t		 uid;
	gid_t		 gid;

	if (jail_enter(&err) == -1) {
		fprintf(stderr, "jail_enter: %s\n", err.s);
		return 1;
	}
	if (!jail_active() || strcmp(jail_queue_dir(), "/") != 0) {
		return 2;
	}
	jail_queue_path("public/cleanup", &path);
	if (strcmp(path.s, "/public/cleanup") != 0) {
		return 3;
	}
	if (stat("/", &st) == -1 || st.st_ino != qst->st_ino ||
	    st.st_dev != qst->st_dev) {
		return 4;
	}
	if (priv_lookup("nobody", &uid, &gid, NULL) == -1 ||
	    getuid() != uid || geteuid() != uid || getgid() != gid) {
		return 5;
	}
	/* the table lives outside: only the descriptor opened before */
	(void)snprintf(spec, sizeof(spec), "cdb:%s/../table", queue);
	if ((m = map_open(spec, &err)) == NULL ||
	    map_lookup(m, "key", &value, &err) != MAP_FOUND ||
	    strcmp(value.s, "value") != 0) {
		fprintf(stderr, "lookup %s: %s\n", spec, str_c(&err));
		return 6;
	}
	if (priv_lookup("root", &uid, &gid, NULL) == -1 || uid != 0) {
		return 7;
	}
	errno = 0;
	if (priv_lookup("postlet-no-such-user", &uid, &gid, NULL) != -1 ||
	    errno != ENOENT) {
		return 8;
	}
	return 0;
}

int
main(void)
{
	struct str	 path = STR_INIT, msgs = STR_INIT;
	struct stat	 qst;
	char		 file[700];
	FILE		*f;
	pid_t		 pid;
	int		 st;

	(void)snprintf(queue, sizeof(queue), "%s/queue", tap_tmpdir());
	(void)snprintf(file, sizeof(file), "%s/main.cf", tap_tmpdir());
	if (mkdir(queue, 0755) == -1 || stat(queue, &qst) == -1 ||
	    (f = fopen(file, "w")) == NULL) {
		printf("Bail out! setup: %s\n", strerror(errno));
		return 1;
	}
	fprintf(f, "queue_directory = %s\nmail_owner = nobody\n"
	    "smtpd_recipient_restrictions = check_recipient_access "
	    "cdb:%s/../table, reject\n", queue, queue);
	fclose(f);
	(void)snprintf(file, sizeof(file), "%s/table", tap_tmpdir());
	if ((f = fopen(file, "w")) == NULL) {
		printf("Bail out! %s: %s\n", file, strerror(errno));
		return 1;
	}
	fprintf(f, "key value\n");
	fclose(f);
	log_open("jail", "/dev/null");
	conf_load(tap_tmpdir());
	is_int(map_cdb_build(file, MAPSRC_POSTMAP, &msgs), 0, "table built");

	ok(!jail_active(), "not jailed at first");
	is_str(jail_queue_dir(), queue, "outside: queue_directory");
	jail_queue_path("public/cleanup", &path);
	(void)snprintf(file, sizeof(file), "%s/public/cleanup", queue);
	is_str(path.s, file, "outside: a path under queue_directory");

	if (geteuid() != 0) {
		skip(1, "root only: jail_enter");
		str_free(&path);
		str_free(&msgs);
		return done_testing();
	}
	if ((pid = fork()) == -1) {
		printf("Bail out! fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		_exit(jailed_child(&qst));
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR) {
		continue;
	}
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : 100 + st, 0,
	    "jail_enter: / is the queue, ids are nobody's, the table and "
	    "users outside still answer (exit status: the failed step)");
	str_free(&path);
	str_free(&msgs);
	return done_testing();
}
