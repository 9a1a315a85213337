/* SPDX-License-Identifier: ISC */
/*
 * dchild.h: delivery children, the processes in which local(8) does
 * the work of one delivery as the user it is for, where that work cannot
 * be done in local itself with the user's effective ids (lib/priv's
 * priv_assume): a command, a /file destination, the reading of a
 * .forward or :include: file.
 *
 * The agent itself stays as it was started (root, or the instance's
 * user) for the next job; each delivery runs in a forked child that
 * first puts /dev/null on its standard input and output (qmgr's protocol
 * is not the child's business, and nothing it runs can read jobs or
 * write answers), limits the size of files it writes (RLIMIT_FSIZE: a
 * write past it fails with EFBIG, which the caller must not let kill it:
 * ignore SIGXFSZ), and, when asked, becomes the user (priv_drop_groups:
 * supplementary groups, gid, uid, verified).  Then the caller's function
 * runs and appends its result, a line of text of its own format, which
 * the child sends to the parent on a pipe before it exits.  A child that
 * dies before it sent its result leaves an empty result: the caller
 * defers.
 */
#ifndef POSTLET_DCHILD_H
#define POSTLET_DCHILD_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "dsn.h"
#include "str.h"

/* Who the child becomes, and its limit. */
struct dchild_id {
	/* false: keep the agent's identity */
	bool		 setid;
	uid_t		 uid;
	gid_t		 gid;
	/* supplementary groups (gid is always added), borrowed */
	const gid_t	*groups;
	size_t		 ngroups;
	/* RLIMIT_FSIZE in bytes; 0: none */
	unsigned long long fsize_limit;
};

/*
 * In the child: do the work, append the result to result.  When the
 * child could not become the user, fn is not called and become_error
 * holds the reason (see dchild_run); it is NULL otherwise.
 */
typedef void	(*dchild_fn)(void *arg, const char *become_error,
		    struct str *result);

/*
 * Run fn(arg, ...) in a child as id and wait for it.  result (replaced)
 * gets what the child sent, at most result_max bytes; *wstatus its wait
 * status.  Returns 0, or -1 with errno when the pipe or the child could
 * not be made (nothing ran).
 */
int	dchild_run(const struct dchild_id *id, size_t result_max,
	    dchild_fn fn, void *arg, struct str *result, int *wstatus);

/*
 * The usual result line of a delivery child, "S CODE TEXT" (S: D, T or
 * P): append it to result, or parse len bytes at p into status, code
 * (size >= 16) and text (replaced).  dchild_result_parse returns 0, or
 * -1 for a malformed line or a code that does not match its status.
 */
void	dchild_result_put(struct str *result, enum dsn_status status,
	    const char *code, const struct str *text);
int	dchild_result_parse(const char *p, size_t len,
	    enum dsn_status *status, char code[16], struct str *text);

#endif
