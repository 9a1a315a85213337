/* SPDX-License-Identifier: ISC */
/*
 * conf.c: main.cf parsing, $name expansion and typed access (see conf.h).
 *
 * Parsing never stops at the first problem: each one is reported with
 * file and line, so `postlet check` can list them all.  Values are kept
 * raw, as written, and expanded on use; expansion detects loops with a
 * stack of the names being expanded and bounds depth and size.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "cfline.h"
#include "conf.h"
#include "fd.h"
#include "bounds.h"
#include "log.h"
#include "scan.h"
#include "str.h"

#include <fcntl.h>
#include <sys/stat.h>

const struct conf_param conf_params[] = {
#define PARAM(name, type, unit, def, doc) { #name, type, unit, def, doc },
#include "params.def"
#undef PARAM
};
const size_t conf_nparams = sizeof(conf_params) / sizeof(conf_params[0]);

/*
 * One expansion: the names being expanded (loop detection), and how many
 * names it has expanded so far.  Depth and value size alone do not bound
 * the work: "a = $b$b", "b = $c$c", ... with an empty last value doubles
 * it at each level without making the value any longer.
 */
struct conf_xp {
	const char	*stack[CONF_EXPAND_DEPTH];
	unsigned long	 names;
};

static int	conf_expand_rec(const struct conf *, const char *, size_t,
		    struct str *, struct conf_xp *, int);
static int	conf_expand_name(const struct conf *, const char *, size_t,
		    struct str *, struct conf_xp *, int);
static const char *conf_value_of(const struct conf_param *);

/*
 * The parameters last found, by the address of the name asked: callers
 * mostly pass the same string literal each time, so one comparison
 * confirms the slot and the binary search (nine comparisons) is skipped.
 * A slot is only a guess: its name is always compared.
 */
#define CONF_FIND_SLOTS	64
static const struct conf_param	*conf_find_slot[CONF_FIND_SLOTS];

static size_t
conf_find_hash(const char *name)
{
	uintptr_t	a = (uintptr_t)name;

	return (size_t)((a >> 3) ^ (a >> 9)) % CONF_FIND_SLOTS;
}

const struct conf_param *
conf_param_find(const char *name)
{
	const struct conf_param	*p;
	size_t			 lo = 0, hi = conf_nparams, mid, slot;
	int			 c;

	slot = conf_find_hash(name);
	p = conf_find_slot[slot];
	if (p != NULL && strcmp(name, p->name) == 0) {
		return p;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, conf_params[mid].name);
		if (c == 0) {
			conf_find_slot[slot] = &conf_params[mid];
			return &conf_params[mid];
		}
		if (c < 0) {
			hi = mid;
		} else {
			lo = mid + 1;
		}
	}
	return NULL;
}

/*
 * Per-transport parameters (Postfix's "transport_" names): for any
 * master.cf transport T, T_destination_concurrency_limit and
 * T_destination_recipient_limit, whose default and type are those of
 * default_destination_concurrency_limit and
 * default_destination_recipient_limit; and T_time_limit (pipe(8)), whose
 * default and type are command_time_limit's.
 */
static const char *const conf_transport_suffixes[] = {
	"_destination_concurrency_limit",
	"_destination_recipient_limit",
};

const struct conf_param *
conf_param_like(const char *name)
{
	const struct conf_param	*p;
	struct str		 def = STR_INIT;
	size_t			 i, n = strlen(name), k;

	if ((p = conf_param_find(name)) != NULL) {
		return p;
	}
	for (i = 0; i < sizeof(conf_transport_suffixes) /
	    sizeof(conf_transport_suffixes[0]); i++) {
		k = strlen(conf_transport_suffixes[i]);
		if (n > k && strcmp(name + n - k,
		    conf_transport_suffixes[i]) == 0) {
			str_catf(&def, "default%s", conf_transport_suffixes[i]);
			p = conf_param_find(def.s);
			str_free(&def);
			return p;
		}
	}
	/* pipe(8)'s TRANSPORT_time_limit: a command_time_limit */
	k = sizeof("_time_limit") - 1;
	if (n > k && strcmp(name + n - k, "_time_limit") == 0) {
		return conf_param_find("command_time_limit");
	}
	return NULL;
}


static bool
conf_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static bool
conf_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static struct conf_entry *
conf_entry_find(const struct conf *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->entries[i].name, name) == 0) {
			return &c->entries[i];
		}
	}
	return NULL;
}

static void
conf_set(struct conf *c, const char *name, const char *value,
    const char *file, int line)
{
	struct conf_entry	*e;

	if ((e = conf_entry_find(c, name)) != NULL) {
		free(e->value);
		free(e->file);
	} else {
		if (c->n == c->cap) {
			c->cap = c->cap == 0 ? 32 : c->cap * 2;
			c->entries = xreallocarray(c->entries, c->cap,
			    sizeof(*c->entries));
		}
		e = &c->entries[c->n++];
		e->name = xstrdup(name);
	}
	e->value = xstrdup(value);
	e->file = xstrdup(file);
	e->line = line;
}

/*
 * One logical line (already joined): "name = value".  Returns 0 or -1
 * after appending the problem to errs.
 */
static int
conf_parse_setting(struct conf *c, const char *p, size_t n,
    const char *file, int line, struct str *errs)
{
	struct str	name = STR_INIT, value = STR_INIT;
	size_t		i = 0, end;
	int		rc = -1;

	while (i < n && conf_name_char((unsigned char)p[i])) {
		i++;
	}
	if (i == 0) {
		str_catf(errs, "%s, line %d: a parameter name must start the "
		    "line (letters, digits, _)\n", file, line);
		goto out;
	}
	if (i > CONF_NAME_MAX) {
		str_catf(errs, "%s, line %d: parameter name longer than %d "
		    "bytes\n", file, line, CONF_NAME_MAX);
		goto out;
	}
	str_set_mem(&name, p, i);
	while (i < n && conf_blank((unsigned char)p[i])) {
		i++;
	}
	if (i == n || p[i] != '=') {
		str_catf(errs, "%s, line %d: missing '=' after parameter "
		    "name \"%s\"\n", file, line, name.s);
		goto out;
	}
	i++;
	while (i < n && conf_blank((unsigned char)p[i])) {
		i++;
	}
	end = n;
	while (end > i && conf_blank((unsigned char)p[end - 1])) {
		end--;
	}
	str_set_mem(&value, p + i, end - i);
	/* Unknown names are kept: they may be used as $name (conf_check
	 * warns about those that are not). */
	conf_set(c, name.s, value.s, file, line);
	rc = 0;
out:
	str_free(&name);
	str_free(&value);
	return rc;
}

int
conf_parse(struct conf *c, const char *text, size_t len, const char *file,
    struct str *errs)
{
	struct cfline	cl;
	struct str	logical = STR_INIT;
	int		line, nerr = 0;

	cfline_init(&cl, text, len, file, CONF_LINE_MAX);
	while (cfline_next(&cl, &logical, &line, errs) == 1) {
		if (conf_parse_setting(c, logical.s, logical.len, file, line,
		    errs) == -1) {
			nerr++;
		}
	}
	str_free(&logical);
	return nerr + cl.nerr;
}

void
conf_free(struct conf *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++) {
		free(c->entries[i].name);
		free(c->entries[i].value);
		free(c->entries[i].file);
	}
	free(c->entries);
	free(c->dir);
	for (i = 0; i < c->nrefs; i++) {
		free(c->refs[i]);
	}
	free(c->refs);
	c->refs = NULL;
	c->nrefs = 0;
	c->entries = NULL;
	c->n = c->cap = 0;
	c->dir = NULL;
}

void
conf_add_reference(struct conf *c, const char *text)
{
	c->refs = xreallocarray(c->refs, c->nrefs + 1, sizeof(*c->refs));
	c->refs[c->nrefs++] = xstrdup(text);
}

const char *
conf_raw(const struct conf *c, const char *name)
{
	const struct conf_entry	*e = conf_entry_find(c, name);

	return e != NULL ? e->value : NULL;
}

/*
 * Defaults that depend on the system rather than on the table.  Returns
 * -1 (message in out) when expanding myhostname for mydomain fails.
 */
static int
conf_dynamic_default(const struct conf *c, const char *name, struct str *out,
    struct conf_xp *xp, int depth)
{
	char		 host[256];
	struct str	 h = STR_INIT;
	const char	*dot;

	if (strcmp(name, "config_directory") == 0 && c->dir != NULL) {
		str_set(out, c->dir);
		return 0;
	}
	if (strcmp(name, "myhostname") == 0) {
		/* gethostname(); a short name gets $mydomain when main.cf
		 * sets it, else "localdomain" (Postfix's rule). */
		if (gethostname(host, sizeof(host)) != 0) {
			host[0] = '\0';
		}
		host[sizeof(host) - 1] = '\0';
		str_set(out, host[0] != '\0' ? host : "localhost");
		if (strchr(out->s, '.') == NULL) {
			if (conf_raw(c, "mydomain") != NULL) {
				if (conf_expand_name(c, "mydomain", 8, &h, xp,
				    depth) == -1) {
					str_set(out, str_c(&h));
					str_free(&h);
					return -1;
				}
			}
			str_catf(out, ".%s", h.len > 0 ? h.s : "localdomain");
		}
	} else if (strcmp(name, "mydomain") == 0) {
		/* myhostname without its first label, or "localdomain". */
		if (conf_expand_name(c, "myhostname", 10, &h, xp,
		    depth) == -1) {
			str_set(out, str_c(&h));
			str_free(&h);
			return -1;
		}
		if ((dot = strchr(str_c(&h), '.')) != NULL && dot[1] != '\0') {
			str_set(out, dot + 1);
		} else {
			str_set(out, "localdomain");
		}
	}
	str_free(&h);
	return 0;
}

/* Is name currently being expanded (a loop)? */
static bool
conf_on_stack(const char **stack, int depth, const char *name, size_t n)
{
	int	i;

	for (i = 0; i < depth; i++) {
		if (strlen(stack[i]) == n && memcmp(stack[i], name, n) == 0) {
			return true;
		}
	}
	return false;
}

/* Expand the parameter name[0..n) onto out; see conf_expand_rec. */
static int
conf_expand_name(const struct conf *c, const char *name, size_t n,
    struct str *out, struct conf_xp *xp, int depth)
{
	const struct conf_param	*p;
	const char		*raw;
	struct str		 key = STR_INIT, dyn = STR_INIT;
	int			 rc = 0;

	if (conf_on_stack(xp->stack, depth, name, n)) {
		str_set(out, "recursion loop in parameter \"");
		str_cat_mem(out, name, n);
		str_cat(out, "\"");
		return -1;
	}
	if (depth >= CONF_EXPAND_DEPTH) {
		str_set(out, "parameter expansion nested too deeply");
		return -1;
	}
	if (++xp->names > CONF_EXPAND_NAMES) {
		str_set(out, "parameter expansion too complex");
		return -1;
	}
	str_set_mem(&key, name, n);
	p = conf_param_find(key.s);
	xp->stack[depth] = key.s;
	if ((raw = conf_raw(c, key.s)) == NULL && p != NULL) {
		if (conf_dynamic_default(c, key.s, &dyn, xp,
		    depth + 1) == -1) {
			str_set(out, str_c(&dyn));
			rc = -1;
			goto out;
		}
		raw = dyn.len > 0 ? dyn.s : p->def;
	}
	if (raw != NULL) {
		rc = conf_expand_rec(c, raw, strlen(raw), out, xp, depth + 1);
	}
out:
	/* An unknown, unset name expands to nothing (as in Postfix). */
	str_free(&key);
	str_free(&dyn);
	return rc;
}

/*
 * Expand text onto out.  On error, out holds the message instead and -1
 * is returned.
 */
static int
conf_expand_rec(const struct conf *c, const char *text, size_t len,
    struct str *out, struct conf_xp *xp, int depth)
{
	struct str	 sub = STR_INIT, err = STR_INIT;
	size_t		 i = 0, start, nlen, close, level;
	const char	*name, *alt;
	char		 open, shut, op;
	int		 rc = 0;

	while (i < len) {
		if (text[i] != '$') {
			start = i;
			while (i < len && text[i] != '$') {
				i++;
			}
			str_cat_mem(out, text + start, i - start);
			goto check;
		}
		i++;
		if (i == len) {
			str_cat_char(out, '$');
			break;
		}
		if (text[i] == '$') {
			str_cat_char(out, '$');
			i++;
			goto check;
		}
		if (conf_name_char((unsigned char)text[i])) {
			start = i;
			while (i < len &&
			    conf_name_char((unsigned char)text[i])) {
				i++;
			}
			str_clear(&sub);
			if (conf_expand_name(c, text + start, i - start, &sub,
			    xp, depth) == -1) {
				str_set(&err, str_c(&sub));
				rc = -1;
				goto out;
			}
			str_cat_mem(out, sub.s, sub.len);
			goto check;
		}
		if (text[i] != '{' && text[i] != '(') {
			/* A lone '$' before other text stays as it is. */
			str_cat_char(out, '$');
			goto check;
		}
		open = text[i];
		shut = open == '{' ? '}' : ')';
		/* Find the matching close, allowing nesting in the text. */
		level = 0;
		for (close = i; close < len; close++) {
			if (text[close] == open) {
				level++;
			} else if (text[close] == shut && --level == 0) {
				break;
			}
		}
		if (close == len) {
			str_set(&err, "missing '");
			str_cat_char(&err, shut);
			str_cat(&err, "' in parameter expansion");
			rc = -1;
			goto out;
		}
		name = text + i + 1;
		for (nlen = 0; name + nlen < text + close &&
		    conf_name_char((unsigned char)name[nlen]); nlen++) {
			continue;
		}
		if (nlen == 0) {
			str_set(&err, "missing parameter name after '$");
			str_cat_char(&err, open);
			str_cat(&err, "'");
			rc = -1;
			goto out;
		}
		op = name + nlen < text + close ? name[nlen] : '\0';
		if (op != '\0' && op != '?' && op != ':') {
			str_set(&err,
			    "bad character after parameter name in '$");
			str_cat_char(&err, open);
			str_cat(&err, "...");
			str_cat_char(&err, shut);
			str_cat(&err, "'");
			rc = -1;
			goto out;
		}
		str_clear(&sub);
		if (conf_expand_name(c, name, nlen, &sub, xp, depth) == -1) {
			str_set(&err, str_c(&sub));
			rc = -1;
			goto out;
		}
		alt = name + nlen + 1;
		if (op == '\0') {
			str_cat_mem(out, sub.s, sub.len);
		} else if ((op == '?' && sub.len > 0) ||
		    (op == ':' && sub.len == 0)) {
			/*
			 * The text is itself expanded, one level deeper, so
			 * that ${a?${a?...}} cannot recurse without bound.
			 */
			if (depth >= CONF_EXPAND_DEPTH) {
				str_set(&err,
				    "parameter expansion nested too deeply");
				rc = -1;
				goto out;
			}
			/* no name: never a loop */
			xp->stack[depth] = "";
			str_clear(&sub);
			if (conf_expand_rec(c, alt,
			    (size_t)(text + close - alt), &sub, xp,
			    depth + 1) == -1) {
				str_set(&err, str_c(&sub));
				rc = -1;
				goto out;
			}
			str_cat_mem(out, sub.s, sub.len);
		}
		i = close + 1;
check:
		if (out->len > CONF_VALUE_MAX) {
			str_set(&err,
			    "parameter value too large after expansion");
			rc = -1;
			goto out;
		}
	}
out:
	if (rc == -1) {
		str_set(out, str_c(&err));
	}
	str_free(&sub);
	str_free(&err);
	return rc;
}

/* conf_expand, adding its work to xp->names (conf_check shares one). */
static int
conf_expand_xp(const struct conf *c, const char *text, struct str *out,
    struct conf_xp *xp)
{
	/* Not str_clear: out->s must be a string even for an empty value. */
	str_set(out, "");
	return conf_expand_rec(c, text, strlen(text), out, xp, 0);
}

int
conf_expand(const struct conf *c, const char *text, struct str *out)
{
	struct conf_xp	xp;

	xp.names = 0;
	return conf_expand_xp(c, text, out, &xp);
}

int
conf_expand_param(const struct conf *c, const char *name, struct str *out)
{
	struct conf_xp	xp;

	xp.names = 0;
	/* Not str_clear: out->s must be a string even for an empty value. */
	str_set(out, "");
	return conf_expand_name(c, name, strlen(name), out, &xp, 0);
}

int
conf_list_next(const char *list, size_t *pos, struct str *word)
{
	size_t	i = *pos, start, level;

	while (list[i] == ',' || list[i] == ' ' || list[i] == '\t' ||
	    list[i] == '\r' || list[i] == '\n') {
		i++;
	}
	if (list[i] == '\0') {
		*pos = i;
		return 0;
	}
	start = i;
	level = 0;
	while (list[i] != '\0') {
		if (list[i] == '{') {
			level++;
		} else if (list[i] == '}' && level > 0) {
			level--;
		} else if (level == 0 && (list[i] == ',' || list[i] == ' ' ||
		    list[i] == '\t' || list[i] == '\r' || list[i] == '\n')) {
			break;
		}
		i++;
	}
	str_set_mem(word, list + start, i - start);
	*pos = i;
	return 1;
}

/* Check one expanded value against a type; a message into why on error. */
static int
conf_check_value(const struct conf_param *p, const char *v, struct str *why)
{
	unsigned long long	 u;
	long long		 t;
	bool			 b;
	size_t			 pos = 0;
	struct str		 word = STR_INIT;
	const char		*colon;
	int			 rc = 0;

	switch (p->type) {
	case CONF_BOOL:
		if (scan_bool(v, &b) == -1) {
			str_catf(why,
			    "bad boolean value \"%s\" (use yes or no)", v);
			rc = -1;
		}
		break;
	case CONF_INT:
		if (scan_uint(v, INT_MAX, &u) == -1) {
			str_catf(why, "bad integer value \"%s\"%s", v,
			    errno == ERANGE ? " (too large)" : "");
			rc = -1;
		}
		break;
	case CONF_SIZE:
		if (scan_uint(v, (unsigned long long)LLONG_MAX, &u) == -1) {
			str_catf(why, "bad size value \"%s\"%s", v,
			    errno == ERANGE ? " (too large)" : "");
			rc = -1;
		}
		break;
	case CONF_TIME:
		if (scan_time(v, p->unit, &t) == -1) {
			str_catf(why, "bad time value \"%s\"%s", v,
			    errno == ERANGE ? " (too large)" :
			    " (a number with an optional unit s, m, h, d "
			    "or w)");
			rc = -1;
		}
		break;
	case CONF_TABLE:
		while (conf_list_next(v, &pos, &word) == 1) {
			colon = strchr(word.s, ':');
			if (colon == NULL || colon == word.s ||
			    colon[1] == '\0') {
				str_catf(why, "bad table \"%s\" (expected "
				    "type:name)", word.s);
				rc = -1;
				break;
			}
		}
		break;
	default:
		break;
	}
	str_free(&word);
	return rc;
}

/* Does any value, set or default, refer to name as $name, ${name...}
 * or $(name...)? */
static bool
conf_referenced(const struct conf *c, const char *name)
{
	size_t		 i, n = strlen(name), k;
	const char	*v, *p;

	for (i = 0; i < c->n + conf_nparams + c->nrefs; i++) {
		if (i < c->n) {
			v = c->entries[i].value;
		} else if (i < c->n + conf_nparams) {
			v = conf_params[i - c->n].def;
		} else {
			v = c->refs[i - c->n - conf_nparams];
		}
		for (p = v; (p = strchr(p, '$')) != NULL; p++) {
			k = (p[1] == '{' || p[1] == '(') ? 2 : 1;
			if (strncmp(p + k, name, n) == 0 &&
			    !conf_name_char((unsigned char)p[k + n])) {
				return true;
			}
		}
	}
	return false;
}

int
conf_check(const struct conf *c, struct str *errs)
{
	const struct conf_param	*p;
	struct conf_xp		 xp;
	struct str		 v = STR_INIT, why = STR_INIT;
	size_t			 i;
	int			 nerr = 0;

	/*
	 * One bound on the names expanded for all entries together: else
	 * many entries each just under it would add up to hours.
	 */
	xp.names = 0;
	for (i = 0; i < c->n; i++) {
		const struct conf_entry	*e = &c->entries[i];

		str_clear(&why);
		if (conf_expand_xp(c, e->value, &v, &xp) == -1) {
			str_catf(errs, "%s, line %d: %s: %s\n", e->file,
			    e->line, e->name, v.s);
			nerr++;
			continue;
		}
		if ((p = conf_param_like(e->name)) == NULL) {
			if (!conf_referenced(c, e->name)) {
				str_catf(errs, "warning: %s, line %d: unknown "
				    "parameter \"%s\"\n", e->file, e->line,
				    e->name);
			}
			continue;
		}
		if (conf_check_value(p, v.s, &why) == -1) {
			str_catf(errs, "%s, line %d: %s: %s\n", e->file,
			    e->line, e->name, why.s);
			nerr++;
		}
	}
	str_free(&v);
	str_free(&why);
	return nerr;
}

int
conf_check_param(const char *name, const char *value, struct str *why)
{
	const struct conf_param	*p = conf_param_like(name);

	if (p == NULL) {
		return 0;
	}
	return conf_check_value(p, value, why);
}

const char *
conf_dir(const char *opt_c)
{
	const char	*env;

	if (opt_c != NULL && *opt_c != '\0') {
		return opt_c;
	}
	if ((env = getenv("MAIL_CONFIG")) != NULL && *env != '\0') {
		return env;
	}
	return POSTLET_SYSCONFDIR;
}

int
conf_read_file(const char *path, struct str *out)
{
	return fd_read_file(path, 0, CONF_FILE_MAX, out);
}

int
conf_load_file(struct conf *c, const char *dir, struct str *errs,
    int *nwarn)
{
	struct str	 path = STR_INIT, text = STR_INIT;
	int		 nerr = 0;
	size_t		 before = errs->len, i;

	free(c->dir);
	c->dir = xstrdup(dir);
	str_catf(&path, "%s/main.cf", dir);
	if (conf_read_file(path.s, &text) == -1) {
		if (errno != ENOENT) {
			str_catf(errs, "%s: %s\n", path.s, strerror(errno));
			nerr++;
		}
	} else {
		nerr += conf_parse(c, text.s, text.len, path.s, errs);
		nerr += conf_check(c, errs);
	}
	if (nwarn != NULL) {
		*nwarn = 0;
		for (i = before; i < errs->len; i++) {
			if ((i == before || errs->s[i - 1] == '\n') &&
			    strncmp(errs->s + i, "warning: ", 9) == 0) {
				(*nwarn)++;
			}
		}
	}
	str_free(&path);
	str_free(&text);
	return nerr;
}

/* The process-wide configuration and its expanded values. */
static struct conf	 conf_global = CONF_INIT;
static char		**conf_cache;
/* How many times the expanded values were let go (conf_generation). */
static unsigned long	 conf_cache_clears;

unsigned long
conf_generation(void)
{
	return conf_cache_clears;
}

struct conf *
conf_main(void)
{
	return &conf_global;
}

static void
conf_cache_clear(void)
{
	size_t	i;

	conf_cache_clears++;
	if (conf_cache == NULL) {
		return;
	}
	for (i = 0; i < conf_nparams; i++) {
		free(conf_cache[i]);
	}
	free(conf_cache);
	conf_cache = NULL;
}

void
conf_load(const char *dir)
{
	struct str	 errs = STR_INIT;
	int		 nerr;

	conf_cache_clear();
	conf_free(&conf_global);
	nerr = conf_load_file(&conf_global, dir, &errs, NULL);
	/* Report each line with its severity; errors are fatal. */
	(void)log_messages(str_c(&errs), errs.len);
	str_free(&errs);
	if (nerr > 0) {
		fatalx(EX_CONFIG, "%d error%s in %s/main.cf", nerr,
		    nerr == 1 ? "" : "s", dir);
	}
}

const char *
conf_value(const char *name)
{
	const struct conf_param	*p;

	if ((p = conf_param_find(name)) == NULL) {
		panic("conf_value: unknown parameter \"%s\"", name);
	}
	return conf_value_of(p);
}

/* The expanded value of parameter p (of conf_params), kept. */
static const char *
conf_value_of(const struct conf_param *p)
{
	const char	*name = p->name;
	struct str	 v = STR_INIT;
	size_t		 idx;

	idx = (size_t)(p - conf_params);
	if (conf_cache == NULL) {
		conf_cache = xcalloc(conf_nparams, sizeof(*conf_cache));
	}
	if (conf_cache[idx] == NULL) {
		if (conf_expand_param(&conf_global, name, &v) == -1) {
			fatalx(EX_CONFIG, "parameter %s: %s", name, v.s);
		}
		conf_cache[idx] = str_take(&v);
	}
	return conf_cache[idx];
}

/* Typed accessors: values were checked at load, defaults by the tests. */
static const char *
conf_typed(const char *name, enum conf_type type)
{
	const struct conf_param	*p = conf_param_find(name);

	if (p == NULL || p->type != type) {
		panic("conf: parameter \"%s\" is not of the type asked", name);
	}
	return conf_value_of(p);
}

bool
conf_bool(const char *name)
{
	bool	b;

	if (scan_bool(conf_typed(name, CONF_BOOL), &b) == -1) {
		fatalx(EX_CONFIG, "parameter %s: bad boolean value", name);
	}
	return b;
}

long long
conf_int(const char *name)
{
	unsigned long long	u;

	if (scan_uint(conf_typed(name, CONF_INT), INT_MAX, &u) == -1) {
		fatalx(EX_CONFIG, "parameter %s: bad integer value", name);
	}
	return (long long)u;
}

long long
conf_time(const char *name)
{
	const char		*v = conf_typed(name, CONF_TIME);
	const struct conf_param	*p = conf_param_find(name);
	long long		 t;

	/* conf_typed first: it panics on an unknown name, p is then set. */
	if (scan_time(v, p->unit, &t) == -1) {
		fatalx(EX_CONFIG, "parameter %s: bad time value", name);
	}
	return t;
}

unsigned long long
conf_size(const char *name)
{
	unsigned long long	u;

	if (scan_uint(conf_typed(name, CONF_SIZE),
	    (unsigned long long)LLONG_MAX, &u) == -1) {
		fatalx(EX_CONFIG, "parameter %s: bad size value", name);
	}
	return u;
}

long long
conf_transport_int(const char *transport, const char *suffix)
{
	struct str		 name = STR_INIT, v = STR_INIT;
	unsigned long long	 u;
	long long		 rc;

	str_catf(&name, "%s%s", transport, suffix);
	if (conf_param_find(name.s) != NULL) {
		rc = conf_int(name.s);
	} else if (conf_raw(&conf_global, name.s) != NULL) {
		if (conf_expand_param(&conf_global, name.s, &v) == -1 ||
		    scan_uint(v.s, INT_MAX, &u) == -1) {
			fatalx(EX_CONFIG, "parameter %s: bad integer value",
			    name.s);
		}
		rc = (long long)u;
	} else {
		str_clear(&name);
		str_catf(&name, "default%s", suffix);
		rc = conf_int(name.s);
	}
	str_free(&name);
	str_free(&v);
	return rc;
}
