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

#endif
