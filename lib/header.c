/* SPDX-License-Identifier: ISC */
/*
 * header.c: RFC 5322 header field helpers (see header.h).  Pure functions
 * over byte ranges; the only state they touch is the time zone data that
 * localtime_r(3) reads for header_date.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "header.h"
#include "str.h"

static void	header_date_make(time_t, struct str *);
static bool	is_atext(unsigned char);
static int	lower(int);

enum header_line
header_line_kind(const char *s, size_t n, bool in_field)
{
	size_t	i;

	if (n == 0) {
		return HEADER_MORE;
	}
	if (s[0] == '\n') {
		return HEADER_END;
	}
	if (s[0] == ' ' || s[0] == '\t') {
		return in_field ? HEADER_CONT : HEADER_BODY;
	}
	for (i = 0; i < n; i++) {
		unsigned char	c = (unsigned char)s[i];

		if (c == ':') {
			return i > 0 ? HEADER_FIELD : HEADER_BODY;
		}
		if (c < 33 || c > 126) {
			break;
		}
	}
	/* Blanks between the name and ':' (obsolete syntax). */
	if (i > 0 && i < n && (s[i] == ' ' || s[i] == '\t')) {
		while (i < n && (s[i] == ' ' || s[i] == '\t')) {
			i++;
		}
		if (i < n) {
			return s[i] == ':' ? HEADER_FIELD : HEADER_BODY;
		}
	} else if (i < n) {
		return HEADER_BODY;
	}
	/* All n bytes could still start a field. */
	return n >= HEADER_NAME_MAX ? HEADER_BODY : HEADER_MORE;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

bool
header_is(const char *field, size_t n, const char *name)
{
	size_t	len = strlen(name), i;

	if (n < len + 1) {
		return false;
	}
	for (i = 0; i < len; i++) {
		if (lower((unsigned char)field[i]) !=
		    lower((unsigned char)name[i])) {
			return false;
		}
	}
	while (i < n && (field[i] == ' ' || field[i] == '\t')) {
		i++;
	}
	return i < n && field[i] == ':';
}

size_t
header_value_offset(const char *field, size_t n)
{
	const char	*colon = memchr(field, ':', n);

	return colon == NULL ? n : (size_t)(colon - field) + 1;
}

/*
 * The date of the last call is kept: the dates of a message's Received
 * and Date fields, and of the next messages', mostly fall in the same
 * second, and the time zone's rules (localtime_r) cost more than the
 * rest.  A change of the zone is seen at the next other second.
 */
void
header_date(time_t t, struct str *out)
{
	static struct str	last = STR_INIT;
	static time_t		last_t;
	static bool		have_last;

	if (!have_last || t != last_t) {
		str_clear(&last);
		header_date_make(t, &last);
		last_t = t;
		have_last = true;
	}
	str_cat_mem(out, last.s, last.len);
}

/* header_date without the kept date. */
static void
header_date_make(time_t t, struct str *out)
{
	static const char *const	day[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const	month[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm			tm;
	long				off, h, m;
	const char			*z;
	bool				zone_ok;

	if (localtime_r(&t, &tm) == NULL) {
		/* Out of range for the system: say UTC rather than nothing. */
		t = 0;
		(void)gmtime_r(&t, &tm);
	}
	off = tm.tm_gmtoff / 60;
	h = (off < 0 ? -off : off) / 60;
	m = (off < 0 ? -off : off) % 60;
	str_catf(out, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    day[tm.tm_wday % 7], tm.tm_mday, month[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', h, m);
	z = tm.tm_zone;
	zone_ok = z != NULL && *z != '\0' && strlen(z) <= 32;
	for (; zone_ok && *z != '\0'; z++) {
		if (!((*z >= 'A' && *z <= 'Z') || (*z >= 'a' && *z <= 'z') ||
		    (*z >= '0' && *z <= '9') || *z == '+' || *z == '-')) {
			zone_ok = false;
		}
	}
	if (zone_ok) {
		str_catf(out, " (%s)", tm.tm_zone);
	}
}

/* RFC 5322 §3.2.3 atext, plus 8-bit bytes (RFC 6532). */
static bool
is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80) {
		return true;
	}
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

void
header_phrase(const char *name, struct str *out)
{
	const unsigned char	*p;
	bool			 atom = *name != '\0';
	unsigned char		 prev = ' ';

	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p == ' ' ? prev == ' ' : !is_atext(*p)) {
			atom = false;
			break;
		}
		prev = *p;
	}
	if (prev == ' ' && *name != '\0') {
		atom = false;	/* a trailing space */
	}
	if (atom) {
		str_cat(out, name);
		return;
	}
	str_cat_char(out, '"');
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			str_cat_char(out, '\\');
			str_cat_char(out, *p);
		} else if (*p < 0x20 || *p == 0x7f) {
			str_cat_char(out, ' ');
		} else {
			str_cat_char(out, *p);
		}
	}
	str_cat_char(out, '"');
}
