/* SPDX-License-Identifier: ISC */
/*
 * jail.c: what a daemon opens before it chroots itself into
 * queue_directory, and the chroot (see jail.h).
 */
#include <string.h>
#include <time.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "conf.h"
#include "jail.h"
#include "map.h"
#include "priv.h"

static bool	jailed;

static bool	jail_is_table(const char *);
static void	jail_open_tables(void);

/* A table that lives in a file: the ones a jail would hide. */
static bool
jail_is_table(const char *word)
{
	return strncmp(word, "cdb:", 4) == 0 ||
	    strncmp(word, "texthash:", 9) == 0;
}

/*
 * Open every file table named in a list or table parameter, and keep
 * them.  One that cannot be opened is left alone: its lookups fail in
 * the jail as they would have outside (a table error, never "not found").
 */
static void
jail_open_tables(void)
{
	struct str	 word = STR_INIT, err = STR_INIT;
	const char	*value;
	size_t		 i, pos;

	map_keep_open();
	for (i = 0; i < conf_nparams; i++) {
		if (conf_params[i].type != CONF_LIST &&
		    conf_params[i].type != CONF_TABLE) {
			continue;
		}
		value = conf_value(conf_params[i].name);
		pos = 0;
		while (conf_list_next(value, &pos, &word) == 1) {
			if (jail_is_table(word.s)) {
				(void)map_open(word.s, &err);
			}
		}
	}
	str_free(&word);
	str_free(&err);
}

int
jail_enter(struct str *err)
{
	str_clear(err);
	tzset();
	jail_open_tables();
#ifdef __SANITIZE_ADDRESS__
	/*
	 * The sanitizer build: LeakSanitizer's check at exit needs /proc,
	 * which the jail lacks (the process would fail at its end), so
	 * check now, which also turns the check at exit off.
	 */
	__lsan_do_leak_check();
#endif
	if (priv_keep_passwd() == -1 ||
	    priv_drop(conf_value("mail_owner"),
	    conf_value("queue_directory")) == -1) {
		str_set(err, priv_error());
		return -1;
	}
	jailed = true;
	return 0;
}

bool
jail_active(void)
{
	return jailed;
}

const char *
jail_queue_dir(void)
{
	return jailed ? "/" : conf_value("queue_directory");
}

void
jail_queue_path(const char *name, struct str *out)
{
	str_clear(out);
	if (jailed) {
		str_catf(out, "/%s", name);
	} else {
		str_catf(out, "%s/%s", conf_value("queue_directory"), name);
	}
}
