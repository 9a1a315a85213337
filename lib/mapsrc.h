/* SPDX-License-Identifier: ISC */
/*
 * mapsrc.h: the text sources of lookup tables, one parser for both the
 * input of `postlet map` (postmap(1) format, also read by texthash:) and
 * that of `postlet alias` (aliases(5) format).
 *
 * Both formats share the logical lines of cfline.h: a line that starts
 * with white space continues the entry above it (joined with exactly one
 * space: the previous line's trailing blanks and the continuation's
 * leading blanks collapse into it); blank lines and lines whose first
 * non-blank byte is '#' are skipped and do not end an entry; a trailing
 * CR is dropped silently (CRLF files); a NUL byte is an error.  A '#'
 * after the first byte of a line is data, as in Postfix.
 *
 *   postmap:  key whitespace value
 *             The key is the first word; the value is the rest, without
 *             its leading and trailing blanks.  A key alone is an error
 *             ("expected format: key whitespace value", as postmap says).
 *   aliases:  name: value
 *             The name ends at the first ':' (blanks before the ':' are
 *             dropped) or is a quoted string "..." in which a backslash
 *             quotes the next byte, followed by ':'.  An unquoted name
 *             with blanks inside, an empty name or an empty value is an
 *             error, as is a value whose double quotes do not balance.
 *
 * The parser is a pure function over a buffer (no I/O, no global state),
 * so fuzzers can drive it.  It does not fold case and does not look for
 * duplicates: its callers do (see map.h).  Every problem is appended to
 * the caller's errs as one line "FILE, line N: text\n" and the entry it
 * concerns is not passed on; nothing is truncated into something else.
 *
 * Limits (bounds.h): a logical line of at most MAP_LINE_MAX bytes, a key
 * of at most MAP_KEY_MAX, a value of at most MAP_VALUE_MAX.
 */
#ifndef POSTLET_MAPSRC_H
#define POSTLET_MAPSRC_H

#include <stddef.h>

#include "str.h"

enum mapsrc_format {
	MAPSRC_POSTMAP,		/* key whitespace value */
	MAPSRC_ALIASES,		/* name: value */
};

/*
 * Called once per good entry, in source order.  key and value are
 * borrowed for the duration of the call only; each is NUL-terminated
 * after its length and holds no NUL.  line is the number of the entry's
 * first line.  Returns 0 to go on, or -1 (with errno set) to stop the
 * parse.
 */
typedef int	(*mapsrc_entry_fn)(void *ctx, const char *key, size_t keylen,
		    const char *value, size_t valuelen, int line);

/*
 * Parse text (len bytes, any content) in the given format, named file in
 * messages, and call fn(ctx, ...) for each good entry.  Problems are
 * appended to errs (see above).  Returns the number of problems found
 * (0: the source was good), or -1 when fn returned -1 (errno is fn's).
 */
int	mapsrc_parse(const char *text, size_t len, enum mapsrc_format format,
	    const char *file, mapsrc_entry_fn fn, void *ctx, struct str *errs);

/*
 * Split an alias value (len bytes, as stored in an aliases table) into
 * its elements: "a, b, \"|command\", /file, :include:/path".  Commas
 * outside double quotes separate; each element is trimmed of blanks;
 * empty elements are skipped.  An element that is one quoted string as a
 * whole is returned without its quotes, with backslash escapes resolved
 * (so "|cmd arg" gives |cmd arg, Postfix's internal form); quotes inside
 * an element ("john doe"@example.org) are kept as they are.  RFC 822
 * comments in parentheses are not recognized.
 *
 * *pos starts at 0 and is advanced past the element.  Returns 1 with the
 * element in elem (replacing its contents), 0 at the end, or -1 with
 * errno EINVAL when a double quote is not closed (or a backslash ends the
 * value inside quotes).
 */
int	mapsrc_alias_next(const char *value, size_t len, size_t *pos,
	    struct str *elem);

#endif
