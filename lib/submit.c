/* SPDX-License-Identifier: ISC */
/*
 * submit.c: the submission protocol (see submit.h).  The reader trusts
 * nothing: every record is bounded, every D length is checked against
 * SUBMIT_CHUNK_MAX before anything is read, and records out of order are
 * refused.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "bounds.h"
#include "buf.h"
#include "clock.h"
#include "dsn.h"
#include "fd.h"
#include "log.h"
#include "qfile.h"
#include "scan.h"
#include "submit.h"

static bool
submit_value_ok(const char *value, size_t len)
{
	return len + 3 <= QFILE_RECORD_MAX &&
	    memchr(value, '\n', len) == NULL &&
	    memchr(value, '\r', len) == NULL;
}

int
submit_put(struct buf *b, char tag, const char *value)
{
	size_t	len = strlen(value);

	if (!submit_value_ok(value, len)) {
		errno = EINVAL;
		return -1;
	}
	buf_put(b, &tag, 1);
	buf_put(b, " ", 1);
	buf_put(b, value, len);
	buf_put(b, "\n", 1);
	return 0;
}

int
submit_put_rcpt(struct buf *b, const char *notify, const char *orcpt,
    const char *address)
{
	struct str	v = STR_INIT;
	int		rc;

	if (notify == NULL || *notify == '\0') {
		notify = "-";
	}
	if (orcpt == NULL || *orcpt == '\0') {
		orcpt = "-";
	}
	if (strchr(notify, ' ') != NULL || strchr(orcpt, ' ') != NULL ||
	    *address == '\0') {
		errno = EINVAL;
		return -1;
	}
	str_catf(&v, "%s %s %s", notify, orcpt, address);
	rc = submit_put(b, 'R', v.s);
	str_free(&v);
	return rc;
}

void
submit_put_content(struct buf *b, const void *p, size_t n)
{
	const char	*s = p;
	size_t		 chunk;

	while (n > 0) {
		chunk = n > SUBMIT_CHUNK_MAX ? SUBMIT_CHUNK_MAX : n;
		buf_printf(b, "D %zu\n", chunk);
		buf_put(b, s, chunk);
		s += chunk;
		n -= chunk;
	}
}

void
submit_put_end(struct buf *b)
{
	buf_put(b, "E\n", 2);
}

static int
submit_bad(struct str *why, const char *text, char tag)
{
	str_set(why, text);
	if (tag != 0) {
		str_catf(why, " (record %c)",
		    (tag >= 0x21 && tag <= 0x7e) ? tag : '?');
	}
	errno = EBADMSG;
	return -1;
}

int
submit_get(struct buf *b, struct submit_reader *rd, struct submit_record *rec,
    struct str *why)
{
	unsigned long long	 n;
	const char		*p;
	size_t			 len;
	int			 r;

	str_clear(why);
	if ((r = buf_getline(b, &rec->value, QFILE_RECORD_MAX)) == -1) {
		if (errno == EMSGSIZE) {
			return submit_bad(why, "record too long", 0);
		}
		return -1;
	}
	if (r == 0) {
		if (rd->phase != SUBMIT_DONE) {
			return submit_bad(why, "end of input before the E "
			    "record", 0);
		}
		return 0;
	}
	p = rec->value.s;
	len = rec->value.len;
	if (p[len - 1] != '\n') {
		return submit_bad(why, "last record without a newline", 0);
	}
	len--;
	rec->tag = p[0];
	/* E is the only record without a value: "E x" and "E " are bad. */
	if (rec->tag == 'E' && len != 1) {
		return submit_bad(why, "malformed record", 'E');
	}
	if (len == 1 && rec->tag == 'E') {
		str_clear(&rec->value);
	} else if (len < 2 || p[1] != ' ') {
		return submit_bad(why, "malformed record", rec->tag);
	} else {
		if (memchr(p, '\0', len) != NULL || memchr(p, '\r', len)) {
			return submit_bad(why, "NUL or CR in a record",
			    rec->tag);
		}
		memmove(rec->value.s, p + 2, len - 2);
		str_truncate(&rec->value, len - 2);
	}

	switch (rec->tag) {
	case 'F':
		if (rd->phase != SUBMIT_START) {
			return submit_bad(why, "misplaced record", 'F');
		}
		rd->phase = SUBMIT_FLAGS_SEEN;
		return 1;
	case 'S':
		if (rd->phase != SUBMIT_START &&
		    rd->phase != SUBMIT_FLAGS_SEEN) {
			return submit_bad(why, "misplaced record", 'S');
		}
		rd->phase = SUBMIT_ENVELOPE;
		return 1;
	case 'A':
	case 'R':
		if (rd->phase != SUBMIT_ENVELOPE) {
			return submit_bad(why, "misplaced record", rec->tag);
		}
		if (rec->tag == 'A' && (rec->value.len == 0 ||
		    strchr(rec->value.s, '=') == NULL ||
		    rec->value.s[0] == '=')) {
			return submit_bad(why, "attribute without name=value",
			    'A');
		}
		return 1;
	case 'D':
		if (rd->phase != SUBMIT_ENVELOPE &&
		    rd->phase != SUBMIT_CONTENT) {
			return submit_bad(why, "misplaced record", 'D');
		}
		if (scan_uint_mem(rec->value.s, rec->value.len,
		    SUBMIT_CHUNK_MAX, &n) == -1 || n == 0) {
			return submit_bad(why, "bad content length", 'D');
		}
		str_clear(&rec->value);
		str_reserve(&rec->value, (size_t)n);
		if ((r = buf_read_exact(b, rec->value.s, (size_t)n)) != 1) {
			if (r == 0) {
				return submit_bad(why, "end of input inside "
				    "content", 'D');
			}
			return -1;
		}
		rec->value.len = (size_t)n;
		rec->value.s[n] = '\0';
		rd->content_bytes += n;
		rd->phase = SUBMIT_CONTENT;
		return 1;
	case 'E':
		if (rd->phase != SUBMIT_ENVELOPE &&
		    rd->phase != SUBMIT_CONTENT) {
			return submit_bad(why, "misplaced record", 'E');
		}
		rd->phase = SUBMIT_DONE;
		return 1;
	default:
		return submit_bad(why, "unknown record", rec->tag);
	}
}

void
submit_record_free(struct submit_record *rec)
{
	str_free(&rec->value);
}

int
submit_split_rcpt(const char *value, struct str *notify, struct str *orcpt,
    struct str *address)
{
	const char	*sp1, *sp2;

	if ((sp1 = strchr(value, ' ')) == NULL || sp1 == value ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL || sp2 == sp1 + 1 ||
	    sp2[1] == '\0') {
		errno = EBADMSG;
		return -1;
	}
	str_set_mem(notify, value, (size_t)(sp1 - value));
	str_set_mem(orcpt, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	str_set(address, sp2 + 1);
	if (str_eq(notify, "-")) {
		str_clear(notify);
	}
	if (str_eq(orcpt, "-")) {
		str_clear(orcpt);
	}
	return 0;
}

int
submit_put_reply(struct buf *b, enum dsn_status status, const char *code,
    const char *text)
{
	static const char *const	word[] = { "OK", "TEMP", "PERM" };
	struct str			line = STR_INIT;
	size_t				i;
	int				rc;

	if (status == DSN_OK) {
		str_catf(&line, "OK %s", text);
	} else {
		if (!dsn_code_valid(code, status)) {
			code = status == DSN_TEMP ? "4.3.0" : "5.3.0";
		}
		str_catf(&line, "%s %s %s", word[status], code, text);
	}
	/* The text may come from anywhere: keep the reply one line. */
	for (i = 0; i < line.len; i++) {
		if (line.s[i] == '\n' || line.s[i] == '\r' ||
		    line.s[i] == '\0') {
			line.s[i] = ' ';
		}
	}
	if (line.len > QFILE_RECORD_MAX - 1) {
		str_truncate(&line, QFILE_RECORD_MAX - 1);
	}
	str_cat_char(&line, '\n');
	buf_put(b, line.s, line.len);
	rc = buf_flush(b);
	str_free(&line);
	return rc;
}

/*
 * One answer line (without its newline): "OK id", "TEMP code text" or
 * "PERM code text".  Returns 0 with *status and text set, or -1 with a
 * 4.3.0 text for anything else.
 */
static int
reply_parse(const char *p, enum dsn_status *status, struct str *text)
{
	const char	*sp;
	int		 rc = -1;

	*status = DSN_TEMP;
	if (strncmp(p, "OK ", 3) == 0 && p[3] != '\0') {
		*status = DSN_OK;
		str_set(text, p + 3);
		rc = 0;
	} else if (strncmp(p, "TEMP ", 5) == 0 ||
	    strncmp(p, "PERM ", 5) == 0) {
		enum dsn_status	 s = p[0] == 'T' ? DSN_TEMP : DSN_PERM;
		struct str	 code = STR_INIT;

		sp = strchr(p + 5, ' ');
		str_set_mem(&code, p + 5, sp != NULL ? (size_t)(sp - p - 5) :
		    strlen(p + 5));
		if (dsn_code_valid(code.s, s)) {
			*status = s;
			str_set(text, p + 5);
			rc = 0;
		} else {
			str_set(text, "4.3.0 bad reply from the queue");
		}
		str_free(&code);
	} else {
		str_set(text, "4.3.0 bad reply from the queue");
	}
	return rc;
}

int
submit_get_reply(struct buf *b, enum dsn_status *status, struct str *text)
{
	struct str	line = STR_INIT;
	int		rc = -1, r;

	*status = DSN_TEMP;
	r = buf_getline(b, &line, QFILE_RECORD_MAX);
	if (r != 1 || line.s[line.len - 1] != '\n') {
		str_set(text, r == 0 ? "4.3.0 no reply from the queue" :
		    "4.3.0 bad reply from the queue");
		goto out;
	}
	str_truncate(&line, line.len - 1);
	rc = reply_parse(line.s, status, text);
out:
	str_free(&line);
	return rc;
}

int
submit_put_early_id(struct buf *b, const char *id)
{
	buf_printf(b, "ID %s\n", id);
	return buf_flush(b);
}

int
submit_get_early_id(struct buf *b, enum dsn_status *status, struct str *text)
{
	struct str	line = STR_INIT;
	int		rc = -1, r;

	*status = DSN_TEMP;
	r = buf_getline(b, &line, QFILE_RECORD_MAX);
	if (r != 1 || line.s[line.len - 1] != '\n') {
		str_set(text, r == 0 ? "4.3.0 no queue ID from the queue" :
		    r == -1 && errno == ETIMEDOUT ?
		    "4.3.0 timeout waiting for the queue ID" :
		    "4.3.0 bad queue ID answer from the queue");
		goto out;
	}
	str_truncate(&line, line.len - 1);
	if (strncmp(line.s, "ID ", 3) == 0) {
		if (strlen(line.s) == line.len && qid_valid(line.s + 3)) {
			*status = DSN_OK;
			str_set(text, line.s + 3);
			rc = 1;
		} else {
			str_set(text, "4.3.0 bad queue ID answer from the "
			    "queue");
		}
	} else if (reply_parse(line.s, status, text) == 0) {
		if (*status == DSN_OK) {
			/* "OK" before the content: no message is that */
			*status = DSN_TEMP;
			str_set(text, "4.3.0 bad queue ID answer from the "
			    "queue");
		} else {
			rc = 0;
		}
	} else {
		str_set(text, "4.3.0 bad queue ID answer from the queue");
	}
out:
	str_free(&line);
	return rc;
}

/* submit_start_cleanup through master's socket. */
static int
submit_connect_cleanup(const char *path, struct proc *p, struct str *why)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv;
	int			 fd, fd2, saved;

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->fd[0] = p->fd[1] = p->fd[2] = -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		str_catf(why, "connect %s: path too long for a socket", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		saved = errno;
		str_catf(why, "socket %s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	tv.tv_sec = SUBMIT_CONNECT_S;
	tv.tv_usec = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EINTR) {
			continue;
		}
		saved = errno;
		str_catf(why, "connect %s: %s", path, strerror(saved));
		(void)close(fd);
		errno = saved;
		return -1;
	}
	if ((fd2 = fcntl(fd, F_DUPFD_CLOEXEC, 3)) == -1) {
		saved = errno;
		str_catf(why, "dup %s: %s", path, strerror(saved));
		(void)close(fd);
		errno = saved;
		return -1;
	}
	p->fd[0] = fd;
	p->fd[1] = fd2;
	(void)fd_set_nonblock(fd, true);
	return 0;
}

int
submit_start_cleanup(const struct submit_cleanup *sc, struct proc *p,
    struct str *why)
{
	static struct proc_env	 env = PROC_ENV_INIT;
	static bool		 env_made;
	struct proc_cmd		 cmd;
	struct str		 path = STR_INIT;
	char			*argv[5];
	size_t			 i;
	int			 r;

	if (sc->socket_path != NULL) {
		r = submit_connect_cleanup(sc->socket_path, p, why);
		if (r == 0 || !sc->spawn_if_absent || (errno != ENOENT &&
		    errno != ECONNREFUSED && errno != ENAMETOOLONG)) {
			return r;
		}
		log_debug("%s; starting cleanup", str_c(why));
		str_clear(why);
	}
	/* only TZ, for the Date: and Received: fields cleanup writes */
	if (!env_made) {
		(void)proc_env_import(&env, "TZ");
		env_made = true;
	}
	str_catf(&path, "%s/cleanup", sc->daemon_dir);
	argv[0] = xstrdup("cleanup");
	argv[1] = xstrdup("-c");
	argv[2] = xstrdup(sc->config_dir);
	argv[3] = log_verbose > 0 ? xstrdup("-v") : NULL;
	argv[4] = NULL;
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = path.s;
	cmd.argv = argv;
	cmd.envp = proc_env_vector(&env);
	cmd.io[0] = PROC_IO_PIPE;
	cmd.io[1] = PROC_IO_PIPE;
	cmd.io[2] = sc->stderr_io;
	if (sc->setid) {
		cmd.flags = PROC_SETID;
		cmd.uid = sc->uid;
		cmd.gid = sc->gid;
	}
	r = proc_spawn(&cmd, p);
	for (i = 0; i < 4; i++) {
		free(argv[i]);
	}
	if (r == -1) {
		str_catf(why, "%s %s: %s", p->failed, path.s, strerror(errno));
	} else {
		(void)fd_set_nonblock(p->fd[0], true);
		(void)fd_set_nonblock(p->fd[1], true);
	}
	str_free(&path);
	return r;
}

int
submit_end_cleanup(struct proc *p)
{
	int	status = 0;

	proc_close(p);
	if (p->pid <= 0) {
		return 0;
	}
	if (proc_wait(p->pid, &status,
	    clock_deadline(SUBMIT_CLEANUP_EXIT_MS)) == -1) {
		(void)kill(p->pid, SIGKILL);
		(void)proc_wait(p->pid, &status, -1);
	}
	return status;
}
