/* SPDX-License-Identifier: ISC */
/*
 * master.h: the parts of master, the supervisor of a postlet instance
 * (docs/master.8).  main.c parses the options and calls master_run;
 * master_queue.c makes the queue directories, master_pid.c holds the
 * pid file and its lock, master_service.c reads master.cf and starts,
 * watches and stops the daemons, master_listen.c listens on the sockets
 * of the public unix services and the inet services and runs one child
 * per connection (or hands it to a reused one), master_inet.c finds the inet services' addresses and
 * keeps their per-client limits, master_loop.c is the event loop.
 *
 * State lives in one struct master; nothing here is process-global
 * except what lib/conf and lib/sig keep.  Errors before the daemons run
 * are fatal (exit statuses in master.8); once running, master only logs.
 */
#ifndef POSTLET_MASTER_H
#define POSTLET_MASTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>

/* Stale files in tmp/ older than this are removed at start (6 hours). */
#define MASTER_TMP_MAX_AGE	(6 * 60 * 60)
/* A daemon that ends sooner than this after its start is throttled. */
#define MASTER_STARTUP_MS	2000
/* How long a stop waits for the daemons before SIGKILL, and for the
 * sessions of per-connection children before SIGTERM. */
#define MASTER_STOP_MS		10000
/* After that SIGTERM, how long until SIGKILL. */
#define MASTER_KILL_MS		2000

/* One daemon that master keeps running (one master.cf line). */
struct master_service {
	/* "name/type", for log lines and for matching on reload */
	char		*key;
	/* the FIFO that wakes it: public/<command> */
	char		*wake_name;
	/* $daemon_directory/command */
	char		*path;
	/* path's argv: command -c dir [-J] [-o n=v ...] [args], NULL-ended */
	char		**argv;
	size_t		 argc;
	/* the identity it runs as (PROC_SETID when root) */
	bool		 setid;
	uid_t		 uid;
	gid_t		 gid;
	/* seconds between wake-ups, 0: none */
	int		 wakeup;
	/* the running child, or -1 */
	pid_t		 pid;
	/* clock_ms() of its start */
	long long	 started;
	/* told to reload (SIGHUP): a clean exit then is no bad start */
	bool		 hupped;
	/* not started again before this clock_ms() (0: no throttle) */
	long long	 throttle_until;
	/* next wake-up, clock_ms() */
	long long	 next_wake;
	/* being stopped (removed or changed by a reload): never restarted */
	bool		 retired;
	/* clock_ms() after which a retired child gets SIGKILL */
	long long	 kill_at;
	/* found again in master.cf (during a reload only) */
	bool		 matched;
};

/* One listening socket of a per-connection service. */
struct master_sock {
	/* where it listens: a sockaddr_un, sockaddr_in or sockaddr_in6 */
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	/* for log lines: the path, ADDR:PORT or [ADDR]:PORT */
	char			*label;
	/* implied by inet_protocols = all: where the host has no IPv6,
	 * failing to listen is a warning, not an error */
	bool			 optional;
	/* the listening socket (non-blocking), or -1 */
	int			 fd;
};

/* One child of a per-connection service, and its client (inet). */
struct master_kid {
	pid_t			 pid;
	/* a reused child (handoff.h): our end of its channel, or -1 once
	 * closed (the child ends after its connection); -1 for others */
	int			 ctl;
	/* reused: holds a connection now, connections handed so far, and
	 * since when it is idle (clock_ms()) */
	bool			 busy;
	size_t			 uses;
	long long		 idle_since;
	/* the connection it holds, the only one it may give back */
	dev_t			 conn_dev;
	ino_t			 conn_ino;
	/* counted in the client table (master_inet.c) */
	bool			 counted;
	int			 family;
	unsigned char		 addr[16];
};

/* What master knows of one client address of an inet service. */
struct master_client {
	int			 family;
	unsigned char		 addr[16];
	/* its connections now (children running) */
	size_t			 count;
	/* connections in the rate window that began at window_start */
	size_t			 rate;
	long long		 window_start;
};

/* The client table of one inet service holds at most this many. */
#define MASTER_CLIENTS_MAX	4096

/* One service that master runs per connection (master_listen.c). */
struct master_listener {
	/* "name/type", for log lines and for matching on reload */
	char		*key;
	/* the master.cf name, for "for service NAME" in log lines */
	char		*name;
	/* an inet service (else unix: one socket in public/) */
	bool		 inet;
	/* the sockets: queue_directory/public/name, or the addresses */
	struct master_sock *socks;
	size_t		 nsocks;
	/* $daemon_directory/command, and its argv as for a daemon */
	char		*path;
	char		**argv;
	size_t		 argc;
	/* the identity children run as (PROC_SETID when root) */
	bool		 setid;
	uid_t		 uid;
	gid_t		 gid;
	/* children at most (0: no limit) */
	size_t		 maxproc;
	/* children are reused (smtpd, cleanup): master hands them
	 * connections (handoff.h), each at most max_use (0: no limit),
	 * and keeps them idle at most max_idle_ms (0: not at all) */
	bool		 reuse;
	size_t		 max_use;
	long long	 max_idle_ms;
	/* the running children */
	struct master_kid *kids;
	size_t		 nkids, capkids;
	/* no accept before this clock_ms() (0: none) */
	long long	 throttle_until;
	/* inet: the per-client limits (0: none) and their exceptions */
	size_t		 count_limit;
	size_t		 rate_limit;
	long long	 rate_unit_ms;
	char		*exceptions;
	/* inet: the client table (master_inet.c) */
	struct master_client *clients;
	size_t		 nclients, capclients;
};

struct pollfd;
struct mastercf;
struct mastercf_service;

struct master {
	/* the configuration directory (borrowed from argv or conf_dir) */
	const char		*config_dir;
	/* copies of the parameters master uses */
	char			*queue_dir;
	char			*daemon_dir;
	char			*mail_owner;
	char			*setgid_group;
	/* service_throttle_time, in milliseconds */
	long long		 throttle_ms;
	/* ids of mail_owner and setgid_group (ours when not root) */
	uid_t			 owner_uid;
	gid_t			 owner_gid;
	gid_t			 group_gid;
	bool			 root;
	/* the services, live and retired */
	struct master_service	*svc;
	size_t			 nsvc, capsvc;
	/* the per-connection services */
	struct master_listener	*lsn;
	size_t			 nlsn, caplsn;
	/* stopping: a child's SIGTERM death is expected */
	bool			 stopping;
	/* stopping: per-connection children get SIGTERM at this
	 * clock_ms(), SIGKILL at kill_at + MASTER_KILL_MS */
	long long		 lsn_kill_at;
	int			 lsn_kill_stage;
	/* the locked pid file, or -1 */
	int			 pid_fd;
};

/*
 * master_queue.c: set m->root, and look up mail_owner and setgid_group
 * when root (else take our own ids).  Fatal (EX_CONFIG) for an unknown
 * user or group, or a mail_owner that is root.
 */
void	master_queue_ids(struct master *);
/*
 * Create the queue directory, its subdirectories and the FIFOs with
 * their documented owners and modes, fixing those that differ (never
 * removing anything).  Fatal (EX_CANTCREAT, EX_OSERR) when that cannot be
 * done.
 */
void	master_queue_setup(struct master *);
/* Remove files in tmp/ not modified for MASTER_TMP_MAX_AGE; logs. */
void	master_queue_clean(const struct master *);

/*
 * master_pid.c: open and lock queue_dir/pid/master.pid (flock, exclusive,
 * non-blocking).  Another master holds it: fatal EX_TEMPFAIL "the mail
 * system is already running".  The lock stays with the open file across
 * fork (flock locks belong to the open file description).
 */
void	master_pid_lock(struct master *);
/* Write our pid (after daemonizing): 0, or -1 with errno. */
int	master_pid_write(const struct master *);
/* Remove the pid file and close it (clean exit). */
void	master_pid_remove(struct master *);

/*
 * master_service.c: read main.cf (conf_load) and master.cf and make the
 * list of daemons.  At start (reload false) every error is fatal
 * (EX_CONFIG, with file and line); on reload the files are checked first
 * and, when they have errors, logged and the running configuration kept
 * (returns -1).  On success the daemons that changed or went away are
 * stopped, new ones started when their predecessor is gone; returns 0.
 */
int	master_config(struct master *, bool reload);
/*
 * The command line of master.cf service cs: *path is
 * $daemon_directory/COMMAND, *argv "COMMAND -c config_dir [-J] [-o n=v
 * ...] [arguments ...]" NULL-ended (-J when jail), *argc its length (all
 * allocated).
 */
void	master_command(const struct master *, const struct mastercf_service *,
	    bool jail, char **path, char ***argv, size_t *argc);
/*
 * Whether service cs can run chrooted into queue_directory: its chroot
 * column is y, master is root, and its program can (mastercf_can_chroot:
 * it takes -J, lib/jail.h).  With warn, a chroot column of y that cannot
 * be honoured is logged (file, line, why); the service then runs
 * without.
 */
bool	master_chroot(const struct master *, const struct mastercf_service *,
	    bool warn);
/* Whether cs is one of the daemons master keeps running (pickup, qmgr). */
bool	master_service_runs(const struct mastercf_service *);
/* Start every live service that has no child and is not throttled. */
void	master_service_start_all(struct master *);
/*
 * A child's standard error (cmd->io[2]): our maillog_file when we log to
 * one, where the children take it when they may not open that file (a
 * root-owned file, for those started with mail_owner's ids: lib/log.h),
 * and where their stray text goes too; otherwise ours.
 */
struct proc_cmd;
void	master_child_stderr(struct proc_cmd *cmd);
/* Reap ended children, log abnormal ends, throttle bad starts. */
void	master_service_reap(struct master *);
/* Wake services whose wake-up is due; SIGKILL overdue retired ones. */
void	master_service_tick(struct master *);
/* Milliseconds until the next timed event (-1: none). */
int	master_service_timeout(const struct master *);
/* Stop every service: SIGTERM now, SIGKILL after MASTER_STOP_MS. */
void	master_service_stop_all(struct master *);
/* The number of children still running. */
size_t	master_service_running(const struct master *);
void	master_service_free(struct master *);

/*
 * master_listen.c: make the list of per-connection services from
 * master.cf (after conf_load): every inet service, and every unix
 * service with private n whose command is not pickup or qmgr (smtpd's
 * and cleanup's children are reused, handoff.h).
 * Services still there keep their sockets (those whose address is
 * unchanged) and children; removed ones are closed (unix sockets
 * removed).  Opens nothing (master_listen_open does).  Returns the
 * number of services left out for errors (each logged).
 */
int	master_listen_config(struct master *, const struct mastercf *);
/*
 * Make the sockets that are not open yet (only with master.pid locked):
 * queue_directory/public/NAME, mode 0666, owned by mail_owner, and the
 * inet addresses.  Returns the number of sockets that could not be made
 * (each logged).
 */
int	master_listen_open(struct master *);
/*
 * The sockets that may accept now (open, below maxproc or with an idle
 * reused child, not throttled) and the reused children's channels into
 * pfd (at most max, POLLIN), and their number.
 */
size_t	master_listen_pollfds(const struct master *, struct pollfd *,
	    size_t max);
/* The number of sockets and channels (an upper bound for pollfds). */
size_t	master_listen_nsocks(const struct master *);
/*
 * A number that changes whenever a socket or channel that pollfds may
 * give is closed: the same descriptor number may then be another file
 * (master_loop's epoll set is made anew).
 */
unsigned long	master_listen_closes(void);
/*
 * The descriptors to poll (master_listen_pollfds) and one that is ready:
 * on a socket, accept and run a child per connection (or hand it to an
 * idle reused one), up to maxproc; on a reused child's channel, take
 * its report.
 */
void	master_listen_event(struct master *, int fd);
/* Whether pid was a per-connection child (forgotten then; an abnormal
 * end is logged). */
bool	master_listen_reaped(struct master *, pid_t pid, int status);
/* Milliseconds until a throttled socket may accept again, an idle
 * reused child is let go (max_idle), or a stop deadline (-1: none). */
int	master_listen_timeout(const struct master *);
/* Let reused children idle past max_idle go; while stopping: SIGTERM,
 * then SIGKILL, to children past the deadline. */
void	master_listen_tick(struct master *);
/* Close every socket (unix ones removed) at once; the children finish
 * their sessions until MASTER_STOP_MS (master_listen_tick). */
void	master_listen_stop_all(struct master *);
/* The number of children still running. */
size_t	master_listen_running(const struct master *);
void	master_listen_free(struct master *);

/*
 * master_inet.c: the addresses of an inet service: its name is PORT,
 * HOST:PORT or [IPV6]:PORT (PORT a number, smtp, submission, smtps,
 * submissions, qmqp or a name from /etc/services); without a host,
 * inet_interfaces and inet_protocols decide.  Fills *socks (n of them,
 * fd -1).  Returns 0, or -1 with the reason in err.
 */
int	master_inet_socks(const char *name, struct master_sock **socks,
	    size_t *n, struct str *err);
/* Open, bind and listen on one inet socket: 0, or -1 (logged). */
int	master_inet_open(const char *key, struct master_sock *);
/*
 * Set l's client limits from main.cf and the service's -o overrides:
 * 0, or -1 with the reason in err.
 */
int	master_inet_limits(struct master_listener *,
	    const struct mastercf_service *, struct str *err);
/*
 * Count a new connection c from peer against l's per-client limits.
 * Over a limit: answer 421 on c, log, and return false; else true, with
 * kid's client fields set (counted when the client is in the table).
 */
bool	master_inet_admit(struct master_listener *, int c,
	    const struct sockaddr_storage *peer, struct master_kid *kid);
/*
 * An integer (or with is_time a time, in seconds) parameter of service
 * cs: its -o override or main.cf's.  0, or -1 with the reason in err.
 */
int	master_param_uint(const struct mastercf_service *cs, const char *name,
	    bool is_time, long long *v, struct str *err);
/* A counted child ended: its client has one connection less. */
void	master_inet_release(struct master_listener *,
	    const struct master_kid *);

/*
 * master_loop.c: leave the terminal and become a daemon: fork (the
 * parent exits 0), setsid, chdir /, standard descriptors on /dev/null.
 * Fatal (EX_OSERR) when that fails.
 */
void	master_detach(void);
/*
 * The event loop (signals through lib/sig, caught by the caller before
 * the first child starts): starts the daemons and runs until SIGTERM or
 * SIGINT, then stops them and returns the exit status.
 */
int	master_run(struct master *);

#endif
