/* SPDX-License-Identifier: ISC */
/*
 * conf.c: unit tests for lib/conf (main.cf parsing, $name expansion,
 * the parameter table, type checks and the process-wide configuration).
 *
 * Parse cases compare a dump of every entry ("name=value@line") and the
 * exact problem text; expansion cases run over one fixed configuration;
 * type cases use whichever parameter of params.def has the type (and are
 * skipped, with a note, while the table has none).  The table itself is
 * checked: sorted by name, and every default expands and passes its own
 * type check.  conf_load() runs on files in a temporary directory, and
 * its fatal and panic paths are caught with TAP_FATAL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "bounds.h"
#include "str.h"
#include "tap.h"

static int	parse(struct conf *, const char *, struct str *);
static void	dump(const struct conf *, struct str *);
static const char *param_of_type(enum conf_type);
static void	write_file(const char *, const char *, const char *, size_t);
static const char *subdir(const char *);
static void	test_parse(void);
static void	test_line_limit(void);
static void	test_expand(void);
static void	test_expand_depth(void);
static void	test_expand_size(void);
static void	test_expand_work(void);
static void	test_defaults(void);
static void	test_hostname_defaults(void);
static void	test_types(void);
static void	test_check(void);
static void	test_list(void);
static void	test_table(void);
static void	test_read_file(void);
static void	test_dir(void);
static void	test_load_file(void);
static void	test_load(void);

static int
parse(struct conf *c, const char *text, struct str *errs)
{
	return conf_parse(c, text, strlen(text), "main.cf", errs);
}

/* Every entry as "name=value@line\n", in the order kept. */
static void
dump(const struct conf *c, struct str *out)
{
	size_t	i;

	str_clear(out);
	for (i = 0; i < c->n; i++) {
		str_catf(out, "%s=%s@%d\n", c->entries[i].name,
		    c->entries[i].value, c->entries[i].line);
	}
}

/* The first parameter of that type in params.def, or NULL. */
static const char *
param_of_type(enum conf_type type)
{
	size_t	i;

	for (i = 0; i < conf_nparams; i++) {
		if (conf_params[i].type == type) {
			return conf_params[i].name;
		}
	}
	return NULL;
}

static void
write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char	path[512];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL ||
	    fwrite(text, 1, len, fp) != len || fclose(fp) != 0) {
		diag("cannot write %s: %s", path, strerror(errno));
	}
}

/* A new directory under the test's temporary directory. */
static const char *
subdir(const char *name)
{
	static char	path[8][512];
	static int	next;
	char		*p = path[next++ % 8];

	snprintf(p, sizeof(path[0]), "%s/%s", tap_tmpdir(), name);
	if (mkdir(p, 0700) == -1 && errno != EEXIST) {
		diag("mkdir %s: %s", p, strerror(errno));
	}
	return p;
}

static void
test_parse(void)
{
	static const struct {
		const char	*name;
		const char	*in;
		const char	*want;
		const char	*errs;
		int		 nerr;
	} cases[] = {
		{ "empty input", "", "", "", 0 },
		{ "comments and blank lines", "# a = b\n\n  \n#x=y\n", "", "",
		    0 },
		{ "one setting", "a = b\n", "a=b@1\n", "", 0 },
		{ "no spaces", "a=b\n", "a=b@1\n", "", 0 },
		{ "space before '=' only", "a =b\n", "a=b@1\n", "", 0 },
		{ "space after '=' only", "a= b\n", "a=b@1\n", "", 0 },
		{ "tabs and trailing blanks", "a\t=\t b c \t\n", "a=b c@1\n",
		    "", 0 },
		{ "empty value", "a =\nb=\n", "a=@1\nb=@2\n", "", 0 },
		{ "'=' in the value", "a = b = c\n", "a=b = c@1\n", "", 0 },
		{ "'#' in the value", "a = b # c\n", "a=b # c@1\n", "", 0 },
		{ "value kept raw", "a = $b ${c} $$\n", "a=$b ${c} $$@1\n", "",
		    0 },
		{ "no final newline", "a = b", "a=b@1\n", "", 0 },
		{ "continuation lines", "a = b,\n  c,\n\td\ne = f\n",
		    "a=b, c, d@1\ne=f@4\n", "", 0 },
		{ "continuation after a comment", "a = b\n# x\n  c\n",
		    "a=b c@1\n", "", 0 },
		{ "continuation holds the '='", "a\n  = b\n", "a=b@1\n", "",
		    0 },
		{ "CRLF", "a = b\r\nc = d\r\n  e\r\n", "a=b@1\nc=d e@2\n", "",
		    0 },
		{ "digits and underscores in names", "_a1 = x\n1b = y\n",
		    "_a1=x@1\n1b=y@2\n", "", 0 },
		{ "later setting replaces the earlier one",
		    "a = 1\nb = 2\na = 3\n", "a=3@3\nb=2@2\n", "", 0 },
		{ "names are case-sensitive", "a = 1\nA = 2\n",
		    "a=1@1\nA=2@2\n", "", 0 },
		{ "missing '='", "a b\nc = d\n", "c=d@2\n",
		    "main.cf, line 1: missing '=' after parameter name \"a\"\n",
		    1 },
		{ "name alone", "a\n", "",
		    "main.cf, line 1: missing '=' after parameter name \"a\"\n",
		    1 },
		{ "bad character in the name", "a-b = c\nd.e = f\n", "",
		    "main.cf, line 1: missing '=' after parameter name \"a\"\n"
		    "main.cf, line 2: missing '=' after parameter name \"d\"\n",
		    2 },
		{ "no name", "= b\n", "",
		    "main.cf, line 1: a parameter name must start the line "
		    "(letters, digits, _)\n", 1 },
		{ "name starts with a bad character", "$a = b\n-x = 1\n", "",
		    "main.cf, line 1: a parameter name must start the line "
		    "(letters, digits, _)\n"
		    "main.cf, line 2: a parameter name must start the line "
		    "(letters, digits, _)\n", 2 },
		{ "continuation at the start of the file", "  a = b\nc = d\n",
		    "c=d@2\n",
		    "main.cf, line 1: continuation line without anything "
		    "before it\n", 1 },
		{ "several problems, all counted", "x\n  y z\na = 1\n= 2\nb\n",
		    "a=1@3\n",
		    "main.cf, line 1: missing '=' after parameter name \"x\"\n"
		    "main.cf, line 4: a parameter name must start the line "
		    "(letters, digits, _)\n"
		    "main.cf, line 5: missing '=' after parameter name \"b\"\n",
		    3 },
	};
	struct str	errs = STR_INIT, got = STR_INIT;
	size_t		i;
	int		nerr;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf	c = CONF_INIT;

		str_clear(&errs);
		nerr = parse(&c, cases[i].in, &errs);
		dump(&c, &got);
		is_str(str_c(&got), cases[i].want, "parse %s: entries",
		    cases[i].name);
		is_str(str_c(&errs), cases[i].errs, "parse %s: problems",
		    cases[i].name);
		is_int(nerr, cases[i].nerr, "parse %s: count", cases[i].name);
		conf_free(&c);
	}

	/* A NUL byte: that line is an error, the next one is parsed. */
	{
		static const char	 nul[] = "a = 1\nb = \0\nc = 3\n";
		struct conf		 c = CONF_INIT;

		str_clear(&errs);
		nerr = conf_parse(&c, nul, sizeof(nul) - 1, "main.cf", &errs);
		dump(&c, &got);
		is_str(str_c(&got), "a=1@1\nc=3@3\n",
		    "parse NUL byte: entries");
		is_str(str_c(&errs), "main.cf, line 2: NUL byte in line\n",
		    "parse NUL byte: problem");
		is_int(nerr, 1, "parse NUL byte: count");
		conf_free(&c);
	}
	str_free(&errs);
	str_free(&got);
}

/* Names up to CONF_NAME_MAX; logical lines up to CONF_LINE_MAX. */
static void
test_line_limit(void)
{
	struct conf	c = CONF_INIT;
	struct str	text = STR_INIT, errs = STR_INIT, want = STR_INIT;
	size_t		n;

	for (n = CONF_NAME_MAX; n <= CONF_NAME_MAX + 1; n++) {
		str_clear(&text);
		str_clear(&errs);
		str_reserve(&text, n);
		memset(text.s, 'n', n);
		text.len = n;
		str_cat(&text, " = 1\n");
		is_int(parse(&c, text.s, &errs), n > CONF_NAME_MAX,
		    "name of %zu bytes: %s", n,
		    n > CONF_NAME_MAX ? "error" : "accepted");
		str_clear(&want);
		if (n > CONF_NAME_MAX) {
			str_catf(&want, "main.cf, line 1: parameter name "
			    "longer than %d bytes\n", CONF_NAME_MAX);
		}
		is_str(str_c(&errs), str_c(&want), "name of %zu bytes: text",
		    n);
		conf_free(&c);
	}

	/* "a = " and a value: the logical line at exactly the limit. */
	for (n = CONF_LINE_MAX; n <= CONF_LINE_MAX + 1; n++) {
		str_set(&text, "# long\na = ");
		str_reserve(&text, n - 4);
		memset(text.s + text.len, 'v', n - 4);
		text.len += n - 4;
		str_cat(&text, "\nb = after\n");
		str_clear(&errs);
		is_int(parse(&c, text.s, &errs), n > CONF_LINE_MAX,
		    "logical line of %zu bytes: %s", n,
		    n > CONF_LINE_MAX ? "error" : "accepted");
		str_clear(&want);
		if (n > CONF_LINE_MAX) {
			str_catf(&want, "main.cf, line 2: logical line longer "
			    "than %d bytes\n", CONF_LINE_MAX);
		}
		is_str(str_c(&errs), str_c(&want),
		    "logical line of %zu bytes: text", n);
		if (n > CONF_LINE_MAX) {
			ok(conf_raw(&c, "a") == NULL, "too long line skipped");
		} else {
			ok(conf_raw(&c, "a") != NULL &&
			    strlen(conf_raw(&c, "a")) == n - 4,
			    "line at the limit kept whole");
		}
		is_str(conf_raw(&c, "b"), "after",
		    "line after a %zu-byte line parsed", n);
		conf_free(&c);
	}
	str_free(&text);
	str_free(&errs);
	str_free(&want);
}

static const char expand_conf[] =
    "a = A\n"
    "b = B\n"
    "e =\n"
    "ab = AB\n"
    "nest = $a$b\n"
    "nest2 = <${nest}>\n"
    "cond = ${a?${b}}\n"
    "cond_e = ${e:${a}x}\n"
    "has_dollar = $$a\n"
    "loop1 = $loop2\n"
    "loop2 = $loop1\n"
    "self = $self\n"
    "selfb = ${selfb?x}\n"
    "selfalt = ${e:$selfalt}\n"
    "loopref = x $loop1\n"
    "mail_name = Mail $a\n";

static void
test_expand(void)
{
	static const struct {
		const char	*name;
		const char	*text;
		int		 rc;
		const char	*want;	/* the value, or the message */
	} cases[] = {
		{ "empty", "", 0, "" },
		{ "plain text", "plain text", 0, "plain text" },
		{ "$name", "$a", 0, "A" },
		{ "${name}", "${a}", 0, "A" },
		{ "$(name)", "$(a)", 0, "A" },
		{ "two in a row", "$a$b", 0, "AB" },
		{ "longest name wins", "$ab", 0, "AB" },
		{ "braces end the name", "${a}b", 0, "Ab" },
		{ "name ends at a dot", "x$a.y", 0, "xA.y" },
		{ "nested values", "$nest2", 0, "<AB>" },
		{ "unknown $name is empty", "[$unknown]", 0, "[]" },
		{ "unknown ${name} is empty", "[${unknown}]", 0, "[]" },
		{ "empty value", "[$e]", 0, "[]" },
		{ "$$", "$$", 0, "$" },
		{ "$$name is not expanded", "$$a", 0, "$a" },
		{ "$$$name", "$$$a", 0, "$A" },
		{ "$$ inside a value is kept", "$has_dollar", 0, "$a" },
		{ "lone '$' at the end", "cost$", 0, "cost$" },
		{ "only '$'", "$", 0, "$" },
		{ "'$' before a blank", "$ a", 0, "$ a" },
		{ "'$' before a dash", "$-a", 0, "$-a" },
		{ "? with a non-empty name", "${a?yes}", 0, "yes" },
		{ "? with an empty name", "[${e?yes}]", 0, "[]" },
		{ "? with an unknown name", "[${unknown?yes}]", 0, "[]" },
		{ ": with a non-empty name", "[${a:no}]", 0, "[]" },
		{ ": with an empty name", "${e:no}", 0, "no" },
		{ ": with an unknown name", "${unknown:no}", 0, "no" },
		{ "? with empty text", "[${a?}]", 0, "[]" },
		{ "nested ${a?${b}}", "${a?${b}}", 0, "B" },
		{ "nested ${e?${b}}", "[${e?${b}}]", 0, "[]" },
		{ "nested ${e:${a}x}", "${e:${a}x}", 0, "Ax" },
		{ "nested in a value", "$cond/$cond_e", 0, "B/Ax" },
		{ "$(a?text)", "$(a?x y)", 0, "x y" },
		{ "mixed brackets", "${a?$(b)}", 0, "B" },
		{ "braces inside the text", "${a?{x}}", 0, "{x}" },
		{ "text keeps blanks", "${a? x }", 0, " x " },
		{ "known parameter, set", "$mail_name", 0, "Mail A" },
		{ "missing '}'", "${a", -1,
		    "missing '}' in parameter expansion" },
		{ "missing ')'", "x $(a", -1,
		    "missing ')' in parameter expansion" },
		{ "missing '}' after nesting", "${a?${b}", -1,
		    "missing '}' in parameter expansion" },
		{ "empty name in braces", "${}", -1,
		    "missing parameter name after '${'" },
		{ "empty name with ?", "$(?x)", -1,
		    "missing parameter name after '$('" },
		{ "bad character after the name", "${a-b}", -1,
		    "bad character after parameter name in '${...}'" },
		{ "two-name loop", "$loop1", -1,
		    "recursion loop in parameter \"loop1\"" },
		{ "two-name loop from the other side", "${loop2}", -1,
		    "recursion loop in parameter \"loop2\"" },
		{ "self loop", "$self", -1,
		    "recursion loop in parameter \"self\"" },
		{ "self loop in ?", "$selfb", -1,
		    "recursion loop in parameter \"selfb\"" },
		{ "self loop in the : text", "$selfalt", -1,
		    "recursion loop in parameter \"selfalt\"" },
		{ "loop behind text", "ok $loopref", -1,
		    "recursion loop in parameter \"loop1\"" },
		{ "same name twice is no loop", "$a$a${a}$(a)", 0, "AAAA" },
		{ "loop not taken by ?", "[${e?$loop1}]", 0, "[]" },
	};
	struct conf	c = CONF_INIT;
	struct str	errs = STR_INIT, out = STR_INIT;
	size_t		i;
	int		rc;

	is_int(parse(&c, expand_conf, &errs), 0, "expand: conf parses");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		str_set(&out, "junk");
		rc = conf_expand(&c, cases[i].text, &out);
		is_int(rc, cases[i].rc, "expand %s: result", cases[i].name);
		is_str(str_c(&out), cases[i].want, "expand %s: %s",
		    cases[i].name, cases[i].rc == 0 ? "value" : "message");
	}

	/* conf_expand_param: by name, set or not. */
	is_int(conf_expand_param(&c, "nest", &out), 0, "expand_param set");
	is_str(str_c(&out), "AB", "expand_param set: value");
	is_int(conf_expand_param(&c, "unknown", &out), 0,
	    "expand_param unknown name");
	is_str(str_c(&out), "", "expand_param unknown name: empty");
	is_int(conf_expand_param(&c, "self", &out), -1, "expand_param loop");
	ok(strstr(str_c(&out), "loop") != NULL,
	    "expand_param loop: message mentions the loop (%s)", str_c(&out));
	conf_free(&c);
	str_free(&errs);
	str_free(&out);
}

/* A chain c0 = $c1, c1 = $c2, ... of n names ending in "end". */
static void
test_expand_depth(void)
{
	struct conf	c = CONF_INIT;
	struct str	text = STR_INIT, errs = STR_INIT, out = STR_INIT;
	int		n, i;

	for (n = CONF_EXPAND_DEPTH; n <= CONF_EXPAND_DEPTH + 1; n++) {
		str_clear(&text);
		for (i = 0; i < n - 1; i++) {
			str_catf(&text, "c%d = ${c%d}\n", i, i + 1);
		}
		str_catf(&text, "c%d = end\n", n - 1);
		str_clear(&errs);
		is_int(parse(&c, text.s, &errs), 0, "chain of %d: parses", n);
		if (n <= CONF_EXPAND_DEPTH) {
			is_int(conf_expand(&c, "$c0", &out), 0,
			    "chain of %d names: legal", n);
			is_str(str_c(&out), "end", "chain of %d names: value",
			    n);
		} else {
			is_int(conf_expand_param(&c, "c0", &out), -1,
			    "chain of %d names: too deep", n);
			is_str(str_c(&out),
			    "parameter expansion nested too deeply",
			    "chain of %d names: message", n);
		}
		conf_free(&c);
	}
	str_free(&text);
	str_free(&errs);
	str_free(&out);
}

/* The bound on an expanded value, and doubling that would explode. */
static void
test_expand_size(void)
{
	struct conf	c = CONF_INIT;
	struct str	text = STR_INIT, errs = STR_INIT, out = STR_INIT;
	int		i;

	/* q is 32 KiB; r is 8 q's = exactly CONF_VALUE_MAX. */
	str_set(&text, "q = ");
	str_reserve(&text, 32768);
	memset(text.s + text.len, 'q', 32768);
	text.len += 32768;
	str_cat(&text, "\nr = $q$q$q$q$q$q$q$q\nr1 = ${r}y\nd0 = xx\n");
	for (i = 1; i <= 40; i++) {
		str_catf(&text, "d%d = $d%d$d%d\n", i, i - 1, i - 1);
	}
	is_int(parse(&c, text.s, &errs), 0, "size: conf parses");
	is_int(CONF_VALUE_MAX, 8 * 32768, "size: the test's arithmetic");
	is_int(conf_expand_param(&c, "r", &out), 0, "size: at the bound");
	is_int((long long)out.len, CONF_VALUE_MAX, "size: all of it");
	is_int(conf_expand_param(&c, "r1", &out), -1, "size: one byte over");
	is_str(str_c(&out), "parameter value too large after expansion",
	    "size: message");
	is_int(conf_expand_param(&c, "d40", &out), -1,
	    "size: 2^40 doubling stops");
	is_str(str_c(&out), "parameter value too large after expansion",
	    "size: doubling message");
	is_int(conf_expand_param(&c, "d16", &out), 0, "size: 2^17 is fine");
	is_int((long long)out.len, 2LL << 16, "size: 2^17 bytes");
	conf_free(&c);
	str_free(&text);
	str_free(&errs);
	str_free(&out);
}

/*
 * Work that neither the depth nor the size bound stops: doubling with an
 * empty value (2^60 names, no bytes), and ${a?...} nested in the text
 * itself, which must count as depth instead of recursing without bound.
 */
static void
test_expand_work(void)
{
	static const struct {
		int		 nest;		/* ${a?...} levels */
		int		 rc;
		const char	*out;
	} nests[] = {
		{ 1, 0, "x" },
		{ CONF_EXPAND_DEPTH - 1, 0, "x" },
		{ CONF_EXPAND_DEPTH + 1, -1,
		    "parameter expansion nested too deeply" },
		{ 10000, -1, "parameter expansion nested too deeply" },
	};
	struct conf	c = CONF_INIT;
	struct str	text = STR_INIT, errs = STR_INIT, out = STR_INIT;
	size_t		k;
	int		i;

	/*
	 * e<n> expands 2^(n+1) - 1 names, all empty: e19 is the last within
	 * the bound.  (conf_check would take a second per entry over it.)
	 */
	is_int(CONF_EXPAND_NAMES, 1 << 20, "work: the test's arithmetic");
	str_set(&text, "e0 =\n");
	for (i = 1; i <= 60; i++) {
		str_catf(&text, "e%d = $e%d${e%d}\n", i, i - 1, i - 1);
	}
	is_int(parse(&c, text.s, &errs), 0, "work: conf parses");
	is_int(conf_expand_param(&c, "e60", &out), -1,
	    "work: 2^61 empty expansions stop");
	is_str(str_c(&out), "parameter expansion too complex",
	    "work: message");
	is_int(conf_expand(&c, "$e20", &out), -1, "work: 2^21 stop");
	is_int(conf_expand_param(&c, "e16", &out), 0, "work: 2^17 is fine");
	is_str(str_c(&out), "", "work: 2^17 names, empty value");
	/* e1 .. e18 cost 2^20 - 22 names together, e19 alone 2^20 - 1. */
	str_clear(&errs);
	is_int(conf_check(&c, &errs), 60 - 18, "work: conf_check ends, "
	    "with an error for each of e19 .. e60");
	ok(strstr(str_c(&errs), "main.cf, line 20: e19: parameter "
	    "expansion too complex\n") != NULL, "work: conf_check message");
	conf_free(&c);

	for (k = 0; k < sizeof(nests) / sizeof(nests[0]); k++) {
		str_set(&text, "a = 1\nb = ");
		for (i = 0; i < nests[k].nest; i++) {
			str_cat(&text, "${a?");
		}
		str_cat(&text, "x");
		for (i = 0; i < nests[k].nest; i++) {
			str_cat(&text, "}");
		}
		str_cat(&text, "\n");
		str_clear(&errs);
		is_int(parse(&c, text.s, &errs), 0, "nest %d: parses",
		    nests[k].nest);
		is_int(conf_expand_param(&c, "b", &out), nests[k].rc,
		    "nest %d: result", nests[k].nest);
		is_str(str_c(&out), nests[k].out, "nest %d: value",
		    nests[k].nest);
		conf_free(&c);
	}
	str_free(&text);
	str_free(&errs);
	str_free(&out);
}

static void
test_defaults(void)
{
	static const struct {
		const char	*name;
		const char	*conf;
		const char	*param;
		const char	*want;
	} cases[] = {
		{ "plain default", "", "mail_name", "postlet" },
		{ "empty default", "", "relayhost", "" },
		{ "default from the build", "", "alias_maps",
		    "cdb:" POSTLET_SYSCONFDIR "/aliases" },
		{ "set value wins", "mail_name = m\n", "mail_name", "m" },
		{ "set to empty wins", "mail_name =\n", "mail_name", "" },
		{ "default refers to a set value",
		    "myhostname = mail.example.com\n", "myorigin",
		    "mail.example.com" },
		{ "mydomain from a set myhostname",
		    "myhostname = mail.example.com\n", "mydomain",
		    "example.com" },
		{ "mydomain from a deeper myhostname",
		    "myhostname = a.b.example.org\n", "mydomain",
		    "b.example.org" },
		{ "mydomain from a myhostname without dot",
		    "myhostname = host\n", "mydomain", "localdomain" },
		{ "mydomain from a myhostname with a final dot",
		    "myhostname = host.\n", "mydomain", "localdomain" },
		{ "mydomain from an expanded myhostname",
		    "name = mx.example.net\nmyhostname = $name\n", "mydomain",
		    "example.net" },
		{ "set mydomain wins", "myhostname = a.b.c\nmydomain = x.y\n",
		    "mydomain", "x.y" },
		{ "myhostname built from mydomain",
		    "mydomain = example.com\nmyhostname = mail.$mydomain\n",
		    "myhostname", "mail.example.com" },
		{ "mydestination default",
		    "myhostname = mail.example.com\n", "mydestination",
		    "mail.example.com, localhost.example.com, localhost" },
		{ "config_directory is the directory", "", "config_directory",
		    "/the/dir" },
		{ "unknown name", "", "no_such_parameter", "" },
		{ "unknown name, set", "no_such_parameter = x\n",
		    "no_such_parameter", "x" },
	};
	struct str	errs = STR_INIT, out = STR_INIT;
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf	c = CONF_INIT;

		c.dir = strdup("/the/dir");
		str_clear(&errs);
		(void)parse(&c, cases[i].conf, &errs);
		is_int(conf_expand_param(&c, cases[i].param, &out), 0,
		    "default %s: expands", cases[i].name);
		is_str(str_c(&out), cases[i].want, "default %s: value",
		    cases[i].name);
		conf_free(&c);
	}
	{
		struct conf	c = CONF_INIT;

		is_int(conf_expand_param(&c, "config_directory", &out), 0,
		    "config_directory without a directory");
		is_str(str_c(&out), POSTLET_SYSCONFDIR,
		    "config_directory without a directory: built-in");
	}
	str_free(&errs);
	str_free(&out);
}

/* myhostname and mydomain when unset come from gethostname(). */
static void
test_hostname_defaults(void)
{
	struct conf	 c = CONF_INIT;
	struct str	 out = STR_INIT, errs = STR_INIT;
	char		 host[256];
	const char	*want_host, *dot, *want_domain;
	char		 short_host[300], with_domain[300];

	if (gethostname(host, sizeof(host)) != 0) {
		host[0] = '\0';
	}
	host[sizeof(host) - 1] = '\0';
	want_host = host[0] != '\0' ? host : "localhost";
	/* A short name gets ".localdomain", or ".$mydomain" when main.cf
	 * sets mydomain (Postfix's rule). */
	if (strchr(want_host, '.') == NULL) {
		snprintf(short_host, sizeof(short_host), "%s.localdomain",
		    want_host);
		snprintf(with_domain, sizeof(with_domain), "%s.example.com",
		    want_host);
		want_host = short_host;
	} else {
		snprintf(with_domain, sizeof(with_domain), "%s", want_host);
	}
	dot = strchr(want_host, '.');
	want_domain = dot != NULL && dot[1] != '\0' ? dot + 1 : "localdomain";
	diag("gethostname: \"%s\"", host);

	is_int(conf_expand_param(&c, "myhostname", &out), 0,
	    "myhostname unset: expands");
	is_str(str_c(&out), want_host, "myhostname unset: gethostname");
	is_int(conf_expand_param(&c, "mydomain", &out), 0,
	    "mydomain unset: expands");
	is_str(str_c(&out), want_domain, "mydomain unset: from the host name");
	is_int(conf_expand_param(&c, "myorigin", &out), 0,
	    "myorigin: expands");
	is_str(str_c(&out), want_host, "myorigin: the host name");

	(void)parse(&c, "mydomain = example.com\n", &errs);
	is_int(conf_expand_param(&c, "myhostname", &out), 0,
	    "myhostname unset with mydomain set: expands");
	is_str(str_c(&out), with_domain,
	    "myhostname unset with mydomain set: short names get it");
	conf_free(&c);

	(void)parse(&c, "myhostname = $mydomain\n", &errs);
	is_int(conf_expand_param(&c, "myhostname", &out), -1,
	    "myhostname = $mydomain with mydomain unset: a loop");
	ok(strstr(str_c(&out), "recursion loop") != NULL,
	    "myhostname = $mydomain: message (%s)", str_c(&out));
	conf_free(&c);
	str_free(&out);
	str_free(&errs);
}

static void
test_types(void)
{
	static const struct {
		enum conf_type	 type;
		const char	*tname;
		const char	*value;
		const char	*why;	/* NULL: accepted */
	} cases[] = {
		{ CONF_BOOL, "bool", "yes", NULL },
		{ CONF_BOOL, "bool", "no", NULL },
		{ CONF_BOOL, "bool", "YES", NULL },
		{ CONF_BOOL, "bool", "true", NULL },
		{ CONF_BOOL, "bool", "False", NULL },
		{ CONF_BOOL, "bool", "y",
		    "bad boolean value \"y\" (use yes or no)" },
		{ CONF_BOOL, "bool", "1",
		    "bad boolean value \"1\" (use yes or no)" },
		{ CONF_BOOL, "bool", "",
		    "bad boolean value \"\" (use yes or no)" },
		{ CONF_INT, "int", "0", NULL },
		{ CONF_INT, "int", "2147483647", NULL },
		{ CONF_INT, "int", "2147483648",
		    "bad integer value \"2147483648\" (too large)" },
		{ CONF_INT, "int", "-1", "bad integer value \"-1\"" },
		{ CONF_INT, "int", "1x", "bad integer value \"1x\"" },
		{ CONF_INT, "int", "", "bad integer value \"\"" },
		{ CONF_TIME, "time", "0", NULL },
		{ CONF_TIME, "time", "5", NULL },
		{ CONF_TIME, "time", "10s", NULL },
		{ CONF_TIME, "time", "3m", NULL },
		{ CONF_TIME, "time", "2h", NULL },
		{ CONF_TIME, "time", "5d", NULL },
		{ CONF_TIME, "time", "1w", NULL },
		{ CONF_TIME, "time", "5x",
		    "bad time value \"5x\" (a number with an optional unit s, "
		    "m, h, d or w)" },
		{ CONF_TIME, "time", "5 d",
		    "bad time value \"5 d\" (a number with an optional unit s, "
		    "m, h, d or w)" },
		{ CONF_TIME, "time", "1.5d",
		    "bad time value \"1.5d\" (a number with an optional unit "
		    "s, m, h, d or w)" },
		{ CONF_TIME, "time", "-1d",
		    "bad time value \"-1d\" (a number with an optional unit "
		    "s, m, h, d or w)" },
		{ CONF_TIME, "time", "d",
		    "bad time value \"d\" (a number with an optional unit s, "
		    "m, h, d or w)" },
		{ CONF_TIME, "time", "",
		    "bad time value \"\" (a number with an optional unit s, "
		    "m, h, d or w)" },
		{ CONF_TIME, "time", "99999999999w",
		    "bad time value \"99999999999w\" (too large)" },
		{ CONF_SIZE, "size", "0", NULL },
		{ CONF_SIZE, "size", "10240000", NULL },
		{ CONF_SIZE, "size", "9223372036854775807", NULL },
		{ CONF_SIZE, "size", "9223372036854775808",
		    "bad size value \"9223372036854775808\" (too large)" },
		{ CONF_SIZE, "size", "abc", "bad size value \"abc\"" },
		{ CONF_SIZE, "size", "10k", "bad size value \"10k\"" },
		{ CONF_SIZE, "size", "-1", "bad size value \"-1\"" },
		{ CONF_SIZE, "size", "", "bad size value \"\"" },
		{ CONF_TABLE, "table", "cdb:/etc/aliases", NULL },
		{ CONF_TABLE, "table", "cdb:/a, texthash:/b\tcdb:c", NULL },
		{ CONF_TABLE, "table", "", NULL },
		{ CONF_TABLE, "table", "inline:{a = b, c = d}", NULL },
		{ CONF_TABLE, "table", "/etc/aliases",
		    "bad table \"/etc/aliases\" (expected type:name)" },
		{ CONF_TABLE, "table", "cdb:/a, /b",
		    "bad table \"/b\" (expected type:name)" },
		{ CONF_TABLE, "table", ":x",
		    "bad table \":x\" (expected type:name)" },
		{ CONF_TABLE, "table", "cdb:",
		    "bad table \"cdb:\" (expected type:name)" },
		{ CONF_STR, "str", "anything $ { at all", NULL },
		{ CONF_LIST, "list", "a, b {c", NULL },
	};
	struct str	 why = STR_INIT, text = STR_INIT, errs = STR_INIT;
	struct str	 want = STR_INIT;
	const char	*name;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf	c = CONF_INIT;

		if ((name = param_of_type(cases[i].type)) == NULL) {
			skip(4, "params.def has no %s parameter yet",
			    cases[i].tname);
			continue;
		}
		str_clear(&why);
		rc = conf_check_param(name, cases[i].value, &why);
		is_int(rc, cases[i].why == NULL ? 0 : -1, "%s \"%s\" (%s): %s",
		    cases[i].tname, cases[i].value, name,
		    cases[i].why == NULL ? "accepted" : "refused");
		is_str(str_c(&why), cases[i].why == NULL ? "" : cases[i].why,
		    "%s \"%s\": reason", cases[i].tname, cases[i].value);

		/* The same through conf_check, with file and line. */
		str_set(&text, "# a comment\n");
		str_catf(&text, "%s = %s\n", name, cases[i].value);
		str_clear(&errs);
		(void)parse(&c, text.s, &errs);
		rc = conf_check(&c, &errs);
		str_clear(&want);
		if (cases[i].why != NULL) {
			str_catf(&want, "main.cf, line 2: %s: %s\n", name,
			    cases[i].why);
		}
		is_int(rc, cases[i].why == NULL ? 0 : 1,
		    "%s \"%s\": conf_check count", cases[i].tname,
		    cases[i].value);
		is_str(str_c(&errs), str_c(&want), "%s \"%s\": conf_check text",
		    cases[i].tname, cases[i].value);
		conf_free(&c);
	}
	str_clear(&why);
	is_int(conf_check_param("no_such_parameter", "anything", &why), 0,
	    "unknown names pass conf_check_param");
	str_free(&why);
	str_free(&text);
	str_free(&errs);
	str_free(&want);
}

/* conf_check: expansion errors and unknown-parameter warnings. */
static void
test_check(void)
{
	static const struct {
		const char	*name;
		const char	*in;
		const char	*errs;
		int		 nerr;
	} cases[] = {
		{ "empty", "", "", 0 },
		{ "known parameters", "mail_name = x\nrelayhost = [h]:25\n",
		    "", 0 },
		{ "unknown parameter warned", "# c\nfoo = 1\n",
		    "warning: main.cf, line 2: unknown parameter \"foo\"\n",
		    0 },
		{ "unknown used as $name", "foo = 1\nmail_name = $foo\n", "",
		    0 },
		{ "unknown used as ${name?...}",
		    "foo = 1\nmail_name = ${foo?x}\n", "", 0 },
		{ "unknown used as $(name)", "foo = 1\nmail_name = $(foo)\n",
		    "", 0 },
		{ "unknown used by another unknown",
		    "foo = 1\nbar = $foo\n",
		    "warning: main.cf, line 2: unknown parameter \"bar\"\n",
		    0 },
		{ "a longer name is not a use", "foo = 1\nfoobar = 2\n"
		    "mail_name = $foobar\n",
		    "warning: main.cf, line 1: unknown parameter \"foo\"\n",
		    0 },
		{ "a use as text is not a use", "foo = 1\nmail_name = foo\n",
		    "warning: main.cf, line 1: unknown parameter \"foo\"\n",
		    0 },
		{ "loop between two names", "a = $b\nb = $a\n",
		    "main.cf, line 1: a: recursion loop in parameter \"b\"\n"
		    "main.cf, line 2: b: recursion loop in parameter \"a\"\n",
		    2 },
		{ "self loop", "mail_name = x$mail_name\n",
		    "main.cf, line 1: mail_name: recursion loop in parameter "
		    "\"mail_name\"\n", 1 },
		{ "loop through a default",
		    "myhostname = $myorigin\nmyorigin = $mydomain\n",
		    "main.cf, line 1: myhostname: recursion loop in parameter "
		    "\"myorigin\"\n"
		    "main.cf, line 2: myorigin: recursion loop in parameter "
		    "\"mydomain\"\n", 2 },
		{ "bad expansion syntax", "mail_name = ${a\n",
		    "main.cf, line 1: mail_name: missing '}' in parameter "
		    "expansion\n", 1 },
		{ "type error after expansion",
		    "limit = 10x\nmessage_size_limit = $limit\n",
		    "main.cf, line 2: message_size_limit: bad size value "
		    "\"10x\"\n", 1 },
		{ "type ok after expansion",
		    "limit = 10\nmessage_size_limit = ${limit}000\n", "", 0 },
		{ "empty value, first entry", "message_size_limit =\n",
		    "main.cf, line 1: message_size_limit: bad size value "
		    "\"\"\n", 1 },
		{ "empty time value", "# x\nmaximal_queue_lifetime =\n",
		    "main.cf, line 2: maximal_queue_lifetime: bad time value "
		    "\"\" (a number with an optional unit s, m, h, d or w)\n",
		    1 },
		{ "empty string value", "relayhost =\nmail_name =\n", "", 0 },
		{ "the last setting is checked",
		    "message_size_limit = abc\nmessage_size_limit = 1\n", "",
		    0 },
		{ "the last setting's line is told",
		    "message_size_limit = 1\n\nmessage_size_limit = abc\n",
		    "main.cf, line 3: message_size_limit: bad size value "
		    "\"abc\"\n", 1 },
		{ "continuation lines in a table list",
		    "alias_maps = cdb:/a,\n  cdb:/b\n  nope\n",
		    "main.cf, line 1: alias_maps: bad table \"nope\" (expected "
		    "type:name)\n", 1 },
	};
	struct str	errs = STR_INIT;
	size_t		i;
	int		nerr;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf	c = CONF_INIT;

		str_clear(&errs);
		is_int(parse(&c, cases[i].in, &errs), 0, "check %s: parses",
		    cases[i].name);
		str_clear(&errs);
		nerr = conf_check(&c, &errs);
		is_str(str_c(&errs), cases[i].errs, "check %s: text",
		    cases[i].name);
		is_int(nerr, cases[i].nerr, "check %s: errors", cases[i].name);
		conf_free(&c);
	}
	str_free(&errs);
}

static void
test_list(void)
{
	static const struct {
		const char	*name;
		const char	*in;
		/* words, each followed by '|' */
		const char	*want;
	} cases[] = {
		{ "empty", "", "" },
		{ "only separators", " ,\t,\r\n, ", "" },
		{ "one word", "a", "a|" },
		{ "commas", "a,b,c", "a|b|c|" },
		{ "comma and blank", "a, b", "a|b|" },
		{ "blanks only", "a b\tc", "a|b|c|" },
		{ "runs of separators", " ,, a  ,b ,\n c\t,", "a|b|c|" },
		{ "CR LF", "a\r\nb", "a|b|" },
		{ "braces are one word", "{a = b, c}", "{a = b, c}|" },
		{ "inline table", "inline:{a = b, c = d}, cdb:/x",
		    "inline:{a = b, c = d}|cdb:/x|" },
		{ "nested braces", "{a {b, c} d} e", "{a {b, c} d}|e|" },
		{ "braces mid-word", "x{a b}y z", "x{a b}y|z|" },
		{ "stray '}'", "a}b c", "a}b|c|" },
		{ "unclosed '{' runs to the end", "{a, b", "{a, b|" },
		{ "mydestination default",
		    "$myhostname, localhost.$mydomain, localhost",
		    "$myhostname|localhost.$mydomain|localhost|" },
	};
	struct str	word = STR_INIT, got = STR_INIT;
	size_t		i, pos;
	int		n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		str_clear(&got);
		pos = 0;
		n = 0;
		while (conf_list_next(cases[i].in, &pos, &word) == 1 &&
		    n++ < 100) {
			str_cat_mem(&got, word.s, word.len);
			str_cat_char(&got, '|');
		}
		is_str(str_c(&got), cases[i].want, "list %s", cases[i].name);
		is_int(conf_list_next(cases[i].in, &pos, &word), 0,
		    "list %s: the end stays the end", cases[i].name);
	}
	str_free(&word);
	str_free(&got);
}

/* params.def: sorted, well formed, and every default passes its check. */
static void
test_table(void)
{
	struct conf	 c = CONF_INIT;
	struct str	 v = STR_INIT, why = STR_INIT;
	size_t		 i;
	int		 sorted = 1, formed = 1;
	const char	*n;

	ok(conf_nparams > 0, "params.def has %zu parameters", conf_nparams);
	for (i = 1; i < conf_nparams; i++) {
		if (strcmp(conf_params[i - 1].name, conf_params[i].name) >= 0) {
			diag("not sorted: %s before %s",
			    conf_params[i - 1].name, conf_params[i].name);
			sorted = 0;
		}
	}
	ok(sorted, "params.def is sorted by name, without duplicates");
	for (i = 0; i < conf_nparams; i++) {
		n = conf_params[i].name;
		/* Postfix's own names have capitals: smtp_tls_CAfile */
		if (n[0] == '\0' || strspn(n, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(n) ||
		    strlen(n) > CONF_NAME_MAX ||
		    conf_params[i].def == NULL || conf_params[i].doc == NULL ||
		    conf_params[i].doc[0] == '\0' ||
		    (conf_params[i].type == CONF_TIME) !=
		    (conf_params[i].unit != 0) ||
		    (conf_params[i].unit != 0 &&
		    strchr("smhdw", conf_params[i].unit) == NULL)) {
			diag("malformed entry: %s", n);
			formed = 0;
		}
		if (conf_param_find(n) != &conf_params[i]) {
			diag("conf_param_find(\"%s\") misses it", n);
			formed = 0;
		}
	}
	ok(formed, "every entry: a name of letters, digits and _, doc, "
	    "unit for time only, found by conf_param_find");
	ok(conf_param_find("") == NULL && conf_param_find("zzz") == NULL &&
	    conf_param_find("a") == NULL &&
	    conf_param_find("mail_nam") == NULL &&
	    conf_param_find("mail_namex") == NULL,
	    "conf_param_find: no false hits");
	/* one buffer asked for several names: the lookup keeps the last
	 * find by the name's address, and must still compare the name */
	{
		char	name[CONF_NAME_MAX + 1];
		int	right = 1;

		for (i = 0; i < conf_nparams; i++) {
			snprintf(name, sizeof(name), "%s",
			    conf_params[i].name);
			right &= conf_param_find(name) == &conf_params[i];
			name[0] = '#';
			right &= conf_param_find(name) == NULL;
		}
		ok(right, "conf_param_find: one buffer, every name in turn, "
		    "each found, and a changed name not");
	}

	c.dir = strdup(tap_tmpdir());
	for (i = 0; i < conf_nparams; i++) {
		n = conf_params[i].name;
		str_clear(&why);
		if (conf_expand_param(&c, n, &v) == -1) {
			ok(0, "default of %s expands: %s", n, v.s);
			continue;
		}
		if (!ok(conf_check_param(n, v.s, &why) == 0,
		    "default of %s passes its type check", n)) {
			diag("default \"%s\": %s", v.s, why.s);
		}
	}
	conf_free(&c);
	str_free(&v);
	str_free(&why);
}

static void
test_read_file(void)
{
	const char	*dir = subdir("read");
	char		 path[600];
	struct str	 out = STR_INIT;
	char		*big;

	big = malloc(CONF_FILE_MAX + 1);
	if (big == NULL) {
		skip(5, "no memory");
		return;
	}
	memset(big, '#', CONF_FILE_MAX + 1);
	write_file(dir, "at", big, CONF_FILE_MAX);
	write_file(dir, "over", big, CONF_FILE_MAX + 1);
	free(big);
	snprintf(path, sizeof(path), "%s/at", dir);
	is_int(conf_read_file(path, &out), 0, "read a file at the limit");
	is_int((long long)out.len, CONF_FILE_MAX, "read: all of it");
	snprintf(path, sizeof(path), "%s/over", dir);
	errno = 0;
	ok(conf_read_file(path, &out) == -1 && errno == EFBIG,
	    "a file one byte over: EFBIG");
	snprintf(path, sizeof(path), "%s/missing", dir);
	errno = 0;
	ok(conf_read_file(path, &out) == -1 && errno == ENOENT,
	    "missing file: ENOENT");
	unlink(path);
	snprintf(path, sizeof(path), "%s/at", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/over", dir);
	unlink(path);
	ok(conf_read_file(dir, &out) == -1, "a directory: error");
	str_free(&out);
}

static void
test_dir(void)
{
	unsetenv("MAIL_CONFIG");
	is_str(conf_dir("/opt"), "/opt", "conf_dir: -c wins");
	is_str(conf_dir(NULL), POSTLET_SYSCONFDIR, "conf_dir: built-in");
	is_str(conf_dir(""), POSTLET_SYSCONFDIR, "conf_dir: empty -c");
	setenv("MAIL_CONFIG", "/env", 1);
	is_str(conf_dir(NULL), "/env", "conf_dir: MAIL_CONFIG");
	is_str(conf_dir("/opt"), "/opt", "conf_dir: -c beats MAIL_CONFIG");
	setenv("MAIL_CONFIG", "", 1);
	is_str(conf_dir(NULL), POSTLET_SYSCONFDIR,
	    "conf_dir: empty MAIL_CONFIG");
	unsetenv("MAIL_CONFIG");
}

static void
test_load_file(void)
{
	const char	*dir = subdir("loadfile");
	const char	*none = subdir("loadfile-none");
	struct conf	 c = CONF_INIT;
	struct str	 errs = STR_INIT;
	int		 nwarn = -1;
	static const char text[] =
	    "foo = 1\n"
	    "bar = 2\n"
	    "message_size_limit = x\n"
	    "  y\n";

	write_file(dir, "main.cf", text, sizeof(text) - 1);
	str_set(&errs, "before\n");
	is_int(conf_load_file(&c, dir, &errs, &nwarn), 1,
	    "load_file: one error");
	is_int(nwarn, 2, "load_file: two warnings");
	ok(strstr(errs.s, "before\n") == errs.s, "load_file: errs appended");
	ok(strstr(errs.s, "/main.cf, line 3: message_size_limit: bad size "
	    "value \"x y\"\n") != NULL, "load_file: path, line and reason");
	is_str(c.dir, dir, "load_file: dir kept");
	conf_free(&c);

	str_clear(&errs);
	nwarn = -1;
	is_int(conf_load_file(&c, none, &errs, &nwarn), 0,
	    "load_file: missing main.cf is no error");
	is_int(nwarn, 0, "load_file: no warnings");
	is_int((long long)c.n, 0, "load_file: nothing set");
	conf_free(&c);
	str_free(&errs);
}

static void
test_load(void)
{
	const char	*good = subdir("good");
	const char	*bad = subdir("bad");
	const char	*bad2 = subdir("bad2");
	const char	*none = subdir("none");
	const char	*isdir = subdir("isdir");
	const char	*v1, *v2;
	unsigned long	 gen;
	char		 want[600];
	static const char good_cf[] =
	    "# a good main.cf\n"
	    "myhostname = mail.example.com\n"
	    "message_size_limit = 5000\n"
	    "maximal_queue_lifetime = 2\n"
	    "bounce_queue_lifetime = 3h\n"
	    "relayhost = [$mydomain]:587\n"
	    "my_name = Mail\n"
	    "mail_name = $my_name\n"
	    "mynetworks = 127.0.0.0/8,\n"
	    "    10.0.0.0/8\n"
	    "unused_thing = 1\n";
	static const char bad_cf[] = "message_size_limit = abc\n";
	static const char bad2_cf[] = "a b\nmessage_size_limit = abc\n";
	const char	*bool_name = param_of_type(CONF_BOOL);
	const char	*int_name = param_of_type(CONF_INT);
	char		 sub[600];

	write_file(good, "main.cf", good_cf, sizeof(good_cf) - 1);
	write_file(bad, "main.cf", bad_cf, sizeof(bad_cf) - 1);
	write_file(bad2, "main.cf", bad2_cf, sizeof(bad2_cf) - 1);
	snprintf(sub, sizeof(sub), "%s/main.cf", isdir);
	mkdir(sub, 0700);

	ok(TAP_FATAL(conf_load(good)) == 0, "load good main.cf (warnings "
	    "only)");
	is_str(conf_main()->dir, good, "conf_main: its directory");
	is_str(conf_value("myhostname"), "mail.example.com",
	    "conf_value: set");
	is_str(conf_value("mydomain"), "example.com", "conf_value: derived");
	is_str(conf_value("myorigin"), "mail.example.com",
	    "conf_value: default with $name");
	is_str(conf_value("relayhost"), "[example.com]:587",
	    "conf_value: expanded");
	is_str(conf_value("mail_name"), "Mail",
	    "conf_value: user-defined $name");
	is_str(conf_value("mynetworks"), "127.0.0.0/8, 10.0.0.0/8",
	    "conf_value: continuation line");
	is_str(conf_value("config_directory"), good,
	    "conf_value: config_directory");
	is_str(conf_value("alias_maps"), "cdb:" POSTLET_SYSCONFDIR "/aliases",
	    "conf_value: default");
	v1 = conf_value("relayhost");
	gen = conf_generation();
	v2 = conf_value("relayhost");
	ok(v1 == v2, "conf_value: the same string twice");
	ok(conf_generation() == gen, "conf_generation: the same while the "
	    "values are kept");
	ok(TAP_FATAL(conf_load(good)) == 0 && conf_generation() != gen,
	    "conf_generation: another after conf_load");
	is_int((long long)conf_size("message_size_limit"), 5000, "conf_size");
	is_int((long long)conf_size("queue_minfree"), 0, "conf_size default");
	is_int(conf_time("maximal_queue_lifetime"), 2 * 86400,
	    "conf_time: default unit d");
	is_int(conf_time("bounce_queue_lifetime"), 3 * 3600,
	    "conf_time: unit h");
	if (bool_name != NULL) {
		ok(TAP_FATAL(conf_bool(bool_name)) == 0, "conf_bool(%s)",
		    bool_name);
	} else {
		skip(1, "params.def has no bool parameter yet");
	}
	if (int_name != NULL) {
		ok(TAP_FATAL(conf_int(int_name)) == 0, "conf_int(%s)",
		    int_name);
	} else {
		skip(1, "params.def has no int parameter yet");
	}

	/* Caller bugs: panic. */
	ok(TAP_FATAL(conf_value("no_such_parameter")) == 1 &&
	    tap_fatal_status == -1, "conf_value of an unknown name: panic");
	ok(strstr(tap_fatal_text, "no_such_parameter") != NULL,
	    "panic names it (%s)", tap_fatal_text);
	ok(TAP_FATAL(conf_value("my_name")) == 1 && tap_fatal_status == -1,
	    "conf_value of a user-defined name: panic");
	ok(TAP_FATAL(conf_time("no_such_parameter")) == 1 &&
	    tap_fatal_status == -1, "conf_time of an unknown name: panic");
	ok(TAP_FATAL(conf_size("mail_name")) == 1 && tap_fatal_status == -1,
	    "conf_size of a string parameter: panic");
	ok(TAP_FATAL(conf_time("message_size_limit")) == 1 &&
	    tap_fatal_status == -1, "conf_time of a size parameter: panic");
	ok(TAP_FATAL(conf_bool("mail_name")) == 1 && tap_fatal_status == -1,
	    "conf_bool of a string parameter: panic");
	ok(TAP_FATAL(conf_int("mail_name")) == 1 && tap_fatal_status == -1,
	    "conf_int of a string parameter: panic");

	/* Errors: fatal with EX_CONFIG. */
	ok(TAP_FATAL(conf_load(bad)) == 1, "bad main.cf: fatal");
	is_int(tap_fatal_status, EX_CONFIG, "bad main.cf: status 78");
	snprintf(want, sizeof(want), "1 error in %s/main.cf", bad);
	ok(strstr(tap_fatal_text, want) != NULL, "bad main.cf: \"%s\"",
	    tap_fatal_text);
	ok(TAP_FATAL(conf_load(bad2)) == 1 && tap_fatal_status == EX_CONFIG,
	    "main.cf with two errors: fatal 78");
	snprintf(want, sizeof(want), "2 errors in %s/main.cf", bad2);
	ok(strstr(tap_fatal_text, want) != NULL, "two errors: \"%s\"",
	    tap_fatal_text);
	ok(TAP_FATAL(conf_load(isdir)) == 1 && tap_fatal_status == EX_CONFIG,
	    "unreadable main.cf: fatal 78");

	/* A good load after a failed one; values are not stale. */
	ok(TAP_FATAL(conf_load(none)) == 0, "missing main.cf: defaults");
	is_str(conf_value("mail_name"), "postlet", "defaults: mail_name");
	is_int((long long)conf_size("message_size_limit"), 10240000,
	    "defaults: message_size_limit");
	is_int(conf_time("maximal_queue_lifetime"), 5 * 86400,
	    "defaults: maximal_queue_lifetime");
	ok(strcmp(conf_value("myhostname"), "mail.example.com") != 0,
	    "defaults: myhostname not left from before");
	ok(TAP_FATAL(conf_load(good)) == 0, "load good main.cf again");
	is_str(conf_value("relayhost"), "[example.com]:587",
	    "reloaded value");
	conf_free(conf_main());
}

int
main(void)
{
	test_parse();
	test_line_limit();
	test_expand();
	test_expand_depth();
	test_expand_size();
	test_expand_work();
	test_defaults();
	test_hostname_defaults();
	test_types();
	test_check();
	test_list();
	test_table();
	test_read_file();
	test_dir();
	test_load_file();
	test_load();
	return done_testing();
}
