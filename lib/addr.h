/* SPDX-License-Identifier: ISC */
/*
 * addr.h: mail addresses: RFC 5321 paths, RFC 5322 address lists, the
 * internal and external forms, and the helpers the rest of postlet needs
 * (domain part, domain syntax, recipient_delimiter extensions).
 *
 * Internal and external form.  On the wire and in headers an address is
 * in external form: the local part is quoted when it is not a dot-atom,
 * as in "john doe"@example.org or "a\"b"@example.org.  Inside postlet
 * (queue files, maps, logs of lookups) an address is in internal form:
 * the quotes and quoted-pairs are removed, so the same two addresses are
 * john doe@example.org and a"b@example.org.  Like Postfix, postlet parses
 * into internal form, works on that, and quotes again (addr_quote) when
 * it writes an address to SMTP or to a header.  The domain is the part
 * after the LAST '@' (the local part may hold '@' once unquoted); an
 * address without '@' is a bare local part.  Case is kept as received.
 * The null sender is the empty string.  Parsers never put a control
 * character (0-31, 127) or a NUL into an internal address, nor 8-bit
 * bytes unless the caller allows UTF-8, and then only well-formed UTF-8.
 *
 * RFC 5321 paths (addr_parse_path), the text after "MAIL FROM:" or
 * "RCPT TO:":
 *	<user@example.org>		the usual form
 *	<"john doe"@example.org>	quoted local part, with \" and \\
 *	<>				the null path (ADDR_PATH_NULL_OK)
 *	<@a,@b:user@c>			source route: dropped, giving
 *					user@c
 *	<user@[192.0.2.1]>		IPv4 address literal
 *	<user@[IPv6:2001:db8::1]>	IPv6 address literal
 *	<postmaster>			no domain (Postfix accepts it; the
 *					caller appends myorigin or rejects)
 *	user@example.org		no brackets: only with ADDR_PATH_LAX
 *					(Postfix's default, as with
 *					strict_rfc821_envelopes = no), which
 *					also skips blanks before the path; it
 *					ends at the first blank outside quotes
 * Obsolete dots in the local part (john.@x, a..b@x) are accepted, as
 * Postfix and the Japanese mobile carriers' users need; addr_quote quotes
 * them on output.  General address literals ([tag:text]) are refused: no
 * transport could use them.  Limits (lib/bounds.h): label 63 octets,
 * domain 255, the whole path from '<' to '>' ADDR_PATH_MAX; with
 * ADDR_PATH_STRICT also RFC 5321's local part 64 and path 256, and the
 * local part must be a proper dot-string or one quoted string.
 *
 * RFC 5322 address lists (addr_list_parse), the value of To, Cc, Bcc,
 * From, Reply-To...: display names, comments (nested) anywhere, groups
 * (undisclosed-recipients:; and team: a@x, b@y;), quoted strings, folding
 * (CRLF or LF before a blank), obsolete route addresses <@a:b@c>, empty
 * list elements (a@x,,b@y) and ';' used as a list separator.  A mailbox
 * with a local part only is returned as it is, so that the caller can
 * append myorigin.  Garbage is skipped and counted, never fatal.
 */
#ifndef POSTLET_ADDR_H
#define POSTLET_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "str.h"

/* Flags for addr_parse_path (and, where said, for the other functions). */
/* accept the null path <> */
#define ADDR_PATH_NULL_OK	0x01
/* <> optional, blanks before it */
#define ADDR_PATH_LAX		0x02
/* UTF-8 in local part and domain */
#define ADDR_PATH_UTF8		0x04
/* RFC 5321 lengths and local part */
#define ADDR_PATH_STRICT	0x08
/* word errors for RCPT TO, not MAIL */
#define ADDR_PATH_RCPT		0x10
/* addr_valid_domain: allow [literal] */
#define ADDR_DOMAIN_LITERAL	0x20

/*
 * Why a path was refused, for the SMTP reply: the caller writes
 * "code status text", e.g. "501 5.1.7 Bad sender address syntax", and may
 * choose another reply code.  The strings are static.
 */
struct addr_error {
	/* suggested reply code: 501 or 553 */
	int		 code;
	/* RFC 3463 enhanced status code */
	const char	*status;
	/* reply text, no code, no CRLF */
	const char	*text;
};

/*
 * Parse the RFC 5321 path at the start of in (len bytes, need not be
 * NUL-terminated, may hold any byte).  On success, store the address in
 * internal form in addr (overwritten; empty for the null path), the
 * offset of the first byte after the path in *end (after '>'; for a lax
 * path without brackets, the first blank or len), and return 0.  The
 * caller checks what follows (nothing, or a blank and ESMTP parameters).
 * flags are ADDR_PATH_*.
 *
 * On failure return -1 with errno EINVAL (syntax, malformed UTF-8, or a
 * null path that is not allowed), EILSEQ (8-bit bytes without
 * ADDR_PATH_UTF8) or EMSGSIZE (a length limit); addr is left empty, *end
 * is not set and, when err is not NULL, *err says what to reply:
 *	501 5.5.4 Syntax: MAIL FROM:<address>	nothing there
 *	501 5.1.7 Bad sender address syntax	(5.1.3 ... recipient
 *						... with ADDR_PATH_RCPT)
 *	501 5.1.7 Path too long			(5.1.3 with
 *						ADDR_PATH_RCPT)
 *	553 5.6.7 Must declare SMTPUTF8 to send unicode address
 * err and end may be NULL.
 */
int	addr_parse_path(const char *in, size_t len, int flags,
	    struct str *addr, size_t *end, struct addr_error *err);

/*
 * Internal to external form: write addr (len bytes, internal form) to out
 * (overwritten), with its local part (before the last '@') quoted when it
 * is not a dot-atom: the local part goes between '"', with '"' and '\'
 * escaped by '\'.  Bytes >= 0x80 count as atom characters (RFC 6531).
 * The empty address (null sender) stays empty; an empty local part
 * before a domain becomes "".  The domain is copied unchanged.  Cannot
 * fail (allocation failure is fatal).
 */
void	addr_quote(const char *addr, size_t len, struct str *out);

/*
 * External to internal form: write ext (len bytes) to out (overwritten)
 * with the quotes and quoted-pairs of the local part (before the last '@'
 * outside quotes) removed; the domain is copied unchanged.  Returns 0, or
 * -1 with errno EINVAL when a quoted string is not closed, a backslash
 * ends the local part or the input holds a NUL; out is then empty.
 */
int	addr_unquote(const char *ext, size_t len, struct str *out);

/*
 * The domain of addr (internal form, NUL-terminated): a pointer into addr
 * just after its last '@', or NULL when addr holds no '@'.  Borrowed.
 */
const char *addr_domain(const char *addr);

/* True when two domains are equal, ignoring ASCII case. */
bool	addr_domain_eq(const char *, const char *);

/*
 * True when s (len bytes) is a syntactically valid domain: labels of
 * letters, digits and '-', not starting or ending with '-', 1 to 63
 * octets, separated by single dots, no final dot, at most 255 octets.
 * With ADDR_PATH_UTF8 in flags, labels may also hold UTF-8 (the 63 octet
 * bound then counts the UTF-8 bytes).  With ADDR_DOMAIN_LITERAL, an
 * address literal [192.0.2.1] or [IPv6:2001:db8::1] is also valid.
 */
bool	addr_valid_domain(const char *s, size_t len, int flags);

/*
 * True when s (len bytes) may be the local part of an internal address:
 * printable ASCII and space, and with ADDR_PATH_UTF8 in flags also
 * well-formed UTF-8.  Says nothing about length or dots; empty is valid.
 */
bool	addr_valid_local(const char *s, size_t len, int flags);

/* An address split by addr_split_ext; free with addr_parts_free. */
struct addr_parts {
	/* local part before the delimiter */
	struct str	user;
	/* after the delimiter; empty when none */
	struct str	ext;
	/* after the last '@'; empty when none */
	struct str	domain;
	/* the delimiter that split, 0 when none */
	int		delim;
};
#define ADDR_PARTS_INIT	{ STR_INIT, STR_INIT, STR_INIT, 0 }

/*
 * Split addr (internal form, NUL-terminated) into user, extension and
 * domain by recipient_delimiter: delims holds one or more delimiter
 * characters, and the first of them found in the local part splits it
 * ("user+ext@example.org" with "+-" gives user, ext, example.org, '+').
 * As in Postfix, these are never split: a local part that would leave
 * the user empty ("+ext"), postmaster, MAILER-DAEMON and double-bounce
 * (any case), and when delims holds '-', owner-xxx and xxx-request.
 * Otherwise user is the whole local part and ext is empty.  Returns true
 * when an extension was split off; parts (overwritten) holds the result
 * either way.  delims may be NULL or empty (no splitting).
 */
bool	addr_split_ext(const char *addr, const char *delims,
	    struct addr_parts *parts);
void	addr_parts_free(struct addr_parts *);

/* Where an item's addr-spec is in the parsed text: its first token to
 * its last (inside the angle brackets of a name-addr, without a route). */
struct addr_span {
	size_t	pos;
	size_t	len;
};

/* The mailboxes found by addr_list_parse; free with addr_list_free. */
struct addr_list {
	struct str	 *item;	/* internal-form addr-specs, in order */
	struct addr_span *span;	/* each item's place in its input */
	size_t		  count;	/* items in use */
	size_t		  cap;	/* items allocated */
	/* list elements skipped as unparseable */
	size_t		  bad;
};
#define ADDR_LIST_INIT	{ NULL, NULL, 0, 0, 0 }

/*
 * Parse an RFC 5322 address list (a header value, len bytes, folding
 * allowed) and append the addr-spec of each mailbox to list in internal
 * form, in the order found; group names and display names are dropped.
 * A list element that cannot be parsed is skipped and counted in
 * list->bad, as is an address longer than ADDR_PATH_MAX.  Display names
 * are not checked at all.  flags may hold ADDR_PATH_UTF8 (accept UTF-8
 * addresses; without it an address with 8-bit bytes counts as bad) and
 * ADDR_PATH_STRICT (local parts of at most 64 octets).  Returns 0, or -1
 * with errno EMSGSIZE when the value holds more than ADDR_LIST_MAX
 * mailboxes: the first ADDR_LIST_MAX are in the list, parsing stopped.
 * No recursion; time and memory are linear in len.  list->span[i] says
 * where item i was in this call's input (for a caller that rewrites it
 * in place); the spans of items from earlier calls refer to theirs.
 */
int	addr_list_parse(const char *in, size_t len, int flags,
	    struct addr_list *list);
void	addr_list_free(struct addr_list *);

#endif
