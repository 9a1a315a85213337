/* SPDX-License-Identifier: ISC */
/*
 * cfline.h: logical lines of Postfix-style text files (main.cf,
 * master.cf, lookup table sources, aliases).
 *
 * A logical line starts with a line whose first byte is not white space;
 * each following line that starts with white space continues it (joined
 * with one space, its leading white space dropped).  Blank lines, lines of
 * white space only, and lines whose first non-blank byte is '#' are
 * ignored and do not end a logical line.  A trailing CR (CRLF files) is
 * dropped.  Problems (a NUL byte, a continuation with nothing before it, a
 * logical line over the limit) are reported as "FILE, line N: text\n" and
 * the offending text is skipped, never truncated into something else.
 */
#ifndef POSTLET_CFLINE_H
#define POSTLET_CFLINE_H

#include <stddef.h>

#include "str.h"

struct cfline {
	const char	*text;		/* borrowed */
	size_t		 len, pos;
	const char	*file;		/* borrowed, for messages */
	/* physical lines read so far */
	int		 line;
	/* longest logical line accepted */
	size_t		 max;
	int		 nerr;		/* problems reported so far */
};

/* Start reading text (len bytes) named file, logical lines up to max. */
void	cfline_init(struct cfline *, const char *text, size_t len,
	    const char *file, size_t max);
/*
 * The next logical line into out and the number of its first physical
 * line into *lineno.  Returns 1, or 0 at the end of the text.  Problems
 * are appended to errs and counted in nerr.
 */
int	cfline_next(struct cfline *, struct str *out, int *lineno,
	    struct str *errs);

#endif
