/* SPDX-License-Identifier: ISC */
/*
 * bounce_compose.c: write one delivery status notification, an RFC 3464
 * multipart/report; report-type=delivery-status message of three parts:
 *
 *	1. text/plain: what happened, for a person, with each recipient's
 *	   reason;
 *	2. message/delivery-status: the same for programs, one block of
 *	   per-message fields and one per recipient (RFC 3464 §2.2, §2.3);
 *	3. the original: message/rfc822 (all of it) or text/rfc822-headers
 *	   (RFC 6522 §4, its header section only).
 *
 * Everything that comes from the queue file or a log (addresses, reasons,
 * the original) is hostile: control bytes in text that goes into a
 * header field or a line become spaces, reasons are cut at
 * BOUNCE_TEXT_MAX, and every line written, the original's included, is
 * at most BOUNCE_LINE_MAX bytes: a longer one is folded (header fields,
 * at a blank when there is one) or split (other lines).  The boundary is
 * checked against the parts, so an original cannot end a part early.
 *
 * The Diagnostic-Code rule: a reason of the form "... said: NNN text"
 * (a remote SMTP server's reply as the smtp client reports it), or one
 * that starts with an SMTP reply code "NNN ", is "smtp; NNN text", with
 * a trailing " (in reply to ... command)" left out; any other reason is
 * "X-Postlet; text".  A reason that starts with "host NAME[" also gives
 * "Remote-MTA: dns; NAME".
 */
#include <string.h>
#include <time.h>

#include "addr.h"
#include "bounce.h"
#include "bounds.h"
#include "header.h"
#include "str.h"

/* Attempts at a boundary that no part contains. */
#define BOUNCE_BOUNDARY_TRIES	100

static void	clean(const char *s, size_t max, struct str *out);
static void	put_line(struct str *out, const char *p, size_t n, bool hdr);
static void	put_block(struct str *out, const char *p, size_t n,
		    size_t header_len);
static bool	has_8bit(const char *p, size_t n);
static void	quote_addr(const char *addr, struct str *out);
static void	diag_code(const char *text, struct str *diag,
		    struct str *remote);
static void	text_part(const struct bounce_config *,
		    const struct bounce_notice *, time_t, struct str *);
static void	status_part(const struct bounce_config *,
		    const struct bounce_notice *, time_t, struct str *);
static const char *subject(const struct bounce_notice *);

/*
 * Append s to out with control bytes (tabs included) made spaces, cut at
 * max bytes (then "..." follows; a UTF-8 sequence is not split).
 */
static void
clean(const char *s, size_t max, struct str *out)
{
	size_t	n = strlen(s), i;
	bool	cut = false;

	if (n > max) {
		n = max;
		/* back off over UTF-8 continuation bytes */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) {
			n--;
		}
		cut = true;
	}
	for (i = 0; i < n; i++) {
		unsigned char	c = (unsigned char)s[i];

		str_cat_char(out, c < 0x20 || c == 0x7f ? ' ' : c);
	}
	if (cut) {
		str_cat(out, "...");
	}
}

/*
 * Append the line p (n bytes, without its LF) and a LF to out, in pieces
 * of at most BOUNCE_LINE_MAX bytes: in a header section (hdr) a piece
 * ends before a blank when there is one, and a piece that would not start
 * with one gets a space, so the result is a folded field; elsewhere the
 * line is split where the limit falls.
 */
static void
put_line(struct str *out, const char *p, size_t n, bool hdr)
{
	size_t	room = BOUNCE_LINE_MAX, cut, k;

	while (n > room) {
		cut = room;
		if (hdr) {
			for (k = room - 1; k > 0; k--) {
				if (p[k] == ' ' || p[k] == '\t') {
					cut = k;
					break;
				}
			}
		}
		str_cat_mem(out, p, cut);
		str_cat_char(out, '\n');
		p += cut;
		n -= cut;
		room = BOUNCE_LINE_MAX;
		if (hdr && p[0] != ' ' && p[0] != '\t') {
			str_cat_char(out, ' ');
			room--;
		}
	}
	str_cat_mem(out, p, n);
	str_cat_char(out, '\n');
}

/*
 * Append the text p (n bytes) line by line with put_line: its first
 * header_len bytes as a header section, the rest as a body.  A last line
 * without LF gets one.
 */
static void
put_block(struct str *out, const char *p, size_t n, size_t header_len)
{
	const char	*nl, *start = p, *end = p + n;
	size_t		 len;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl == NULL ? (size_t)(end - p) : (size_t)(nl - p);
		put_line(out, p, len, (size_t)(p - start) < header_len);
		p += len + (nl != NULL);
	}
}

static bool
has_8bit(const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] >= 0x80) {
			return true;
		}
	}
	return false;
}

/* addr in its RFC 5321 external form, cleaned, appended to out. */
static void
quote_addr(const char *addr, struct str *out)
{
	struct str	q = STR_INIT;

	addr_quote(addr, strlen(addr), &q);
	clean(str_c(&q), ADDR_PATH_MAX + 2, out);
	str_free(&q);
}

int
bounce_xtext_decode(const char *s, struct str *out)
{
	const char	*p;
	int		 hi, lo;

	str_clear(out);
	if (!qfile_xtext_valid(s, strlen(s))) {
		str_set(out, s);
		return -1;
	}
	for (p = s; *p != '\0'; p++) {
		if (*p != '+') {
			str_cat_char(out, *p);
			continue;
		}
		/* qfile_xtext_valid: two uppercase hex digits follow */
		hi = p[1] <= '9' ? p[1] - '0' : p[1] - 'A' + 10;
		lo = p[2] <= '9' ? p[2] - '0' : p[2] - 'A' + 10;
		if (hi * 16 + lo < 0x20 || hi * 16 + lo == 0x7f) {
			str_set(out, s);
			return -1;
		}
		str_cat_char(out, hi * 16 + lo);
		p += 2;
	}
	return 0;
}

/*
 * The Diagnostic-Code value of reason text (see the top of the file)
 * into diag, and the remote MTA's name, if any, into remote.
 */
static void
diag_code(const char *text, struct str *diag, struct str *remote)
{
	static const char	tail[] = " command)";
	const char		*p, *reply = NULL, *in_reply;
	size_t			 n;
	struct str		 t = STR_INIT;

	str_clear(diag);
	str_clear(remote);
	if (strncmp(text, "host ", 5) == 0) {
		n = strspn(text + 5, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_");
		if (n > 0 && n <= ADDR_DOMAIN_MAX && text[5 + n] == '[') {
			str_set_mem(remote, text + 5, n);
		}
	}
	if ((p = strstr(text, "said: ")) != NULL) {
		p += 6;
	} else {
		p = text;
	}
	if (p[0] >= '2' && p[0] <= '5' && p[0] != '3' &&
	    p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
	    (p[3] == ' ' || p[3] == '-')) {
		reply = p;
	}
	if (reply == NULL) {
		str_set(diag, "X-Postlet; ");
		clean(text, BOUNCE_TEXT_MAX, diag);
		return;
	}
	str_set(&t, reply);
	n = t.len;
	in_reply = strstr(t.s, " (in reply to ");
	if (in_reply != NULL && n > sizeof(tail) - 1 &&
	    strcmp(t.s + n - (sizeof(tail) - 1), tail) == 0) {
		str_truncate(&t, (size_t)(in_reply - t.s));
	}
	str_set(diag, "smtp; ");
	clean(t.s, BOUNCE_TEXT_MAX, diag);
	str_free(&t);
}

static const char *
subject(const struct bounce_notice *n)
{
	switch (n->kind) {
	case BOUNCE_FAILURE:
		return n->postmaster ? "Postmaster Copy: Undelivered Mail" :
		    "Undelivered Mail Returned to Sender";
	case BOUNCE_DELAY:
		return n->postmaster ? "Postmaster Warning: Delayed Mail" :
		    "Delayed Mail (still being retried)";
	case BOUNCE_VERIFY:
		return "Mail Delivery Status Report";
	case BOUNCE_SUCCESS:
		break;
	}
	return "Successful Mail Delivery Report";
}

/* Part 1, for people. */
static void
text_part(const struct bounce_config *cfg, const struct bounce_notice *n,
    time_t now, struct str *out)
{
	const struct bounce_rcpt	*r;
	const char			*sender = n->qf->sender;
	size_t				 i;

	(void)now;
	str_catf(out, "This is the mail system at host %s.\n\n",
	    cfg->myhostname);
	if (n->postmaster) {
		str_cat(out, "This is a copy for the postmaster of a notice "
		    "about the message\nfrom <");
		quote_addr(sender, out);
		str_catf(out, "> with queue ID %s.\n", n->id);
		if (n->kind == BOUNCE_FAILURE && sender[0] == '\0') {
			str_cat(out, "\nThat message is itself a delivery "
			    "status notification (its sender\nis the null "
			    "address), so it is not returned to anyone.\n");
		}
		str_cat(out, "\n");
	}
	switch (n->kind) {
	case BOUNCE_FAILURE:
		str_cat(out, "The message could not be delivered to the "
		    "recipients listed below,\nand the mail system has given "
		    "up on them.  Each recipient's address is\nfollowed by "
		    "the reason.\n");
		break;
	case BOUNCE_DELAY:
		str_cat(out, "This is a warning only: the message does not "
		    "need to be sent again.\n\nThe message could not be "
		    "delivered yet to the recipients listed below.\nThe mail "
		    "system keeps trying until ");
		header_date((time_t)(n->qf->arrival_sec +
		    cfg->maximal_queue_lifetime), out);
		str_cat(out, ";\nanother notice will follow if it gives "
		    "up.\n");
		break;
	case BOUNCE_SUCCESS:
		str_cat(out, "The message was delivered to the recipients "
		    "listed below, who were\nto be reported on success "
		    "(NOTIFY=SUCCESS).\n");
		for (i = 0; i < n->nrcpt && !n->rcpts[i].relayed; i++) {
			continue;
		}
		if (i < n->nrcpt) {
			str_cat(out, "\nThose marked \"relayed\" were handed "
			    "to a mail system that does not\nsend such reports "
			    "on: this is the last one about them.\n");
		}
		break;
	case BOUNCE_VERIFY:
		str_cat(out, "This is the report that was asked for with "
		    "sendmail -bv: how the mail\nsystem would deliver to "
		    "each recipient listed below.  The message\nitself was "
		    "not delivered.\n");
		break;
	}
	if (n->full) {
		str_cat(out, "\nThe message is attached below.\n");
	} else {
		str_cat(out, "\nThe header section of the message is attached "
		    "below.\n");
	}
	if (!n->postmaster) {
		str_catf(out, "\nFor help, write to the postmaster of %s\n"
		    "and include this report.\n", cfg->myhostname);
	}
	str_catf(out, "\n\t\t\tThe %s program\n\n", cfg->mail_name);
	for (i = 0; i < n->nrcpt; i++) {
		r = &n->rcpts[i];
		str_cat(out, "<");
		quote_addr(r->address, out);
		str_cat(out, ">: ");
		if (n->kind == BOUNCE_SUCCESS && r->relayed) {
			str_cat(out, "relayed: ");
		}
		if (r->text != NULL) {
			clean(r->text, BOUNCE_TEXT_MAX, out);
		} else if (n->kind == BOUNCE_DELAY) {
			str_cat(out, "delivery not attempted yet");
		} else {
			str_cat(out, "no reason recorded");
		}
		str_cat(out, "\n");
	}
}

/* Part 2, for programs (RFC 3464 §2.2, §2.3). */
static void
status_part(const struct bounce_config *cfg, const struct bounce_notice *n,
    time_t now, struct str *out)
{
	static const char *const	 action[] = { "failed", "delayed",
	    "delivered", "deliverable" };
	const struct bounce_rcpt	*r;
	const char			*envid, *semi;
	struct str			 dec = STR_INIT, diag = STR_INIT;
	struct str			 remote = STR_INIT;
	size_t				 i;

	(void)now;
	str_catf(out, "Reporting-MTA: dns; %s\n", cfg->myhostname);
	str_catf(out, "X-Postlet-Queue-ID: %s\n", n->id);
	str_cat(out, "X-Postlet-Sender: rfc822; ");
	quote_addr(n->qf->sender, out);
	str_cat(out, "\n");
	if ((envid = qfile_attr(n->qf, "envid")) != NULL && *envid != '\0') {
		(void)bounce_xtext_decode(envid, &dec);
		str_cat(out, "Original-Envelope-Id: ");
		clean(str_c(&dec), BOUNCE_TEXT_MAX, out);
		str_cat(out, "\n");
	}
	str_cat(out, "Arrival-Date: ");
	header_date((time_t)n->qf->arrival_sec, out);
	str_cat(out, "\n");
	for (i = 0; i < n->nrcpt; i++) {
		r = &n->rcpts[i];
		str_cat(out, "\nFinal-Recipient: rfc822; ");
		quote_addr(r->address, out);
		str_cat(out, "\n");
		if (r->orcpt != NULL && (semi = strchr(r->orcpt, ';')) !=
		    NULL && semi > r->orcpt) {
			(void)bounce_xtext_decode(semi + 1, &dec);
			str_cat(out, "Original-Recipient: ");
			str_cat_mem(out, r->orcpt, (size_t)(semi - r->orcpt));
			str_cat(out, "; ");
			clean(str_c(&dec), ADDR_PATH_MAX, out);
			str_cat(out, "\n");
		}
		str_catf(out, "Action: %s\n", n->kind == BOUNCE_VERIFY &&
		    r->code[0] != '2' ? "undeliverable" :
		    n->kind == BOUNCE_SUCCESS && r->relayed ? "relayed" :
		    action[n->kind]);
		str_catf(out, "Status: %s\n", r->code);
		if (r->text != NULL) {
			diag_code(r->text, &diag, &remote);
			if (remote.len > 0) {
				str_catf(out, "Remote-MTA: dns; %s\n",
				    remote.s);
			}
			str_catf(out, "Diagnostic-Code: %s\n", diag.s);
		}
		if (n->kind == BOUNCE_DELAY) {
			str_cat(out, "Will-Retry-Until: ");
			header_date((time_t)(n->qf->arrival_sec +
			    cfg->maximal_queue_lifetime), out);
			str_cat(out, "\n");
		}
	}
	str_free(&dec);
	str_free(&diag);
	str_free(&remote);
}

void
bounce_compose(const struct bounce_config *cfg,
    const struct bounce_notice *n, time_t now, struct str *out,
    bool *eightbit)
{
	struct str	 text = STR_INIT, status = STR_INIT;
	struct str	 orig = STR_INIT, boundary = STR_INIT;
	struct str	 mark = STR_INIT, hdr = STR_INIT;
	struct tm	 tm;
	bool		 text8, status8, orig8;
	int		 try;

	str_clear(out);
	text_part(cfg, n, now, &text);
	status_part(cfg, n, now, &status);
	if (n->full) {
		put_block(&orig, n->original, n->original_len,
		    (size_t)n->qf->header_len);
	} else {
		put_block(&orig, n->original, n->original_len,
		    n->original_len);
	}
	text8 = has_8bit(str_c(&text), text.len);
	status8 = has_8bit(str_c(&status), status.len);
	orig8 = has_8bit(str_c(&orig), orig.len);
	*eightbit = text8 || status8 || orig8;

	/* A boundary that no part holds (RFC 2046 §5.1.1). */
	for (try = 0; try < BOUNCE_BOUNDARY_TRIES; try++) {
		str_clear(&boundary);
		str_catf(&boundary, "%s.%lld/%s", n->id, (long long)now,
		    cfg->myhostname);
		if (try > 0) {
			str_catf(&boundary, ".%d", try);
		}
		str_clear(&mark);
		str_catf(&mark, "--%s", boundary.s);
		if (memmem(str_c(&orig), orig.len, mark.s, mark.len) == NULL &&
		    memmem(str_c(&text), text.len, mark.s, mark.len) == NULL &&
		    memmem(str_c(&status), status.len, mark.s, mark.len) == NULL) {
			break;
		}
	}
	/* XXX after 100 failed tries the last one is used anyway. */

	str_catf(&hdr, "From: MAILER-DAEMON@%s (Mail Delivery System)\n",
	    cfg->myhostname);
	str_cat(&hdr, "To: ");
	quote_addr(n->to, &hdr);
	str_catf(&hdr, "\nSubject: %s\n", subject(n));
	str_cat(&hdr, "Date: ");
	header_date(now, &hdr);
	if (gmtime_r(&now, &tm) == NULL) {
		memset(&tm, 0, sizeof(tm));
	}
	str_catf(&hdr, "\nMessage-ID: <%04d%02d%02d%02d%02d%02d.%s.%s%s@%s>\n",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, n->id, n->postmaster ? "pm-" : "",
	    n->kind == BOUNCE_FAILURE ? "bounce" : n->kind == BOUNCE_DELAY ?
	    "delay" : n->kind == BOUNCE_VERIFY ? "verify" : "success",
	    cfg->myhostname);
	str_cat(&hdr, "Auto-Submitted: auto-replied\n");
	str_cat(&hdr, "MIME-Version: 1.0\n");
	str_catf(&hdr, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\n\tboundary=\"%s\"\n", boundary.s);
	if (*eightbit) {
		str_cat(&hdr, "Content-Transfer-Encoding: 8bit\n");
	}
	put_block(out, hdr.s, hdr.len, hdr.len);
	str_cat(out, "\nThis is a MIME-encapsulated message.\n\n");

	str_catf(out, "--%s\n", boundary.s);
	str_cat(out, "Content-Description: Notification\n");
	str_catf(out, "Content-Type: text/plain; charset=%s\n",
	    text8 ? "utf-8" : "us-ascii");
	if (text8) {
		str_cat(out, "Content-Transfer-Encoding: 8bit\n");
	}
	str_cat(out, "\n");
	put_block(out, text.s, text.len, 0);

	str_catf(out, "\n--%s\n", boundary.s);
	str_cat(out, "Content-Description: Delivery report\n");
	str_cat(out, "Content-Type: message/delivery-status\n");
	if (status8) {
		str_cat(out, "Content-Transfer-Encoding: 8bit\n");
	}
	str_cat(out, "\n");
	put_block(out, status.s, status.len, status.len);

	str_catf(out, "\n--%s\n", boundary.s);
	if (n->full) {
		str_catf(out, "Content-Description: %s message\n",
		    n->kind == BOUNCE_FAILURE ? "Undelivered" :
		    n->kind == BOUNCE_DELAY ? "Delayed" :
		    n->kind == BOUNCE_VERIFY ? "Verified" : "Delivered");
		str_cat(out, "Content-Type: message/rfc822\n");
	} else {
		str_catf(out, "Content-Description: %s message headers\n",
		    n->kind == BOUNCE_FAILURE ? "Undelivered" :
		    n->kind == BOUNCE_DELAY ? "Delayed" :
		    n->kind == BOUNCE_VERIFY ? "Verified" : "Delivered");
		str_cat(out, "Content-Type: text/rfc822-headers\n");
	}
	if (orig8) {
		str_cat(out, "Content-Transfer-Encoding: 8bit\n");
	}
	str_cat(out, "\n");
	str_cat_mem(out, str_c(&orig), orig.len);
	str_catf(out, "\n--%s--\n", boundary.s);

	str_free(&text);
	str_free(&status);
	str_free(&orig);
	str_free(&boundary);
	str_free(&mark);
	str_free(&hdr);
}
