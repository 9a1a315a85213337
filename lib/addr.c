/* SPDX-License-Identifier: ISC */
/*
 * addr.c: RFC 5321 paths, the internal and external forms of an address,
 * domain and local part syntax, and recipient_delimiter splitting (see
 * addr.h for the accepted forms).  RFC 5322 address lists are in
 * addr_list.c.
 *
 * Every parser here is a pure function over a buffer and its length: the
 * input need not be NUL-terminated and may hold any byte, there is no
 * global state and no recursion, and each scan makes one pass bounded by
 * ADDR_PATH_MAX, so a fuzzer can drive them.  Failures are returned with
 * errno and a reply text; only allocation failure is fatal (in str_*).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "addr.h"
#include "bounds.h"
#include "str.h"

/* Why addr_parse_path failed; indexes path_errors. */
enum path_fail {
	FAIL_EMPTY,
	FAIL_SYNTAX,
	FAIL_NULL,
	FAIL_LONG,
	FAIL_8BIT
};

/* The state of one addr_parse_path scan. */
struct path_scan {
	const unsigned char	*s;
	size_t			 pos;
	/* scan no further than this */
	size_t			 limit;
	/* input goes on after limit */
	bool			 capped;
	int			 flags;
	enum path_fail		 fail;
};

/*
 * Reply texts, [fail][1 for RCPT].  Wording as Postfix's smtpd where it
 * has one; "Path too long" is RFC 5321 §4.5.3.1.10's.
 */
static const struct addr_error path_errors[][2] = {
	[FAIL_EMPTY] = {
		{ 501, "5.5.4", "Syntax: MAIL FROM:<address>" },
		{ 501, "5.5.4", "Syntax: RCPT TO:<address>" },
	},
	[FAIL_SYNTAX] = {
		{ 501, "5.1.7", "Bad sender address syntax" },
		{ 501, "5.1.3", "Bad recipient address syntax" },
	},
	[FAIL_NULL] = {
		{ 501, "5.1.7", "Bad sender address syntax" },
		{ 501, "5.1.3", "Bad recipient address syntax" },
	},
	[FAIL_LONG] = {
		{ 501, "5.1.7", "Path too long" },
		{ 501, "5.1.3", "Path too long" },
	},
	[FAIL_8BIT] = {
		{ 553, "5.6.7",
		    "Must declare SMTPUTF8 to send unicode address" },
		{ 553, "5.6.7",
		    "Must declare SMTPUTF8 to send unicode address" },
	},
};

static bool	is_atext(int);
static bool	is_alnum(int);
static bool	is_blank(int);
static int	lower(int);
static size_t	utf8_len(const unsigned char *, size_t);
static bool	has_8bit(const unsigned char *, size_t);
static bool	valid_ipv4(const char *, size_t);
static bool	valid_ipv6(const char *, size_t);
static bool	valid_literal(const char *, size_t);
static bool	is_dot_atom(const unsigned char *, size_t);
static bool	name_eq(const char *, size_t, const char *);
static bool	may_split(const char *, size_t, const char *);
static int	peek(const struct path_scan *);
static int	scan_fail(struct path_scan *, enum path_fail);
static int	scan_domain(struct path_scan *, size_t, int);
static int	scan_route(struct path_scan *);
static int	scan_quoted(struct path_scan *, struct str *);
static int	scan_utf8(struct path_scan *, struct str *);
static int	scan_mailbox(struct path_scan *, struct str *);

/* RFC 5322 §3.2.3 atext, ASCII only. */
static bool
is_atext(int c)
{
	if (is_alnum(c)) {
		return true;
	}
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* ASCII letter or digit, whatever the locale. */
static bool
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static bool
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * The length of the well-formed UTF-8 sequence at s (n bytes available,
 * s[0] >= 0x80), or 0: no overlong forms, no surrogates, nothing above
 * U+10FFFF (RFC 3629 §4).
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		need, i;

	if (s[0] < 0xc2) {
		return 0;	/* continuation byte, or overlong C0/C1 */
	} else if (s[0] < 0xe0) {
		need = 2;
	} else if (s[0] < 0xf0) {
		need = 3;
		if (s[0] == 0xe0) {
			lo = 0xa0;
		} else if (s[0] == 0xed) {
			hi = 0x9f;	/* surrogates */
		}
	} else if (s[0] < 0xf5) {
		need = 4;
		if (s[0] == 0xf0) {
			lo = 0x90;
		} else if (s[0] == 0xf4) {
			hi = 0x8f;
		}
	} else {
		return 0;
	}
	if (n < need || s[1] < lo || s[1] > hi) {
		return 0;
	}
	for (i = 2; i < need; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf) {
			return 0;
		}
	}
	return need;
}

static bool
has_8bit(const unsigned char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i] >= 0x80) {
			return true;
		}
	}
	return false;
}

/* RFC 5321 §4.1.3 IPv4-address-literal: four Snum of 1 to 3 digits. */
static bool
valid_ipv4(const char *s, size_t len)
{
	size_t		i = 0, digits;
	unsigned	part, value;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || s[i] != '.') {
				return false;
			}
			i++;
		}
		value = 0;
		for (digits = 0; i < len && s[i] >= '0' && s[i] <= '9';
		    digits++, i++) {
			if (digits == 3) {
				return false;
			}
			value = value * 10 + (unsigned)(s[i] - '0');
		}
		if (digits == 0 || value > 255) {
			return false;
		}
	}
	return i == len;
}

/*
 * RFC 5321 §4.1.3 IPv6-addr, checked by inet_pton on a bounded copy.  The
 * character check first keeps an embedded NUL from hiding a tail.  XXX
 * inet_pton also takes a few forms RFC 5321's grammar does not (seven
 * groups and "::"); they name valid addresses, so that is harmless.
 */
static bool
valid_ipv6(const char *s, size_t len)
{
	char		copy[INET6_ADDRSTRLEN];
	unsigned char	bin[16];
	size_t		i;

	if (len == 0 || len >= sizeof(copy)) {
		return false;
	}
	for (i = 0; i < len; i++) {
		if (!(s[i] >= '0' && s[i] <= '9') &&
		    !(lower((unsigned char)s[i]) >= 'a' &&
		    lower((unsigned char)s[i]) <= 'f') &&
		    s[i] != ':' && s[i] != '.') {
			return false;
		}
	}
	memcpy(copy, s, len);
	copy[len] = '\0';
	return inet_pton(AF_INET6, copy, bin) == 1;
}

/*
 * [IPv4] or [IPv6:addr].  General-address-literal ([tag:text]) is refused:
 * RFC 5321 defines no tag but IPv6, and nothing could deliver to one.
 */
static bool
valid_literal(const char *s, size_t len)
{
	static const char	tag[] = "ipv6:";
	size_t			i;

	if (len < 3 || s[0] != '[' || s[len - 1] != ']') {
		return false;
	}
	s++;
	len -= 2;
	if (len >= sizeof(tag) - 1) {
		for (i = 0; i < sizeof(tag) - 1; i++) {
			if (lower((unsigned char)s[i]) != tag[i]) {
				break;
			}
		}
		if (i == sizeof(tag) - 1) {
			return valid_ipv6(s + i, len - i);
		}
	}
	return valid_ipv4(s, len);
}

bool
addr_valid_domain(const char *s, size_t len, int flags)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, label = 0, n;

	if (len == 0 || len > ADDR_DOMAIN_MAX) {
		return false;
	}
	if (u[0] == '[') {
		return (flags & ADDR_DOMAIN_LITERAL) && valid_literal(s, len);
	}
	for (i = 0; i < len; i += n) {
		n = 1;
		if (u[i] == '.') {
			/* No empty label, no label ending in '-'. */
			if (label == 0 || u[i - 1] == '-') {
				return false;
			}
			label = 0;
			continue;
		}
		if (u[i] == '-') {
			if (label == 0) {
				return false;
			}
		} else if (u[i] >= 0x80 && (flags & ADDR_PATH_UTF8)) {
			if ((n = utf8_len(u + i, len - i)) == 0) {
				return false;
			}
		} else if (!is_alnum(u[i])) {
			return false;
		}
		label += n;
		if (label > ADDR_LABEL_MAX) {
			return false;
		}
	}
	/* The last label: not empty (no final dot), no final '-'. */
	return label > 0 && u[len - 1] != '-';
}

bool
addr_valid_local(const char *s, size_t len, int flags)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, n;

	for (i = 0; i < len; i += n) {
		n = 1;
		if (u[i] >= 0x80 && (flags & ADDR_PATH_UTF8)) {
			if ((n = utf8_len(u + i, len - i)) == 0) {
				return false;
			}
		} else if (u[i] < 0x20 || u[i] > 0x7e) {
			return false;
		}
	}
	return true;
}

/* The next byte of a path scan, or -1 at the scan limit. */
static int
peek(const struct path_scan *ps)
{
	return ps->pos < ps->limit ? ps->s[ps->pos] : -1;
}

static int
scan_fail(struct path_scan *ps, enum path_fail fail)
{
	ps->fail = fail;
	return -1;
}

/*
 * Check the domain the scan just passed, from start to ps->pos.  dflags:
 * ADDR_DOMAIN_LITERAL or 0.
 */
static int
scan_domain(struct path_scan *ps, size_t start, int dflags)
{
	const unsigned char	*d = ps->s + start;
	size_t			 n = ps->pos - start;

	if (!(ps->flags & ADDR_PATH_UTF8) && has_8bit(d, n)) {
		return scan_fail(ps, FAIL_8BIT);
	}
	if (n > ADDR_DOMAIN_MAX) {
		return scan_fail(ps, FAIL_LONG);
	}
	if (!addr_valid_domain((const char *)d, n,
	    dflags | (ps->flags & ADDR_PATH_UTF8))) {
		return scan_fail(ps, FAIL_SYNTAX);
	}
	return 0;
}

/*
 * RFC 5321 §4.1.2 A-d-l ":" (a source route, "@a,@b:"): checked, then
 * dropped, as §C of the RFC asks and Postfix does.
 */
static int
scan_route(struct path_scan *ps)
{
	size_t	start;
	int	c;

	if (peek(ps) != '@') {
		return 0;
	}
	for (;;) {
		ps->pos++;	/* the '@' */
		start = ps->pos;
		while ((c = peek(ps)) != -1 && c != ',' && c != ':' &&
		    c != '>' && c > ' ' && c != 0x7f) {
			ps->pos++;
		}
		if (scan_domain(ps, start, 0) == -1) {
			return -1;
		}
		if (c == ':') {
			ps->pos++;
			return 0;
		}
		if (c != ',') {
			return scan_fail(ps, FAIL_SYNTAX);
		}
		ps->pos++;
		if (peek(ps) != '@') {
			return scan_fail(ps, FAIL_SYNTAX);
		}
	}
}

/*
 * RFC 5321 §4.1.2 Quoted-string, appended to addr without its quotes and
 * with quoted-pairs resolved.  RFC 6531 adds UTF-8 to qtextSMTP but not
 * to quoted-pairSMTP.
 */
static int
scan_quoted(struct path_scan *ps, struct str *addr)
{
	int	c;

	ps->pos++;	/* the opening '"' */
	for (;;) {
		if ((c = peek(ps)) == -1) {
			return scan_fail(ps, FAIL_SYNTAX);
		}
		if (c == '"') {
			ps->pos++;
			return 0;
		}
		if (c == '\\') {
			ps->pos++;
			if ((c = peek(ps)) == -1) {
				return scan_fail(ps, FAIL_SYNTAX);
			}
			if (c >= 0x80 && !(ps->flags & ADDR_PATH_UTF8)) {
				return scan_fail(ps, FAIL_8BIT);
			}
			if (c < ' ' || c > '~') {
				return scan_fail(ps, FAIL_SYNTAX);
			}
			str_cat_char(addr, c);
			ps->pos++;
		} else if (c >= ' ' && c <= '~') {
			str_cat_char(addr, c);
			ps->pos++;
		} else if (c >= 0x80) {
			if (scan_utf8(ps, addr) == -1) {
				return -1;
			}
		} else {
			return scan_fail(ps, FAIL_SYNTAX);	/* control */
		}
	}
}

/* One UTF-8 character (only with ADDR_PATH_UTF8) onto addr. */
static int
scan_utf8(struct path_scan *ps, struct str *addr)
{
	size_t	n;

	if (!(ps->flags & ADDR_PATH_UTF8)) {
		return scan_fail(ps, FAIL_8BIT);
	}
	n = utf8_len(ps->s + ps->pos, ps->limit - ps->pos);
	if (n == 0) {
		return scan_fail(ps, FAIL_SYNTAX);
	}
	str_cat_mem(addr, ps->s + ps->pos, n);
	ps->pos += n;
	return 0;
}

/*
 * RFC 5321 §4.1.2 Mailbox, or a local part alone, appended to addr in
 * internal form.  Unless ADDR_PATH_STRICT, the local part may mix atoms,
 * quoted strings and dots freely (obsolete forms such as john.@x and
 * "a".b@x, which Postfix takes); strict wants one Dot-string or one
 * Quoted-string of at most ADDR_LOCAL_MAX octets.
 */
static int
scan_mailbox(struct path_scan *ps, struct str *addr)
{
	size_t	start = ps->pos;
	size_t	quoted = 0, atoms = 0, dots = 0;
	bool	bad_dots = false, after_dot = true;
	int	c;

	for (;;) {
		c = peek(ps);
		if (c == '"') {
			if (scan_quoted(ps, addr) == -1) {
				return -1;
			}
			quoted++;
			after_dot = false;
		} else if (c == '.') {
			if (after_dot) {
				bad_dots = true;	/* leading or double */
			}
			str_cat_char(addr, c);
			ps->pos++;
			dots++;
			after_dot = true;
		} else if (c != -1 && c < 0x80 && is_atext(c)) {
			str_cat_char(addr, c);
			ps->pos++;
			atoms++;
			after_dot = false;
		} else if (c >= 0x80) {
			if (scan_utf8(ps, addr) == -1) {
				return -1;
			}
			atoms++;
			after_dot = false;
		} else {
			break;
		}
	}
	if (dots > 0 && after_dot) {
		bad_dots = true;			/* trailing */
	}
	if (quoted == 0 && atoms == 0 && dots == 0) {
		return scan_fail(ps, FAIL_SYNTAX);	/* nothing */
	}
	if (ps->flags & ADDR_PATH_STRICT) {
		if (!(quoted == 1 && atoms == 0 && dots == 0) &&
		    !(quoted == 0 && !bad_dots)) {
			return scan_fail(ps, FAIL_SYNTAX);
		}
		if (ps->pos - start > ADDR_LOCAL_MAX) {
			return scan_fail(ps, FAIL_LONG);
		}
	}
	if (c != '@') {
		/*
		 * No domain.  The local part must not be empty (it would read
		 * as the null sender) nor hold '@' (it would read as having a
		 * domain): internal form could not tell them apart.
		 */
		if (addr->len == 0 || memchr(addr->s, '@', addr->len) != NULL) {
			return scan_fail(ps, FAIL_SYNTAX);
		}
		return 0;
	}
	ps->pos++;
	start = ps->pos;
	if (peek(ps) == '[') {
		while ((c = peek(ps)) != -1 && c != ']' && c > ' ' &&
		    c != 0x7f) {
			ps->pos++;
		}
		if (c == ']') {
			ps->pos++;
		}
	} else {
		while ((c = peek(ps)) != -1 && c != '>' && c > ' ' &&
		    c != 0x7f) {
			ps->pos++;
		}
	}
	if (scan_domain(ps, start, ADDR_DOMAIN_LITERAL) == -1) {
		return -1;
	}
	str_cat_char(addr, '@');
	str_cat_mem(addr, ps->s + start, ps->pos - start);
	return 0;
}

int
addr_parse_path(const char *in, size_t len, int flags, struct str *addr,
    size_t *end, struct addr_error *err)
{
	struct path_scan	ps;
	size_t			start;
	bool			bracket;

	str_clear(addr);
	ps.s = (const unsigned char *)in;
	ps.pos = 0;
	ps.limit = len;
	ps.capped = false;
	ps.flags = flags;
	ps.fail = FAIL_SYNTAX;
	if (flags & ADDR_PATH_LAX) {
		while (ps.pos < len && is_blank(ps.s[ps.pos])) {
			ps.pos++;
		}
	}
	if (ps.pos == len) {
		scan_fail(&ps, FAIL_EMPTY);
		goto fail;
	}
	start = ps.pos;
	bracket = ps.s[start] == '<';
	if (!bracket && !(flags & ADDR_PATH_LAX)) {
		goto fail;
	}
	/* The path, '<' and '>' included, must fit in ADDR_PATH_MAX. */
	if (len - start > ADDR_PATH_MAX) {
		ps.limit = start + ADDR_PATH_MAX;
		ps.capped = true;
	}
	if (bracket) {
		ps.pos++;
		if (peek(&ps) == '>') {
			if (!(flags & ADDR_PATH_NULL_OK)) {
				scan_fail(&ps, FAIL_NULL);
				goto fail;
			}
			ps.pos++;
			goto done;
		}
	}
	if (scan_route(&ps) == -1 || scan_mailbox(&ps, addr) == -1) {
		goto fail;
	}
	if (bracket) {
		if (peek(&ps) != '>') {
			goto fail;
		}
		ps.pos++;
	} else if (ps.pos < len && !is_blank(ps.s[ps.pos])) {
		goto fail;
	}
	if ((flags & ADDR_PATH_STRICT) && ps.pos - start > ADDR_PATH_RFC_MAX) {
		scan_fail(&ps, FAIL_LONG);
		goto fail;
	}
done:
	if (end != NULL) {
		*end = ps.pos;
	}
	return 0;

fail:
	/* A scan stopped by the length cap failed because of the length. */
	if (ps.fail == FAIL_SYNTAX && ps.capped && ps.pos >= ps.limit) {
		ps.fail = FAIL_LONG;
	}
	str_clear(addr);
	if (err != NULL) {
		*err = path_errors[ps.fail][(flags & ADDR_PATH_RCPT) ? 1 : 0];
	}
	switch (ps.fail) {
	case FAIL_LONG:
		errno = EMSGSIZE;
		break;
	case FAIL_8BIT:
		errno = EILSEQ;
		break;
	default:
		errno = EINVAL;
		break;
	}
	return -1;
}

/* RFC 5322 §3.2.3 dot-atom-text, with UTF-8 as atext (RFC 6532 §3.2). */
static bool
is_dot_atom(const unsigned char *s, size_t len)
{
	size_t	i;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.') {
		return false;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.') {
				return false;
			}
		} else if (s[i] < 0x80 && !is_atext(s[i])) {
			return false;
		}
	}
	return true;
}

void
addr_quote(const char *addr, size_t len, struct str *out)
{
	size_t	at, i;

	str_clear(out);
	if (len == 0) {
		return;		/* the null sender */
	}
	for (at = len; at > 0 && addr[at - 1] != '@'; at--) {
		continue;
	}
	/* at: the local part's length (+1 for the '@'), 0 when no '@'. */
	at = at > 0 ? at - 1 : len;
	if (is_dot_atom((const unsigned char *)addr, at)) {
		str_cat_mem(out, addr, at);
	} else {
		str_cat_char(out, '"');
		for (i = 0; i < at; i++) {
			if (addr[i] == '"' || addr[i] == '\\') {
				str_cat_char(out, '\\');
			}
			str_cat_char(out, addr[i]);
		}
		str_cat_char(out, '"');
	}
	str_cat_mem(out, addr + at, len - at);
}

int
addr_unquote(const char *ext, size_t len, struct str *out)
{
	size_t	i, at = len;
	bool	quoted = false, dangling = false;

	str_clear(out);
	if (len > 0 && memchr(ext, '\0', len) != NULL) {
		errno = EINVAL;
		return -1;
	}
	/*
	 * Find the last '@' outside quotes and quoted-pairs, and check the
	 * quoting on the way: every '"' closed, no '\' at the very end.
	 */
	for (i = 0; i < len; i++) {
		if (ext[i] == '\\') {
			if (++i == len) {
				dangling = true;
			}
		} else if (ext[i] == '"') {
			quoted = !quoted;
		} else if (ext[i] == '@' && !quoted) {
			at = i;
		}
	}
	if (quoted || dangling) {
		errno = EINVAL;
		return -1;
	}
	/* A quoted-pair never straddles at: the scan above skipped it. */
	for (i = 0; i < at; i++) {
		if (ext[i] == '\\') {
			i++;
			str_cat_char(out, ext[i]);
		} else if (ext[i] != '"') {
			str_cat_char(out, ext[i]);
		}
	}
	str_cat_mem(out, ext + at, len - at);
	return 0;
}

const char *
addr_domain(const char *addr)
{
	const char	*at = strrchr(addr, '@');

	return at != NULL ? at + 1 : NULL;
}

bool
addr_domain_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		if (lower((unsigned char)*a) != lower((unsigned char)*b)) {
			return false;
		}
	}
	return *a == *b;
}

/* True when s (len bytes) equals the C string name, ignoring ASCII case. */
static bool
name_eq(const char *s, size_t len, const char *name)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (name[i] == '\0' || lower((unsigned char)s[i]) !=
		    lower((unsigned char)name[i])) {
			return false;
		}
	}
	return name[len] == '\0';
}

/*
 * Local parts Postfix never splits: the role accounts, whatever the
 * delimiter, and with '-' as a delimiter the list names of old sendmail
 * practice.  XXX double-bounce is double_bounce_sender's default; a
 * changed value is not seen here.
 */
static bool
may_split(const char *local, size_t len, const char *delims)
{
	static const char	owner[] = "owner-", request[] = "-request";

	if (name_eq(local, len, "postmaster") ||
	    name_eq(local, len, "mailer-daemon") ||
	    name_eq(local, len, "double-bounce")) {
		return false;
	}
	if (strchr(delims, '-') != NULL) {
		if (len >= sizeof(owner) - 1 &&
		    name_eq(local, sizeof(owner) - 1, owner)) {
			return false;
		}
		if (len > sizeof(request) - 1 &&
		    name_eq(local + len - (sizeof(request) - 1),
		    sizeof(request) - 1, request)) {
			return false;
		}
	}
	return true;
}

bool
addr_split_ext(const char *addr, const char *delims,
    struct addr_parts *parts)
{
	const char	*at = strrchr(addr, '@');
	size_t		 len = at != NULL ? (size_t)(at - addr) :
	    strlen(addr);
	size_t		 i;

	str_set_mem(&parts->user, addr, len);
	str_clear(&parts->ext);
	str_clear(&parts->domain);
	if (at != NULL) {
		str_cat(&parts->domain, at + 1);
	}
	parts->delim = 0;
	if (delims == NULL || *delims == '\0' ||
	    !may_split(addr, len, delims)) {
		return false;
	}
	for (i = 0; i < len; i++) {
		if (strchr(delims, addr[i]) != NULL) {
			break;
		}
	}
	/* None found, or the user part would be empty: no split. */
	if (i == len || i == 0) {
		return false;
	}
	str_truncate(&parts->user, i);
	str_set_mem(&parts->ext, addr + i + 1, len - i - 1);
	parts->delim = (unsigned char)addr[i];
	return true;
}

void
addr_parts_free(struct addr_parts *parts)
{
	str_free(&parts->user);
	str_free(&parts->ext);
	str_free(&parts->domain);
	parts->delim = 0;
}
