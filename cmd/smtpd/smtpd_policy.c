/* SPDX-License-Identifier: ISC */
/*
 * smtpd_policy.c: what smtpd decides about a recipient, in Postfix's
 * order: smtpd_relay_restrictions, then smtpd_recipient_restrictions
 * (each a list of permit_mynetworks, permit_sasl_authenticated,
 * reject_unauth_destination, defer_unauth_destination, permit, reject;
 * the first that decides wins, the end of a list permits), then the
 * recipient must exist: a local address in local_recipient_maps, an
 * address of a virtual alias domain in virtual_alias_maps, of a virtual
 * mailbox domain in virtual_mailbox_maps (Postfix's
 * smtpd_reject_unlisted_recipient).  A table that cannot be read, or an
 * unknown restriction, gives a temporary error: nothing is accepted or
 * refused by mistake.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "log.h"
#include "map.h"
#include "netmatch.h"
#include "priv.h"
#include "rewrite.h"
#include "smtpd.h"

enum verdict { V_DUNNO, V_PERMIT, V_REJECT };

static enum verdict	restrictions(struct smtpd *, const char *, const char *,
			    const struct rewrite_result *, const char *,
			    struct str *);
static enum map_result	local_known(const char *, struct str *);
static enum map_result	table_known(const char *, const char *, bool,
			    struct str *);

int
smtpd_policy_mynetworks(const char *addr, struct str *err)
{
	return netmatch_list(conf_value("mynetworks"), addr, err);
}

static bool
auth_destination(enum rewrite_class class)
{
	return class != REWRITE_DEFAULT;
}

/* One restriction list; V_DUNNO at its end. */
static enum verdict
restrictions(struct smtpd *s, const char *param, const char *addr,
    const struct rewrite_result *r, const char *quoted, struct str *reply)
{
	struct str	word = STR_INIT;
	const char	*list = conf_value(param);
	size_t		pos = 0;
	enum verdict	v = V_DUNNO;

	(void)addr;
	while (v == V_DUNNO && conf_list_next(list, &pos, &word) == 1) {
		if (str_eq(&word, "permit_mynetworks")) {
			if (s->in_mynetworks) {
				v = V_PERMIT;
			}
		} else if (str_eq(&word, "permit_sasl_authenticated")) {
			/* no AUTH yet: never authenticated */
		} else if (str_eq(&word, "reject_unauth_destination") ||
		    str_eq(&word, "defer_unauth_destination")) {
			if (!auth_destination(r->class)) {
				str_catf(reply, "%s <%s>: Relay access denied",
				    word.s[0] == 'r' ? "554 5.7.1" :
				    "454 4.7.1", quoted);
				v = V_REJECT;
			}
		} else if (str_eq(&word, "permit")) {
			v = V_PERMIT;
		} else if (str_eq(&word, "reject")) {
			str_catf(reply, "554 5.7.1 <%s>: Recipient address "
			    "rejected: Access denied", quoted);
			v = V_REJECT;
		} else {
			log_warnx("%s: unknown restriction \"%s\"", param,
			    word.s);
			str_set(reply, "451 4.3.5 Server configuration error");
			v = V_REJECT;
		}
	}
	str_free(&word);
	return v;
}

/*
 * A local recipient: the local part (without its recipient_delimiter
 * extension, lowercased for the password database) in any table of
 * local_recipient_maps; "unix:passwd.byname" is the password database.
 * An empty list accepts every local address.
 */
static enum map_result
local_known(const char *addr, struct str *err)
{
	const char	*list = conf_value("local_recipient_maps");
	const char	*at = strrchr(addr, '@');
	struct str	 word = STR_INIT, local = STR_INIT, value = STR_INIT;
	struct map	*m;
	size_t		 pos = 0, n, i;
	uid_t		 uid;
	gid_t		 gid;
	enum map_result	 r = MAP_NOTFOUND;
	bool		 any = false;

	n = at != NULL ? (size_t)(at - addr) : strlen(addr);
	n = map_ext_split(addr, n, conf_value("recipient_delimiter"));
	str_set_mem(&local, addr, n);
	for (i = 0; i < local.len; i++) {
		local.s[i] = (char)tolower((unsigned char)local.s[i]);
	}
	while (r == MAP_NOTFOUND && conf_list_next(list, &pos, &word) == 1) {
		any = true;
		if (str_eq(&word, "unix:passwd.byname")) {
			if (local.len > 0 && priv_lookup(local.s, &uid, &gid,
			    NULL) == 0) {
				r = MAP_FOUND;
			} else if (local.len > 0 && errno != ENOENT &&
			    errno != EINVAL) {
				str_set(err, priv_error());
				r = MAP_ERROR;
			}
			continue;
		}
		if ((m = map_open(word.s, err)) == NULL) {
			r = MAP_ERROR;
			break;
		}
		r = map_lookup(m, local.s, &value, err);
		map_close(m);
	}
	if (!any) {
		r = MAP_FOUND;
	}
	str_free(&word);
	str_free(&local);
	str_free(&value);
	return r;
}

/* An address in the tables of param (virtual(5) lookup order). */
static enum map_result
table_known(const char *param, const char *addr, bool empty_ok,
    struct str *err)
{
	struct map_list	*l;
	struct str	 value = STR_INIT;
	enum map_result	 r;

	if (*conf_value(param) == '\0') {
		return empty_ok ? MAP_FOUND : MAP_NOTFOUND;
	}
	if ((l = map_list_open(conf_value(param), err)) == NULL) {
		return MAP_ERROR;
	}
	r = map_lookup_addr(l, addr, conf_value("recipient_delimiter"), 0,
	    &value, NULL, err);
	map_list_close(l);
	str_free(&value);
	return r;
}

int
smtpd_policy_rcpt(struct smtpd *s, const char *addr, struct str *reply)
{
	struct rewrite_result	 r = REWRITE_RESULT_INIT;
	struct str		 canon = STR_INIT, quoted = STR_INIT;
	struct str		 err = STR_INIT;
	enum verdict		 v;
	enum map_result		 known = MAP_FOUND;
	const char		*table = NULL;
	int			 rc = -1;

	str_clear(reply);
	addr_quote(addr, strlen(addr), &quoted);
	rewrite_canonical(addr, &canon);
	if (rewrite_resolve(canon.s, &r) == -1) {
		log_warnx("resolve <%s>: %s", canon.s, str_c(&r.nexthop));
		str_catf(reply, "451 4.3.0 <%s>: Temporary lookup failure",
		    quoted.s);
		goto out;
	}
	v = restrictions(s, "smtpd_relay_restrictions", canon.s, &r,
	    quoted.s, reply);
	if (v == V_REJECT) {
		goto out;
	}
	v = restrictions(s, "smtpd_recipient_restrictions", canon.s, &r,
	    quoted.s, reply);
	if (v == V_REJECT) {
		goto out;
	}
	switch (r.class) {
	case REWRITE_LOCAL:
		known = local_known(canon.s, &err);
		table = "local recipient table";
		break;
	case REWRITE_VIRTUAL_ALIAS:
		known = table_known("virtual_alias_maps", canon.s, false,
		    &err);
		table = "virtual alias table";
		break;
	case REWRITE_VIRTUAL_MAILBOX:
		known = table_known("virtual_mailbox_maps", canon.s, false,
		    &err);
		table = "virtual mailbox table";
		break;
	default:
		break;
	}
	if (known == MAP_ERROR) {
		log_warnx("<%s>: %s lookup error: %s", canon.s, table,
		    err.s);
		str_catf(reply, "451 4.3.0 <%s>: Temporary lookup failure",
		    quoted.s);
		goto out;
	}
	if (known == MAP_NOTFOUND) {
		str_catf(reply, "550 5.1.1 <%s>: Recipient address rejected: "
		    "User unknown in %s", quoted.s, table);
		goto out;
	}
	rc = 0;
out:
	rewrite_result_free(&r);
	str_free(&canon);
	str_free(&quoted);
	str_free(&err);
	return rc;
}
