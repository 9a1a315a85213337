/* SPDX-License-Identifier: ISC */
/*
 * mastercf.c: master.cf parsing (see mastercf.h).  Lines are joined as
 * in main.cf, then split into words; "{ ... }" groups become one word
 * with the braces and the blanks just inside them removed.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cfline.h"
#include "bounds.h"
#include "mastercf.h"
#include "scan.h"

static bool
mastercf_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Split a logical line into words.  Returns the number of words, or -1
 * with a message in why.
 */
static int
mastercf_words(const char *p, size_t n, char **words, size_t max,
    struct str *why)
{
	size_t	i = 0, nw = 0, start, end;
	int	level;

	for (;;) {
		while (i < n && mastercf_blank((unsigned char)p[i])) {
			i++;
		}
		if (i == n) {
			break;
		}
		if (nw == max) {
			str_catf(why, "more than %zu words", max);
			goto fail;
		}
		if (p[i] == '{') {
			level = 1;
			start = ++i;
			while (i < n && level > 0) {
				if (p[i] == '{') {
					level++;
				} else if (p[i] == '}') {
					level--;
				}
				i++;
			}
			if (level > 0) {
				str_cat(why, "missing '}'");
				goto fail;
			}
			end = i - 1;
			if (i < n && !mastercf_blank((unsigned char)p[i])) {
				str_cat(why, "text after '}' without a blank");
				goto fail;
			}
			while (start < end &&
			    mastercf_blank((unsigned char)p[start])) {
				start++;
			}
			while (end > start &&
			    mastercf_blank((unsigned char)p[end - 1])) {
				end--;
			}
		} else {
			start = i;
			while (i < n && !mastercf_blank((unsigned char)p[i])) {
				i++;
			}
			end = i;
		}
		words[nw++] = xmemdup(p + start, end - start);
	}
	return (int)nw;
fail:
	while (nw > 0) {
		free(words[--nw]);
	}
	return -1;
}

static int
mastercf_flag(const char *w, enum mastercf_flag *f)
{
	if (strcmp(w, "-") == 0) {
		*f = MASTERCF_DEFAULT;
	} else if (strcmp(w, "y") == 0) {
		*f = MASTERCF_YES;
	} else if (strcmp(w, "n") == 0) {
		*f = MASTERCF_NO;
	} else {
		return -1;
	}
	return 0;
}

static void
mastercf_service_free(struct mastercf_service *s)
{
	size_t	i;

	free(s->name);
	free(s->type);
	for (i = 0; i < s->argc; i++) {
		free(s->argv[i]);
	}
	free(s->argv);
	for (i = 0; i < s->noverrides; i++) {
		free(s->overrides[i].name);
		free(s->overrides[i].value);
	}
	free(s->overrides);
	free(s->file);
	memset(s, 0, sizeof(*s));
}

/* Check a "name=value" override word and add it. */
static int
mastercf_add_override(struct mastercf_service *s, const char *w,
    struct str *why)
{
	const char	*eq = strchr(w, '=');
	size_t		 n, i;

	if (eq == NULL) {
		str_catf(why, "-o \"%s\": expected name=value", w);
		return -1;
	}
	n = (size_t)(eq - w);
	while (n > 0 && mastercf_blank((unsigned char)w[n - 1])) {
		n--;
	}
	if (n == 0 || n > CONF_NAME_MAX) {
		str_catf(why, "-o \"%s\": bad parameter name", w);
		return -1;
	}
	for (i = 0; i < n; i++) {
		char	c = w[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_')) {
			str_catf(why, "-o \"%s\": bad parameter name", w);
			return -1;
		}
	}
	eq++;
	while (mastercf_blank((unsigned char)*eq)) {
		eq++;
	}
	s->overrides = xreallocarray(s->overrides, s->noverrides + 1,
	    sizeof(*s->overrides));
	s->overrides[s->noverrides].name = xmemdup(w, n);
	s->overrides[s->noverrides].value = xstrdup(eq);
	s->noverrides++;
	return 0;
}

static const char *const mastercf_types[] = {
	"inet", "unix", "fifo", "pass", "unix-dgram", NULL
};

/* Parse one logical line into s.  -1 with the reason in why. */
static int
mastercf_service(struct mastercf_service *s, const char *p, size_t n,
    struct str *why)
{
	char			*w[MASTERCF_ARGS_MAX + 8];
	unsigned long long	 u;
	size_t			 i, len;
	int			 nw, rc = -1, t;
	bool			 options = true;

	memset(s, 0, sizeof(*s));
	if ((nw = mastercf_words(p, n, w, sizeof(w) / sizeof(w[0]),
	    why)) == -1) {
		return -1;
	}
	if (nw < 8) {
		str_catf(why, "expected 8 or more fields (service type private "
		    "unpriv chroot wakeup maxproc command), found %d", nw);
		goto out;
	}
	if (strlen(w[0]) == 0) {
		str_cat(why, "empty service name");
		goto out;
	}
	for (t = 0; mastercf_types[t] != NULL; t++) {
		if (strcmp(w[1], mastercf_types[t]) == 0) {
			break;
		}
	}
	if (mastercf_types[t] == NULL) {
		str_catf(why, "unknown service type \"%s\" (use inet, unix, "
		    "fifo, pass or unix-dgram)", w[1]);
		goto out;
	}
	if (mastercf_flag(w[2], &s->private_) == -1 ||
	    mastercf_flag(w[3], &s->unpriv) == -1 ||
	    mastercf_flag(w[4], &s->chroot) == -1) {
		str_cat(why, "the private, unpriv and chroot fields must be "
		    "y, n or -");
		goto out;
	}
	len = strlen(w[5]);
	if (strcmp(w[5], "-") == 0) {
		s->wakeup = 0;
	} else {
		if (len > 0 && w[5][len - 1] == '?') {
			s->wakeup_if_used = true;
			len--;
		}
		if (scan_uint_mem(w[5], len, INT_MAX, &u) == -1) {
			str_catf(why, "bad wakeup time \"%s\"", w[5]);
			goto out;
		}
		s->wakeup = (int)u;
	}
	if (strcmp(w[6], "-") == 0) {
		s->maxproc = -1;
	} else if (scan_uint(w[6], INT_MAX, &u) == -1) {
		str_catf(why, "bad process limit \"%s\"", w[6]);
		goto out;
	} else {
		s->maxproc = (int)u;
	}
	if (w[7][0] == '\0' || w[7][0] == '-') {
		str_catf(why, "bad command name \"%s\"", w[7]);
		goto out;
	}
	if (strcmp(w[1], "inet") == 0 && s->private_ != MASTERCF_NO) {
		/* As in Postfix: a network listener is never private, and
		 * "-" means private. */
		str_cat(why, "an inet service cannot be private (set the "
		    "private field to n)");
		goto out;
	}
	s->argv = xreallocarray(NULL, (size_t)nw - 7 + 1, sizeof(char *));
	for (i = 7; i < (size_t)nw; i++) {
		/* Options come before the first ordinary argument; after it,
		 * "-o" belongs to the command (pipe's argv=... for example). */
		if (!options) {
			goto plain;
		}
		if (strcmp(w[i], "-o") == 0 && i > 7) {
			if (i + 1 == (size_t)nw) {
				str_cat(why, "-o without name=value");
				goto out;
			}
			if (mastercf_add_override(s, w[i + 1], why) == -1) {
				goto out;
			}
			i++;
			continue;
		}
		if (strncmp(w[i], "-o", 2) == 0 && w[i][2] != '\0' && i > 7 &&
		    strchr(w[i], '=') != NULL) {
			/* -oname=value, attached */
			if (mastercf_add_override(s, w[i] + 2, why) == -1) {
				goto out;
			}
			continue;
		}
plain:
		if (i > 7 && w[i][0] != '-') {
			options = false;
		}
		if (s->argc == MASTERCF_ARGS_MAX) {
			str_catf(why, "more than %d command arguments",
			    MASTERCF_ARGS_MAX);
			goto out;
		}
		s->argv[s->argc++] = xstrdup(w[i]);
	}
	s->argv[s->argc] = NULL;
	s->command = s->argv[0];
	s->name = xstrdup(w[0]);
	s->type = xstrdup(w[1]);
	rc = 0;
out:
	for (t = 0; t < nw; t++) {
		free(w[t]);
	}
	if (rc == -1) {
		mastercf_service_free(s);
	}
	return rc;
}

static int
mastercf_add(struct mastercf *m, const char *p, size_t n, const char *file,
    int line, struct str *errs)
{
	struct mastercf_service	 s;
	struct str		 why = STR_INIT;

	if (mastercf_service(&s, p, n, &why) == -1) {
		str_catf(errs, "%s, line %d: %s\n", file, line, str_c(&why));
		str_free(&why);
		return -1;
	}
	str_free(&why);
	if (mastercf_find(m, s.name, s.type) != NULL) {
		str_catf(errs, "%s, line %d: duplicate service \"%s/%s\"\n",
		    file, line, s.name, s.type);
		mastercf_service_free(&s);
		return -1;
	}
	s.file = xstrdup(file);
	s.line = line;
	if (m->n == m->cap) {
		m->cap = m->cap == 0 ? 16 : m->cap * 2;
		m->services = xreallocarray(m->services, m->cap,
		    sizeof(*m->services));
	}
	m->services[m->n++] = s;
	return 0;
}

int
mastercf_parse(struct mastercf *m, const char *text, size_t len,
    const char *file, struct str *errs)
{
	struct cfline	cl;
	struct str	logical = STR_INIT;
	int		line, nerr = 0;

	cfline_init(&cl, text, len, file, CONF_LINE_MAX);
	while (cfline_next(&cl, &logical, &line, errs) == 1) {
		if (mastercf_add(m, logical.s, logical.len, file, line,
		    errs) == -1) {
			nerr++;
		}
	}
	str_free(&logical);
	return nerr + cl.nerr;
}

void
mastercf_free(struct mastercf *m)
{
	size_t	i;

	for (i = 0; i < m->n; i++) {
		mastercf_service_free(&m->services[i]);
	}
	free(m->services);
	m->services = NULL;
	m->n = m->cap = 0;
}

const struct mastercf_service *
mastercf_find(const struct mastercf *m, const char *name, const char *type)
{
	size_t	i;

	for (i = 0; i < m->n; i++) {
		if (strcmp(m->services[i].name, name) == 0 &&
		    strcmp(m->services[i].type, type) == 0) {
			return &m->services[i];
		}
	}
	return NULL;
}

bool
mastercf_can_chroot(const char *command)
{
	static const char *const	programs[] = {
		"cleanup", "lmtp", "pickup", "qmqpd", "smtp", "smtpd",
	};
	size_t				i;

	for (i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		if (strcmp(command, programs[i]) == 0) {
			return true;
		}
	}
	return false;
}
