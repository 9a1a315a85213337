/* SPDX-License-Identifier: ISC */
/*
 * master_inet.c: what is special about inet services (master.5).
 *
 * Addresses.  The service name is PORT, HOST:PORT or [IPV6]:PORT.  PORT
 * is a number (1-65535), smtp (25), submission (587), smtps or
 * submissions (465), qmqp (628), or another name from /etc/services.
 * With a host, master listens on that host's addresses only; without,
 * on inet_interfaces: all (the wildcard address of each protocol),
 * loopback-only (127.0.0.1, ::1) or a list of addresses or host names.
 * inet_protocols (all, or a list of ipv4 and ipv6) keeps the addresses
 * of the protocols in use; with all, IPv6 sockets that the host cannot
 * make (no IPv6 in the kernel, no ::1) are skipped with a warning.
 * Every socket is SO_REUSEADDR, close-on-exec and non-blocking; IPv6
 * ones are IPV6_V6ONLY, so each address family has its own socket.
 *
 * Per-client limits, kept by master itself (there is no anvil daemon):
 * per service and client address, at most
 * smtpd_client_connection_count_limit connections at once, and
 * smtpd_client_connection_rate_limit connections per
 * anvil_rate_time_unit (counted in windows that start at a client's
 * first connection, as anvil does; refused ones count too).  Clients in
 * smtpd_client_event_limit_exceptions (networks, lib/netmatch) are
 * exempt.  -o overrides of these
 * in master.cf apply to their service.  Over a limit master answers
 * "421 4.7.0 Error: too many connections from ADDR" (or "too many
 * connection requests"; a qmqpd service gets the same text as a QMQP
 * "Z" netstring) itself, closes, and logs as Postfix's smtpd.
 * The table holds at most MASTER_CLIENTS_MAX clients per service:
 * clients with no connection and no rate window left go first, then the
 * one whose window is oldest; a client that finds no room is not
 * limited (it takes MASTER_CLIENTS_MAX clients connected at once).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "conf.h"
#include "log.h"
#include "mastercf.h"
#include "netmatch.h"
#include "scan.h"
#include "str.h"
#include "master.h"

/*
 * Connections that wait for a child: the listen(2) backlog (the kernel
 * may cap it: somaxconn).  Room for a few hundred clients over maxproc,
 * who then wait for their greeting instead of seeing their SYN dropped
 * and retried for minutes.
 */
#define INET_BACKLOG	511
/* The longest host name or address in a service name or a list. */
#define INET_HOST_MAX	255

/* Which protocols inet_protocols allows. */
struct inet_proto {
	bool	v4, v6;
	/* v6 came from "all": a host without IPv6 is no error */
	bool	v6_optional;
};

static int	inet_port(const char *, unsigned short *, struct str *);
static int	inet_protocols(struct inet_proto *, struct str *);
static void	inet_add(struct master_sock **, size_t *, size_t *, int,
		    const void *, unsigned short, bool);
static int	inet_host(const char *, unsigned short,
		    const struct inet_proto *, struct master_sock **,
		    size_t *, size_t *, struct str *);
static int	inet_param(const struct mastercf_service *, const char *,
		    struct str *, struct str *);
static void	inet_addr_of(const struct sockaddr_storage *, int *,
		    unsigned char *);
static struct master_client *inet_client(struct master_listener *, int,
		    const unsigned char *, long long);
static void	inet_refuse(const struct master_listener *, int,
		    const char *, const char *, const char *, size_t);

/* The port of a service name: 0, or -1 with the reason in err. */
static int
inet_port(const char *text, unsigned short *port, struct str *err)
{
	static const struct {
		const char	*name;
		unsigned short	 port;
	} known[] = {
		{ "smtp", 25 }, { "submission", 587 }, { "smtps", 465 },
		{ "submissions", 465 }, { "qmqp", 628 },
	};
	unsigned long long	 n;
	struct servent		*se;
	size_t			 i;

	if (text[0] >= '0' && text[0] <= '9') {
		if (scan_uint(text, 65535, &n) == -1 || n == 0) {
			str_catf(err, "bad port \"%s\" (1-65535)", text);
			return -1;
		}
		*port = (unsigned short)n;
		return 0;
	}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(text, known[i].name) == 0) {
			*port = known[i].port;
			return 0;
		}
	}
	if (text[0] != '\0' && strlen(text) <= INET_HOST_MAX &&
	    (se = getservbyname(text, "tcp")) != NULL) {
		*port = ntohs((unsigned short)se->s_port);
		return 0;
	}
	str_catf(err, "unknown service port \"%s\" (not in /etc/services)",
	    text);
	return -1;
}

/* inet_protocols: 0, or -1 with the reason in err. */
static int
inet_protocols(struct inet_proto *p, struct str *err)
{
	struct str	 word = STR_INIT;
	const char	*list = conf_value("inet_protocols");
	size_t		 pos = 0;
	int		 rc = 0;

	memset(p, 0, sizeof(*p));
	while (conf_list_next(list, &pos, &word) == 1) {
		if (strcmp(str_c(&word), "all") == 0) {
			p->v4 = true;
			if (!p->v6) {
				p->v6 = p->v6_optional = true;
			}
		} else if (strcmp(str_c(&word), "ipv4") == 0) {
			p->v4 = true;
		} else if (strcmp(str_c(&word), "ipv6") == 0) {
			p->v6 = true;
			p->v6_optional = false;
		} else {
			str_catf(err, "inet_protocols: unknown protocol "
			    "\"%s\" (all, ipv4, ipv6)", str_c(&word));
			rc = -1;
			break;
		}
	}
	if (rc == 0 && !p->v4 && !p->v6) {
		str_cat(err, "inet_protocols is empty (all, ipv4, ipv6)");
		rc = -1;
	}
	str_free(&word);
	return rc;
}

/* Append an address (4 or 16 bytes) unless it is there already. */
static void
inet_add(struct master_sock **socks, size_t *n, size_t *cap, int family,
    const void *addr, unsigned short port, bool optional)
{
	struct master_sock	 k;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	char			 text[INET6_ADDRSTRLEN];
	struct str		 label = STR_INIT;
	size_t			 i;

	memset(&k, 0, sizeof(k));
	k.fd = -1;
	k.optional = optional;
	if (family == AF_INET) {
		sin = (struct sockaddr_in *)(void *)&k.addr;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, 4);
		k.addrlen = sizeof(*sin);
	} else {
		sin6 = (struct sockaddr_in6 *)(void *)&k.addr;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, addr, 16);
		k.addrlen = sizeof(*sin6);
	}
	for (i = 0; i < *n; i++) {
		if ((*socks)[i].addrlen == k.addrlen &&
		    memcmp(&(*socks)[i].addr, &k.addr, k.addrlen) == 0) {
			return;
		}
	}
	if (inet_ntop(family, addr, text, sizeof(text)) == NULL) {
		text[0] = '\0';
	}
	str_catf(&label, family == AF_INET ? "%s:%u" : "[%s]:%u", text,
	    (unsigned int)port);
	k.label = str_take(&label);
	if (*n == *cap) {
		*cap = *cap == 0 ? 2 : *cap * 2;
		*socks = xreallocarray(*socks, *cap, sizeof(**socks));
	}
	(*socks)[(*n)++] = k;
}

/*
 * The addresses of one host (an address, [IPv6], or a name looked up
 * with getaddrinfo), of the protocols in use.  0, or -1 with err.
 */
static int
inet_host(const char *host, unsigned short port, const struct inet_proto *p,
    struct master_sock **socks, size_t *n, size_t *cap, struct str *err)
{
	char			 copy[INET_HOST_MAX + 1];
	unsigned char		 a[16];
	struct addrinfo		 hints, *res, *ai;
	size_t			 len = strlen(host), before = *n;
	int			 rc;

	if (len == 0 || len > INET_HOST_MAX) {
		str_catf(err, "bad host \"%.64s\"", host);
		return -1;
	}
	if (host[0] == '[' && len >= 2 && host[len - 1] == ']') {
		memcpy(copy, host + 1, len - 2);
		copy[len - 2] = '\0';
		if (inet_pton(AF_INET6, copy, a) != 1) {
			str_catf(err, "bad IPv6 address \"%s\"", host);
			return -1;
		}
		if (p->v6) {
			inet_add(socks, n, cap, AF_INET6, a, port, false);
		}
		return 0;
	}
	if (inet_pton(AF_INET, host, a) == 1) {
		if (p->v4) {
			inet_add(socks, n, cap, AF_INET, a, port, false);
		}
		return 0;
	}
	if (inet_pton(AF_INET6, host, a) == 1) {
		if (p->v6) {
			inet_add(socks, n, cap, AF_INET6, a, port, false);
		}
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = p->v4 && p->v6 ? AF_UNSPEC :
	    p->v4 ? AF_INET : AF_INET6;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		str_catf(err, "host \"%s\": %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET && p->v4) {
			inet_add(socks, n, cap, AF_INET,
			    &((struct sockaddr_in *)(void *)ai->ai_addr)->
			    sin_addr, port, false);
		} else if (ai->ai_family == AF_INET6 && p->v6) {
			inet_add(socks, n, cap, AF_INET6,
			    &((struct sockaddr_in6 *)(void *)ai->ai_addr)->
			    sin6_addr, port, false);
		}
	}
	freeaddrinfo(res);
	if (*n == before) {
		str_catf(err, "host \"%s\": no address of the protocols in "
		    "inet_protocols", host);
		return -1;
	}
	return 0;
}

int
master_inet_socks(const char *name, struct master_sock **socks, size_t *n,
    struct str *err)
{
	static const unsigned char any6[16], lo6[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
	};
	static const unsigned char any4[4], lo4[4] = { 127, 0, 0, 1 };
	struct inet_proto	 p;
	struct str		 host = STR_INIT, word = STR_INIT;
	const char		*colon, *list;
	unsigned short		 port;
	size_t			 cap = 0, pos = 0, i;
	int			 rc = -1;

	*socks = NULL;
	*n = 0;
	if (inet_protocols(&p, err) == -1) {
		return -1;
	}
	colon = strrchr(name, ':');
	if (colon != NULL && name[0] == '[' && colon[-1] != ']') {
		/* [::1] without a port */
		colon = NULL;
	}
	if (inet_port(colon != NULL ? colon + 1 : name, &port, err) == -1) {
		goto out;
	}
	if (colon != NULL) {
		str_set_mem(&host, name, (size_t)(colon - name));
		if (strcmp(str_c(&host), "*") == 0) {
			/* Postfix's old spelling of "every interface" */
			colon = NULL;
		} else if (inet_host(str_c(&host), port, &p, socks, n, &cap,
		    err) == -1) {
			goto out;
		}
	}
	if (colon == NULL) {
		list = conf_value("inet_interfaces");
		while (conf_list_next(list, &pos, &word) == 1) {
			if (strcmp(str_c(&word), "all") == 0) {
				if (p.v4) {
					inet_add(socks, n, &cap, AF_INET,
					    any4, port, false);
				}
				if (p.v6) {
					inet_add(socks, n, &cap, AF_INET6,
					    any6, port, p.v6_optional);
				}
			} else if (strcmp(str_c(&word), "loopback-only") ==
			    0) {
				if (p.v4) {
					inet_add(socks, n, &cap, AF_INET,
					    lo4, port, false);
				}
				if (p.v6) {
					inet_add(socks, n, &cap, AF_INET6,
					    lo6, port, p.v6_optional);
				}
			} else if (inet_host(str_c(&word), port, &p, socks, n,
			    &cap, err) == -1) {
				str_cat(err, " in inet_interfaces");
				goto out;
			}
		}
	}
	if (*n == 0) {
		str_cat(err, "no address to listen on (inet_interfaces, "
		    "inet_protocols)");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1) {
		for (i = 0; i < *n; i++) {
			free((*socks)[i].label);
		}
		free(*socks);
		*socks = NULL;
		*n = 0;
	}
	str_free(&host);
	str_free(&word);
	return rc;
}

int
master_inet_open(const char *key, struct master_sock *k)
{
	int	family = k->addr.ss_family, fd, on = 1;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		goto fail;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ==
	    -1 || (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)) {
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&k->addr, k->addrlen) == -1) {
		goto fail;
	}
	if (listen(fd, INET_BACKLOG) == -1) {
		goto fail;
	}
	k->fd = fd;
	log_debug("service %s: listening on %s", key, k->label);
	return 0;
fail:
	if (k->optional && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL ||
	    errno == EPROTONOSUPPORT)) {
		log_warnx("service %s: no IPv6 here (%s), not listening on %s",
		    key, strerror(errno), k->label);
		if (fd != -1) {
			(void)close(fd);
		}
		return 0;
	}
	log_warn("service %s: cannot listen on %s", key, k->label);
	if (fd != -1) {
		(void)close(fd);
	}
	return -1;
}

/*
 * The value of a parameter for one service: its -o override (expanded)
 * or main.cf's.  0, or -1 with the reason in err.
 */
static int
inet_param(const struct mastercf_service *cs, const char *name,
    struct str *out, struct str *err)
{
	size_t	i;

	str_clear(out);
	for (i = cs->noverrides; i > 0; i--) {
		if (strcmp(cs->overrides[i - 1].name, name) != 0) {
			continue;
		}
		if (conf_expand(conf_main(), cs->overrides[i - 1].value,
		    out) == -1) {
			str_catf(err, "-o %s: %s", name, str_c(out));
			return -1;
		}
		return 0;
	}
	str_set(out, conf_value(name));
	return 0;
}

int
master_param_uint(const struct mastercf_service *cs, const char *name,
    bool is_time, long long *v, struct str *err)
{
	struct str		 t = STR_INIT;
	unsigned long long	 u;
	int			 rc = 0;

	if (inet_param(cs, name, &t, err) == -1) {
		rc = -1;
	} else if (is_time ? scan_time(str_c(&t), 's', v) == -1 :
	    scan_uint(str_c(&t), 1000000000, &u) == -1) {
		str_catf(err, "%s: bad %s \"%s\"", name,
		    is_time ? "time" : "number", str_c(&t));
		rc = -1;
	} else if (!is_time) {
		*v = (long long)u;
	}
	str_free(&t);
	return rc;
}

int
master_inet_limits(struct master_listener *l,
    const struct mastercf_service *cs, struct str *err)
{
	struct str	t = STR_INIT, errs = STR_INIT;
	long long	v;
	int		rc = -1;

	if (master_param_uint(cs, "smtpd_client_connection_count_limit", false,
	    &v, err) == -1) {
		goto out;
	}
	l->count_limit = (size_t)v;
	if (master_param_uint(cs, "smtpd_client_connection_rate_limit", false,
	    &v, err) == -1) {
		goto out;
	}
	l->rate_limit = (size_t)v;
	if (master_param_uint(cs, "anvil_rate_time_unit", true, &v, err) ==
	    -1) {
		goto out;
	}
	l->rate_unit_ms = (v > 0 ? v : 1) * 1000;
	if (inet_param(cs, "smtpd_client_event_limit_exceptions", &t, err) ==
	    -1) {
		goto out;
	}
	/* check the patterns now: an address that matches no sane
	 * pattern goes through them all */
	if (netmatch_list(str_c(&t), "0.0.0.1", &errs) == -1 ||
	    netmatch_list(str_c(&t), "100::1", &errs) == -1) {
		str_catf(err, "smtpd_client_event_limit_exceptions: %s",
		    str_c(&errs));
		goto out;
	}
	l->exceptions = str_take(&t);
	rc = 0;
out:
	str_free(&t);
	str_free(&errs);
	return rc;
}

/* The family and address bytes of a peer (IPv4-mapped IPv6 as IPv4). */
static void
inet_addr_of(const struct sockaddr_storage *ss, int *family,
    unsigned char *addr)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)ss;
		if (memcmp(sin6->sin6_addr.s6_addr, mapped,
		    sizeof(mapped)) == 0) {
			*family = AF_INET;
			memcpy(addr, sin6->sin6_addr.s6_addr + 12, 4);
		} else {
			*family = AF_INET6;
			memcpy(addr, sin6->sin6_addr.s6_addr, 16);
		}
	} else {
		sin = (const struct sockaddr_in *)(const void *)ss;
		*family = AF_INET;
		memcpy(addr, &sin->sin_addr, 4);
	}
}

/*
 * The table entry of a client, made when missing (see the top of the
 * file for what gives way when the table is full); NULL when there is no
 * room.
 */
static struct master_client *
inet_client(struct master_listener *l, int family, const unsigned char *addr,
    long long now)
{
	struct master_client	*c, *victim = NULL;
	size_t			 i;

	for (i = 0; i < l->nclients; i++) {
		c = &l->clients[i];
		if (c->family == family && memcmp(c->addr, addr, 16) == 0) {
			return c;
		}
	}
	if (l->nclients == MASTER_CLIENTS_MAX) {
		/* drop every idle client whose rate window is over */
		for (i = l->nclients; i > 0; i--) {
			c = &l->clients[i - 1];
			if (c->count == 0 &&
			    now - c->window_start >= l->rate_unit_ms) {
				*c = l->clients[--l->nclients];
			}
		}
	}
	if (l->nclients == MASTER_CLIENTS_MAX) {
		for (i = 0; i < l->nclients; i++) {
			c = &l->clients[i];
			if (c->count == 0 && (victim == NULL ||
			    c->window_start < victim->window_start)) {
				victim = c;
			}
		}
		if (victim == NULL) {
			return NULL;
		}
		*victim = l->clients[--l->nclients];
	}
	if (l->nclients == l->capclients) {
		l->capclients = l->capclients == 0 ? 16 : l->capclients * 2;
		l->clients = xreallocarray(l->clients, l->capclients,
		    sizeof(*l->clients));
	}
	c = &l->clients[l->nclients++];
	memset(c, 0, sizeof(*c));
	c->family = family;
	memcpy(c->addr, addr, 16);
	c->window_start = now;
	return c;
}

/*
 * Answer 421 on c (never waiting) and log, as Postfix's smtpd does; a
 * qmqpd service gets QMQP's temporary failure, a "Z" netstring.
 */
static void
inet_refuse(const struct master_listener *l, int c, const char *text,
    const char *what, const char *addr, size_t n)
{
	struct str	 reply = STR_INIT, z = STR_INIT;
	const char	*prog = strrchr(l->path, '/');

	prog = prog != NULL ? prog + 1 : l->path;
	if (strcmp(prog, "qmqpd") == 0) {
		str_catf(&z, "ZError: too many %s from %s", text, addr);
		str_catf(&reply, "%zu:%s,", z.len, z.s);
	} else {
		str_catf(&reply, "421 4.7.0 Error: too many %s from %s\r\n",
		    text, addr);
	}
	(void)send(c, reply.s, reply.len, MSG_DONTWAIT | MSG_NOSIGNAL);
	/* no RST that could overtake the reply: end our side first */
	(void)shutdown(c, SHUT_WR);
	log_warnx("Connection %s limit exceeded: %zu from "
	    "unknown[%s] for service %s", what, n, addr, l->name);
	str_free(&reply);
	str_free(&z);
}

bool
master_inet_admit(struct master_listener *l, int c,
    const struct sockaddr_storage *peer, struct master_kid *kid)
{
	struct master_client	*cl;
	char			 text[INET6_ADDRSTRLEN];
	struct str		 err = STR_INIT;
	long long		 now = clock_ms();

	inet_addr_of(peer, &kid->family, kid->addr);
	kid->counted = false;
	if ((l->count_limit == 0 && l->rate_limit == 0) ||
	    (peer->ss_family != AF_INET && peer->ss_family != AF_INET6)) {
		return true;
	}
	if (inet_ntop(kid->family, kid->addr, text, sizeof(text)) == NULL) {
		return true;
	}
	switch (netmatch_list(l->exceptions != NULL ? l->exceptions : "",
	    text, &err)) {
	case 1:
		str_free(&err);
		return true;
	case -1:
		/* checked at (re)load: cannot happen; limits apply */
		log_warnx("service %s: smtpd_client_event_limit_exceptions: "
		    "%s", l->key, str_c(&err));
		break;
	default:
		break;
	}
	str_free(&err);
	if ((cl = inet_client(l, kid->family, kid->addr, now)) == NULL) {
		return true;
	}
	if (now - cl->window_start >= l->rate_unit_ms) {
		cl->window_start = now;
		cl->rate = 0;
	}
	cl->rate++;
	if (l->count_limit > 0 && cl->count >= l->count_limit) {
		inet_refuse(l, c, "connections", "concurrency", text,
		    cl->count + 1);
		return false;
	}
	if (l->rate_limit > 0 && cl->rate > l->rate_limit) {
		inet_refuse(l, c, "connection requests", "rate", text,
		    cl->rate);
		return false;
	}
	cl->count++;
	kid->counted = true;
	return true;
}

void
master_inet_release(struct master_listener *l, const struct master_kid *kid)
{
	struct master_client	*c;
	size_t			 i;

	for (i = 0; i < l->nclients; i++) {
		c = &l->clients[i];
		if (c->family != kid->family ||
		    memcmp(c->addr, kid->addr, 16) != 0) {
			continue;
		}
		if (c->count > 0) {
			c->count--;
		}
		/* without a rate limit an idle client is worth nothing */
		if (c->count == 0 && l->rate_limit == 0) {
			*c = l->clients[--l->nclients];
		}
		return;
	}
}
