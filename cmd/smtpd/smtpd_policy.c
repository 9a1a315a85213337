/* SPDX-License-Identifier: ISC */
/*
 * smtpd_policy.c: what smtpd decides about a client, its HELO name, a
 * sender and a recipient, with Postfix's restriction lists and their
 * semantics (smtpd(8), "ACCESS POLICY"):
 *
 *	smtpd_client_restrictions, smtpd_helo_restrictions,
 *	smtpd_sender_restrictions, smtpd_relay_restrictions,
 *	smtpd_recipient_restrictions
 *
 * Each list is read left to right; the first restriction that decides
 * (permit or reject) ends that list, and the end of a list decides
 * nothing.  A permit ends only its own list: every list must let the
 * request through.  With smtpd_delay_reject = yes (the default) all
 * lists run at each RCPT TO, so a rejection names the recipient and the
 * client can still talk to postmaster; with no, the client and HELO
 * lists run at HELO (their rejection then answers every MAIL and RCPT)
 * and the sender list at MAIL.  After the lists, the recipient must
 * exist (smtpd_reject_unlisted_recipient): a local address in
 * local_recipient_maps, an address of a virtual alias, virtual mailbox
 * or relay domain in virtual_alias_maps, virtual_mailbox_maps or
 * relay_recipient_maps.
 *
 * The restrictions that ask the DNS are in smtpd_dns.c.  A table that
 * cannot be read or an unknown restriction gives a temporary error:
 * nothing is accepted or refused by mistake.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "addr.h"
#include "conf.h"
#include "jail.h"
#include "log.h"
#include "map.h"
#include "netmatch.h"
#include "priv.h"
#include "rewrite.h"
#include "smtpd.h"
#include "smtpd_access.h"

/* Access table values may name restrictions; this deep at most. */
#define POLICY_DEPTH_MAX	2

enum verdict { V_DUNNO, V_PERMIT, V_REJECT };

/* What the restrictions of one request can see. */
struct request {
	struct smtpd	*s;
	const char	*list;		/* the parameter, for messages */
	/* the recipient as given, canonical, quoted; NULL before RCPT */
	const char	*rcpt_raw;
	const char	*rcpt;
	const char	*rcpt_quoted;
	const struct rewrite_result *r;
	bool		 sender_known;	/* in a transaction: s->sender */
	struct str	*reply;
	int		 depth;
};

static enum verdict	run_list(struct request *, const char *);

int
smtpd_policy_mynetworks(const char *addr, struct str *err)
{
	return netmatch_list(conf_value("mynetworks"), addr, err);
}

/* "list: what "arg"" in the log, and a temporary error. */
static void
config_error(struct request *q, const char *what, const char *arg)
{
	log_warnx("%s: %s \"%s\"", q->list, what, arg);
	str_set(q->reply, "451 4.3.5 Server configuration error");
}

static void
lookup_error(struct request *q, const char *subject, const char *what,
    const char *err)
{
	log_warnx("%s: <%s>: %s lookup error: %s", q->list, subject, what,
	    err);
	str_clear(q->reply);
	str_catf(q->reply, "451 4.3.0 <%s>: Temporary lookup failure",
	    subject);
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

/* An address in the tables of param (virtual(5) lookup order); an
 * empty parameter finds everything when empty_ok. */
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

/*
 * Does the address (canonical, resolved to r) exist here?  MAP_FOUND for
 * any address of a domain that is not ours; *table names the table
 * searched, for the rejection.
 */
static enum map_result
address_known(const char *addr, const struct rewrite_result *r,
    const char **table, struct str *err)
{
	switch (r->class) {
	case REWRITE_LOCAL:
		*table = "local recipient table";
		return local_known(addr, err);
	case REWRITE_VIRTUAL_ALIAS:
		*table = "virtual alias table";
		return table_known("virtual_alias_maps", addr, false, err);
	case REWRITE_VIRTUAL_MAILBOX:
		*table = "virtual mailbox table";
		return table_known("virtual_mailbox_maps", addr, false, err);
	case REWRITE_RELAY:
		*table = "relay recipient table";
		return table_known("relay_recipient_maps", addr, true, err);
	default:
		*table = "";
		return MAP_FOUND;
	}
}

/* reject_unlisted_recipient and reject_unlisted_sender. */
static enum verdict
unlisted(struct request *q, const char *addr, const char *quoted,
    const struct rewrite_result *r, const char *what, const char *status)
{
	struct str	 err = STR_INIT;
	const char	*table = "";
	enum map_result	 known;

	known = address_known(addr, r, &table, &err);
	if (known == MAP_ERROR) {
		lookup_error(q, quoted, table, err.s);
	} else if (known == MAP_NOTFOUND) {
		str_catf(q->reply, "550 %s <%s>: %s rejected: User unknown "
		    "in %s", status, quoted, what, table);
	}
	str_free(&err);
	return known == MAP_FOUND ? V_DUNNO : V_REJECT;
}

/* A domain with a dot in it, or an address literal. */
static bool
fqdn(const char *domain)
{
	size_t	n = strlen(domain);

	if (domain[0] == '[') {
		return addr_valid_domain(domain, n, ADDR_DOMAIN_LITERAL);
	}
	if (n > 0 && domain[n - 1] == '.') {
		n--;
	}
	return memchr(domain, '.', n) != NULL &&
	    addr_valid_domain(domain, n, ADDR_PATH_UTF8);
}

/* reject_non_fqdn_sender and reject_non_fqdn_recipient. */
static enum verdict
non_fqdn(struct request *q, const char *addr, const char *quoted,
    const char *what)
{
	const char	*at = strrchr(addr, '@');

	if (*addr == '\0' || (at != NULL && fqdn(at + 1))) {
		return V_DUNNO;
	}
	str_catf(q->reply, "504 5.5.2 <%s>: %s rejected: need "
	    "fully-qualified address", quoted, what);
	return V_REJECT;
}

/* reject_invalid_helo_hostname and reject_non_fqdn_helo_hostname. */
static enum verdict
helo_name(struct request *q, bool need_fqdn)
{
	const char	*helo = q->s->helo.s;
	size_t		 n;

	if (q->s->helo.len == 0) {
		return V_DUNNO;
	}
	n = q->s->helo.len;
	if (helo[0] != '[' && n > 1 && helo[n - 1] == '.') {
		n--;
	}
	if (!addr_valid_domain(helo, n, ADDR_DOMAIN_LITERAL)) {
		str_catf(q->reply, "501 5.5.2 <%s>: Helo command rejected: "
		    "Invalid name", helo);
		return V_REJECT;
	}
	if (need_fqdn && helo[0] != '[' && memchr(helo, '.', n) == NULL) {
		str_catf(q->reply, "504 5.5.2 <%s>: Helo command rejected: "
		    "need fully-qualified hostname", helo);
		return V_REJECT;
	}
	return V_DUNNO;
}

/*
 * reject_sender_login_mismatch and its two halves: the owners of the
 * sender (smtpd_sender_login_maps, a list of login names) must include
 * the AUTH name; a sender that has owners needs AUTH.
 */
static enum verdict
login_mismatch(struct request *q, bool check_auth, bool check_unauth)
{
	struct smtpd	*s = q->s;
	struct map_list	*l;
	struct str	 owners = STR_INIT, err = STR_INIT, word = STR_INIT;
	struct str	 quoted = STR_INIT;
	enum map_result	 r;
	enum verdict	 v = V_DUNNO;
	size_t		 pos = 0;
	bool		 owned = false;

	if (!q->sender_known || (s->sasl_username == NULL ? !check_unauth :
	    !check_auth)) {
		return V_DUNNO;
	}
	addr_quote(str_c(&s->sender), s->sender.len, &quoted);
	if ((l = map_list_open(conf_value("smtpd_sender_login_maps"),
	    &err)) == NULL) {
		lookup_error(q, quoted.s, "sender login", err.s);
		v = V_REJECT;
		goto out;
	}
	r = map_lookup_addr(l, str_c(&s->sender),
	    conf_value("recipient_delimiter"), 0, &owners, NULL, &err);
	map_list_close(l);
	if (r == MAP_ERROR) {
		lookup_error(q, quoted.s, "sender login", err.s);
		v = V_REJECT;
		goto out;
	}
	if (s->sasl_username == NULL) {
		if (r == MAP_FOUND) {
			str_catf(q->reply, "553 5.7.1 <%s>: Sender address "
			    "rejected: not logged in", quoted.s);
			v = V_REJECT;
		}
		goto out;
	}
	while (r == MAP_FOUND && conf_list_next(owners.s, &pos, &word) == 1) {
		if (strcasecmp(word.s, s->sasl_username) == 0) {
			owned = true;
		}
	}
	if (!owned) {
		str_catf(q->reply, "553 5.7.1 <%s>: Sender address rejected: "
		    "not owned by user %s", quoted.s, s->sasl_username);
		v = V_REJECT;
	}
out:
	str_free(&owners);
	str_free(&err);
	str_free(&word);
	str_free(&quoted);
	return v;
}

/* check_*_access TABLE: look the request's subject up in the table. */
static enum verdict
check_access(struct request *q, const char *kind, const char *table)
{
	struct smtpd		*s = q->s;
	struct map		*m;
	struct str		 value = STR_INIT, err = STR_INIT;
	struct str		 quoted = STR_INIT;
	const char		*subject, *what;
	enum map_result		 r;
	enum access_verdict	 a;
	enum verdict		 v = V_DUNNO;

	if (strcmp(kind, "client") == 0) {
		subject = s->peer;
		what = "Client host";
	} else if (strcmp(kind, "helo") == 0) {
		if (s->helo.len == 0) {
			return V_DUNNO;
		}
		subject = s->helo.s;
		what = "Helo command";
	} else if (strcmp(kind, "sender") == 0) {
		if (!q->sender_known) {
			return V_DUNNO;
		}
		addr_quote(str_c(&s->sender), s->sender.len, &quoted);
		subject = quoted.s;
		what = "Sender address";
	} else {
		if (q->rcpt == NULL) {
			return V_DUNNO;
		}
		subject = q->rcpt_quoted;
		what = "Recipient address";
	}
	if ((m = map_open(table, &err)) == NULL) {
		lookup_error(q, subject, table, err.s);
		v = V_REJECT;
		goto out;
	}
	if (strcmp(kind, "client") == 0) {
		r = smtpd_access_client(m, s->name, s->addr, &value, &err);
	} else if (strcmp(kind, "helo") == 0) {
		r = smtpd_access_helo(m, s->helo.s, &value, &err);
	} else if (strcmp(kind, "sender") == 0) {
		r = smtpd_access_addr(m, str_c(&s->sender), &value, &err);
	} else {
		r = smtpd_access_addr(m, q->rcpt, &value, &err);
	}
	map_close(m);
	if (r == MAP_ERROR) {
		lookup_error(q, subject, table, err.s);
		v = V_REJECT;
		goto out;
	}
	if (r == MAP_NOTFOUND) {
		goto out;
	}
	a = smtpd_access_action(value.s, table, subject, what, q->reply);
	switch (a) {
	case ACCESS_PERMIT:
		v = V_PERMIT;
		break;
	case ACCESS_REJECT:
		v = V_REJECT;
		break;
	case ACCESS_RESTRICTIONS:
		if (q->depth >= POLICY_DEPTH_MAX) {
			config_error(q, "access table value nests too "
			    "deep:", value.s);
			v = V_REJECT;
			break;
		}
		q->depth++;
		v = run_list(q, value.s);
		q->depth--;
		break;
	default:
		break;
	}
out:
	str_free(&value);
	str_free(&err);
	str_free(&quoted);
	return v;
}

/* The sender's resolution, for reject_unlisted_sender. */
static enum verdict
unlisted_sender(struct request *q)
{
	struct rewrite_result	 r = REWRITE_RESULT_INIT;
	struct str		 canon = STR_INIT, quoted = STR_INIT;
	enum verdict		 v = V_DUNNO;

	if (!q->sender_known || q->s->sender.len == 0) {
		return V_DUNNO;
	}
	addr_quote(str_c(&q->s->sender), q->s->sender.len, &quoted);
	rewrite_canonical(str_c(&q->s->sender), &canon);
	if (rewrite_resolve(canon.s, &r) == -1) {
		lookup_error(q, quoted.s, "address resolution",
		    str_c(&r.nexthop));
		v = V_REJECT;
	} else {
		v = unlisted(q, canon.s, quoted.s, &r, "Sender address",
		    "5.1.0");
	}
	rewrite_result_free(&r);
	str_free(&canon);
	str_free(&quoted);
	return v;
}

/*
 * Whom a plain reject or defer in the current list is about: the
 * client, its HELO name, the sender or the recipient (buf holds the
 * quoted sender).
 */
static void
list_subject(struct request *q, struct str *buf, const char **subject,
    const char **what)
{
	if (strcmp(q->list, "smtpd_helo_restrictions") == 0 &&
	    q->s->helo.len > 0) {
		*subject = q->s->helo.s;
		*what = "Helo command";
	} else if (strcmp(q->list, "smtpd_sender_restrictions") == 0 &&
	    q->sender_known) {
		addr_quote(str_c(&q->s->sender), q->s->sender.len, buf);
		*subject = buf->s;
		*what = "Sender address";
	} else if (q->rcpt != NULL &&
	    strcmp(q->list, "smtpd_client_restrictions") != 0 &&
	    strcmp(q->list, "smtpd_helo_restrictions") != 0) {
		*subject = q->rcpt_quoted;
		*what = "Recipient address";
	} else {
		*subject = q->s->peer;
		*what = "Client host";
	}
}

/*
 * Sender-specified routing to a relay domain (user%other@relay.dom,
 * other!user@relay.dom, "user@other"@relay.dom): the host behind us may
 * honour the route, so without allow_untrusted_routing it counts as an
 * unauthorized destination, as in Postfix.
 */
static bool
untrusted_routing(const struct request *q)
{
	const char	*at;

	if (q->r->class != REWRITE_RELAY ||
	    conf_bool("allow_untrusted_routing")) {
		return false;
	}
	at = strrchr(q->rcpt, '@');
	return strcspn(q->rcpt, "@%!") < (at != NULL ? (size_t)(at - q->rcpt) :
	    strlen(q->rcpt));
}

/* One restriction word (and its argument, read from list at *pos). */
static enum verdict
restriction(struct request *q, const struct str *w, const char *list,
    size_t *pos)
{
	struct smtpd	*s = q->s;
	struct str	 arg = STR_INIT, quoted = STR_INIT;
	const char	*subject, *what;
	enum verdict	 v = V_DUNNO;

	if (str_eq(w, "permit")) {
		return V_PERMIT;
	}
	if (str_eq(w, "reject") || str_eq(w, "defer")) {
		bool defer = w->s[0] == 'd';

		list_subject(q, &quoted, &subject, &what);
		smtpd_access_reply(q->reply, defer ? 450 : 554,
		    defer ? "4.7.1" : "5.7.1", subject, what, "");
		str_free(&quoted);
		return V_REJECT;
	}
	if (str_eq(w, "permit_mynetworks")) {
		return s->in_mynetworks ? V_PERMIT : V_DUNNO;
	}
	if (str_eq(w, "permit_sasl_authenticated")) {
		return s->sasl_username != NULL ? V_PERMIT : V_DUNNO;
	}
	if (str_eq(w, "reject_unauth_destination") ||
	    str_eq(w, "defer_unauth_destination")) {
		if (q->r == NULL || (q->r->class != REWRITE_DEFAULT &&
		    !untrusted_routing(q))) {
			return V_DUNNO;
		}
		str_catf(q->reply, "%s <%s>: Relay access denied",
		    w->s[0] == 'r' ? "554 5.7.1" : "454 4.7.1",
		    q->rcpt_quoted);
		return V_REJECT;
	}
	if (str_eq(w, "reject_unlisted_recipient")) {
		if (q->rcpt == NULL) {
			return V_DUNNO;
		}
		return unlisted(q, q->rcpt, q->rcpt_quoted, q->r,
		    "Recipient address", "5.1.1");
	}
	if (str_eq(w, "reject_unlisted_sender")) {
		return unlisted_sender(q);
	}
	if (str_eq(w, "reject_non_fqdn_recipient")) {
		if (q->rcpt == NULL) {
			return V_DUNNO;
		}
		return non_fqdn(q, q->rcpt_raw, q->rcpt_quoted,
		    "Recipient address");
	}
	if (str_eq(w, "reject_non_fqdn_sender")) {
		if (!q->sender_known) {
			return V_DUNNO;
		}
		addr_quote(str_c(&s->sender), s->sender.len, &quoted);
		v = non_fqdn(q, str_c(&s->sender), quoted.s, "Sender address");
		str_free(&quoted);
		return v;
	}
	if (str_eq(w, "reject_invalid_helo_hostname")) {
		return helo_name(q, false);
	}
	if (str_eq(w, "reject_non_fqdn_helo_hostname")) {
		return helo_name(q, true);
	}
	if (str_eq(w, "reject_sender_login_mismatch")) {
		return login_mismatch(q, true, true);
	}
	if (str_eq(w, "reject_authenticated_sender_login_mismatch")) {
		return login_mismatch(q, true, false);
	}
	if (str_eq(w, "reject_unauthenticated_sender_login_mismatch")) {
		return login_mismatch(q, false, true);
	}
	if (str_eq(w, "reject_unknown_client_hostname") ||
	    str_eq(w, "reject_unknown_client")) {
		return smtpd_dns_unknown_client(s, false, q->reply) == -1 ?
		    V_REJECT : V_DUNNO;
	}
	if (str_eq(w, "reject_unknown_reverse_client_hostname")) {
		return smtpd_dns_unknown_client(s, true, q->reply) == -1 ?
		    V_REJECT : V_DUNNO;
	}
	if (str_eq(w, "reject_unknown_sender_domain")) {
		if (!q->sender_known || s->sender.len == 0) {
			return V_DUNNO;
		}
		addr_quote(str_c(&s->sender), s->sender.len, &quoted);
		v = smtpd_dns_unknown_domain(str_c(&s->sender), quoted.s,
		    "Sender address", q->reply) == -1 ? V_REJECT : V_DUNNO;
		str_free(&quoted);
		return v;
	}
	if (str_eq(w, "reject_unknown_recipient_domain")) {
		/* only domains that are not ours need to exist */
		if (q->rcpt == NULL || q->r->class != REWRITE_DEFAULT) {
			return V_DUNNO;
		}
		return smtpd_dns_unknown_domain(q->rcpt, q->rcpt_quoted,
		    "Recipient address", q->reply) == -1 ? V_REJECT : V_DUNNO;
	}
	if (str_eq(w, "reject_rbl_client")) {
		if (conf_list_next(list, pos, &arg) != 1) {
			config_error(q, "missing DNSBL zone after", w->s);
			return V_REJECT;
		}
		v = smtpd_dns_rbl(s, arg.s, q->reply) == -1 ? V_REJECT :
		    V_DUNNO;
		str_free(&arg);
		return v;
	}
	if (str_eq(w, "check_client_access") ||
	    str_eq(w, "check_helo_access") ||
	    str_eq(w, "check_sender_access") ||
	    str_eq(w, "check_recipient_access")) {
		if (conf_list_next(list, pos, &arg) != 1 ||
		    strchr(arg.s, ':') == NULL) {
			config_error(q, "missing type:table argument after",
			    w->s);
			v = V_REJECT;
		} else {
			/* "check_" + kind + "_access" */
			struct str kind = STR_INIT;

			str_set_mem(&kind, w->s + 6, w->len - 6 - 7);
			v = check_access(q, kind.s, arg.s);
			str_free(&kind);
		}
		str_free(&arg);
		return v;
	}
	config_error(q, "unknown or unsupported restriction", w->s);
	return V_REJECT;
}

/* Run one restriction list; V_DUNNO at its end. */
static enum verdict
run_list(struct request *q, const char *list)
{
	struct str	word = STR_INIT;
	size_t		pos = 0;
	enum verdict	v = V_DUNNO;

	while (v == V_DUNNO && conf_list_next(list, &pos, &word) == 1) {
		v = restriction(q, &word, list, &pos);
	}
	str_free(&word);
	return v;
}

/* The lists named, in order, until one rejects: 0, or -1 (reply set). */
static int
run_lists(struct request *q, const char *const *params)
{
	for (; *params != NULL; params++) {
		q->list = *params;
		if (run_list(q, conf_value(*params)) == V_REJECT) {
			return -1;
		}
	}
	return 0;
}

static const char *const client_helo_lists[] = {
	"smtpd_client_restrictions", "smtpd_helo_restrictions", NULL
};
static const char *const sender_lists[] = {
	"smtpd_sender_restrictions", NULL
};
static const char *const rcpt_lists[] = {
	"smtpd_relay_restrictions", "smtpd_recipient_restrictions", NULL
};
static const char *const delayed_lists[] = {
	"smtpd_client_restrictions", "smtpd_helo_restrictions",
	"smtpd_sender_restrictions", "smtpd_relay_restrictions",
	"smtpd_recipient_restrictions", NULL
};

int
smtpd_policy_helo(struct smtpd *s, struct str *reply)
{
	struct request	q = { .s = s, .reply = reply };

	str_clear(reply);
	str_clear(&s->early_reject);
	if (conf_bool("smtpd_delay_reject")) {
		return 0;
	}
	q.list = client_helo_lists[0];
	if (run_list(&q, conf_value(q.list)) == V_REJECT) {
		str_set(&s->early_reject, reply->s);
		return -1;
	}
	q.list = client_helo_lists[1];
	return run_list(&q, conf_value(q.list)) == V_REJECT ? -1 : 0;
}

/*
 * The queue's free space: below queue_minfree, or too small for the
 * declared size with queue_minfree to spare, mail waits (452 4.3.1).
 */
static int
storage_ok(struct smtpd *s, struct str *reply)
{
	struct statvfs		 fs;
	unsigned long long	 avail, minfree = conf_size("queue_minfree");
	const char		*dir = jail_queue_dir();

	if (statvfs(dir, &fs) == -1) {
		log_warn("statvfs %s", dir);
		return 0;
	}
	avail = (unsigned long long)fs.f_bavail * fs.f_frsize;
	if (avail < minfree || (s->declared_size > 0 &&
	    s->declared_size > avail - minfree)) {
		log_warnx("not enough free space in %s: %llu bytes, "
		    "queue_minfree %llu, message size %llu", dir, avail,
		    minfree, s->declared_size);
		str_set(reply, "452 4.3.1 Insufficient system storage");
		return -1;
	}
	return 0;
}

int
smtpd_policy_mail(struct smtpd *s, struct str *reply)
{
	struct request	q = { .s = s, .reply = reply, .sender_known = true };

	str_clear(reply);
	if (s->early_reject.len > 0) {
		str_set(reply, s->early_reject.s);
		return -1;
	}
	if (storage_ok(s, reply) == -1) {
		return -1;
	}
	if (conf_bool("smtpd_delay_reject")) {
		return 0;
	}
	/* no HELO (smtpd_helo_required = no): the client list now */
	if (s->helo.len == 0 && run_lists(&q, client_helo_lists) == -1) {
		str_set(&s->early_reject, reply->s);
		return -1;
	}
	return run_lists(&q, sender_lists);
}

/*
 * Postfix's guard against an open relay by mistake: the relay or the
 * recipient restrictions must hold reject_unauth_destination,
 * defer_unauth_destination, reject or defer at their top level.
 */
static bool
relay_guarded(void)
{
	static const char *const lists[] = {
		"smtpd_relay_restrictions", "smtpd_recipient_restrictions"
	};
	struct str	word = STR_INIT;
	size_t		i, pos;
	bool		found = false;

	for (i = 0; i < 2 && !found; i++) {
		pos = 0;
		while (!found && conf_list_next(conf_value(lists[i]), &pos,
		    &word) == 1) {
			found = str_eq(&word, "reject_unauth_destination") ||
			    str_eq(&word, "defer_unauth_destination") ||
			    str_eq(&word, "reject") || str_eq(&word, "defer");
		}
	}
	str_free(&word);
	return found;
}

int
smtpd_policy_rcpt(struct smtpd *s, const char *addr, struct str *reply)
{
	struct rewrite_result	 r = REWRITE_RESULT_INIT;
	struct str		 canon = STR_INIT, quoted = STR_INIT;
	struct request		 q = { .s = s, .reply = reply };
	int			 rc = -1;

	str_clear(reply);
	if (s->early_reject.len > 0) {
		str_set(reply, s->early_reject.s);
		return -1;
	}
	if (!relay_guarded()) {
		log_warnx("in parameter smtpd_relay_restrictions or "
		    "smtpd_recipient_restrictions, specify at least one "
		    "working instance of: reject_unauth_destination, "
		    "defer_unauth_destination, reject, defer");
		str_set(reply, "451 4.3.5 Server configuration error");
		return -1;
	}
	addr_quote(addr, strlen(addr), &quoted);
	rewrite_canonical(addr, &canon);
	if (rewrite_resolve(canon.s, &r) == -1) {
		log_warnx("resolve <%s>: %s", canon.s, str_c(&r.nexthop));
		str_catf(reply, "451 4.3.0 <%s>: Temporary lookup failure",
		    quoted.s);
		goto out;
	}
	q.rcpt_raw = addr;
	q.rcpt = canon.s;
	q.rcpt_quoted = quoted.s;
	q.r = &r;
	q.sender_known = s->in_mail;
	if (run_lists(&q, conf_bool("smtpd_delay_reject") ? delayed_lists :
	    rcpt_lists) == -1) {
		goto out;
	}
	if (conf_bool("smtpd_reject_unlisted_recipient")) {
		q.list = "smtpd_reject_unlisted_recipient";
		if (unlisted(&q, canon.s, quoted.s, &r, "Recipient address",
		    "5.1.1") == V_REJECT) {
			goto out;
		}
	}
	rc = 0;
out:
	rewrite_result_free(&r);
	str_free(&canon);
	str_free(&quoted);
	return rc;
}
