/* SPDX-License-Identifier: ISC */
/*
 * smtp_policy.c: smtp_tls_policy_maps, Postfix's per-destination TLS
 * policy table, and the certificate names its match= attribute allows.
 *
 * The table is searched with the next hop as qmgr gives it
 * ("[mail.example.com]:587", "[mail.example.com]", "example.com:2525",
 * "example.com"); for a bare domain (no brackets, no port), and only
 * then, its parent domains follow, ".example.com" then ".com", as
 * Postfix does.  The first entry found decides; none: the level of
 * smtp_tls_security_level.  An entry is a level and attributes,
 * separated by blanks or commas:
 *
 *	[mail.example.com]:587	secure match=mail.example.com
 *	example.org		encrypt
 *	.example.net		verify match=hostname:.example.net
 *	legacy.example		none
 *
 * Levels: none, may, encrypt, verify, secure (smtp_tls.c).  dane,
 * dane-only and fingerprint are not implemented: they are logged and
 * taken as secure with its default names, never as something weaker.
 * match= (verify and secure only) lists, with ':' between them, the
 * names the server's certificate may carry: "hostname" (the server's
 * host name), "nexthop" (the next hop's domain), "dot-nexthop" (a
 * subdomain of it), a name, or ".domain" for any subdomain.  protocols=,
 * ciphers=, exclude=, tafile=, servername= and connection_reuse= are
 * accepted with a warning and ignored (lib/tls speaks only TLS 1.2 with
 * AEAD ciphers anyway).  Anything else makes the entry invalid.
 *
 * A table that cannot be read defers the mail (4.3.0), an invalid entry
 * too (4.7.5): never plaintext because a table said nothing.
 *
 * lib/tls checks one name per handshake, so the names of match= that
 * are not suffixes are tried one after the other, each on a new
 * connection to the same address after a name mismatch (smtp_session.c);
 * a suffix (".domain", "dot-nexthop") is satisfied by a certificate
 * that names the server's host name when that name lies under it.
 */
#include <stdio.h>		/* snprintf */
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"
#include "map.h"
#include "smtp.h"

/* Attributes we read but do not implement. */
static const char *const ignored[] = {
	"protocols", "ciphers", "exclude", "tafile", "servername",
	"connection_reuse",
};

static int	parse(struct smtp_session *, const char *, const char *,
		    const char *, struct smtp_status *);
static int	level_of(const char *, const char *, enum smtp_tls_level *);
static bool	under(const char *, const char *, size_t);
static size_t	add_name(char (*)[256], size_t, size_t, const char *,
		    size_t);

/* A level name: 0 with *level, 1 with secure for one we do not
 * implement (logged), -1 when unknown. */
static int
level_of(const char *key, const char *word, enum smtp_tls_level *level)
{
	static const char *const names[] = { "none", "may", "encrypt",
	    "verify", "secure" };
	size_t			 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(word, names[i]) == 0) {
			*level = (enum smtp_tls_level)i;
			return 0;
		}
	}
	if (strcasecmp(word, "dane") == 0 ||
	    strcasecmp(word, "dane-only") == 0 ||
	    strcasecmp(word, "fingerprint") == 0) {
		/* fail safe: the strictest level we have */
		log_warnx("smtp_tls_policy_maps: %s: TLS security level "
		    "\"%s\" is not supported: using \"secure\"", key, word);
		*level = SMTP_TLS_SECURE;
		return 1;
	}
	return -1;
}

/*
 * The entry value found under key into s; 0, or -1 with st (4.7.5).
 */
static int
parse(struct smtp_session *s, const char *nexthop, const char *key,
    const char *value, struct smtp_status *st)
{
	struct str		 word = STR_INIT, level = STR_INIT;
	const char		*eq, *p;
	size_t			 pos = 0, i, n;
	int			 r, rc = -1;
	bool			 unsupported = false, match = false;

	str_clear(&s->tls_match);
	if (conf_list_next(value, &pos, &word) != 1) {
		smtp_status_set(st, DSN_TEMP, "4.7.5", "client TLS "
		    "configuration problem: smtp_tls_policy_maps: %s: no "
		    "security level", key);
		goto out;
	}
	if ((r = level_of(key, word.s, &s->tls_level)) == -1) {
		smtp_status_set(st, DSN_TEMP, "4.7.5", "client TLS "
		    "configuration problem: smtp_tls_policy_maps: %s: unknown "
		    "TLS security level \"%s\"", key, word.s);
		goto out;
	}
	unsupported = r == 1;
	str_set(&level, word.s);
	while (conf_list_next(value, &pos, &word) == 1) {
		if ((eq = strchr(word.s, '=')) == NULL || eq == word.s) {
			smtp_status_set(st, DSN_TEMP, "4.7.5", "client TLS "
			    "configuration problem: smtp_tls_policy_maps: %s: "
			    "bad attribute \"%s\"", key, word.s);
			goto out;
		}
		n = (size_t)(eq - word.s);
		if (n == 5 && strncasecmp(word.s, "match", 5) == 0) {
			if (match) {
				smtp_status_set(st, DSN_TEMP, "4.7.5",
				    "client TLS configuration problem: "
				    "smtp_tls_policy_maps: %s: match= given "
				    "twice", key);
				goto out;
			}
			match = true;
			if (unsupported) {
				/* names or digests for what we do not do */
				continue;
			}
			if (s->tls_level < SMTP_TLS_VERIFY) {
				smtp_status_set(st, DSN_TEMP, "4.7.5",
				    "client TLS configuration problem: "
				    "smtp_tls_policy_maps: %s: match= is "
				    "invalid at security level \"%s\"", key,
				    level.s);
				goto out;
			}
			/* at most SMTP_MATCH_MAX non-empty names */
			for (p = eq + 1, i = 0; *p != '\0'; p += strcspn(p,
			    ":")) {
				p += strspn(p, ":");
				if (*p != '\0' && strcspn(p, ":") < 256) {
					i++;
				} else if (*p != '\0') {
					i = SMTP_MATCH_MAX + 1;
				}
			}
			if (i == 0 || i > SMTP_MATCH_MAX) {
				smtp_status_set(st, DSN_TEMP, "4.7.5",
				    "client TLS configuration problem: "
				    "smtp_tls_policy_maps: %s: match= needs 1 "
				    "to %d names of at most 255 bytes", key,
				    SMTP_MATCH_MAX);
				goto out;
			}
			str_set(&s->tls_match, eq + 1);
			continue;
		}
		for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
			if (strlen(ignored[i]) == n &&
			    strncasecmp(word.s, ignored[i], n) == 0) {
				break;
			}
		}
		if (i == sizeof(ignored) / sizeof(ignored[0])) {
			smtp_status_set(st, DSN_TEMP, "4.7.5", "client TLS "
			    "configuration problem: smtp_tls_policy_maps: %s: "
			    "unknown attribute \"%.*s\"", key, (int)n, word.s);
			goto out;
		}
		log_warnx("smtp_tls_policy_maps: %s: attribute \"%s\" is not "
		    "supported: ignored", key, word.s);
	}
	log_debug("%s: TLS policy \"%s\" (smtp_tls_policy_maps: %s)", nexthop,
	    value, key);
	rc = 0;
out:
	if (rc == -1) {
		st->local = true;
		log_warnx("%s: %s", nexthop, st->text.s);
	}
	str_free(&word);
	str_free(&level);
	return rc;
}

int
smtp_tls_policy(struct smtp *cf, struct smtp_session *s, const char *nexthop,
    struct smtp_status *st)
{
	struct str		 value = STR_INIT, err = STR_INIT;
	enum map_result		 r = MAP_NOTFOUND;
	const char		*key = nexthop;
	int			 rc = -1;

	s->tls_level = cf->tls_level;
	s->tls_from_table = false;
	str_clear(&s->tls_match);
	s->tls_match_try = 0;
	s->tls_again = false;
	if (cf->lmtp || cf->tls_policy_spec == NULL) {
		return 0;
	}
	/* opened again after a failure: a repaired table is seen */
	if (cf->tls_policy_maps == NULL && (cf->tls_policy_maps =
	    map_list_open(cf->tls_policy_spec, &err)) == NULL) {
		goto error;
	}
	while (key != NULL) {
		if ((r = map_list_lookup(cf->tls_policy_maps, key, &value,
		    &err)) != MAP_NOTFOUND) {
			break;
		}
		/* parent domains only for a bare domain */
		if (strpbrk(nexthop, "[]:/") != NULL) {
			break;
		}
		key = strchr(key + 1, '.');
	}
	if (r == MAP_ERROR) {
		goto error;
	}
	if (r == MAP_FOUND) {
		s->tls_from_table = true;
		if (parse(s, nexthop, key, value.s, st) == -1) {
			goto out;
		}
	}
	rc = 0;
	goto out;
error:
	smtp_status_set(st, DSN_TEMP, "4.3.0", "smtp_tls_policy_maps: %s",
	    err.len > 0 ? err.s : "cannot open");
	st->local = true;
	log_warnx("%s: %s", nexthop, st->text.s);
out:
	if (rc == 0 && cf->tls_wrapper && s->tls_level < SMTP_TLS_ENCRYPT) {
		/* as at start-up: wrapper mode means TLS */
		s->tls_level = SMTP_TLS_ENCRYPT;
	}
	str_free(&value);
	str_free(&err);
	return rc;
}

/* Is host (a name) strictly under domain (n bytes, no leading dot)? */
static bool
under(const char *host, const char *domain, size_t n)
{
	size_t	h = strlen(host);

	return n > 0 && h > n + 1 && host[h - n - 1] == '.' &&
	    strncasecmp(host + h - n, domain, n) == 0;
}

/* Append name (n bytes) to names unless there or too long. */
static size_t
add_name(char (*names)[256], size_t count, size_t max, const char *name,
    size_t n)
{
	size_t	i;

	if (n == 0 || n >= sizeof(names[0]) || count >= max) {
		return count;
	}
	for (i = 0; i < count; i++) {
		if (strlen(names[i]) == n && strncasecmp(names[i], name, n) ==
		    0) {
			return count;
		}
	}
	memcpy(names[count], name, n);
	names[count][n] = '\0';
	return count + 1;
}

size_t
smtp_tls_names(const struct smtp_session *s, char (*names)[256], size_t max)
{
	const char	*p = str_c(&s->tls_match), *hop = str_c(&s->nexthop);
	const char	*host = s->where.host;
	size_t		 n, hn, count = 0;

	/* the next hop's domain: without brackets and port */
	if (*hop == '[') {
		hop++;
		hn = strcspn(hop, "]");
	} else {
		hn = strcspn(hop, ":");
	}
	while (*p != '\0') {
		p += strspn(p, ":");
		if ((n = strcspn(p, ":")) == 0) {
			break;
		}
		if (n == 8 && strncasecmp(p, "hostname", 8) == 0) {
			count = add_name(names, count, max, host,
			    strlen(host));
		} else if (n == 7 && strncasecmp(p, "nexthop", 7) == 0) {
			count = add_name(names, count, max, hop, hn);
		} else if (n == 11 && strncasecmp(p, "dot-nexthop", 11) == 0) {
			if (under(host, hop, hn)) {
				count = add_name(names, count, max, host,
				    strlen(host));
			}
		} else if (*p == '.') {
			if (under(host, p + 1, n - 1)) {
				count = add_name(names, count, max, host,
				    strlen(host));
			}
		} else {
			count = add_name(names, count, max, p, n);
		}
		p += n;
	}
	return count;
}
