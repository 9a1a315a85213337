/* SPDX-License-Identifier: ISC */
/*
 * main.c: postdrop, the one setgid (setgid_group) program of postlet.
 * sendmail runs it to write a local submission into maildrop/, which
 * only that group may write.
 *
 * It trusts nothing from its caller: the environment is dropped, a
 * configuration directory other than the default is accepted only from
 * root, from a caller that gains no privilege (postdrop not running
 * setgid, as in a non-root instance), or when the default main.cf lists
 * it in alternate_config_directories, as Postfix's postdrop does.  The
 * submitting user's identity comes from the real uid.  Fatal errors exit
 * EX_TEMPFAIL after a TEMP reply, so the caller never takes a failure for
 * an acceptance.
 *
 * With -q [-j] or -f it does not submit: it lists the queue through
 * master's showq service, or asks qmgr to flush it (postdrop_query.c),
 * for users who may not read the queue (postlet queue, mailq, postlet
 * flush run it for them).  Errors then go to standard error as well.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "fd.h"
#include "log.h"
#include "postdrop.h"
#include "proc.h"
#include "str.h"

static void	usage(void) __attribute__((noreturn));
static void	reply_fatal(int, const char *, const char *);
static const char *trusted_config(const char *);
static void	open_log(void);

static void
usage(void)
{
	static const char	text[] =
	    "usage: postdrop [-v] [-c config_dir]\n"
	    "       postdrop [-v] [-c config_dir] -q [-j] | -f\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

/* Refuse before reading anything: one reply line, then exit. */
static void __attribute__((noreturn))
reply_fatal(int ex, const char *code, const char *text)
{
	struct str	line = STR_INIT;

	log_warnx("%s", text);
	str_catf(&line, "%s %s %s\n", ex == EX_TEMPFAIL ? "TEMP" : "PERM",
	    code, text);
	(void)fd_write_all(1, line.s, line.len);
	str_free(&line);
	exit(ex);
}

/*
 * The configuration directory postdrop may use: want (from -c or
 * MAIL_CONFIG, NULL when neither) when that is safe, else a refusal.
 */
static const char *
trusted_config(const char *want)
{
	struct str	word = STR_INIT;
	const char	*list;
	size_t		pos = 0;
	bool		listed = false;

	if (want == NULL || *want == '\0' ||
	    strcmp(want, POSTLET_SYSCONFDIR) == 0) {
		return POSTLET_SYSCONFDIR;
	}
	/* Root, or no setgid privilege to abuse. */
	if (getuid() == 0 || getegid() == getgid()) {
		return want;
	}
	conf_load(POSTLET_SYSCONFDIR);
	list = conf_value("alternate_config_directories");
	while (conf_list_next(list, &pos, &word) == 1) {
		if (str_eq(&word, want)) {
			listed = true;
			break;
		}
	}
	str_free(&word);
	if (!listed) {
		reply_fatal(EX_NOPERM, "5.7.1", "configuration directory not "
		    "listed in alternate_config_directories of the default "
		    "main.cf");
	}
	return want;
}

/* Log where main.cf says; standard output carries the reply. */
static void
open_log(void)
{
	const char	*file = conf_value("maillog_file");

	log_stdout_reserved();
	if (log_open("postdrop", file) == -1) {
		log_warn("cannot open maillog_file %s", file);
	}
}

int
main(int argc, char *argv[])
{
	struct postdrop	 pd;
	struct passwd	*pw;
	struct str	 user = STR_INIT;
	const char	*opt_c = NULL, *env, *trusted;
	char		*dir;
	int		 ch, rc;
	bool		 query = false, json = false, flush = false;

	if (proc_init(3) == -1) {
		_exit(EX_OSERR);
	}
	log_open("postdrop", NULL);
	while ((ch = getopt(argc, argv, "c:fjqrv")) != -1) {
		switch (ch) {
		case 'c':
			opt_c = optarg;
			break;
		case 'f':
			flush = true;
			break;
		case 'j':
			json = true;
			break;
		case 'q':
			query = true;
			break;
		case 'r':
			/* Postfix's record input: ours is the only one. */
			break;
		case 'v':
			log_verbose++;
			break;
		default:
			usage();
		}
	}
	if (argc != optind || (query && flush) || (json && !query)) {
		usage();
	}
	env = getenv("MAIL_CONFIG");
	trusted = trusted_config(opt_c != NULL ? opt_c : env);
	/*
	 * Nothing of the caller's environment may steer a setgid program
	 * (TZ, locale paths, MAIL_CONFIG once decided); keep a copy of
	 * dir first, since it may point into the environment.
	 */
	dir = strdup(trusted);
	if (dir == NULL || clearenv() != 0) {
		reply_fatal(EX_TEMPFAIL, "4.3.0", "out of memory");
	}
	conf_load(dir);
	open_log();
	if (query || flush) {
		/* a person or postlet waits: show every message */
		log_also_stderr(true);
		rc = query ? postdrop_showq(conf_value("queue_directory"),
		    json) : postdrop_flush(conf_value("queue_directory"));
		free(dir);
		return rc;
	}
	/*
	 * An interrupt from the terminal goes to sendmail as well, which
	 * then closes our input: we see the end of input early and remove
	 * the file ourselves, rather than dying with it half written.
	 */
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGQUIT, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);

	memset(&pd, 0, sizeof(pd));
	pd.queue_dir = conf_value("queue_directory");
	pd.size_limit = conf_size("message_size_limit");
	pd.uid = getuid();
	if ((pw = getpwuid(pd.uid)) != NULL && pw->pw_name != NULL &&
	    *pw->pw_name != '\0') {
		str_set(&user, pw->pw_name);
	} else {
		/* No name: the number stands for it, as in Postfix. */
		str_catf(&user, "%lu", (unsigned long)pd.uid);
	}
	pd.user = user.s;
	rc = postdrop_queue(&pd);
	str_free(&user);
	free(dir);
	return rc;
}
