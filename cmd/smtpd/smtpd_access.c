/* SPDX-License-Identifier: ISC */
/*
 * smtpd_access.c: the access tables of check_client_access,
 * check_helo_access, check_sender_access and check_recipient_access
 * (Postfix's access(5)): which keys are looked up, in which order, and
 * what the value found means.
 *
 * Keys, first match wins:
 *	client	its host name and each parent domain, then its address and
 *		the networks around it (1.2.3.4, 1.2.3, 1.2, 1; for IPv6
 *		the address, then one 16-bit group less each time)
 *	helo	the name and each parent domain
 *	address	user+ext@domain, user@domain, the domain and each parent
 *		domain, user+ext@, user@ (the null sender is looked up as
 *		smtpd_null_access_lookup_key)
 * A parent domain is looked up as "example.com" when
 * parent_domain_matches_subdomains names smtpd_access_maps (the
 * default), else as ".example.com".
 *
 * Values: OK or a number (permit); DUNNO (no decision: go on with the
 * next restriction); REJECT [text]; DEFER [text]; a 4NN or 5NN code
 * with optional text; WARN text (logged, no decision); or restriction
 * names, which are evaluated in place (not yet for anything but the
 * simple permit/reject words: see smtpd_policy.c).  Any other action
 * (HOLD, DISCARD, FILTER, REDIRECT, PREPEND, ...) is not implemented:
 * it is logged and answered with a temporary error, so mail meant to be
 * held or dropped is never accepted by mistake.
 */
#include <ctype.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "log.h"
#include "map.h"
#include "smtpd.h"
#include "smtpd_access.h"

/* Look key up; a key too long or empty is never found. */
static enum map_result
lookup(struct map *m, const char *key, struct str *value, struct str *err)
{
	if (*key == '\0') {
		return MAP_NOTFOUND;
	}
	return map_lookup(m, key, value, err);
}

/* The name, then each parent domain. */
static enum map_result
lookup_domain(struct map *m, const char *name, struct str *value,
    struct str *err)
{
	struct str	 key = STR_INIT, list = STR_INIT;
	const char	*dot;
	bool		 bare;
	size_t		 pos = 0;
	enum map_result	 r;

	bare = false;
	str_set(&list, conf_value("parent_domain_matches_subdomains"));
	while (conf_list_next(list.s, &pos, &key) == 1) {
		if (str_eq(&key, "smtpd_access_maps")) {
			bare = true;
		}
	}
	str_free(&list);
	r = lookup(m, name, value, err);
	for (dot = strchr(name, '.'); r == MAP_NOTFOUND && dot != NULL;
	    dot = strchr(dot + 1, '.')) {
		if (dot[1] == '\0') {
			break;
		}
		str_set(&key, bare ? dot + 1 : dot);
		r = lookup(m, key.s, value, err);
	}
	str_free(&key);
	return r;
}

/* The address, then its networks: drop the last part each time. */
static enum map_result
lookup_net(struct map *m, const char *addr, struct str *value,
    struct str *err)
{
	struct str	 key = STR_INIT;
	char		 sep = strchr(addr, ':') != NULL ? ':' : '.';
	char		*end;
	enum map_result	 r;

	str_set(&key, addr);
	r = lookup(m, key.s, value, err);
	while (r == MAP_NOTFOUND && (end = strrchr(key.s, sep)) != NULL) {
		str_truncate(&key, (size_t)(end - key.s));
		/* "2001:db8::" loses its empty groups at once */
		while (key.len > 0 && key.s[key.len - 1] == sep) {
			str_truncate(&key, key.len - 1);
		}
		r = lookup(m, key.s, value, err);
	}
	str_free(&key);
	return r;
}

enum map_result
smtpd_access_client(struct map *m, const char *name, const char *addr,
    struct str *value, struct str *err)
{
	enum map_result	r = MAP_NOTFOUND;

	if (strcmp(name, "unknown") != 0) {
		r = lookup_domain(m, name, value, err);
	}
	if (r == MAP_NOTFOUND) {
		r = lookup_net(m, addr, value, err);
	}
	return r;
}

enum map_result
smtpd_access_helo(struct map *m, const char *helo, struct str *value,
    struct str *err)
{
	return lookup_domain(m, helo, value, err);
}

enum map_result
smtpd_access_addr(struct map *m, const char *addr, struct str *value,
    struct str *err)
{
	struct addr_parts	 parts = ADDR_PARTS_INIT;
	struct str		 key = STR_INIT;
	const char		*at = strrchr(addr, '@');
	bool			 ext;
	enum map_result		 r;

	if (*addr == '\0') {
		return lookup(m, conf_value("smtpd_null_access_lookup_key"),
		    value, err);
	}
	ext = addr_split_ext(addr, conf_value("recipient_delimiter"), &parts);
	r = lookup(m, addr, value, err);
	if (r == MAP_NOTFOUND && ext && at != NULL) {
		str_catf(&key, "%s@%s", parts.user.s, parts.domain.s);
		r = lookup(m, key.s, value, err);
	}
	if (r == MAP_NOTFOUND && at != NULL) {
		r = lookup_domain(m, at + 1, value, err);
	}
	if (r == MAP_NOTFOUND) {
		str_set_mem(&key, addr, at != NULL ? (size_t)(at - addr) + 1 :
		    strlen(addr));
		if (at == NULL) {
			str_cat(&key, "@");
		}
		r = lookup(m, key.s, value, err);
	}
	if (r == MAP_NOTFOUND && ext) {
		str_clear(&key);
		str_catf(&key, "%s@", parts.user.s);
		r = lookup(m, key.s, value, err);
	}
	str_free(&key);
	addr_parts_free(&parts);
	return r;
}

/* "NNN text" at the start of s, 4xx or 5xx (a lone number means OK). */
static int
reply_code(const char *s)
{
	if ((s[0] != '4' && s[0] != '5') || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || (s[3] != ' ' && s[3] != '\t')) {
		return 0;
	}
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/* "X.Y.Z" at the start of s whose class is that of code; its length. */
static size_t
status_len(const char *s, int code)
{
	size_t	i = 0, part, parts = 0;

	if (s[0] != '0' + code / 100 || s[1] != '.') {
		return 0;
	}
	while (parts < 3) {
		part = 0;
		while (isdigit((unsigned char)s[i]) && part < 3) {
			i++;
			part++;
		}
		if (part == 0) {
			return 0;
		}
		parts++;
		if (parts < 3) {
			if (s[i] != '.') {
				return 0;
			}
			i++;
		}
	}
	return s[i] == ' ' || s[i] == '\0' ? i : 0;
}

void
smtpd_access_reply(struct str *reply, int code, const char *status,
    const char *subject, const char *what, const char *text)
{
	size_t	n;

	while (*text == ' ' || *text == '\t') {
		text++;
	}
	if ((n = status_len(text, code)) > 0) {
		str_catf(reply, "%d %.*s <%s>: %s rejected: ", code, (int)n,
		    text, subject, what);
		text += n;
		while (*text == ' ') {
			text++;
		}
	} else {
		str_catf(reply, "%d %s <%s>: %s rejected: ", code, status,
		    subject, what);
	}
	str_cat(reply, *text != '\0' ? text : "Access denied");
}

enum access_verdict
smtpd_access_action(const char *value, const char *table,
    const char *subject, const char *what, struct str *reply)
{
	const char	*p = value, *rest;
	size_t		 n;
	int		 code;

	while (*p == ' ' || *p == '\t') {
		p++;
	}
	for (n = 0; p[n] != '\0' && p[n] != ' ' && p[n] != '\t'; n++) {
		continue;
	}
	rest = p + n;
	if (n == 0) {
		goto bad;
	}
	if ((code = reply_code(p)) != 0) {
		smtpd_access_reply(reply, code, code >= 500 ? "5.7.1" :
		    "4.7.1", subject, what, rest);
		return ACCESS_REJECT;
	}
	if (strspn(p, "0123456789") == n || (n == 2 &&
	    strncasecmp(p, "OK", 2) == 0)) {
		return ACCESS_PERMIT;
	}
	if (n == 5 && strncasecmp(p, "DUNNO", 5) == 0) {
		return ACCESS_DUNNO;
	}
	if (n == 6 && strncasecmp(p, "REJECT", 6) == 0) {
		smtpd_access_reply(reply, 554, "5.7.1", subject, what, rest);
		return ACCESS_REJECT;
	}
	if (n == 5 && strncasecmp(p, "DEFER", 5) == 0) {
		smtpd_access_reply(reply, 450, "4.7.1", subject, what, rest);
		return ACCESS_REJECT;
	}
	if (n == 4 && strncasecmp(p, "WARN", 4) == 0) {
		log_warnx("access table %s: <%s>: %s: %s", table, subject,
		    what, rest);
		return ACCESS_DUNNO;
	}
	if (strncasecmp(p, "permit", 6) == 0 ||
	    strncasecmp(p, "reject", 6) == 0 ||
	    strncasecmp(p, "defer", 5) == 0 ||
	    strncasecmp(p, "check_", 6) == 0) {
		return ACCESS_RESTRICTIONS;
	}
bad:
	log_warnx("access table %s: unsupported action \"%.*s\" for <%s>",
	    table, (int)(n > 64 ? 64 : n), p, subject);
	str_set(reply, "451 4.3.5 Server configuration error");
	return ACCESS_REJECT;
}
