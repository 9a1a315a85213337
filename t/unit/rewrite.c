/* SPDX-License-Identifier: ISC */
/*
 * rewrite.c: unit tests for lib/rewrite (canonical addresses, domain
 * lists, and the resolution of recipients into class, transport, next hop
 * and recipient).
 *
 * Each group writes a main.cf (and its tables) into a temporary
 * directory, runs conf_load on it, and runs a table of named cases that
 * give the expected class, transport, next hop and recipient.  The
 * groups cover every class, the precedence of transport_maps and its
 * lookup order, next hop inheritance, relayhost, the recipient_delimiter
 * extension, case, trailing dots, parent domain matching, negation,
 * tables in domain lists, the canonical forms with and without
 * append_dot_mydomain, the null address, and the failures: a missing cdb
 * table, a "/file" pattern and an empty transport name give -1 with a
 * message.  After rewrite_close_tables a table in a domain list is read
 * again, while lists of plain domains stay compiled.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "map.h"
#include "rewrite.h"
#include "str.h"
#include "tap.h"

struct resolve_case {
	const char		*name;
	const char		*addr;
	enum rewrite_class	 class;
	const char		*transport;
	const char		*nexthop;
	const char		*recipient;
};

struct canon_case {
	const char	*name;
	const char	*addr;
	const char	*want;
};

static const char *tmp_path(const char *);
static void	write_file(const char *, const char *);
static void	load(const char *);
static void	build_map(const char *, const char *);
static void	run_resolve(const char *, const struct resolve_case *, size_t);
static void	run_canon(const char *, const struct canon_case *, size_t);
static void	test_classes(void);
static void	test_defaults(void);
static void	test_wildcard(void);
static void	test_parent_style(void);
static void	test_domain_in(void);
static void	test_canonical(void);
static void	test_failures(void);
static void	test_reload(void);
static void	test_names(void);

#define NCASES(a)	(sizeof(a) / sizeof((a)[0]))

/* dir/name in a static buffer (one of a few, so two can be in use). */
static const char *
tmp_path(const char *name)
{
	static char	path[4][512];
	static int	next;
	char		*p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", tap_tmpdir(), name);
	return p;
}

static void
write_file(const char *name, const char *text)
{
	const char	*path = tmp_path(name);
	FILE		*fp;

	if ((fp = fopen(path, "w")) == NULL ||
	    fputs(text, fp) == EOF || fclose(fp) != 0) {
		diag("cannot write %s: %s", path, strerror(errno));
	}
}

/* main.cf with text (a "%s" in it becomes the directory), then load. */
static void
load(const char *text)
{
	struct str	cf = STR_INIT;
	const char	*p;

	/* Replace every "DIR" by the temporary directory. */
	for (p = text; *p != '\0'; p++) {
		if (strncmp(p, "DIR", 3) == 0) {
			str_cat(&cf, tap_tmpdir());
			p += 2;
		} else {
			str_cat_char(&cf, *p);
		}
	}
	write_file("main.cf", str_c(&cf));
	str_free(&cf);
	conf_load(tap_tmpdir());
}

/* Build the cdb table name.cdb from the source text. */
static void
build_map(const char *name, const char *text)
{
	struct str	msgs = STR_INIT;

	write_file(name, text);
	if (map_cdb_build(tmp_path(name), MAPSRC_POSTMAP, &msgs) == -1) {
		diag("build %s: %s", name, str_c(&msgs));
	}
	str_free(&msgs);
}

static void
run_resolve(const char *group, const struct resolve_case *c, size_t n)
{
	struct rewrite_result	r = REWRITE_RESULT_INIT;
	struct str		got = STR_INIT, want = STR_INIT;
	size_t			i;
	int			ret;

	for (i = 0; i < n; i++) {
		ret = rewrite_resolve(c[i].addr, &r);
		str_clear(&got);
		str_clear(&want);
		if (ret == 0) {
			str_catf(&got, "%s %s %s %s",
			    rewrite_class_word(r.class), str_c(&r.transport),
			    str_c(&r.nexthop), str_c(&r.recipient));
		} else {
			str_catf(&got, "-1 %s", str_c(&r.nexthop));
		}
		str_catf(&want, "%s %s %s %s", rewrite_class_word(c[i].class),
		    c[i].transport, c[i].nexthop, c[i].recipient);
		is_str(str_c(&got), str_c(&want), "%s: %s", group,
		    c[i].name);
	}
	rewrite_result_free(&r);
	str_free(&got);
	str_free(&want);
}

static void
run_canon(const char *group, const struct canon_case *c, size_t n)
{
	struct str	out = STR_INIT;
	size_t		i;

	for (i = 0; i < n; i++) {
		rewrite_canonical(c[i].addr, &out);
		is_str(str_c(&out), c[i].want, "%s: %s", group, c[i].name);
	}
	str_free(&out);
}

/* Every class, transport_maps over them, relayhost, extensions, case. */
static void
test_classes(void)
{
	static const struct resolve_case cases[] = {
		{ "local: $myhostname", "user@mail.example.com",
		    REWRITE_LOCAL, "local", "mail.example.com",
		    "user@mail.example.com" },
		{ "local: localhost, case kept in recipient",
		    "User@LocalHost", REWRITE_LOCAL, "local",
		    "mail.example.com", "User@LocalHost" },
		{ "local: no domain", "user", REWRITE_LOCAL, "local",
		    "mail.example.com", "user" },
		{ "local: the null address", "", REWRITE_LOCAL, "local",
		    "mail.example.com", "" },
		{ "local: extension kept", "user+tag@mail.example.com",
		    REWRITE_LOCAL, "local", "mail.example.com",
		    "user+tag@mail.example.com" },
		{ "local: trailing dot dropped", "user@mail.example.com.",
		    REWRITE_LOCAL, "local", "mail.example.com",
		    "user@mail.example.com" },
		{ "local: address literal listed", "user@[192.0.2.1]",
		    REWRITE_LOCAL, "local", "mail.example.com",
		    "user@[192.0.2.1]" },
		{ "default: address literal not listed", "user@[192.0.2.9]",
		    REWRITE_DEFAULT, "smtp", "[smarthost.example]:587",
		    "user@[192.0.2.9]" },
		{ "local: .domain pattern matches a subdomain",
		    "a@host.lan.example", REWRITE_LOCAL, "local",
		    "mail.example.com", "a@host.lan.example" },
		{ "default: .domain pattern does not match the domain",
		    "a@lan.example", REWRITE_DEFAULT, "smtp",
		    "[smarthost.example]:587", "a@lan.example" },
		{ "default: !pattern excludes before a later match",
		    "a@not.lan.example", REWRITE_DEFAULT, "smtp",
		    "[smarthost.example]:587", "a@not.lan.example" },
		{ "virtual alias: listed", "a@valias.example",
		    REWRITE_VIRTUAL_ALIAS, "error",
		    "5.1.1 User unknown in virtual alias table",
		    "a@valias.example" },
		{ "virtual alias: from a cdb table, any case",
		    "a@VAlias2.Example", REWRITE_VIRTUAL_ALIAS, "error",
		    "5.1.1 User unknown in virtual alias table",
		    "a@VAlias2.Example" },
		{ "virtual alias: transport_maps do not apply",
		    "user@valias.example", REWRITE_VIRTUAL_ALIAS, "error",
		    "5.1.1 User unknown in virtual alias table",
		    "user@valias.example" },
		{ "virtual mailbox: no relayhost", "a@vmbox.example",
		    REWRITE_VIRTUAL_MAILBOX, "virtual", "vmbox.example",
		    "a@vmbox.example" },
		{ "relay: relayhost", "a@relay.example", REWRITE_RELAY,
		    "smtp", "[smarthost.example]:587", "a@relay.example" },
		{ "relay: parent style matches a subdomain",
		    "a@mx.relay.example", REWRITE_RELAY, "smtp",
		    "[smarthost.example]:587", "a@mx.relay.example" },
		{ "relay: texthash table, parent key",
		    "a@deep.relay2.example", REWRITE_RELAY, "smtp",
		    "[smarthost.example]:587", "a@deep.relay2.example" },
		{ "default: relayhost", "a@Elsewhere.ORG", REWRITE_DEFAULT,
		    "smtp", "[smarthost.example]:587", "a@Elsewhere.ORG" },
		{ "transport: full address over the class",
		    "user@special.example", REWRITE_DEFAULT, "smtp",
		    "[special-mx]:2525", "user@special.example" },
		{ "transport: user+ext@domain first",
		    "user+x@special.example", REWRITE_DEFAULT, "lmtp",
		    "unix:/run/lmtp", "user+x@special.example" },
		{ "transport: then user@domain, extension kept",
		    "user+y@special.example", REWRITE_DEFAULT, "smtp",
		    "[special-mx]:2525", "user+y@special.example" },
		{ "transport: then the domain", "other@special.example",
		    REWRITE_DEFAULT, "discard", "special.example",
		    "other@special.example" },
		{ "transport: key case ignored", "USER@Special.Example",
		    REWRITE_DEFAULT, "smtp", "[special-mx]:2525",
		    "USER@Special.Example" },
		{ "transport: over mydestination", "postmaster@localhost",
		    REWRITE_LOCAL, "smtp", "[postmaster-hub]",
		    "postmaster@localhost" },
		{ "transport: null transport keeps the class's",
		    "a@route.example", REWRITE_DEFAULT, "smtp",
		    "[gw.example]", "a@route.example" },
		{ "transport: transport without next hop resets it to the "
		    "domain (not relayhost)", "a@Reset.Example",
		    REWRITE_DEFAULT, "lmtp", "reset.example",
		    "a@Reset.Example" },
		{ "transport: \":\" changes nothing", "a@keep.example",
		    REWRITE_DEFAULT, "smtp", "[smarthost.example]:587",
		    "a@keep.example" },
		{ "transport: .parent, nearest first", "a@x.b.sub.example",
		    REWRITE_DEFAULT, "smtp", "[b-gw]", "a@x.b.sub.example" },
		{ "transport: .parent, farther", "a@x.c.sub.example",
		    REWRITE_DEFAULT, "smtp", "[sub-gw]",
		    "a@x.c.sub.example" },
		{ "transport: .parent does not match the domain itself",
		    "a@sub.example", REWRITE_DEFAULT, "smtp",
		    "[smarthost.example]:587", "a@sub.example" },
		{ "transport: error with text", "a@nomail.example",
		    REWRITE_RELAY, "error", "5.7.1 no mail here",
		    "a@nomail.example" },
		{ "transport: in a virtual mailbox domain",
		    "b@vmbox.example", REWRITE_VIRTUAL_MAILBOX, "lmtp",
		    "[dovecot]:24", "b@vmbox.example" },
	};

	build_map("vdomains", "valias2.example anything\n");
	write_file("relaydomains", "# relay domains\nrelay2.example ok\n");
	build_map("transport",
	    "user@special.example smtp:[special-mx]:2525\n"
	    "user+x@special.example lmtp:unix:/run/lmtp\n"
	    "special.example discard\n"
	    "postmaster@localhost smtp:[postmaster-hub]\n"
	    "user@valias.example smtp:[never]\n"
	    "route.example :[gw.example]\n"
	    "reset.example lmtp:\n"
	    "keep.example :\n"
	    ".sub.example smtp:[sub-gw]\n"
	    ".b.sub.example smtp:[b-gw]\n"
	    "nomail.example error:5.7.1 no mail here\n"
	    "b@vmbox.example lmtp:[dovecot]:24\n");
	load("myhostname = mail.example.com\n"
	    "mydomain = example.com\n"
	    "mydestination = $myhostname, localhost.$mydomain, localhost,\n"
	    "    [192.0.2.1], !not.lan.example, .lan.example\n"
	    "recipient_delimiter = +\n"
	    "relayhost = [smarthost.example]:587\n"
	    "virtual_alias_domains = valias.example cdb:DIR/vdomains\n"
	    "virtual_mailbox_domains = vmbox.example\n"
	    "relay_domains = relay.example, texthash:DIR/relaydomains,\n"
	    "    nomail.example\n"
	    "transport_maps = cdb:DIR/transport\n");
	run_resolve("classes", cases, NCASES(cases));
}

/* Default transports, their next hops, and no relayhost. */
static void
test_defaults(void)
{
	static const struct resolve_case cases[] = {
		{ "local: default local:$myhostname", "u@localhost",
		    REWRITE_LOCAL, "local", "host.example.net",
		    "u@localhost" },
		{ "default: default smtp, next hop the domain in lowercase",
		    "u@Remote.Example.", REWRITE_DEFAULT, "smtp",
		    "remote.example", "u@Remote.Example" },
		{ "default: localhost.$mydomain is local",
		    "u@localhost.example.net", REWRITE_LOCAL, "local",
		    "host.example.net", "u@localhost.example.net" },
		{ "default: no virtual domains by default",
		    "u@virtual.example", REWRITE_DEFAULT, "smtp",
		    "virtual.example", "u@virtual.example" },
		{ "default: empty domain is local", "u@", REWRITE_LOCAL,
		    "local", "host.example.net", "u@" },
	};
	static const struct resolve_case cases2[] = {
		{ "local: transport without next hop: the domain",
		    "u@host.example.net", REWRITE_LOCAL, "mylocal",
		    "host.example.net", "u@host.example.net" },
		{ "local: no domain: $myhostname", "u", REWRITE_LOCAL,
		    "mylocal", "host.example.net", "u" },
		{ "virtual mailbox: next hop given", "u@vm.example",
		    REWRITE_VIRTUAL_MAILBOX, "virtual", "vmhost",
		    "u@vm.example" },
		{ "relay: relay_transport with next hop beats relayhost",
		    "u@relay.example", REWRITE_RELAY, "smtp", "[inside]:25",
		    "u@relay.example" },
		{ "default: default_transport next hop beats relayhost",
		    "u@out.example", REWRITE_DEFAULT, "lmtp", "[fallback]",
		    "u@out.example" },
		{ "virtual mailbox: from $virtual_mailbox_maps (domain key)",
		    "u@vm2.example", REWRITE_VIRTUAL_MAILBOX, "virtual",
		    "vmhost", "u@vm2.example" },
		{ "virtual alias: from $virtual_alias_maps (domain key)",
		    "u@va.example", REWRITE_VIRTUAL_ALIAS, "error",
		    "5.1.1 User unknown in virtual alias table",
		    "u@va.example" },
		{ "default: a virtual_alias_maps address key is no domain",
		    "u@va2.example", REWRITE_DEFAULT, "lmtp", "[fallback]",
		    "u@va2.example" },
	};

	load("myhostname = host.example.net\n");
	run_resolve("defaults", cases, NCASES(cases));
	load("myhostname = host.example.net\n"
	    "local_transport = mylocal\n"
	    "virtual_transport = virtual:vmhost\n"
	    "virtual_mailbox_domains = vm.example $virtual_mailbox_maps\n"
	    "virtual_mailbox_maps = inline:{vm2.example=x}\n"
	    "virtual_alias_maps = inline:{va.example=x, u@va2.example=y}\n"
	    "relay_domains = relay.example\n"
	    "relay_transport = smtp:[inside]:25\n"
	    "default_transport = lmtp:[fallback]\n"
	    "relayhost = [smarthost]\n");
	run_resolve("defaults", cases2, NCASES(cases2));
}

/* The "*" entry of transport_maps comes last. */
static void
test_wildcard(void)
{
	static const struct resolve_case cases[] = {
		{ "wildcard: catches the default class", "u@any.example",
		    REWRITE_DEFAULT, "smtp", "[hub]", "u@any.example" },
		{ "wildcard: catches local too", "u@localhost",
		    REWRITE_LOCAL, "smtp", "[hub]", "u@localhost" },
		{ "wildcard: after the domain", "u@mine.example",
		    REWRITE_DEFAULT, "local", "mine.example",
		    "u@mine.example" },
		{ "wildcard: no domain", "u", REWRITE_LOCAL, "smtp",
		    "[hub]", "u" },
	};

	load("myhostname = host.example.net\n"
	    "transport_maps = inline:{mine.example=local, *=smtp:[hub]}\n");
	run_resolve("wildcard", cases, NCASES(cases));
}

/* parent_domain_matches_subdomains decides what "example.org" matches. */
static void
test_parent_style(void)
{
	static const struct resolve_case cases[] = {
		{ "not parent style: relay.example only itself",
		    "u@mx.relay.example", REWRITE_DEFAULT, "smtp",
		    "mx.relay.example", "u@mx.relay.example" },
		{ "not parent style: the domain", "u@relay.example",
		    REWRITE_RELAY, "smtp", "relay.example",
		    "u@relay.example" },
		{ "not parent style: .domain still matches subdomains",
		    "u@a.dot.example", REWRITE_RELAY, "smtp", "a.dot.example",
		    "u@a.dot.example" },
		{ "not parent style: table with .parent key",
		    "u@a.t.example", REWRITE_RELAY, "smtp", "a.t.example",
		    "u@a.t.example" },
		{ "not parent style: table parent key without dot unused",
		    "u@a.p.example", REWRITE_DEFAULT, "smtp", "a.p.example",
		    "u@a.p.example" },
		{ "parent style: mydestination listed",
		    "u@sub.mine.example", REWRITE_LOCAL, "local",
		    "host.example.net", "u@sub.mine.example" },
	};

	load("myhostname = host.example.net\n"
	    "mydestination = mine.example\n"
	    "parent_domain_matches_subdomains = mydestination\n"
	    "relay_domains = relay.example .dot.example\n"
	    "    inline:{.t.example=x, p.example=y}\n");
	run_resolve("parent", cases, NCASES(cases));
}

static void
test_domain_in(void)
{
	struct str	err = STR_INIT;

	load("myhostname = host.example.net\n"
	    "relay_domains = Relay.Example., !bad.relay.example\n");
	is_int(rewrite_domain_in("relay_domains", "relay.example", &err),
	    MAP_FOUND, "domain_in: pattern case and trailing dot ignored");
	is_int(rewrite_domain_in("relay_domains", "RELAY.EXAMPLE..", &err),
	    MAP_FOUND, "domain_in: domain case and trailing dots ignored");
	is_int(rewrite_domain_in("relay_domains", "bad.relay.example", &err),
	    MAP_FOUND, "domain_in: the first match decides");
	is_int(rewrite_domain_in("relay_domains", "", &err), MAP_NOTFOUND,
	    "domain_in: empty domain");
	is_int(rewrite_domain_in("relay_domains", "example", &err),
	    MAP_NOTFOUND, "domain_in: a parent is not a match");
	is_int(rewrite_domain_in("mydestination", "LOCALHOST", &err),
	    MAP_FOUND, "domain_in: mydestination default");
	ok(TAP_FATAL(rewrite_domain_in("myhostname", "x", &err)),
	    "domain_in: a parameter that is not a list panics");
	str_free(&err);
}

static void
test_canonical(void)
{
	static const struct canon_case plain[] = {
		{ "null address stays empty", "", "" },
		{ "no domain: @$myorigin", "user", "user@example.com" },
		{ "empty domain: @$myorigin", "user@", "user@example.com" },
		{ "a lone @ is the null address", "@", "" },
		{ "host without a dot kept (append_dot_mydomain = no)",
		    "user@host", "user@host" },
		{ "trailing dots removed, case kept", "User@Example.ORG..",
		    "User@Example.ORG" },
		{ "extension and quoted forms kept", "a b+x@example.org",
		    "a b+x@example.org" },
		{ "@ in the local part: the last one splits",
		    "a@b@example.org", "a@b@example.org" },
	};
	static const struct canon_case dot[] = {
		{ "no domain: @$myorigin.$mydomain", "user",
		    "user@mailhost.example.com" },
		{ "host without a dot gets .$mydomain", "user@host",
		    "user@host.example.com" },
		{ "trailing dot removed first", "user@host.",
		    "user@host.example.com" },
		{ "domain with a dot kept", "user@a.b", "user@a.b" },
		{ "IPv6 literal left alone", "user@[IPv6:::1]",
		    "user@[IPv6:::1]" },
		{ "null address stays empty", "", "" },
	};
	static const struct canon_case none[] = {
		{ "append_at_myorigin = no: bare kept", "user", "user" },
		{ "append_at_myorigin = no: empty domain dropped", "user@",
		    "user" },
	};

	load("myhostname = mail.example.com\nmyorigin = $mydomain\n");
	run_canon("canonical", plain, NCASES(plain));
	load("myhostname = mail.example.com\nmyorigin = mailhost\n"
	    "append_dot_mydomain = yes\n");
	run_canon("canonical dot", dot, NCASES(dot));
	load("myhostname = mail.example.com\nappend_at_myorigin = no\n");
	run_canon("canonical none", none, NCASES(none));
}

/* Failures are -1 with a message, never "not found". */
static void
test_failures(void)
{
	struct rewrite_result	 r = REWRITE_RESULT_INIT;
	struct str		 err = STR_INIT;
	const char		*t;

	load("myhostname = host.example.net\n"
	    "transport_maps = cdb:DIR/missing\n");
	is_int(rewrite_resolve("u@remote.example", &r), -1,
	    "missing transport table: -1");
	t = str_c(&r.nexthop);
	ok(strncmp(t, "transport_maps: ", 16) == 0 &&
	    strstr(t, "missing.cdb") != NULL &&
	    strstr(t, "No such file") != NULL,
	    "missing transport table: message names the file (%s)", t);
	is_str(str_c(&r.transport), "", "missing transport table: "
	    "no transport");

	load("myhostname = host.example.net\n"
	    "relay_domains = cdb:DIR/missing\n");
	is_int(rewrite_resolve("u@remote.example", &r), -1,
	    "missing relay_domains table: -1");
	ok(strncmp(str_c(&r.nexthop), "relay_domains: ", 15) == 0,
	    "missing relay_domains table: message names the list (%s)",
	    str_c(&r.nexthop));
	is_int(rewrite_resolve("u@host.example.net", &r), 0,
	    "missing relay_domains table: local still resolves");
	is_int(rewrite_domain_in("relay_domains", "x.example", &err),
	    MAP_ERROR, "missing relay_domains table: MAP_ERROR");

	/* A table that breaks after it was opened: a lookup error. */
	build_map("rd", "relay.example x\n");
	load("myhostname = host.example.net\n"
	    "relay_domains = cdb:DIR/rd\n");
	is_int(rewrite_resolve("u@relay.example", &r), 0,
	    "corrupt relay_domains table: good before");
	is_int(r.class, REWRITE_RELAY, "corrupt relay_domains table: relay");
	write_file("rd.new", "not a cdb file");
	if (rename(tmp_path("rd.new"), tmp_path("rd.cdb")) == -1) {
		diag("rename: %s", strerror(errno));
	}
	is_int(rewrite_resolve("u@relay.example", &r), -1,
	    "corrupt relay_domains table: -1");
	ok(strncmp(str_c(&r.nexthop), "relay_domains: ", 15) == 0,
	    "corrupt relay_domains table: message names the list (%s)",
	    str_c(&r.nexthop));

	load("myhostname = host.example.net\n"
	    "mydestination = /etc/postlet/local-domains\n");
	is_int(rewrite_resolve("u@remote.example", &r), -1,
	    "/file pattern: -1");
	is_str(str_c(&r.nexthop), "mydestination: /etc/postlet/local-domains:"
	    " \"/file\" patterns are not supported",
	    "/file pattern: the message");
	errno = 0;
	is_int(rewrite_domain_in("mydestination", "x", &err), MAP_ERROR,
	    "/file pattern: MAP_ERROR");
	is_int(errno, ENOTSUP, "/file pattern: ENOTSUP");

	load("myhostname = host.example.net\n"
	    "default_transport = :[hub]\n");
	is_int(rewrite_resolve("u@remote.example", &r), -1,
	    "empty transport name: -1");
	is_str(str_c(&r.nexthop),
	    "default_transport: no transport name in \":[hub]\"",
	    "empty transport name: the message");
	rewrite_result_free(&r);
	str_free(&err);
}

/* A new conf_load and a rebuilt table are seen at once. */
static void
test_reload(void)
{
	static const struct resolve_case before[] = {
		{ "reload: first table", "u@t.example", REWRITE_DEFAULT,
		    "smtp", "[one]", "u@t.example" },
	};
	static const struct resolve_case after[] = {
		{ "reload: rebuilt table", "u@t.example", REWRITE_DEFAULT,
		    "smtp", "[two]", "u@t.example" },
	};
	static const struct resolve_case changed[] = {
		{ "reload: new main.cf", "u@t.example", REWRITE_RELAY,
		    "smtp", "t.example", "u@t.example" },
	};

	build_map("t1", "t.example smtp:[one]\n");
	load("myhostname = host.example.net\n"
	    "transport_maps = cdb:DIR/t1\n");
	run_resolve("reload", before, NCASES(before));
	build_map("t1", "t.example smtp:[two]\n");
	run_resolve("reload", after, NCASES(after));
	load("myhostname = host.example.net\n"
	    "relay_domains = t.example\n");
	run_resolve("reload", changed, NCASES(changed));
	rewrite_close();
	run_resolve("reload after rewrite_close", changed, NCASES(changed));
}

/*
 * rewrite_close_tables (smtpd after each session, cleanup after each
 * message): a table in a domain list is read again, a list of plain
 * domains keeps working, and a new value is still seen at once.
 */
static void
test_close_tables(void)
{
	struct str	err = STR_INIT;

	write_file("rdt", "a.example x\n");
	load("myhostname = host.example.net\n"
	    "mydestination = d.example\n"
	    "relay_domains = b.example, texthash:DIR/rdt\n");
	is_int(rewrite_domain_in("relay_domains", "a.example", &err),
	    MAP_FOUND, "close_tables: the table's domain");
	is_int(rewrite_domain_in("mydestination", "d.example", &err),
	    MAP_FOUND, "close_tables: a plain list");
	write_file("rdt", "c.example x\n");
	is_int(rewrite_domain_in("relay_domains", "c.example", &err),
	    MAP_NOTFOUND, "close_tables: texthash is read when it opens");
	rewrite_close_tables();
	is_int(rewrite_domain_in("relay_domains", "c.example", &err),
	    MAP_FOUND, "close_tables: the table is read again");
	is_int(rewrite_domain_in("relay_domains", "a.example", &err),
	    MAP_NOTFOUND, "close_tables: its old content is gone");
	is_int(rewrite_domain_in("relay_domains", "b.example", &err),
	    MAP_FOUND, "close_tables: the list's plain domain");
	is_int(rewrite_domain_in("mydestination", "d.example", &err),
	    MAP_FOUND, "close_tables: the plain list after it");
	rewrite_close_tables();
	is_int(rewrite_domain_in("mydestination", "d.example", &err),
	    MAP_FOUND, "close_tables twice: the plain list");
	load("myhostname = host.example.net\n"
	    "mydestination = e.example\n");
	is_int(rewrite_domain_in("mydestination", "e.example", &err),
	    MAP_FOUND, "close_tables: a kept list follows a new value");
	is_int(rewrite_domain_in("mydestination", "d.example", &err),
	    MAP_NOTFOUND, "close_tables: and forgets the old one");
	str_free(&err);
}

static void
test_names(void)
{
	is_str(rewrite_class_name(REWRITE_VIRTUAL_ALIAS), "virtual alias",
	    "class name");
	is_str(rewrite_class_word(REWRITE_VIRTUAL_MAILBOX),
	    "virtual_mailbox", "class word");
	ok(TAP_FATAL(rewrite_class_name((enum rewrite_class)99)),
	    "bad class panics");
}

int
main(void)
{
	test_classes();
	test_defaults();
	test_wildcard();
	test_parent_style();
	test_domain_in();
	test_canonical();
	test_failures();
	test_reload();
	test_close_tables();
	test_names();
	rewrite_close();
	return done_testing();
}
