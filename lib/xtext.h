/* SPDX-License-Identifier: ISC */
/*
 * xtext.h: RFC 3461 §4 xtext, the encoding of the DSN ORCPT and ENVID
 * values kept in queue files: bytes outside '!' to '~', '+' and '=' are
 * written "+XX" (two upper-case hexadecimal digits).  Used by local(8)
 * (ORIGINAL_RECIPIENT, forwarding) and pipe(8) (${original_recipient}).
 */
#ifndef POSTLET_XTEXT_H
#define POSTLET_XTEXT_H

#include "str.h"

/*
 * Decode the NUL-terminated xtext in into out (replaced).  Returns 0, or
 * -1 for a '+' not followed by two upper-case hexadecimal digits, or one
 * that encodes a NUL (out then holds what came before).
 */
int	xtext_decode(const char *in, struct str *out);

/* Encode the NUL-terminated in into out (replaced). */
void	xtext_encode(const char *in, struct str *out);

#endif
