/* SPDX-License-Identifier: ISC */
/*
 * postlet_check.c: `postlet check` reads main.cf and master.cf and
 * reports every problem it finds, each with file and line, then exits
 * non-zero (EX_CONFIG) when there was any error.  Warnings (unknown
 * parameters) do not change the exit status.
 */
#include <errno.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "mastercf.h"
#include "postlet.h"
#include "str.h"

/* Log each "warning: ..." or other line of errs; count the others. */
static int
check_report(const struct str *errs)
{
	const char	*p, *nl;
	int		 nerr = 0;

	for (p = str_c(errs); *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL) {
			break;
		}
		if (strncmp(p, "warning: ", 9) == 0) {
			log_warnx("%.*s", (int)(nl - p - 9), p + 9);
		} else {
			log_error("%.*s", (int)(nl - p), p);
			nerr++;
		}
	}
	return nerr;
}

/* The -o overrides of each service must fit their parameters' types. */
static void
check_overrides(const struct conf *c, const struct mastercf *m,
    struct str *errs)
{
	const struct mastercf_service	*s;
	struct str			 v = STR_INIT, why = STR_INIT;
	size_t				 i, j;

	for (i = 0; i < m->n; i++) {
		s = &m->services[i];
		for (j = 0; j < s->noverrides; j++) {
			const struct mastercf_override *o = &s->overrides[j];

			if (conf_param_find(o->name) == NULL &&
			    conf_raw(c, o->name) == NULL) {
				str_catf(errs, "warning: %s, line %d: service "
				    "%s/%s: -o %s: unknown parameter\n",
				    s->file, s->line, s->name, s->type,
				    o->name);
				continue;
			}
			str_clear(&why);
			if (conf_expand(c, o->value, &v) == -1) {
				str_catf(errs, "%s, line %d: service %s/%s: "
				    "-o %s: %s\n", s->file, s->line, s->name,
				    s->type, o->name, v.s);
			} else if (conf_check_param(o->name, v.s, &why) == -1) {
				str_catf(errs, "%s, line %d: service %s/%s: "
				    "-o %s: %s\n", s->file, s->line, s->name,
				    s->type, o->name, why.s);
			}
		}
	}
	str_free(&v);
	str_free(&why);
}

int
postlet_check(int argc, char *argv[])
{
	struct conf	 c = CONF_INIT;
	struct mastercf	 m = MASTERCF_INIT;
	struct str	 errs = STR_INIT, path = STR_INIT, text = STR_INIT;
	int		 ch, nerr;

	while ((ch = getopt(argc, argv, "")) != -1) {
		log_error("usage: postlet check");
		return EX_USAGE;
	}
	if (argc != optind) {
		log_error("usage: postlet check");
		return EX_USAGE;
	}
	(void)conf_load_file(&c, postlet_config_dir, &errs, NULL);
	str_catf(&path, "%s/master.cf", postlet_config_dir);
	if (conf_read_file(path.s, &text) == -1) {
		str_catf(&errs, "%s: %s\n", path.s, strerror(errno));
	} else {
		(void)mastercf_parse(&m, text.s, text.len, path.s, &errs);
		check_overrides(&c, &m, &errs);
	}
	nerr = check_report(&errs);
	str_free(&errs);
	str_free(&path);
	str_free(&text);
	conf_free(&c);
	mastercf_free(&m);
	if (nerr > 0) {
		log_error("%d error%s found", nerr, nerr == 1 ? "" : "s");
		return EX_CONFIG;
	}
	return 0;
}
