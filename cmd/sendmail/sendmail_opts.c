/* SPDX-License-Identifier: ISC */
/*
 * sendmail_opts.c: the sendmail(1) command line, with every historic
 * form that programs still use (cron's "-i -FCronDaemon -B8BITMIME -oem
 * user", mutt's "-oi -oem -f sender --", "-t -i", ...).
 *
 * Not getopt(3): its permutation and its treatment of optional arguments
 * differ between C libraries, and a recipient must never be eaten as an
 * option's argument by accident.  The rules here are fixed: an argument
 * that starts with '-' (but is not "-" itself) is a cluster of options
 * until "--"; flags may be grouped (-ti); an option that takes an
 * argument takes the rest of its word (-fuser, -oem) or, when that is
 * empty, the next word (-f user); -q takes only an attached argument.
 * Historic options that Postfix accepts and ignores are accepted and
 * ignored here too; anything else is a usage error.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "sendmail.h"
#include "str.h"

/* Options that take an argument. */
static const char	with_arg[] = "BCFLNORVXbefhopr";
/* Flags that are accepted and ignored: G (gateway), U (initial user
 * submission), c, m (send to me too), n (no aliasing), x. */
static const char	ignored[] = "GUcmnx";

static int	option_b(struct sendmail_opts *, const char *, struct str *);

/* -b: the mode. */
static int
option_b(struct sendmail_opts *o, const char *arg, struct str *why)
{
	if (strcmp(arg, "m") == 0) {
		o->mode = SENDMAIL_DELIVER;
	} else if (strcmp(arg, "p") == 0) {
		o->mode = SENDMAIL_MAILQ;
	} else if (strcmp(arg, "i") == 0) {
		o->mode = SENDMAIL_NEWALIASES;
	} else if (strcmp(arg, "s") == 0) {
		o->mode = SENDMAIL_SMTP;
	} else if (strcmp(arg, "v") == 0) {
		o->mode = SENDMAIL_VERIFY;
	} else if (strcmp(arg, "d") == 0) {
		o->mode = SENDMAIL_START;
	} else if (strcmp(arg, "D") == 0) {
		o->mode = SENDMAIL_START_FG;
	} else {
		str_set(why, "unsupported mode: -b");
		str_cat(why, arg);
		return -1;
	}
	return 0;
}

int
sendmail_parse(int argc, char *argv[], struct sendmail_opts *o,
    struct str *why)
{
	const char	*a, *arg;
	bool		 options = true;
	int		 i;
	char		 c;

	memset(o, 0, sizeof(*o));
	o->operands = xreallocarray(NULL, argc > 0 ? (size_t)argc : 1,
	    sizeof(*o->operands));
	str_clear(why);
	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (!options || a[0] != '-' || a[1] == '\0') {
			o->operands[o->noperands++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			options = false;
			continue;
		}
		for (a++; *a != '\0'; a++) {
			c = *a;
			if (c == 'q') {
				/* -q, -q1h, -qRsite: all mean "flush". */
				o->mode = SENDMAIL_FLUSH;
				break;
			}
			if (strchr(with_arg, c) == NULL) {
				if (c == 't') {
					o->extract = true;
				} else if (c == 'i') {
					o->dots_ok = true;
				} else if (c == 'v') {
					o->verbose++;
				} else if (c == 'I') {
					o->mode = SENDMAIL_NEWALIASES;
				} else if (strchr(ignored, c) == NULL) {
					str_set(why, "unknown option -- ");
					str_cat_char(why, (unsigned char)c);
					return -1;
				}
				continue;
			}
			if (a[1] != '\0') {
				arg = a + 1;
			} else if (i + 1 < argc) {
				arg = argv[++i];
			} else {
				str_set(why, "option requires an argument -- ");
				str_cat_char(why, (unsigned char)c);
				return -1;
			}
			switch (c) {
			case 'B':
				o->body_type = arg;
				break;
			case 'C':
				o->config = arg;
				break;
			case 'F':
				o->full_name = arg;
				break;
			case 'N':
				o->notify = arg;
				break;
			case 'R':
				o->ret = arg;
				break;
			case 'V':
				o->envid = arg;
				break;
			case 'b':
				if (option_b(o, arg, why) == -1) {
					return -1;
				}
				break;
			case 'f':
			case 'r':
				o->sender = arg;
				break;
			case 'o':
				/* -oi is -i; -oA, -oem, -odb, -om, ...
				 * are historic and ignored. */
				if (arg[0] == 'i' && arg[1] == '\0') {
					o->dots_ok = true;
				}
				break;
			default:
				/* -e, -h, -L, -O, -p, -X: ignored */
				break;
			}
			break;
		}
	}
	return 0;
}
