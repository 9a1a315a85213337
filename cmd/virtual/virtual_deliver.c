/* SPDX-License-Identifier: ISC */
/*
 * virtual_deliver.c: virtual's job loop and the lookups of each
 * recipient (see virtual.h): mailbox path, uid, gid, the checks Postfix
 * makes on them, the Return-Path / X-Original-To / Delivered-To lines,
 * loop detection, then the delivery (virtual_mailbox.c).
 *
 * A recipient whose address is in no virtual_mailbox_maps entry (nor a
 * catch-all) bounces, 5.1.1 'unknown user: "ADDR"'.  Everything else
 * that goes wrong before the delivery (a table that cannot be read, no
 * uid or gid, a uid below virtual_minimum_uid, a path that leaves the
 * base) is a configuration error: it defers (4.3.0 or 4.3.5) with a
 * text that says what to fix, and a warning is logged, so no mail is
 * returned for an administrator's mistake.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>		/* snprintf */
#include <string.h>

#include "addr.h"
#include "agent.h"
#include "agent_qfile.h"
#include "log.h"
#include "map.h"
#include "qfile.h"
#include "scan.h"
#include "str.h"
#include "virtual.h"

static void	lower(struct str *);
static int	lookup_id(const struct virtual *, struct map_list *,
		    const char *, const char *, const char *,
		    unsigned long long *, struct virtual_status *);
static bool	path_ok(const char *);
static void	recipient(const struct virtual *, const struct qfile *,
		    const struct agent_job *, size_t,
		    struct virtual_status *);

void
virtual_status_set(struct virtual_status *st, enum dsn_status status,
    const char *code, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	st->status = status;
	n = snprintf(st->code, sizeof(st->code), "%s", code);
	if (n < 0 || (size_t)n >= sizeof(st->code)) {
		panic("virtual_status_set: code %s too long", code);
	}
	str_clear(&st->text);
	va_start(ap, fmt);
	str_vcatf(&st->text, fmt, ap);
	va_end(ap);
}

static void
lower(struct str *s)
{
	size_t	i;

	for (i = 0; i < s->len; i++) {
		s->s[i] = (char)tolower((unsigned char)s->s[i]);
	}
}

/*
 * A uid or gid for key (the lowercased address) from maps (parameter
 * param): 0 with *id, or -1 with a deferral in st.
 */
static int
lookup_id(const struct virtual *v, struct map_list *maps, const char *param,
    const char *key, const char *address, unsigned long long *id,
    struct virtual_status *st)
{
	struct str	value = STR_INIT, err = STR_INIT;
	enum map_result	r;
	int		rc = -1;

	r = map_lookup_addr(maps, key, v->recipient_delimiter, 0, &value,
	    NULL, &err);
	if (r == MAP_ERROR) {
		virtual_status_set(st, DSN_TEMP, "4.3.0", "%s: %s", param,
		    str_c(&err));
	} else if (r == MAP_NOTFOUND) {
		log_warnx("recipient %s: not found in %s", address, param);
		virtual_status_set(st, DSN_TEMP, "4.3.5", "mail system "
		    "configuration error: recipient %s: not found in %s",
		    address, param);
	} else if (scan_uint(value.s, 0x7fffffffULL, id) == -1) {
		log_warnx("recipient %s: bad number \"%s\" in %s", address,
		    value.s, param);
		virtual_status_set(st, DSN_TEMP, "4.3.5", "mail system "
		    "configuration error: recipient %s: bad number in %s",
		    address, param);
	} else {
		rc = 0;
	}
	str_free(&value);
	str_free(&err);
	return rc;
}

/* A mailbox path from the map: relative, no "..", no control bytes. */
static bool
path_ok(const char *p)
{
	const char	*c;
	size_t		 n;

	if (*p == '\0' || *p == '/') {
		return false;
	}
	for (c = p; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			return false;
		}
	}
	for (c = p; *c != '\0'; c += n + (c[n] == '/')) {
		n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			return false;
		}
	}
	return true;
}

/* Deliver to recipient i of job; the outcome goes to st. */
static void
recipient(const struct virtual *v, const struct qfile *qf,
    const struct agent_job *job, size_t i, struct virtual_status *st)
{
	const char		*address = job->rcpts[i].address;
	size_t			 qi = job->rcpts[i].index;
	struct virtual_box	 b;
	struct str		 key = STR_INIT, rel = STR_INIT;
	struct str		 err = STR_INIT, head = STR_INIT;
	struct str		 quoted = STR_INIT, orig = STR_INIT;
	unsigned long long	 uid, gid;
	enum map_result		 r;

	if (v->maps_error.len > 0) {
		virtual_status_set(st, DSN_TEMP, "4.3.0", "%s",
		    v->maps_error.s);
		goto out;
	}
	str_set(&key, address);
	lower(&key);
	r = map_lookup_addr(v->mailbox_maps, key.s, v->recipient_delimiter,
	    0, &rel, NULL, &err);
	if (r == MAP_ERROR) {
		virtual_status_set(st, DSN_TEMP, "4.3.0",
		    "virtual_mailbox_maps: %s", str_c(&err));
		goto out;
	}
	if (r == MAP_NOTFOUND) {
		virtual_status_set(st, DSN_PERM, "5.1.1",
		    "unknown user: \"%s\"", key.s);
		goto out;
	}
	if (lookup_id(v, v->uid_maps, "virtual_uid_maps", key.s, address,
	    &uid, st) == -1 ||
	    lookup_id(v, v->gid_maps, "virtual_gid_maps", key.s, address,
	    &gid, st) == -1) {
		goto out;
	}
	if (uid < v->minimum_uid) {
		log_warnx("recipient %s: bad uid %llu in virtual_uid_maps "
		    "(below virtual_minimum_uid %llu)", address, uid,
		    v->minimum_uid);
		virtual_status_set(st, DSN_TEMP, "4.3.5", "mail system "
		    "configuration error: recipient %s: uid %llu is below "
		    "virtual_minimum_uid %llu", address, uid,
		    v->minimum_uid);
		goto out;
	}
	if (!path_ok(str_c(&rel))) {
		log_warnx("recipient %s: bad mailbox path \"%s\" in "
		    "virtual_mailbox_maps", address, str_c(&rel));
		virtual_status_set(st, DSN_TEMP, "4.3.5", "mail system "
		    "configuration error: recipient %s: mailbox path not "
		    "below virtual_mailbox_base", address);
		goto out;
	}
	/* Postfix's lines, in its order; Delivered-To lowercased */
	addr_quote(key.s, key.len, &quoted);
	if (agent_delivered_seen(qf, str_c(&quoted))) {
		virtual_status_set(st, DSN_PERM, "5.4.6",
		    "mail forwarding loop for %s", address);
		goto out;
	}
	addr_quote(qf->sender, strlen(qf->sender), &orig);
	str_catf(&head, "Return-Path: <%s>\n", str_c(&orig));
	if (v->enable_original_recipient) {
		agent_orig_rcpt(qi < qf->nrcpt ? &qf->rcpts[qi] : NULL,
		    address, &err);
		addr_quote(err.s, err.len, &orig);
		str_catf(&head, "X-Original-To: %s\n", str_c(&orig));
	}
	str_catf(&head, "Delivered-To: %s\n", str_c(&quoted));
	memset(&b, 0, sizeof(b));
	b.address = address;
	b.rel = rel.s;
	b.maildir = rel.s[rel.len - 1] == '/';
	b.uid = (uid_t)uid;
	b.gid = (gid_t)gid;
	b.qf = qf;
	b.head = &head;
	virtual_mailbox(v, &b, st);
out:
	str_free(&key);
	str_free(&rel);
	str_free(&err);
	str_free(&head);
	str_free(&quoted);
	str_free(&orig);
}

void
virtual_job(const struct agent_job *job, struct buf *out, void *ctx)
{
	static const char *const word[] = { "sent", "deferred", "bounced" };
	const struct virtual	*v = ctx;
	struct qfile		 qf = QFILE_INIT;
	struct virtual_status	 st;
	struct str		 why = STR_INIT;
	size_t			 i;
	bool			 opened;

	memset(&st, 0, sizeof(st));
	opened = agent_qfile_open(v->queue_directory, job, &qf, &why) == 0;
	for (i = 0; i < job->nrcpt; i++) {
		virtual_status_set(&st, DSN_TEMP, "4.3.0",
		    "delivery not attempted");
		if (!opened) {
			virtual_status_set(&st, DSN_TEMP, "4.3.0", "%s",
			    why.s);
		} else if (job->rcpts[i].index >= qf.nrcpt) {
			virtual_status_set(&st, DSN_TEMP, "4.3.0",
			    "recipient %zu is not in the queue file",
			    job->rcpts[i].index);
		} else {
			recipient(v, &qf, job, i, &st);
		}
		/* qmgr logs the result; this copy is for -v */
		log_debug("%s: to=<%s>, relay=virtual, dsn=%s, status=%s "
		    "(%s)", str_c(&job->queue_id), job->rcpts[i].address,
		    st.code, word[st.status], str_c(&st.text));
		agent_put_result(out, job->rcpts[i].index, st.status, st.code,
		    str_c(&st.text));
	}
	qfile_close(&qf);
	str_free(&st.text);
	str_free(&why);
}
