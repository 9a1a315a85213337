/* SPDX-License-Identifier: ISC */
/*
 * master.h: the parts of master, the supervisor of a postlet instance
 * (docs/master.8).  main.c parses the options and calls master_run;
 * master_queue.c makes the queue directories, master_pid.c holds the
 * pid file and its lock, master_service.c reads master.cf and starts,
 * watches and stops the daemons, master_listen.c listens on the sockets
 * of the public unix services and runs one child per connection,
 * master_loop.c is the event loop.
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

/* Stale files in tmp/ older than this are removed at start (6 hours). */
#define MASTER_TMP_MAX_AGE	(6 * 60 * 60)
/* A daemon that ends sooner than this after its start is throttled. */
#define MASTER_STARTUP_MS	2000
/* How long a stop waits for the daemons before SIGKILL. */
#define MASTER_STOP_MS		10000

/* One daemon that master keeps running (one master.cf line). */
struct master_service {
	/* "name/type", for log lines and for matching on reload */
	char		*key;
	/* the FIFO that wakes it: public/<command> */
	char		*wake_name;
	/* $daemon_directory/command */
	char		*path;
	/* path's argv: command -c dir [-o n=v ...] [args], NULL-ended */
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

/* One service that master runs per connection (master_listen.c). */
struct master_listener {
	/* "name/type", for log lines and for matching on reload */
	char		*key;
	/* queue_directory/public/name */
	char		*sock_path;
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
	/* the listening socket (non-blocking), or -1 */
	int		 fd;
	/* the running children */
	pid_t		*kids;
	size_t		 nkids, capkids;
	/* no accept before this clock_ms() (0: none) */
	long long	 throttle_until;
};

struct pollfd;
struct mastercf;

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
/* Start every live service that has no child and is not throttled. */
void	master_service_start_all(struct master *);
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
 * master.cf (after conf_load): every unix service with private n whose
 * command is not pickup or qmgr.  Services still there keep their socket
 * and children; removed ones are closed and their sockets removed.
 * Opens nothing (master_listen_open does).
 */
void	master_listen_config(struct master *, const struct mastercf *);
/*
 * Make the sockets that are not open yet (only with master.pid locked):
 * queue_directory/public/NAME, mode 0666, owned by mail_owner.  Returns
 * the number of services that could not listen (each logged).
 */
int	master_listen_open(struct master *);
/*
 * The sockets that may accept now (open, below maxproc, not throttled)
 * into pfd (at most max, POLLIN), and their number.
 */
size_t	master_listen_pollfds(const struct master *, struct pollfd *,
	    size_t max);
/* Accept on socket fd and run one child per connection, up to maxproc. */
void	master_listen_accept(struct master *, int fd);
/* Whether pid was a per-connection child (forgotten then; an abnormal
 * end is logged). */
bool	master_listen_reaped(struct master *, pid_t pid, int status);
/* Milliseconds until a throttled socket may accept again (-1: none). */
int	master_listen_timeout(const struct master *);
/* Close and remove every socket; SIGTERM to the children. */
void	master_listen_stop_all(struct master *);
/* The number of children still running. */
size_t	master_listen_running(const struct master *);
void	master_listen_free(struct master *);

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
