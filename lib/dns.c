/* SPDX-License-Identifier: ISC */
/*
 * dns.c: the stub resolver's configuration, transport and one-name
 * lookups (the wire format is in dns_packet.c, the smtp client's and
 * smtpd's lookups in dns_hosts.c; the contract in dns.h).
 *
 * Each try uses a fresh UDP socket connect()ed to the server, so the
 * kernel picks a random source port and drops datagrams from any other
 * address, and a fresh random ID; packets that are not the answer to our
 * question are ignored until the try's deadline, so a spoofer must guess
 * port, ID and question at once.  A truncated answer is asked again over
 * TCP from the same server, with a buffer of the announced size that
 * lives only for that exchange.  Every wait is poll() against a monotonic
 * deadline: a lookup takes at most attempts x servers x timeout per
 * CNAME hop.  When in doubt the answer is DNS_TEMP: a deferral can be
 * fixed, a bounce cannot.
 */
#include <sys/socket.h>
#include <sys/random.h>
#include <sys/uio.h>

#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "conf.h"
#include "dns.h"
#include "dns_int.h"
#include "fd.h"
#include "log.h"
#include "scan.h"
#include "str.h"

#define RESOLV_CONF		"/etc/resolv.conf"
#define RESOLV_CONF_MAX		65536
#define RESOLV_NS_MAX		3	/* MAXNS of the C library */
#define TCP_QUERY_SIZE		(2 + 12 + 255 + 4)
#define SPACE			" \t\r"

static int	server_parse(const char *, struct dns_server *);
static void	server_text(const struct dns_server *, char *, size_t);
static void	resolv_parse(struct dns_conf *, const char *);
static int	wait_io(int, short, long long, struct str *);
static enum dns_packet_result udp_try(const struct dns_server *,
		    const char *, unsigned, long long, struct dns_answer *);
static enum dns_packet_result tcp_try(const struct dns_server *,
		    const char *, unsigned, long long, struct dns_answer *);
static int	tcp_read(int, unsigned char *, size_t, long long,
		    struct str *);
static enum dns_status ask(const struct dns_conf *, const char *, unsigned,
		    struct dns_answer *);
static bool	name_ok(const char *);

bool
dns_status_perm(enum dns_status st)
{
	return st == DNS_NXDOMAIN || st == DNS_NODATA || st == DNS_NULLMX ||
	    st == DNS_INVAL;
}

const char *
dns_status_code(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return "2.0.0";
	case DNS_NULLMX:
		return "5.1.10";
	case DNS_NXDOMAIN:
	case DNS_NODATA:
	case DNS_INVAL:
		return "5.4.4";
	default:
		return "4.4.3";
	}
}

static const struct {
	unsigned	 type;
	const char	*name;
} types[] = {
	{ DNS_T_A, "A" }, { DNS_T_AAAA, "AAAA" }, { DNS_T_CNAME, "CNAME" },
	{ DNS_T_MX, "MX" }, { DNS_T_PTR, "PTR" }, { DNS_T_TXT, "TXT" },
};

const char *
dns_type_name(unsigned type)
{
	static char	buf[16];
	size_t		i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (types[i].type == type) {
			return types[i].name;
		}
	}
	snprintf(buf, sizeof(buf), "TYPE%u", type & 0xffff);
	return buf;
}

unsigned
dns_type_from_name(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcasecmp(types[i].name, name) == 0) {
			return types[i].type;
		}
	}
	return 0;
}

int
dns_random(void *buf, size_t n)
{
	unsigned char	*p = buf;
	ssize_t		 r;
	int		 fd;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r == -1 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			break;
		}
		p += r;
		n -= (size_t)r;
	}
	if (n == 0) {
		return 0;
	}
	/* An old kernel without getrandom(2). */
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		return -1;
	}
	while (n > 0) {
		r = fd_read(fd, p, n);
		if (r <= 0) {
			close(fd);
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	close(fd);
	return 0;
}

/*
 * Configuration.
 */

/* "192.0.2.1", "192.0.2.1:53", "2001:db8::1", "[2001:db8::1]:53". */
static int
server_parse(const char *word, struct dns_server *sv)
{
	char			 host[DNS_ADDR_SIZE + IF_NAMESIZE], *pct;
	const char		*port = NULL, *colon, *end;
	unsigned long long	 num = 53;
	unsigned		 scope = 0;
	size_t			 len;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&sv->addr;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&sv->addr;

	if (word[0] == '[') {
		end = strchr(word, ']');
		if (end == NULL) {
			return -1;
		}
		len = (size_t)(end - word - 1);
		if (end[1] == ':') {
			port = end + 2;
		} else if (end[1] != '\0') {
			return -1;
		}
		word++;
	} else {
		colon = strchr(word, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			len = (size_t)(colon - word);
			port = colon + 1;
		} else {
			len = strlen(word);
		}
	}
	if (len == 0 || len >= sizeof(host)) {
		return -1;
	}
	memcpy(host, word, len);
	host[len] = '\0';
	if (port != NULL && (scan_uint(port, 65535, &num) == -1 || num == 0)) {
		return -1;
	}
	/* fe80::1%eth0: a link-local server names its interface */
	if ((pct = strchr(host, '%')) != NULL) {
		*pct++ = '\0';
		if ((scope = if_nametoindex(pct)) == 0) {
			return -1;
		}
	}
	memset(sv, 0, sizeof(*sv));
	if (scope == 0 && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)num);
		sv->len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)num);
		sin6->sin6_scope_id = scope;
		sv->len = sizeof(*sin6);
	} else {
		return -1;
	}
	return 0;
}

static void
server_text(const struct dns_server *sv, char *out, size_t size)
{
	char	addr[DNS_ADDR_SIZE] = "?";
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&sv->addr;
	const struct sockaddr_in6 *sin6 =
	    (const struct sockaddr_in6 *)&sv->addr;

	if (sv->addr.ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		snprintf(out, size, "%s:%u", addr, ntohs(sin->sin_port));
	} else {
		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		snprintf(out, size, "[%s]:%u", addr, ntohs(sin6->sin6_port));
	}
}

/* resolv.conf(5): what we use of it; a line we cannot read is skipped. */
static void
resolv_parse(struct dns_conf *conf, const char *text)
{
	const char	*line = text, *nl;
	char		 buf[1024], *word, *save;
	size_t		 len, ns = 0;

	for (; *line != '\0'; line = nl != NULL ? nl + 1 : line + len) {
		nl = strchr(line, '\n');
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (len >= sizeof(buf)) {
			continue;
		}
		memcpy(buf, line, len);
		buf[len] = '\0';
		buf[strcspn(buf, "#;")] = '\0';
		word = strtok_r(buf, SPACE, &save);
		if (word == NULL) {
			continue;
		}
		if (strcmp(word, "nameserver") == 0) {
			word = strtok_r(NULL, SPACE, &save);
			if (word != NULL && ns < RESOLV_NS_MAX &&
			    strchr(word, '[') == NULL &&
			    server_parse(word, &conf->servers[ns]) == 0) {
				struct sockaddr_in *sin = (struct sockaddr_in *)
				    &conf->servers[ns].addr;
				struct sockaddr_in6 *sin6 =
				    (struct sockaddr_in6 *)
				    &conf->servers[ns].addr;

				/* a bare IPv4 "a:b" is not a port here */
				if (sin->sin_family == AF_INET) {
					sin->sin_port = htons(53);
				} else {
					sin6->sin6_port = htons(53);
				}
				ns++;
			}
		} else if (strcmp(word, "domain") == 0 ||
		    strcmp(word, "search") == 0) {
			conf->nsearch = 0;
			while ((word = strtok_r(NULL, SPACE, &save)) != NULL &&
			    conf->nsearch < DNS_SEARCH_MAX) {
				if (dns_text_copy(conf->search[conf->nsearch],
				    word, DNS_NAME_SIZE) == 0) {
					conf->nsearch++;
				}
			}
		} else if (strcmp(word, "options") == 0) {
			unsigned long long	n;

			while ((word = strtok_r(NULL, SPACE, &save)) != NULL) {
				if (strncmp(word, "timeout:", 8) == 0 &&
				    scan_uint(word + 8, 30, &n) == 0 && n > 0) {
					conf->timeout_ms = (int)n * 1000;
				} else if (strncmp(word, "attempts:", 9) == 0 &&
				    scan_uint(word + 9, 5, &n) == 0 && n > 0) {
					conf->attempts = (int)n;
				}
			}
		}
	}
	conf->nservers = ns;
}

int
dns_conf_init(struct dns_conf *conf, const char *resolv_conf,
    const char *servers, const char *inet_protocols, struct str *err)
{
	struct str	text = STR_INIT, word = STR_INIT;
	size_t		pos = 0;
	int		rc = -1;

	memset(conf, 0, sizeof(*conf));
	conf->timeout_ms = 5000;
	conf->attempts = 2;
	if (inet_protocols == NULL || *inet_protocols == '\0') {
		inet_protocols = "all";
	}
	while (conf_list_next(inet_protocols, &pos, &word) == 1) {
		if (str_eq(&word, "all")) {
			conf->want_inet4 = conf->want_inet6 = true;
		} else if (str_eq(&word, "ipv4")) {
			conf->want_inet4 = true;
		} else if (str_eq(&word, "ipv6")) {
			conf->want_inet6 = true;
		} else {
			str_set(err, "");
			str_catf(err, "inet_protocols: unknown protocol \"%s\"",
			    str_c(&word));
			goto out;
		}
	}
	if (!conf->want_inet4 && !conf->want_inet6) {
		conf->want_inet4 = conf->want_inet6 = true;
	}
	if (resolv_conf == NULL || *resolv_conf == '\0') {
		resolv_conf = RESOLV_CONF;
	}
	if (fd_read_file(resolv_conf, FD_FILE_MISSING_OK, RESOLV_CONF_MAX,
	    &text) == 0) {
		resolv_parse(conf, str_c(&text));
	}
	if (servers != NULL && *servers != '\0') {
		conf->nservers = 0;
		pos = 0;
		while (conf_list_next(servers, &pos, &word) == 1) {
			if (conf->nservers >= DNS_SERVERS_MAX) {
				str_set(err, "");
				str_catf(err, "dns_servers: more than %d "
				    "servers", DNS_SERVERS_MAX);
				goto out;
			}
			if (server_parse(str_c(&word),
			    &conf->servers[conf->nservers]) == -1) {
				str_set(err, "");
				str_catf(err, "dns_servers: malformed address "
				    "\"%s\"", str_c(&word));
				goto out;
			}
			conf->nservers++;
		}
	}
	if (conf->nservers == 0) {
		/* As the C library: no nameserver line means the local one. */
		(void)server_parse("127.0.0.1", &conf->servers[0]);
		conf->nservers = 1;
	}
	rc = 0;
out:
	str_free(&text);
	str_free(&word);
	return rc;
}

int
dns_conf_main(struct dns_conf *conf, struct str *err)
{
	return dns_conf_init(conf, conf_value("dns_resolv_conf"),
	    conf_value("dns_servers"), conf_value("inet_protocols"), err);
}

/*
 * Transport.
 */

void
dns_answer_init(struct dns_answer *ans)
{
	memset(ans, 0, sizeof(*ans));
	ans->status = DNS_TEMP;
}

void
dns_answer_free(struct dns_answer *ans)
{
	str_free(&ans->txt);
	str_free(&ans->why);
}

static int
wait_io(int fd, short events, long long deadline, struct str *why)
{
	if (fd_wait(fd, events, deadline) == 1) {
		return 0;
	}
	str_set(why, errno == ETIMEDOUT ? "timed out" : strerror(errno));
	return -1;
}

static enum dns_packet_result
udp_try(const struct dns_server *sv, const char *name, unsigned type,
    long long deadline, struct dns_answer *ans)
{
	unsigned char		 query[DNS_UDP_SIZE], reply[DNS_UDP_SIZE];
	struct iovec		 iov;
	struct msghdr		 msg;
	uint16_t		 id;
	size_t			 qlen;
	ssize_t			 n;
	int			 fd;
	enum dns_packet_result	 res = DNS_PKT_BAD;

	if (dns_random(&id, sizeof(id)) == -1) {
		str_set(&ans->why, "no random numbers");
		return DNS_PKT_BAD;
	}
	qlen = dns_packet_query(query, sizeof(query), id, name, type);
	fd = socket(sv->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		str_set(&ans->why, strerror(errno));
		return DNS_PKT_BAD;
	}
	/* connect: a random local port, and only the server's datagrams */
	if (connect(fd, (const struct sockaddr *)&sv->addr, sv->len) == -1 ||
	    send(fd, query, qlen, 0) != (ssize_t)qlen) {
		str_set(&ans->why, strerror(errno));
		goto out;
	}
	for (;;) {
		if (wait_io(fd, POLLIN, deadline, &ans->why) == -1) {
			break;
		}
		iov.iov_base = reply;
		iov.iov_len = sizeof(reply);
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		n = recvmsg(fd, &msg, 0);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN) {
				continue;
			}
			str_set(&ans->why, strerror(errno));
			break;
		}
		/*
		 * A datagram over 512 bytes (a server that ignores RFC 1035's
		 * limit) was cut by the kernel: take it for a truncated
		 * answer, ours when its ID and question are.
		 */
		if ((msg.msg_flags & MSG_TRUNC) && n >= 12) {
			reply[2] |= 0x02;
		}
		res = dns_packet_parse(reply, (size_t)n, id, name, type, ans);
		if (res != DNS_PKT_FOREIGN) {
			goto out;
		}
		log_debug("dns: ignoring a foreign packet of %zd bytes", n);
	}
	res = DNS_PKT_BAD;
out:
	close(fd);
	return res;
}

/* Read exactly n bytes.  0, or -1 with why set. */
static int
tcp_read(int fd, unsigned char *buf, size_t n, long long deadline,
    struct str *why)
{
	size_t	got = 0;
	ssize_t	r;

	while (got < n) {
		if (wait_io(fd, POLLIN, deadline, why) == -1) {
			return -1;
		}
		r = fd_read(fd, buf + got, n - got);
		if (r == -1 && errno == EAGAIN) {
			continue;
		}
		if (r <= 0) {
			str_set(why, r == 0 ? "connection closed" :
			    strerror(errno));
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

static enum dns_packet_result
tcp_try(const struct dns_server *sv, const char *name, unsigned type,
    long long deadline, struct dns_answer *ans)
{
	unsigned char		 query[TCP_QUERY_SIZE], head[2], *reply = NULL;
	uint16_t		 id;
	size_t			 qlen, done = 0, rlen;
	ssize_t			 w;
	int			 fd, soerr = 0;
	socklen_t		 slen = sizeof(soerr);
	enum dns_packet_result	 res = DNS_PKT_BAD;

	if (dns_random(&id, sizeof(id)) == -1) {
		str_set(&ans->why, "no random numbers");
		return DNS_PKT_BAD;
	}
	qlen = dns_packet_query(query + 2, sizeof(query) - 2, id, name, type);
	query[0] = (unsigned char)(qlen >> 8);
	query[1] = (unsigned char)qlen;
	qlen += 2;
	fd = socket(sv->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		str_set(&ans->why, strerror(errno));
		return DNS_PKT_BAD;
	}
	if (connect(fd, (const struct sockaddr *)&sv->addr, sv->len) == -1) {
		if (errno != EINPROGRESS) {
			str_set(&ans->why, strerror(errno));
			goto out;
		}
		if (wait_io(fd, POLLOUT, deadline, &ans->why) == -1) {
			goto out;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) == -1 ||
		    soerr != 0) {
			str_set(&ans->why,
			    strerror(soerr != 0 ? soerr : errno));
			goto out;
		}
	}
	while (done < qlen) {
		if (wait_io(fd, POLLOUT, deadline, &ans->why) == -1) {
			goto out;
		}
		w = fd_write(fd, query + done, qlen - done);
		if (w == -1 && errno == EAGAIN) {
			continue;
		}
		if (w <= 0) {
			str_set(&ans->why, strerror(errno));
			goto out;
		}
		done += (size_t)w;
	}
	if (tcp_read(fd, head, 2, deadline, &ans->why) == -1) {
		goto out;
	}
	rlen = ((size_t)head[0] << 8) | head[1];
	reply = xmalloc(rlen > 0 ? rlen : 1);
	if (tcp_read(fd, reply, rlen, deadline, &ans->why) == -1) {
		goto out;
	}
	res = dns_packet_parse(reply, rlen, id, name, type, ans);
	if (res == DNS_PKT_FOREIGN || res == DNS_PKT_TRUNC) {
		str_set(&ans->why, "unexpected answer over TCP");
		res = DNS_PKT_BAD;
	}
out:
	free(reply);
	close(fd);
	return res;
}

/* One name, one type, no CNAME chasing across queries. */
static enum dns_status
ask(const struct dns_conf *conf, const char *name, unsigned type,
    struct dns_answer *ans)
{
	enum dns_packet_result	res;
	char			where[DNS_ADDR_SIZE + 10];
	int			attempt;
	size_t			i;

	str_set(&ans->why, "no name server");
	for (attempt = 0; attempt < (conf->attempts > 0 ? conf->attempts : 1);
	    attempt++) {
		for (i = 0; i < conf->nservers; i++) {
			res = udp_try(&conf->servers[i], name, type,
			    clock_deadline(conf->timeout_ms), ans);
			if (res == DNS_PKT_TRUNC) {
				res = tcp_try(&conf->servers[i], name, type,
				    clock_deadline(conf->timeout_ms), ans);
			}
			if (res == DNS_PKT_DONE) {
				return ans->status;
			}
			server_text(&conf->servers[i], where, sizeof(where));
			log_debug("dns: %s %s from %s: %s", name,
			    dns_type_name(type), where, str_c(&ans->why));
		}
	}
	ans->nrr = 0;
	ans->status = DNS_TEMP;
	return DNS_TEMP;
}

/* name with anything but printable ASCII replaced, for a text. */
void
dns_name_safe(char *out, size_t size, const char *name)
{
	size_t	i;

	for (i = 0; name[i] != '\0' && i + 1 < size; i++) {
		out[i] = name[i] > 0x20 && name[i] < 0x7f ? name[i] : '?';
	}
	out[i] = '\0';
	if (i > 1 && out[i - 1] == '.') {
		out[i - 1] = '\0';
	}
}

static bool
name_ok(const char *name)
{
	unsigned char	wire[256];
	const char	*p;

	for (p = name; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f) {
			return false;
		}
	}
	return *name != '\0' && strcmp(name, ".") != 0 &&
	    dns_name_wire(name, wire, sizeof(wire)) != 0;
}

/* Postfix's text (smtp_addr.c with dns_strerror.c's words). */
void
dns_why_set(struct str *why, const char *name, unsigned type,
    enum dns_status st)
{
	char		 safe[DNS_NAME_SIZE];
	const char	*what;

	switch (st) {
	case DNS_NXDOMAIN:
		what = "Host not found";
		break;
	case DNS_NODATA:
		what = "Host found but no data record of requested type";
		break;
	case DNS_INVAL:
		what = "malformed domain name";
		break;
	default:
		what = "Host not found, try again";
		break;
	}
	dns_name_safe(safe, sizeof(safe), name);
	str_set(why, "");
	str_catf(why, "Host or domain name not found. Name service error "
	    "for name=%s type=%s: %s", safe, dns_type_name(type), what);
}

enum dns_status
dns_lookup(const struct dns_conf *conf, const char *name, unsigned type,
    struct dns_answer *ans)
{
	char	cur[DNS_NAME_SIZE];
	int	hops = 0;

	ans->nrr = 0;
	ans->type = type;
	str_clear(&ans->txt);
	if (!name_ok(name) || dns_text_copy(cur, name, sizeof(cur)) == -1) {
		ans->status = DNS_INVAL;
		ans->qname[0] = ans->cname[0] = '\0';
		dns_why_set(&ans->why, name, type, DNS_INVAL);
		return DNS_INVAL;
	}
	for (;;) {
		if (ask(conf, cur, type, ans) != DNS_OK || ans->nrr > 0) {
			break;
		}
		/* A CNAME whose target the server did not give: ask it. */
		if (++hops > DNS_CNAME_MAX) {
			ans->status = DNS_TEMP;
			break;
		}
		if (dns_text_copy(cur, ans->cname, sizeof(cur)) == -1) {
			ans->status = DNS_TEMP;
			break;
		}
	}
	(void)dns_text_copy(ans->qname, name, sizeof(ans->qname));
	if (ans->status != DNS_OK) {
		ans->nrr = 0;
		dns_why_set(&ans->why, name, type, ans->status);
	} else {
		str_clear(&ans->why);
	}
	return ans->status;
}
