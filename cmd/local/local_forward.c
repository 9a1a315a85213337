/* SPDX-License-Identifier: ISC */
/*
 * local_forward.c: forwarding, the Postfix way: the mail addresses an
 * alias, :include: or .forward file expands to are not delivered here
 * but sent on in ONE new message, submitted to cleanup (docs/cleanup.8,
 * lib/submit.h) as pickup does, so that each of them gets its own
 * queue file record, retries and bounces.
 *
 * The new message: the sender is owner-ALIAS when the alias has an
 * owner (chosen by local_expand) or else the original sender; each
 * address gets the DSN NOTIFY and ORCPT of the recipient being expanded
 * (ORCPT: the original one, or that recipient's address when there was
 * none, as Postfix); the content is the original one with a
 * "Delivered-To: RECIPIENT" line first, which ends forwarding loops
 * (local bounces a message that already has its recipient's line).
 *
 * The recipient counts as delivered only once cleanup answered "OK id"
 * (the new queue file is durable).  cleanup's temporary failures, or no
 * answer at all, defer (4.3.0); its permanent refusals bounce with its
 * code.  As root, cleanup runs as mail_owner, as everywhere else.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "clock.h"
#include "fd.h"
#include "local.h"
#include "log.h"
#include "proc.h"
#include "qfile.h"
#include "str.h"
#include "submit.h"
#include "xtext.h"

/* How long cleanup may take to read the message and to answer. */
#define LOCAL_CLEANUP_TIMEOUT_MS	(300 * 1000)

void
local_forward(const struct local *l, const struct local_env *env,
    const char *sender, const struct str *addrs, size_t n,
    struct local_status *st)
{
	static unsigned char	 tomem[2 * SUBMIT_CHUNK_MAX];
	static unsigned char	 frommem[2048];
	static char		 chunk[SUBMIT_CHUNK_MAX];
	const struct qfile	*qf = env->qf;
	struct submit_cleanup	 sc;
	struct proc		 p;
	struct buf		 to, from;
	struct str		 rec = STR_INIT;
	struct str		 orcpt = STR_INIT, text = STR_INIT;
	enum dsn_status		 status;
	char			 ws[PROC_STATUS_MAX];
	off_t			 off, end;
	size_t			 i, want;
	ssize_t			 r;
	int			 wstatus = 0, answered = 0;

	if (!l->mail_owner_ok) {
		local_status_set(st, DSN_TEMP, "4.3.0", "cannot forward: "
		    "mail_owner %s: no such user", l->mail_owner);
		return;
	}
	memset(&sc, 0, sizeof(sc));
	sc.daemon_dir = l->daemon_directory;
	sc.config_dir = l->config_directory;
	sc.stderr_io = PROC_IO_NULL;
	if (l->root) {
		sc.setid = true;
		sc.uid = l->mail_owner_uid;
		sc.gid = l->mail_owner_gid;
	}
	if (submit_start_cleanup(&sc, &p, &text) == -1) {
		local_status_set(st, DSN_TEMP, "4.3.0", "cannot forward: %s",
		    text.s);
		str_free(&text);
		return;
	}
	str_clear(&text);
	buf_init_fd(&to, p.fd[0], tomem, sizeof(tomem),
	    LOCAL_CLEANUP_TIMEOUT_MS);
	(void)submit_put(&to, 'S', sender);
	if (env->qrcpt != NULL && env->qrcpt->orcpt != NULL) {
		str_set(&orcpt, env->qrcpt->orcpt);
	} else {
		str_set(&orcpt, "rfc822;");
		xtext_encode(env->address, &rec);
		str_cat(&orcpt, rec.s);
	}
	for (i = 0; i < n; i++) {
		str_clear(&rec);
		if (env->qrcpt != NULL) {
			(void)qfile_notify_format(env->qrcpt->notify, &rec);
		}
		if (submit_put_rcpt(&to, rec.s, orcpt.s,
		    str_c(&addrs[i])) == -1) {
			/* an address that cannot be a record */
			log_warnx("%s: forward: bad address skipped",
			    env->address);
		}
	}
	str_clear(&rec);
	str_catf(&rec, "Delivered-To: %s\n", env->delivered);
	submit_put_content(&to, rec.s, rec.len);
	end = qf->content_offset + qf->content_len;
	for (off = qf->content_offset; off < end && to.error == 0;
	    off += r) {
		want = end - off > (off_t)sizeof(chunk) ? sizeof(chunk) :
		    (size_t)(end - off);
		do {
			r = pread(qf->fd, chunk, want, off);
		} while (r == -1 && errno == EINTR);
		if (r <= 0) {
			local_status_set(st, DSN_TEMP, "4.3.0",
			    "cannot forward: read queue file: %s", r == 0 ?
			    "file shrank" : strerror(errno));
			goto kill;
		}
		submit_put_content(&to, chunk, (size_t)r);
	}
	submit_put_end(&to);
	/* A write error: cleanup stopped reading; its answer tells why. */
	(void)buf_flush(&to);
	(void)close(p.fd[0]);
	p.fd[0] = -1;
	buf_init_fd(&from, p.fd[1], frommem, sizeof(frommem),
	    LOCAL_CLEANUP_TIMEOUT_MS);
	if (submit_get_reply(&from, &status, &text) == 0) {
		answered = 1;
	}
kill:
	wstatus = submit_end_cleanup(&p);
	if (!answered) {
		if (text.len > 0) {
			local_status_set(st, DSN_TEMP, "4.3.0",
			    "cannot forward: cleanup: %s (%s)", text.s,
			    proc_status_text(wstatus, ws, sizeof(ws)));
		} else if (st->status != DSN_TEMP ||
		    strncmp(str_c(&st->text), "cannot forward", 14) != 0) {
			local_status_set(st, DSN_TEMP, "4.3.0",
			    "cannot forward: cleanup: %s",
			    proc_status_text(wstatus, ws, sizeof(ws)));
		}
	} else if (status == DSN_OK) {
		local_status_set(st, DSN_OK, "2.0.0", "forwarded as %s",
		    text.s);
		log_info("%s: forwarded to %zu address%s as %s",
		    env->address, n, n == 1 ? "" : "es", text.s);
	} else {
		/* "code text" from cleanup */
		char		 code[16];
		const char	*sp = strchr(text.s, ' ');
		size_t		 cl = sp == NULL ? 0 : (size_t)(sp - text.s);

		if (cl > 0 && cl < sizeof(code)) {
			memcpy(code, text.s, cl);
			code[cl] = '\0';
		}
		if (cl == 0 || cl >= sizeof(code) ||
		    !dsn_code_valid(code, status)) {
			local_status_set(st, DSN_TEMP, "4.3.0",
			    "cannot forward: cleanup: %s", text.s);
		} else {
			local_status_set(st, status, code,
			    "cannot forward: %s", sp + 1);
		}
	}
	str_free(&rec);
	str_free(&orcpt);
	str_free(&text);
}
