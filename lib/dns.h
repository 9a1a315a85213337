/* SPDX-License-Identifier: ISC */
/*
 * dns.h: postlet's own DNS stub resolver (no getaddrinfo, no NSS: a musl
 * static binary has neither, and we want to tell NXDOMAIN from SERVFAIL).
 *
 * Three layers, all in this header:
 *   - configuration: the name servers from resolv.conf(5) or from our
 *     main.cf parameter dns_servers, timeouts and attempts;
 *   - low level: one name, one type (A, AAAA, MX, PTR, TXT, CNAME
 *     followed), over UDP from a random port with a random ID, TCP when
 *     the answer is truncated (lib/dns.c), and the wire format itself
 *     (lib/dns_packet.c), where every answer is checked: ID, question
 *     echoed, sizes, section counts, compression pointers (only backward,
 *     bounded hops), label and name lengths, RDATA lengths;
 *   - high level (lib/dns_hosts.c): the ordered list of hosts and
 *     addresses the smtp client tries for a domain (MX, null MX, implicit
 *     MX), the addresses of one host without MX (relayhost = [host]), and
 *     smtpd's client name (PTR, then forward-confirmed).
 *
 * Every lookup ends in one enum dns_status.  DNS_OK: found.  DNS_NXDOMAIN
 * (the name does not exist), DNS_NODATA (it exists, with no record of the
 * type), DNS_NULLMX (RFC 7505) and DNS_INVAL (a name that cannot be asked:
 * bad syntax or too long) are permanent.  DNS_TEMP (SERVFAIL, REFUSED,
 * timeout, malformed or unexpected answer, no server configured) is
 * temporary: when in doubt, TEMP.  With every status that is not DNS_OK
 * comes an error text in Postfix's wording, fit for a DSN or a log line:
 *   Host or domain name not found. Name service error for
 *   name=example.com type=MX: Host not found
 *
 * Memory: a UDP exchange uses a 512-byte buffer on the stack; a TCP one
 * allocates a buffer of the announced length (at most 65535) only when
 * needed and frees it before returning.  Records kept per answer are
 * bounded (DNS_RR_MAX), hosts per MX list too (DNS_HOSTS_MAX); CNAME
 * chains are followed at most DNS_CNAME_MAX times; nothing recurses.
 * A struct dns_answer is about 10 KiB (DNS_RR_MAX records with names):
 * dns_hosts.c allocates its own on the heap, for the time of one call.
 * Every wait is poll() against a lib/clock.h deadline.
 *
 * Not supported (XXX): EDNS0, DNSSEC, the resolv.conf ndots/rotate/
 * edns0 options, /etc/hosts (Postfix's smtp_host_lookup = native).  The
 * search list is read (conf->search) but never applied, as Postfix's
 * smtp client turns RES_DEFNAMES and RES_DNSRCH off.
 */
#ifndef POSTLET_DNS_H
#define POSTLET_DNS_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>

#include "str.h"

/* Record types we ask for (RFC 1035, RFC 3596). */
#define DNS_T_A		1
#define DNS_T_CNAME	5
#define DNS_T_PTR	12
#define DNS_T_MX	15
#define DNS_T_TXT	16
#define DNS_T_AAAA	28

#define DNS_NAME_SIZE	256	/* a name in text, no final dot: 253 + NUL */
#define DNS_ADDR_SIZE	46	/* INET6_ADDRSTRLEN: an address in text */
#define DNS_UDP_SIZE	512	/* RFC 1035 4.2.1, no EDNS0 */
#define DNS_RR_MAX	32	/* records kept per answer; more are dropped */
#define DNS_CNAME_MAX	8	/* CNAME hops followed per lookup */
#define DNS_SERVERS_MAX	8	/* name servers kept (resolv.conf: first 3) */
#define DNS_SEARCH_MAX	6	/* search domains kept */
#define DNS_HOSTS_MAX	100	/* entries in one dns_hosts list */
#define DNS_TXT_MAX	4096	/* bytes of TXT data kept per answer */
#define DNS_PTR_NAMES_MAX 2	/* PTR names a client name check tries */

enum dns_status {
	DNS_OK,		/* found */
	DNS_NXDOMAIN,	/* permanent: the name does not exist */
	DNS_NODATA,	/* permanent: the name exists, no record of the type */
	DNS_NULLMX,	/* permanent: null MX (RFC 7505), bounce with 5.1.10 */
	DNS_INVAL,	/* permanent: the name cannot be asked (syntax) */
	DNS_TEMP,	/* temporary: SERVFAIL, REFUSED, timeout, bad answer */
};

/* True for the statuses a message should bounce on (not DNS_OK). */
bool	dns_status_perm(enum dns_status);

/*
 * The RFC 3463 code the smtp client reports for a failed destination
 * lookup, as Postfix does: DNS_NULLMX "5.1.10", DNS_NXDOMAIN/DNS_NODATA/
 * DNS_INVAL "5.4.4", DNS_TEMP "4.4.3", DNS_OK "2.0.0".  Static string.
 */
const char *dns_status_code(enum dns_status);

/* A type's name ("MX"), or "TYPE<n>" in a static buffer for others. */
const char *dns_type_name(unsigned type);
/* A type from its name, any case ("mx" -> DNS_T_MX); 0 when unknown. */
unsigned dns_type_from_name(const char *);

/*
 * Configuration.
 */
struct dns_server {
	struct sockaddr_storage	addr;	/* IPv4 or IPv6, with port */
	socklen_t		len;
};

struct dns_conf {
	struct dns_server servers[DNS_SERVERS_MAX];
	size_t		nservers;
	char		search[DNS_SEARCH_MAX][DNS_NAME_SIZE];
	size_t		nsearch;
	int		timeout_ms;	/* per try (resolv.conf timeout:N) */
	int		attempts;	/* rounds of tries (attempts:N) */
	bool		want_inet4;	/* inet_protocols: A records wanted */
	bool		want_inet6;	/* inet_protocols: AAAA wanted */
};

/*
 * Fill conf.  resolv_conf is the path of a resolv.conf(5) file (NULL or
 * "": /etc/resolv.conf); its nameserver (IPv4, IPv6, port 53), search,
 * domain and "options timeout:N attempts:N" lines are used (defaults 5 s
 * and 2, as the C library's; timeout capped at 30, attempts at 5).  A
 * missing file means "nameserver 127.0.0.1", as the C library assumes.
 * servers is the value of dns_servers (NULL or "": unused): addresses
 * with optional ports, separated by commas and/or blanks, "127.0.0.1",
 * "127.0.0.1:5353", "::1", "[::1]:5353"; when not empty it replaces the
 * file's nameservers.  inet_protocols is "all" (NULL means "all"),
 * "ipv4", "ipv6" or "ipv4, ipv6".  Returns 0, or -1 with a message in err
 * (replacing it) for a malformed dns_servers or inet_protocols value; a
 * malformed resolv.conf line is skipped, as the C library does.
 */
int	dns_conf_init(struct dns_conf *, const char *resolv_conf,
	    const char *servers, const char *inet_protocols, struct str *err);

/*
 * dns_conf_init from the loaded main.cf (lib/conf.h conf_load): the
 * parameters dns_resolv_conf, dns_servers and inet_protocols.  A program
 * that chroots calls it before (priv_drop), as the file is outside the
 * jail; afterwards it would find no file and ask 127.0.0.1.
 */
int	dns_conf_main(struct dns_conf *, struct str *err);

/*
 * Low level: one name, one type.
 */
struct dns_rr {
	unsigned	type;		/* DNS_T_* */
	unsigned	pref;		/* MX preference */
	unsigned long	ttl;
	/*
	 * MX exchange, CNAME or PTR target (text, lowercase kept as sent,
	 * no final dot; "" for the null MX's "."); A and AAAA: the address
	 * in text; TXT: "".
	 */
	char		name[DNS_NAME_SIZE];
	unsigned char	addr[16];	/* A: 4 bytes, AAAA: 16 bytes */
	size_t		txt_off;	/* TXT: its bytes in answer txt */
	size_t		txt_len;
};

struct dns_answer {
	enum dns_status	status;
	unsigned	type;		/* the type asked */
	char		qname[DNS_NAME_SIZE];	/* the name asked */
	char		cname[DNS_NAME_SIZE];	/* after CNAMEs (= qname) */
	struct dns_rr	rr[DNS_RR_MAX];	/* records of the type, owner cname */
	size_t		nrr;
	/* TXT strings of a record joined without separator, bounded */
	struct str	txt;
	struct str	why;		/* error text when status != DNS_OK */
};

void	dns_answer_init(struct dns_answer *);
void	dns_answer_free(struct dns_answer *);

/*
 * Look up name (text, a final dot allowed) for type.  CNAMEs are followed
 * (at most DNS_CNAME_MAX hops, in one answer or by asking again; a loop is
 * DNS_TEMP, as Postfix).  Each server of conf is tried in turn, for
 * conf->attempts rounds, each try waiting conf->timeout_ms; an answer
 * with TC set is asked again over TCP from the same server.  NXDOMAIN
 * and NODATA end the lookup at once; SERVFAIL, REFUSED, a malformed
 * answer or a timeout go on to the next server, and DNS_TEMP when none
 * answered better.  Packets from another address, with another ID or
 * question, are ignored (spoofing), not errors.  Returns ans->status,
 * with ans->why set when it is not DNS_OK.  A name without a dot is not
 * completed with the search list (as Postfix's smtp client).
 */
enum dns_status dns_lookup(const struct dns_conf *, const char *name,
	    unsigned type, struct dns_answer *ans);

/*
 * High level: where to deliver.
 */
struct dns_host {
	/* MX host, or the host asked; for an address literal the address */
	char		name[DNS_NAME_SIZE];
	unsigned	pref;		/* MX preference; 0 without MX */
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];
	/* the address in text: "192.0.2.1", "2001:db8::1" */
	char		addr_text[DNS_ADDR_SIZE];
};

struct dns_hosts {
	struct dns_host	*host;		/* owned; in the order to try */
	size_t		 n;
	size_t		 cap;
	enum dns_status	 status;
	bool		 mx;		/* true when MX records were used */
	struct str	 why;		/* error text when status != DNS_OK */
};

void	dns_hosts_init(struct dns_hosts *);
void	dns_hosts_free(struct dns_hosts *);

/*
 * The hosts the smtp client tries for mail to domain, in order.
 *   - "[192.0.2.1]" or "[ipv6:2001:db8::1]" (an address literal, RFC
 *     5321 4.1.3; also "[2001:db8::1]"): that address, no lookup.
 *   - MX records, sorted by preference, equal preferences in random
 *     order; each host's addresses by inet_protocols, AAAA then A; MX
 *     hosts without addresses are skipped (a temporary failure of one is
 *     remembered and reported only when no host has an address).
 *   - a single MX "." (null MX, RFC 7505): DNS_NULLMX, no hosts.
 *   - no MX (NODATA): the domain's own A/AAAA as an implicit MX (pref 0).
 * Returns hosts->status: DNS_OK with hosts->n > 0, or another status with
 * hosts->why set ("Host or domain name not found. Name service error for
 * name=example.com type=MX: Host not found"; for the null MX "Domain
 * example.com does not accept mail (nullMX)").  The caller applies
 * smtp_mx_address_limit (take the first N) and smtp_mx_session_limit.
 * Any previous content of hosts is replaced.
 */
enum dns_status dns_mx_hosts(const struct dns_conf *, const char *domain,
	    struct dns_hosts *hosts);

/*
 * The addresses of host without MX lookup (relayhost = [host]:port,
 * lmtp inet:host:port): an address literal as above, or the host's
 * AAAA and A records by inet_protocols.  NODATA for both types is
 * DNS_NODATA.  Returns hosts->status as dns_mx_hosts.
 */
enum dns_status dns_host_addrs(const struct dns_conf *, const char *host,
	    struct dns_hosts *hosts);

/*
 * smtpd's client name, as Postfix: the PTR name of addr (text, IPv4 or
 * IPv6; an IPv4-mapped IPv6 address is looked up as IPv4), then forward-
 * confirmed (the name's A or AAAA records must contain addr).
 */
struct dns_client_name {
	char		name[DNS_NAME_SIZE];	/* confirmed, or "unknown" */
	char		reverse_name[DNS_NAME_SIZE];	/* PTR, or "unknown" */
	enum dns_status	name_status;	/* DNS_OK, DNS_TEMP, or permanent */
	enum dns_status	reverse_status;
	/*
	 * Why name is "unknown", for a warning log line, e.g. "hostname
	 * mail.example does not resolve to address 192.0.2.1" or "hostname
	 * mail.example does not resolve to address 192.0.2.1: Host not
	 * found, try again" (temporary).  Empty when name_status is DNS_OK.
	 */
	struct str	why;
};

void	dns_client_name_init(struct dns_client_name *);
void	dns_client_name_free(struct dns_client_name *);

/*
 * Fill cn for addr.  Returns cn->name_status.  An addr that is not an IP
 * address is DNS_INVAL.
 */
enum dns_status dns_client_name(const struct dns_conf *, const char *addr,
	    struct dns_client_name *cn);

/*
 * Wire format (lib/dns_packet.c), for the transport, tests and fuzzing.
 */

/*
 * Check a name in text (a final dot allowed) and write it in wire form
 * into out (lowercase kept).  Returns the wire length (at most 255), or 0
 * for an empty label, a label over 63 bytes, a name over 255 bytes in
 * wire form, or out too small.  "." and "" give the root (length 1).
 */
size_t	dns_name_wire(const char *name, unsigned char *out, size_t size);

/*
 * Build a query (RD set, one question, class IN) into buf.  Returns its
 * length, or 0 when name is invalid (see dns_name_wire) or size is short.
 */
size_t	dns_packet_query(unsigned char *buf, size_t size, unsigned id,
	    const char *name, unsigned type);

enum dns_packet_result {
	DNS_PKT_DONE,	/* an answer: ans->status says which */
	DNS_PKT_FOREIGN,	/* not the answer to our query: ignore, wait */
	DNS_PKT_TRUNC,	/* TC set: ask again over TCP */
	DNS_PKT_BAD,	/* malformed, or a server error: try another */
};

/*
 * Read the answer pkt (len bytes) to the query (id, qname, qtype).  A
 * packet shorter than a header, not a response, with another ID or
 * opcode, or whose question is not ours (compared case-insensitively) or
 * cannot be read is DNS_PKT_FOREIGN; so is one without a question unless
 * its RCODE is an error (DNS_PKT_BAD: some servers drop the question
 * when they refuse).  RCODE NXDOMAIN gives DNS_PKT_DONE with DNS_NXDOMAIN;
 * RCODE 0 gives DNS_PKT_DONE with DNS_OK (records of qtype owned by the
 * end of the CNAME chain that starts at qname, into ans->rr) or
 * DNS_NODATA; in both ans->cname is the end of the chain, and when the
 * chain ends with a CNAME whose target has no record in the answer,
 * ans->status is DNS_OK with nrr == 0 and cname the name to ask next.
 * SERVFAIL, REFUSED and other RCODEs, and any format error anywhere in
 * the packet (truncation, counts beyond the end, a compression pointer
 * forward or to itself, more than 127 hops, a label over 63 bytes, a
 * name over 255, RDATA whose length disagrees with its content, a CNAME
 * loop, trailing junk) give DNS_PKT_BAD with ans->why describing it.  TC
 * set gives DNS_PKT_TRUNC without looking further.  ans->qname and
 * ans->type are set from the arguments.
 */
enum dns_packet_result dns_packet_parse(const unsigned char *pkt, size_t len,
	    unsigned id, const char *qname, unsigned qtype,
	    struct dns_answer *ans);

/*
 * Sort the MX records of ans by preference, equal preferences in random
 * order (rnd, when not NULL, gives the random numbers, for tests; else
 * getrandom).  Returns DNS_NULLMX (and sets ans->status) when ans holds
 * the null MX (RFC 7505: one MX whose exchange is "."; a "." among other
 * MX records is dropped), else ans->status.
 */
enum dns_status dns_mx_sort(struct dns_answer *ans,
	    unsigned long (*rnd)(void));

/* Fill buf with n random bytes (getrandom, else /dev/urandom); 0 or -1. */
int	dns_random(void *buf, size_t n);

#endif
