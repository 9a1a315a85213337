/* SPDX-License-Identifier: ISC */
/*
 * main.c: pipe, the delivery agent that runs an external command
 * (docs/pipe.8).  Started by qmgr from a master.cf unix service
 *
 *	name unix - n n - - pipe flags=DRhu user=nobody
 *	    argv=/path/prog ${sender} ${recipient}
 *
 * with jobs on standard input and answers on standard output (lib/agent.h).
 * It stays as it was started (root, for unpriv = n) and runs each
 * command as user=.  This file sets the process up: options,
 * configuration, the command attributes (any error there is fatal,
 * EX_CONFIG: qmgr defers the recipients), then the job loop.  Exit 0 at
 * the end of input, EX_PROTOCOL for a malformed job, EX_IOERR when an
 * answer cannot be written.
 */
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "agent_main.h"
#include "alloc.h"
#include "conf.h"
#include "confopt.h"
#include "fd.h"
#include "log.h"
#include "pipe.h"
#include "priv.h"
#include "proc.h"
#include "scan.h"
#include "str.h"

static void	usage(void) __attribute__((noreturn));
static long long time_limit(const char *);

static void
usage(void)
{
	static const char text[] = "usage: pipe [-v] [-c config_dir] "
	    "[-o name=value ...] attribute=value ... argv=command ...\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

/* TRANSPORT_time_limit, else command_time_limit: seconds, 1 to 7 days. */
static long long
time_limit(const char *service)
{
	struct str	 name = STR_INIT, v = STR_INIT;
	const char	*raw;
	long long	 t;

	str_catf(&name, "%s_time_limit", service);
	if ((raw = conf_raw(conf_main(), name.s)) != NULL) {
		if (conf_expand(conf_main(), raw, &v) == -1 ||
		    scan_time(v.s, 's', &t) == -1) {
			fatalx(EX_CONFIG, "parameter %s: bad time value",
			    name.s);
		}
	} else {
		t = conf_time("command_time_limit");
	}
	str_free(&name);
	str_free(&v);
	return t < 1 ? 1 : t > 86400 * 7 ? 86400 * 7 : t;
}

int
main(int argc, char *argv[])
{
	struct pipe	 p;
	struct str	 why = STR_INIT;
	struct confopt_args	 args = CONFOPT_ARGS_INIT;
	int		 ch, rc;

	if (proc_init(3) == -1) {
		fatal(EX_OSERR, "process set-up");
	}
	log_stdout_reserved();	/* the protocol goes there */
	log_open("pipe", NULL);
	/* '+': the attributes and the command's words are not options */
	while ((ch = confopt_getopt(argc, argv, "+c:o:v", &args)) != -1) {
		switch (ch) {
		default:
			usage();
		}
	}
	if (argc == optind) {
		usage();
	}
	confopt_load(conf_dir(args.config_dir), args.overrides, args.noverrides);
	confopt_args_free(&args);
	if (log_open("pipe", conf_value("maillog_file")) == -1) {
		log_warn("open %s", conf_value("maillog_file"));
	}
	memset(&p, 0, sizeof(p));
	/* before pipe_attrs, which edits the argv= word */
	pipe_service_name(conf_dir(args.config_dir), argv + optind,
	    (size_t)(argc - optind), &p.service);
	if (pipe_attrs(&p, argv + optind, (size_t)(argc - optind),
	    &why) == -1) {
		fatalx(EX_CONFIG, "service %s: %s", p.service.s, why.s);
	}
	p.queue_directory = conf_value("queue_directory");
	p.time_limit = time_limit(p.service.s);
	p.root = priv_is_root();
	str_free(&why);
	rc = agent_serve(0, 1, pipe_job, &p);
	str_free(&p.service);
	str_free(&p.user);
	str_free(&p.eol);
	str_free(&p.directory);
	str_free(&p.null_sender);
	return rc;
}
