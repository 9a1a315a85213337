/* SPDX-License-Identifier: ISC */
/*
 * agent_main.c: the common main and job loop of simple delivery agents
 * (see agent_main.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "agent_main.h"
#include "conf.h"
#include "confopt.h"
#include "fd.h"
#include "log.h"
#include "priv.h"
#include "proc.h"

int
agent_serve(int in, int out, agent_job_fn fn, void *ctx)
{
	struct agent_job	 job = AGENT_JOB_INIT;
	struct buf		 bin, bout;
	struct str		 why = STR_INIT;
	unsigned char		 min[8192], mout[8192];
	int			 r, rc = 0;

	buf_init_fd(&bin, in, min, sizeof(min), -1);
	buf_init_fd(&bout, out, mout, sizeof(mout), -1);
	while ((r = agent_get_job(&bin, &job, &why)) == 1) {
		fn(&job, &bout, ctx);
		if (agent_put_done(&bout) == -1) {
			log_warn("write results");
			rc = EX_IOERR;
			goto out;
		}
	}
	if (r == -1) {
		if (errno == EBADMSG) {
			log_warnx("bad job: %s", str_c(&why));
			rc = EX_PROTOCOL;
		} else {
			log_warn("read job");
			rc = EX_IOERR;
		}
	}
out:
	agent_job_free(&job);
	str_free(&why);
	return rc;
}

static void __attribute__((noreturn))
agent_usage(const char *prog)
{
	struct str	text = STR_INIT;

	str_catf(&text, "usage: %s [-v] [-c config_dir] [-o name=value ...]\n",
	    prog);
	(void)fd_write_all(2, text.s, text.len);
	exit(EX_USAGE);
}

int
agent_main(int argc, char *argv[], const char *prog, agent_job_fn fn,
    void *ctx)
{
	struct confopt_args	 args = CONFOPT_ARGS_INIT;
	int		 rc;

	if (proc_init(3) == -1) {
		fatal(EX_OSERR, "proc_init");
	}
	log_stdout_reserved();	/* the results go there */
	log_open(prog, NULL);
	if (confopt_getopt(argc, argv, "c:o:v", &args) != -1 ||
	    argc != optind) {
		agent_usage(prog);
	}
	confopt_load(conf_dir(args.config_dir), args.overrides, args.noverrides);
	confopt_args_free(&args);
	if (log_open(prog, conf_value("maillog_file")) == -1) {
		log_warn("open %s", conf_value("maillog_file"));
	}
	if (priv_drop(conf_value("mail_owner"), NULL) == -1) {
		fatalx(EX_OSERR, "%s", priv_error());
	}
	rc = agent_serve(0, 1, fn, ctx);
	return rc;
}
