/* SPDX-License-Identifier: ISC */
/*
 * smtp_session.c: from a next hop to a session ready for MAIL FROM.
 *
 * Next hops, as Postfix writes them: "[host]:port" and "[addr]" (no MX
 * lookup), "host:port" and "host" (MX lookup; A records without MX),
 * default port 25; for lmtp "inet:host:port", "inet:[addr]:port",
 * "host:port" (no MX lookup, default port 24) and "unix:/path".  Each
 * address is tried in order: a connection that fails or times out
 * (smtp_connect_timeout), a greeting other than 2xx (5xx too, with
 * smtp_skip_5xx_greeting) or a refused EHLO and HELO move on to the
 * next one; when none is left, smtp_fallback_relay's hosts are tried the
 * same way.  EHLO (LHLO) tells which extensions we may use.
 *
 * Replies: "NNN-text" lines then "NNN text", all with the same code; the
 * text of every line is joined with single spaces, as Postfix shows it
 * in its "host H[A] said: ..." diagnostics.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>		/* snprintf */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "fd.h"
#include "log.h"
#include "scan.h"
#include "dns.h"
#include "smtp.h"

/* A parsed next hop. */
struct smtp_dest {
	char		 host[256];	/* without brackets */
	unsigned	 port;
	bool		 literal;	/* [host]: no MX lookup */
	bool		 unix_path;	/* lmtp unix:/path */
};

static int	dest_parse(const struct smtp *, const char *, struct smtp_dest *,
		    struct smtp_status *);
static int	port_parse(const char *, unsigned *);
static size_t	dest_addrs(const struct smtp *, const struct smtp_dest *,
		    struct smtp_addr *, size_t, struct smtp_status *);
static size_t	dns_addrs(const struct smtp *, const struct smtp_dest *,
		    struct smtp_addr *, size_t, struct smtp_status *);
static int	addr_connect(const struct smtp *, struct smtp_session *,
		    const struct smtp_addr *, struct smtp_status *);
static int	handshake(struct smtp *, struct smtp_session *,
		    struct smtp_status *, bool *);
static void	ehlo_parse(struct smtp_session *, const char *);
static int	try_hop(struct smtp *, struct smtp_session *,
		    const char *, const char *, struct smtp_status *, size_t *);

void
smtp_status_set(struct smtp_status *st, enum dsn_status status,
    const char *code, const char *fmt, ...)
{
	va_list	ap;

	st->status = status;
	st->local = false;
	if (strlen(code) >= sizeof(st->code)) {
		panic("smtp_status_set: code %s", code);
	}
	memcpy(st->code, code, strlen(code) + 1);
	str_clear(&st->text);
	va_start(ap, fmt);
	str_vcatf(&st->text, fmt, ap);
	va_end(ap);
}

void
smtp_status_free(struct smtp_status *st)
{
	str_free(&st->text);
}

void
smtp_session_init(struct smtp_session *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

/* A port: digits (1-65535) or one of the few service names we know. */
static int
port_parse(const char *p, unsigned *port)
{
	static const struct {
		const char	*name;
		unsigned	 port;
	} names[] = {
		{ "smtp", 25 }, { "submission", 587 }, { "smtps", 465 },
		{ "submissions", 465 }, { "lmtp", 24 },
	};
	unsigned long long	v;
	size_t			i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(p, names[i].name) == 0) {
			*port = names[i].port;
			return 0;
		}
	}
	if (scan_uint(p, 65535, &v) == -1 || v == 0) {
		return -1;
	}
	*port = (unsigned)v;
	return 0;
}

/* Split a next hop; -1 with a permanent reason in st. */
static int
dest_parse(const struct smtp *cf, const char *nexthop, struct smtp_dest *d,
    struct smtp_status *st)
{
	const char	*p = nexthop, *end, *colon;
	size_t		 n;

	memset(d, 0, sizeof(*d));
	d->port = cf->lmtp ? 24 : 25;
	if (cf->lmtp && strncmp(p, "unix:", 5) == 0) {
		p += 5;
		if (*p == '\0' || strlen(p) >= sizeof(((struct sockaddr_un *)
		    NULL)->sun_path) || strlen(p) >= sizeof(d->host)) {
			goto bad;
		}
		memcpy(d->host, p, strlen(p) + 1);
		d->unix_path = true;
		d->literal = true;
		return 0;
	}
	if (cf->lmtp && strncmp(p, "inet:", 5) == 0) {
		p += 5;
	}
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL) {
			goto bad;
		}
		p++;
		if (strncasecmp(p, "ipv6:", 5) == 0) {
			p += 5;
		}
		n = (size_t)(end - p);
		colon = end[1] == ':' ? end + 2 : NULL;
		if (end[1] != '\0' && colon == NULL) {
			goto bad;
		}
		d->literal = true;
	} else {
		colon = strrchr(p, ':');
		n = colon != NULL ? (size_t)(colon - p) : strlen(p);
		if (colon != NULL) {
			colon++;
		}
		/* lmtp never looks up MX records */
		d->literal = cf->lmtp;
	}
	if (n == 0 || n >= sizeof(d->host)) {
		goto bad;
	}
	memcpy(d->host, p, n);
	d->host[n] = '\0';
	if (colon != NULL && port_parse(colon, &d->port) == -1) {
		goto bad;
	}
	return 0;
bad:
	smtp_status_set(st, DSN_PERM, "5.4.4", "bad next hop: \"%s\"",
	    nexthop);
	return -1;
}

/*
 * The addresses of d, at most max (and smtp_mx_address_limit), into a.
 * Returns their number, or 0 with the reason in st.
 */
static size_t
dest_addrs(const struct smtp *cf, const struct smtp_dest *d,
    struct smtp_addr *a, size_t max, struct smtp_status *st)
{
	struct in_addr	 v4;
	struct in6_addr	 v6;
	size_t		 n;

	memset(a, 0, sizeof(*a));
	if (d->unix_path) {
		memcpy(a->host, cf->myhostname, strlen(cf->myhostname) <
		    sizeof(a->host) ? strlen(cf->myhostname) + 1 : 1);
		a->host[sizeof(a->host) - 1] = '\0';
		/* Postfix: a relative path is under queue_directory */
		n = strlen(cf->queue_directory);
		if (d->host[0] != '/' && n + 1 + strlen(d->host) <
		    sizeof(a->addr)) {
			memcpy(a->addr, cf->queue_directory, n);
			a->addr[n] = '/';
			memcpy(a->addr + n + 1, d->host, strlen(d->host) + 1);
		} else if (d->host[0] != '/') {
			smtp_status_set(st, DSN_PERM, "5.4.4", "bad next hop: "
			    "\"unix:%s\": path too long", d->host);
			return 0;
		} else {
			(void)snprintf(a->addr, sizeof(a->addr), "%.107s",
			    d->host);
		}
		a->family = AF_UNIX;
		return 1;
	}
	if (inet_pton(AF_INET, d->host, &v4) == 1 ||
	    inet_pton(AF_INET6, d->host, &v6) == 1) {
		/* a numeric address is short: INET6_ADDRSTRLEN */
		(void)snprintf(a->host, sizeof(a->host), "%s", d->host);
		(void)snprintf(a->addr, sizeof(a->addr), "%.100s", d->host);
		a->family = strchr(d->host, ':') != NULL ? AF_INET6 : AF_INET;
		a->port = d->port;
		return 1;
	}
	return dns_addrs(cf, d, a, max, st);
}

/* The resolver settings, read once (smtp_dns_prepare). */
static struct dns_conf	resolver;
static bool		resolver_ok;

int
smtp_dns_prepare(struct str *err)
{
	if (!resolver_ok) {
		if (dns_conf_main(&resolver, err) == -1) {
			return -1;
		}
		resolver_ok = true;
	}
	return 0;
}

/*
 * The addresses of a host name: MX hosts (their addresses, in order)
 * unless d is literal ([host], or lmtp), else the host's own addresses.
 * Returns their number, or 0 with the reason in st: a null MX bounces
 * 5.1.10, a name that does not exist 5.4.4, anything else defers 4.4.3.
 */
static size_t
dns_addrs(const struct smtp *cf, const struct smtp_dest *d,
    struct smtp_addr *a, size_t max, struct smtp_status *st)
{
	struct dns_hosts	 hosts;
	struct str		 err = STR_INIT;
	enum dns_status		 r;
	size_t			 i, n = 0;

	(void)cf;
	if (smtp_dns_prepare(&err) == -1) {
		smtp_status_set(st, DSN_TEMP, "4.3.5", "DNS configuration: %s",
		    str_c(&err));
		str_free(&err);
		return 0;
	}
	dns_hosts_init(&hosts);
	r = d->literal ? dns_host_addrs(&resolver, d->host, &hosts) :
	    dns_mx_hosts(&resolver, d->host, &hosts);
	if (r != DNS_OK || hosts.n == 0) {
		smtp_status_set(st, r == DNS_OK ? DSN_TEMP :
		    dns_status_perm(r) ? DSN_PERM : DSN_TEMP, r == DNS_OK ?
		    "4.4.3" : dns_status_code(r), "%s", hosts.why.len > 0 ?
		    hosts.why.s : "no address found");
		goto out;
	}
	for (i = 0; i < hosts.n && n < max; i++) {
		memset(&a[n], 0, sizeof(a[n]));
		(void)snprintf(a[n].host, sizeof(a[n].host), "%s",
		    hosts.host[i].name);
		(void)snprintf(a[n].addr, sizeof(a[n].addr), "%s",
		    hosts.host[i].addr_text);
		a[n].family = hosts.host[i].family;
		a[n].port = d->port;
		n++;
	}
out:
	dns_hosts_free(&hosts);
	str_free(&err);
	return n;
}

/* Connect to a; 0 with s->fd set, or -1 with the reason in st. */
static int
addr_connect(const struct smtp *cf, struct smtp_session *s,
    const struct smtp_addr *a, struct smtp_status *st)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&ss;
	socklen_t		 len, elen;
	long long		 deadline;
	int			 fd, err = 0, one = 1, r;

	memset(&ss, 0, sizeof(ss));
	s->where = *a;
	if (a->family == AF_UNIX) {
		(void)snprintf(s->label, sizeof(s->label), "%.255s[%.107s]",
		    a->host, a->addr);
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, a->addr, strlen(a->addr) + 1);
		len = sizeof(*sun);
	} else if (a->family == AF_INET6) {
		(void)snprintf(s->label, sizeof(s->label), "%.255s[%.107s]",
		    a->host, a->addr);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)a->port);
		(void)inet_pton(AF_INET6, a->addr, &sin6->sin6_addr);
		len = sizeof(*sin6);
	} else {
		(void)snprintf(s->label, sizeof(s->label), "%.255s[%.107s]",
		    a->host, a->addr);
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)a->port);
		(void)inet_pton(AF_INET, a->addr, &sin->sin_addr);
		len = sizeof(*sin);
	}
	if ((fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		err = errno;
		goto fail;
	}
	if (a->family != AF_UNIX) {
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == -1) {
		if (errno != EINPROGRESS) {
			err = errno;
			goto fail;
		}
		deadline = clock_deadline(cf->connect_ms);
		if ((r = fd_wait(fd, POLLOUT, deadline)) <= 0) {
			err = r == 0 ? ETIMEDOUT : errno;
			goto fail;
		}
		elen = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1) {
			err = errno;
		}
		if (err != 0) {
			goto fail;
		}
	}
	s->fd = fd;
	buf_init_fd(&s->b, fd, s->mem, sizeof(s->mem), cf->helo_ms);
	s->ext = 0;
	s->size_limit = 0;
	s->jobs = 0;
	return 0;
fail:
	if (fd != -1) {
		(void)close(fd);
	}
	if (a->family == AF_UNIX) {
		smtp_status_set(st, DSN_TEMP, "4.4.1", "connect to %s: %s",
		    a->addr, strerror(err));
	} else {
		smtp_status_set(st, DSN_TEMP, "4.4.1", "connect to %s:%u: %s",
		    s->label, a->port, err == ETIMEDOUT ?
		    "Connection timed out" : strerror(err));
	}
	log_info("%s", st->text.s);
	return -1;
}

void
smtp_reply_free(struct smtp_reply *r)
{
	str_free(&r->text);
}

int
smtp_reply_read(struct smtp_session *s, int timeout_ms, struct smtp_reply *r)
{
	struct str	 line = STR_INIT;
	const char	*t;
	size_t		 n, i, lines = 0;
	int		 got, code = 0, rc = -1;
	bool		 last = false;

	r->code = 0;
	r->dsn[0] = '\0';
	str_clear(&r->text);
	s->b.timeout_ms = timeout_ms;
	while (!last) {
		if ((got = buf_getline(&s->b, &line, SMTP_REPLY_LINE_MAX))
		    != 1) {
			if (got == 0 || (got == 1 && line.len == 0)) {
				errno = EPIPE;
			} else if (errno == EMSGSIZE) {
				errno = EBADMSG;
			}
			goto out;
		}
		while (line.len > 0 && (line.s[line.len - 1] == '\n' ||
		    line.s[line.len - 1] == '\r')) {
			str_truncate(&line, line.len - 1);
		}
		/* the text goes into logs and DSNs: printable ASCII only */
		for (i = 0; i < line.len; i++) {
			if ((unsigned char)line.s[i] < 32 ||
			    (unsigned char)line.s[i] > 126) {
				line.s[i] = '?';
			}
		}
		if (line.len < 3 || !isdigit((unsigned char)line.s[0]) ||
		    !isdigit((unsigned char)line.s[1]) ||
		    !isdigit((unsigned char)line.s[2]) ||
		    (line.len > 3 && line.s[3] != ' ' && line.s[3] != '-') ||
		    line.s[0] < '2' || line.s[0] > '5') {
			errno = EBADMSG;
			goto out;
		}
		got = (line.s[0] - '0') * 100 + (line.s[1] - '0') * 10 +
		    (line.s[2] - '0');
		if (lines > 0 && got != code) {
			errno = EBADMSG;
			goto out;
		}
		code = got;
		last = line.len == 3 || line.s[3] == ' ';
		if (++lines > 1000) {
			errno = EBADMSG;
			goto out;
		}
		t = line.len > 4 ? line.s + 4 : "";
		if (r->text.len == 0) {
			str_catf(&r->text, "%d", code);
		}
		if (r->text.len + 1 + strlen(t) <= SMTP_REPLY_TEXT_MAX) {
			/* the enhanced code of later lines is dropped */
			if (lines > 1 && r->dsn[0] != '\0' &&
			    strncmp(t, r->dsn, strlen(r->dsn)) == 0 &&
			    t[strlen(r->dsn)] == ' ') {
				t += strlen(r->dsn) + 1;
			}
			str_cat(&r->text, " ");
			str_cat(&r->text, t);
		}
		if (lines == 1) {
			/* an enhanced status code of the reply's class */
			n = strspn(t, "0123456789.");
			if (n > 0 && n < sizeof(r->dsn) &&
			    (t[n] == ' ' || t[n] == '\0')) {
				memcpy(r->dsn, t, n);
				r->dsn[n] = '\0';
				if (r->dsn[0] != line.s[0] ||
				    !dsn_code_valid(r->dsn, code < 300 ?
				    DSN_OK : code < 500 ? DSN_TEMP :
				    DSN_PERM)) {
					r->dsn[0] = '\0';
				}
			}
		}
	}
	r->code = code;
	if (r->dsn[0] == '\0' || code < 200 || code >= 600) {
		(void)snprintf(r->dsn, sizeof(r->dsn), "%c.0.0",
		    code < 300 ? '2' : code < 400 ? '2' : (char)('0' +
		    code / 100));
	}
	rc = 0;
out:
	str_free(&line);
	return rc;
}

void
smtp_status_io(struct smtp_status *st, const struct smtp_session *s,
    const char *stage, int err)
{
	if (err == ETIMEDOUT) {
		smtp_status_set(st, DSN_TEMP, "4.4.2", "conversation with %s "
		    "timed out while %s", s->label, stage);
	} else if (err == EBADMSG) {
		smtp_status_set(st, DSN_TEMP, "4.5.0", "malformed reply from "
		    "%s while %s", s->label, stage);
	} else {
		smtp_status_set(st, DSN_TEMP, "4.4.2", "lost connection with "
		    "%s while %s", s->label, stage);
	}
}

void
smtp_status_reply(struct smtp_status *st, const struct smtp_session *s,
    const struct smtp_reply *r, const char *command)
{
	enum dsn_status	status = r->code >= 500 ? DSN_PERM : DSN_TEMP;
	char		code[16];

	memcpy(code, r->dsn, sizeof(code));
	if (code[0] != (status == DSN_PERM ? '5' : '4')) {
		code[0] = status == DSN_PERM ? '5' : '4';
		if (!dsn_code_valid(code, status)) {
			(void)snprintf(code, sizeof(code), "%c.0.0",
			    status == DSN_PERM ? '5' : '4');
		}
	}
	smtp_status_set(st, status, code, "host %s said: %s (in reply to %s "
	    "command)", s->label, r->text.s, command);
}

/* Extensions from the lines of an EHLO reply (text as joined). */
static void
ehlo_parse(struct smtp_session *s, const char *line)
{
	unsigned long long	v;
	const char		*p;
	size_t			n;

	if (strcasecmp(line, "PIPELINING") == 0) {
		s->ext |= SMTP_EXT_PIPELINING;
	} else if (strcasecmp(line, "8BITMIME") == 0) {
		s->ext |= SMTP_EXT_8BITMIME;
	} else if (strcasecmp(line, "SMTPUTF8") == 0) {
		s->ext |= SMTP_EXT_SMTPUTF8;
	} else if (strcasecmp(line, "DSN") == 0) {
		s->ext |= SMTP_EXT_DSN;
	} else if (strcasecmp(line, "STARTTLS") == 0) {
		s->ext |= SMTP_EXT_STARTTLS;
	} else if ((strncasecmp(line, "AUTH", 4) == 0 && (line[4] == ' ' ||
	    line[4] == '=')) && strlen(line + 5) < sizeof(s->auth)) {
		s->ext |= SMTP_EXT_AUTH;
		memcpy(s->auth, line + 5, strlen(line + 5) + 1);
	} else if (strncasecmp(line, "SIZE", 4) == 0 &&
	    (line[4] == '\0' || line[4] == ' ')) {
		s->ext |= SMTP_EXT_SIZE;
		p = line[4] == ' ' ? line + 5 : "";
		n = strspn(p, "0123456789");
		if (n > 0 && n < 20 && scan_uint_mem(p, n, ~0ULL, &v) == 0) {
			s->size_limit = v;
		}
	}
}

/*
 * The greeting, then EHLO (LHLO), then HELO when EHLO is refused.
 * Reads the EHLO reply line by line to learn the extensions.  0, or -1
 * with st (the session is then closed by the caller).
 */
static int
handshake(struct smtp *cf, struct smtp_session *s, struct smtp_status *st,
    bool *retry)
{
	struct smtp_reply	 r = SMTP_REPLY_INIT;
	struct str		 line = STR_INIT;
	const char		*hello = cf->lmtp ? "LHLO" : "EHLO";
	size_t			 lines = 0;
	int			 rc = -1, got;
	bool			 last = false;

	*retry = false;
	if (cf->tls_wrapper && !cf->lmtp && smtp_tls_wrap(cf, s, st) == -1) {
		goto out;
	}
	if (smtp_reply_read(s, cf->helo_ms, &r) == -1) {
		smtp_status_io(st, s, "receiving the initial server greeting",
		    errno);
		goto out;
	}
	if (r.code / 100 != 2) {
		smtp_status_set(st, r.code >= 500 && !cf->skip_5xx_greeting ?
		    DSN_PERM : DSN_TEMP, r.code >= 500 &&
		    !cf->skip_5xx_greeting ? "5.0.0" : "4.0.0",
		    "host %s refused to talk to me: %s", s->label, r.text.s);
		if (r.dsn[0] == (r.code >= 500 && !cf->skip_5xx_greeting ?
		    '5' : '4')) {
			memcpy(st->code, r.dsn, sizeof(st->code));
		}
		log_info("%s", st->text.s);
		goto out;
	}
ehlo:
	last = false;
	lines = 0;
	s->ext = 0;
	s->auth[0] = '\0';
	str_clear(&r.text);
	buf_printf(&s->b, "%s %s\r\n", hello, cf->helo_name);
	s->b.timeout_ms = cf->helo_ms;
	if (buf_flush(&s->b) == -1) {
		smtp_status_io(st, s, cf->lmtp ? "performing the LHLO "
		    "handshake" : "performing the EHLO handshake", errno);
		goto out;
	}
	/* read the reply's lines ourselves: each is one extension */
	while (!last) {
		got = buf_getline(&s->b, &line, SMTP_REPLY_LINE_MAX);
		if (got != 1 || line.len < 4 || (line.s[3] != ' ' &&
		    line.s[3] != '-' && line.s[3] != '\r' &&
		    line.s[3] != '\n')) {
			smtp_status_io(st, s, cf->lmtp ? "performing the LHLO "
			    "handshake" : "performing the EHLO handshake",
			    got == 1 ? EBADMSG : got == 0 ? EPIPE : errno);
			goto out;
		}
		while (line.len > 0 && (line.s[line.len - 1] == '\n' ||
		    line.s[line.len - 1] == '\r')) {
			str_truncate(&line, line.len - 1);
		}
		last = line.len == 3 || line.s[3] == ' ';
		if (++lines > 1000) {
			smtp_status_io(st, s, cf->lmtp ? "performing the LHLO "
			    "handshake" : "performing the EHLO handshake",
			    EBADMSG);
			goto out;
		}
		if (r.text.len == 0) {
			r.code = isdigit((unsigned char)line.s[0]) &&
			    isdigit((unsigned char)line.s[1]) &&
			    isdigit((unsigned char)line.s[2]) ?
			    (line.s[0] - '0') * 100 + (line.s[1] - '0') * 10 +
			    (line.s[2] - '0') : 0;
		}
		if (r.text.len < SMTP_REPLY_TEXT_MAX) {
			str_cat(&r.text, r.text.len > 0 ? " " : "");
			str_cat(&r.text, line.s);
		}
		if (line.s[0] == '2' && r.code / 100 == 2) {
			ehlo_parse(s, line.len > 4 ? line.s + 4 : "");
		}
	}
	if (r.code / 100 == 2) {
		s->ext |= SMTP_EXT_ESMTP;
		if (s->tls == NULL && !cf->lmtp &&
		    s->tls_level != SMTP_TLS_NONE) {
			if (smtp_tls_starttls(cf, s, st, retry) == -1) {
				goto out;
			}
			if (s->tls != NULL) {
				/* RFC 3207 4.2: EHLO again */
				goto ehlo;
			}
		}
		rc = 0;
		goto out;
	}
	if (s->tls_level >= SMTP_TLS_ENCRYPT && s->tls == NULL) {
		smtp_status_set(st, DSN_TEMP, "4.7.4", "TLS is required, but "
		    "host %s refused to talk to me: %s (in reply to EHLO "
		    "command)", s->label, r.text.s);
		goto out;
	}
	if (cf->lmtp) {
		smtp_status_set(st, DSN_TEMP, "4.0.0", "host %s refused to "
		    "talk to me: %s (in reply to LHLO command)", s->label,
		    r.text.s);
		goto out;
	}
	s->ext = 0;
	buf_printf(&s->b, "HELO %s\r\n", cf->helo_name);
	if (buf_flush(&s->b) == -1 || smtp_reply_read(s, cf->helo_ms, &r)
	    == -1) {
		smtp_status_io(st, s, "performing the HELO handshake", errno);
		goto out;
	}
	if (r.code / 100 != 2) {
		smtp_status_reply(st, s, &r, "HELO");
		goto out;
	}
	rc = 0;
out:
	smtp_reply_free(&r);
	str_free(&line);
	return rc;
}

/*
 * Try the addresses of one next hop, *tried counting the sessions
 * attempted against smtp_mx_session_limit.  0 with s open, -1 with st.
 * A permanent st (no such domain) ends the search.  The hop's TLS policy
 * is looked up first: a table error or a bad entry ends the search too.
 */
static int
try_hop(struct smtp *cf, struct smtp_session *s, const char *nexthop,
    const char *sender, struct smtp_status *st, size_t *tried)
{
	struct smtp_dest	 d;
	struct smtp_addr	 a[SMTP_ADDR_MAX];
	enum smtp_tls_level	 level;
	size_t			 n, i, again;
	bool			 retry;
	int			 rc = -1;

	if (dest_parse(cf, nexthop, &d, st) == -1) {
		return -1;
	}
	/* the hop being tried, for the secure TLS level's name check */
	str_set(&s->nexthop, nexthop);
	if (smtp_tls_policy(cf, s, nexthop, st) == -1) {
		return -1;
	}
	level = s->tls_level;
	if ((n = dest_addrs(cf, &d, a, SMTP_ADDR_MAX, st)) == 0) {
		return -1;
	}
	if (cf->mx_address_limit > 0 && n > cf->mx_address_limit) {
		n = cf->mx_address_limit;
	}
	for (i = 0; i < n && rc == -1; i++) {
		if (cf->mx_session_limit > 0 && *tried >= cf->mx_session_limit) {
			break;
		}
		s->tls_level = level;
		s->tls_match_try = 0;
		if (addr_connect(cf, s, &a[i], st) == -1) {
			continue;
		}
		(*tried)++;
		/*
		 * The same address again: in plaintext after a failed
		 * handshake at level may, or with the next name of
		 * match= after a name mismatch; bounded by the names.
		 */
		for (again = 0; again <= SMTP_MATCH_MAX; again++) {
			s->tls_again = false;
			if (handshake(cf, s, st, &retry) == 0 &&
			    smtp_auth(cf, s, nexthop, sender, st) == 0) {
				rc = 0;
				break;
			}
			smtp_session_close(cf, s, again == 0 &&
			    st->text.len > 0 &&
			    strstr(st->text.s, "refused to talk") == NULL &&
			    s->b.error == 0);
			if (retry) {
				/* level may: plaintext again */
				log_info("%s: trying again without TLS",
				    s->label);
				s->tls_level = SMTP_TLS_NONE;
			} else if (s->tls_again) {
				s->tls_match_try++;
				log_info("%s: trying again for another "
				    "certificate name of match=%s", s->label,
				    s->tls_match.s);
			} else {
				break;
			}
			if (addr_connect(cf, s, &a[i], st) == -1) {
				break;
			}
		}
	}
	return rc;
}

int
smtp_session_open(struct smtp *cf, struct smtp_session *s,
    const char *nexthop, const char *sender, struct smtp_status *st)
{
	struct smtp_status	 fst = SMTP_STATUS_INIT;
	struct str		 hop = STR_INIT;
	size_t			 pos = 0, tried = 0;
	int			 rc;

	smtp_session_close(cf, s, true);
	rc = try_hop(cf, s, nexthop, sender, st, &tried);
	/*
	 * smtp_fallback_relay, for destinations that cannot be found or
	 * reached (Postfix's words); when they fail too, their temporary
	 * reason is the one reported, so that nothing bounces that a
	 * fallback relay could still take later.
	 */
	while (rc == -1 && !cf->lmtp &&
	    conf_list_next(cf->fallback_relay, &pos, &hop) == 1) {
		if (strcmp(hop.s, nexthop) == 0) {
			continue;
		}
		tried = 0;
		if (try_hop(cf, s, hop.s, sender, &fst, &tried) == 0) {
			rc = 0;
		} else if (fst.status == DSN_TEMP) {
			smtp_status_set(st, fst.status, fst.code, "%s",
			    fst.text.s);
			st->local = fst.local;
		}
	}
	smtp_status_free(&fst);
	str_free(&hop);
	if (rc == 0) {
		str_set(&s->nexthop, nexthop);
	}
	return rc;
}

void
smtp_session_close(const struct smtp *cf, struct smtp_session *s,
    bool polite)
{
	struct smtp_reply	r = SMTP_REPLY_INIT;

	if (s->fd == -1) {
		return;
	}
	if (polite && s->b.error == 0) {
		buf_puts(&s->b, "QUIT\r\n");
		s->b.timeout_ms = cf->quit_ms;
		if (buf_flush(&s->b) == 0) {
			(void)smtp_reply_read(s, cf->quit_ms, &r);
		}
		smtp_reply_free(&r);
	}
	smtp_tls_end(cf, s);
	(void)close(s->fd);
	s->fd = -1;
	str_clear(&s->nexthop);
	str_clear(&s->auth_user);
	s->auth_offered = false;
}

void
smtp_session_free(const struct smtp *cf, struct smtp_session *s)
{
	smtp_session_close(cf, s, true);
	str_free(&s->nexthop);
	str_free(&s->tls_match);
	str_free(&s->auth_user);
}

int
smtp_session_rset(const struct smtp *cf, struct smtp_session *s)
{
	struct smtp_reply	r = SMTP_REPLY_INIT;
	int			rc = -1;

	buf_puts(&s->b, "RSET\r\n");
	s->b.timeout_ms = cf->rset_ms;
	if (buf_flush(&s->b) == 0 && smtp_reply_read(s, cf->rset_ms, &r) ==
	    0 && r.code / 100 == 2) {
		rc = 0;
	}
	smtp_reply_free(&r);
	if (rc == -1) {
		smtp_session_close(cf, s, false);
	}
	return rc;
}
