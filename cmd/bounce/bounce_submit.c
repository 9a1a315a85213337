/* SPDX-License-Identifier: ISC */
/*
 * bounce_submit.c: hand a notice to cleanup, the way pickup does:
 * through master's public/cleanup socket, or, when no master listens
 * there, by running $daemon_directory/cleanup -c config_dir; write the
 * submission protocol (lib/submit.h, docs/cleanup.8) to it, read its
 * one-line answer.  Only "OK id" means that the notice is durable in incoming/;
 * anything else (no program, no answer, TEMP) leaves the notice unsent,
 * and the caller has qmgr try again later.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "bounce.h"
#include "buf.h"
#include "clock.h"
#include "jail.h"
#include "fd.h"
#include "log.h"
#include "proc.h"
#include "submit.h"

/* How long cleanup may take to read a notice and to answer. */
#define BOUNCE_TIMEOUT_MS	(300 * 1000)

int
bounce_submit(const struct bounce_config *cfg, const char *sender,
    const char *rcpt, const struct str *content, bool eightbit,
    enum dsn_status *status, struct str *text)
{
	static unsigned char	 tomem[2 * SUBMIT_CHUNK_MAX];
	static unsigned char	 frommem[2048];
	struct submit_cleanup	 sc;
	struct str		 path = STR_INIT;
	struct proc		 p;
	struct buf		 to, from;
	char			 st[PROC_STATUS_MAX];
	int			 wstatus = 0, rc = -1;

	str_clear(text);
	memset(&sc, 0, sizeof(sc));
	sc.daemon_dir = cfg->daemon_dir;
	sc.config_dir = cfg->config_dir;
	sc.stderr_io = PROC_IO_INHERIT;
	jail_queue_path("public/cleanup", &path);
	sc.socket_path = path.s;
	sc.spawn_if_absent = true;
	rc = submit_start_cleanup(&sc, &p, text);
	str_free(&path);
	if (rc == -1) {
		return -1;
	}
	rc = -1;
	buf_init_fd(&to, p.fd[0], tomem, sizeof(tomem), BOUNCE_TIMEOUT_MS);
	(void)submit_put(&to, 'S', sender);
	if (eightbit) {
		(void)submit_put(&to, 'A', "body_type=8BITMIME");
	}
	if (submit_put_rcpt(&to, NULL, NULL, rcpt) == -1) {
		str_catf(text, "recipient cannot be submitted");
		goto kill;
	}
	submit_put_content(&to, str_c(content), content->len);
	submit_put_end(&to);
	/* A write error: cleanup stopped reading; its answer tells why. */
	(void)buf_flush(&to);
	(void)close(p.fd[0]);
	p.fd[0] = -1;
	buf_init_fd(&from, p.fd[1], frommem, sizeof(frommem),
	    BOUNCE_TIMEOUT_MS);
	if (submit_get_reply(&from, status, text) == 0) {
		rc = 0;
	}
kill:
	wstatus = submit_end_cleanup(&p);
	if (rc == -1 && text->len > 0 && WIFEXITED(wstatus) == 0) {
		str_catf(text, " (cleanup %s)",
		    proc_status_text(wstatus, st, sizeof(st)));
	}
	return rc;
}
