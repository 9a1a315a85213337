/* SPDX-License-Identifier: ISC */
/*
 * mastercf.c: unit tests for lib/mastercf (master.cf parsing).
 *
 * A typical Postfix-like master.cf is parsed and every field of every
 * service is compared with a dump ("name/type private unpriv chroot
 * wakeup maxproc | argv | -o overrides @line").  Error cases each hold one
 * bad line between good ones and expect the exact message with the exact
 * line, and that the good services around it are still there.
 */
#include <string.h>

#include "bounds.h"
#include "mastercf.h"
#include "str.h"
#include "tap.h"

static const char *flag_name(enum mastercf_flag);
static void	dump_service(const struct mastercf_service *, struct str *);
static void	dump(const struct mastercf *, struct str *);
static void	test_typical(void);
static void	test_errors(void);
static void	test_limits(void);
static void	test_empty(void);

static const char *
flag_name(enum mastercf_flag f)
{
	switch (f) {
	case MASTERCF_DEFAULT:
		return "-";
	case MASTERCF_YES:
		return "y";
	case MASTERCF_NO:
		return "n";
	}
	return "?";
}

static void
dump_service(const struct mastercf_service *s, struct str *out)
{
	size_t	i;

	str_catf(out, "%s/%s %s %s %s %d%s %d |", s->name, s->type,
	    flag_name(s->private_), flag_name(s->unpriv),
	    flag_name(s->chroot), s->wakeup, s->wakeup_if_used ? "?" : "",
	    s->maxproc);
	for (i = 0; i < s->argc; i++) {
		str_catf(out, " [%s]", s->argv[i]);
	}
	if (s->argv == NULL || s->argv[s->argc] != NULL) {
		str_cat(out, " (argv not NULL-ended)");
	}
	if (s->argc == 0 || s->command != s->argv[0]) {
		str_cat(out, " (command is not argv[0])");
	}
	str_cat(out, " |");
	for (i = 0; i < s->noverrides; i++) {
		str_catf(out, " [%s]=[%s]", s->overrides[i].name,
		    s->overrides[i].value);
	}
	str_catf(out, " @%s:%d\n", s->file, s->line);
}

static void
dump(const struct mastercf *m, struct str *out)
{
	size_t	i;

	str_clear(out);
	for (i = 0; i < m->n; i++) {
		dump_service(&m->services[i], out);
	}
}

static const char typical[] =
    "#\n"
    "# Postfix master process configuration file.\n"
    "#\n"
    "# ==================================================================\n"
    "# service type  private unpriv  chroot  wakeup  maxproc command + args\n"
    "#               (yes)   (yes)   (no)    (never) (100)\n"
    "# ==================================================================\n"
    "smtp      inet  n       -       n       -       -       smtpd\n"
    "submission inet n       -       n       -       -       smtpd\n"
    "  -o syslog_name=postfix/submission\n"
    "  -o smtpd_tls_security_level=encrypt\n"
    "# a comment between the -o lines\n"
    "  -o smtpd_sasl_auth_enable=yes\n"
    "\n"
    "  -o { smtpd_client_restrictions = permit_sasl_authenticated, "
    "reject }\n"
    "  -o {milter_macro_daemon_name=ORIGINATING} -o x={y}\n"
    "pickup    unix  n       -       n       60      1       pickup\n"
    "qmgr      unix  n       -       n       300?    1       qmgr\n"
    "cleanup   unix  n       -       n       -       0       cleanup\r\n"
    "local     unix  -       n       n       -       -       local\n"
    "relay     unix  y       y       y       0       50      smtp\n"
    "\t-o smtp_helo_timeout=5 -o smtp_connect_timeout=5\n"
    "127.0.0.1:10025 inet n  -       n       -       -       smtpd -v\n"
    "  -osmtpd_authorized_xforward_hosts=127.0.0.0/8 -c\n"
    "  { arg with spaces } {} -x\n"
    "smtp      unix  -       -       n       -       -       smtp\n"
    "maildrop  unix  -       n       n       -       -       pipe\n"
    "  flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}";

static const char typical_want[] =
    "smtp/inet n - n 0 -1 | [smtpd] | @master.cf:8\n"
    "submission/inet n - n 0 -1 | [smtpd] | "
    "[syslog_name]=[postfix/submission] "
    "[smtpd_tls_security_level]=[encrypt] "
    "[smtpd_sasl_auth_enable]=[yes] "
    "[smtpd_client_restrictions]=[permit_sasl_authenticated, reject] "
    "[milter_macro_daemon_name]=[ORIGINATING] [x]=[{y}] @master.cf:9\n"
    "pickup/unix n - n 60 1 | [pickup] | @master.cf:17\n"
    "qmgr/unix n - n 300? 1 | [qmgr] | @master.cf:18\n"
    "cleanup/unix n - n 0 0 | [cleanup] | @master.cf:19\n"
    "local/unix - n n 0 -1 | [local] | @master.cf:20\n"
    "relay/unix y y y 0 50 | [smtp] | [smtp_helo_timeout]=[5] "
    "[smtp_connect_timeout]=[5] @master.cf:21\n"
    "127.0.0.1:10025/inet n - n 0 -1 | [smtpd] [-v] [-c] "
    "[arg with spaces] [] [-x] | "
    "[smtpd_authorized_xforward_hosts]=[127.0.0.0/8] @master.cf:23\n"
    "smtp/unix - - n 0 -1 | [smtp] | @master.cf:26\n"
    "maildrop/unix - n n 0 -1 | [pipe] [flags=DRXhu] [user=vmail] "
    "[argv=/usr/bin/maildrop] [-d] [${recipient}] | @master.cf:27\n";

static void
test_typical(void)
{
	struct mastercf			 m = MASTERCF_INIT;
	struct str			 errs = STR_INIT, got = STR_INIT;
	const struct mastercf_service	*s;

	is_int(mastercf_parse(&m, typical, sizeof(typical) - 1, "master.cf",
	    &errs), 0, "typical master.cf: no errors");
	is_str(str_c(&errs), "", "typical master.cf: no messages");
	dump(&m, &got);
	is_str(str_c(&got), typical_want, "typical master.cf: every field");

	s = mastercf_find(&m, "smtp", "inet");
	ok(s != NULL && strcmp(s->command, "smtpd") == 0,
	    "find smtp/inet");
	s = mastercf_find(&m, "smtp", "unix");
	ok(s != NULL && strcmp(s->command, "smtp") == 0,
	    "find smtp/unix: same name, other type");
	ok(mastercf_find(&m, "smtp", "fifo") == NULL, "find: wrong type");
	ok(mastercf_find(&m, "nosuch", "unix") == NULL, "find: no such name");
	mastercf_free(&m);
	is_int((long long)m.n, 0, "free: empty again");
	ok(m.services == NULL, "free: no array left");
	mastercf_free(&m);
	ok(1, "free twice is harmless");
	str_free(&errs);
	str_free(&got);
}

static void
test_errors(void)
{
	static const struct {
		const char	*name;
		const char	*line;	/* one bad service, as line 3 */
		const char	*why;
	} cases[] = {
		{ "fewer than 8 fields", "x inet n - n - -",
		    "expected 8 or more fields (service type private unpriv "
		    "chroot wakeup maxproc command), found 7" },
		{ "one field", "x",
		    "expected 8 or more fields (service type private unpriv "
		    "chroot wakeup maxproc command), found 1" },
		{ "bad type", "x tcp n - n - - smtpd",
		    "unknown service type \"tcp\" (use inet, unix, fifo, pass "
		    "or unix-dgram)" },
		{ "type in capitals", "x UNIX n - n - - smtpd",
		    "unknown service type \"UNIX\" (use inet, unix, fifo, pass "
		    "or unix-dgram)" },
		{ "bad private", "x unix yes - n - - smtpd",
		    "the private, unpriv and chroot fields must be y, n or -" },
		{ "bad unpriv", "x unix - Y n - - smtpd",
		    "the private, unpriv and chroot fields must be y, n or -" },
		{ "bad chroot", "x unix - - 0 - - smtpd",
		    "the private, unpriv and chroot fields must be y, n or -" },
		{ "wakeup with a unit", "x unix - - n 60s 1 pickup",
		    "bad wakeup time \"60s\"" },
		{ "wakeup '?' alone", "x unix - - n ? 1 pickup",
		    "bad wakeup time \"?\"" },
		{ "wakeup '-?'", "x unix - - n -? 1 pickup",
		    "bad wakeup time \"-?\"" },
		{ "wakeup '?\?'", "x unix - - n 60?\? 1 pickup",
		    "bad wakeup time \"60?\?\"" },
		{ "negative wakeup", "x unix - - n -1 1 pickup",
		    "bad wakeup time \"-1\"" },
		{ "huge wakeup", "x unix - - n 2147483648 1 pickup",
		    "bad wakeup time \"2147483648\"" },
		{ "bad maxproc", "x unix - - n - many smtpd",
		    "bad process limit \"many\"" },
		{ "negative maxproc", "x unix - - n - -1 smtpd",
		    "bad process limit \"-1\"" },
		{ "maxproc with '?'", "x unix - - n - 1? smtpd",
		    "bad process limit \"1?\"" },
		{ "command is an option", "x unix - - n - - -o",
		    "bad command name \"-o\"" },
		{ "-o without '='", "x unix - - n - - smtpd -o foo",
		    "-o \"foo\": expected name=value" },
		{ "-o at the end", "x unix - - n - - smtpd -v -o",
		    "-o without name=value" },
		{ "-o with a bad name", "x unix - - n - - smtpd -o a-b=c",
		    "-o \"a-b=c\": bad parameter name" },
		{ "-o without a name", "x unix - - n - - smtpd -o =c",
		    "-o \"=c\": bad parameter name" },
		{ "-o { } without a name", "x unix - - n - - smtpd -o { = c }",
		    "-o \"= c\": bad parameter name" },
		{ "missing '}'", "x unix - - n - - smtpd -o { a = b",
		    "missing '}'" },
		{ "missing '}' after nesting", "x unix - - n - - smtpd {a{b}",
		    "missing '}'" },
		{ "text after '}'", "x unix - - n - - smtpd {a}b",
		    "text after '}' without a blank" },
	};
	static const char nul_text[] = "  -o a=b\n"
	    "smtp inet n - n - - smtpd\n"
	    "  -o a=\0\n"
	    "x unix - - n - - x\n";
	struct mastercf	m = MASTERCF_INIT;
	struct str	text = STR_INIT, errs = STR_INIT, want = STR_INIT;
	struct str	got = STR_INIT;
	size_t		i;
	int		nerr;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		str_set(&text, "# before\n"
		    "a unix - - n - - a\n");
		str_cat(&text, cases[i].line);
		str_cat(&text, "\n# after\nb unix - - n - - b\n");
		str_clear(&errs);
		nerr = mastercf_parse(&m, text.s, text.len, "master.cf",
		    &errs);
		is_int(nerr, 1, "%s: one error", cases[i].name);
		str_clear(&want);
		str_catf(&want, "master.cf, line 3: %s\n", cases[i].why);
		is_str(str_c(&errs), str_c(&want), "%s: message and line",
		    cases[i].name);
		dump(&m, &got);
		is_str(str_c(&got),
		    "a/unix - - n 0 -1 | [a] | @master.cf:2\n"
		    "b/unix - - n 0 -1 | [b] | @master.cf:5\n",
		    "%s: the bad service left out, the others kept",
		    cases[i].name);
		mastercf_free(&m);
	}

	/* Duplicates: same name and type, at the second one's line. */
	str_set(&text, "smtp inet n - n - - smtpd\n"
	    "smtp unix - - n - - smtp\n"
	    "# x\n"
	    "smtp inet n - n - - smtpd -v\n"
	    "  -o a=b\n"
	    "smtp inet n - n - - smtpd\n");
	str_clear(&errs);
	nerr = mastercf_parse(&m, text.s, text.len, "master.cf", &errs);
	is_int(nerr, 2, "duplicates: two errors");
	is_str(str_c(&errs),
	    "master.cf, line 4: duplicate service \"smtp/inet\"\n"
	    "master.cf, line 6: duplicate service \"smtp/inet\"\n",
	    "duplicates: messages");
	dump(&m, &got);
	is_str(str_c(&got),
	    "smtp/inet n - n 0 -1 | [smtpd] | @master.cf:1\n"
	    "smtp/unix - - n 0 -1 | [smtp] | @master.cf:2\n",
	    "duplicates: the first one is kept");
	mastercf_free(&m);

	/* Line errors from the logical-line reader. */
	str_set_mem(&text, nul_text, sizeof(nul_text) - 1);
	str_clear(&errs);
	nerr = mastercf_parse(&m, text.s, text.len, "master.cf", &errs);
	is_int(nerr, 2, "line errors: two");
	is_str(str_c(&errs),
	    "master.cf, line 1: continuation line without anything before "
	    "it\n"
	    "master.cf, line 3: NUL byte in line\n", "line errors: messages");
	dump(&m, &got);
	is_str(str_c(&got), "x/unix - - n 0 -1 | [x] | @master.cf:4\n",
	    "line errors: a service with a NUL byte is left out");
	mastercf_free(&m);

	/* Several errors in one file: all reported, each at its line. */
	str_set(&text, "a b c\n"
	    "ok unix - - n - - ok\n"
	    "\n"
	    "bad unix - - n\n"
	    "  x - y\n"
	    "bad2 unix - - n - - z -o\n");
	str_clear(&errs);
	nerr = mastercf_parse(&m, text.s, text.len, "f", &errs);
	is_int(nerr, 3, "many errors: count");
	is_str(str_c(&errs),
	    "f, line 1: expected 8 or more fields (service type private "
	    "unpriv chroot wakeup maxproc command), found 3\n"
	    "f, line 4: bad wakeup time \"x\"\n"
	    "f, line 6: -o without name=value\n", "many errors: messages");
	is_int((long long)m.n, 1, "many errors: one good service");
	mastercf_free(&m);
	str_free(&text);
	str_free(&errs);
	str_free(&want);
	str_free(&got);
}

/* MASTERCF_ARGS_MAX command arguments, and one more. */
static void
test_limits(void)
{
	struct mastercf	m = MASTERCF_INIT;
	struct str	text = STR_INIT, errs = STR_INIT;
	int		i, nerr;

	str_set(&text, "x unix - - n - - cmd");
	for (i = 1; i < MASTERCF_ARGS_MAX; i++) {
		str_catf(&text, " a%d", i);
	}
	str_cat(&text, "\n");
	nerr = mastercf_parse(&m, text.s, text.len, "master.cf", &errs);
	is_int(nerr, 0, "%d arguments: accepted", MASTERCF_ARGS_MAX);
	is_int(m.n == 1 ? (long long)m.services[0].argc : -1,
	    MASTERCF_ARGS_MAX, "%d arguments: all kept", MASTERCF_ARGS_MAX);
	ok(m.n == 1 && m.services[0].argv[MASTERCF_ARGS_MAX] == NULL,
	    "%d arguments: NULL-ended", MASTERCF_ARGS_MAX);
	mastercf_free(&m);

	str_set(&text, "x unix - - n - - cmd");
	for (i = 1; i <= MASTERCF_ARGS_MAX; i++) {
		str_catf(&text, " a%d", i);
	}
	str_cat(&text, "\ny unix - - n - - y\n");
	str_clear(&errs);
	nerr = mastercf_parse(&m, text.s, text.len, "master.cf", &errs);
	is_int(nerr, 1, "%d arguments: error", MASTERCF_ARGS_MAX + 1);
	str_set(&text, "");
	str_catf(&text, "master.cf, line 1: more than %d command arguments\n",
	    MASTERCF_ARGS_MAX);
	is_str(str_c(&errs), text.s, "%d arguments: message",
	    MASTERCF_ARGS_MAX + 1);
	is_int((long long)m.n, 1, "%d arguments: next line parsed",
	    MASTERCF_ARGS_MAX + 1);
	mastercf_free(&m);

	/* Many -o options (they are not command arguments). */
	str_set(&text, "x unix - - n - - cmd\n");
	for (i = 0; i < 20; i++) {
		str_catf(&text, "  -o p%d=%d\n", i, i);
	}
	str_clear(&errs);
	nerr = mastercf_parse(&m, text.s, text.len, "master.cf", &errs);
	is_int(nerr, 0, "20 -o options: accepted");
	is_int(m.n == 1 ? (long long)m.services[0].noverrides : -1, 20,
	    "20 -o options: all kept");
	mastercf_free(&m);

	/* Too many words on the line at all. */
	str_set(&text, "x unix - - n - - cmd");
	for (i = 0; i < MASTERCF_ARGS_MAX + 8; i++) {
		str_cat(&text, " w");
	}
	str_cat(&text, "\n");
	str_clear(&errs);
	nerr = mastercf_parse(&m, text.s, text.len, "master.cf", &errs);
	is_int(nerr, 1, "too many words: error");
	ok(strncmp(str_c(&errs), "master.cf, line 1: more than ", 29) == 0,
	    "too many words: message (%s)", str_c(&errs));
	mastercf_free(&m);
	str_free(&text);
	str_free(&errs);
}

static void
test_empty(void)
{
	struct mastercf	m = MASTERCF_INIT;
	struct str	errs = STR_INIT;

	is_int(mastercf_parse(&m, "", 0, "master.cf", &errs), 0,
	    "empty master.cf: no errors");
	is_int((long long)m.n, 0, "empty master.cf: no services");
	is_int(mastercf_parse(&m, "# x\n\n  # y\n", 11, "master.cf", &errs),
	    0, "comments only: no errors");
	is_int((long long)m.n, 0, "comments only: no services");
	ok(mastercf_find(&m, "smtp", "inet") == NULL, "find in an empty one");
	mastercf_free(&m);
	str_free(&errs);
}

int
main(void)
{
	test_typical();
	test_errors();
	test_limits();
	test_empty();
	return done_testing();
}
