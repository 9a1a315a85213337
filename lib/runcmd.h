/* SPDX-License-Identifier: ISC */
/*
 * runcmd.h: run one delivery command and judge it, the one command
 * runner of local(8) ("|command", mailbox_command) and pipe(8).
 *
 * The command is started with proc_spawn (no shell unless the caller's
 * argv names one; a new session, so that the time limit kills all it
 * started; stderr joined to stdout; optionally as another uid and gid).
 * Its standard input is head (written as it is, but for the end of line
 * conversion) followed by the message content read from a queue file,
 * optionally dot-stuffed and with "From " lines quoted, as Postfix's
 * mail_copy does for pipe's '.' and '>' flags.  Its output is kept up to
 * output_max bytes.  A command still running at the time limit is killed
 * (SIGKILL to its process group).  A command that stops reading its input
 * early is not an error here: its exit status says whether it was happy.
 *
 * The judgement (runcmd_judge) is Postfix's, through lib/sysexits: exit
 * 0 delivers; a time limit bounces (5.3.0); a signal defers; a non-zero
 * exit status takes a leading enhanced status code of the output, else
 * the sysexits table.  Texts name the command and carry its output made
 * printable, so a DSN shows what the command said.
 */
#ifndef POSTLET_RUNCMD_H
#define POSTLET_RUNCMD_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "dsn.h"
#include "str.h"

/* Content conversions (runcmd.flags). */
/* a '.' before each line that starts with '.' */
#define RUNCMD_DOT		0x1
/* a '>' before each line that starts with "From " */
#define RUNCMD_QUOTE_FROM	0x2
/* end an unterminated last line */
#define RUNCMD_FINAL_EOL	0x4

/* What to run; every pointer is borrowed for the call. */
struct runcmd {
	/* an absolute path, argv (NULL-terminated), the environment */
	const char	 *path;
	char *const	 *argv;
	char *const	 *envp;
	/* the working directory; NULL: unchanged */
	const char	 *cwd;
	/* run as uid and gid (as root only; see proc.h PROC_SETID) */
	bool		  setid;
	uid_t		  uid;
	gid_t		  gid;
	/* lines written before the content, headlen bytes */
	const char	 *head;
	size_t		  headlen;
	/* the content: len bytes of src at offset off (pread) */
	int		  src;
	off_t		  off;
	off_t		  len;
	/* RUNCMD_* */
	int		  flags;
	/* an empty line after the content (pipe's flag B) */
	bool		  blank;
	/* written for every "\n" of head and content; NULL: "\n" */
	const char	 *eol;
	/* seconds, at least 1 */
	long long	  time_limit;
	/* output bytes kept */
	size_t		  output_max;
};

struct runcmd_result {
	/* the wait status */
	int		 wstatus;
	/* killed at the time limit */
	bool		 timedout;
	/* the first output_max bytes of its output (binary) */
	struct str	 output;
};
#define RUNCMD_RESULT_INIT	{ 0, false, STR_INIT }

/*
 * Run cmd and wait for it: 0 with res filled in (res->output replaced),
 * or -1 when it could not be started, with errno and *failed naming the
 * step of proc_spawn that failed ("chdir", "execve", ...).  A command
 * that exits without reading all its input is normal: the caller must
 * ignore SIGPIPE, as proc_init does for every program.
 */
int	runcmd_run(const struct runcmd *cmd, struct runcmd_result *res,
	    const char **failed);

/*
 * Judge res for the command shown (printable, for the text): status and
 * code (size >= 16); text gets the diagnostic for a failure, e.g.
 * 'command died with status 67 (user unknown): "/bin/x". Command output:
 * no such user', and is emptied for DSN_OK.
 */
void	runcmd_judge(const struct runcmd_result *res, const char *shown,
	    enum dsn_status *status, char code[16], struct str *text);

/* Append n bytes at p to out for a diagnostic: printable ASCII, line
 * breaks and tabs as one blank, other bytes as '?', no trailing blank. */
void	runcmd_printable(struct str *out, const char *p, size_t n);

void	runcmd_result_free(struct runcmd_result *res);

#endif
