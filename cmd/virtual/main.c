/* SPDX-License-Identifier: ISC */
/*
 * main.c: virtual, the virtual mailbox delivery agent (docs/virtual.8).
 * Started by qmgr (as root from a master.cf service with unpriv = n, or
 * as the instance's user in non-root mode) with jobs on standard input
 * and answers on standard output (lib/agent.h).  This file sets the
 * process up: options, configuration, the tables; the work is in
 * virtual_deliver.c and virtual_mailbox.c.  Exit 0 at the end of input,
 * EX_PROTOCOL for a malformed job, EX_IOERR when an answer cannot be
 * written; EX_CONFIG for a bad virtual_mailbox_lock.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "agent_main.h"
#include "alloc.h"
#include "conf.h"
#include "confopt.h"
#include "fd.h"
#include "log.h"
#include "map.h"
#include "priv.h"
#include "proc.h"
#include "sig.h"
#include "str.h"
#include "virtual.h"

static void	usage(void) __attribute__((noreturn));
static struct map_list *maps(struct virtual *, const char *);
static int	locks(const char *);

static void
usage(void)
{
	static const char text[] = "usage: virtual [-v] [-c config_dir] "
	    "[-o name=value ...]\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

/* The tables of param; a failure is kept for the deliveries (defer). */
static struct map_list *
maps(struct virtual *v, const char *param)
{
	struct map_list	*l;
	struct str	 err = STR_INIT;

	if ((l = map_list_open(conf_value(param), &err)) == NULL) {
		if (v->maps_error.len == 0) {
			str_catf(&v->maps_error, "%s: %s", param, err.s);
		}
		log_warnx("%s: %s", param, err.s);
		l = map_list_new();
	}
	str_free(&err);
	return l;
}

/* virtual_mailbox_lock: fcntl, flock, dotlock. */
static int
locks(const char *value)
{
	struct str	word = STR_INIT;
	size_t		pos = 0;
	int		bits = 0;

	while (conf_list_next(value, &pos, &word) == 1) {
		if (strcasecmp(word.s, "fcntl") == 0) {
			bits |= VIRTUAL_LOCK_FCNTL;
		} else if (strcasecmp(word.s, "flock") == 0) {
			bits |= VIRTUAL_LOCK_FLOCK;
		} else if (strcasecmp(word.s, "dotlock") == 0) {
			bits |= VIRTUAL_LOCK_DOTLOCK;
		} else {
			fatalx(EX_CONFIG, "virtual_mailbox_lock: unknown "
			    "locking method \"%s\"", word.s);
		}
	}
	str_free(&word);
	return bits;
}

int
main(int argc, char *argv[])
{
	struct virtual	 v;
	struct confopt_args	 args = CONFOPT_ARGS_INIT;
	long long	 delay;
	int		 ch;

	if (proc_init(3) == -1) {
		fatal(EX_OSERR, "process set-up");
	}
	log_stdout_reserved();	/* the protocol goes there */
	log_open("virtual", NULL);
	if (confopt_getopt(argc, argv, "c:o:v", &args) != -1 ||
	    argc != optind) {
		usage();
	}
	confopt_load(conf_dir(args.config_dir), args.overrides, args.noverrides);
	confopt_args_free(&args);
	if (log_open("virtual", conf_value("maillog_file")) == -1) {
		log_warn("open %s", conf_value("maillog_file"));
	}
	memset(&v, 0, sizeof(v));
	v.queue_directory = conf_value("queue_directory");
	v.mailbox_base = conf_value("virtual_mailbox_base");
	v.recipient_delimiter = conf_value("recipient_delimiter");
	v.mailbox_maps = maps(&v, "virtual_mailbox_maps");
	v.uid_maps = maps(&v, "virtual_uid_maps");
	v.gid_maps = maps(&v, "virtual_gid_maps");
	/* as Postfix (its minimum is 1): a map can never name root */
	v.minimum_uid = conf_int("virtual_minimum_uid") < 1 ? 1 :
	    (unsigned long long)conf_int("virtual_minimum_uid");
	v.mailbox_limit = conf_size("virtual_mailbox_limit");
	v.lock = locks(conf_value("virtual_mailbox_lock"));
	v.stale_lock_time = conf_time("stale_lock_time");
	v.lock_attempts = conf_int("deliver_lock_attempts") > 1000 ? 1000 :
	    (int)conf_int("deliver_lock_attempts");
	if (v.lock_attempts < 1) {
		v.lock_attempts = 1;
	}
	delay = conf_time("deliver_lock_delay");
	v.lock_delay_ms = delay > 3600 ? 3600 * 1000 : (int)delay * 1000;
	v.enable_original_recipient = conf_bool("enable_original_recipient");
	v.root = priv_is_root();
	/* virtual_mailbox_limit (RLIMIT_FSIZE during a delivery) must
	 * give EFBIG, not kill the process */
	if (sig_ignore(SIGXFSZ) == -1) {
		fatal(EX_OSERR, "ignore SIGXFSZ");
	}
	ch = agent_serve(0, 1, virtual_job, &v);
	map_list_close(v.mailbox_maps);
	map_list_close(v.uid_maps);
	map_list_close(v.gid_maps);
	str_free(&v.maps_error);
	return ch;
}
