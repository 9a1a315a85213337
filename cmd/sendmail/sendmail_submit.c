/* SPDX-License-Identifier: ISC */
/*
 * sendmail_submit.c: read one message from standard input and stream it
 * to postdrop in the submission protocol (lib/submit.h).
 *
 * The message is never held whole in memory: it goes out in D records
 * as it is read.  Lines may end in LF or CRLF; CRLF becomes LF, a CR
 * anywhere else is kept.  Without -i a line holding only "." ends the
 * message (and is dropped), as in sendmail(8); with -i it is content.
 * A last line without a line end gets one.
 *
 * Nothing is acknowledged until postdrop answered "OK": when anything
 * goes wrong (the size limit, a write to postdrop that fails because
 * postdrop already refused, no answer), sendmail closes postdrop's input
 * without the E record, which makes postdrop remove its file, waits for
 * it, and exits non-zero with one line on standard error.
 */
#include <sys/wait.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "dsn.h"
#include "fd.h"
#include "log.h"
#include "proc.h"
#include "sendmail.h"
#include "str.h"
#include "submit.h"

/* Buffer memory of each pipe to and from postdrop. */
#define SENDMAIL_BUF	(2 * SUBMIT_CHUNK_MAX)
/* Bytes read from standard input at a time. */
#define SENDMAIL_READ	65536

/* The reader's state between two bytes. */
struct reader {
	/* at the start of a line */
	bool			 line_start;
	/* a "." at the start of a line, not yet written */
	bool			 held_dot;
	/* a CR, not yet written */
	bool			 held_cr;
	/* the message ended with a "." line */
	bool			 done;
	/* content waiting to go out as one D record */
	struct str		 chunk;
	unsigned long long	 total;
};

static void	emit(struct reader *, const char *, size_t);
static void	take(struct reader *, char, bool);
static int	put_envelope(struct buf *, const struct sendmail_opts *,
		    const struct sendmail_env *);
static int	exit_for(enum dsn_status, const char *);

static void
emit(struct reader *r, const char *p, size_t n)
{
	str_cat_mem(&r->chunk, p, n);
	r->total += n;
}

/* One input byte c; dots_ok as -i. */
static void
take(struct reader *r, char c, bool dots_ok)
{
	if (r->held_cr) {
		r->held_cr = false;
		if (c == '\n') {
			if (r->held_dot) {
				r->held_dot = false;
				if (!dots_ok) {
					r->done = true;
					return;
				}
				emit(r, ".", 1);
			}
			emit(r, "\n", 1);
			r->line_start = true;
			return;
		}
		if (r->held_dot) {
			r->held_dot = false;
			emit(r, ".", 1);
		}
		emit(r, "\r", 1);
		r->line_start = false;
	} else if (r->held_dot) {
		if (c == '\n') {
			/* dots_ok never holds a dot */
			r->held_dot = false;
			r->done = true;
			return;
		}
		if (c == '\r') {
			r->held_cr = true;
			return;
		}
		r->held_dot = false;
		emit(r, ".", 1);
		r->line_start = false;
	}
	if (c == '\r') {
		r->held_cr = true;
		return;
	}
	if (r->line_start && c == '.' && !dots_ok) {
		r->held_dot = true;
		return;
	}
	emit(r, &c, 1);
	r->line_start = c == '\n';
}

static int
put_envelope(struct buf *b, const struct sendmail_opts *o,
    const struct sendmail_env *env)
{
	struct str	attr = STR_INIT;
	size_t		i;
	int		rc = -1;

	if ((o->extract || o->mode == SENDMAIL_VERIFY) && submit_put(b, 'F',
	    o->extract && o->mode == SENDMAIL_VERIFY ? "extract,verify" :
	    o->extract ? "extract" : "verify") == -1) {
		goto out;
	}
	if (submit_put(b, 'S', env->sender) == -1) {
		goto out;
	}
	if (o->full_name != NULL) {
		str_set(&attr, "full_name=");
		str_cat(&attr, o->full_name);
		if (submit_put(b, 'A', attr.s) == -1) {
			goto out;
		}
	}
	if (o->envid != NULL) {
		str_set(&attr, "envid=");
		str_cat(&attr, o->envid);
		if (submit_put(b, 'A', attr.s) == -1) {
			goto out;
		}
	}
	if (o->ret != NULL) {
		str_set(&attr, "ret=");
		str_cat(&attr, o->ret);
		if (submit_put(b, 'A', attr.s) == -1) {
			goto out;
		}
	}
	if (o->body_type != NULL) {
		str_set(&attr, "body_type=");
		str_cat(&attr, o->body_type);
		if (submit_put(b, 'A', attr.s) == -1) {
			goto out;
		}
	}
	for (i = 0; i < env->nrcpt; i++) {
		if (submit_put_rcpt(b, o->notify, NULL, env->rcpts[i]) == -1) {
			goto out;
		}
	}
	rc = 0;
out:
	str_free(&attr);
	return rc;
}

/* sysexits for a refusal "code text" (see sendmail.1, EXIT STATUS). */
static int
exit_for(enum dsn_status status, const char *text)
{
	if (status == DSN_TEMP) {
		return EX_TEMPFAIL;
	}
	if (strncmp(text, "5.7.", 4) == 0) {
		return EX_NOPERM;
	}
	return EX_DATAERR;
}

int
sendmail_submit(const struct sendmail_opts *o,
    const struct sendmail_env *env)
{
	struct proc_cmd		 cmd;
	struct proc		 p;
	struct reader		 r;
	struct buf		 to, from;
	struct str		 text = STR_INIT;
	enum dsn_status		 status;
	static unsigned char	 tomem[SENDMAIL_BUF], frommem[1024];
	static char		 in[SENDMAIL_READ];
	char			*argv[6];
	char			 st[PROC_STATUS_MAX];
	ssize_t			 n, k;
	size_t			 argc = 0, i;
	int			 wstatus, ex, rc, saved;
	bool			 too_big = false, eof = false;

	argv[argc++] = xstrdup("postdrop");
	if (env->config_dir != NULL) {
		argv[argc++] = xstrdup("-c");
		argv[argc++] = xstrdup(env->config_dir);
	}
	if (o->verbose > 0) {
		argv[argc++] = xstrdup("-v");
	}
	argv[argc] = NULL;
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = env->postdrop;
	cmd.argv = argv;
	cmd.io[0] = PROC_IO_PIPE;
	cmd.io[1] = PROC_IO_PIPE;
	/* postdrop's own complaints reach the user directly */
	cmd.io[2] = PROC_IO_INHERIT;
	rc = proc_spawn(&cmd, &p);
	saved = errno;
	for (i = 0; i < argc; i++) {
		free(argv[i]);
	}
	if (rc == -1) {
		errno = saved;
		log_warn("%s %s", p.failed, env->postdrop);
		return EX_TEMPFAIL;
	}
	buf_init_fd(&to, p.fd[0], tomem, sizeof(tomem), -1);
	memset(&r, 0, sizeof(r));
	r.line_start = true;
	(void)put_envelope(&to, o, env);
	while (!r.done && !too_big && to.error == 0) {
		if ((n = fd_read(0, in, sizeof(in))) == -1) {
			log_warn("read standard input");
			ex = EX_IOERR;
			goto abort;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		for (k = 0; k < n && !r.done; k++) {
			take(&r, in[k], o->dots_ok);
		}
		if (env->size_limit > 0 && r.total > env->size_limit) {
			too_big = true;
		} else if (r.chunk.len >= SUBMIT_CHUNK_MAX) {
			submit_put_content(&to, r.chunk.s, r.chunk.len);
			str_clear(&r.chunk);
		}
	}
	if (eof) {
		/* What the last line left pending. */
		if (r.held_dot && !r.held_cr) {
			r.held_dot = false;
			r.done = true;
		}
		if (r.held_dot) {
			emit(&r, ".", 1);
		}
		if (r.held_cr) {
			emit(&r, "\r", 1);
			r.line_start = false;
		}
		if (!r.line_start && !r.done) {
			emit(&r, "\n", 1);
		}
		if (env->size_limit > 0 && r.total > env->size_limit) {
			too_big = true;
		}
	}
	if (too_big) {
		log_error("message file too big");
		ex = EX_DATAERR;
		goto abort;
	}
	submit_put_content(&to, r.chunk.s, r.chunk.len);
	submit_put_end(&to);
	/*
	 * A write error (EPIPE) means postdrop stopped reading: it has
	 * answered already, or died; the reply says which.
	 */
	(void)buf_flush(&to);
	(void)close(p.fd[0]);
	p.fd[0] = -1;
	buf_init_fd(&from, p.fd[1], frommem, sizeof(frommem), -1);
	(void)submit_get_reply(&from, &status, &text);
	proc_close(&p);
	if (proc_wait(p.pid, &wstatus, -1) == -1) {
		log_warn("wait for postdrop");
	}
	if (status == DSN_OK) {
		log_debug("queued as %s", text.s);
		ex = 0;
	} else {
		if (!(WIFEXITED(wstatus) && (WEXITSTATUS(wstatus) ==
		    EX_TEMPFAIL || WEXITSTATUS(wstatus) == EX_DATAERR ||
		    WEXITSTATUS(wstatus) == EX_NOPERM))) {
			log_warnx("postdrop: %s",
			    proc_status_text(wstatus, st, sizeof(st)));
		}
		log_error("message not queued: %s", text.s);
		ex = exit_for(status, text.s);
	}
	str_free(&text);
	str_free(&r.chunk);
	return ex;

abort:
	/* postdrop sees its input end without E and removes its file. */
	proc_close(&p);
	(void)proc_wait(p.pid, NULL, -1);
	str_free(&text);
	str_free(&r.chunk);
	return ex;
}
