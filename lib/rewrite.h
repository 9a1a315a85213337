/* SPDX-License-Identifier: ISC */
/*
 * rewrite.h: address rewriting and resolution, what Postfix's
 * trivial-rewrite(8) daemon does, as a library: cleanup canonicalizes
 * every address with rewrite_canonical(), smtpd and qmgr resolve each
 * recipient with rewrite_resolve() to its address class, transport, next
 * hop and recipient (Postfix's ADDRESS_CLASS_README and transport(5)).
 *
 * Everything here reads the process-wide configuration (conf.h).  Lookup
 * tables named by the configuration (transport_maps, tables in the domain
 * lists) are opened on first use and kept open; when a parameter's value
 * changes (a new conf_load) its tables are opened again, and a table that
 * could not be opened is tried again on the next call.  A cdb table that
 * is rebuilt is seen at once (map.h).
 *
 * Domain lists (mydestination, relay_domains, virtual_alias_domains,
 * virtual_mailbox_domains, or any CONF_LIST parameter passed to
 * rewrite_domain_in): words separated by commas and/or blanks, matched in
 * order, the first match deciding, ignoring ASCII case:
 *	example.org	that domain; also its subdomains when the list's
 *			name is in parent_domain_matches_subdomains
 *	.example.org	the subdomains of example.org (not itself)
 *	type:table	a table holding the domain as a key (any value);
 *			then, for sub.example.org, the keys example.org
 *			(parent style) or .example.org (otherwise)
 *	!pattern	a match of pattern means "not in the list"
 *	[192.0.2.1]	an address literal matches only itself, as written
 * Postfix's "/file/name" patterns are not supported: such a word makes
 * every match fail with an error (the caller defers), so that mail for a
 * domain listed in the file is never sent elsewhere.  A trailing dot of
 * the domain is ignored.
 *
 * Failures: a table that cannot be opened or read gives -1 (MAP_ERROR)
 * with a message; callers must defer (DSN_TEMP), never take it for "not
 * found".  Nothing here is fatal except running out of memory, and
 * conf_value() on a value that does not expand (conf.h).
 */
#ifndef POSTLET_REWRITE_H
#define POSTLET_REWRITE_H

#include <stdbool.h>

#include "map.h"
#include "str.h"

/* The address classes of Postfix's ADDRESS_CLASS_README. */
enum rewrite_class {
	REWRITE_LOCAL,		/* mydestination, or no domain */
	REWRITE_VIRTUAL_ALIAS,	/* virtual_alias_domains */
	REWRITE_VIRTUAL_MAILBOX,	/* virtual_mailbox_domains */
	REWRITE_RELAY,		/* relay_domains */
	REWRITE_DEFAULT,	/* everything else */
};

struct rewrite_result {
	enum rewrite_class	 class;
	/* e.g. "local", "smtp", "error" */
	struct str		 transport;
	/* e.g. "example.org", "[relay]:587", or the error text for "error" */
	struct str		 nexthop;
	/* the address to deliver to (internal form) */
	struct str		 recipient;
	/* transport_maps decided (so no relayhost override applies) */
	bool			 routed;
};
#define REWRITE_RESULT_INIT \
	{ REWRITE_DEFAULT, STR_INIT, STR_INIT, STR_INIT, false }

/* Free the strings of r (r itself is the caller's); r can be reused. */
void	rewrite_result_free(struct rewrite_result *r);

/*
 * Canonicalize an address in internal form as cleanup does for every
 * envelope and header address, into out (overwritten):
 *  - trailing dots of the domain are removed ("user@host." is user@host);
 *  - an address without a domain ("user", or "user@" with an empty one)
 *    becomes "user@$myorigin" when append_at_myorigin = yes; the null
 *    address stays empty;
 *  - a domain without a dot gets ".$mydomain" when append_dot_mydomain =
 *    yes (address literals "[...]" are left alone).
 * Case is kept.  Postfix's swap_bangpath and allow_percent_hack are not
 * implemented: '!' and '%' are ordinary local part characters.  An empty
 * myorigin or mydomain appends nothing.  Cannot fail.
 */
void	rewrite_canonical(const char *addr, struct str *out);

/*
 * Resolve a recipient (internal form, already canonical) into r, as
 * trivial-rewrite(8) does.  The domain (after the last '@', trailing dots
 * ignored) decides the class, tried in this order:
 *	no domain, or in mydestination	REWRITE_LOCAL, local_transport
 *	in virtual_alias_domains	REWRITE_VIRTUAL_ALIAS, transport
 *					"error", next hop "5.1.1 User
 *					unknown in virtual alias table"
 *					(cleanup has expanded the aliases
 *					before, so reaching this is an error)
 *	in virtual_mailbox_domains	REWRITE_VIRTUAL_MAILBOX,
 *					virtual_transport
 *	in relay_domains		REWRITE_RELAY, relay_transport
 *	anything else			REWRITE_DEFAULT, default_transport
 * A transport value "name:nexthop" splits at its first ':'.  Without a
 * next hop: for the relay and default classes $relayhost when it is set,
 * else the recipient's domain in lowercase ($myhostname for an address
 * without a domain).  Address literals are not compared with our own
 * addresses (Postfix's inet_interfaces): [192.0.2.1] is local only when
 * mydestination lists it.
 *
 * Then transport_maps (except for the virtual alias class, whose error
 * stands) is searched as transport(5) says, the first key found winning:
 * user+ext@domain, user@domain (recipient_delimiter), domain, each parent
 * ".example.org" from the nearest, then "*".  Its value
 * "transport:nexthop" replaces both; an empty transport keeps the class's;
 * an empty next hop with a transport resets the next hop to the
 * recipient's domain (not to relayhost: that is Postfix's rule); an empty
 * value, or ":", changes nothing.
 *
 * The recipient is addr with the domain's trailing dots removed; the
 * extension (user+ext) is kept.  Returns 0, or -1 with a message in
 * r->nexthop (class, transport and recipient then mean nothing) when a
 * table could not be read, a domain list holds an unsupported pattern or
 * a transport name came out empty: a temporary error, the caller defers.
 */
int	rewrite_resolve(const char *addr, struct rewrite_result *r);

/*
 * Is domain (any case, trailing dots ignored) in the domain list that is
 * the value of the CONF_LIST parameter param (see above)?  MAP_FOUND,
 * MAP_NOTFOUND, or MAP_ERROR with a message in err (errno as map.h says,
 * ENOTSUP for a "/file" pattern).  An empty domain is never in a list.
 * smtpd's relay checks and cleanup's virtual alias lookups use it too.
 * An unknown param is a caller bug (panic).
 */
enum map_result	 rewrite_domain_in(const char *param, const char *domain,
		    struct str *err);

/* "local", "virtual alias", "virtual mailbox", "relay", "default", for
 * messages.  A value outside the enum is a caller bug (panic). */
const char	*rewrite_class_name(enum rewrite_class);
/* The same as one word: "local", "virtual_alias", "virtual_mailbox",
 * "relay", "default" (the output of the trivial-rewrite command). */
const char	*rewrite_class_word(enum rewrite_class);

/* Close every table opened here and forget the cached lists (tests, and
 * programs that want to release memory before they exit). */
void		 rewrite_close(void);
/*
 * Close the tables opened here, so that the next lookup opens them
 * again and sees a table rebuilt since (a new session, a new message):
 * transport_maps and each domain list that names a table.  A list of
 * domains and patterns only stays compiled: it changes with its
 * parameter's value alone, which every lookup compares.
 */
void		 rewrite_close_tables(void);

#endif
