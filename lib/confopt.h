/* SPDX-License-Identifier: ISC */
/*
 * confopt.h: "-o name=value" on a daemon's command line, the way master
 * passes a master.cf service's overrides (Postfix's convention): the
 * setting is applied to the process-wide configuration (conf.h) as if
 * main.cf ended with "name = value".
 *
 * Values read through conf_value() are cached until the next conf_load(),
 * so overrides must be applied right after conf_load() and before the
 * first conf_value() (and again after every reload).  Nothing here is
 * fatal; the caller decides (a bad override is a usage error).
 */
#ifndef POSTLET_CONFOPT_H
#define POSTLET_CONFOPT_H

#include <stddef.h>

#include "str.h"

/*
 * Apply setting ("name=value") to the process-wide configuration.
 * Returns 0, or -1 with errno EINVAL and the reason in why (replaced): no
 * '=', an empty or malformed name, a CR or LF in the value, or a value
 * that does not expand or does not fit the parameter's type.  A name that
 * is not a known parameter is accepted (it may be used as $name) and
 * logged as a warning, as main.cf does.
 */
int	confopt_apply(const char *setting, struct str *why);

/*
 * conf_load(dir), then every override in order: what a daemon does at
 * start and on reload.  A bad override is fatal (EX_USAGE), like a bad
 * main.cf (EX_CONFIG).
 */
void	confopt_load(const char *dir, char *const *overrides, size_t n);

/*
 * The options every daemon and agent takes: -c config_dir, -o
 * name=value (any number: kept in order for confopt_load) and -v (one
 * more level of log_verbose).  Call confopt_getopt like getopt(3), with
 * an optstring that holds "c:o:v" and the program's own letters: it
 * handles those three itself and returns the next other letter ('?' for
 * an unknown one, for the caller's usage), or -1 at the end of the
 * options.  Free with confopt_args_free.
 */
struct confopt_args {
	const char	 *config_dir;	/* -c, or NULL */
	char		**overrides;	/* -o values (borrowed from argv) */
	size_t		  noverrides;
};
#define CONFOPT_ARGS_INIT	{ NULL, NULL, 0 }

int	confopt_getopt(int argc, char *argv[], const char *optstring,
	    struct confopt_args *);
void	confopt_args_free(struct confopt_args *);

#endif
