/* SPDX-License-Identifier: ISC */
/*
 * main.c: local, the local delivery agent (docs/local.8).  Started by
 * qmgr (as root, or as the instance's user in non-root mode) with jobs on
 * standard input and answers on standard output, in the delivery agent
 * protocol of lib/agent.h.  This file only sets the process up; the work
 * is in local_deliver.c and local_mailbox.c.
 */
#include <stdlib.h>
#include <sysexits.h>
#include <signal.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "conf.h"
#include "confopt.h"
#include "fd.h"
#include "local.h"
#include "log.h"
#include "priv.h"
#include "proc.h"
#include "sig.h"

static void	usage(void) __attribute__((noreturn));

static void
usage(void)
{
	static const char text[] = "usage: local [-v] [-c config_dir] "
	    "[-o name=value ...]\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	struct local	 l;
	struct buf	 in, out;
	static unsigned char inmem[2 * 8192], outmem[2 * 8192];
	const char	*opt_c = NULL;
	char		**overrides;
	size_t		 noverrides = 0;
	long long	 delay;
	int		 ch;

	if (proc_init(3) == -1) {
		fatal(EX_OSERR, "process set-up");
	}
	log_stdout_reserved();	/* the protocol goes there */
	log_open("local", NULL);
	/* at most one override per argument */
	overrides = xreallocarray(NULL, (size_t)argc + 1, sizeof(char *));
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
	/* master.cf's -o settings come as "-o name=value", as for every
	 * program it lists */
	confopt_load(conf_dir(opt_c), overrides, noverrides);
	free(overrides);
	log_open("local", conf_value("maillog_file"));
	l.queue_directory = conf_value("queue_directory");
	l.home_mailbox = conf_value("home_mailbox");
	l.mail_spool_directory = conf_value("mail_spool_directory");
	l.recipient_delimiter = conf_value("recipient_delimiter");
	l.mailbox_size_limit = conf_size("mailbox_size_limit");
	l.stale_lock_time = conf_time("stale_lock_time");
	l.lock_attempts = conf_int("deliver_lock_attempts") > 1000 ? 1000 :
	    (int)conf_int("deliver_lock_attempts");
	if (l.lock_attempts < 1) {
		l.lock_attempts = 1;
	}
	delay = conf_time("deliver_lock_delay");
	l.lock_delay_ms = delay > 3600 ? 3600 * 1000 : (int)delay * 1000;
	l.root = priv_is_root();
	/*
	 * A mailbox over mailbox_size_limit (RLIMIT_FSIZE in the delivery
	 * child) must give EFBIG, not kill the process.
	 */
	if (sig_ignore(SIGXFSZ) == -1) {
		fatal(EX_OSERR, "ignore SIGXFSZ");
	}
	buf_init_fd(&in, 0, inmem, sizeof(inmem), -1);
	buf_init_fd(&out, 1, outmem, sizeof(outmem), -1);
	return local_run(&l, &in, &out);
}
