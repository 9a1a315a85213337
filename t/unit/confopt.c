/* SPDX-License-Identifier: ISC */
/*
 * confopt.c: unit tests for lib/confopt: "-o name=value" overrides of the
 * process-wide configuration, accepted and refused.
 */
#include <errno.h>
#include <stdio.h>

#include "conf.h"
#include "confopt.h"
#include "log.h"
#include "str.h"
#include "tap.h"

int
main(void)
{
	struct str	why = STR_INIT;
	char		path[600];
	FILE		*f;
	int		 r;

	snprintf(path, sizeof(path), "%s/main.cf", tap_tmpdir());
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		return 1;
	}
	fprintf(f, "queue_run_delay = 10s\nmail_name = main\n");
	fclose(f);
	log_open("confopt", "/dev/null");
	conf_load(tap_tmpdir());

	is_int(confopt_apply("queue_run_delay=7m", &why), 0, "a time: 0");
	is_int(confopt_apply("mail_name = over ride ", &why), 0,
	    "blanks around the value are trimmed, as in main.cf");
	is_int(confopt_apply("myhostname=h.example", &why), 0,
	    "a parameter main.cf does not set");
	is_int(confopt_apply("no_such_parameter=1", &why), 0,
	    "an unknown name is a warning only");
	is_int(conf_time("queue_run_delay"), 420, "the override wins");
	is_str(conf_value("mail_name"), "over ride", "trimmed value");
	is_str(conf_value("myhostname"), "h.example", "new setting");

	errno = 0;
	ok(confopt_apply("queue_run_delay", &why) == -1 && errno == EINVAL,
	    "no '=': EINVAL");
	/* Each call before its message: it may move why's memory. */
	r = confopt_apply("=5", &why);
	ok(r == -1, "no name (%s)", str_c(&why));
	r = confopt_apply("queue run=5", &why);
	ok(r == -1, "a blank in the name (%s)", str_c(&why));
	ok(confopt_apply("mail_name=a\nqueue_run_delay=1", &why) == -1,
	    "LF in the value");
	r = confopt_apply("minimal_backoff_time=soon", &why);
	ok(r == -1, "a value of the wrong type (%s)", str_c(&why));
	str_free(&why);
	return done_testing();
}
