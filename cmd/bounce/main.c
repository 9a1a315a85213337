/* SPDX-License-Identifier: ISC */
/*
 * main.c: bounce(8), which makes the delivery status notifications of
 * one message for qmgr: "bounce [-dv] [-c config_dir] [-o name=value]
 * queue-id".  qmgr runs it, as mail_owner, with the queue file in
 * active/: without -d after the last attempt (failure and success
 * notices, from bounce/ID), with -d for a delay warning (from defer/ID).
 * Exit 0: everything needed was submitted to cleanup (or nothing was
 * needed); EX_TEMPFAIL: qmgr must run it again later.  It never changes
 * the queue file or the logs.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "bounce.h"
#include "conf.h"
#include "confopt.h"
#include "fd.h"
#include "log.h"
#include "priv.h"
#include "proc.h"
#include "qfile.h"
#include "str.h"

static void	usage(void) __attribute__((noreturn));
static unsigned	classes(const char *);

static void
usage(void)
{
	static const char	text[] =
	    "usage: bounce [-dv] [-c config_dir] [-o name=value ...] "
	    "queue-id\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

/*
 * The BOUNCE_CLASS_* bits of a notify_classes value.  "bounce" implies
 * "2bounce", as in Postfix; Postfix's other classes are accepted and
 * mean nothing to bounce; an unknown word is logged.
 */
static unsigned
classes(const char *list)
{
	static const char *const	 others[] = { "data", "policy",
	    "protocol", "resource", "software" };
	struct str			 word = STR_INIT;
	size_t				 pos = 0, i;
	unsigned			 bits = 0;

	while (conf_list_next(list, &pos, &word) == 1) {
		if (strcmp(word.s, "bounce") == 0) {
			bits |= BOUNCE_CLASS_BOUNCE | BOUNCE_CLASS_2BOUNCE;
		} else if (strcmp(word.s, "2bounce") == 0) {
			bits |= BOUNCE_CLASS_2BOUNCE;
		} else if (strcmp(word.s, "delay") == 0) {
			bits |= BOUNCE_CLASS_DELAY;
		} else {
			for (i = 0; i < sizeof(others) / sizeof(others[0]);
			    i++) {
				if (strcmp(word.s, others[i]) == 0) {
					break;
				}
			}
			if (i == sizeof(others) / sizeof(others[0])) {
				log_warnx("notify_classes: unknown class %s "
				    "ignored", word.s);
			}
		}
	}
	str_free(&word);
	return bits;
}

int
main(int argc, char *argv[])
{
	struct confopt_args	 args = CONFOPT_ARGS_INIT;
	struct bounce_config	 cfg;
	const char		*id;
	bool			 delay = false;
	int			 ch, rc;

	if (proc_init(3) == -1) {
		_exit(EX_OSERR);
	}
	log_open("bounce", NULL);
	while ((ch = confopt_getopt(argc, argv, "c:do:v", &args)) != -1) {
		switch (ch) {
		case 'd':
			delay = true;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1) {
		usage();
	}
	id = argv[optind];
	if (!qid_valid(id)) {
		log_error("not a queue ID: %s", id);
		usage();
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.config_dir = conf_dir(args.config_dir);
	confopt_load(cfg.config_dir, args.overrides, args.noverrides);
	if (log_open("bounce", conf_value("maillog_file")) == -1) {
		log_warn("cannot open maillog_file %s",
		    conf_value("maillog_file"));
	}
	cfg.queue_dir = conf_value("queue_directory");
	cfg.daemon_dir = conf_value("daemon_directory");
	cfg.myhostname = conf_value("myhostname");
	cfg.myorigin = conf_value("myorigin");
	cfg.mail_name = conf_value("mail_name");
	cfg.bounce_notice_recipient = conf_value("bounce_notice_recipient");
	cfg.twobounce_notice_recipient =
	    conf_value("2bounce_notice_recipient");
	cfg.delay_notice_recipient = conf_value("delay_notice_recipient");
	cfg.double_bounce_sender = conf_value("double_bounce_sender");
	cfg.classes = classes(conf_value("notify_classes"));
	cfg.bounce_size_limit = conf_size("bounce_size_limit");
	cfg.maximal_queue_lifetime = conf_time("maximal_queue_lifetime");
	if (priv_drop(conf_value("mail_owner"), NULL) == -1) {
		fatalx(EX_CONFIG, "%s", priv_error());
	}
	rc = bounce_run(&cfg, id, delay);
	confopt_args_free(&args);
	return rc;
}
