/* SPDX-License-Identifier: ISC */
/*
 * main.c: local, the local delivery agent (docs/local.8).  Started by
 * qmgr (as root, or as the instance's user in non-root mode) with jobs on
 * standard input and answers on standard output, in the delivery agent
 * protocol of lib/agent.h.  This file only sets the process up; the work
 * is in local_deliver.c and local_mailbox.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
#include "map.h"
#include "priv.h"
#include "proc.h"
#include "sig.h"

static void	usage(void) __attribute__((noreturn));
static bool	in_list(const char *, const char *);
static int	classes(const char *, const char *);
static void	tables_open(struct local *);

/* Is word (any case) in the list? */
static bool
in_list(const char *list, const char *word)
{
	struct str	w = STR_INIT;
	size_t		pos = 0;
	bool		found = false;

	while (!found && conf_list_next(list, &pos, &w) == 1) {
		found = strcasecmp(w.s, word) == 0;
	}
	str_free(&w);
	return found;
}

/*
 * allow_mail_to_commands and _files, propagate_unmatched_extensions:
 * "alias, forward, include"; the names in others (classes of other
 * programs) are accepted and ignored.
 */
static int
classes(const char *name, const char *others)
{
	struct str	word = STR_INIT;
	size_t		pos = 0;
	int		bits = 0;

	while (conf_list_next(conf_value(name), &pos, &word) == 1) {
		if (strcasecmp(word.s, "alias") == 0) {
			bits |= LOCAL_CLASS_ALIAS;
		} else if (strcasecmp(word.s, "forward") == 0) {
			bits |= LOCAL_CLASS_FORWARD;
		} else if (strcasecmp(word.s, "include") == 0) {
			bits |= LOCAL_CLASS_INCLUDE;
		} else if (!in_list(others, word.s)) {
			log_warnx("%s: unknown class \"%s\" ignored", name,
			    word.s);
		}
	}
	str_free(&word);
	return bits;
}

/*
 * alias_maps, each table in its own list so that the one that matched
 * (and the owner of its file) is known.  A table that cannot be opened
 * is not fatal: deliveries defer with the reason until it can.
 */
static void
tables_open(struct local *l)
{
	struct str	 word = STR_INIT, err = STR_INIT;
	struct map	*m;
	const char	*maps = conf_value("alias_maps");
	size_t		 pos = 0;

	l->tables = NULL;
	l->ntables = 0;
	memset(&l->tables_error, 0, sizeof(l->tables_error));
	while (conf_list_next(maps, &pos, &word) == 1) {
		if ((m = map_open(word.s, &err)) == NULL) {
			if (errno == ENOENT) {
				/* Postfix: a missing table is an error too,
				 * but the default one often does not exist */
				log_warnx("alias_maps: %s (ignored)", err.s);
				continue;
			}
			str_set(&l->tables_error, err.s);
			break;
		}
		l->tables = xreallocarray(l->tables, l->ntables + 1,
		    sizeof(*l->tables));
		l->tables[l->ntables].list = map_list_new();
		if (map_list_add(l->tables[l->ntables].list, m) == -1) {
			panic("map_list_add to an empty list");
		}
		l->tables[l->ntables].spec = map_spec(m);
		l->ntables++;
	}
	str_free(&word);
	str_free(&err);
}

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
	static struct local_batch	 batch;
	struct confopt_args	 args = CONFOPT_ARGS_INIT;
	long long	 delay;

	if (proc_init(3) == -1) {
		fatal(EX_OSERR, "process set-up");
	}
	log_stdout_reserved();	/* the protocol goes there */
	log_open("local", NULL);
	if (confopt_getopt(argc, argv, "c:o:v", &args) != -1 ||
	    argc != optind) {
		usage();
	}
	/* master.cf's -o settings come as "-o name=value", as for every
	 * program it lists */
	confopt_load(conf_dir(args.config_dir), args.overrides, args.noverrides);
	confopt_args_free(&args);
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
	/* as root each delivery runs in a child that commits it itself */
	l.batch = &batch;
	l.daemon_directory = conf_value("daemon_directory");
	l.config_directory = conf_dir(args.config_dir);
	l.mailbox_command = conf_value("mailbox_command");
	l.forward_path = conf_raw(conf_main(), "forward_path");
	if (l.forward_path == NULL) {
		l.forward_path = conf_param_find("forward_path")->def;
	}
	l.default_privs = conf_value("default_privs");
	l.local_command_shell = conf_value("local_command_shell");
	l.command_time_limit = conf_time("command_time_limit");
	if (l.command_time_limit < 1) {
		l.command_time_limit = 1;
	} else if (l.command_time_limit > 86400 * 7) {
		l.command_time_limit = 86400 * 7;
	}
	l.command_execution_directory = conf_raw(conf_main(),
	    "command_execution_directory");
	if (l.command_execution_directory == NULL) {
		l.command_execution_directory =
		    conf_param_find("command_execution_directory")->def;
	}
	l.allow_commands = classes("allow_mail_to_commands", "");
	l.allow_files = classes("allow_mail_to_files", "");
	l.propagate_ext = classes("propagate_unmatched_extensions",
	    "canonical, virtual, generic");
	l.expand_owner_alias = conf_bool("expand_owner_alias");
	l.owner_request_special = conf_bool("owner_request_special");
	l.enable_original_recipient = conf_bool("enable_original_recipient");
	tables_open(&l);
	/* only forwarding needs it (cleanup runs as mail_owner) */
	l.mail_owner = conf_value("mail_owner");
	l.mail_owner_ok = !l.root || priv_lookup(l.mail_owner,
	    &l.mail_owner_uid, &l.mail_owner_gid, NULL) == 0;
	/*
	 * A mailbox over mailbox_size_limit (RLIMIT_FSIZE during its
	 * delivery) must give EFBIG, not kill the process.
	 */
	if (sig_ignore(SIGXFSZ) == -1) {
		fatal(EX_OSERR, "ignore SIGXFSZ");
	}
	buf_init_fd(&in, 0, inmem, sizeof(inmem), -1);
	buf_init_fd(&out, 1, outmem, sizeof(outmem), -1);
	return local_run(&l, &in, &out);
}
