/* SPDX-License-Identifier: ISC */
/*
 * main.c: smtp and lmtp, the network delivery agents (docs/smtp.8).  One
 * program: started as "lmtp" (the last component of argv[0], a link to
 * smtp) it speaks LMTP.  Started by qmgr with jobs on standard input and
 * answers on standard output (lib/agent.h), as mail_owner.  With -J
 * (master.cf's chroot column; qmgr's spawner starts it as root) it reads
 * its DNS settings and trust anchors, chroots into queue_directory and
 * becomes mail_owner before the first job (lib/jail.h).
 *
 * Between jobs the session stays open: when the next job has the same
 * next hop it is reused after RSET; when the next job goes elsewhere, or
 * no job comes within smtp_connection_cache_time_limit, it ends with
 * QUIT.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "bounds.h"
#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "confopt.h"
#include "fd.h"
#include "jail.h"
#include "log.h"
#include "map.h"
#include "priv.h"
#include "proc.h"
#include "sig.h"
#include "smtp.h"
#include "tls.h"

static void	usage(const char *) __attribute__((noreturn));
static const char *param(const struct smtp *, const char *);
static int	msec(const struct smtp *, const char *);
static int	serve(struct smtp *, struct buf *, struct buf *);
static enum smtp_tls_level tls_level(const char *);

static void
usage(const char *prog)
{
	struct str	text = STR_INIT;

	str_catf(&text, "usage: %s [-Jv] [-c config_dir] [-o name=value ...]\n",
	    prog);
	(void)fd_write_all(2, text.s, text.len);
	exit(EX_USAGE);
}

/* The parameter "smtp_NAME", or "lmtp_NAME" for lmtp when we know it. */
static const char *
param(const struct smtp *cf, const char *name)
{
	static char	full[CONF_NAME_MAX + 1];
	size_t		n = strlen(name);

	if (n + 5 >= sizeof(full)) {
		panic("param %s", name);
	}
	memcpy(full, cf->lmtp ? "lmtp_" : "smtp_", 5);
	memcpy(full + 5, name, n + 1);
	if (cf->lmtp && conf_param_find(full) == NULL) {
		memcpy(full, "smtp_", 5);
	}
	return full;
}

/* A time parameter in milliseconds, within 1 ms .. 1 day. */
static int
msec(const struct smtp *cf, const char *name)
{
	long long	t = conf_time(param(cf, name));

	if (t < 0) {
		t = 0;
	} else if (t > 86400) {
		t = 86400;
	}
	return (int)t * 1000;
}

/* smtp_tls_security_level; an unknown word is the strictest level. */
static enum smtp_tls_level
tls_level(const char *v)
{
	static const char *const	names[] = { "none", "may", "encrypt",
	    "verify", "secure" };
	size_t				i;

	if (*v == '\0') {
		return SMTP_TLS_NONE;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(v, names[i]) == 0) {
			return (enum smtp_tls_level)i;
		}
	}
	/* a misspelt "encrypt" must not turn TLS off */
	log_warnx("smtp_tls_security_level: unknown value \"%s\", using "
	    "secure", v);
	return SMTP_TLS_SECURE;
}

/* The job loop, with the session kept between jobs. */
static int
serve(struct smtp *cf, struct buf *in, struct buf *out)
{
	struct agent_job	 job = AGENT_JOB_INIT;
	struct smtp_session	*s;
	struct str		 why = STR_INIT;
	int			 r, rc = 0;

	s = xmalloc(sizeof(*s));
	smtp_session_init(s);
	for (;;) {
		if (s->fd != -1 && buf_pending(in) == 0 &&
		    fd_wait(in->fd, POLLIN, clock_deadline(cf->cache_ms)) ==
		    -1) {
			smtp_session_close(cf, s, true);
		}
		if ((r = agent_get_job(in, &job, &why)) != 1) {
			break;
		}
		smtp_deliver(cf, s, &job, out);
		if (agent_put_done(out) == -1) {
			log_warn("write to qmgr");
			rc = EX_IOERR;
			break;
		}
	}
	if (r == -1) {
		log_error("job from qmgr: %s%s%s", why.len > 0 ? why.s : "",
		    why.len > 0 ? ": " : "", strerror(errno));
		rc = EX_DATAERR;
	}
	smtp_session_free(cf, s);
	free(s);
	agent_job_free(&job);
	str_free(&why);
	/* what the jobs loaded once and kept: trust anchors, tables */
	tls_client_conf_free(cf->tls_conf);
	cf->tls_conf = NULL;
	map_list_close(cf->sasl_maps);
	cf->sasl_maps = NULL;
	map_list_close(cf->tls_policy_maps);
	cf->tls_policy_maps = NULL;
	map_list_close(cf->generic_maps);
	cf->generic_maps = NULL;
	return rc;
}

int
main(int argc, char *argv[])
{
	struct confopt_args	 args = CONFOPT_ARGS_INIT;
	struct str	 err = STR_INIT;
	bool		 opt_jail = false;
	int		 ch;
	struct smtp	 cf;
	struct buf	 in, out;
	static unsigned char inmem[2 * 8192], outmem[2 * 8192];
	const char	*base;
	long long	 v;

	memset(&cf, 0, sizeof(cf));
	base = argc > 0 && argv[0] != NULL ? argv[0] : "smtp";
	if (strrchr(base, '/') != NULL) {
		base = strrchr(base, '/') + 1;
	}
	cf.lmtp = strcmp(base, "lmtp") == 0;
	cf.name = cf.lmtp ? "lmtp" : "smtp";
	if (proc_init(3) == -1) {
		fatal(EX_OSERR, "process set-up");
	}
	log_stdout_reserved();	/* the protocol goes there */
	log_open(cf.name, NULL);
	while ((ch = confopt_getopt(argc, argv, "c:o:Jv", &args)) != -1) {
		if (ch != 'J') {
			usage(cf.name);
		}
		opt_jail = true;
	}
	if (argc != optind) {
		usage(cf.name);
	}
	confopt_load(conf_dir(args.config_dir), args.overrides, args.noverrides);
	confopt_args_free(&args);
	if (log_open(cf.name, conf_value("maillog_file")) == -1) {
		log_warn("open %s", conf_value("maillog_file"));
	}
	cf.queue_directory = conf_value("queue_directory");
	cf.myhostname = conf_value("myhostname");
	cf.helo_name = conf_value(cf.lmtp ? "lmtp_lhlo_name" :
	    "smtp_helo_name");
	cf.fallback_relay = cf.lmtp ? "" : conf_value("smtp_fallback_relay");
	cf.connect_ms = msec(&cf, "connect_timeout");
	cf.helo_ms = msec(&cf, cf.lmtp ? "lhlo_timeout" : "helo_timeout");
	cf.mail_ms = msec(&cf, "mail_timeout");
	cf.rcpt_ms = msec(&cf, "rcpt_timeout");
	cf.data_init_ms = msec(&cf, "data_init_timeout");
	cf.data_xfer_ms = msec(&cf, "data_xfer_timeout");
	cf.data_done_ms = msec(&cf, "data_done_timeout");
	cf.rset_ms = msec(&cf, "rset_timeout");
	cf.quit_ms = msec(&cf, "quit_timeout");
	cf.cache_ms = msec(&cf, "connection_cache_time_limit");
	/* 0 would wait for no job at all: at least a moment */
	if (cf.connect_ms == 0) {
		cf.connect_ms = -1;
	}
	v = conf_int(param(&cf, "line_length_limit"));
	cf.line_limit = v < 0 ? 0 : (size_t)v;
	if (cf.line_limit > 0 && cf.line_limit < 40) {
		cf.line_limit = 40;
	}
	v = conf_int(param(&cf, "mx_address_limit"));
	cf.mx_address_limit = v < 0 ? 0 : (size_t)v;
	v = conf_int(param(&cf, "mx_session_limit"));
	cf.mx_session_limit = v < 0 ? 0 : (size_t)v;
	cf.skip_5xx_greeting = conf_bool(param(&cf, "skip_5xx_greeting"));
	cf.tls_level = tls_level(cf.lmtp ? "" :
	    conf_value("smtp_tls_security_level"));
	cf.tls_wrapper = !cf.lmtp && conf_bool("smtp_tls_wrappermode");
	if (cf.tls_wrapper && cf.tls_level < SMTP_TLS_ENCRYPT) {
		/* Postfix: wrapper mode needs a level of encrypt or more */
		cf.tls_level = SMTP_TLS_ENCRYPT;
	}
	cf.tls_policy_spec = conf_value("smtp_tls_policy_maps");
	if (*cf.tls_policy_spec == '\0') {
		cf.tls_policy_spec = NULL;
	}
	cf.tls_cafile = conf_value("smtp_tls_CAfile");
	cf.tls_capath = conf_value("smtp_tls_CApath");
	cf.sasl_enable = !cf.lmtp && conf_bool("smtp_sasl_auth_enable");
	cf.sasl_maps_spec = conf_value("smtp_sasl_password_maps");
	cf.sasl_options = conf_value("smtp_sasl_security_options");
	cf.sasl_tls_options = conf_value("smtp_sasl_tls_security_options");
	cf.sender_auth = conf_bool("smtp_sender_dependent_authentication");
	cf.generic_maps_spec = conf_value(param(&cf, "generic_maps"));
	if (*cf.generic_maps_spec == '\0') {
		cf.generic_maps_spec = NULL;
	}
	if (opt_jail) {
		/* what lives outside the jail: read it now */
		if (smtp_dns_prepare(&err) == -1) {
			log_warnx("DNS configuration: %s", err.s);
		}
		smtp_tls_prepare(&cf);
		if (jail_enter(&err) == -1) {
			fatalx(EX_OSERR, "%s", err.s);
		}
		cf.queue_directory = jail_queue_dir();
	} else if (priv_drop(conf_value("mail_owner"), NULL) == -1) {
		fatalx(EX_OSERR, "%s", priv_error());
	}
	str_free(&err);
	if (sig_ignore(SIGPIPE) == -1) {
		fatal(EX_OSERR, "ignore SIGPIPE");
	}
	buf_init_fd(&in, 0, inmem, sizeof(inmem), -1);
	buf_init_fd(&out, 1, outmem, sizeof(outmem), -1);
	return serve(&cf, &in, &out);
}
