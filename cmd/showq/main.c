/* SPDX-License-Identifier: ISC */
/*
 * main.c: showq, the queue listing service (docs/showq.8).  master runs
 * it as mail_owner for each connection to queue_directory/public/showq,
 * with the connection on descriptors 0 and 1; it answers one request
 * (showq_request.c) and exits.  Users who may not read the queue reach
 * it through postdrop -q (mailq, postlet queue), as Postfix's postqueue
 * reaches its showq.
 *
 * Standard output is the client's: log lines never go there (maillog_file
 * /dev/stdout means standard error here).
 */
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "conf.h"
#include "confopt.h"
#include "fd.h"
#include "log.h"
#include "proc.h"
#include "showq.h"

static void	usage(void) __attribute__((noreturn));

static void
usage(void)
{
	static const char	text[] =
	    "usage: showq [-v] [-c config_dir] [-o name=value ...]\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	struct confopt_args	 args = CONFOPT_ARGS_INIT;
	int		 rc;

	if (proc_init(3) == -1) {
		_exit(EX_OSERR);
	}
	log_stdout_reserved();
	log_open("showq", NULL);
	if (confopt_getopt(argc, argv, "c:o:v", &args) != -1 ||
	    argc != optind) {
		usage();
	}
	confopt_load(conf_dir(args.config_dir), args.overrides, args.noverrides);
	if (log_open("showq", conf_value("maillog_file")) == -1) {
		log_warn("cannot open maillog_file %s",
		    conf_value("maillog_file"));
	}
	rc = showq_serve(conf_value("queue_directory"), 0, 1);
	confopt_args_free(&args);
	return rc;
}
