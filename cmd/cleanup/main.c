/* SPDX-License-Identifier: ISC */
/*
 * main.c: cleanup, which turns each submission into one queue file.
 * Options, configuration, then cleanup_serve (cleanup_session.c) on
 * standard input and output, one message after another until the
 * submitter closes its end: pipes from the submitter that started it,
 * or one socket when master runs it for a connection to public/cleanup
 * (then with -J when master.cf's chroot column asks: cleanup chroots
 * into queue_directory and becomes mail_owner, lib/jail.h).  Exits 0
 * whenever it could answer (the answer says whether the message was
 * accepted), EX_USAGE or EX_CONFIG for a bad command line or
 * configuration, EX_IOERR when the answer could not be written.
 */
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "confopt.h"
#include "fd.h"
#include "jail.h"
#include "log.h"
#include "proc.h"
#include "cleanup.h"

static void __attribute__((noreturn))
usage(void)
{
	static const char	text[] =
	    "usage: cleanup [-Jv] [-c config_dir] [-o name=value ...]\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	struct confopt_args	 args = CONFOPT_ARGS_INIT;
	struct str		 err = STR_INIT;
	bool			 opt_jail = false;
	int			 ch, rc;

	if (proc_init(3) == -1) {
		fatal(EX_OSERR, "proc_init");
	}
	log_stdout_reserved();	/* the protocol goes there */
	log_open("cleanup", NULL);
	while ((ch = confopt_getopt(argc, argv, "c:o:Jv", &args)) != -1) {
		if (ch != 'J') {
			usage();
		}
		opt_jail = true;
	}
	if (argc != optind) {
		usage();
	}
	confopt_load(conf_dir(args.config_dir), args.overrides,
	    args.noverrides);
	if (log_open("cleanup", conf_value("maillog_file")) == -1) {
		log_warn("open %s", conf_value("maillog_file"));
	}
	if (opt_jail && jail_enter(&err) == -1) {
		fatalx(EX_CONFIG, "%s", err.s);
	}
	rc = cleanup_serve(args.config_dir, 0, 1);
	confopt_args_free(&args);
	str_free(&err);
	return rc;
}
