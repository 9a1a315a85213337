/* SPDX-License-Identifier: ISC */
/*
 * pipe.h: the pipe delivery agent's private interface (docs/pipe.8).
 *
 * pipe runs the command of its master.cf service's argv= attribute for
 * each job, as Postfix's pipe(8): the argv words are expanded one by one
 * (lib/expand), a word that names a per-recipient macro becoming one
 * argument per recipient of the job, and the command is executed
 * directly, never through a shell, as the user= user (never root, never
 * mail_owner).  Its standard input is the message with the lines the
 * flags ask for; its exit status and output decide every recipient of
 * the job alike (lib/runcmd).
 */
#ifndef PIPE_H
#define PIPE_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "agent.h"
#include "buf.h"
#include "str.h"

/* flags= letters. */
#define PIPE_FLAG_B	0x001	/* blank line at the end */
#define PIPE_FLAG_D	0x002	/* Delivered-To: */
#define PIPE_FLAG_F	0x004	/* From_ line */
#define PIPE_FLAG_O	0x008	/* X-Original-To: */
#define PIPE_FLAG_R	0x010	/* Return-Path: */
#define PIPE_FLAG_X	0x020	/* final delivery */
#define PIPE_FLAG_h	0x040	/* lowercase domains, next hop */
#define PIPE_FLAG_q	0x080	/* quote local parts */
#define PIPE_FLAG_u	0x100	/* lowercase local parts */
#define PIPE_FLAG_DOT	0x200	/* '.' dot-stuffing */
#define PIPE_FLAG_GT	0x400	/* '>' From_ quoting */

/* The longest command output kept for the diagnostic. */
#define PIPE_OUTPUT_MAX		2000
/* The most arguments of one command after expansion (a job with more
 * defers). */
#define PIPE_ARGS_MAX		10000

/* The service's attributes and the configuration pipe works with. */
struct pipe {
	/* the master.cf service name (for TRANSPORT_time_limit, logs) */
	struct str	  service;
	const char	 *queue_directory;
	int		  flags;
	/* user= */
	uid_t		  uid;
	gid_t		  gid;
	struct str	  user;
	/* argv= words (borrowed from main's argv) */
	char		**argv;
	size_t		  argc;
	/* size=, 0: none */
	unsigned long long size_limit;
	/* eol=, decoded */
	struct str	  eol;
	/* directory=, "" for queue_directory */
	struct str	  directory;
	/* null_sender= */
	struct str	  null_sender;
	/* seconds */
	long long	  time_limit;
	/* started as root: run as uid/gid */
	bool		  root;
};

/*
 * Parse the command attributes args[0..n-1] ("flags=", "user=",
 * "size=", "eol=", "directory=", "null_sender=", "chroot=", then
 * "argv=" and the command words) into p (pipe_attr.c).  Returns 0, or
 * -1 with the reason in why (a fatal configuration error).
 */
int	pipe_attrs(struct pipe *p, char **args, size_t n, struct str *why);

/*
 * The master.cf service whose unix pipe command has exactly the
 * arguments args (n), from config_dir/master.cf, into name; "pipe" when
 * none matches (pipe_attr.c).
 */
void	pipe_service_name(const char *config_dir, char **args, size_t n,
	    struct str *name);

/* Deliver one job (an agent_job_fn; ctx is the struct pipe). */
void	pipe_job(const struct agent_job *job, struct buf *out, void *ctx);

#endif
