/* SPDX-License-Identifier: ISC */
/*
 * cleanup_message.c: the content of a submission, as Postfix's cleanup
 * treats it.
 *
 * The header section is held in memory (bounded by HEADER_SECTION_MAX,
 * each field by header_size_limit) until it ends, because recipients
 * taken from its To, Cc and Bcc fields (F extract) belong in the
 * envelope, which the queue file holds before the content.  It ends at
 * the first empty line, or at the first line that is not a header field
 * line: that line is the first line of the body, and, as in Postfix,
 * nothing is inserted before it.  Fields are inspected unfolded but
 * written as received, folding kept, with these exceptions:
 *	- Bcc, Resent-Bcc, Return-Path and Content-Length are removed;
 *	- a field longer than header_size_limit is cut there (Postfix
 *	  discards the excess too), and a last field without a final
 *	  newline gets one;
 *	- a local submission (A submit_uid=) gets a Received field first,
 *	  and missing Message-ID, Date and From fields at the end of the
 *	  section (the Resent- forms when the message has Resent- fields);
 *	  other mail gets them only with always_add_missing_headers.
 *	- in a local submission, the addresses of the sender fields (From,
 *	  Sender, Reply-To, Errors-To, Return-Receipt-To and their
 *	  Resent- forms) and recipient fields (To, Cc, Apparently-To,
 *	  Resent-To, Resent-Cc) are rewritten as Postfix does for its
 *	  local_header_rewrite_clients: a bare user gets @$myorigin, then
 *	  canonical maps and masquerading per canonical_classes and
 *	  masquerade_classes.  Only the addr-spec changes, in place; display
 *	  names, comments and folding stay as written.
 * The body streams to the queue file untouched.
 *
 * Refusals: more than hopcount_limit Received fields (PERM 5.4.6), a
 * header section over HEADER_SECTION_MAX or content over
 * message_size_limit (PERM 5.3.4), a header field with more than
 * ADDR_LIST_MAX addresses to extract (PERM 5.5.3).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "addr_edit.h"
#include "alloc.h"
#include "bounds.h"
#include "header.h"
#include "log.h"
#include "qfile.h"
#include "rewrite.h"
#include "cleanup.h"

/* What the header section holds (headers_done). */
#define SEEN_MESSAGE_ID		0x01
#define SEEN_DATE		0x02
#define SEEN_FROM		0x04
#define SEEN_RESENT_MESSAGE_ID	0x08
#define SEEN_RESENT_DATE	0x10
#define SEEN_RESENT_FROM	0x20
#define SEEN_RESENT		0x40

static void	field_new(struct cleanup *);
static void	field_append(struct cleanup *, const char *, size_t);
static void	field_finish(struct cleanup *);
static void	field_value(const struct str *, struct str *);
static bool	field_removed(const struct str *);
static int	extract(struct cleanup *, const struct str *);
static int	field_class(const struct str *);
static int	field_rewrite(struct cleanup *, struct str *, bool);
static void	headers_done(struct cleanup *);
static void	headers_write(struct cleanup *, int);
static size_t	header_bytes(struct cleanup *, const char *, size_t);

void
cleanup_write(struct cleanup *c, const char *p, size_t n)
{
	if (cleanup_failed(c) || n == 0) {
		return;
	}
	if (!c->writing) {
		panic("cleanup_write: no queue file");
	}
	c->content_size += n;
	if (c->conf.message_size_limit > 0 &&
	    c->content_size > c->conf.message_size_limit) {
		(void)cleanup_fail(c, DSN_PERM, "5.3.4",
		    "Message size exceeds fixed limit");
		return;
	}
	if (qfile_content(&c->writer, p, n) == -1) {
		(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
		    "queue file write error: %s", strerror(errno));
	}
}

/* Start a new header field. */
static void
field_new(struct cleanup *c)
{
	struct cleanup_fields	*f = &c->fields;

	field_finish(c);
	if (f->n == f->cap) {
		f->cap = f->cap == 0 ? 32 : f->cap * 2;
		f->v = xreallocarray(f->v, f->cap, sizeof(*f->v));
	}
	f->v[f->n++] = (struct str)STR_INIT;
	c->truncated = false;
}

/* Bytes of the current field, cut at header_size_limit. */
static void
field_append(struct cleanup *c, const char *p, size_t n)
{
	struct str		*cur = &c->fields.v[c->fields.n - 1];
	unsigned long long	 limit = c->conf.header_size_limit;
	size_t			 take = n;

	if (limit > 0 && cur->len + n > limit) {
		take = cur->len >= limit ? 0 : (size_t)(limit - cur->len);
		if (!c->truncated) {
			log_warnx("NOQUEUE: header field longer than "
			    "header_size_limit (%llu bytes): excess "
			    "discarded", limit);
			c->truncated = true;
		}
	}
	if (c->fields.bytes + take > HEADER_SECTION_MAX ||
	    (c->conf.message_size_limit > 0 &&
	    c->fields.bytes + take > c->conf.message_size_limit)) {
		(void)cleanup_fail(c, DSN_PERM, "5.3.4",
		    "Message header size exceeds fixed limit");
		return;
	}
	str_cat_mem(cur, p, take);
	c->fields.bytes += take;
}

/* The current field is complete: it must end in a newline. */
static void
field_finish(struct cleanup *c)
{
	struct str	*cur;

	if (c->fields.n == 0) {
		return;
	}
	cur = &c->fields.v[c->fields.n - 1];
	if (cur->len == 0 || cur->s[cur->len - 1] != '\n') {
		str_cat_char(cur, '\n');
		c->fields.bytes++;
	}
}

/* The value of field f, unfolded, without the blanks around it. */
static void
field_value(const struct str *f, struct str *out)
{
	size_t	i = header_value_offset(f->s, f->len);

	str_clear(out);
	for (; i < f->len; i++) {
		if (f->s[i] != '\n') {
			str_cat_char(out, f->s[i]);
		}
	}
	for (i = 0; i < out->len && (out->s[i] == ' ' || out->s[i] == '\t');
	    i++) {
		continue;
	}
	memmove(out->s, out->s + i, out->len - i);
	str_truncate(out, out->len - i);
	while (out->len > 0 && (out->s[out->len - 1] == ' ' ||
	    out->s[out->len - 1] == '\t')) {
		str_truncate(out, out->len - 1);
	}
}

/* Fields that cleanup always removes (Postfix's cleanup(8) list). */
static bool
field_removed(const struct str *f)
{
	return header_is(f->s, f->len, "bcc") ||
	    header_is(f->s, f->len, "resent-bcc") ||
	    header_is(f->s, f->len, "return-path") ||
	    header_is(f->s, f->len, "content-length");
}

/* Take the recipients of an address field (F extract). */
static int
extract(struct cleanup *c, const struct str *f)
{
	struct addr_list	 l = ADDR_LIST_INIT;
	size_t			 i, off = header_value_offset(f->s, f->len);
	int			 rc = 0;

	if (addr_list_parse(f->s + off, f->len - off, ADDR_PATH_UTF8,
	    &l) == -1) {
		rc = cleanup_fail(c, DSN_PERM, "5.5.3",
		    "too many recipients in a header field");
		goto out;
	}
	if (l.bad > 0) {
		log_warnx("NOQUEUE: %zu unparseable address%s ignored in "
		    "%.*s header", l.bad, l.bad == 1 ? "" : "es",
		    (int)(off > 0 ? off - 1 : 0), f->s);
	}
	for (i = 0; i < l.count; i++) {
		if (l.item[i].len == 0) {
			continue;
		}
		if (c->rcpts.n >= QFILE_RCPT_MAX) {
			rc = cleanup_fail(c, DSN_PERM, "5.5.3",
			    "too many recipients");
			goto out;
		}
		cleanup_rcpt_add(&c->rcpts, l.item[i].s, 0, NULL);
	}
out:
	addr_list_free(&l);
	return rc;
}

/* 1: a sender field, 0: a recipient field, -1: neither. */
static int
field_class(const struct str *f)
{
	static const char *const	sender[] = { "from", "sender",
	    "reply-to", "errors-to", "return-receipt-to", "resent-from",
	    "resent-sender", "resent-reply-to" };
	static const char *const	rcpt[] = { "to", "cc", "apparently-to",
	    "resent-to", "resent-cc" };
	size_t				i;

	for (i = 0; i < sizeof(sender) / sizeof(sender[0]); i++) {
		if (header_is(f->s, f->len, sender[i])) {
			return 1;
		}
	}
	for (i = 0; i < sizeof(rcpt) / sizeof(rcpt[0]); i++) {
		if (header_is(f->s, f->len, rcpt[i])) {
			return 0;
		}
	}
	return -1;
}

/* For addr_edit_field: cleanup_rewrite_header of one class. */
struct field_edit {
	struct cleanup	*c;
	bool		 sender;
};

static int
field_edit_one(void *ctx, const char *addr, struct str *out)
{
	struct field_edit	*e = ctx;

	return cleanup_rewrite_header(e->c, e->sender, addr, out);
}

/*
 * Rewrite the addresses of field f (of the sender class or not) in
 * place: each addr-spec that rewriting changes is replaced by the new
 * address, quoted as needed; everything around it stays (lib/addr_edit,
 * shared with smtp's smtp_generic_maps).  Returns 0, or -1 after
 * cleanup_fail (a table error).
 */
static int
field_rewrite(struct cleanup *c, struct str *f, bool sender)
{
	struct field_edit	 e = { c, sender };
	struct str		 out = STR_INIT;
	int			 r;

	/* too many addresses: the first ADDR_LIST_MAX are rewritten */
	if ((r = addr_edit_field(f->s, f->len, field_edit_one, &e,
	    &out)) == 1) {
		if (out.len > f->len) {
			c->fields.bytes += out.len - f->len;
		}
		str_set_mem(f, out.s, out.len);
	}
	str_free(&out);
	return r == -1 ? -1 : 0;
}

/* The header section is complete: inspect it, then write it. */
static void
headers_done(struct cleanup *c)
{
	const struct str	*f;
	struct str		 value = STR_INIT;
	long long		 hops = 0;
	size_t			 i;
	int			 seen = 0;
	bool			 resent;

	field_finish(c);
	if (cleanup_failed(c)) {
		return;
	}
	for (i = 0; i < c->fields.n; i++) {
		f = &c->fields.v[i];
		if (header_is(f->s, f->len, "received")) {
			hops++;
		} else if (header_is(f->s, f->len, "message-id")) {
			seen |= SEEN_MESSAGE_ID;
			field_value(f, &c->message_id);
		} else if (header_is(f->s, f->len, "date")) {
			seen |= SEEN_DATE;
		} else if (header_is(f->s, f->len, "from")) {
			seen |= SEEN_FROM;
		} else if (header_is(f->s, f->len, "resent-message-id")) {
			seen |= SEEN_RESENT_MESSAGE_ID;
		} else if (header_is(f->s, f->len, "resent-date")) {
			seen |= SEEN_RESENT_DATE;
		} else if (header_is(f->s, f->len, "resent-from")) {
			seen |= SEEN_RESENT_FROM;
		}
		if (f->len >= 7 && strncasecmp(f->s, "resent-", 7) == 0) {
			seen |= SEEN_RESENT;
		}
	}
	str_free(&value);
	if (hops > c->conf.hopcount_limit) {
		(void)cleanup_fail(c, DSN_PERM, "5.4.6",
		    "too many hops (%lld Received headers)", hops);
		return;
	}
	resent = (seen & SEEN_RESENT) != 0;
	for (i = 0; c->extract && i < c->fields.n; i++) {
		f = &c->fields.v[i];
		if ((resent && (header_is(f->s, f->len, "resent-to") ||
		    header_is(f->s, f->len, "resent-cc") ||
		    header_is(f->s, f->len, "resent-bcc"))) ||
		    (!resent && (header_is(f->s, f->len, "to") ||
		    header_is(f->s, f->len, "cc") ||
		    header_is(f->s, f->len, "bcc")))) {
			if (extract(c, f) == -1) {
				return;
			}
		}
	}
	for (i = 0; c->local && i < c->fields.n; i++) {
		f = &c->fields.v[i];
		if (field_class(f) != -1 &&
		    field_rewrite(c, &c->fields.v[i], field_class(f) == 1) ==
		    -1) {
			return;
		}
	}
	if (cleanup_envelope_finish(c) == -1) {
		return;
	}
	headers_write(c, seen);
}

/* Write the header section with cleanup's changes. */
static void
headers_write(struct cleanup *c, int seen)
{
	struct str	 out = STR_INIT, addr = STR_INIT, date = STR_INIT;
	struct str	 mid = STR_INIT;
	const char	*resent = (seen & SEEN_RESENT) ? "Resent-" : "";
	const char	*p;
	time_t		 arrival = (time_t)c->writer.sec;
	struct tm	 tm;
	bool		 add = c->local || c->conf.always_add_missing_headers;
	bool		 digits = c->submit_uid.len > 0;
	size_t		 i;

	header_date(arrival, &date);
	if (c->local) {
		for (p = str_c(&c->submit_uid); *p != '\0'; p++) {
			if (*p < '0' || *p > '9') {
				digits = false;
			}
		}
		str_catf(&out, "Received: by %s (%s", c->conf.myhostname,
		    c->conf.mail_name);
		if (digits) {
			str_catf(&out, ", from userid %s", c->submit_uid.s);
		}
		str_catf(&out, ")\n\tid %s; %s\n", c->id, date.s);
		cleanup_write(c, out.s, out.len);
		str_clear(&out);
	}
	for (i = 0; i < c->fields.n; i++) {
		if (!field_removed(&c->fields.v[i])) {
			cleanup_write(c, c->fields.v[i].s,
			    c->fields.v[i].len);
		}
		str_free(&c->fields.v[i]);
	}
	c->fields.n = 0;
	c->fields.bytes = 0;
	if (add && !(seen & ((seen & SEEN_RESENT) ?
	    SEEN_RESENT_MESSAGE_ID : SEEN_MESSAGE_ID))) {
		if (localtime_r(&arrival, &tm) == NULL) {
			memset(&tm, 0, sizeof(tm));
		}
		str_catf(&mid, "<%04d%02d%02d%02d%02d%02d.%s@%s>",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, c->id, c->conf.myhostname);
		str_catf(&out, "%sMessage-ID: %s\n", resent, mid.s);
		if (*resent == '\0') {
			/* the log names the Message-ID, not a Resent- one */
			str_set(&c->message_id, mid.s);
		}
	}
	if (add && !(seen & ((seen & SEEN_RESENT) ? SEEN_RESENT_DATE :
	    SEEN_DATE))) {
		str_catf(&out, "%sDate: %s\n", resent, date.s);
	}
	if (add && !(seen & ((seen & SEEN_RESENT) ? SEEN_RESENT_FROM :
	    SEEN_FROM))) {
		if (c->sender.len == 0) {
			rewrite_canonical("MAILER-DAEMON", &addr);
		} else {
			addr_quote(c->sender.s, c->sender.len, &addr);
		}
		str_catf(&out, "%sFrom: ", resent);
		if (c->full_name.len > 0) {
			header_phrase(c->full_name.s, &out);
			str_catf(&out, " <%s>\n", addr.s);
		} else {
			str_catf(&out, "%s\n", addr.s);
		}
	}
	cleanup_write(c, out.s, out.len);
	str_free(&out);
	str_free(&addr);
	str_free(&date);
	str_free(&mid);
}

/*
 * Header section bytes: returns how many of the n bytes at p it took (up
 * to the end of one line); sets c->phase to CLEANUP_BODY at its end.
 */
static size_t
header_bytes(struct cleanup *c, const char *p, size_t n)
{
	const char		*nl = memchr(p, '\n', n);
	size_t			 take = nl != NULL ? (size_t)(nl - p) + 1 : n;
	enum header_line	 kind;

	if (c->in_field) {
		/* the rest of a line that belongs to the current field */
		field_append(c, p, take);
		c->in_field = nl == NULL;
		return take;
	}
	str_cat_mem(&c->line, p, take);
	kind = header_line_kind(c->line.s, c->line.len, c->fields.n > 0);
	switch (kind) {
	case HEADER_MORE:
		return take;
	case HEADER_FIELD:
		field_new(c);
		/* FALLTHROUGH */
	case HEADER_CONT:
		field_append(c, c->line.s, c->line.len);
		c->in_field = c->line.s[c->line.len - 1] != '\n';
		break;
	case HEADER_END:
	case HEADER_BODY:
		headers_done(c);
		cleanup_write(c, c->line.s, c->line.len);
		c->phase = CLEANUP_BODY;
		break;
	}
	str_clear(&c->line);
	return take;
}

void
cleanup_content(struct cleanup *c, const char *p, size_t n)
{
	size_t	took;

	while (n > 0 && c->phase == CLEANUP_HEADERS && !cleanup_failed(c)) {
		took = header_bytes(c, p, n);
		p += took;
		n -= took;
	}
	if (c->phase == CLEANUP_BODY) {
		cleanup_write(c, p, n);
	}
}

void
cleanup_content_end(struct cleanup *c)
{
	if (c->phase == CLEANUP_HEADERS) {
		/* No end of the header section: what is pending ends it. */
		headers_done(c);
		if (c->line.len > 0) {
			/* the start of a line that ended with the input */
			cleanup_write(c, c->line.s, c->line.len);
			str_clear(&c->line);
		}
		c->phase = CLEANUP_BODY;
	}
}
