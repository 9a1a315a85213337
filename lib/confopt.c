/* SPDX-License-Identifier: ISC */
/*
 * confopt.c: command line overrides of main.cf parameters (see
 * confopt.h).  The setting goes through conf_parse, the same parser as
 * main.cf, so an override cannot mean anything a main.cf line could not.
 */
#include <sysexits.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "conf.h"
#include "confopt.h"
#include "log.h"

int
confopt_apply(const char *setting, struct str *why)
{
	struct str	 text = STR_INIT, errs = STR_INIT, value = STR_INIT;
	struct str	 name = STR_INIT;
	const char	*eq;
	int		 rc = -1;

	str_clear(why);
	if ((eq = strchr(setting, '=')) == NULL || eq == setting) {
		str_catf(why, "-o %s: not name=value", setting);
		goto out;
	}
	if (strpbrk(setting, "\r\n") != NULL) {
		str_catf(why, "-o %s: CR or LF in the setting", setting);
		goto out;
	}
	str_set_mem(&name, setting, (size_t)(eq - setting));
	str_catf(&text, "%s = %s\n", name.s, eq + 1);
	if (conf_parse(conf_main(), text.s, text.len, "command line -o",
	    &errs) != 0) {
		str_catf(why, "-o %s: %.*s", setting,
		    (int)(errs.len > 0 ? errs.len - 1 : 0), str_c(&errs));
		goto out;
	}
	if (conf_param_like(name.s) == NULL) {
		log_warnx("-o %s: unknown parameter", name.s);
		rc = 0;
		goto out;
	}
	if (conf_expand_param(conf_main(), name.s, &value) == -1) {
		str_catf(why, "-o %s: %s", setting, str_c(&value));
		goto out;
	}
	if (conf_check_param(name.s, value.s != NULL ? value.s : "",
	    &errs) == -1) {
		str_catf(why, "-o %s: %s", setting, str_c(&errs));
		goto out;
	}
	rc = 0;
out:
	str_free(&text);
	str_free(&errs);
	str_free(&value);
	str_free(&name);
	if (rc == -1) {
		errno = EINVAL;
	}
	return rc;
}

void
confopt_load(const char *dir, char *const *overrides, size_t n)
{
	struct str	why = STR_INIT;
	size_t		i;

	conf_load(dir);
	for (i = 0; i < n; i++) {
		if (confopt_apply(overrides[i], &why) == -1) {
			fatalx(EX_USAGE, "%s", why.s);
		}
	}
	str_free(&why);
}

int
confopt_getopt(int argc, char *argv[], const char *optstring,
    struct confopt_args *a)
{
	int	ch;

	if (a->overrides == NULL) {
		/* room for every argument: -o can come argc times at most */
		a->overrides = xreallocarray(NULL, argc > 0 ? (size_t)argc : 1,
		    sizeof(*a->overrides));
	}
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'c':
			a->config_dir = optarg;
			break;
		case 'o':
			a->overrides[a->noverrides++] = optarg;
			break;
		case 'v':
			log_verbose++;
			break;
		default:
			return ch;
		}
	}
	return -1;
}

void
confopt_args_free(struct confopt_args *a)
{
	free(a->overrides);
	a->overrides = NULL;
	a->noverrides = 0;
}
