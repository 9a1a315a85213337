/* SPDX-License-Identifier: ISC */
/*
 * conf.h: main.cf, in Postfix's syntax, and the table of parameters.
 *
 * Syntax: "name = value" lines; a line that starts with white space
 * continues the previous one; "#" starts a comment line; blank lines are
 * ignored.  Values expand $name, ${name}, $(name), ${name?text} (text when
 * name is non-empty), ${name:text} (text when name is empty), and $$ for a
 * dollar, recursively, with loop detection.
 *
 * Every parameter postlet knows is declared once, in params.def (name,
 * type, default, one-line description); that table drives parsing, type
 * checks, defaults, `postlet conf -d` and the check of docs/postlet.cf.5.
 * Unknown names are warned about with file:line; a value that does not fit
 * its type is an error with file:line.
 *
 * The parser is a pure function over a buffer (conf_parse), so fuzzers can
 * drive it.  Programs use the process-wide configuration: conf_load() once,
 * then conf_value(), conf_bool(), ... by name.
 */
#ifndef POSTLET_CONF_H
#define POSTLET_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "str.h"

enum conf_type {
	CONF_STR,	/* any text */
	CONF_BOOL,	/* yes / no */
	CONF_INT,	/* a non-negative integer */
	CONF_TIME,	/* an integer with an optional unit s m h d w */
	CONF_SIZE,	/* a number of bytes */
	CONF_LIST,	/* words separated by commas and/or white space */
	CONF_TABLE,	/* a list of lookup tables, type:name */
};

struct conf_param {
	const char	*name;
	enum conf_type	 type;
	/* default time unit (CONF_TIME) */
	char		 unit;
	/* default value, may use $name */
	const char	*def;
	/* one line for docs and conf -d */
	const char	*doc;
};

/* The table generated from params.def, sorted by name. */
extern const struct conf_param	conf_params[];
extern const size_t		conf_nparams;
const struct conf_param *conf_param_find(const char *name);
/*
 * As conf_param_find, but a per-transport name such as
 * smtp_destination_concurrency_limit (any transport name, then a suffix
 * "_destination_concurrency_limit" or "_destination_recipient_limit")
 * gives the entry of its default_... parameter, whose type it has.
 */
const struct conf_param *conf_param_like(const char *name);

/* One parsed main.cf (or an empty one: every parameter at its default). */
struct conf_entry {
	char	*name;
	char	*value;		/* raw, unexpanded */
	char	*file;		/* where it was set, for messages */
	int	 line;
};
struct conf {
	struct conf_entry	*entries;
	size_t			 n, cap;
	/* the config directory */
	char			*dir;
	/* other text that may use $name */
	char			**refs;
	size_t			 nrefs;
};
#define CONF_INIT	{ NULL, 0, 0, NULL, NULL, 0 }

/*
 * Parse main.cf text (len bytes, any content) as if read from file, into
 * c (a later setting of a name replaces an earlier one).  Every problem
 * is appended to errs as one "file, line N: text" line.  Returns the
 * number of errors (0 when the text was good).
 */
int	conf_parse(struct conf *, const char *text, size_t len,
	    const char *file, struct str *errs);
/*
 * Check every set value: it must expand, and fit its parameter's type.
 * The expansions of all values together may use no more than
 * CONF_EXPAND_NAMES names (bounds.h).
 * Same convention as conf_parse; names that are neither known nor used as
 * $name anywhere get a "warning: file, line N: unknown parameter" line
 * (warnings do not count as errors).
 */
int	conf_check(const struct conf *, struct str *errs);
/* Check one value (already expanded) of a known parameter against its
 * type: 0, or -1 with the reason appended to why.  Unknown names pass. */
int	conf_check_param(const char *name, const char *value,
	    struct str *why);
void	conf_free(struct conf *);
/*
 * Count text (e.g. a master.cf -o value) as a user of $name references,
 * so conf_check does not call the names it uses unknown.  Copied.
 */
void	conf_add_reference(struct conf *, const char *text);

/* Read a whole regular file (at most CONF_FILE_MAX bytes) into out: 0, or
 * -1 with errno (EFBIG: too large; EISDIR, EINVAL: not a regular file). */
int	conf_read_file(const char *path, struct str *out);
/*
 * Read DIR/main.cf into c (missing file: nothing set) and check it: the
 * number of errors, with every message appended to errs as in conf_parse;
 * *nwarn (when not NULL) gets the number of warnings.
 */
int	conf_load_file(struct conf *, const char *dir, struct str *errs,
	    int *nwarn);

/* Raw value as set in c, or NULL when not set (defaults not applied). */
const char *conf_raw(const struct conf *, const char *name);
/*
 * Expanded value of name (set or default) into out.  Returns 0, or -1 with
 * a message in out (a loop, an unknown $name is not an error: it expands
 * to nothing as in Postfix, but a too deep or too large expansion is).
 */
int	conf_expand_param(const struct conf *, const char *name,
	    struct str *out);
/* Expand any text with the same rules. */
int	conf_expand(const struct conf *, const char *text, struct str *out);

/*
 * The configuration directory: the -c option if given, else $MAIL_CONFIG,
 * else the built-in SYSCONFDIR.
 */
const char *conf_dir(const char *opt_c);

/*
 * Process-wide configuration.  conf_load reads DIR/main.cf (a missing file
 * means all defaults), logs warnings, and calls fatalx(EX_CONFIG, ...) on
 * any error.  The accessors return expanded values of known parameters
 * (panic on an unknown name: a caller bug); the strings stay valid until
 * the next conf_load.
 */
void		 conf_load(const char *dir);
struct conf	*conf_main(void);
/*
 * A number that changes whenever the strings the accessors returned are
 * let go (at the next conf_load): what a caller made of those values
 * while the number is the same is still current, without comparing them.
 */
unsigned long	 conf_generation(void);
const char	*conf_value(const char *name);
bool		 conf_bool(const char *name);
long long	 conf_int(const char *name);
long long	 conf_time(const char *name);	/* seconds */
unsigned long long conf_size(const char *name);
/*
 * A per-transport integer: transport + suffix (e.g. "local" +
 * "_destination_concurrency_limit") when set or known, else
 * "default" + suffix.
 */
long long	 conf_transport_int(const char *transport, const char *suffix);

/*
 * Split a list value into words (separators: comma, blanks, CR, LF; a
 * "{...}" group is one word, as in inline:{a=b, c=d}).  Each call returns
 * the next word in word, 1, or 0 at the end; *pos starts at 0.
 */
int	conf_list_next(const char *list, size_t *pos, struct str *word);

#endif
