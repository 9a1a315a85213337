/* SPDX-License-Identifier: ISC */
/*
 * pipe_attr.c: pipe's command attributes, from the end of its master.cf
 * line (Postfix's pipe(8) syntax), and the name of its service.
 *
 * Every problem is a configuration error that stops pipe (the caller
 * makes it fatal): qmgr then defers the job's recipients, nothing is
 * lost, and the log says what to fix.  user= may not name root or
 * mail_owner, as in Postfix: a command run for mail never gets the
 * power to change the mail system or the host.
 */
#include <sys/types.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "mastercf.h"
#include "pipe.h"
#include "priv.h"
#include "scan.h"
#include "str.h"

static int	parse_flags(struct pipe *, const char *, struct str *);
static int	parse_user(struct pipe *, const char *, struct str *);
static int	parse_eol(struct pipe *, const char *, struct str *);

static int
parse_flags(struct pipe *p, const char *v, struct str *why)
{
	static const char	letters[] = "BDFORXhqu.>H";
	static const int	bits[] = { PIPE_FLAG_B, PIPE_FLAG_D,
	    PIPE_FLAG_F, PIPE_FLAG_O, PIPE_FLAG_R, PIPE_FLAG_X, PIPE_FLAG_h,
	    PIPE_FLAG_q, PIPE_FLAG_u, PIPE_FLAG_DOT, PIPE_FLAG_GT, 0 };
	const char		*l;

	p->flags = 0;
	for (; *v != '\0'; v++) {
		if ((l = strchr(letters, *v)) == NULL) {
			str_catf(why, "unknown flag '%c' in flags=", *v);
			return -1;
		}
		if (*l == 'H') {
			/* postlet's: no case folding (the default) */
			p->flags &= ~PIPE_FLAG_h;
		} else {
			p->flags |= bits[l - letters];
		}
	}
	return 0;
}

static int
parse_user(struct pipe *p, const char *v, struct str *why)
{
	struct str	 name = STR_INIT;
	const char	*colon = strchr(v, ':');
	uid_t		 ouid;
	gid_t		 ogid;
	int		 rc = -1;

	str_set_mem(&name, v, colon != NULL ? (size_t)(colon - v) :
	    strlen(v));
	if (priv_lookup(name.s, &p->uid, &p->gid, NULL) == -1) {
		str_catf(why, "user= command attribute: %s", priv_error());
		goto out;
	}
	if (colon != NULL && priv_lookup_group(colon + 1, &p->gid) == -1) {
		str_catf(why, "user= command attribute: %s", priv_error());
		goto out;
	}
	if (p->uid == 0 || p->gid == 0) {
		str_catf(why, "user= command attribute %s specifies root "
		    "privileges", v);
		goto out;
	}
	if (priv_lookup(conf_value("mail_owner"), &ouid, &ogid, NULL) == 0 &&
	    ouid == p->uid && priv_is_root()) {
		str_catf(why, "user= command attribute %s specifies the mail "
		    "system owner %s", v, conf_value("mail_owner"));
		goto out;
	}
	str_set(&p->user, name.s);
	rc = 0;
out:
	str_free(&name);
	return rc;
}

/* eol=: C escapes \a \b \f \n \r \t \v \ddd \\ (Postfix's). */
static int
parse_eol(struct pipe *p, const char *v, struct str *why)
{
	static const char	esc[] = "abfnrtv\\", val[] = "\a\b\f\n\r\t\v\\";
	const char		*e;
	int			 c, i;

	str_set(&p->eol, "");
	for (; *v != '\0'; v++) {
		if (*v != '\\') {
			str_cat_char(&p->eol, *v);
			continue;
		}
		v++;
		if (*v >= '0' && *v <= '7') {
			for (c = 0, i = 0; i < 3 && *v >= '0' && *v <= '7';
			    i++, v++) {
				c = c * 8 + (*v - '0');
			}
			v--;
			if (c == 0 || c > 255) {
				str_cat(why, "eol=: bad octal escape");
				return -1;
			}
			str_cat_char(&p->eol, c);
		} else if (*v != '\0' && (e = strchr(esc, *v)) != NULL) {
			str_cat_char(&p->eol, val[e - esc]);
		} else {
			str_cat(why, "eol=: bad escape");
			return -1;
		}
	}
	if (p->eol.len == 0 || p->eol.len > 8) {
		str_cat(why, "eol=: empty or longer than 8 bytes");
		return -1;
	}
	return 0;
}

int
pipe_attrs(struct pipe *p, char **args, size_t n, struct str *why)
{
	unsigned long long	 u;
	const char		*a;
	size_t			 i;
	bool			 have_user = false;

	str_set(&p->eol, "\n");
	str_set(&p->null_sender, "MAILER-DAEMON");
	str_set(&p->directory, "");
	for (i = 0; i < n; i++) {
		a = args[i];
		if (strncmp(a, "argv=", 5) == 0) {
			if (a[5] == '\0' || a[5] != '/') {
				str_cat(why, "argv= command attribute: the "
				    "command must be an absolute path");
				return -1;
			}
			/* the command, then its arguments as they are */
			args[i] += 5;
			p->argv = args + i;
			p->argc = n - i;
			break;
		}
		if (strncmp(a, "flags=", 6) == 0) {
			if (parse_flags(p, a + 6, why) == -1) {
				return -1;
			}
		} else if (strncmp(a, "user=", 5) == 0) {
			if (parse_user(p, a + 5, why) == -1) {
				return -1;
			}
			have_user = true;
		} else if (strncmp(a, "size=", 5) == 0) {
			if (scan_uint(a + 5, (unsigned long long)-1 / 2,
			    &u) == -1) {
				str_catf(why, "bad size= value \"%s\"", a + 5);
				return -1;
			}
			p->size_limit = u;
		} else if (strncmp(a, "eol=", 4) == 0) {
			if (parse_eol(p, a + 4, why) == -1) {
				return -1;
			}
		} else if (strncmp(a, "directory=", 10) == 0) {
			if (a[10] != '/') {
				str_cat(why, "directory= command attribute: "
				    "not an absolute path");
				return -1;
			}
			str_set(&p->directory, a + 10);
		} else if (strncmp(a, "null_sender=", 12) == 0) {
			str_set(&p->null_sender, a + 12);
		} else if (strncmp(a, "chroot=", 7) == 0) {
			str_cat(why, "chroot= command attribute: not "
			    "supported");
			return -1;
		} else {
			str_catf(why, "unknown command attribute \"%s\"", a);
			return -1;
		}
	}
	if (p->argv == NULL) {
		str_cat(why, "missing argv= command attribute");
		return -1;
	}
	if (!have_user) {
		str_cat(why, "missing user= command attribute");
		return -1;
	}
	return 0;
}

void
pipe_service_name(const char *config_dir, char **args, size_t n,
    struct str *name)
{
	struct mastercf			 mcf = MASTERCF_INIT;
	const struct mastercf_service	*s;
	struct str			 path = STR_INIT, text = STR_INIT;
	struct str			 errs = STR_INIT;
	size_t				 i, j;

	str_set(name, "pipe");
	str_catf(&path, "%s/master.cf", config_dir);
	if (conf_read_file(path.s, &text) == -1) {
		goto out;
	}
	(void)mastercf_parse(&mcf, text.s == NULL ? "" : text.s, text.len,
	    path.s, &errs);
	for (i = 0; i < mcf.n; i++) {
		s = &mcf.services[i];
		if (strcmp(s->type, "unix") != 0 ||
		    strcmp(s->command, "pipe") != 0 || s->argc != n + 1) {
			continue;
		}
		for (j = 0; j < n && strcmp(s->argv[j + 1], args[j]) == 0;
		    j++) {
			continue;
		}
		if (j == n) {
			str_set(name, s->name);
			break;
		}
	}
out:
	mastercf_free(&mcf);
	str_free(&path);
	str_free(&text);
	str_free(&errs);
}
