/* SPDX-License-Identifier: ISC */
/*
 * header.h: RFC 5322 header fields, as the programs that read and write
 * message headers (cleanup, local, bounce) need them: telling a header
 * field line from a continuation line, the empty line that ends the
 * header section and a body line; matching field names; the field value;
 * the date and display-name forms that postlet writes into headers.
 *
 * Lines end in LF here (the queue's content form, docs/queue.5).  The
 * functions are pure: they look at the bytes they are given and nothing
 * else, accept any bytes (NUL included) and never read past n.  Nothing
 * here fails except by running out of memory (fatal, alloc.h).
 */
#ifndef POSTLET_HEADER_H
#define POSTLET_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "str.h"

/* What a line of the header section is (header_line_kind). */
enum header_line {
	HEADER_MORE,	/* undecided: give more bytes of the line */
	HEADER_FIELD,	/* "name:" starts a new header field */
	HEADER_CONT,	/* starts with a blank: continues the field */
	HEADER_END,	/* the empty line that ends the header section */
	HEADER_BODY,	/* not a header line: the body starts here */
};

/*
 * Classify a line of the header section from its first n bytes s (the
 * whole line, "\n" included, or a beginning of it).  A field name is one
 * or more printable ASCII characters other than ':' (RFC 5322 §3.6.8),
 * followed by ':'; blanks between the name and ':' are accepted (the
 * obsolete syntax of RFC 5322 §4.5.8, which Postfix accepts as well).  A
 * line that starts with a space or a tab continues the field before it
 * when in_field is true, and is a body line otherwise (there is nothing to
 * continue).  A line that is exactly "\n" ends the header section; any
 * other line is a body line.  HEADER_MORE asks for more of the line: it
 * is only returned while no "\n" has been seen and fewer than
 * HEADER_NAME_MAX bytes (bounds.h) decide nothing, so a caller needs to
 * hold at most that much of a line to classify it.
 */
enum header_line header_line_kind(const char *s, size_t n, bool in_field);

/*
 * True when the header field field (n bytes, starting with its name) has
 * the name name, ignoring ASCII case ("subject" matches "Subject:" and
 * "SUBJECT :").
 */
bool	header_is(const char *field, size_t n, const char *name);

/*
 * The offset of the value of the header field field (n bytes): the byte
 * after the first ':', or n when there is none.
 */
size_t	header_value_offset(const char *field, size_t n);

/*
 * Append the date t as RFC 5322 §3.3 writes it, in the local time zone,
 * to out: "Tue, 6 Feb 2024 09:05:01 +0100 (CET)".  Day and month names
 * are English whatever the locale; the zone comment is added only when
 * the system knows a name of letters, digits, '+' and '-' for the zone.
 * The text of the last t is kept for the next call with the same t.
 */
void	header_date(time_t t, struct str *out);

/*
 * Append name as an RFC 5322 display name (a phrase) to out: as it is
 * when it is made of atext characters (RFC 5322 §3.2.3) and single spaces
 * between them, else as a quoted string with '"' and '\' escaped.  CR, LF
 * and other control characters become spaces, so the result is always
 * one line.  Bytes >= 0x80 are kept (RFC 6532).
 */
void	header_phrase(const char *name, struct str *out);

#endif
