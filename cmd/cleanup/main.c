/* SPDX-License-Identifier: ISC */
/*
 * main.c: cleanup, which turns one submission into one queue file.
 * Options, configuration, then cleanup_run (cleanup_session.c) on
 * standard input and output.  Exits 0 whenever it could answer (the
 * answer says whether the message was accepted), EX_USAGE or EX_CONFIG
 * for a bad command line or configuration, EX_IOERR when the answer
 * could not be written.
 */
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "fd.h"
#include "log.h"
#include "proc.h"
#include "cleanup.h"

static void __attribute__((noreturn))
usage(void)
{
	static const char	text[] =
	    "usage: cleanup [-v] [-c config_dir]\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	struct cleanup	 c;
	const char	*opt_c = NULL;
	int		 ch, rc;

	if (proc_init(3) == -1) {
		fatal(EX_OSERR, "proc_init");
	}
	log_stdout_reserved();	/* the protocol goes there */
	log_open("cleanup", NULL);
	while ((ch = getopt(argc, argv, "c:v")) != -1) {
		switch (ch) {
		case 'c':
			opt_c = optarg;
			break;
		case 'v':
			log_verbose++;
			break;
		default:
			usage();
		}
	}
	if (argc != optind) {
		usage();
	}
	conf_load(conf_dir(opt_c));
	if (log_open("cleanup", conf_value("maillog_file")) == -1) {
		log_warn("open %s", conf_value("maillog_file"));
	}
	cleanup_init(&c, opt_c);
	rc = cleanup_run(&c, 0, 1);
	cleanup_free(&c);
	return rc;
}
