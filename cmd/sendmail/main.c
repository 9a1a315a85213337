/* SPDX-License-Identifier: ISC */
/*
 * main.c: sendmail(1), the local submission front end, also run as mailq
 * and newaliases (by the name it is called as).
 *
 * It parses the command line (sendmail_opts.c), checks and normalizes the
 * DSN options and the addresses, then either hands the message to
 * postdrop (sendmail_submit.c) or replaces itself with the postlet admin
 * command for the other modes (-bp, -bi, -q, -bd).  When no master runs,
 * an accepted message is delivered in the background (daemonless mode,
 * sendmail_daemonless.c).  It runs with the caller's privileges only;
 * everything that needs more is postdrop's.
 * Messages go to standard error: the caller is a person or a program
 * waiting for the exit status.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "alloc.h"
#include "conf.h"
#include "fd.h"
#include "log.h"
#include "proc.h"
#include "bounds.h"
#include "qfile.h"
#include "sendmail.h"
#include "str.h"

/* RFC 3461 §4.4: an ENVID is at most 100 characters. */
#define SENDMAIL_ENVID_MAX	100

static void	usage(void) __attribute__((noreturn));
static void	run_postlet(const struct sendmail_opts *, const char *,
		    const char *) __attribute__((noreturn));
static const char *config_dir(const struct sendmail_opts *, struct str *);
static int	run_smtpd(const struct sendmail_opts *, const char *);
static void	dsn_options(struct sendmail_opts *, struct str *,
		    struct str *);
static void	sender_of(const struct sendmail_opts *, struct str *);
static void	recipients_of(const struct sendmail_opts *, struct str **,
		    size_t *);

static void
usage(void)
{
	static const char	text[] =
	    "usage: sendmail [-tiv] [-f sender] [-F full_name] "
	    "[-N notify] [-R ret]\n"
	    "                [-V envid] [-B body_type] [-C config] "
	    "[-o option] [recipient ...]\n"
	    "       sendmail -bp | -bi | -q | -bd | -bD\n"
	    "       mailq, newaliases\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

/* Replace ourselves with "postlet [-c dir] [-v] command" (the argument
 * copies live until execv). */
static void
run_postlet(const struct sendmail_opts *o, const char *dir,
    const char *command)
{
	struct str	path = STR_INIT;
	char		*argv[6];
	size_t		argc = 0;

	str_catf(&path, "%s/postlet", conf_value("command_directory"));
	argv[argc++] = xstrdup("postlet");
	if (dir != NULL) {
		argv[argc++] = xstrdup("-c");
		argv[argc++] = xstrdup(dir);
	}
	if (o->verbose > 0) {
		argv[argc++] = xstrdup("-v");
	}
	argv[argc++] = xstrdup(command);
	argv[argc] = NULL;
	execv(path.s, argv);
	fatal(EX_UNAVAILABLE, "execute %s", path.s);
}

/*
 * -bs: run "$daemon_directory/smtpd -S -c dir [-v]" on our standard
 * input and output and wait for it; it submits each message through
 * postdrop, as this user.  Returns its exit status (EX_TEMPFAIL when it
 * could not run or was killed).
 */
static int
run_smtpd(const struct sendmail_opts *o, const char *dir)
{
	struct proc_cmd	 cmd;
	struct proc	 p;
	struct str	 path = STR_INIT;
	char		*argv[6];
	char		 st[PROC_STATUS_MAX];
	size_t		 argc = 0, i;
	int		 status, ex = EX_TEMPFAIL;

	str_catf(&path, "%s/smtpd", conf_value("daemon_directory"));
	argv[argc++] = xstrdup("smtpd");
	argv[argc++] = xstrdup("-S");
	argv[argc++] = xstrdup("-c");
	argv[argc++] = xstrdup(dir);
	if (o->verbose > 0) {
		argv[argc++] = xstrdup("-v");
	}
	argv[argc] = NULL;
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = path.s;
	cmd.argv = argv;
	cmd.io[0] = PROC_IO_INHERIT;
	cmd.io[1] = PROC_IO_INHERIT;
	cmd.io[2] = PROC_IO_INHERIT;
	if (proc_spawn(&cmd, &p) == -1) {
		log_warn("%s %s", p.failed, path.s);
	} else if (proc_wait(p.pid, &status, -1) == -1) {
		log_warn("wait for smtpd");
	} else if (WIFEXITED(status)) {
		ex = WEXITSTATUS(status);
	} else {
		log_warnx("smtpd: %s", proc_status_text(status, st,
		    sizeof(st)));
	}
	for (i = 0; i < argc; i++) {
		free(argv[i]);
	}
	str_free(&path);
	return ex;
}

/*
 * The configuration directory: -C (a main.cf file names its directory),
 * else MAIL_CONFIG, else the default.  Returns it when it was chosen
 * explicitly (to pass it on), NULL for the default; *dir gets it either
 * way.
 */
static const char *
config_dir(const struct sendmail_opts *o, struct str *dir)
{
	struct stat	st;
	const char	*slash;

	if (o->config != NULL && *o->config != '\0') {
		str_set(dir, o->config);
		if (stat(o->config, &st) == 0 && S_ISREG(st.st_mode)) {
			slash = strrchr(o->config, '/');
			if (slash == NULL) {
				str_set(dir, ".");
			} else {
				str_set_mem(dir, o->config, slash == o->config ?
				    1 : (size_t)(slash - o->config));
			}
		}
		return dir->s;
	}
	str_set(dir, conf_dir(NULL));
	if (strcmp(dir->s, POSTLET_SYSCONFDIR) == 0) {
		return NULL;
	}
	return dir->s;
}

/*
 * -N, -R, -V and -B as the submission protocol wants them (uppercase
 * words, ENVID as xtext), or a usage error.
 */
static void
dsn_options(struct sendmail_opts *o, struct str *notify, struct str *envid)
{
	static const char	hex[] = "0123456789ABCDEF";
	unsigned		bits;
	size_t			i;
	unsigned char		c;

	if (o->notify != NULL) {
		str_set(notify, o->notify);
		for (i = 0; i < notify->len; i++) {
			notify->s[i] = (char)toupper((unsigned char)
			    notify->s[i]);
		}
		if (qfile_notify_parse(notify->s, notify->len, &bits) == -1 ||
		    str_eq(notify, "-")) {
			fatalx(EX_USAGE, "bad -N value: use never, or "
			    "success, failure, delay separated by commas");
		}
		o->notify = notify->s;
	}
	if (o->ret != NULL) {
		if (strcasecmp(o->ret, "full") == 0) {
			o->ret = "FULL";
		} else if (strcasecmp(o->ret, "hdrs") == 0) {
			o->ret = "HDRS";
		} else {
			fatalx(EX_USAGE, "bad -R value: use full or hdrs");
		}
	}
	if (o->envid != NULL) {
		if (strlen(o->envid) > SENDMAIL_ENVID_MAX) {
			fatalx(EX_USAGE, "-V value longer than %d characters",
			    SENDMAIL_ENVID_MAX);
		}
		for (i = 0; o->envid[i] != '\0'; i++) {
			c = (unsigned char)o->envid[i];
			if (c < ' ' || c > '~') {
				fatalx(EX_USAGE, "-V value must be printable "
				    "ASCII");
			}
			/* RFC 3461 §4: xtext */
			if (c == ' ' || c == '+' || c == '=') {
				str_cat_char(envid, '+');
				str_cat_char(envid, hex[c >> 4]);
				str_cat_char(envid, hex[c & 0xf]);
			} else {
				str_cat_char(envid, c);
			}
		}
		if (envid->len == 0) {
			fatalx(EX_USAGE, "empty -V value");
		}
		o->envid = envid->s;
	}
	if (o->body_type != NULL) {
		if (strcasecmp(o->body_type, "7bit") == 0) {
			o->body_type = "7BIT";
		} else if (strcasecmp(o->body_type, "8bitmime") == 0) {
			o->body_type = "8BITMIME";
		} else {
			fatalx(EX_USAGE, "bad -B value: use 7bit or 8bitmime");
		}
	}
}

/* -f/-r (with or without <>; <> or "" is the null sender) or the login
 * name of the real uid. */
static void
sender_of(const struct sendmail_opts *o, struct str *sender)
{
	struct passwd	*pw;
	size_t		 end;

	if (o->sender == NULL) {
		if ((pw = getpwuid(getuid())) == NULL) {
			fatalx(EX_OSERR, "no login name for uid %lu",
			    (unsigned long)getuid());
		}
		str_set(sender, pw->pw_name);
		return;
	}
	if (*o->sender == '\0') {
		str_clear(sender);
		return;
	}
	if (addr_parse_path(o->sender, strlen(o->sender), ADDR_PATH_LAX |
	    ADDR_PATH_NULL_OK | ADDR_PATH_UTF8, sender, &end, NULL) == -1 ||
	    end != strlen(o->sender)) {
		fatalx(EX_USAGE, "bad sender address: %s", o->sender);
	}
}

/* Each operand is an address list: "a@x", "a@x, b@y", "Name <a@x>". */
static void
recipients_of(const struct sendmail_opts *o, struct str **rcpts,
    size_t *nrcpt)
{
	struct addr_list	list = ADDR_LIST_INIT;
	size_t			i, k;

	for (i = 0; i < o->noperands; i++) {
		if (addr_list_parse(o->operands[i], strlen(o->operands[i]),
		    ADDR_PATH_UTF8, &list) == -1 || list.bad > 0) {
			fatalx(EX_USAGE, "bad recipient address: %s",
			    o->operands[i]);
		}
	}
	if (list.count > QFILE_RCPT_MAX) {
		fatalx(EX_USAGE, "more than %d recipients", QFILE_RCPT_MAX);
	}
	*rcpts = xreallocarray(NULL, list.count > 0 ? list.count : 1,
	    sizeof(**rcpts));
	for (k = 0; k < list.count; k++) {
		(*rcpts)[k] = (struct str)STR_INIT;
		str_set_mem(&(*rcpts)[k], list.item[k].s, list.item[k].len);
	}
	*nrcpt = list.count;
	addr_list_free(&list);
}

int
main(int argc, char *argv[])
{
	struct sendmail_opts	 o;
	struct sendmail_env	 env;
	struct str		 why = STR_INIT, dir = STR_INIT;
	struct str		 notify = STR_INIT;
	struct str		 envid = STR_INIT, sender = STR_INIT;
	struct str		 postdrop = STR_INIT, *rcpts = NULL;
	const char		*name, *explicit;
	char			**rcpt_v;
	size_t			 nrcpt = 0, i;
	int			 ex;

	if (proc_init(3) == -1) {
		_exit(EX_OSERR);
	}
	log_open("sendmail", NULL);
	if (sendmail_parse(argc, argv, &o, &why) == -1) {
		log_error("%s", why.s);
		usage();
	}
	name = argc > 0 && argv[0] != NULL ? argv[0] : "sendmail";
	if (strrchr(name, '/') != NULL) {
		name = strrchr(name, '/') + 1;
	}
	if (strcmp(name, "mailq") == 0) {
		o.mode = SENDMAIL_MAILQ;
	} else if (strcmp(name, "newaliases") == 0) {
		o.mode = SENDMAIL_NEWALIASES;
	}
	log_verbose += o.verbose;
	explicit = config_dir(&o, &dir);
	conf_load(dir.s);

	switch (o.mode) {
	case SENDMAIL_MAILQ:
		run_postlet(&o, explicit, "queue");
	case SENDMAIL_NEWALIASES:
		run_postlet(&o, explicit, "alias");
	case SENDMAIL_FLUSH:
		run_postlet(&o, explicit, "flush");
	case SENDMAIL_START:
		run_postlet(&o, explicit, "start");
	case SENDMAIL_START_FG:
		run_postlet(&o, explicit, "start-fg");
	case SENDMAIL_SMTP:
		ex = run_smtpd(&o, dir.s);
		if (ex == 0) {
			/* no master: deliver what was queued */
			sendmail_daemonless(explicit);
		}
		str_free(&dir);
		free(o.operands);
		return ex;
	case SENDMAIL_VERIFY:
		/* queued like any message, flagged: qmgr verifies the
		 * recipients instead of delivering, bounce reports */
	case SENDMAIL_DELIVER:
		break;
	}

	dsn_options(&o, &notify, &envid);
	sender_of(&o, &sender);
	recipients_of(&o, &rcpts, &nrcpt);
	if (nrcpt == 0 && !o.extract) {
		fatalx(EX_USAGE, "recipient addresses must be specified on "
		    "the command line or via the -t option");
	}
	rcpt_v = xreallocarray(NULL, nrcpt > 0 ? nrcpt : 1, sizeof(*rcpt_v));
	for (i = 0; i < nrcpt; i++) {
		rcpt_v[i] = rcpts[i].s;
	}
	str_catf(&postdrop, "%s/postdrop", conf_value("daemon_directory"));
	memset(&env, 0, sizeof(env));
	env.postdrop = postdrop.s;
	env.config_dir = explicit;
	env.size_limit = conf_size("message_size_limit");
	env.sender = str_c(&sender);
	env.rcpts = rcpt_v;
	env.nrcpt = nrcpt;
	ex = sendmail_submit(&o, &env);
	if (ex == 0) {
		/* no master: deliver it in the background */
		sendmail_daemonless(explicit);
	}

	for (i = 0; i < nrcpt; i++) {
		str_free(&rcpts[i]);
	}
	free(rcpts);
	free(rcpt_v);
	free(o.operands);
	str_free(&why);
	str_free(&dir);
	str_free(&notify);
	str_free(&envid);
	str_free(&sender);
	str_free(&postdrop);
	return ex;
}
