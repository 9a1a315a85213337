/* SPDX-License-Identifier: ISC */
/*
 * main.c: pickup(8), the daemon that moves local submissions from
 * maildrop/ to cleanup.
 *
 * It waits on the FIFO public/pickup (opened read-write, so that it never
 * sees end of file when the last writer goes) and on a timer, and scans
 * maildrop/ after each wake-up byte and each timeout; a lost wake-up only
 * delays.  With -x it scans once and exits, for daemonless use, `postlet
 * flush' and tests.  "-o name=value" overrides a main.cf parameter, as
 * master passes a master.cf service's overrides to every daemon; they are
 * applied again after each reload.  SIGTERM ends it between two files,
 * SIGHUP rereads main.cf.  As root it creates the FIFO if needed, then
 * becomes mail_owner before it reads any maildrop file.  With -J
 * (master.cf's chroot column) it also chroots into queue_directory
 * (lib/jail.h), hands messages to master's public/cleanup socket, and
 * exits on SIGHUP, as main.cf is outside the jail: master starts it
 * again with the new configuration.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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
#include "pickup.h"
#include "priv.h"
#include "proc.h"
#include "scan.h"
#include "sig.h"
#include "str.h"

/* Drained from the FIFO at a time. */
#define PICKUP_FIFO_READ	64

static void	usage(void) __attribute__((noreturn));
static void	setup(struct pickup *, const char *, char **, size_t);
static int	open_fifo(const char *, bool, uid_t, gid_t);

static void
usage(void)
{
	static const char	text[] =
	    "usage: pickup [-Jvx] [-c config_dir] [-o name=value ...] "
	    "[-t wakeup_seconds]\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

/*
 * (Re)read main.cf, apply the noverrides "-o name=value" settings, and
 * take what pickup needs from the result.  A bad override is fatal
 * (EX_USAGE), as it is for every daemon.
 */
static void
setup(struct pickup *pu, const char *dir, char **overrides,
    size_t noverrides)
{
	const char	*owner;
	gid_t		 gid;

	confopt_load(dir, overrides, noverrides);
	if (log_open("pickup", conf_value("maillog_file")) == -1) {
		log_warn("cannot open maillog_file %s",
		    conf_value("maillog_file"));
	}
	pu->config_dir = dir;
	pu->queue_dir = conf_value("queue_directory");
	pu->daemon_dir = conf_value("daemon_directory");
	owner = conf_value("mail_owner");
	/* Non-root mode: the owner of everything is the user we run as. */
	if (!priv_is_root() || priv_lookup(owner, &pu->owner_uid, &gid,
	    NULL) == -1) {
		pu->owner_uid = geteuid();
	}
}

/*
 * Open queue_dir/public/pickup for reading, creating it (mode 0622, as
 * root owned by uid:gid) when it is missing and create is true.  Returns
 * the descriptor, or -1 (logged): pickup then runs on its timer alone.
 */
static int
open_fifo(const char *queue_dir, bool create, uid_t uid, gid_t gid)
{
	struct str	path = STR_INIT;
	int		fd = -1;

	str_catf(&path, "%s/public/pickup", queue_dir);
	if (create && mkfifo(path.s, 0622) == 0) {
		/* mkfifo applies the umask */
		if (chmod(path.s, 0622) == -1 || (priv_is_root() &&
		    chown(path.s, uid, gid) == -1)) {
			log_warn("set up %s", path.s);
		}
	} else if (create && errno != EEXIST) {
		log_warn("mkfifo %s", path.s);
	}
	/* O_RDWR: a FIFO with no writer left would read EOF forever. */
	if ((fd = fd_open_fifo(path.s, O_RDWR | O_NOFOLLOW)) == -1) {
		if (errno == EINVAL) {
			log_warnx("%s is not a FIFO (scanning on the timer "
			    "only)", path.s);
		} else {
			log_warn("open %s (scanning on the timer only)",
			    path.s);
		}
	}
	str_free(&path);
	return fd;
}

int
main(int argc, char *argv[])
{
	struct confopt_args	 args = CONFOPT_ARGS_INIT;
	struct pickup		 pu;
	struct pollfd		 pfd[2];
	unsigned long long	 wakeup = 60;
	const char		*dir, *owner;
	struct str		 err = STR_INIT;
	char			 drain[PICKUP_FIFO_READ];
	uid_t			 uid;
	gid_t			 gid;
	bool			 once = false, opt_jail = false;
	int			 ch, fifo = -1, signo, r;

	if (proc_init(3) == -1) {
		_exit(EX_OSERR);
	}
	log_open("pickup", NULL);
	while ((ch = confopt_getopt(argc, argv, "c:o:Jt:vx", &args)) != -1) {
		switch (ch) {
		case 'J':
			opt_jail = true;
			break;
		case 'x':
			once = true;
			break;
		case 't':
			if (scan_uint(optarg, 86400, &wakeup) == -1 ||
			    wakeup == 0) {
				log_error("-t: 1 to 86400 seconds");
				usage();
			}
			break;
		default:
			usage();
		}
	}
	if (argc != optind) {
		usage();
	}
	dir = conf_dir(args.config_dir);
	memset(&pu, 0, sizeof(pu));
	setup(&pu, dir, args.overrides, args.noverrides);

	owner = conf_value("mail_owner");
	if (!once) {
		uid = geteuid();
		gid = getegid();
		if (priv_is_root() && priv_lookup(owner, &uid, &gid,
		    NULL) == -1) {
			fatalx(EX_CONFIG, "mail_owner %s: %s", owner,
			    priv_error());
		}
		fifo = open_fifo(pu.queue_dir, true, uid, gid);
	}
	if (opt_jail) {
		if (jail_enter(&err) == -1) {
			fatalx(EX_CONFIG, "%s", err.s);
		}
		pu.queue_dir = jail_queue_dir();
	} else if (priv_drop(owner, NULL) == -1) {
		fatalx(EX_CONFIG, "%s", priv_error());
	}
	if (sig_catch(SIGTERM) == -1 || sig_catch(SIGHUP) == -1) {
		fatal(EX_OSERR, "signals");
	}
	if (once) {
		r = pickup_scan(&pu) == -1 ? EX_TEMPFAIL : 0;
		confopt_args_free(&args);
		return r;
	}
	log_debug("waiting on the FIFO and every %llu s", wakeup);
	for (;;) {
		(void)pickup_scan(&pu);
		pfd[0].fd = sig_fd();
		pfd[0].events = POLLIN;
		pfd[1].fd = fifo;
		pfd[1].events = POLLIN;
		r = poll(pfd, fifo != -1 ? 2 : 1, (int)wakeup * 1000);
		if (r == -1 && errno != EINTR) {
			fatal(EX_OSERR, "poll");
		}
		while ((signo = sig_next()) != 0) {
			if (signo == SIGTERM) {
				log_info("terminating on SIGTERM");
				confopt_args_free(&args);
				return 0;
			}
			if (signo == SIGHUP && jail_active()) {
				log_info("exiting to reread the "
				    "configuration");
				confopt_args_free(&args);
				return 0;
			}
			if (signo == SIGHUP) {
				log_info("rereading the configuration");
				setup(&pu, dir, args.overrides, args.noverrides);
			}
		}
		/* Any number of wake-up bytes mean one scan. */
		if (fifo != -1 && r > 0 && (pfd[1].revents & POLLIN)) {
			while (fd_read(fifo, drain, sizeof(drain)) > 0) {
				continue;
			}
		}
		if (sig_caught(SIGTERM)) {
			log_info("terminating on SIGTERM");
			confopt_args_free(&args);
			return 0;
		}
	}
}
