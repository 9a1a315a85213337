/* SPDX-License-Identifier: ISC */
/*
 * postlet_map.c: `postlet map`, like postmap(1), and `postlet alias`,
 * like postalias(1): build cdb tables from text sources, or query tables.
 *
 *   postlet map [-q key] [type:]file ...
 *   postlet alias [-q key] [[type:]file ...]
 *
 * Building: each file (type cdb, the default) becomes file.cdb through
 * map_cdb_build, atomically; with any problem in the source nothing is
 * written, every problem is printed as "postlet: FILE, line N: text" on
 * standard error and the exit status is EX_DATAERR.  `postlet alias`
 * without a file builds every cdb: table named in alias_maps (Postfix's
 * newaliases uses alias_database instead; we have only alias_maps).
 *
 * Querying (-q key): the tables are searched in order and the first value
 * found is printed; exit 0 when found, 1 when not (as postmap -q).  With
 * key "-", keys are read from standard input, one per line, and each one
 * found is printed as "key<TAB>value"; exit 0 when at least one was found.
 * `postlet alias -q key` without a file searches alias_maps.
 *
 * Messages go straight to standard error (escaped), whatever maillog_file
 * says: this is a command run by a person or a script.  Other failures
 * exit with a <sysexits.h> status: EX_USAGE, EX_NOINPUT (missing file),
 * EX_DATAERR (bad source, corrupt table), EX_NOPERM, EX_IOERR.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "fd.h"
#include "bounds.h"
#include "log.h"
#include "map.h"
#include "postlet.h"

struct map_cmd {
	enum mapsrc_format	 format;	/* of the sources it builds */
};

static void	map_say(const char *, size_t);
static void	map_say_lines(const struct str *);
static int	map_status(int);
static int	map_usage(const struct map_cmd *);
static void	map_arg_spec(const char *, struct str *);
static int	map_build(const struct map_cmd *, const char *);
static int	map_build_conf(const struct map_cmd *);
static int	map_query_open(int, char *[], struct map_list **);
static int	map_query(const char *, int, char *[]);
static int	map_query_stdin(struct map_list *, struct buf *);
static int	map_run(const struct map_cmd *, int, char *[]);

/* One line "postlet: text" on standard error, control bytes escaped. */
static void
map_say(const char *text, size_t n)
{
	char		line[LOG_LINE_MAX];
	struct str	out = STR_INIT;

	log_escape(line, sizeof(line), text, n);
	str_catf(&out, "%s: %s\n", log_progname(), line);
	(void)fd_write_all(2, out.s, out.len);
	str_free(&out);
}

/* Each line of msgs (as map_cdb_build writes them) through map_say. */
static void
map_say_lines(const struct str *msgs)
{
	const char	*p = str_c(msgs), *end = p + msgs->len;
	size_t		 n;

	for (; p < end; p += n + 1) {
		n = strcspn(p, "\n");
		map_say(p, n);
	}
}

/* The exit status for a failure with errno e. */
static int
map_status(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return EX_NOINPUT;
	case EINVAL:
	case EPROTO:
	case EFBIG:
		return EX_DATAERR;
	case EACCES:
	case EPERM:
		return EX_NOPERM;
	default:
		return EX_IOERR;
	}
}

static int
map_usage(const struct map_cmd *cmd)
{
	static const char	map_text[] =
	    "usage: postlet map [-q key] [type:]file ...";
	static const char	alias_text[] =
	    "usage: postlet alias [-q key] [[type:]file ...]";

	if (cmd->format == MAPSRC_ALIASES) {
		(void)fd_write_all(2, alias_text, sizeof(alias_text) - 1);
	} else {
		(void)fd_write_all(2, map_text, sizeof(map_text) - 1);
	}
	(void)fd_write_all(2, "\n", 1);
	return EX_USAGE;
}

/* arg as a table spec: "cdb:" is the default type, as in postmap. */
static void
map_arg_spec(const char *arg, struct str *spec)
{
	str_clear(spec);
	if (strchr(arg, ':') == NULL) {
		str_set(spec, "cdb:");
	}
	str_cat(spec, arg);
}

/* Build the table named by arg: 0 or an exit status. */
static int
map_build(const struct map_cmd *cmd, const char *arg)
{
	struct str	spec = STR_INIT, msgs = STR_INIT;
	int		status = 0;

	map_arg_spec(arg, &spec);
	if (strncmp(spec.s, "cdb:", 4) != 0) {
		str_catf(&msgs, "%s: only cdb: tables are built (%s reads "
		    "other types directly)", spec.s, log_progname());
		map_say(msgs.s, msgs.len);
		status = EX_USAGE;
	} else if (spec.s[4] == '\0') {
		str_set(&msgs, "cdb:: missing file name");
		map_say(msgs.s, msgs.len);
		status = EX_USAGE;
	} else if (map_cdb_build(spec.s + 4, cmd->format, &msgs) == -1) {
		status = map_status(errno);
		map_say_lines(&msgs);
	} else {
		map_say_lines(&msgs);	/* warnings */
	}
	str_free(&spec);
	str_free(&msgs);
	return status;
}

/* postlet alias without a file: every cdb: table in alias_maps. */
static int
map_build_conf(const struct map_cmd *cmd)
{
	struct str	 word = STR_INIT;
	const char	*tables = conf_value("alias_maps");
	size_t		 pos = 0;
	int		 status = 0, r;

	while (conf_list_next(tables, &pos, &word) == 1) {
		if (strncmp(word.s, "cdb:", 4) != 0) {
			log_debug("alias_maps: %s is not built", word.s);
			continue;
		}
		if ((r = map_build(cmd, word.s)) != 0 && status == 0) {
			status = r;
		}
	}
	str_free(&word);
	return status;
}

/*
 * Read keys from in, one per line; print "key<TAB>value" for each one
 * found.  Returns 0 when one was found at least, 1 when none, or an exit
 * status.
 */
static int
map_query_stdin(struct map_list *l, struct buf *out)
{
	struct buf	 in;
	struct str	 line = STR_INIT, value = STR_INIT, err = STR_INIT;
	unsigned char	 mem[2 * 4096];
	bool		 found = false;
	int		 r, status = 0;

	buf_init_fd(&in, 0, mem, sizeof(mem), -1);
	for (;;) {
		/* A key, "\r\n": anything longer cannot be in a table. */
		if ((r = buf_getline(&in, &line, MAP_KEY_MAX + 2)) == 0) {
			break;
		}
		if (r == -1) {
			if (errno == EMSGSIZE) {
				continue;
			}
			str_catf(&err, "read standard input: %s",
			    strerror(errno));
			map_say(err.s, err.len);
			status = EX_IOERR;
			break;
		}
		if (line.len > 0 && line.s[line.len - 1] == '\n') {
			str_truncate(&line, line.len - 1);
		}
		if (line.len > 0 && line.s[line.len - 1] == '\r') {
			str_truncate(&line, line.len - 1);
		}
		if (memchr(line.s, '\0', line.len) != NULL) {
			continue;
		}
		r = map_list_lookup(l, line.s, &value, &err);
		if (r == MAP_ERROR) {
			status = map_status(errno);
			map_say(err.s, err.len);
			break;
		}
		if (r == MAP_FOUND) {
			found = true;
			buf_put(out, line.s, line.len);
			buf_put(out, "\t", 1);
			buf_put(out, value.s, value.len);
			buf_put(out, "\n", 1);
		}
	}
	str_free(&line);
	str_free(&value);
	str_free(&err);
	if (status != 0) {
		return status;
	}
	return found ? 0 : 1;
}

/*
 * The tables argv[0..argc-1], or alias_maps when there are none, into
 * *lp.  Returns 0, or an exit status after saying why.
 */
static int
map_query_open(int argc, char *argv[], struct map_list **lp)
{
	struct map_list	*l;
	struct map	*m;
	struct str	 spec = STR_INIT, err = STR_INIT;
	int		 i, status = 0;

	if (argc == 0) {
		if ((l = map_list_open(conf_value("alias_maps"), &err)) ==
		    NULL) {
			status = errno == EINVAL ? EX_CONFIG :
			    map_status(errno);
		}
	} else {
		l = map_list_new();
		for (i = 0; i < argc && status == 0; i++) {
			map_arg_spec(argv[i], &spec);
			if ((m = map_open(spec.s, &err)) == NULL) {
				status = errno == EINVAL ? EX_USAGE :
				    map_status(errno);
			} else if (map_list_add(l, m) == -1) {
				map_close(m);
				str_catf(&err, "more than %d tables",
				    MAP_LIST_MAX);
				status = EX_USAGE;
			}
		}
		if (status != 0) {
			map_list_close(l);
			l = NULL;
		}
	}
	if (status != 0) {
		map_say(err.s, err.len);
	}
	*lp = l;
	str_free(&spec);
	str_free(&err);
	return status;
}

/* -q key: print the value found, as postmap -q. */
static int
map_query(const char *key, int argc, char *argv[])
{
	struct map_list	*l;
	struct buf	 out;
	struct str	 value = STR_INIT, err = STR_INIT;
	unsigned char	 mem[2 * 4096];
	int		 status;

	if ((status = map_query_open(argc, argv, &l)) != 0) {
		return status;
	}
	buf_init_fd(&out, 1, mem, sizeof(mem), -1);
	if (strcmp(key, "-") == 0) {
		status = map_query_stdin(l, &out);
	} else {
		switch (map_list_lookup(l, key, &value, &err)) {
		case MAP_FOUND:
			buf_put(&out, value.s, value.len);
			buf_put(&out, "\n", 1);
			status = 0;
			break;
		case MAP_NOTFOUND:
			status = 1;
			break;
		default:
			status = map_status(errno);
			map_say(err.s, err.len);
			break;
		}
	}
	if (buf_flush(&out) == -1) {
		str_set(&err, "write standard output: ");
		str_cat(&err, strerror(errno));
		map_say(err.s, err.len);
		status = EX_IOERR;
	}
	map_list_close(l);
	str_free(&value);
	str_free(&err);
	return status;
}

static int
map_run(const struct map_cmd *cmd, int argc, char *argv[])
{
	const char	*key = NULL;
	int		 ch, i, r, status = 0;

	optind = 1;
	while ((ch = getopt(argc, argv, "+q:")) != -1) {
		switch (ch) {
		case 'q':
			key = optarg;
			break;
		default:
			return map_usage(cmd);
		}
	}
	argc -= optind;
	argv += optind;
	if (key != NULL) {
		if (argc == 0 && cmd->format != MAPSRC_ALIASES) {
			return map_usage(cmd);
		}
		return map_query(key, argc, argv);
	}
	if (argc == 0) {
		if (cmd->format != MAPSRC_ALIASES) {
			return map_usage(cmd);
		}
		return map_build_conf(cmd);
	}
	for (i = 0; i < argc; i++) {
		if ((r = map_build(cmd, argv[i])) != 0 && status == 0) {
			status = r;
		}
	}
	return status;
}

int
postlet_map(int argc, char *argv[])
{
	static const struct map_cmd	cmd = { MAPSRC_POSTMAP };

	return map_run(&cmd, argc, argv);
}

int
postlet_alias(int argc, char *argv[])
{
	static const struct map_cmd	cmd = { MAPSRC_ALIASES };

	return map_run(&cmd, argc, argv);
}
