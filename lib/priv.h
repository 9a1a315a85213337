/* SPDX-License-Identifier: ISC */
/*
 * priv.h: the one place where a postlet process changes its identity.
 *
 * priv_drop and priv_drop_ids follow a fixed order: look the user up
 * (before chroot, since the jail has no /etc/passwd), chroot(2) and
 * chdir("/") when asked, setgroups(2) to the primary group only,
 * setresgid(2), setresuid(2) (setgid/setuid where setres* is missing),
 * and then verify: real, effective and saved ids are the target, the
 * group list is just the primary group, and, for a target other than
 * root, setuid(0), seteuid(0), setgid(0) and setegid(0) all fail.
 *
 * Supplementary groups: only the primary group is kept, for mail_owner as
 * for a recipient, as Postfix does (its set_ugid uses setgroups(1, &gid)):
 * a daemon gains no access through the user's other groups.  The one
 * exception is priv_drop_groups, which local(8) uses to run a delivery
 * with the recipient's groups (postlet's issue 4 asks for them).
 *
 * Non-root mode is first class: when the effective uid is not 0, dropping
 * is a no-op that returns 0 (the process keeps its identity, and every
 * delivery runs as the instance's user), except that a chroot cannot be
 * done, which is an error.
 *
 * Errors are -1 with errno, and priv_error() words them ("what: why") for
 * the caller's fatal line.  When priv_drop fails after it has changed
 * something (chroot, groups, gid), the process is half-changed: the caller
 * must not go on, only exit.  Not thread-safe (postlet has no threads).
 */
#ifndef POSTLET_PRIV_H
#define POSTLET_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct str;

/* True when the effective uid is 0. */
bool	priv_is_root(void);

/*
 * Look user up in the password database (getpwnam_r(3), with a buffer of
 * at most PRIV_PWBUF_MAX bytes).  Sets *uid, *gid and, when home is not
 * NULL, home to the home directory.  Returns 0, or -1 with errno: ENOENT
 * for an unknown user, EINVAL for an empty name, ERANGE for an entry over
 * PRIV_PWBUF_MAX, or the error of the database; see priv_error().
 */
int	priv_lookup(const char *user, uid_t *uid, gid_t *gid,
	    struct str *home);

/* The password file priv_keep_passwd opens. */
#define PRIV_PASSWD_FILE	"/etc/passwd"

/*
 * Open PRIV_PASSWD_FILE and keep it open: from now on priv_lookup reads
 * that file (from its start, at every call) instead of asking the C
 * library, which opens it by name and would find nothing in a chroot
 * jail, so that every user would look unknown.  Users then come from
 * that file only (no NSS), as it was when opened.  Returns 0, or -1 with
 * errno (see priv_error).
 */
int	priv_keep_passwd(void);

/* The same for a group (getgrnam_r(3)): sets *gid. */
int	priv_lookup_group(const char *group, gid_t *gid);

/*
 * Become user (its uid and primary gid, looked up first) after chroot to
 * chroot_dir when that is not NULL or "".  Returns 0, or -1 with errno
 * and priv_error(): errors of priv_lookup; EPERM when not root and a
 * chroot is asked ("chroot DIR: needs root, running as uid N"); the
 * errno of chroot, chdir, setgroups, setresgid or setresuid; EPERM when
 * the verification finds another identity or can get root back.
 */
int	priv_drop(const char *user, const char *chroot_dir);

/*
 * The same for ids that need not be in the password database (virtual's
 * uid and gid maps, a recipient looked up before).  uid 0 is allowed (root
 * stays root, e.g. for root's mailbox); it only skips the can-we-get-root-
 * back checks.
 */
int	priv_drop_ids(uid_t uid, gid_t gid, const char *chroot_dir);

/* The most supplementary groups priv_drop_groups sets. */
#define PRIV_GROUPS_MAX	64

/*
 * priv_drop_ids, no chroot, keeping the supplementary groups groups
 * (ngroups, at most PRIV_GROUPS_MAX; gid is always added) instead of
 * just gid: local(8) runs deliveries with the recipient's groups.  The
 * verification then checks that the group list is exactly that.  EINVAL
 * for too many groups; otherwise as priv_drop_ids.
 */
int	priv_drop_groups(uid_t uid, gid_t gid, const gid_t *groups,
	    size_t ngroups);

/*
 * For work done in this process for a user (local(8)'s mailbox
 * deliveries, as Postfix's local does them): priv_assume makes uid and
 * gid the effective ids and groups (ngroups, at most PRIV_GROUPS_MAX;
 * gid is always added) the supplementary groups, while the real and
 * saved ids stay root's; files are then opened and created with that
 * user's rights, and the user cannot signal or trace the process.
 * priv_resume goes back to the ids and groups that priv_assume found.
 * Root only (EPERM otherwise); both read the ids back.  priv_assume
 * returns 0, or -1 with errno and priv_error() after going back; a
 * priv_resume that fails (-1) leaves the process with ids it must not
 * go on with.
 */
int	priv_assume(uid_t uid, gid_t gid, const gid_t *groups,
	    size_t ngroups);
int	priv_resume(void);
/* priv_resume, for a process that must not go on with a user's ids:
 * fatal (EX_OSERR) when it fails.  Also after a failed priv_assume. */
void	priv_resume_or_exit(void);

/*
 * Text of the last error of this module, e.g. "setresuid 65534: Operation
 * not permitted" or "unknown user: mailx"; "" before any.  Static, valid
 * until the next priv_* call.
 */
const char *priv_error(void);

#endif
