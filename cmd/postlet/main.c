/* SPDX-License-Identifier: ISC */
/*
 * main.c: postlet, the administration tool.  Parses the global options,
 * picks the configuration directory, and hands over to one subcommand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "fd.h"
#include "log.h"
#include "postlet.h"

const char	*postlet_config_dir;

struct postlet_command {
	const char	*name;
	int		(*run)(int, char *[]);
	/* load main.cf first (fatal on errors) */
	bool		 needs_conf;
};

static const struct postlet_command postlet_commands[] = {
	{ "alias", postlet_alias, true },
	{ "check", postlet_check, false },
	{ "conf", postlet_conf, false },
	{ "delete", postlet_queue, true },
	{ "dns", postlet_dns, true },
	{ "flush", postlet_flush, true },
	{ "hold", postlet_queue, true },
	{ "map", postlet_map, true },
	{ "queue", postlet_queue, true },
	{ "release", postlet_queue, true },
	{ "reload", postlet_master, true },
	{ "requeue", postlet_queue, true },
	{ "show", postlet_queue, true },
	{ "start", postlet_master, true },
	{ "start-fg", postlet_master, true },
	{ "status", postlet_master, true },
	{ "stop", postlet_master, true },
};

static void __attribute__((noreturn))
usage(void)
{
	static const char text[] =
	    "usage: postlet [-v] [-c config_dir] command [args]\n"
	    "commands:\n"
	    "  conf [-dhnx] [name ...]     show parameters (like postconf)\n"
	    "  conf name=value ...          set parameters in main.cf\n"
	    "  conf -X name ...             remove parameters from main.cf\n"
	    "  check                        check main.cf and master.cf\n"
	    "  map [-q key] [type:]file     build or query a table "
	    "(like postmap)\n"
	    "  alias [-q key] [[type:]file ...]\n"
	    "                               build or query aliases "
	    "(like postalias)\n"
	    "  queue [-j]                   list the queue (like mailq)\n"
	    "  show ID                      show a queued message "
	    "(like postcat -q)\n"
	    "  delete|hold|requeue ID|ALL [QUEUE], release ID|ALL\n"
	    "                               act on queued messages "
	    "(like postsuper)\n"
	    "  flush [-i]                   deliver what is queued now "
	    "(like postqueue -f)\n"
	    "  dns TYPE NAME                DNS lookups as smtp and smtpd "
	    "do them\n"
	    "  start|start-fg|stop|status|reload\n"
	    "                               run and control master "
	    "(like postfix)\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	const char	*opt_c = NULL;
	size_t		 i;
	int		 ch;

	log_open("postlet", NULL);
	/* '+': stop at the subcommand, whose options are its own. */
	while ((ch = getopt(argc, argv, "+c:v")) != -1) {
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
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage();
	}
	postlet_config_dir = conf_dir(opt_c);
	for (i = 0; i < sizeof(postlet_commands) / sizeof(postlet_commands[0]);
	    i++) {
		if (strcmp(argv[0], postlet_commands[i].name) == 0) {
			if (postlet_commands[i].needs_conf) {
				conf_load(postlet_config_dir);
				/* What changes the queue is logged like the
				 * rest of the mail system, and shown. */
				if (log_open("postlet",
				    conf_value("maillog_file")) == -1) {
					log_warn("open %s",
					    conf_value("maillog_file"));
				}
				log_also_stderr(true);
			}
			/* the subcommand runs its own getopt */
			optind = 1;
			return postlet_commands[i].run(argc, argv);
		}
	}
	log_error("unknown command \"%s\"", argv[0]);
	usage();
}
