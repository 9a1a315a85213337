/* SPDX-License-Identifier: ISC */
/*
 * main.c: smtpd(8), the SMTP server.
 *
 * master runs it with -H and hands it one accepted connection after
 * another (lib/handoff.h: descriptor 0 is master's channel); each
 * becomes descriptors 0 and 1 for its session, and smtpd learns the
 * client's address with getpeername(2).  What is per process is done
 * once (main.cf, the TLS key, dropping privileges or the chroot); every
 * session starts from a copy of that state (struct smtpd), so nothing of
 * one client's session is seen by the next; only the connection to
 * cleanup is kept from one session to the next (smtpd_data.c), until
 * no session came for SMTPD_IDLE_MS.  Without -H, descriptors 0
 * and 1 are the one connection.  When descriptor 0 is not a socket (or
 * with -S) it is
 * `sendmail -bs': the client is the local user on standard input and
 * output, named localhost[127.0.0.1] as Postfix does, relaying is
 * permitted, and messages go through postdrop (so they carry the user's
 * submit_uid) instead of straight to cleanup.  As root (network mode
 * only) it becomes mail_owner first; with -J (master.cf's chroot column)
 * it also chroots into queue_directory (lib/jail.h) and reaches cleanup
 * through master's public/cleanup socket.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "conf.h"
#include "dns.h"
#include "confopt.h"
#include "fd.h"
#include "handoff.h"
#include "jail.h"
#include "log.h"
#include "priv.h"
#include "proc.h"
#include "rewrite.h"
#include "smtpd.h"

/* Buffer memory of the client's stream, each direction. */
#define SMTPD_BUF	8192
/* How long an smtpd that master reuses keeps its cleanup with no
 * session (smtpd_data.c). */
#define SMTPD_IDLE_MS	1000

static void	usage(void) __attribute__((noreturn));
static int	peer_of(struct smtpd *);
static void	session_io(struct smtpd *);
static void	session_run(const struct smtpd *);
static void	serve_connection(int, void *);

static void
usage(void)
{
	static const char	text[] =
	    "usage: smtpd [-HJSv] [-c config_dir] [-o name=value ...]\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

/* An address as text, IPv4-mapped IPv6 as IPv4. */
static void
addr_text(const struct sockaddr_storage *ss, char *out, size_t size)
{
	const struct sockaddr_in6	*s6;
	const struct sockaddr_in	*s4;
	static const unsigned char	 mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (ss->ss_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)ss;
		(void)inet_ntop(AF_INET, &s4->sin_addr, out, size);
	} else if (ss->ss_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)ss;
		if (memcmp(s6->sin6_addr.s6_addr, mapped, 12) == 0) {
			(void)inet_ntop(AF_INET, s6->sin6_addr.s6_addr + 12,
			    out, size);
		} else {
			(void)inet_ntop(AF_INET6, &s6->sin6_addr, out, size);
		}
	} else {
		(void)snprintf(out, size, "unknown");
	}
}

/* The client's address: 0 (network), 1 (not a socket), -1 (error). */
static int
peer_of(struct smtpd *s)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	int			one = 1;

	memset(&ss, 0, sizeof(ss));
	if (getpeername(0, (struct sockaddr *)&ss, &len) == -1) {
		return errno == ENOTSOCK ? 1 : -1;
	}
	addr_text(&ss, s->addr, sizeof(s->addr));
	(void)snprintf(s->name, sizeof(s->name), "unknown");
	if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
		(void)setsockopt(0, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	}
	return 0;
}

/* The session itself, on descriptors 0 and 1, once s knows its peer. */
static void
session_io(struct smtpd *s)
{
	static unsigned char	 inmem[SMTPD_BUF], outmem[SMTPD_BUF];

	(void)snprintf(s->peer, sizeof(s->peer), "%s[%s]", s->name, s->addr);
	buf_init_fd(&s->in, 0, inmem, sizeof(inmem), s->timeout_ms);
	buf_init_fd(&s->out, 1, outmem, sizeof(outmem), s->timeout_ms);
	(void)smtpd_session(s);
}

/*
 * One network session on descriptors 0 and 1, from proto: the settings,
 * with no session state.  Everything the session allocates is freed.
 */
static void
session_run(const struct smtpd *proto)
{
	struct smtpd		 s = *proto;
	struct str		 err = STR_INIT;
	int			 r;

	if (peer_of(&s) != 0) {
		/* gone already (ENOTCONN), or not a socket after all */
		log_warn("getpeername");
		return;
	}
	(void)fd_set_nonblock(0, true);
	r = smtpd_policy_mynetworks(s.addr, &err);
	if (r == -1) {
		log_warnx("mynetworks: %s", err.s);
	}
	s.in_mynetworks = r == 1;
	if (conf_bool("smtpd_peername_lookup")) {
		smtpd_dns_client(&s);
	} else {
		/* not looked up: unknown, for the restrictions too */
		s.name_status = s.reverse_status = DNS_NXDOMAIN;
	}
	session_io(&s);
	smtpd_end_session(&s);
	str_free(&err);
}

/* No session for SMTPD_IDLE_MS: let go of the kept cleanup (-H). */
static void
serve_idle(void *arg)
{
	(void)arg;
	smtpd_cleanup_release();
}

/* What serve_connection needs. */
struct handoff_arg {
	const struct smtpd	*proto;
	int			 null_fd;	/* /dev/null, for 0 and 1 */
};

/* One connection master handed over (-H): a session on 0 and 1. */
static void
serve_connection(int conn, void *arg)
{
	const struct handoff_arg	*h = arg;

	if (dup2(conn, 0) == -1 || dup2(conn, 1) == -1) {
		log_warn("dup2");
	} else {
		session_run(h->proto);
	}
	/* let go of the connection: the caller's close ends it */
	if (dup2(h->null_fd, 0) == -1 || dup2(h->null_fd, 1) == -1) {
		fatal(EX_OSERR, "dup2 /dev/null");
	}
	/* the tables of the domain lists and transport_maps are read
	 * again by the next session, as by a new process (a texthash
	 * table is read when it opens; a chrooted one's tables stay open
	 * anyway); lists of plain domains stay compiled */
	rewrite_close_tables();
}

int
main(int argc, char *argv[])
{
	struct smtpd		 s;
	struct str		 err = STR_INIT;
	struct confopt_args	 args = CONFOPT_ARGS_INIT;
	struct handoff_arg	 h;
	bool			 opt_s = false, opt_jail = false;
	bool			 opt_handoff = false;
	int			 ch, r, ctl = -1;

	if (proc_init(3) == -1) {
		_exit(EX_OSERR);
	}
	log_open("smtpd", NULL);
	while ((ch = confopt_getopt(argc, argv, "c:o:HJSv", &args)) != -1) {
		switch (ch) {
		case 'H':
			opt_handoff = true;
			break;
		case 'J':
			opt_jail = true;
			break;
		case 'S':
			opt_s = true;
			break;
		default:
			usage();
		}
	}
	if (argc != optind || (opt_handoff && opt_s)) {
		usage();
	}
	if (opt_handoff) {
		/* the channel leaves 0, which each session's connection
		 * takes; 0 and 1 are /dev/null between sessions */
		h.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		ctl = fcntl(0, F_DUPFD_CLOEXEC, 3);
		if (h.null_fd == -1 || ctl == -1 || dup2(h.null_fd, 0) == -1 ||
		    dup2(h.null_fd, 1) == -1) {
			fatal(EX_OSERR, "moving the hand-off channel");
		}
	}
	memset(&s, 0, sizeof(s));
	s.config_dir = conf_dir(args.config_dir);
	confopt_load(s.config_dir, args.overrides, args.noverrides);
	/* standard output may be the client: no log line may go there */
	log_stdout_reserved();
	if (log_open("smtpd", conf_value("maillog_file")) == -1) {
		log_warn("cannot open maillog_file %s",
		    conf_value("maillog_file"));
	}
	smtpd_settings(&s);
	if (opt_handoff) {
		r = 0;
	} else if ((r = opt_s ? 1 : peer_of(&s)) == -1) {
		fatal(EX_OSERR, "getpeername");
	}
	if (r == 1) {
		s.stdin_mode = true;
		(void)snprintf(s.name, sizeof(s.name), "localhost");
		(void)snprintf(s.addr, sizeof(s.addr), "127.0.0.1");
		s.in_mynetworks = true;
		/* a file on stdin is always "ready": no pipelining checks */
		s.forbid_pipelining = false;
	} else {
		/* the key may be readable by root only */
		smtpd_tls_init(&s);
		smtpd_auth_init(&s);
		if (opt_jail) {
			smtpd_dns_prepare();
			if (jail_enter(&err) == -1) {
				fatalx(EX_CONFIG, "%s", err.s);
			}
		} else if (priv_drop(conf_value("mail_owner"), NULL) == -1) {
			fatalx(EX_CONFIG, "%s", priv_error());
		}
		if (opt_handoff) {
			h.proto = &s;
			r = handoff_serve_idle(ctl, serve_connection, &h,
			    SMTPD_IDLE_MS, serve_idle);
		} else {
			session_run(&s);
		}
		smtpd_cleanup_release();
		smtpd_free(&s);
		str_free(&err);
		rewrite_close();
		confopt_args_free(&args);
		return opt_handoff && r == -1 ? EX_IOERR : 0;
	}
	session_io(&s);
	smtpd_cleanup_release();
	smtpd_free(&s);
	str_free(&err);
	rewrite_close();
	confopt_args_free(&args);
	return 0;
}
