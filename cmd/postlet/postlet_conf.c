/* SPDX-License-Identifier: ISC */
/*
 * postlet_conf.c: `postlet conf`, which shows and edits main.cf the way
 * postconf(1) does.
 *
 *	postlet conf [-d] [-h] [-n] [-x] [name ...]
 *	postlet conf [-e] name=value ...
 *	postlet conf -X name ...
 *
 * Showing prints "name = value" (raw, as written; -x expands, -d shows
 * defaults, -n only what main.cf sets, -h the value alone).  Editing
 * rewrites main.cf atomically (a new file, fsync, rename, fsync of the
 * directory) and keeps every comment and every other line as it was; a
 * value that would make main.cf invalid is refused and nothing is
 * written.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "conf.h"
#include "durable.h"
#include "fd.h"
#include "log.h"
#include "postlet.h"
#include "str.h"

#define SHOW_DEFAULTS	0x01
#define SHOW_VALUE_ONLY	0x02
#define SHOW_NONDEFAULT	0x04
#define SHOW_EXPANDED	0x08

/* Write out, or report the failure; returns 0 or -1. */
static int
conf_out(const struct str *out)
{
	if (fd_write_all(1, str_c(out), out->len) == -1) {
		log_warn("write to standard output");
		return -1;
	}
	return 0;
}

/* Append "name = value\n" (or the value alone) for one parameter. */
static void
conf_show_one(const struct conf *c, const struct conf *defaults,
    const char *name, int flags, struct str *out)
{
	const struct conf	*from = (flags & SHOW_DEFAULTS) ? defaults : c;
	struct str		 v = STR_INIT;
	const char		*raw;

	if (flags & SHOW_EXPANDED) {
		if (conf_expand_param(from, name, &v) == -1) {
			log_warnx("%s: %s", name, v.s);
		}
	} else if ((raw = conf_raw(from, name)) != NULL) {
		str_set(&v, raw);
	} else {
		/* The default, as written in the table; a few are computed
		 * (config_directory: the directory in use, as in postconf,
		 * except with -d). */
		const struct conf_param	*p = conf_param_find(name);

		if (p != NULL && (p->def[0] == '\0' ||
		    (strcmp(name, "config_directory") == 0 &&
		    !(flags & SHOW_DEFAULTS)))) {
			(void)conf_expand_param(from, name, &v);
		} else if (p != NULL) {
			str_set(&v, p->def);
		}
	}
	if (flags & SHOW_VALUE_ONLY) {
		str_catf(out, "%s\n", str_c(&v));
	} else {
		str_catf(out, "%s =%s%s\n", name, v.len > 0 ? " " : "",
		    str_c(&v));
	}
	str_free(&v);
}

static int
conf_cmp_entry(const void *a, const void *b)
{
	const struct conf_entry	*x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int
conf_show(const struct conf *c, int flags, int argc, char *argv[])
{
	struct conf		 defaults = CONF_INIT;
	struct conf_entry	*sorted;
	struct str		 out = STR_INIT;
	size_t			 i;
	int			 status = 0;

	defaults.dir = c->dir != NULL ? xstrdup(c->dir) : NULL;
	if (argc > 0) {
		for (i = 0; i < (size_t)argc; i++) {
			if (conf_param_find(argv[i]) == NULL &&
			    conf_raw(c, argv[i]) == NULL) {
				/* postconf warns and goes on, exit 0. */
				log_warnx("%s: unknown parameter", argv[i]);
				continue;
			}
			if ((flags & SHOW_NONDEFAULT) &&
			    conf_raw(c, argv[i]) == NULL) {
				continue;
			}
			conf_show_one(c, &defaults, argv[i], flags, &out);
		}
	} else if (flags & SHOW_NONDEFAULT) {
		sorted = xreallocarray(NULL, c->n, sizeof(*sorted));
		if (c->n > 0) {
			memcpy(sorted, c->entries, c->n * sizeof(*sorted));
		}
		qsort(sorted, c->n, sizeof(*sorted), conf_cmp_entry);
		for (i = 0; i < c->n; i++) {
			conf_show_one(c, &defaults, sorted[i].name, flags,
			    &out);
		}
		free(sorted);
	} else {
		for (i = 0; i < conf_nparams; i++) {
			conf_show_one(c, &defaults, conf_params[i].name, flags,
			    &out);
		}
	}
	if (conf_out(&out) == -1) {
		status = EX_IOERR;
	}
	str_free(&out);
	conf_free(&defaults);
	return status;
}

static bool
conf_is_blank(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' ||
	    ch == '\v';
}

/* The kind of a physical line of main.cf. */
enum conf_line_kind { LINE_IGNORED, LINE_START, LINE_CONTINUATION };

static enum conf_line_kind
conf_line_kind(const char *p, size_t n)
{
	size_t	i = 0;

	while (i < n && conf_is_blank((unsigned char)p[i])) {
		i++;
	}
	if (i == n || p[i] == '#') {
		return LINE_IGNORED;
	}
	return i == 0 ? LINE_START : LINE_CONTINUATION;
}

/* Does the logical line starting at p set the parameter name? */
static bool
conf_line_sets(const char *p, size_t n, const char *name)
{
	size_t	len = strlen(name), i;

	if (n < len || memcmp(p, name, len) != 0) {
		return false;
	}
	for (i = len; i < n && conf_is_blank((unsigned char)p[i]); i++) {
		continue;
	}
	return i < n && p[i] == '=';
}

/*
 * Rewrite text: the first setting of name becomes "name = value" (or is
 * removed when value is NULL), later settings of name are removed, and
 * every other line (comments included) stays.  A setting that does not
 * exist is appended.
 */
static void
conf_edit_text(const struct str *text, const char *name, const char *value,
    struct str *out)
{
	const char	*p = str_c(text), *end = p + text->len, *nl, *q;
	bool		 done = false, in_match = false;
	size_t		 n;

	str_clear(out);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		q = nl != NULL ? nl + 1 : end;
		switch (conf_line_kind(p, n)) {
		case LINE_START:
			in_match = conf_line_sets(p, n, name);
			if (!in_match) {
				str_cat_mem(out, p, (size_t)(q - p));
			} else if (!done && value != NULL) {
				str_catf(out, "%s = %s\n", name, value);
			}
			if (in_match) {
				done = true;
			}
			break;
		case LINE_CONTINUATION:
			/* Continuations of a replaced setting go with it. */
			if (!in_match) {
				str_cat_mem(out, p, (size_t)(q - p));
			}
			break;
		default:
			/* Comments and blank lines always stay. */
			str_cat_mem(out, p, (size_t)(q - p));
			break;
		}
		if (nl == NULL && out->len > 0 &&
		    out->s[out->len - 1] != '\n') {
			/* the last line had none */
			str_cat_char(out, '\n');
		}
		p = q;
	}
	if (!done && value != NULL) {
		str_catf(out, "%s = %s\n", name, value);
	}
}

/* Count the errors main.cf text would have. */
static int
conf_count_errors(const char *dir, const struct str *text, const char *path,
    struct str *errs)
{
	struct conf	c = CONF_INIT;
	int		nerr;

	c.dir = xstrdup(dir);
	nerr = conf_parse(&c, str_c(text), text->len, path, errs);
	nerr += conf_check(&c, errs);
	conf_free(&c);
	return nerr;
}

static int
conf_write_atomic(const char *dir, const struct str *text, mode_t mode)
{
	struct durable	d = DURABLE_INIT;

	if (durable_create_named(&d, dir, "main.cf", mode) == -1) {
		log_warn("create a new main.cf in %s", dir);
		return -1;
	}
	if (fd_write_all(d.fd, str_c(text), text->len) == -1) {
		log_warn("write %s", str_c(&d.tmp_path));
		durable_abort(&d);
		return -1;
	}
	if (durable_commit(&d, dir, "main.cf", DURABLE_REPLACE) == -1) {
		log_warn("replace %s/main.cf", dir);
		durable_abort(&d);
		return -1;
	}
	return 0;
}

/* -e name=value ... or -X name ... */
static int
conf_edit(const char *dir, bool remove, int argc, char *argv[])
{
	struct str	 path = STR_INIT, text = STR_INIT, next = STR_INIT;
	struct str	 errs = STR_INIT, name = STR_INIT, value = STR_INIT;
	struct stat	 st;
	mode_t		 mode = 0644;
	const char	*eq;
	int		 i, before, after, status = EX_SOFTWARE;

	str_catf(&path, "%s/main.cf", dir);
	if (conf_read_file(path.s, &text) == -1) {
		if (errno != ENOENT) {
			log_warn("read %s", path.s);
			status = EX_NOINPUT;
			goto out;
		}
	} else if (stat(path.s, &st) == 0) {
		mode = st.st_mode & 07777;
	}
	before = conf_count_errors(dir, &text, path.s, &errs);
	for (i = 0; i < argc; i++) {
		if (remove) {
			str_set(&name, argv[i]);
		} else {
			if ((eq = strchr(argv[i], '=')) == NULL) {
				log_error("\"%s\": expected name=value",
				    argv[i]);
				status = EX_USAGE;
				goto out;
			}
			str_set_mem(&name, argv[i], (size_t)(eq - argv[i]));
			while (name.len > 0 && conf_is_blank(
			    (unsigned char)name.s[name.len - 1])) {
				str_truncate(&name, name.len - 1);
			}
			eq++;
			while (conf_is_blank((unsigned char)*eq)) {
				eq++;
			}
			str_set(&value, eq);
			if (strpbrk(value.s, "\n\r") != NULL) {
				log_error("%s: the value must be one line",
				    name.s);
				status = EX_USAGE;
				goto out;
			}
		}
		if (name.len == 0 || strspn(name.s, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != name.len) {
			log_error("\"%s\": bad parameter name", argv[i]);
			status = EX_USAGE;
			goto out;
		}
		if (!remove && conf_param_like(name.s) == NULL) {
			log_warnx("%s: unknown parameter", name.s);
		}
		conf_edit_text(&text, name.s, remove ? NULL : value.s, &next);
		str_set_mem(&text, next.s, next.len);
	}
	str_clear(&errs);
	after = conf_count_errors(dir, &text, path.s, &errs);
	if (after > before) {
		(void)log_messages(str_c(&errs), errs.len);
		log_error("%s not changed", path.s);
		status = EX_CONFIG;
		goto out;
	}
	status = conf_write_atomic(dir, &text, mode) == 0 ? 0 : EX_IOERR;
out:
	str_free(&path);
	str_free(&text);
	str_free(&next);
	str_free(&errs);
	str_free(&name);
	str_free(&value);
	return status;
}

int
postlet_conf(int argc, char *argv[])
{
	struct conf	 c = CONF_INIT;
	struct str	 errs = STR_INIT;
	int		 ch, flags = 0, status, i;
	bool		 edit = false, remove = false;

	while ((ch = getopt(argc, argv, "dehnxX")) != -1) {
		switch (ch) {
		case 'd':
			flags |= SHOW_DEFAULTS;
			break;
		case 'e':
			edit = true;
			break;
		case 'h':
			flags |= SHOW_VALUE_ONLY;
			break;
		case 'n':
			flags |= SHOW_NONDEFAULT;
			break;
		case 'x':
			flags |= SHOW_EXPANDED;
			break;
		case 'X':
			remove = true;
			break;
		default:
			log_error("usage: postlet conf [-dhnx] [name ...] | "
			    "[-e] name=value ... | -X name ...");
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	for (i = 0; i < argc && !remove; i++) {
		if (strchr(argv[i], '=') != NULL) {
			edit = true;
		}
	}
	if (edit && remove) {
		log_error("-e and -X cannot be combined");
		return EX_USAGE;
	}
	if (edit || remove) {
		if (argc == 0 || flags != 0) {
			log_error("usage: postlet conf [-e] name=value ... | "
			    "-X name ...");
			return EX_USAGE;
		}
		return conf_edit(postlet_config_dir, remove, argc, argv);
	}
	/* Showing works on a broken main.cf too, with its problems told. */
	(void)conf_load_file(&c, postlet_config_dir, &errs, NULL);
	(void)log_messages(str_c(&errs), errs.len);
	status = conf_show(&c, flags, argc, argv);
	str_free(&errs);
	conf_free(&c);
	return status;
}
