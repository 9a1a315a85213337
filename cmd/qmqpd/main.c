/* SPDX-License-Identifier: ISC */
/*
 * main.c: qmqpd(8), the QMQP server of one connection.
 *
 * master runs it once per accepted connection with the socket on
 * descriptors 0 and 1; qmqpd learns the client's address with
 * getpeername(2) (the client's name is "unknown": no DNS lookups, as
 * smtpd).  As root it becomes mail_owner first; with -J (master.cf's
 * chroot column) it also chroots into queue_directory (lib/jail.h) and
 * reaches cleanup through master's public/cleanup socket.  The protocol
 * is in qmqpd_proto.c.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc.h"
#include "conf.h"
#include "confopt.h"
#include "fd.h"
#include "jail.h"
#include "log.h"
#include "priv.h"
#include "proc.h"
#include "qmqpd.h"

/* Buffer memory of the client's stream, each direction. */
#define QMQPD_BUF	8192

static void	usage(void) __attribute__((noreturn));
static int	peer_of(struct qmqpd *);
static void	settings(struct qmqpd *);

static void
usage(void)
{
	static const char	text[] =
	    "usage: qmqpd [-Jv] [-c config_dir] [-o name=value ...]\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

/* The client's address into q->addr (IPv4-mapped IPv6 as IPv4). */
static int
peer_of(struct qmqpd *q)
{
	struct sockaddr_storage		 ss;
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;
	socklen_t			 len = sizeof(ss);
	static const unsigned char	 mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	memset(&ss, 0, sizeof(ss));
	if (getpeername(0, (struct sockaddr *)&ss, &len) == -1) {
		return -1;
	}
	if (ss.ss_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)&ss;
		(void)inet_ntop(AF_INET, &s4->sin_addr, q->addr,
		    sizeof(q->addr));
	} else if (ss.ss_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)&ss;
		if (memcmp(s6->sin6_addr.s6_addr, mapped, 12) == 0) {
			(void)inet_ntop(AF_INET, s6->sin6_addr.s6_addr + 12,
			    q->addr, sizeof(q->addr));
		} else {
			(void)inet_ntop(AF_INET6, &s6->sin6_addr, q->addr,
			    sizeof(q->addr));
		}
	} else {
		/* a unix socket: a local client */
		(void)snprintf(q->addr, sizeof(q->addr), "127.0.0.1");
		(void)snprintf(q->name, sizeof(q->name), "localhost");
		return 0;
	}
	(void)snprintf(q->name, sizeof(q->name), "unknown");
	return 0;
}

static void
settings(struct qmqpd *q)
{
	long long	t;

	q->myhostname = conf_value("myhostname");
	q->size_limit = conf_size("message_size_limit");
	q->line_limit = (size_t)conf_int("line_length_limit");
	if (q->line_limit < 512) {
		q->line_limit = 512;
	}
	t = conf_time("qmqpd_timeout");
	q->timeout_ms = (int)(t > 86400 ? 86400000 : t * 1000);
	q->error_delay = conf_time("qmqpd_error_delay");
	if (q->error_delay > 3600) {
		q->error_delay = 3600;
	}
}

int
main(int argc, char *argv[])
{
	static unsigned char	 inmem[QMQPD_BUF], outmem[QMQPD_BUF];
	struct qmqpd		 q;
	struct confopt_args	 args = CONFOPT_ARGS_INIT;
	struct str		 err = STR_INIT;
	bool			 opt_jail = false;
	int			 ch;

	if (proc_init(3) == -1) {
		_exit(EX_OSERR);
	}
	log_open("qmqpd", NULL);
	while ((ch = confopt_getopt(argc, argv, "c:o:Jv", &args)) != -1) {
		if (ch != 'J') {
			usage();
		}
		opt_jail = true;
	}
	if (argc != optind) {
		usage();
	}
	memset(&q, 0, sizeof(q));
	q.config_dir = conf_dir(args.config_dir);
	confopt_load(q.config_dir, args.overrides, args.noverrides);
	/* standard output is the client: no log line may go there */
	log_stdout_reserved();
	if (log_open("qmqpd", conf_value("maillog_file")) == -1) {
		log_warn("cannot open maillog_file %s",
		    conf_value("maillog_file"));
	}
	settings(&q);
	if (peer_of(&q) == -1) {
		fatal(EX_USAGE, "getpeername: standard input must be the "
		    "client's socket");
	}
	if (opt_jail) {
		if (jail_enter(&err) == -1) {
			fatalx(EX_CONFIG, "%s", err.s);
		}
	} else if (priv_drop(conf_value("mail_owner"), NULL) == -1) {
		fatalx(EX_CONFIG, "%s", priv_error());
	}
	(void)fd_set_nonblock(0, true);
	(void)fd_set_nonblock(1, true);
	(void)snprintf(q.peer, sizeof(q.peer), "%s[%s]", q.name, q.addr);
	buf_init_fd(&q.in, 0, inmem, sizeof(inmem), q.timeout_ms);
	buf_init_fd(&q.out, 1, outmem, sizeof(outmem), q.timeout_ms);
	qmqpd_session(&q);
	confopt_args_free(&args);
	str_free(&err);
	return 0;
}
