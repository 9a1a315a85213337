/* SPDX-License-Identifier: ISC */
/*
 * agent_qfile.c: unit tests for lib/agent_qfile: which queue file names
 * a job may give, a recipient's original address from its ORCPT, and the
 * Delivered-To loop check.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "agent_qfile.h"
#include "fd.h"
#include "qfile.h"
#include "str.h"
#include "tap.h"

#define QID	"06553F100000000A1"

int
main(void)
{
	static const char	 body[] = "Delivered-To: Bob@Example.org \n"
	    "Subject: x\n\nDelivered-To: c@example.org\n";
	static const char *const bad[] = { "active/../" QID, "/etc/" QID,
	    "nosuch/" QID, "active/06553F100000000A2", QID,
	    "active/" QID "/x" };
	struct agent_job	 job = AGENT_JOB_INIT;
	struct qfile		 qf = QFILE_INIT;
	struct qfile_rcpt	 r;
	struct str		 why = STR_INIT, path = STR_INIT;
	struct str		 file = STR_INIT, out = STR_INIT;
	size_t			 i;
	int			 fd;

	plan((int)(sizeof(bad) / sizeof(bad[0])) + 8);
	str_catf(&path, "%s/active", tap_tmpdir());
	(void)mkdir(path.s, 0700);
	str_catf(&path, "/%s", QID);
	str_catf(&file, "postlet-queue 1\nT 1700000000.000000\nS a@x\n"
	    "R P - - b@example.org\nE %020zu %020zu\n", sizeof(body) - 1,
	    (size_t)31 + 12);
	str_cat(&file, body);
	str_cat(&file, "END\n");
	fd = open(path.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ok(fd != -1 && fd_write_all(fd, file.s, file.len) == 0 &&
	    close(fd) == 0, "a queue file");
	str_set(&job.queue_id, QID);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		str_set(&job.queue_file, bad[i]);
		str_clear(&why);
		ok(agent_qfile_open(tap_tmpdir(), &job, &qf, &why) == -1 &&
		    strncmp(why.s, "bad queue file name in job: ", 28) == 0,
		    "refused: %s", bad[i]);
		qfile_close(&qf);
	}
	str_set(&job.queue_file, "active/" QID);
	is_int(agent_qfile_open(tap_tmpdir(), &job, &qf, &why), 0,
	    "active/ID opens");
	ok(agent_delivered_seen(&qf, "bob@example.org"),
	    "Delivered-To found, any case, blanks ignored");
	ok(!agent_delivered_seen(&qf, "c@example.org"),
	    "a Delivered-To line in the body does not count");
	qfile_close(&qf);
	memset(&r, 0, sizeof(r));
	r.orcpt = "rfc822;A+2Bb@example.org";
	agent_orig_rcpt(&r, "x@y", &out);
	is_str(str_c(&out), "A+b@example.org", "ORCPT rfc822; decoded");
	r.orcpt = "x400;whatever";
	agent_orig_rcpt(&r, "x@y", &out);
	is_str(str_c(&out), "x@y", "another ORCPT type: the address");
	r.orcpt = "rfc822;bad+";
	agent_orig_rcpt(&r, "x@y", &out);
	is_str(str_c(&out), "x@y", "a malformed ORCPT: the address");
	agent_orig_rcpt(NULL, "x@y", &out);
	is_str(str_c(&out), "x@y", "no recipient record: the address");
	agent_job_free(&job);
	str_free(&why);
	str_free(&path);
	str_free(&file);
	str_free(&out);
	return done_testing();
}
