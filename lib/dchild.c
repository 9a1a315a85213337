/* SPDX-License-Identifier: ISC */
/*
 * dchild.c: a delivery's work in a child process that has become the
 * user (see dchild.h).
 */
#include <sys/resource.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "dchild.h"
#include "fd.h"
#include "priv.h"
#include "proc.h"
#include "str.h"

int
dchild_run(const struct dchild_id *id, size_t result_max, dchild_fn fn,
    void *arg, struct str *result, int *wstatus)
{
	struct rlimit	 rl;
	struct str	 why = STR_INIT;
	char		 chunk[4096];
	ssize_t		 n;
	pid_t		 pid;
	int		 pfd[2], nul, saved;

	str_clear(result);
	*wstatus = 0;
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		return -1;
	}
	if ((pid = fork()) == -1) {
		saved = errno;
		(void)close(pfd[0]);
		(void)close(pfd[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0) {
		(void)close(pfd[0]);
		if ((nul = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
		    dup2(nul, 0) == -1 || dup2(nul, 1) == -1) {
			str_catf(&why, "/dev/null: %s", strerror(errno));
		}
		if (why.len == 0 && id->fsize_limit > 0) {
			rl.rlim_cur = rl.rlim_max = (rlim_t)id->fsize_limit;
			if (setrlimit(RLIMIT_FSIZE, &rl) == -1) {
				str_catf(&why, "setrlimit: %s",
				    strerror(errno));
			}
		}
		if (why.len == 0 && id->setid && priv_drop_groups(id->uid,
		    id->gid, id->groups, id->ngroups) == -1) {
			str_catf(&why, "cannot become uid %lu: %s",
			    (unsigned long)id->uid, priv_error());
		}
		fn(arg, why.len > 0 ? why.s : NULL, result);
		(void)fd_write_all(pfd[1], result->s == NULL ? "" :
		    result->s, result->len);
		_exit(0);
	}
	(void)close(pfd[1]);
	while (result->len < result_max &&
	    (n = fd_read(pfd[0], chunk, sizeof(chunk))) > 0) {
		str_cat_mem(result, chunk, result_max - result->len <
		    (size_t)n ? result_max - result->len : (size_t)n);
	}
	(void)close(pfd[0]);
	if (proc_wait(pid, wstatus, -1) == -1) {
		*wstatus = -1;
	}
	return 0;
}

void
dchild_result_put(struct str *result, enum dsn_status status,
    const char *code, const struct str *text)
{
	static const char	letter[] = { 'D', 'T', 'P' };

	str_catf(result, "%c %s ", letter[status], code);
	str_cat_mem(result, text->s, text->len);
}

int
dchild_result_parse(const char *p, size_t len, enum dsn_status *status,
    char code[16], struct str *text)
{
	const char	*sp;
	size_t		 n;

	if (len < 4 || p[1] != ' ' || strchr("DTP", p[0]) == NULL ||
	    (sp = memchr(p + 2, ' ', len - 2)) == NULL ||
	    (n = (size_t)(sp - p - 2)) >= 16) {
		return -1;
	}
	*status = p[0] == 'D' ? DSN_OK : p[0] == 'T' ? DSN_TEMP : DSN_PERM;
	memcpy(code, p + 2, n);
	code[n] = '\0';
	if (!dsn_code_valid(code, *status)) {
		return -1;
	}
	str_set_mem(text, sp + 1, len - (size_t)(sp + 1 - p));
	return 0;
}
