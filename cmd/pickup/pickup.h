/* SPDX-License-Identifier: ISC */
/*
 * pickup.h: private interface of pickup(8): main.c runs the daemon loop
 * (FIFO, timer, signals); pickup_scan.c takes the files out of maildrop/
 * and feeds them to cleanup.
 */
#ifndef POSTLET_PICKUP_H
#define POSTLET_PICKUP_H

#include <stdbool.h>
#include <sys/types.h>

struct pickup {
	/* the configuration directory, passed to cleanup as -c */
	const char	*config_dir;
	/* queue_directory and daemon_directory; borrowed */
	const char	*queue_dir;
	const char	*daemon_dir;
	/* mail_owner's uid: it may submit any uid's file (requeue) */
	uid_t		 owner_uid;
};

/*
 * One pass over queue_dir/maildrop: every file named by a queue ID, in
 * ID (arrival) order, is checked and handed to cleanup; it is removed
 * after cleanup answered OK, kept after TEMP, moved to corrupt/ when it is
 * not a valid maildrop file or cleanup answered PERM.  Stops early, between
 * two files, when SIGTERM arrived.  Returns 0, or -1 with errno when the
 * directory cannot be read (logged).
 */
int	pickup_scan(const struct pickup *);

#endif
