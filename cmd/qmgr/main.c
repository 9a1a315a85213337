/* SPDX-License-Identifier: ISC */
/*
 * main.c: qmgr, the queue manager (docs/qmgr.8).  Options,
 * configuration, privileges and signals, then qmgr_run (qmgr_queue.c):
 * the daemon that master keeps running, or with -x one pass over the
 * queue for daemonless use and `postlet flush`.  Exits 0, EX_USAGE or
 * EX_CONFIG for a bad command line or configuration, EX_OSERR when it
 * cannot set itself up, EX_TEMPFAIL when a -x pass was stopped by a
 * signal.
 */
#include <signal.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "conf.h"
#include "fd.h"
#include "log.h"
#include "priv.h"
#include "proc.h"
#include "qmgr.h"
#include "sig.h"

static void	usage(void) __attribute__((noreturn));

static void
usage(void)
{
	static const char	text[] = "usage: qmgr [-vx] [-c config_dir] "
	    "[-o name=value ...]\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	struct qmgr	 q = QMGR_INIT;
	const char	*opt_c = NULL;
	int		 ch, rc;

	if (proc_init(3) == -1) {
		fatal(EX_OSERR, "proc_init");
	}
	log_open("qmgr", NULL);
	q.overrides = xreallocarray(NULL, (size_t)argc, sizeof(char *));
	while ((ch = getopt(argc, argv, "c:o:vx")) != -1) {
		switch (ch) {
		case 'c':
			opt_c = optarg;
			break;
		case 'o':
			q.overrides[q.noverrides++] = optarg;
			break;
		case 'v':
			log_verbose++;
			break;
		case 'x':
			q.once = true;
			break;
		default:
			usage();
		}
	}
	if (argc != optind) {
		usage();
	}
	q.config_dir = conf_dir(opt_c);
	qmgr_config(&q);
	if (log_open("qmgr", conf_value("maillog_file")) == -1) {
		log_warn("open %s", conf_value("maillog_file"));
	}
	if (priv_drop(conf_value("mail_owner"), NULL) == -1) {
		fatalx(EX_OSERR, "%s", priv_error());
	}
	if (sig_catch(SIGTERM) == -1 || sig_catch(SIGINT) == -1 ||
	    sig_catch(SIGHUP) == -1) {
		fatal(EX_OSERR, "sig_catch");
	}
	rc = qmgr_run(&q);
	free(q.overrides);
	return rc;
}
