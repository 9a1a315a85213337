/* SPDX-License-Identifier: ISC */
/*
 * smtp_auth.c: the SASL client of smtp (RFC 4954), PLAIN (RFC 4616) and
 * LOGIN, as Postfix's smtp_sasl_* parameters say.  With
 * smtp_sasl_auth_enable = yes and a server that offers AUTH, the
 * password comes from smtp_sasl_password_maps, "username:password",
 * looked up by the next hop as written ("[mail.example.net]:587"), then
 * by the server's host name.  No entry: no AUTH, as Postfix.
 *
 * With smtp_sender_dependent_authentication = yes the envelope sender
 * comes first (user+ext@domain, user@domain, @domain, as Postfix's
 * lookups of addresses in a domain that is not ours; never for the null
 * sender): one smarthost, one account per sender.  A session stays
 * bound to the user name it was opened with: a later job whose sender
 * maps to another user name (or to none) gets a new session
 * (smtp_auth_reusable), so mail never leaves under another sender's
 * account.  Postfix turns connection caching off instead.
 *
 * smtp_sasl_security_options (smtp_sasl_tls_security_options once TLS
 * is on) with "noplaintext" forbid PLAIN and LOGIN: then no mechanism is
 * left and delivery defers.  Postfix's defaults forbid them everywhere;
 * set "noanonymous" to allow them (over TLS only:
 * smtp_sasl_tls_security_options = noanonymous and
 * smtp_sasl_security_options = noplaintext, noanonymous).
 *
 * A refused authentication defers with the server's reply.  The
 * password is never logged.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"
#include "map.h"
#include "smtp.h"

static void	base64(const unsigned char *, size_t, struct str *);
static bool	offered(const char *, const char *);
static bool	word_in(const char *, const char *);
static int	maps_open(struct smtp *, struct str *);
static int	step(struct smtp *, struct smtp_session *, const char *,
		    struct smtp_reply *, struct smtp_status *);

/* RFC 4648 base64, padded, appended to out. */
static void
base64(const unsigned char *p, size_t n, struct str *out)
{
	static const char	 b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long		 v;
	size_t			 i;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 |
		    p[i + 2];
		str_cat_char(out, b64[v >> 18 & 63]);
		str_cat_char(out, b64[v >> 12 & 63]);
		str_cat_char(out, b64[v >> 6 & 63]);
		str_cat_char(out, b64[v & 63]);
	}
	if (n - i == 1) {
		v = (unsigned long)p[i] << 16;
		str_cat_char(out, b64[v >> 18 & 63]);
		str_cat_char(out, b64[v >> 12 & 63]);
		str_cat(out, "==");
	} else if (n - i == 2) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8;
		str_cat_char(out, b64[v >> 18 & 63]);
		str_cat_char(out, b64[v >> 12 & 63]);
		str_cat_char(out, b64[v >> 6 & 63]);
		str_cat(out, "=");
	}
}

/* Is word (any case) in the blank-separated list? */
static bool
offered(const char *list, const char *word)
{
	size_t	n = strlen(word);

	while (*list != '\0') {
		list += strspn(list, " \t");
		if (strncasecmp(list, word, n) == 0 && (list[n] == '\0' ||
		    list[n] == ' ' || list[n] == '\t')) {
			return true;
		}
		list += strcspn(list, " \t");
	}
	return false;
}

/* Is word in the configuration list? */
static bool
word_in(const char *list, const char *word)
{
	struct str	w = STR_INIT;
	size_t		pos = 0;
	bool		found = false;

	while (!found && conf_list_next(list, &pos, &w) == 1) {
		found = strcasecmp(w.s, word) == 0;
	}
	str_free(&w);
	return found;
}

/* Send line (secret: not logged), read the reply into r. */
static int
step(struct smtp *cf, struct smtp_session *s, const char *line,
    struct smtp_reply *r, struct smtp_status *st)
{
	buf_puts(&s->b, line);
	buf_puts(&s->b, "\r\n");
	s->b.timeout_ms = cf->helo_ms;
	if (buf_flush(&s->b) == -1 || smtp_reply_read(s, cf->helo_ms, r) ==
	    -1) {
		smtp_status_io(st, s, "sending the AUTH command", errno);
		return -1;
	}
	return 0;
}

/* Open smtp_sasl_password_maps once; -1 with err. */
static int
maps_open(struct smtp *cf, struct str *err)
{
	if (cf->sasl_maps == NULL && (cf->sasl_maps =
	    map_list_open(cf->sasl_maps_spec, err)) == NULL) {
		if (err->len == 0) {
			str_set(err, "cannot open");
		}
		return -1;
	}
	return 0;
}

enum map_result
smtp_auth_lookup(struct smtp *cf, const char *sender, const char *nexthop,
    const char *host, struct str *value, struct str *err)
{
	enum map_result	found = MAP_NOTFOUND;

	str_clear(value);
	if (maps_open(cf, err) == -1) {
		return MAP_ERROR;
	}
	if (cf->sender_auth && sender != NULL && *sender != '\0') {
		found = map_lookup_addr(cf->sasl_maps, sender,
		    conf_value("recipient_delimiter"), 0, value, NULL, err);
	}
	if (found == MAP_NOTFOUND) {
		found = map_list_lookup(cf->sasl_maps, nexthop, value, err);
	}
	if (found == MAP_NOTFOUND && host != NULL) {
		found = map_list_lookup(cf->sasl_maps, host, value, err);
	}
	return found;
}

int
smtp_auth_reusable(struct smtp *cf, struct smtp_session *s,
    const char *sender, struct smtp_status *st)
{
	struct str	 value = STR_INIT, err = STR_INIT;
	enum map_result	 found;
	size_t		 n;
	int		 rc = 1;

	if (!cf->sasl_enable || !cf->sender_auth || cf->lmtp ||
	    !s->auth_offered) {
		return 1;
	}
	found = smtp_auth_lookup(cf, sender, str_c(&s->nexthop),
	    s->where.host, &value, &err);
	if (found == MAP_ERROR) {
		smtp_status_set(st, DSN_TEMP, "4.3.0", "smtp_sasl_password_maps"
		    ": %s", str_c(&err));
		st->local = true;
		rc = -1;
		goto out;
	}
	n = found == MAP_FOUND ? strcspn(value.s, ":") : 0;
	if (s->auth_user.len != n || (n > 0 &&
	    memcmp(s->auth_user.s, value.s, n) != 0)) {
		log_info("%s: not reused for sender <%s>: other SASL "
		    "credentials", s->label, sender);
		rc = 0;
	}
out:
	if (value.s != NULL) {
		explicit_bzero(value.s, value.len);
	}
	str_free(&value);
	str_free(&err);
	return rc;
}

int
smtp_auth(struct smtp *cf, struct smtp_session *s, const char *nexthop,
    const char *sender, struct smtp_status *st)
{
	struct smtp_reply	 r = SMTP_REPLY_INIT;
	struct str		 value = STR_INIT, err = STR_INIT;
	struct str		 line = STR_INIT, tmp = STR_INIT;
	enum map_result		 found;
	const char		*user, *pass, *colon, *mech, *options;
	int			 rc = -1;

	str_clear(&s->auth_user);
	s->auth_offered = false;
	if (!cf->sasl_enable || cf->lmtp || !(s->ext & SMTP_EXT_AUTH)) {
		return 0;
	}
	s->auth_offered = true;
	found = smtp_auth_lookup(cf, sender, nexthop, s->where.host, &value,
	    &err);
	if (found == MAP_ERROR) {
		smtp_status_set(st, DSN_TEMP, "4.3.0", "smtp_sasl_password_maps"
		    ": %s", str_c(&err));
		st->local = true;
		goto out;
	}
	if (found == MAP_NOTFOUND) {
		rc = 0;
		goto out;
	}
	/* the session's identity, for smtp_auth_reusable */
	str_set_mem(&s->auth_user, value.s, strcspn(value.s, ":"));
	if ((colon = strchr(value.s, ':')) == NULL) {
		log_warnx("smtp_sasl_password_maps: %s: no \":\" in the "
		    "value: no authentication", nexthop);
		rc = 0;
		goto out;
	}
	value.s[colon - value.s] = '\0';
	user = value.s;
	pass = colon + 1;
	options = s->tls != NULL ? cf->sasl_tls_options : cf->sasl_options;
	mech = word_in(options, "noplaintext") ? NULL :
	    offered(s->auth, "PLAIN") ? "PLAIN" :
	    offered(s->auth, "LOGIN") ? "LOGIN" : NULL;
	if (mech == NULL) {
		smtp_status_set(st, DSN_TEMP, "4.7.0", "SASL authentication "
		    "failed; cannot authenticate to server %s: no mechanism "
		    "available", s->label);
		log_warnx("%s", st->text.s);
		goto out;
	}
	if (strcmp(mech, "PLAIN") == 0) {
		/* authzid NUL authcid NUL password */
		str_cat_char(&tmp, '\0');
		str_cat(&tmp, user);
		str_cat_char(&tmp, '\0');
		str_cat(&tmp, pass);
		str_set(&line, "AUTH PLAIN ");
		base64((const unsigned char *)tmp.s, tmp.len, &line);
		if (step(cf, s, line.s, &r, st) == -1) {
			goto out;
		}
	} else {
		if (step(cf, s, "AUTH LOGIN", &r, st) == -1) {
			goto out;
		}
		if (r.code == 334) {
			str_clear(&line);
			base64((const unsigned char *)user, strlen(user),
			    &line);
			if (step(cf, s, line.s, &r, st) == -1) {
				goto out;
			}
		}
		if (r.code == 334) {
			str_clear(&line);
			base64((const unsigned char *)pass, strlen(pass),
			    &line);
			if (step(cf, s, line.s, &r, st) == -1) {
				goto out;
			}
		}
	}
	if (r.code != 235) {
		/* Postfix's smtp_sasl_auth_soft_bounce: defer */
		smtp_status_set(st, DSN_TEMP, "4.7.0", "SASL authentication "
		    "failed; server %s said: %s", s->label, r.text.s);
		if (r.dsn[0] == '4' || r.dsn[0] == '5') {
			memcpy(st->code, r.dsn, sizeof(st->code));
			st->code[0] = '4';
		}
		log_warnx("%s", st->text.s);
		goto out;
	}
	log_debug("%s: authenticated as %s with %s", s->label, user, mech);
	rc = 0;
out:
	smtp_reply_free(&r);
	if (value.s != NULL) {
		explicit_bzero(value.s, value.len);
	}
	if (tmp.s != NULL) {
		explicit_bzero(tmp.s, tmp.len);
	}
	if (line.s != NULL) {
		explicit_bzero(line.s, line.len);
	}
	str_free(&value);
	str_free(&err);
	str_free(&line);
	str_free(&tmp);
	return rc;
}
