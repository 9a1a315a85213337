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

			if (conf_param_like(o->name) == NULL &&
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
postlet_check_config(void)
{
	struct conf	 c = CONF_INIT;
	struct mastercf	 m = MASTERCF_INIT;
	struct str	 errs = STR_INIT, path = STR_INIT, text = STR_INIT;
	struct str	 merrs = STR_INIT;
	size_t		 i, j;
	int		 nerr;

	/* master.cf first: its -o values may use parameters that only
	 * main.cf defines, which are then not "unknown". */
	str_catf(&path, "%s/master.cf", postlet_config_dir);
	if (conf_read_file(path.s, &text) == -1) {
		str_catf(&merrs, "%s: %s\n", path.s, strerror(errno));
	} else {
		(void)mastercf_parse(&m, text.s, text.len, path.s, &merrs);
	}
	for (i = 0; i < m.n; i++) {
		for (j = 0; j < m.services[i].noverrides; j++) {
			conf_add_reference(&c,
			    m.services[i].overrides[j].value);
		}
	}
	/* Reported in file order: main.cf, then master.cf. */
	(void)conf_load_file(&c, postlet_config_dir, &errs, NULL);
	str_cat_mem(&errs, merrs.s, merrs.len);
	check_overrides(&c, &m, &errs);
	nerr = log_messages(str_c(&errs), errs.len);
	str_free(&errs);
	str_free(&merrs);
	str_free(&path);
	str_free(&text);
	conf_free(&c);
	mastercf_free(&m);
	return nerr;
}

int
postlet_check(int argc, char *argv[])
{
	int	ch, nerr;

	while ((ch = getopt(argc, argv, "")) != -1) {
		log_error("usage: postlet check");
		return EX_USAGE;
	}
	if (argc != optind) {
		log_error("usage: postlet check");
		return EX_USAGE;
	}
	nerr = postlet_check_config();
	if (nerr > 0) {
		log_error("%d error%s found", nerr, nerr == 1 ? "" : "s");
		return EX_CONFIG;
	}
	return 0;
}
