/* SPDX-License-Identifier: ISC */
/*
 * bounce_log.c: read the per-message logs bounce/ID and defer/ID that
 * qmgr writes (docs/queue.5): one line per recipient, "address TAB code
 * SP text LF", or "address TAB relayed SP code SP text LF" for a success
 * to report as relayed.  qmgr rewrites a log whole through lib/durable, so a log
 * is never half written; still, it is read as hostile input: bounded in
 * size, a malformed line skipped with a warning, never fatal.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "bounce.h"
#include "fd.h"
#include "log.h"



int
bounce_log_read(const char *queue_dir, const char *subdir, const char *id,
    struct bounce_log *log)
{
	struct str	 path = STR_INIT;
	char		*p, *end, *nl, *tab, *sp, *code;
	bool		 relayed;
	size_t		 cap = 0;
	int		 saved;

	bounce_log_free(log);
	str_catf(&path, "%s/%s/%s", queue_dir, subdir, id);
	if (fd_read_file(path.s, FD_FILE_NOFOLLOW | FD_FILE_MISSING_OK,
	    BOUNCE_LOG_MAX, &log->mem) == -1) {
		saved = errno;
		str_free(&path);
		errno = saved;
		return -1;
	}
	p = log->mem.s;
	end = p == NULL ? NULL : p + log->mem.len;
	for (; p != NULL && p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			log_warnx("%s: %s/%s: last line incomplete, ignored",
			    id, subdir, id);
			break;
		}
		*nl = '\0';
		tab = memchr(p, '\t', (size_t)(nl - p));
		sp = tab == NULL ? NULL : strchr(tab + 1, ' ');
		if (tab == NULL || tab == p || sp == NULL || sp == tab + 1 ||
		    memchr(p, '\0', (size_t)(nl - p)) != NULL) {
			log_warnx("%s: %s/%s: malformed line ignored", id,
			    subdir, id);
			continue;
		}
		*tab = '\0';
		*sp = '\0';
		relayed = strcmp(tab + 1, "relayed") == 0;
		if (relayed) {
			/* the code is the next word */
			code = sp + 1;
			if ((sp = strchr(code, ' ')) == NULL || sp == code) {
				log_warnx("%s: %s/%s: malformed line ignored",
				    id, subdir, id);
				continue;
			}
			*sp = '\0';
		} else {
			code = tab + 1;
		}
		if (log->nline == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			log->lines = xreallocarray(log->lines, cap,
			    sizeof(*log->lines));
		}
		log->lines[log->nline].address = p;
		log->lines[log->nline].code = code;
		log->lines[log->nline].text = sp + 1;
		log->lines[log->nline].relayed = relayed;
		log->nline++;
	}
	str_free(&path);
	return 0;
}

const struct bounce_line *
bounce_log_find(const struct bounce_log *log, const char *address)
{
	size_t	i;

	/* the last one wins, as qmgr's rewrite keeps only the latest */
	for (i = log->nline; i > 0; i--) {
		if (strcmp(log->lines[i - 1].address, address) == 0) {
			return &log->lines[i - 1];
		}
	}
	return NULL;
}

void
bounce_log_free(struct bounce_log *log)
{
	str_free(&log->mem);
	free(log->lines);
	log->lines = NULL;
	log->nline = 0;
}
