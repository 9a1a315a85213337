/* SPDX-License-Identifier: ISC */
/*
 * maildir.c: tests of lib/maildir: creation of tmp/, new/ and cur/,
 * delivery into new/ with unique names and exact bytes, nothing left
 * behind by a failed delivery, and no symbolic links followed; a batch
 * of deliveries to two Maildirs committed at once, one of them failing
 * at its commit; a batch aborted.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "maildir.h"
#include "safeopen.h"
#include "str.h"
#include "tap.h"

/* The bytes of the files in dir, concatenated ("" when none). */
static void	only_file(const char *, struct str *);
static int	no_tmpfile(const char *);
static void	batch_tests(const char *, int);

static void
only_file(const char *dir, struct str *out)
{
	char		 path[1300], buf[256];
	DIR		*d;
	struct dirent	*e;
	ssize_t		 n;
	int		 fd;

	str_clear(out);
	if ((d = opendir(dir)) == NULL) {
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') {
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((fd = open(path, O_RDONLY)) != -1) {
			n = read(fd, buf, sizeof(buf));
			str_cat_mem(out, buf, n > 0 ? (size_t)n : 0);
			(void)close(fd);
		}
	}
	(void)closedir(d);
}

/* lib/durable's fault hook: no O_TMPFILE (a named file in tmp/ then). */
static int
no_tmpfile(const char *op)
{
	if (strcmp(op, "tmpfile") == 0) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return 0;
}

/*
 * maildir_write then maildir_commit: three messages, two to A/ and one
 * to B/; then a batch whose entry for C/ cannot be linked (its new/ is
 * gone) while B/'s is delivered.
 */
static void
batch_tests(const char *base, int sfd)
{
	struct maildir_batch	 b = MAILDIR_BATCH_INIT;
	struct str		 why = STR_INIT, got = STR_INIT;
	char			 p[1024], q[1024];
	int			 bfd, a, c, d;

	bfd = open(base, O_RDONLY | O_DIRECTORY);
	a = maildir_open(bfd, "A/", true, getuid(), &why);
	c = maildir_open(bfd, "B/", true, getuid(), &why);
	ok(maildir_write(&b, a, "1\n", 2, sfd, 2, 22, &why) == 0 &&
	    maildir_write(&b, c, "2\n", 2, sfd, 2, 22, &why) == 0 &&
	    maildir_write(&b, a, "3\n", 2, sfd, 2, 22, &why) == 0 &&
	    b.n == 3, "batch: three written");
	snprintf(p, sizeof(p), "%s/A/new", base);
	is_int(tap_count_entries(p), 0, "batch: nothing in new/ before the "
	    "commit");
	is_int((int)maildir_commit(&b), 0, "batch: commit, no failure");
	ok(b.e[0].error == 0 && b.e[1].error == 0 && b.e[2].error == 0 &&
	    b.e[0].done && b.e[2].done, "batch: each entry delivered");
	is_int(tap_count_entries(p), 2, "batch: two in A/new/");
	ok(strcmp(b.e[0].final.s, b.e[2].final.s) != 0,
	    "batch: two names in A/new/");
	snprintf(q, sizeof(q), "%s/B/new", base);
	only_file(q, &got);
	is_str(str_c(&got), "2\nSubject: x\n\nFrom body\n",
	    "batch: B/new/ has its message, whole");
	snprintf(q, sizeof(q), "%s/A/tmp", base);
	is_int(tap_count_entries(q), 0, "batch: A/tmp/ is empty");
	maildir_batch_clear(&b);
	is_int((int)b.n, 0, "batch: cleared");
	/* C/new/ is removed between the write and the commit */
	d = maildir_open(bfd, "C/", true, getuid(), &why);
	ok(maildir_write(&b, d, "4\n", 2, sfd, 2, 22, &why) == 0 &&
	    maildir_write(&b, c, "5\n", 2, sfd, 2, 22, &why) == 0,
	    "batch: two more written");
	snprintf(p, sizeof(p), "%s/C/new", base);
	ok(rmdir(p) == 0, "batch: C/new/ is removed");
	is_int((int)maildir_commit(&b), 1, "batch: one entry failed");
	ok(b.e[0].error == ENOENT && strstr(str_c(&b.e[0].why),
	    "link maildir file to new/") != NULL, "batch: failure: %s",
	    str_c(&b.e[0].why));
	ok(b.e[1].error == 0, "batch: the other one delivered");
	snprintf(q, sizeof(q), "%s/B/new", base);
	is_int(tap_count_entries(q), 2, "batch: two in B/new/");
	snprintf(q, sizeof(q), "%s/C/tmp", base);
	is_int(tap_count_entries(q), 0, "batch: failed: nothing left in "
	    "tmp/");
	maildir_batch_clear(&b);
	/* maildir_abort: nothing of the batch anywhere, every entry failed
	 * with the error and reason given; the files are named ones in
	 * tmp/ here (no O_TMPFILE, by lib/durable's fault hook), so that
	 * their names must go too */
	durable_set_fault(no_tmpfile);
	ok(maildir_write(&b, a, "6\n", 2, sfd, 2, 22, &why) == 0 &&
	    maildir_write(&b, c, "7\n", 2, sfd, 2, 22, &why) == 0,
	    "abort: two written");
	durable_set_fault(NULL);
	snprintf(p, sizeof(p), "%s/A/tmp", base);
	snprintf(q, sizeof(q), "%s/B/tmp", base);
	ok(tap_count_entries(p) == 1 && tap_count_entries(q) == 1,
	    "abort: named files in A/tmp/ and B/tmp/");
	is_int((int)maildir_abort(&b, EPERM, "cannot become the user"), 2,
	    "abort: both failed");
	ok(b.e[0].done && b.e[1].done && b.e[0].error == EPERM &&
	    b.e[1].error == EPERM && b.e[0].fd == -1 && b.e[1].fd == -1 &&
	    str_eq(&b.e[0].why, "cannot become the user") &&
	    str_eq(&b.e[1].why, "cannot become the user"),
	    "abort: each closed, says EPERM and why");
	snprintf(p, sizeof(p), "%s/A/new", base);
	snprintf(q, sizeof(q), "%s/B/new", base);
	ok(tap_count_entries(p) == 2 && tap_count_entries(q) == 2,
	    "abort: nothing more in A/new/ or B/new/");
	snprintf(p, sizeof(p), "%s/A/tmp", base);
	snprintf(q, sizeof(q), "%s/B/tmp", base);
	ok(tap_count_entries(p) == 0 && tap_count_entries(q) == 0,
	    "abort: nothing in A/tmp/ or B/tmp/");
	maildir_batch_free(&b);
	(void)close(a);
	(void)close(c);
	(void)close(d);
	(void)close(bfd);
	str_free(&why);
	str_free(&got);
}

int
main(void)
{
	const char	*base = tap_tmpdir();
	struct str	 why = STR_INIT, name = STR_INIT, name2 = STR_INIT;
	struct str	 got = STR_INIT;
	char		 p[1024];
	int		 bfd, md, sfd;

	plan(34);
	bfd = open(base, O_RDONLY | O_DIRECTORY);
	ok(maildir_open(bfd, "Maildir/", false, SAFEOPEN_ANY_OWNER,
	    &why) == -1 && errno == ENOENT, "open: missing, not created");
	md = maildir_open(bfd, "Maildir/", true, getuid(), &why);
	ok(md != -1, "open: created");
	snprintf(p, sizeof(p), "%s/Maildir/cur", base);
	ok(access(p, F_OK) == 0, "open: cur/ too");
	snprintf(p, sizeof(p), "%s/src", base);
	sfd = open(p, O_RDWR | O_CREAT, 0600);
	(void)write(sfd, "..Subject: x\n\nFrom body\n", 24);
	ok(maildir_deliver(md, "H: 1\n", 5, sfd, 2, 22, &name, &why) == 0,
	    "deliver: 0");
	snprintf(p, sizeof(p), "%s/Maildir/new", base);
	only_file(p, &got);
	is_str(str_c(&got), "H: 1\nSubject: x\n\nFrom body\n",
	    "deliver: head and content, unquoted");
	ok(strstr(name.s, ".V") != NULL && strchr(name.s, '/') == NULL &&
	    strchr(name.s, ':') == NULL, "deliver: name %s", name.s);
	ok(maildir_deliver(md, "", 0, sfd, 2, 22, &name2, &why) == 0 &&
	    strcmp(name.s, name2.s) != 0, "deliver: a second, other name");
	snprintf(p, sizeof(p), "%s/Maildir/tmp", base);
	is_int(tap_count_entries(p), 0, "deliver: tmp/ is empty");
	errno = 0;
	ok(maildir_deliver(md, "", 0, sfd, 2, 500, NULL, &why) == -1 &&
	    errno == EIO, "deliver: a short source fails with EIO");
	snprintf(p, sizeof(p), "%s/Maildir/new", base);
	is_int(tap_count_entries(p), 2, "failed: nothing new in new/");
	snprintf(p, sizeof(p), "%s/Maildir/tmp", base);
	is_int(tap_count_entries(p), 0, "failed: nothing left in tmp/");
	snprintf(p, sizeof(p), "%s/link", base);
	(void)symlink("Maildir", p);
	ok(maildir_open(bfd, "link/", true, SAFEOPEN_ANY_OWNER, &why) == -1 &&
	    errno == ELOOP, "open: a symbolic link is refused");
	batch_tests(base, sfd);
	str_free(&why);
	str_free(&name);
	str_free(&name2);
	str_free(&got);
	return done_testing();
}
