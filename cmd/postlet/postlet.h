/* SPDX-License-Identifier: ISC */
/*
 * postlet.h: the subcommands of the postlet admin tool.  main.c parses
 * the global options (-c DIR, -v), loads main.cf, and calls one of these
 * with argv[0] set to the subcommand's name.  Each returns an exit status
 * from <sysexits.h> (0 on success).
 */
#ifndef POSTLET_CMD_H
#define POSTLET_CMD_H

#include <stdbool.h>
#include <sys/types.h>

/* postlet_conf.c: show and edit main.cf, like postconf(1). */
int	postlet_conf(int argc, char *argv[]);
/* postlet_check.c: report every problem in main.cf and master.cf. */
int	postlet_check(int argc, char *argv[]);
/*
 * The same check for other commands (postlet start): logs every problem
 * with file and line and returns the number of errors (0: good).
 */
int	postlet_check_config(void);
/* postlet_map.c: build and query lookup tables, like postmap(1). */
int	postlet_map(int argc, char *argv[]);
/* postlet_map.c: build and query alias tables, like postalias(1). */
int	postlet_alias(int argc, char *argv[]);

/*
 * postlet_queue.c: queue, show, delete, hold, release and requeue, like
 * Postfix's postqueue, postcat and postsuper (argv[0] says which).
 */
int	postlet_queue(int argc, char *argv[]);
/*
 * Whether we may read and change the queue ourselves (root, or the owner
 * of queue_dir/incoming/); others go through postdrop and showq.
 */
bool	postlet_queue_owner(const char *queue_dir);
/*
 * Replace ourselves with "$daemon_directory/postdrop [-c DIR] [-v] mode
 * [mode2]" (postdrop -q [-j], postdrop -f): the setgid program through
 * which other users list and flush the queue.  Fatal (EX_UNAVAILABLE)
 * when it cannot be run.
 */
void	postlet_exec_postdrop(const char *mode, const char *mode2)
	    __attribute__((noreturn));

/*
 * postlet_master.c: start, start-fg, stop, status and reload, like
 * Postfix's postfix(1) commands of the same names (argv[0] says which).
 */
int	postlet_master(int argc, char *argv[]);
/*
 * Whether master runs on queue_directory (main.cf must be loaded): 1 with
 * *pid (0 while master has not written it yet), 0 when not, -1 with the
 * reason logged when we cannot tell.  The test is master.pid's lock.
 */
int	postlet_master_running(pid_t *pid);

/*
 * postlet_flush.c: flush, like postqueue -f: make deferred mail due
 * now, then wake qmgr, or without master run pickup and qmgr once.
 */
int	postlet_flush(int argc, char *argv[]);

/*
 * postlet_dns.c: dns TYPE NAME: postlet's DNS resolver as smtp and
 * smtpd use it (records, the smtp client's host list, client names).
 */
int	postlet_dns(int argc, char *argv[]);

/* The configuration directory chosen by -c, MAIL_CONFIG or the default. */
extern const char	*postlet_config_dir;

#endif
