/* SPDX-License-Identifier: ISC */
/*
 * main.c: qmgr, the queue manager (docs/qmgr.8).  Options,
 * configuration, privileges and signals, then qmgr_run (qmgr_queue.c):
 * the daemon that master keeps running, or with -x one pass over the
 * queue for daemonless use and `postlet flush`.  Started as root, it
 * first forks the privileged spawner (lib/spawn.h), which stays root to
 * start the agents of unpriv = n services, then becomes mail_owner.
 * Exits 0, EX_USAGE or
 * EX_CONFIG for a bad command line or configuration, EX_OSERR when it
 * cannot set itself up, EX_TEMPFAIL when a -x pass was stopped by a
 * signal.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "conf.h"
#include "durable.h"
#include "fd.h"
#include "log.h"
#include "mastercf.h"
#include "priv.h"
#include "proc.h"
#include "qmgr.h"
#include "sig.h"
#include "spawn.h"

static void	usage(void) __attribute__((noreturn));
static void	start_spawner(struct qmgr *);

static void
usage(void)
{
	static const char	text[] = "usage: qmgr [-vx] [-c config_dir] "
	    "[-o name=value ...]\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

/*
 * As root: fork the privileged spawner, which keeps root and the
 * master.cf services read so far, before we drop privileges and before
 * sig_catch (it needs a self-pipe of its own).
 */
static void
start_spawner(struct qmgr *q)
{
	struct spawn_config	cfg;
	uid_t			uid;
	gid_t			gid;

	if (priv_lookup(conf_value("mail_owner"), &uid, &gid, NULL) == -1) {
		fatalx(EX_OSERR, "mail_owner: %s", priv_error());
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.mcf = &q->mcf;
	cfg.daemon_dir = str_c(&q->daemon_dir);
	cfg.config_dir = q->config_dir;
	cfg.uid = uid;
	cfg.gid = gid;
	cfg.maillog_file = conf_value("maillog_file");
	if (spawn_start(&q->spawner, &cfg) == -1) {
		fatal(EX_OSERR, "start the privileged spawner");
	}
	q->root = true;
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
	if (priv_is_root()) {
		start_spawner(&q);
	}
	if (priv_drop(conf_value("mail_owner"), NULL) == -1) {
		fatalx(EX_OSERR, "%s", priv_error());
	}
	if (sig_catch(SIGTERM) == -1 || sig_catch(SIGINT) == -1 ||
	    sig_catch(SIGHUP) == -1) {
		fatal(EX_OSERR, "sig_catch");
	}
	/* incoming/ and active/ stay open for their fsyncs (after the
	 * spawner was started, which must not inherit them) */
	durable_keep_dirs();
	rc = qmgr_run(&q);
	if (q.root) {
		/* every agent has ended: it exits at once */
		spawn_stop(&q.spawner, clock_deadline(SPAWN_LINGER_MS));
	}
	/* Free what lives as long as the process, so that leak checkers
	 * see only real leaks. */
	qmgr_agent_expire(&q, true);
	free(q.idle);
	mastercf_free(&q.mcf);
	str_free(&q.queue_dir);
	str_free(&q.daemon_dir);
	free(q.overrides);
	return rc;
}
