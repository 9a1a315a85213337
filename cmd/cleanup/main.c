/* SPDX-License-Identifier: ISC */
/*
 * main.c: cleanup, which turns each submission into one queue file.
 * Options, configuration, then cleanup_serve (cleanup_session.c) on
 * standard input and output, one message after another until the
 * submitter closes its end: pipes from the submitter that started it,
 * With -H, master runs it for the connections to public/cleanup:
 * descriptor 0 is master's hand-off channel (lib/handoff.h), and
 * cleanup serves the connections master passes on it, one after another
 * (each like a submitter's pipes), until master closes the channel.
 * Master adds -J when master.cf's chroot column asks: cleanup then
 * chroots into queue_directory and becomes mail_owner (lib/jail.h).
 * Exits 0 whenever it could answer (the answer says whether the message
 * was accepted), EX_USAGE or EX_CONFIG for a bad command line or
 * configuration, EX_IOERR when the answer could not be written (with
 * -H: 0 when master closed the channel, EX_IOERR when it broke).
 */
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "confopt.h"
#include "durable.h"
#include "fd.h"
#include "handoff.h"
#include "jail.h"
#include "log.h"
#include "proc.h"
#include "rewrite.h"
#include "cleanup.h"

static void __attribute__((noreturn))
usage(void)
{
	static const char	text[] =
	    "usage: cleanup [-HJv] [-c config_dir] [-o name=value ...]\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

/* One connection that master handed over (-H). */
static void
serve_connection(int conn, void *arg)
{
	const struct confopt_args	*args = arg;

	/* The connection is ours alone: non-blocking, so that a reply is
	 * written at once, without a poll before it (buf.h). */
	(void)fd_set_nonblock(conn, true);
	(void)cleanup_serve(args->config_dir, conn, conn);
}

int
main(int argc, char *argv[])
{
	struct confopt_args	 args = CONFOPT_ARGS_INIT;
	struct str		 err = STR_INIT;
	bool			 opt_jail = false, opt_handoff = false;
	int			 ch, rc;

	if (proc_init(3) == -1) {
		fatal(EX_OSERR, "proc_init");
	}
	log_stdout_reserved();	/* the protocol goes there */
	log_open("cleanup", NULL);
	while ((ch = confopt_getopt(argc, argv, "c:o:HJv", &args)) != -1) {
		switch (ch) {
		case 'H':
			opt_handoff = true;
			break;
		case 'J':
			opt_jail = true;
			break;
		default:
			usage();
		}
	}
	if (argc != optind) {
		usage();
	}
	confopt_load(conf_dir(args.config_dir), args.overrides,
	    args.noverrides);
	if (log_open("cleanup", conf_value("maillog_file")) == -1) {
		log_warn("open %s", conf_value("maillog_file"));
	}
	if (opt_jail && jail_enter(&err) == -1) {
		fatalx(EX_CONFIG, "%s", err.s);
	}
	if (opt_handoff) {
		/* long-lived: incoming/ stays open for its fsyncs (after
		 * the jail, never before) */
		durable_keep_dirs();
		rc = handoff_serve(0, serve_connection, &args) == 0 ? 0 :
		    EX_IOERR;
	} else {
		rc = cleanup_serve(args.config_dir, 0, 1);
	}
	/* the domain lists that stayed compiled from message to message */
	rewrite_close();
	confopt_args_free(&args);
	str_free(&err);
	return rc;
}
