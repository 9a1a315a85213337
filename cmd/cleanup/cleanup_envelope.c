/* SPDX-License-Identifier: ISC */
/*
 * cleanup_envelope.c: the envelope records of a submission (F, S, A, R)
 * and the final envelope that goes into the queue file.
 *
 * Records are only collected while they arrive; the envelope is rewritten
 * and written when the header section has ended (cleanup_message.c),
 * because sendmail -t adds recipients from the headers, and the queue
 * file needs every recipient before the content (docs/queue.5).  With F
 * early-id the sender alone is rewritten, and the queue file begun with
 * it, right after the S record (cleanup_envelope_begin), so that the ID
 * is known early; the recipients still wait for the header section.
 *
 * What is refused, and how:
 *	a bad F word, attribute name or DSN field	TEMP 4.3.0 (the
 *		submitter is broken; the message itself may be fine)
 *	an empty recipient				PERM 5.1.3
 *	an address that begins with '-' (unless allow_min_user)
 *							PERM 5.1.7/5.1.3
 *	no recipient left				PERM 5.1.3
 *	more than QFILE_RCPT_MAX recipients		PERM 5.5.3
 * CR, LF and NUL cannot reach an envelope field: submit_get refuses them
 * in records, addresses from headers are parsed by addr_list_parse, which
 * never returns control characters, and qfile_add_rcpt checks again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bounds.h"
#include "conf.h"
#include "log.h"
#include "qfile.h"
#include "submit.h"
#include "cleanup.h"

static bool	attr_name_ok(const char *, size_t);
static void	envelope_flags(struct cleanup *, const char *);
static void	envelope_attr(struct cleanup *, const struct str *);
static void	envelope_rcpt(struct cleanup *, const char *);
static int	min_user_check(struct cleanup *, const char *, bool);
static int	rcpt_cmp(const void *, const void *);
static void	rcpts_dedup(struct cleanup_rcpts *);
static int	envelope_sender(struct cleanup *, struct str *);
static int	envelope_open(struct cleanup *, const char *);
static int	envelope_write(struct cleanup *,
		    const struct cleanup_rcpts *);

void
cleanup_rcpt_add(struct cleanup_rcpts *l, const char *address,
    unsigned notify, const char *orcpt)
{
	struct cleanup_rcpt	*r;

	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 8 : l->cap * 2;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	r = &l->v[l->n++];
	r->address = xstrdup(address);
	r->orcpt = orcpt != NULL && *orcpt != '\0' ? xstrdup(orcpt) : NULL;
	r->notify = notify;
}

void
cleanup_rcpts_free(struct cleanup_rcpts *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].address);
		free(l->v[i].orcpt);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* The names a queue file accepts (docs/queue.5): [a-z0-9_]+. */
static bool
attr_name_ok(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) {
			return false;
		}
	}
	return n > 0;
}

static void
envelope_flags(struct cleanup *c, const char *value)
{
	struct str	word = STR_INIT;
	size_t		pos = 0;

	while (conf_list_next(value, &pos, &word) == 1) {
		if (str_eq(&word, "extract")) {
			c->extract = true;
		} else if (str_eq(&word, "verify")) {
			c->verify = true;
		} else if (str_eq(&word, "early-id")) {
			c->early_id = true;
		} else {
			(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
			    "protocol error: unknown flag \"%s\"", word.s);
		}
	}
	str_free(&word);
}

static void
envelope_attr(struct cleanup *c, const struct str *value)
{
	const char	*eq = strchr(value->s, '=');
	const char	*p;
	size_t		 n = (size_t)(eq - value->s);

	/* submit_get checked that there is a name and a '='. */
	if (!attr_name_ok(value->s, n)) {
		(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
		    "protocol error: bad attribute name");
		return;
	}
	for (p = c->attrs.s; p != NULL && *p != '\0';
	    p = strchr(p, '\n') + 1) {
		if (strncmp(p, value->s, n + 1) == 0) {
			(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
			    "protocol error: attribute %.*s given twice",
			    (int)n, value->s);
			return;
		}
	}
	if (n == 5 && strncmp(value->s, "flags", n) == 0) {
		/* written by cleanup alone, from the F record */
		(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
		    "protocol error: attribute flags given (use F)");
		return;
	}
	if (n == 10 && strncmp(value->s, "submit_uid", n) == 0) {
		c->local = true;
		str_set(&c->submit_uid, eq + 1);
	}
	if (n == 9 && strncmp(value->s, "full_name", n) == 0) {
		/* For the From header only; not kept in the queue file. */
		str_set(&c->full_name, eq + 1);
		return;
	}
	str_cat_mem(&c->attrs, value->s, value->len);
	str_cat_char(&c->attrs, '\n');
}

static void
envelope_rcpt(struct cleanup *c, const char *value)
{
	struct str	notify = STR_INIT, orcpt = STR_INIT, addr = STR_INIT;
	unsigned	bits = 0;

	if (submit_split_rcpt(value, &notify, &orcpt, &addr) == -1 ||
	    (notify.len > 0 &&
	    qfile_notify_parse(notify.s, notify.len, &bits) == -1) ||
	    (orcpt.len > 0 && !qfile_xtext_valid(orcpt.s, orcpt.len))) {
		(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
		    "protocol error: malformed recipient record");
	} else if (c->rcpts.n >= QFILE_RCPT_MAX) {
		(void)cleanup_fail(c, DSN_PERM, "5.5.3",
		    "too many recipients");
	} else {
		cleanup_rcpt_add(&c->rcpts, addr.s, bits, orcpt.s);
	}
	str_free(&notify);
	str_free(&orcpt);
	str_free(&addr);
}

void
cleanup_envelope_record(struct cleanup *c, char tag, const struct str *value)
{
	switch (tag) {
	case 'F':
		envelope_flags(c, value->s);
		break;
	case 'S':
		str_set_mem(&c->sender, value->s, value->len);
		break;
	case 'A':
		envelope_attr(c, value);
		break;
	case 'R':
		envelope_rcpt(c, value->s);
		break;
	default:
		panic("cleanup_envelope_record: record %c", tag);
	}
}

/* Postfix's allow_min_user: no address may look like an option. */
static int
min_user_check(struct cleanup *c, const char *addr, bool sender)
{
	if (addr[0] != '-' || c->conf.allow_min_user) {
		return 0;
	}
	return cleanup_fail(c, DSN_PERM, sender ? "5.1.7" : "5.1.3",
	    "%s address begins with '-': %s", sender ? "sender" :
	    "recipient", addr);
}

static int
rcpt_cmp(const void *a, const void *b)
{
	const struct cleanup_rcpt *const	*x = a;
	const struct cleanup_rcpt *const	*y = b;
	int					 r;

	if ((r = strcmp((*x)->address, (*y)->address)) != 0) {
		return r;
	}
	/* equal addresses: the earlier one first, so it is kept */
	return *x < *y ? -1 : *x > *y;
}

/*
 * Postfix's duplicate filter: a recipient address that occurs again is
 * dropped; the first occurrence, with its DSN fields, is kept.  The
 * comparison is exact (Postfix's too): case differences stay distinct.
 */
static void
rcpts_dedup(struct cleanup_rcpts *l)
{
	struct cleanup_rcpt	**sorted;
	bool			 *drop;
	size_t			  i, j;

	if (l->n < 2) {
		return;
	}
	sorted = xreallocarray(NULL, l->n, sizeof(*sorted));
	drop = xreallocarray(NULL, l->n, sizeof(*drop));
	for (i = 0; i < l->n; i++) {
		sorted[i] = &l->v[i];
		drop[i] = false;
	}
	qsort(sorted, l->n, sizeof(*sorted), rcpt_cmp);
	for (i = 1; i < l->n; i++) {
		if (strcmp(sorted[i]->address, sorted[i - 1]->address) == 0) {
			drop[sorted[i] - l->v] = true;
		}
	}
	free(sorted);
	for (i = j = 0; i < l->n; i++) {
		if (drop[i]) {
			free(l->v[i].address);
			free(l->v[i].orcpt);
			continue;
		}
		l->v[j++] = l->v[i];
	}
	l->n = j;
	free(drop);
}

/* The envelope sender, checked and rewritten, into sender. */
static int
envelope_sender(struct cleanup *c, struct str *sender)
{
	str_clear(sender);
	if (min_user_check(c, c->sender.s != NULL ? c->sender.s : "",
	    true) == -1) {
		return -1;
	}
	if (c->sender.len > 0 &&
	    cleanup_rewrite_sender(c, c->sender.s, sender) == -1) {
		return -1;
	}
	return min_user_check(c, str_c(sender), true);
}

/* Begin the queue file with the (rewritten) sender. */
static int
envelope_open(struct cleanup *c, const char *sender)
{
	if (qfile_begin(&c->writer, c->queue_directory, NULL, sender) ==
	    -1) {
		if (errno == EMSGSIZE || errno == EINVAL) {
			return cleanup_fail(c, DSN_PERM, "5.1.7",
			    "bad sender address");
		}
		qfile_abort(&c->writer);
		return cleanup_fail(c, DSN_TEMP, "4.3.0",
		    "queue file write error: %s", strerror(errno));
	}
	c->writing = true;
	return 0;
}

int
cleanup_envelope_begin(struct cleanup *c)
{
	struct str	sender = STR_INIT;
	int		rc = -1;

	if (cleanup_failed(c) || c->writing) {
		panic("cleanup_envelope_begin: called twice or after a "
		    "failure");
	}
	if (envelope_sender(c, &sender) == -1 ||
	    envelope_open(c, str_c(&sender)) == -1) {
		goto out;
	}
	/* The From header that cleanup adds shows the rewritten sender. */
	str_set(&c->sender, str_c(&sender));
	if (qfile_id(&c->writer, c->id) == -1) {
		qfile_abort(&c->writer);
		c->writing = false;
		(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
		    "queue file write error: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	str_free(&sender);
	return rc;
}

int
cleanup_envelope_finish(struct cleanup *c)
{
	struct cleanup_rcpts	 final = CLEANUP_RCPTS_INIT;
	struct str		 sender = STR_INIT, addr = STR_INIT;
	size_t			 i;
	int			 rc = -1;

	if (cleanup_failed(c)) {
		return -1;
	}
	/* Without F early-id the queue file is begun last, as ever. */
	if (!c->writing && envelope_sender(c, &sender) == -1) {
		goto out;
	}
	for (i = 0; i < c->rcpts.n; i++) {
		const struct cleanup_rcpt	*r = &c->rcpts.v[i];

		if (min_user_check(c, r->address, false) == -1 ||
		    cleanup_rewrite_recipient(c, r->address, &addr) == -1 ||
		    cleanup_virtual(c, addr.s, r->notify, r->orcpt,
		    &final) == -1) {
			goto out;
		}
		/* Bound the memory before the final count decides. */
		if (final.n > 2 * QFILE_RCPT_MAX) {
			rcpts_dedup(&final);
			if (final.n > QFILE_RCPT_MAX) {
				(void)cleanup_fail(c, DSN_PERM, "5.5.3",
				    "too many recipients");
				goto out;
			}
		}
	}
	rcpts_dedup(&final);
	for (i = 0; i < final.n; i++) {
		if (min_user_check(c, final.v[i].address, false) == -1) {
			goto out;
		}
	}
	if (final.n == 0) {
		(void)cleanup_fail(c, DSN_PERM, "5.1.3",
		    "No recipients specified");
		goto out;
	}
	if (final.n > QFILE_RCPT_MAX) {
		(void)cleanup_fail(c, DSN_PERM, "5.5.3",
		    "too many recipients");
		goto out;
	}
	if (!c->writing) {
		rc = envelope_open(c, str_c(&sender));
		/* The From header that cleanup adds shows the rewritten
		 * sender. */
		str_set(&c->sender, str_c(&sender));
		if (rc == -1) {
			goto out;
		}
	}
	rc = envelope_write(c, &final);
out:
	cleanup_rcpts_free(&final);
	str_free(&sender);
	str_free(&addr);
	return rc;
}

/* The rest of the envelope, into the begun file: the attributes and
 * recipients l. */
static int
envelope_write(struct cleanup *c, const struct cleanup_rcpts *l)
{
	struct str	 name = STR_INIT, value = STR_INIT;
	const char	*p, *nl, *eq;
	size_t		 i;
	int		 rc = -1;

	if (c->verify && qfile_add_attr(&c->writer, "flags", "verify") == -1) {
		(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
		    "queue file write error: %s", strerror(errno));
		goto out;
	}
	for (p = c->attrs.s; p != NULL && *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		eq = memchr(p, '=', (size_t)(nl - p));
		str_set_mem(&name, p, (size_t)(eq - p));
		str_set_mem(&value, eq + 1, (size_t)(nl - eq - 1));
		if (qfile_add_attr(&c->writer, name.s, value.s) == -1) {
			(void)cleanup_fail(c, errno == E2BIG ? DSN_PERM :
			    DSN_TEMP, errno == E2BIG ? "5.3.0" : "4.3.0",
			    "bad attribute %s: %s", name.s, strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < l->n; i++) {
		if (qfile_add_rcpt(&c->writer, l->v[i].address,
		    l->v[i].notify, l->v[i].orcpt) == -1) {
			if (errno == E2BIG) {
				(void)cleanup_fail(c, DSN_PERM, "5.5.3",
				    "too many recipients");
			} else {
				(void)cleanup_fail(c, DSN_PERM, "5.1.3",
				    "bad recipient address: %s",
				    l->v[i].address);
			}
			goto out;
		}
	}
	if (qfile_end_envelope(&c->writer) == -1 ||
	    qfile_id(&c->writer, c->id) == -1) {
		(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
		    "queue file write error: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	str_free(&name);
	str_free(&value);
	return rc;
}
