/* SPDX-License-Identifier: ISC */
/*
 * smtp_tls.c: the TLS client of smtp (lib/tls, BearSSL), as Postfix's
 * smtp_tls_security_level says:
 *
 *	none	never
 *	may	STARTTLS when the server offers it, any certificate; a
 *		failed handshake is tried again in plaintext
 *	encrypt	STARTTLS required (else defer), any certificate
 *	verify	STARTTLS required, the certificate must chain to a trust
 *		anchor (smtp_tls_CAfile, smtp_tls_CApath) and name the
 *		server's host name
 *	secure	as verify, and the server must be the next hop itself or
 *		within its domain (Postfix's "nexthop, dot-nexthop"): for
 *		an MX host found in the DNS, which an attacker may forge,
 *		mx.example.com serves example.com, evil.example.net does
 *		not; a next hop in brackets ([host]) is the host itself
 *
 * The level is the session's: smtp_tls_policy_maps' for the next hop, or
 * smtp_tls_security_level (smtp_policy.c).  A match= of the policy
 * replaces the default names of verify and secure: the certificate is
 * checked against the names of smtp_tls_names(), one per connection
 * (s->tls_match_try), and a name mismatch with names left sets
 * s->tls_again so that the caller connects again for the next one.
 *
 * smtp_tls_wrappermode starts TLS before the greeting (port 465).  Each
 * session logs Postfix's line "Untrusted|Trusted|Verified TLS connection
 * established to host[addr]:port: TLSv1.2 with cipher ...".
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "smtp.h"
#include "tls.h"

#define SMTP_TLS_CLOSE_MS	2000

static int	start(struct smtp *, struct smtp_session *,
		    struct smtp_status *);

/*
 * secure: is the server's host name the next hop's domain or under it?
 * The next hop is "domain", "domain:port", "[host]" or "[host]:port".
 */
static bool
within_nexthop(const struct smtp_session *s)
{
	const char	*hop = str_c(&s->nexthop), *host = s->where.host;
	size_t		 n, h = strlen(host);

	if (*hop == '[') {
		hop++;
		n = strcspn(hop, "]");
	} else {
		n = strcspn(hop, ":");
	}
	if (h == n && strncasecmp(host, hop, n) == 0) {
		return true;
	}
	return h > n + 1 && host[h - n - 1] == '.' &&
	    strncasecmp(host + h - n, hop, n) == 0 && s->nexthop.s[0] != '[';
}

void
smtp_tls_prepare(struct smtp *cf)
{
	struct str	err = STR_INIT;

	if (!cf->tls_conf_tried) {
		cf->tls_conf_tried = true;
		cf->tls_conf = tls_client_conf_load(cf->tls_cafile,
		    cf->tls_capath, &err);
		if (cf->tls_conf == NULL) {
			log_warnx("TLS trust anchors: %s", err.s);
		}
	}
	str_free(&err);
}

/* The handshake on s's socket; 0, or -1 with st. */
static int
start(struct smtp *cf, struct smtp_session *s, struct smtp_status *st)
{
	const struct tls_info	*info;
	struct str		 err = STR_INIT, text = STR_INIT;
	char			 names[SMTP_MATCH_MAX][256];
	const char		*name = s->where.host;
	size_t			 nnames = 0;
	bool			 verify = s->tls_level >= SMTP_TLS_VERIFY;
	int			 rc = -1;

	smtp_tls_prepare(cf);
	if (cf->tls_conf == NULL) {
		smtp_status_set(st, DSN_TEMP, "4.7.5", "TLS is required, but "
		    "our TLS engine is unavailable");
		goto out;
	}
	s->tls_again = false;
	if (verify && s->tls_match.len > 0) {
		/* match=: the names it allows, one per attempt */
		nnames = smtp_tls_names(s, names, SMTP_MATCH_MAX);
		if (s->tls_match_try >= nnames) {
			smtp_status_set(st, DSN_TEMP, "4.7.5", "Server "
			    "certificate not verified: no name of match=%s "
			    "applies to host %s", s->tls_match.s, s->label);
			log_info("%s", st->text.s);
			s->b.error = EIO;
			goto out;
		}
		name = names[s->tls_match_try];
	} else if (s->tls_level == SMTP_TLS_SECURE && !within_nexthop(s)) {
		smtp_status_set(st, DSN_TEMP, "4.7.5", "Server certificate "
		    "not verified: host %s is not the next hop %s or in its "
		    "domain (%s secure)", s->label, str_c(&s->nexthop),
		    s->tls_from_table ? "smtp_tls_policy_maps:" :
		    "smtp_tls_security_level =");
		log_info("%s", st->text.s);
		/* no QUIT on a session in this state */
		s->b.error = EIO;
		goto out;
	}
	s->tls = tls_new();
	if (tls_client_start(s->tls, s->fd, cf->tls_conf, name,
	    verify ? TLS_VERIFY_NAME : TLS_VERIFY_NONE, cf->helo_ms,
	    &err) == -1) {
		smtp_status_set(st, DSN_TEMP, verify &&
		    strstr(err.s, "certificate") != NULL ? "4.7.5" : "4.7.0",
		    "TLS handshake with %s failed: %s", s->label, err.s);
		if (nnames > 0) {
			str_catf(&st->text, " (match=%s)", s->tls_match.s);
			s->tls_again = strstr(err.s, "name mismatch") != NULL &&
			    s->tls_match_try + 1 < nnames;
		}
		log_info("%s%s%s", st->text.s, nnames > 0 ? ": name " : "",
		    nnames > 0 ? name : "");
		tls_free(s->tls);
		s->tls = NULL;
		/* no QUIT on a session in this state */
		s->b.error = EIO;
		goto out;
	}
	info = tls_get_info(s->tls);
	tls_describe(info, &text);
	log_info("%s TLS connection established to %s:%u: %s",
	    info->trusted && info->name_matched ? "Verified" :
	    info->trusted ? "Trusted" : "Untrusted", s->label, s->where.port,
	    text.s);
	/* nothing the server sent in plaintext counts after this */
	buf_init_fd(&s->b, s->fd, s->mem, sizeof(s->mem), cf->helo_ms);
	tls_attach(s->tls, &s->b);
	rc = 0;
out:
	str_free(&err);
	str_free(&text);
	return rc;
}

int
smtp_tls_wrap(struct smtp *cf, struct smtp_session *s,
    struct smtp_status *st)
{
	return start(cf, s, st);
}

int
smtp_tls_starttls(struct smtp *cf, struct smtp_session *s,
    struct smtp_status *st, bool *retry)
{
	struct smtp_reply	r = SMTP_REPLY_INIT;
	int			rc = -1;

	*retry = false;
	if (!(s->ext & SMTP_EXT_STARTTLS)) {
		if (s->tls_level == SMTP_TLS_MAY) {
			return 0;
		}
		smtp_status_set(st, DSN_TEMP, "4.7.4", "TLS is required, but "
		    "was not offered by host %s", s->label);
		return -1;
	}
	buf_puts(&s->b, "STARTTLS\r\n");
	s->b.timeout_ms = cf->helo_ms;
	if (buf_flush(&s->b) == -1 || smtp_reply_read(s, cf->helo_ms, &r) ==
	    -1) {
		smtp_status_io(st, s, "sending the STARTTLS command", errno);
		goto out;
	}
	if (r.code != 220) {
		if (s->tls_level == SMTP_TLS_MAY) {
			rc = 0;
			goto out;
		}
		smtp_status_reply(st, s, &r, "STARTTLS");
		st->status = DSN_TEMP;
		st->code[0] = '4';
		goto out;
	}
	if (start(cf, s, st) == -1) {
		*retry = s->tls_level == SMTP_TLS_MAY;
		goto out;
	}
	rc = 0;
out:
	smtp_reply_free(&r);
	return rc;
}

void
smtp_tls_end(const struct smtp *cf, struct smtp_session *s)
{
	(void)cf;
	if (s->tls != NULL) {
		(void)tls_close(s->tls, SMTP_TLS_CLOSE_MS);
		tls_free(s->tls);
		s->tls = NULL;
	}
}
