/* SPDX-License-Identifier: ISC */
/*
 * qlist.h: the queue listing that mailq, `postlet queue [-j]' and showq
 * print, in Postfix's shapes: postqueue -p's columns ("-Queue ID-
 * --Size-- ----Arrival Time---- -Sender/Recipient-------", '*' after the
 * ID of a message in active/, '!' in hold/, the first deferral reason of
 * each recipient in parentheses, "-- N Kbytes in M Requests.") or
 * postqueue -j's JSON lines.  Also the scan of one queue directory that
 * the other queue tools use.
 *
 * Queue files are read with lib/qfile (every offset checked); one that
 * does not parse is reported (log_warnx) and left out of the listing,
 * never guessed at.  Reading needs the rights of mail_owner: callers
 * without them ask showq through postdrop -q instead.
 */
#ifndef POSTLET_QLIST_H
#define POSTLET_QLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "str.h"

/* The queues that hold messages, in listing order, NULL-ended. */
extern const char *const qlist_queues[];

/* The queue IDs of one queue directory, sorted (arrival order). */
struct qlist_ids {
	char	**ids;
	size_t	  n, cap;
};

/*
 * The queue IDs in queue_dir/name, sorted; entries that are not queue
 * IDs are skipped.  A missing directory is an empty queue.  Returns 0,
 * or -1 with errno (EACCES for a caller without the rights); q is then
 * empty.  Free q with qlist_ids_free.
 */
int	qlist_scan(const char *queue_dir, const char *name,
	    struct qlist_ids *q);
void	qlist_ids_free(struct qlist_ids *q);

/* Postfix's mailq date of sec in local time ("Tue Nov 14 22:13:20"),
 * into out (replaced); "?" when it cannot be formatted. */
void	qlist_date(long long sec, struct str *out);

/*
 * Write the listing of queue_dir to descriptor fd, as JSON lines when
 * json is true: the whole of what `postlet queue [-j]' prints.  Output
 * goes out in pieces of about 64 KiB, so memory stays bounded whatever
 * the queue's size.  Returns 0, or an OR of QLIST_UNREADABLE (some queue
 * directory could not be read: logged, the rest listed) and QLIST_WRITE
 * (writing to fd failed: logged, nothing more written).
 */
#define QLIST_UNREADABLE	1
#define QLIST_WRITE		2
int	qlist_print(const char *queue_dir, bool json, int fd);

#endif
