/* SPDX-License-Identifier: ISC */
/*
 * jail.h: a daemon that runs chrooted into queue_directory, as master.cf's
 * chroot column asks (master then starts it as root with -J).
 *
 * The jail holds only the queue, so everything the daemon needs from
 * outside must be open before the chroot (jail_enter), and paths into the
 * queue are taken from jail_queue_dir(), which is "/" inside.  What stays
 * open: the configuration (read into memory at start), every cdb: and
 * texthash: table named by a list or table parameter (map_keep_open;
 * also those in restriction lists such as check_client_access), the
 * password file (priv_keep_passwd, for unix:passwd.byname), the time
 * zone (tzset), and the log (syslog's socket, or maillog_file).  What the
 * caller opens itself first: its DNS settings, TLS key and certificate.
 * A jailed daemon cannot read main.cf again: it must exit on reload and
 * let master start it anew.
 */
#ifndef POSTLET_JAIL_H
#define POSTLET_JAIL_H

#include <stdbool.h>

#include "str.h"

/*
 * Open what stays open (above), then chroot to queue_directory and become
 * mail_owner (priv_drop).  Root only.  Returns 0, or -1 with the reason in
 * err (replaced); the process may then be half-changed and must exit.
 */
int		 jail_enter(struct str *err);
/* True after jail_enter succeeded. */
bool		 jail_active(void);
/* queue_directory as this process sees it: "/" in the jail. */
const char	*jail_queue_dir(void);
/* The path of name (relative, e.g. "public/cleanup") in the queue
 * directory as this process sees it, into out (replaced). */
void		 jail_queue_path(const char *name, struct str *out);

#endif
