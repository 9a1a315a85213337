/* SPDX-License-Identifier: ISC */
/*
 * local_command.c: delivery to a command ("|command" in an alias,
 * :include: or .forward file, and mailbox_command), as Postfix's local
 * does it.
 *
 * The command runs in a delivery child that has become the right user
 * (local_child), as local_command_shell -c COMMAND (default /bin/sh), in
 * a new session so that the time limit can kill all it started, with
 * nothing of ours inherited: a built environment (HOME, LOGNAME, USER,
 * SHELL, PATH=/usr/bin:/bin, SENDER, RECIPIENT, LOCAL, DOMAIN, EXTENSION,
 * ORIGINAL_RECIPIENT, and TZ and LANG when we have them; values with
 * bytes outside Postfix's command_expansion_filter set get '_'), only
 * descriptors 0, 1 and 2, the working directory
 * command_execution_directory ($home, $user, ... expanded; a directory
 * that cannot be entered defers), or when that is empty the home of the
 * user it runs as (or / when that cannot be entered).  Standard input is
 * the message as Postfix gives it to commands: a From_ line,
 * Return-Path, X-Original-To, Delivered-To, the content unquoted, no empty line added.  Standard output and error
 * are collected (the first LOCAL_OUTPUT_MAX bytes) for the diagnostic
 * text; the exit status is judged by lib/sysexits.  A command still
 * running after command_time_limit is killed and bounces, as in Postfix.
 * Running, feeding and judging are lib/runcmd's, shared with pipe(8).
 */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "expand.h"
#include "local.h"
#include "log.h"
#include "mbox.h"
#include "proc.h"
#include "runcmd.h"
#include "str.h"
#include "xtext.h"

/* What the child needs (borrowed). */
struct command_job {
	const struct local_env	*env;
	const struct local_id	*id;
	const char		*command;
};

static void	env_put(struct proc_env *, const char *, const char *);
static void	command_child(const struct local *, void *,
		    struct local_status *);
static int	exec_dir(const struct local *, const struct local_env *,
		    const struct local_id *, struct str *,
		    struct local_status *);

/* Set name to value, with Postfix's command_expansion_filter applied. */
static void
env_put(struct proc_env *e, const char *name, const char *value)
{
	static const char	ok[] = "1234567890!@%-_=+:,./"
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	struct str		v = STR_INIT;
	const char		*p;

	str_set(&v, "");
	for (p = value == NULL ? "" : value; *p != '\0'; p++) {
		str_cat_char(&v, strchr(ok, *p) != NULL ? *p : '_');
	}
	(void)proc_env_set(e, name, v.s);
	str_free(&v);
}

/*
 * The command's working directory: command_execution_directory expanded
 * for env and id (as Postfix: $user is the recipient's, $home and $shell
 * those of the user the command runs as), else id's home or /.  0, or
 * -1 with a deferral in st.
 */
static int
exec_dir(const struct local *l, const struct local_env *env,
    const struct local_id *id, struct str *dir, struct local_status *st)
{
	const char	*vars[LOCAL_PATH_VARS];

	if (*l->command_execution_directory == '\0') {
		str_set(dir, id->home.len > 0 && access(id->home.s, X_OK) == 0 ?
		    id->home.s : "/");
		return 0;
	}
	(void)local_path_vars(vars, env->user, str_c(&id->home),
	    str_c(&id->shell), env);
	if (expand_vars(l->command_execution_directory,
	    strlen(l->command_execution_directory), vars,
	    EXPAND_FILTER_DEFAULT, dir) == -1 ||
	    dir->s[0] != '/') {
		local_status_set(st, DSN_TEMP, "4.3.5", "mail system "
		    "configuration error: command_execution_directory: "
		    "not an absolute path: %s", l->command_execution_directory);
		return -1;
	}
	return 0;
}

/* In the delivery child, as the user: run the command, judge it. */
static void
command_child(const struct local *l, void *arg, struct local_status *st)
{
	const struct command_job	*job = arg;
	const struct local_env		*env = job->env;
	const struct local_id		*id = job->id;
	struct proc_env			 pe = PROC_ENV_INIT;
	struct runcmd			 cmd;
	struct runcmd_result		 res = RUNCMD_RESULT_INIT;
	struct str			 shown = STR_INIT, head = STR_INIT;
	struct str			 orig = STR_INIT, dir = STR_INIT;
	struct str			 text = STR_INIT;
	char				*argv[4];
	char				 code[16];
	const char			*shell, *failed;
	enum dsn_status			 status;

	shell = *l->local_command_shell != '\0' ? l->local_command_shell :
	    "/bin/sh";
	if (exec_dir(l, env, id, &dir, st) == -1) {
		goto out;
	}
	(void)proc_env_default(&pe);
	(void)proc_env_import(&pe, "TZ");
	(void)proc_env_import(&pe, "LANG");
	env_put(&pe, "HOME", str_c(&id->home));
	env_put(&pe, "SHELL", str_c(&id->shell));
	env_put(&pe, "LOGNAME", env->user);
	env_put(&pe, "USER", env->user);
	env_put(&pe, "SENDER", env->qf->sender);
	env_put(&pe, "RECIPIENT", env->address);
	env_put(&pe, "LOCAL", env->local);
	env_put(&pe, "DOMAIN", env->domain);
	env_put(&pe, "EXTENSION", env->extension);
	if (env->qrcpt != NULL && env->qrcpt->orcpt != NULL &&
	    strncasecmp(env->qrcpt->orcpt, "rfc822;", 7) == 0 &&
	    xtext_decode(env->qrcpt->orcpt + 7, &orig) == 0) {
		env_put(&pe, "ORIGINAL_RECIPIENT", orig.s);
	} else {
		env_put(&pe, "ORIGINAL_RECIPIENT", env->address);
	}
	argv[0] = (char *)(uintptr_t)shell;
	argv[1] = (char *)(uintptr_t)"-c";
	argv[2] = (char *)(uintptr_t)job->command;
	argv[3] = NULL;
	mbox_from_line(&head, env->qf->sender, time(NULL));
	str_cat_mem(&head, env->head->s, env->head->len);
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = shell;
	cmd.argv = argv;
	cmd.envp = proc_env_vector(&pe);
	cmd.cwd = dir.s;
	cmd.head = head.s;
	cmd.headlen = head.len;
	cmd.src = env->qf->fd;
	cmd.off = env->qf->content_offset;
	cmd.len = env->qf->content_len;
	cmd.time_limit = l->command_time_limit;
	cmd.output_max = LOCAL_OUTPUT_MAX;
	runcmd_printable(&shown, job->command, strlen(job->command));
	if (runcmd_run(&cmd, &res, &failed) == -1) {
		if (strcmp(failed, "chdir") == 0) {
			local_status_set(st, DSN_TEMP, "4.3.0",
			    "cannot run command \"%s\": cannot change to "
			    "directory %s: %s", shown.s, dir.s,
			    strerror(errno));
		} else {
			local_status_set(st, DSN_TEMP, "4.3.0",
			    "cannot run command \"%s\": %s %s: %s", shown.s,
			    failed, shell, strerror(errno));
		}
		goto out;
	}
	runcmd_judge(&res, shown.s, &status, code, &text);
	if (status == DSN_OK) {
		local_status_set(st, DSN_OK, "2.0.0",
		    "delivered to command: %s", shown.s);
	} else {
		local_status_set(st, status, code, "%s", text.s);
	}
out:
	proc_env_free(&pe);
	runcmd_result_free(&res);
	str_free(&shown);
	str_free(&head);
	str_free(&orig);
	str_free(&dir);
	str_free(&text);
}

void
local_command(const struct local *l, const struct local_env *env,
    const struct local_id *id, const char *command,
    struct local_status *st)
{
	struct command_job	job;

	job.env = env;
	job.id = id;
	job.command = command;
	local_child(l, id, command_child, &job, st);
}
