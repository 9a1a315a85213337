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
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"
#include "local.h"
#include "log.h"
#include "mbox.h"
#include "proc.h"
#include "str.h"
#include "sysexits.h"

/* What the child needs (borrowed). */
struct command_job {
	const struct local_env	*env;
	const struct local_id	*id;
	const char		*command;
};

static void	env_put(struct proc_env *, const char *, const char *);
static void	command_child(const struct local *, void *,
		    struct local_status *);
static int	command_io(const struct local *, const struct local_env *,
		    struct proc *, long long, struct str *);
static void	printable(struct str *, const char *, size_t);
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

/* The output, for a diagnostic: printable ASCII, newlines as blanks. */
static void
printable(struct str *out, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' || p[i] == '\t' || p[i] == '\r') {
			if (out->len > 0 && out->s[out->len - 1] != ' ') {
				str_cat_char(out, ' ');
			}
		} else if ((unsigned char)p[i] >= 0x20 &&
		    (unsigned char)p[i] < 0x7f) {
			str_cat_char(out, p[i]);
		} else {
			str_cat_char(out, '?');
		}
	}
	while (out->len > 0 && out->s[out->len - 1] == ' ') {
		str_truncate(out, out->len - 1);
	}
}

/*
 * Feed the message to the command's stdin and collect its output until
 * it closes it, or the deadline.  Returns 0, or -1 with ETIMEDOUT (or
 * the poll error).  A command that stops reading early (EPIPE) is not an
 * error here: its exit status says whether it was happy.
 */
static int
command_io(const struct local *l, const struct local_env *env,
    struct proc *p, long long deadline, struct str *output)
{
	const struct qfile	*qf = env->qf;
	struct str		 head = STR_INIT;
	char			 chunk[8192], buf[4096];
	size_t			 hoff = 0, clen = 0, coff = 0;
	off_t			 off = qf->content_offset;
	off_t			 end = qf->content_offset + qf->content_len;
	struct pollfd		 pfd[2];
	ssize_t			 n;
	int			 left, rc = -1, nfds, ri, wi;

	(void)l;
	mbox_from_line(&head, qf->sender, time(NULL));
	str_cat_mem(&head, env->head->s, env->head->len);
	(void)fd_set_nonblock(p->fd[0], true);
	(void)fd_set_nonblock(p->fd[1], true);
	/* until the command has all of the message and closed its output */
	while (p->fd[1] != -1 || p->fd[0] != -1) {
		if ((left = clock_left(deadline)) <= 0) {
			errno = ETIMEDOUT;
			goto out;
		}
		nfds = 0;
		ri = wi = -1;
		if (p->fd[1] != -1) {
			pfd[nfds].fd = p->fd[1];
			pfd[nfds].events = POLLIN;
			pfd[nfds].revents = 0;
			ri = nfds++;
		}
		if (p->fd[0] != -1) {
			pfd[nfds].fd = p->fd[0];
			pfd[nfds].events = POLLOUT;
			pfd[nfds].revents = 0;
			wi = nfds++;
		}
		if (poll(pfd, (nfds_t)nfds, left) == -1) {
			if (errno == EINTR) {
				continue;
			}
			goto out;
		}
		if (ri != -1 && pfd[ri].revents != 0) {
			n = read(p->fd[1], buf, sizeof(buf));
			if (n > 0) {
				if (output->len < LOCAL_OUTPUT_MAX) {
					str_cat_mem(output, buf,
					    LOCAL_OUTPUT_MAX - output->len <
					    (size_t)n ? LOCAL_OUTPUT_MAX -
					    output->len : (size_t)n);
				}
			} else if (n == 0 || (errno != EINTR &&
			    errno != EAGAIN)) {
				(void)close(p->fd[1]);
				p->fd[1] = -1;
			}
		}
		if (wi == -1 || pfd[wi].revents == 0) {
			continue;
		}
		/* the next piece: the head, then the content */
		if (hoff < head.len) {
			n = write(p->fd[0], head.s + hoff, head.len - hoff);
		} else {
			if (coff == clen && off < end) {
				do {
					n = pread(qf->fd, chunk, end - off >
					    (off_t)sizeof(chunk) ?
					    sizeof(chunk) :
					    (size_t)(end - off), off);
				} while (n == -1 && errno == EINTR);
				if (n <= 0) {
					errno = n == 0 ? EIO : errno;
					goto out;
				}
				clen = (size_t)n;
				coff = 0;
				off += n;
			}
			if (coff == clen) {
				/* all written: end of input */
				(void)close(p->fd[0]);
				p->fd[0] = -1;
				continue;
			}
			n = write(p->fd[0], chunk + coff, clen - coff);
		}
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN) {
				continue;
			}
			/* EPIPE and the like: it stopped reading */
			(void)close(p->fd[0]);
			p->fd[0] = -1;
			continue;
		}
		if (hoff < head.len) {
			hoff += (size_t)n;
		} else {
			coff += (size_t)n;
		}
	}
	rc = 0;
out:
	str_free(&head);
	return rc;
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
	const char	*vars[20];
	size_t		 n = 0;

	if (*l->command_execution_directory == '\0') {
		str_set(dir, id->home.len > 0 && access(id->home.s, X_OK) == 0 ?
		    id->home.s : "/");
		return 0;
	}
	vars[n++] = "user";
	vars[n++] = env->user;
	vars[n++] = "home";
	vars[n++] = str_c(&id->home);
	vars[n++] = "shell";
	vars[n++] = str_c(&id->shell);
	vars[n++] = "recipient";
	vars[n++] = env->address;
	vars[n++] = "extension";
	vars[n++] = env->extension;
	vars[n++] = "domain";
	vars[n++] = env->domain;
	vars[n++] = "local";
	vars[n++] = env->local;
	vars[n++] = "recipient_delimiter";
	vars[n++] = env->delimiter;
	vars[n] = NULL;
	if (local_path_expand(l->command_execution_directory,
	    strlen(l->command_execution_directory), vars, dir) == -1 ||
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
	struct proc_cmd			 cmd;
	struct proc			 p;
	struct sysexits_result		 r;
	struct str			 output = STR_INIT, shown = STR_INIT;
	struct str			 orig = STR_INIT, dir = STR_INIT;
	char				*argv[4];
	char				 ws[PROC_STATUS_MAX];
	const char			*shell;
	long long			 deadline;
	int				 wstatus = 0, timedout = 0;

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
	    local_xtext_decode(env->qrcpt->orcpt + 7, &orig) == 0) {
		env_put(&pe, "ORIGINAL_RECIPIENT", orig.s);
	} else {
		env_put(&pe, "ORIGINAL_RECIPIENT", env->address);
	}
	argv[0] = (char *)(uintptr_t)shell;
	argv[1] = (char *)(uintptr_t)"-c";
	argv[2] = (char *)(uintptr_t)job->command;
	argv[3] = NULL;
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = shell;
	cmd.argv = argv;
	cmd.envp = proc_env_vector(&pe);
	cmd.cwd = dir.s;
	cmd.io[0] = PROC_IO_PIPE;
	cmd.io[1] = PROC_IO_PIPE;
	cmd.io[2] = PROC_IO_STDOUT;
	cmd.flags = PROC_SETSID;
	printable(&shown, job->command, strlen(job->command));
	if (proc_spawn(&cmd, &p) == -1) {
		if (p.failed != NULL && strcmp(p.failed, "chdir") == 0) {
			local_status_set(st, DSN_TEMP, "4.3.0",
			    "cannot run command \"%s\": cannot change to "
			    "directory %s: %s", shown.s, dir.s,
			    strerror(errno));
		} else {
			local_status_set(st, DSN_TEMP, "4.3.0",
			    "cannot run command \"%s\": %s %s: %s", shown.s,
			    p.failed, shell, strerror(errno));
		}
		goto out;
	}
	deadline = clock_ms() + l->command_time_limit * 1000;
	if (command_io(l, env, &p, deadline, &output) == -1) {
		if (errno == ETIMEDOUT) {
			timedout = 1;
		} else {
			log_warn("command \"%s\": i/o", shown.s);
		}
		(void)kill(-p.pid, SIGKILL);
	}
	proc_close(&p);
	if (proc_wait(p.pid, &wstatus, timedout ? -1 : deadline) == -1) {
		timedout = 1;
		(void)kill(-p.pid, SIGKILL);
		(void)proc_wait(p.pid, &wstatus, -1);
	}
	str_clear(&orig);
	printable(&orig, output.s == NULL ? "" : output.s, output.len);
	if (timedout) {
		local_status_set(st, DSN_PERM, "5.3.0",
		    "command time limit exceeded: \"%s\"%s%s", shown.s,
		    orig.len > 0 ? ". Command output: " : "", str_c(&orig));
	} else if (WIFSIGNALED(wstatus)) {
		local_status_set(st, DSN_TEMP, "4.3.0",
		    "command \"%s\" %s%s%s", shown.s,
		    proc_status_text(wstatus, ws, sizeof(ws)),
		    orig.len > 0 ? ". Command output: " : "", str_c(&orig));
	} else if (!WIFEXITED(wstatus)) {
		local_status_set(st, DSN_TEMP, "4.3.0", "command \"%s\": %s",
		    shown.s, proc_status_text(wstatus, ws, sizeof(ws)));
	} else {
		sysexits_judge(WEXITSTATUS(wstatus), output.s, output.len,
		    &r);
		if (r.status == DSN_OK) {
			local_status_set(st, DSN_OK, "2.0.0",
			    "delivered to command: %s", shown.s);
		} else {
			local_status_set(st, r.status, r.code,
			    "command died with status %d (%s): \"%s\"%s%s",
			    WEXITSTATUS(wstatus), r.text, shown.s,
			    orig.len > 0 ? ". Command output: " : "",
			    str_c(&orig));
		}
	}
out:
	proc_env_free(&pe);
	str_free(&output);
	str_free(&shown);
	str_free(&orig);
	str_free(&dir);
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
