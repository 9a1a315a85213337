/* SPDX-License-Identifier: ISC */
/*
 * sysexits.c: exit statuses of delivery commands (sysexits.h).  The
 * table follows the meanings of <sysexits.h> and the status codes
 * Postfix gives them.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "sysexits.h"

static const struct {
	int		 code;
	const char	*dsn;
	const char	*text;
} table[] = {
	{ EX_USAGE, "5.3.0", "command line usage error" },
	{ EX_DATAERR, "5.6.0", "data format error" },
	{ EX_NOINPUT, "5.3.0", "cannot open input" },
	{ EX_NOUSER, "5.1.1", "user unknown" },
	{ EX_NOHOST, "5.1.2", "host name unknown" },
	{ EX_UNAVAILABLE, "5.3.0", "service unavailable" },
	{ EX_SOFTWARE, "5.3.0", "internal software error" },
	{ EX_OSERR, "4.3.0", "system resource problem" },
	{ EX_OSFILE, "5.3.0", "critical OS file missing" },
	{ EX_CANTCREAT, "5.2.0", "cannot create user output file" },
	{ EX_IOERR, "5.3.0", "input/output error" },
	{ EX_TEMPFAIL, "4.3.0", "temporary failure" },
	{ EX_PROTOCOL, "5.5.0", "remote error in protocol" },
	{ EX_NOPERM, "5.7.0", "permission denied" },
	{ EX_CONFIG, "5.3.5", "local configuration error" },
};

static int
digits(const char *p, size_t len, size_t *i, size_t max)
{
	size_t	n = 0;

	while (*i < len && p[*i] >= '0' && p[*i] <= '9') {
		(*i)++;
		n++;
	}
	return n >= 1 && n <= max;
}

size_t
sysexits_dsn_prefix(const char *text, size_t len, char *code, size_t size)
{
	size_t	i;

	if (text == NULL || len < 5 || (text[0] != '4' && text[0] != '5') ||
	    text[1] != '.') {
		return 0;
	}
	i = 2;
	if (!digits(text, len, &i, 3) || i >= len || text[i] != '.') {
		return 0;
	}
	i++;
	if (!digits(text, len, &i, 3)) {
		return 0;
	}
	if (i < len && text[i] != ' ' && text[i] != '\t' &&
	    text[i] != '\n' && text[i] != '\r') {
		return 0;
	}
	if (i >= size) {
		return 0;
	}
	memcpy(code, text, i);
	code[i] = '\0';
	return i;
}

void
sysexits_judge(int code, const char *output, size_t len,
    struct sysexits_result *r)
{
	size_t	i;

	r->text = NULL;
	if (code == 0) {
		r->status = DSN_OK;
		(void)snprintf(r->code, sizeof(r->code), "2.0.0");
		r->text = "delivered";
		return;
	}
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (table[i].code == code) {
			r->text = table[i].text;
			(void)snprintf(r->code, sizeof(r->code), "%s",
			    table[i].dsn);
			break;
		}
	}
	if (r->text == NULL) {
		r->text = "unknown mail system error";
		(void)snprintf(r->code, sizeof(r->code), "5.3.0");
	}
	/* the command's own code wins (it is only copied when valid) */
	(void)sysexits_dsn_prefix(output, len, r->code, sizeof(r->code));
	r->status = r->code[0] == '4' ? DSN_TEMP : DSN_PERM;
}
