/* SPDX-License-Identifier: ISC */
/*
 * pipe_deliver.c: one pipe job: the message, the command line made from
 * the argv= words, one run of the command for all the job's recipients,
 * one result for each of them.
 *
 * The command line.  Each argv= word is expanded on its own
 * (lib/expand, no filter): whatever an address holds (blanks, quotes,
 * "$(...)", backquotes, ';', a leading '-') ends up inside that one
 * argument, and the command is executed directly, with no shell to
 * reinterpret it.  A word that uses a per-recipient macro (recipient,
 * original_recipient, user, extension, mailbox, domain) becomes one
 * argument per recipient, as in Postfix; with
 * TRANSPORT_destination_recipient_limit = 1 that is one run per
 * recipient.
 *
 * Outcome: exit 0 delivers every recipient; otherwise lib/runcmd judges
 * (sysexits, a leading enhanced status code in the output, the time
 * limit, signals) and every recipient gets that result, with the
 * command's output in the text.  Anything that stops the command from
 * running (queue file, user, working directory) defers.
 */
#include <sys/time.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>		/* snprintf */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "agent.h"
#include "agent_qfile.h"
#include "alloc.h"
#include "conf.h"
#include "expand.h"
#include "log.h"
#include "mbox.h"
#include "pipe.h"
#include "proc.h"
#include "qfile.h"
#include "runcmd.h"
#include "str.h"

/* The per-recipient values of a job. */
struct prcpt {
	struct str	recipient;
	struct str	original;
	struct str	user;
	struct str	extension;
	struct str	domain;
	struct str	mailbox;
};

/* The outcome of a job, for every recipient. */
struct outcome {
	enum dsn_status	 status;
	char		 code[16];
	struct str	 text;
};

static void	set(struct outcome *, enum dsn_status, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static void	lower(char *, size_t);
static void	fold_addr(const struct pipe *, const char *, bool,
		    struct str *);
static bool	word_per_rcpt(const char *);
static void	rcpt_values(const struct pipe *, const struct qfile *,
		    const struct agent_job *, size_t, struct prcpt *);
static void	prcpt_free(struct prcpt *);
static void	make_argv(const struct pipe *, const char *const *,
		    const struct prcpt *, size_t, struct str *, char ***,
		    size_t *);
static void	run(const struct pipe *, const struct agent_job *,
		    const struct qfile *, struct outcome *);

static void
set(struct outcome *o, enum dsn_status status, const char *code,
    const char *fmt, ...)
{
	va_list	ap;

	o->status = status;
	(void)snprintf(o->code, sizeof(o->code), "%s", code);
	str_clear(&o->text);
	va_start(ap, fmt);
	str_vcatf(&o->text, fmt, ap);
	va_end(ap);
}

static void
lower(char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		s[i] = (char)tolower((unsigned char)s[i]);
	}
}

/*
 * An address for the command line: local part lowercased with u, domain
 * with h, local part quoted with q (when quote is true).
 */
static void
fold_addr(const struct pipe *p, const char *addr, bool quote,
    struct str *out)
{
	struct str	 tmp = STR_INIT;
	const char	*at = strrchr(addr, '@');
	size_t		 local = at != NULL ? (size_t)(at - addr) :
			    strlen(addr);

	str_set(&tmp, addr);
	if (p->flags & PIPE_FLAG_u) {
		lower(tmp.s, local);
	}
	if ((p->flags & PIPE_FLAG_h) && at != NULL) {
		lower(tmp.s + local, tmp.len - local);
	}
	if (quote && (p->flags & PIPE_FLAG_q)) {
		addr_quote(tmp.s, tmp.len, out);
	} else {
		str_set(out, str_c(&tmp));
	}
	str_free(&tmp);
}

/* Does the word use a per-recipient macro? */
static bool
word_per_rcpt(const char *w)
{
	static const char *const names[] = { "recipient",
	    "original_recipient", "user", "extension", "mailbox", "domain",
	    NULL };
	const char	*n0;
	size_t		 len, i;

	for (; *w != '\0'; w++) {
		if (*w != '$') {
			continue;
		}
		if (w[1] == '$') {
			w++;
			continue;
		}
		n0 = w + 1;
		if (*n0 == '{') {
			n0++;
		}
		for (len = 0; isalnum((unsigned char)n0[len]) ||
		    n0[len] == '_'; len++) {
			continue;
		}
		for (i = 0; names[i] != NULL; i++) {
			if (strlen(names[i]) == len &&
			    strncmp(names[i], n0, len) == 0) {
				return true;
			}
		}
	}
	return false;
}

static void
rcpt_values(const struct pipe *p, const struct qfile *qf,
    const struct agent_job *job, size_t i, struct prcpt *r)
{
	struct addr_parts	 parts = ADDR_PARTS_INIT;
	struct str		 orig = STR_INIT;
	const char		*addr = job->rcpts[i].address, *at;
	size_t			 qi = job->rcpts[i].index;

	memset(r, 0, sizeof(*r));
	fold_addr(p, addr, true, &r->recipient);
	agent_orig_rcpt(qi < qf->nrcpt ? &qf->rcpts[qi] : NULL, addr, &orig);
	fold_addr(p, orig.s, true, &r->original);
	(void)addr_split_ext(addr, conf_value("recipient_delimiter"),
	    &parts);
	str_set(&r->user, str_c(&parts.user));
	str_set(&r->extension, str_c(&parts.ext));
	str_set(&r->domain, str_c(&parts.domain));
	at = strrchr(addr, '@');
	str_set_mem(&r->mailbox, addr, at != NULL ? (size_t)(at - addr) :
	    strlen(addr));
	if (p->flags & PIPE_FLAG_u) {
		lower(r->user.s, r->user.len);
		lower(r->extension.s, r->extension.len);
		lower(r->mailbox.s, r->mailbox.len);
	}
	if (p->flags & PIPE_FLAG_h) {
		lower(r->domain.s, r->domain.len);
	}
	addr_parts_free(&parts);
	str_free(&orig);
}

static void
prcpt_free(struct prcpt *r)
{
	str_free(&r->recipient);
	str_free(&r->original);
	str_free(&r->user);
	str_free(&r->extension);
	str_free(&r->domain);
	str_free(&r->mailbox);
}

/*
 * The command line: each word expanded with the message's values, and a
 * word with a per-recipient macro once per recipient.  Strings are kept
 * in store (n of them, owned), *argv points into them.
 */
static void
make_argv(const struct pipe *p, const char *const *mvars,
    const struct prcpt *rc, size_t nrc, struct str *store, char ***argv,
    size_t *argc)
{
	const char	*vars[64];
	size_t		 w, r, n = 0, nv, k;

	*argv = xreallocarray(NULL, p->argc * (nrc + 1) + 1, sizeof(char *));
	for (w = 0; w < p->argc; w++) {
		for (r = 0; r < (word_per_rcpt(p->argv[w]) ? nrc : 1); r++) {
			for (nv = 0; mvars[nv] != NULL; nv++) {
				vars[nv] = mvars[nv];
			}
			k = r < nrc ? r : 0;
			vars[nv++] = "recipient";
			vars[nv++] = str_c(&rc[k].recipient);
			vars[nv++] = "original_recipient";
			vars[nv++] = str_c(&rc[k].original);
			vars[nv++] = "user";
			vars[nv++] = str_c(&rc[k].user);
			vars[nv++] = "extension";
			vars[nv++] = str_c(&rc[k].extension);
			vars[nv++] = "mailbox";
			vars[nv++] = str_c(&rc[k].mailbox);
			vars[nv++] = "domain";
			vars[nv++] = str_c(&rc[k].domain);
			vars[nv] = NULL;
			memset(&store[n], 0, sizeof(store[n]));
			/* an unclosed "${" is left as it is */
			if (expand_vars(p->argv[w], strlen(p->argv[w]), vars,
			    NULL, &store[n]) == -1) {
				str_set(&store[n], p->argv[w]);
			}
			(*argv)[n] = store[n].s;
			n++;
		}
	}
	(*argv)[n] = NULL;
	*argc = n;
}

/* Run the command for the job; the outcome for all its recipients. */
static void
run(const struct pipe *p, const struct agent_job *job,
    const struct qfile *qf, struct outcome *o)
{
	struct prcpt		*rc;
	struct str		*store, head = STR_INIT, sender = STR_INIT;
	struct str		 nexthop = STR_INIT, size = STR_INIT;
	struct str		 shown = STR_INIT, text = STR_INIT;
	struct str		 tmp = STR_INIT;
	struct proc_env		 pe = PROC_ENV_INIT;
	struct runcmd		 cmd;
	struct runcmd_result	 res = RUNCMD_RESULT_INIT;
	const char		*mvars[32], *failed, *v;
	char			**argv = NULL;
	char			 code[16];
	enum dsn_status		 status;
	size_t			 i, nv = 0, argc = 0;

	rc = xreallocarray(NULL, job->nrcpt, sizeof(*rc));
	for (i = 0; i < job->nrcpt; i++) {
		rcpt_values(p, qf, job, i, &rc[i]);
	}
	store = xreallocarray(NULL, p->argc * (job->nrcpt + 1) + 1,
	    sizeof(*store));
	/* the message's values */
	if (*qf->sender == '\0') {
		str_set(&sender, str_c(&p->null_sender));
		if (sender.len > 0 && (p->flags & PIPE_FLAG_q)) {
			addr_quote(sender.s, sender.len, &tmp);
			str_set(&sender, str_c(&tmp));
		}
	} else {
		/* not case folded: u and h are for recipients */
		if (p->flags & PIPE_FLAG_q) {
			addr_quote(qf->sender, strlen(qf->sender), &sender);
		} else {
			str_set(&sender, qf->sender);
		}
	}
	str_set(&nexthop, str_c(&job->nexthop));
	if (p->flags & PIPE_FLAG_h) {
		lower(nexthop.s, nexthop.len);
	}
	str_catf(&size, "%lld", (long long)qf->content_len);
	mvars[nv++] = "sender";
	mvars[nv++] = str_c(&sender);
	mvars[nv++] = "nexthop";
	mvars[nv++] = str_c(&nexthop);
	mvars[nv++] = "queue_id";
	mvars[nv++] = str_c(&job->queue_id);
	mvars[nv++] = "size";
	mvars[nv++] = str_c(&size);
	mvars[nv++] = "client_address";
	mvars[nv++] = (v = qfile_attr(qf, "client_address")) ? v : "";
	mvars[nv++] = "client_hostname";
	mvars[nv++] = (v = qfile_attr(qf, "client_name")) ? v : "";
	mvars[nv++] = "client_helo";
	mvars[nv++] = (v = qfile_attr(qf, "helo_name")) ? v : "";
	mvars[nv++] = "client_protocol";
	mvars[nv++] = (v = qfile_attr(qf, "protocol")) ? v : "";
	mvars[nv++] = "sasl_username";
	mvars[nv++] = (v = qfile_attr(qf, "sasl_username")) ? v : "";
	mvars[nv++] = "sasl_method";
	mvars[nv++] = (v = qfile_attr(qf, "sasl_method")) ? v : "";
	mvars[nv++] = "sasl_sender";
	mvars[nv++] = (v = qfile_attr(qf, "sasl_sender")) ? v : "";
	mvars[nv] = NULL;
	make_argv(p, mvars, rc, job->nrcpt, store, &argv, &argc);

	/* the lines before the message, in Postfix's order */
	if (p->flags & PIPE_FLAG_F) {
		mbox_from_line(&head, *qf->sender == '\0' ?
		    str_c(&p->null_sender) : qf->sender, time(NULL));
	}
	if (p->flags & PIPE_FLAG_R) {
		addr_quote(*qf->sender == '\0' ? str_c(&p->null_sender) :
		    qf->sender, *qf->sender == '\0' ? p->null_sender.len :
		    strlen(qf->sender), &tmp);
		str_catf(&head, "Return-Path: <%s>\n", str_c(&tmp));
	}
	if (p->flags & PIPE_FLAG_O) {
		agent_orig_rcpt(job->rcpts[0].index < qf->nrcpt ?
		    &qf->rcpts[job->rcpts[0].index] : NULL,
		    job->rcpts[0].address, &text);
		addr_quote(text.s, text.len, &tmp);
		str_catf(&head, "X-Original-To: %s\n", str_c(&tmp));
	}
	if (p->flags & PIPE_FLAG_D) {
		addr_quote(job->rcpts[0].address,
		    strlen(job->rcpts[0].address), &tmp);
		lower(tmp.s, tmp.len);
		str_catf(&head, "Delivered-To: %s\n", str_c(&tmp));
	}

	(void)proc_env_default(&pe);
	(void)proc_env_import(&pe, "TZ");
	(void)proc_env_import(&pe, "LANG");
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = argv[0];
	cmd.argv = argv;
	cmd.envp = proc_env_vector(&pe);
	cmd.cwd = p->directory.len > 0 ? p->directory.s : p->queue_directory;
	cmd.setid = p->root;
	cmd.uid = p->uid;
	cmd.gid = p->gid;
	cmd.head = head.s;
	cmd.headlen = head.len;
	cmd.src = qf->fd;
	cmd.off = qf->content_offset;
	cmd.len = qf->content_len;
	/* as Postfix: every line of the message ends with eol */
	cmd.flags = RUNCMD_FINAL_EOL |
	    ((p->flags & PIPE_FLAG_DOT) ? RUNCMD_DOT : 0) |
	    ((p->flags & PIPE_FLAG_GT) ? RUNCMD_QUOTE_FROM : 0);
	cmd.blank = (p->flags & PIPE_FLAG_B) != 0;
	cmd.eol = p->eol.s;
	cmd.time_limit = p->time_limit;
	cmd.output_max = PIPE_OUTPUT_MAX;
	runcmd_printable(&shown, argv[0], strlen(argv[0]));
	if (runcmd_run(&cmd, &res, &failed) == -1) {
		if (strcmp(failed, "chdir") == 0) {
			set(o, DSN_TEMP, "4.3.0", "cannot run command \"%s\": "
			    "cannot change to directory %s: %s", shown.s,
			    cmd.cwd, strerror(errno));
		} else {
			set(o, DSN_TEMP, "4.3.0", "cannot run command \"%s\": "
			    "%s: %s", shown.s, failed, strerror(errno));
		}
		goto out;
	}
	runcmd_judge(&res, shown.s, &status, code, &text);
	if (status == DSN_OK) {
		str_clear(&tmp);
		runcmd_printable(&tmp, res.output.s == NULL ? "" :
		    res.output.s, res.output.len);
		set(o, DSN_OK, "2.0.0", "delivered via %s service%s%s%s",
		    str_c(&p->service), tmp.len > 0 ? " (" : "", str_c(&tmp),
		    tmp.len > 0 ? ")" : "");
	} else {
		set(o, status, code, "%s", str_c(&text));
	}
out:
	for (i = 0; i < argc; i++) {
		str_free(&store[i]);
	}
	for (i = 0; i < job->nrcpt; i++) {
		prcpt_free(&rc[i]);
	}
	free(store);
	free(rc);
	free(argv);
	proc_env_free(&pe);
	runcmd_result_free(&res);
	str_free(&head);
	str_free(&sender);
	str_free(&nexthop);
	str_free(&size);
	str_free(&shown);
	str_free(&text);
	str_free(&tmp);
}

void
pipe_job(const struct agent_job *job, struct buf *out, void *ctx)
{
	static const char *const word[] = { "sent", "deferred", "bounced" };
	const struct pipe	*p = ctx;
	struct qfile		 qf = QFILE_INIT;
	struct outcome		 o;
	struct str		 why = STR_INIT, addr = STR_INIT;
	size_t			 i;

	memset(&o, 0, sizeof(o));
	set(&o, DSN_TEMP, "4.3.0", "delivery not attempted");
	if (agent_qfile_open(p->queue_directory, job, &qf, &why) == -1) {
		set(&o, DSN_TEMP, "4.3.0", "%s", why.s);
	} else if (p->size_limit > 0 &&
	    (unsigned long long)qf.content_len > p->size_limit) {
		set(&o, DSN_PERM, "5.2.3", "message too large");
	} else if (p->argc * (job->nrcpt + 1) > PIPE_ARGS_MAX) {
		set(&o, DSN_TEMP, "4.3.5", "mail system configuration error: "
		    "more than %d command arguments: lower "
		    "%s_destination_recipient_limit", PIPE_ARGS_MAX,
		    str_c(&p->service));
	} else if ((p->flags & (PIPE_FLAG_D | PIPE_FLAG_O)) &&
	    job->nrcpt > 1) {
		log_warnx("%s: flags D and O need "
		    "%s_destination_recipient_limit = 1",
		    str_c(&job->queue_id), str_c(&p->service));
		set(&o, DSN_TEMP, "4.3.5", "mail system configuration error");
	} else if (job->nrcpt > 0) {
		addr_quote(job->rcpts[0].address,
		    strlen(job->rcpts[0].address), &addr);
		if ((p->flags & PIPE_FLAG_D) &&
		    agent_delivered_seen(&qf, str_c(&addr))) {
			set(&o, DSN_PERM, "5.4.6", "mail forwarding loop for "
			    "%s", job->rcpts[0].address);
		} else {
			run(p, job, &qf, &o);
		}
	}
	for (i = 0; i < job->nrcpt; i++) {
		log_debug("%s: to=<%s>, relay=%s, dsn=%s, status=%s (%s)",
		    str_c(&job->queue_id), job->rcpts[i].address,
		    str_c(&p->service), o.code, word[o.status],
		    str_c(&o.text));
		agent_put_result(out, job->rcpts[i].index, o.status, o.code,
		    str_c(&o.text));
	}
	qfile_close(&qf);
	str_free(&o.text);
	str_free(&why);
	str_free(&addr);
}
