/* SPDX-License-Identifier: ISC */
/*
 * bounce.c: who gets which notice about one message, as Postfix's
 * bounce(8) decides it (docs/bounce.8).
 *
 * After the last attempt (no recipient pending): a failure notice to the
 * sender for the failed recipients (status F, a 5.x.x line in bounce/ID)
 * that asked for one (NOTIFY not given, or with FAILURE), and a success
 * notice for the delivered recipients (status D, a 2.x.x line) with
 * NOTIFY=SUCCESS.  With -d: a delay warning for the recipients still
 * pending and not yet warned (status P, reason in defer/ID) whose NOTIFY
 * is not given or has DELAY.
 *
 * Never a notice to the null sender: a failed notice is a "double
 * bounce", reported to 2bounce_notice_recipient when notify_classes has
 * 2bounce (or bounce), else dropped with a log line.  Mail from
 * double_bounce_sender (the sender of postmaster notices) is never
 * reported at all.  Postmaster copies (classes bounce and delay) are
 * sent from double_bounce_sender, with the original's headers only.
 *
 * The sender's notices decide the exit status: one that cleanup did not
 * take (no answer, TEMP) makes bounce exit EX_TEMPFAIL and qmgr run it
 * again later, which may send a notice twice but never loses one.  A
 * postmaster copy that fails is only logged.  A notice that cleanup
 * refuses for good (PERM) is logged and given up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "alloc.h"
#include "bounce.h"
#include "bounds.h"
#include "log.h"

/* The outcome of one notice. */
enum sent {
	SENT,		/* cleanup took it (or refused it for good) */
	RETRY,		/* cleanup did not take it: try again later */
};

/* What one run works on. */
struct run {
	const struct bounce_config	*cfg;
	const char			*id;
	struct qfile			 qf;
	struct bounce_log		 log;
};

static bool	is_double_bounce_sender(const struct bounce_config *,
		    const char *);
static void	qualify(const struct bounce_config *, const char *,
		    struct str *);
static int	read_original(const struct qfile *, bool, struct str *);
static enum sent send_notice(struct run *, enum bounce_kind, bool,
		    const char *, const char *, const struct bounce_rcpt *,
		    size_t, const char *);
static int	run_final(struct run *);
static int	run_delay(struct run *);

/*
 * True when sender is double_bounce_sender: equal to it when it has a
 * domain, else its local part with the domain $myorigin or $myhostname
 * (or no domain at all), ignoring case.
 */
static bool
is_double_bounce_sender(const struct bounce_config *cfg, const char *sender)
{
	const char	*dbs = cfg->double_bounce_sender, *domain;
	size_t		 n;

	if (*sender == '\0' || *dbs == '\0') {
		return false;
	}
	if (strchr(dbs, '@') != NULL) {
		return strcasecmp(sender, dbs) == 0;
	}
	if ((domain = addr_domain(sender)) == NULL) {
		return strcasecmp(sender, dbs) == 0;
	}
	n = (size_t)(domain - 1 - sender);
	return n == strlen(dbs) && strncasecmp(sender, dbs, n) == 0 &&
	    (addr_domain_eq(domain, cfg->myorigin) ||
	    addr_domain_eq(domain, cfg->myhostname));
}

/* addr, with @$myorigin added when it has no domain, into out. */
static void
qualify(const struct bounce_config *cfg, const char *addr, struct str *out)
{
	str_set(out, addr);
	if (*addr != '\0' && strchr(addr, '@') == NULL) {
		str_catf(out, "@%s", cfg->myorigin);
	}
}

/*
 * Read the original into out: its whole content (full), else its header
 * section, at most HEADER_SECTION_MAX bytes of it (cut after a line).
 * Returns 0, or -1 with errno.
 */
static int
read_original(const struct qfile *qf, bool full, struct str *out)
{
	char		*nl;
	off_t		 want, done = 0;
	ssize_t		 n;

	str_clear(out);
	want = full ? qf->content_len : qf->header_len;
	if (!full && want > HEADER_SECTION_MAX) {
		want = HEADER_SECTION_MAX;
	}
	if (want <= 0) {
		return 0;
	}
	str_reserve(out, (size_t)want);
	while (done < want) {
		n = pread(qf->fd, out->s + done, (size_t)(want - done),
		    qf->content_offset + done);
		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			if (n == 0) {
				errno = EIO;
			}
			str_clear(out);
			return -1;
		}
		done += n;
	}
	out->len = (size_t)want;
	out->s[out->len] = '\0';
	if (!full && want < qf->header_len &&
	    (nl = memrchr(out->s, '\n', out->len)) != NULL) {
		str_truncate(out, (size_t)(nl - out->s + 1));
	}
	return 0;
}

/*
 * Compose and submit one notice of kind about the recipients rcpts, to
 * to, from the envelope sender from ("" for the null sender), and log it
 * as "ID: WHO KIND notification: NEWID".  full asks for the whole
 * original (given up for the header section above bounce_size_limit).
 */
static enum sent
send_notice(struct run *r, enum bounce_kind kind, bool full,
    const char *who, const char *to, const struct bounce_rcpt *rcpts,
    size_t nrcpt, const char *from)
{
	static const char *const	 what[] = { "non-delivery",
	    "delay", "delivery status", "delivery status" };
	const struct bounce_config	*cfg = r->cfg;
	struct bounce_notice		 n;
	struct str			 orig = STR_INIT, msg = STR_INIT;
	struct str			 text = STR_INIT, rcpt = STR_INIT;
	struct str			 sender = STR_INIT;
	enum dsn_status			 status;
	enum sent			 out = RETRY;
	bool				 eightbit;

	if (full && (unsigned long long)r->qf.content_len >
	    cfg->bounce_size_limit) {
		log_info("%s: message larger than bounce_size_limit=%llu: "
		    "returning its headers only", r->id,
		    cfg->bounce_size_limit);
		full = false;
	}
	if (read_original(&r->qf, full, &orig) == -1) {
		log_warn("%s: read queue file", r->id);
		goto out;
	}
	qualify(cfg, to, &rcpt);
	qualify(cfg, from, &sender);
	memset(&n, 0, sizeof(n));
	n.kind = kind;
	n.postmaster = strcmp(who, "postmaster") == 0;
	n.to = rcpt.s;
	n.id = r->id;
	n.qf = &r->qf;
	n.rcpts = rcpts;
	n.nrcpt = nrcpt;
	n.full = full;
	n.original = str_c(&orig);
	n.original_len = orig.len;
	bounce_compose(cfg, &n, time(NULL), &msg, &eightbit);
	if (bounce_submit(cfg, str_c(&sender), rcpt.s, &msg, eightbit,
	    &status, &text) == -1) {
		log_warnx("%s: %s %s notification not sent: %s", r->id, who,
		    what[kind], text.s);
		goto out;
	}
	switch (status) {
	case DSN_OK:
		log_info("%s: %s %s notification: %s", r->id, who, what[kind],
		    text.s);
		out = SENT;
		break;
	case DSN_TEMP:
		log_warnx("%s: %s %s notification not sent: cleanup: %s",
		    r->id, who, what[kind], text.s);
		break;
	case DSN_PERM:
		log_warnx("%s: %s %s notification refused by cleanup, "
		    "given up: %s", r->id, who, what[kind], text.s);
		out = SENT;
		break;
	}
out:
	str_free(&orig);
	str_free(&msg);
	str_free(&text);
	str_free(&rcpt);
	str_free(&sender);
	return out;
}

/*
 * sendmail -bv: one report to the sender on every recipient that qmgr
 * verified (D: deliverable, F: undeliverable), whatever their NOTIFY;
 * never to the null sender, never a copy to the postmaster.
 */
static int
run_verify(struct run *r)
{
	const struct qfile	*qf = &r->qf;
	const struct bounce_line *line;
	struct bounce_rcpt	*v, *b;
	size_t			 nv = 0, i;
	int			 rc = 0;

	v = xreallocarray(NULL, qf->nrcpt + 1, sizeof(*v));
	for (i = 0; i < qf->nrcpt; i++) {
		line = bounce_log_find(&r->log, qf->rcpts[i].address);
		if (line == NULL || (qf->rcpts[i].status != QFILE_DONE &&
		    qf->rcpts[i].status != QFILE_FAILED)) {
			continue;
		}
		b = &v[nv++];
		b->address = qf->rcpts[i].address;
		b->orcpt = qf->rcpts[i].orcpt;
		b->code = qf->rcpts[i].status == QFILE_DONE ?
		    (dsn_code_valid(line->code, DSN_OK) ? line->code : "2.0.0") :
		    (dsn_code_valid(line->code, DSN_PERM) ? line->code :
		    "5.0.0");
		b->text = line->text;
		b->relayed = false;
	}
	if (nv == 0) {
		log_info("%s: address verification: nothing to report", r->id);
	} else if (qf->sender[0] == '\0' ||
	    is_double_bounce_sender(r->cfg, qf->sender)) {
		log_info("%s: address verification for the null sender: no "
		    "report", r->id);
	} else if (send_notice(r, BOUNCE_VERIFY, false, "sender", qf->sender,
	    v, nv, "") == RETRY) {
		rc = EX_TEMPFAIL;
	}
	free(v);
	return rc;
}

/* The failure and success notices after the last attempt. */
static int
run_final(struct run *r)
{
	const struct bounce_config	*cfg = r->cfg;
	const struct qfile		*qf = &r->qf;
	const struct qfile_rcpt		*q;
	const struct bounce_line	*line;
	struct bounce_rcpt		*failed, *asked, *success, *b;
	const char			*ret;
	size_t				 nfailed = 0, nasked = 0, nsuccess = 0;
	size_t				 i;
	bool				 full;
	int				 rc = 0;

	if (bounce_log_read(cfg->queue_dir, "bounce", r->id,
	    &r->log) == -1) {
		log_warn("%s: read bounce/%s", r->id, r->id);
		return EX_TEMPFAIL;
	}
	if (qfile_flags_have(qfile_attr(qf, "flags"), "verify")) {
		return run_verify(r);
	}
	failed = xreallocarray(NULL, qf->nrcpt + 1, sizeof(*failed));
	asked = xreallocarray(NULL, qf->nrcpt + 1, sizeof(*asked));
	success = xreallocarray(NULL, qf->nrcpt + 1, sizeof(*success));
	for (i = 0; i < qf->nrcpt; i++) {
		q = &qf->rcpts[i];
		line = bounce_log_find(&r->log, q->address);
		if (q->status == QFILE_FAILED) {
			b = &failed[nfailed++];
			b->address = q->address;
			b->orcpt = q->orcpt;
			b->code = "5.0.0";
			b->text = NULL;
			b->relayed = false;
			if (line == NULL) {
				log_warnx("%s: <%s> failed, but bounce/%s has "
				    "no reason", r->id, q->address, r->id);
			} else {
				if (dsn_code_valid(line->code, DSN_PERM)) {
					b->code = line->code;
				}
				b->text = line->text;
			}
			if (q->notify == 0 ||
			    (q->notify & QFILE_NOTIFY_FAILURE) != 0) {
				asked[nasked++] = *b;
			}
		} else if (q->status == QFILE_DONE && line != NULL &&
		    dsn_code_valid(line->code, DSN_OK) &&
		    (q->notify & QFILE_NOTIFY_SUCCESS) != 0) {
			b = &success[nsuccess++];
			b->address = q->address;
			b->orcpt = q->orcpt;
			b->code = line->code;
			b->text = line->text;
			b->relayed = line->relayed;
		}
	}
	if (is_double_bounce_sender(cfg, qf->sender)) {
		if (nfailed > 0 || nsuccess > 0) {
			log_info("%s: sender <%s> is double_bounce_sender: "
			    "no notification", r->id, qf->sender);
		}
		goto out;
	}
	if (qf->sender[0] == '\0') {
		/* A notice that failed: the double bounce. */
		if (nfailed == 0) {
			goto out;
		}
		if ((cfg->classes & BOUNCE_CLASS_2BOUNCE) == 0) {
			log_info("%s: undeliverable notification from the "
			    "null sender discarded (notify_classes has no "
			    "2bounce)", r->id);
			goto out;
		}
		if (send_notice(r, BOUNCE_FAILURE, false, "postmaster",
		    cfg->twobounce_notice_recipient, failed, nfailed,
		    cfg->double_bounce_sender) == RETRY) {
			rc = EX_TEMPFAIL;
		}
		goto out;
	}
	if (nasked > 0) {
		ret = qfile_attr(qf, "ret");
		full = ret == NULL || strcasecmp(ret, "HDRS") != 0;
		if (send_notice(r, BOUNCE_FAILURE, full, "sender", qf->sender,
		    asked, nasked, "") == RETRY) {
			rc = EX_TEMPFAIL;
			goto out;
		}
	} else if (nfailed > 0) {
		log_info("%s: sender non-delivery notification: none "
		    "requested (NOTIFY)", r->id);
	}
	if (nfailed > 0 && (cfg->classes & BOUNCE_CLASS_BOUNCE) != 0) {
		(void)send_notice(r, BOUNCE_FAILURE, false, "postmaster",
		    cfg->bounce_notice_recipient, failed, nfailed,
		    cfg->double_bounce_sender);
	}
	if (nsuccess > 0 && send_notice(r, BOUNCE_SUCCESS, false, "sender",
	    qf->sender, success, nsuccess, "") == RETRY) {
		rc = EX_TEMPFAIL;
	}
	if (nfailed == 0 && nsuccess == 0) {
		log_info("%s: no failed or reported recipient: no "
		    "notification", r->id);
	}
out:
	free(failed);
	free(asked);
	free(success);
	return rc;
}

/* The delay warning. */
static int
run_delay(struct run *r)
{
	const struct bounce_config	*cfg = r->cfg;
	const struct qfile		*qf = &r->qf;
	const struct qfile_rcpt		*q;
	const struct bounce_line	*line;
	struct bounce_rcpt		*all, *asked, *b;
	size_t				 nall = 0, nasked = 0, i;
	int				 rc = 0;

	if (bounce_log_read(cfg->queue_dir, "defer", r->id, &r->log) == -1) {
		log_warn("%s: read defer/%s", r->id, r->id);
		return EX_TEMPFAIL;
	}
	all = xreallocarray(NULL, qf->nrcpt + 1, sizeof(*all));
	asked = xreallocarray(NULL, qf->nrcpt + 1, sizeof(*asked));
	for (i = 0; i < qf->nrcpt; i++) {
		q = &qf->rcpts[i];
		if (q->status != QFILE_PENDING) {
			continue;
		}
		line = bounce_log_find(&r->log, q->address);
		b = &all[nall++];
		b->address = q->address;
		b->orcpt = q->orcpt;
		b->code = "4.0.0";
		b->text = NULL;
		b->relayed = false;
		if (line != NULL) {
			if (dsn_code_valid(line->code, DSN_TEMP)) {
				b->code = line->code;
			}
			b->text = line->text;
		}
		if (q->notify == 0 || (q->notify & QFILE_NOTIFY_DELAY) != 0) {
			asked[nasked++] = *b;
		}
	}
	if (nall == 0) {
		log_info("%s: no recipient pending without a delay notice: "
		    "no notification", r->id);
		goto out;
	}
	if (is_double_bounce_sender(cfg, qf->sender)) {
		log_info("%s: sender <%s> is double_bounce_sender: no "
		    "notification", r->id, qf->sender);
		goto out;
	}
	if (qf->sender[0] == '\0') {
		log_info("%s: sender delay notification: none for the null "
		    "sender", r->id);
	} else if (nasked == 0) {
		log_info("%s: sender delay notification: none requested "
		    "(NOTIFY)", r->id);
	} else if (send_notice(r, BOUNCE_DELAY, false, "sender", qf->sender,
	    asked, nasked, "") == RETRY) {
		rc = EX_TEMPFAIL;
		goto out;
	}
	if ((cfg->classes & BOUNCE_CLASS_DELAY) != 0) {
		(void)send_notice(r, BOUNCE_DELAY, false, "postmaster",
		    cfg->delay_notice_recipient, all, nall,
		    cfg->double_bounce_sender);
	}
out:
	free(all);
	free(asked);
	return rc;
}

int
bounce_run(const struct bounce_config *cfg, const char *id, bool delay)
{
	struct run	r;
	struct str	path = STR_INIT;
	int		rc;

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.id = id;
	r.qf = (struct qfile)QFILE_INIT;
	r.log = (struct bounce_log)BOUNCE_LOG_INIT;
	str_catf(&path, "%s/%s/%s", cfg->queue_dir, QFILE_ACTIVE, id);
	if (qfile_open(path.s, O_RDONLY, &r.qf) == -1) {
		rc = errno == EBADMSG ? EX_DATAERR : errno == ENOENT ?
		    EX_NOINPUT : EX_TEMPFAIL;
		log_warnx("%s: %s/%s: %s", id, QFILE_ACTIVE, id,
		    str_c(&r.qf.error));
		goto out;
	}
	rc = delay ? run_delay(&r) : run_final(&r);
out:
	qfile_close(&r.qf);
	bounce_log_free(&r.log);
	str_free(&path);
	return rc;
}
