/* SPDX-License-Identifier: ISC */
/*
 * main.c: discard, the discard delivery agent: it reports every
 * recipient of a job delivered and drops the message (docs/discard.8).
 * Options and configuration, then discard_run (discard_agent.c) on
 * standard input and output, which speak the delivery agent protocol
 * (lib/agent.h).  Exits 0 at the end of its input, EX_USAGE or EX_CONFIG
 * for a bad command line or configuration, EX_PROTOCOL for a malformed
 * job, EX_IOERR when a result cannot be written; qmgr defers every
 * recipient that was not reported.
 */
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "confopt.h"
#include "fd.h"
#include "log.h"
#include "priv.h"
#include "proc.h"
#include "discard.h"

static void	usage(void) __attribute__((noreturn));

static void
usage(void)
{
	static const char	text[] = "usage: discard [-v] [-c config_dir] "
	    "[-o name=value ...]\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	struct str	 why = STR_INIT;
	const char	*opt_c = NULL;
	char		**overrides;
	size_t		 noverrides = 0, i;
	int		 ch, rc;

	if (proc_init(3) == -1) {
		fatal(EX_OSERR, "proc_init");
	}
	log_open("discard", NULL);
	overrides = calloc((size_t)argc, sizeof(*overrides));
	if (overrides == NULL) {
		fatal(EX_TEMPFAIL, "calloc");
	}
	while ((ch = getopt(argc, argv, "c:o:v")) != -1) {
		switch (ch) {
		case 'c':
			opt_c = optarg;
			break;
		case 'o':
			overrides[noverrides++] = optarg;
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
	for (i = 0; i < noverrides; i++) {
		if (confopt_apply(overrides[i], &why) == -1) {
			fatalx(EX_USAGE, "%s", why.s);
		}
	}
	free(overrides);
	if (log_open("discard", conf_value("maillog_file")) == -1) {
		log_warn("open %s", conf_value("maillog_file"));
	}
	if (priv_drop(conf_value("mail_owner"), NULL) == -1) {
		fatalx(EX_OSERR, "%s", priv_error());
	}
	rc = discard_run(0, 1);
	str_free(&why);
	return rc;
}
