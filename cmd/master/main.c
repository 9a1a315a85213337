/* SPDX-License-Identifier: ISC */
/*
 * main.c: master, the supervisor of a postlet instance (docs/master.8).
 * Options, then the fixed start sequence: configuration, the queue
 * directory, the pid file lock, stale tmp/ files, detaching from the
 * terminal (unless -d), signals, and the event loop of master_loop.c.
 * Everything that can go wrong before the loop is fatal, and happens
 * before detaching, so that `postlet start` and the administrator see
 * it.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "conf.h"
#include "fd.h"
#include "log.h"
#include "proc.h"
#include "sig.h"
#include "master.h"

static void	usage(void) __attribute__((noreturn));

static void
usage(void)
{
	static const char text[] = "usage: master [-dv] [-c config_dir]\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	struct master	 m;
	const char	*opt_c = NULL;
	bool		 foreground = false;
	int		 ch, rc;

	if (proc_init(3) == -1) {
		fatal(EX_OSERR, "proc_init");
	}
	log_open("master", NULL);
	while ((ch = getopt(argc, argv, "c:dv")) != -1) {
		switch (ch) {
		case 'c':
			opt_c = optarg;
			break;
		case 'd':
			foreground = true;
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
	memset(&m, 0, sizeof(m));
	m.pid_fd = -1;
	m.config_dir = conf_dir(opt_c);
	/* fatal, with file and line, on errors */
	conf_load(m.config_dir);
	if (log_open("master", conf_value("maillog_file")) == -1) {
		log_warn("open %s", conf_value("maillog_file"));
	}
	/* Until detached, whoever started us sees every problem. */
	log_also_stderr(true);
	m.queue_dir = xstrdup(conf_value("queue_directory"));
	m.daemon_dir = xstrdup(conf_value("daemon_directory"));
	m.mail_owner = xstrdup(conf_value("mail_owner"));
	m.setgid_group = xstrdup(conf_value("setgid_group"));
	if (m.queue_dir[0] != '/' || m.daemon_dir[0] != '/' ||
	    m.config_dir[0] != '/') {
		fatalx(EX_CONFIG, "queue_directory, daemon_directory and the "
		    "configuration directory must be absolute paths");
	}
	master_queue_ids(&m);
	/* master.cf: fatal, with file and line, on errors */
	(void)master_config(&m, false);
	master_queue_setup(&m);
	master_pid_lock(&m);
	/* the sockets, once no other master can be using them */
	if (master_listen_open(&m) > 0) {
		fatalx(EX_UNAVAILABLE, "cannot listen on the sockets of the "
		    "services above");
	}
	master_queue_clean(&m);
	if (!foreground) {
		master_detach();
	}
	if (master_pid_write(&m) == -1) {
		fatal(EX_IOERR, "write %s/pid/master.pid", m.queue_dir);
	}
	if (sig_catch(SIGCHLD) == -1 || sig_catch(SIGHUP) == -1 ||
	    sig_catch(SIGTERM) == -1 || sig_catch(SIGINT) == -1) {
		fatal(EX_OSERR, "sig_catch");
	}
	log_info("daemon started -- version %s, configuration %s",
	    POSTLET_VERSION, m.config_dir);
	/* From here on only the log: a supervisor's stderr stays quiet. */
	log_also_stderr(false);
	rc = master_run(&m);
	free(m.queue_dir);
	free(m.daemon_dir);
	free(m.mail_owner);
	free(m.setgid_group);
	return rc;
}
