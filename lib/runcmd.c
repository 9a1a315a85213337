/* SPDX-License-Identifier: ISC */
/*
 * runcmd.c: run one delivery command with the message on its standard
 * input, its output collected and a time limit (see runcmd.h).
 *
 * One poll(2) loop writes the input and reads the output at the same
 * time: a command that writes much before it reads cannot deadlock us.
 * The input is made in pieces: the head, then the content read a chunk
 * at a time, each converted (end of line, dot-stuffing, From_ quoting)
 * by a small line-state machine that carries over chunk boundaries.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"
#include "proc.h"
#include "runcmd.h"
#include "str.h"
#include "sysexits.h"

/* The input converter: the state at the current position. */
struct conv {
	int		 flags;
	const char	*eol;
	/* at the start of a line */
	bool		 bol;
	/* bytes of "From " matched at the start of a line, held back */
	size_t		 from;
};

static void	conv_put(struct conv *, const char *, size_t, struct str *);
static void	conv_end(struct conv *, struct str *);
static int	feed(const struct runcmd *, struct proc *, long long,
		    struct runcmd_result *);

static const char	from_[] = "From ";

/* Convert n bytes at p onto out. */
static void
conv_put(struct conv *c, const char *p, size_t n, struct str *out)
{
	size_t	i;
	char	ch;

	for (i = 0; i < n; i++) {
		ch = p[i];
		if (c->bol && (c->flags & RUNCMD_DOT) && ch == '.') {
			str_cat_char(out, '.');
		}
		if ((c->flags & RUNCMD_QUOTE_FROM) && (c->bol || c->from > 0)) {
			if (ch == from_[c->from]) {
				c->bol = false;
				if (++c->from == sizeof(from_) - 1) {
					str_cat(out, ">From ");
					c->from = 0;
				}
				continue;
			}
			str_cat_mem(out, from_, c->from);
			c->from = 0;
		}
		if (ch == '\n') {
			str_cat(out, c->eol);
			c->bol = true;
		} else {
			str_cat_char(out, ch);
			c->bol = false;
		}
	}
}

/* The end of the input: what was held back. */
static void
conv_end(struct conv *c, struct str *out)
{
	str_cat_mem(out, from_, c->from);
	c->from = 0;
}

void
runcmd_printable(struct str *out, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' || p[i] == '\t' || p[i] == '\r') {
			if (out->len > 0 && out->s[out->len - 1] != ' ') {
				str_cat_char(out, ' ');
			}
		} else if ((unsigned char)p[i] >= 0x20 &&
		    (unsigned char)p[i] < 0x7f) {
			str_cat_char(out, p[i]);
		} else {
			str_cat_char(out, '?');
		}
	}
	while (out->len > 0 && out->s[out->len - 1] == ' ') {
		str_truncate(out, out->len - 1);
	}
}

/*
 * Feed the input to the command and collect its output until it closed
 * both, or the deadline.  0, or -1 with ETIMEDOUT, EIO (the content
 * ended early) or the error of poll(2) or pread(2).
 */
static int
feed(const struct runcmd *cmd, struct proc *p, long long deadline,
    struct runcmd_result *res)
{
	struct conv	 conv;
	struct str	 pend = STR_INIT;
	char		 chunk[8192], buf[4096];
	size_t		 poff = 0;
	off_t		 off = cmd->off, end = cmd->off + cmd->len;
	struct pollfd	 pfd[2];
	ssize_t		 n;
	int		 left, rc = -1, nfds, ri, wi, stage = 0;

	memset(&conv, 0, sizeof(conv));
	conv.eol = cmd->eol != NULL ? cmd->eol : "\n";
	/* the head gets only the end of line conversion */
	conv.bol = true;
	conv_put(&conv, cmd->head, cmd->headlen, &pend);
	conv.flags = cmd->flags;
	conv.bol = true;
	(void)fd_set_nonblock(p->fd[0], true);
	(void)fd_set_nonblock(p->fd[1], true);
	while (p->fd[1] != -1 || p->fd[0] != -1) {
		if ((left = clock_left(deadline)) <= 0) {
			errno = ETIMEDOUT;
			goto out;
		}
		nfds = 0;
		ri = wi = -1;
		if (p->fd[1] != -1) {
			pfd[nfds].fd = p->fd[1];
			pfd[nfds].events = POLLIN;
			pfd[nfds].revents = 0;
			ri = nfds++;
		}
		if (p->fd[0] != -1) {
			pfd[nfds].fd = p->fd[0];
			pfd[nfds].events = POLLOUT;
			pfd[nfds].revents = 0;
			wi = nfds++;
		}
		if (poll(pfd, (nfds_t)nfds, left) == -1) {
			if (errno == EINTR) {
				continue;
			}
			goto out;
		}
		if (ri != -1 && pfd[ri].revents != 0) {
			n = read(p->fd[1], buf, sizeof(buf));
			if (n > 0) {
				if (res->output.len < cmd->output_max) {
					str_cat_mem(&res->output, buf,
					    cmd->output_max - res->output.len <
					    (size_t)n ? cmd->output_max -
					    res->output.len : (size_t)n);
				}
			} else if (n == 0 || (errno != EINTR &&
			    errno != EAGAIN)) {
				(void)close(p->fd[1]);
				p->fd[1] = -1;
			}
		}
		if (wi == -1 || pfd[wi].revents == 0) {
			continue;
		}
		/* the next piece: the content, converted */
		if (poff == pend.len) {
			str_clear(&pend);
			poff = 0;
			if (off < end) {
				do {
					n = pread(cmd->src, chunk, end - off >
					    (off_t)sizeof(chunk) ?
					    sizeof(chunk) :
					    (size_t)(end - off), off);
				} while (n == -1 && errno == EINTR);
				if (n <= 0) {
					errno = n == 0 ? EIO : errno;
					goto out;
				}
				off += n;
				conv_put(&conv, chunk, (size_t)n, &pend);
			} else if (stage == 0) {
				conv_end(&conv, &pend);
				if (!conv.bol && (cmd->flags &
				    RUNCMD_FINAL_EOL)) {
					conv_put(&conv, "\n", 1, &pend);
				}
				if (cmd->blank) {
					conv_put(&conv, "\n", 1, &pend);
				}
				stage = 1;
			}
			if (pend.len == 0) {
				/* all written: end of input */
				(void)close(p->fd[0]);
				p->fd[0] = -1;
				continue;
			}
		}
		n = write(p->fd[0], pend.s + poff, pend.len - poff);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN) {
				continue;
			}
			/* EPIPE and the like: it stopped reading */
			(void)close(p->fd[0]);
			p->fd[0] = -1;
			continue;
		}
		poff += (size_t)n;
	}
	rc = 0;
out:
	str_free(&pend);
	return rc;
}

int
runcmd_run(const struct runcmd *cmd, struct runcmd_result *res,
    const char **failed)
{
	struct proc_cmd	 pc;
	struct proc	 p;
	long long	 deadline;
	int		 saved;

	str_clear(&res->output);
	res->wstatus = 0;
	res->timedout = false;
	memset(&pc, 0, sizeof(pc));
	pc.path = cmd->path;
	pc.argv = cmd->argv;
	pc.envp = cmd->envp;
	pc.cwd = cmd->cwd;
	pc.io[0] = PROC_IO_PIPE;
	pc.io[1] = PROC_IO_PIPE;
	pc.io[2] = PROC_IO_STDOUT;
	pc.flags = PROC_SETSID;
	if (cmd->setid) {
		pc.flags |= PROC_SETID;
		pc.uid = cmd->uid;
		pc.gid = cmd->gid;
	}
	*failed = NULL;
	if (proc_spawn(&pc, &p) == -1) {
		saved = errno;
		*failed = p.failed != NULL ? p.failed : "spawn";
		errno = saved;
		return -1;
	}
	deadline = clock_ms() + (cmd->time_limit < 1 ? 1 :
	    cmd->time_limit) * 1000;
	if (feed(cmd, &p, deadline, res) == -1) {
		if (errno == ETIMEDOUT) {
			res->timedout = true;
		}
		(void)kill(-p.pid, SIGKILL);
	}
	proc_close(&p);
	if (proc_wait(p.pid, &res->wstatus, res->timedout ? -1 :
	    deadline) == -1) {
		res->timedout = true;
		(void)kill(-p.pid, SIGKILL);
		(void)proc_wait(p.pid, &res->wstatus, -1);
	}
	return 0;
}

void
runcmd_judge(const struct runcmd_result *res, const char *shown,
    enum dsn_status *status, char code[16], struct str *text)
{
	struct sysexits_result	 r;
	struct str		 out = STR_INIT;
	char			 ws[PROC_STATUS_MAX];
	const char		*sep;
	int			 wstatus = res->wstatus;

	str_clear(text);
	runcmd_printable(&out, res->output.s == NULL ? "" : res->output.s,
	    res->output.len);
	sep = out.len > 0 ? ". Command output: " : "";
	if (res->timedout) {
		*status = DSN_PERM;
		memcpy(code, "5.3.0", 6);
		str_catf(text, "command time limit exceeded: \"%s\"%s%s",
		    shown, sep, str_c(&out));
	} else if (WIFSIGNALED(wstatus)) {
		*status = DSN_TEMP;
		memcpy(code, "4.3.0", 6);
		str_catf(text, "command \"%s\" %s%s%s", shown,
		    proc_status_text(wstatus, ws, sizeof(ws)), sep,
		    str_c(&out));
	} else if (!WIFEXITED(wstatus)) {
		*status = DSN_TEMP;
		memcpy(code, "4.3.0", 6);
		str_catf(text, "command \"%s\": %s", shown,
		    proc_status_text(wstatus, ws, sizeof(ws)));
	} else {
		sysexits_judge(WEXITSTATUS(wstatus), res->output.s,
		    res->output.len, &r);
		*status = r.status;
		memcpy(code, r.code, sizeof(r.code) < 16 ? sizeof(r.code) :
		    16);
		code[15] = '\0';
		if (r.status != DSN_OK) {
			str_catf(text, "command died with status %d (%s): "
			    "\"%s\"%s%s", WEXITSTATUS(wstatus), r.text, shown,
			    sep, str_c(&out));
		}
	}
	str_free(&out);
}

void
runcmd_result_free(struct runcmd_result *res)
{
	str_free(&res->output);
}
