/* SPDX-License-Identifier: ISC */
/*
 * span.h: how far a run of ordinary text goes.
 *
 * The SMTP server and client copy a message's content line by line, and
 * between the ends of the lines nothing changes: span_plain tells how
 * many bytes in a row hold no CR and no LF (and, when asked, no NUL), so
 * that such a run is copied at once.  It reads eight bytes at a time
 * where it can, which counts for the run of each line of every message.
 */
#ifndef POSTLET_SPAN_H
#define POSTLET_SPAN_H

#include <stdbool.h>
#include <stddef.h>

/* The length of the longest prefix of the n bytes at p without a CR, an
 * LF, or (when stop_nul) a NUL: n when there is none of them. */
size_t	span_plain(const char *p, size_t n, bool stop_nul);

#endif
