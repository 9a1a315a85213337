/* SPDX-License-Identifier: ISC */
/*
 * postdrop_queue.c: one submission from standard input into one maildrop
 * file.
 *
 * The records of the submission protocol (lib/submit.h) are checked as
 * they come and written through the queue file writer, begun with
 * qfile_begin_maildrop: the file grows under a temporary name inside
 * maildrop/ and gets its queue ID only in qfile_commit, after fsync of
 * the file and of the directory.  So the message is never half accepted:
 * any error removes the temporary file (qfile_abort) before the TEMP or
 * PERM reply, and "OK id" is written only once the file is durable.
 *
 * The identity in the file is postdrop's own: "A submit_uid" and "A
 * submit_user" come from the real uid, never from the input, and the
 * submitter may only set the few attributes that sendmail's options
 * produce (full_name, envid, ret, body_type).  pickup checks the file's
 * owner against submit_uid.
 */
#include <errno.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "dsn.h"
#include "log.h"
#include "postdrop.h"
#include "qfile.h"
#include "str.h"
#include "submit.h"
#include "wake.h"

/* Buffer memory of each of standard input and output. */
#define POSTDROP_BUF	16384

struct session {
	const struct postdrop	*pd;
	struct qfile_writer	 w;
	/* F record, "" when none */
	struct str		 flags;
	/* qfile_begin_maildrop done */
	bool			 begun;
	/* qfile_end_envelope done */
	bool			 content;
	/* the reply: status, code and text */
	enum dsn_status		 status;
	const char		*code;
	struct str		 text;
};

static int	refuse(struct session *, enum dsn_status, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static int	on_sender(struct session *, const char *);
static int	on_attr(struct session *, const char *);
static int	on_rcpt(struct session *, const char *);
static int	on_content(struct session *, const struct str *,
		    unsigned long long);
static int	end_envelope(struct session *);
static int	write_error(struct session *, const char *);

/* Set the reply to a refusal; always -1. */
static int
refuse(struct session *s, enum dsn_status status, const char *code,
    const char *fmt, ...)
{
	va_list	ap;

	s->status = status;
	s->code = code;
	str_clear(&s->text);
	va_start(ap, fmt);
	str_vcatf(&s->text, fmt, ap);
	va_end(ap);
	return -1;
}

/* A failure of the file system is temporary: the caller may retry. */
static int
write_error(struct session *s, const char *what)
{
	return refuse(s, DSN_TEMP, "4.3.0", "%s: %s", what, strerror(errno));
}

static int
on_sender(struct session *s, const char *sender)
{
	struct str	uid = STR_INIT;
	int		r;

	if (qfile_begin_maildrop(&s->w, s->pd->queue_dir, NULL,
	    sender) == -1) {
		if (errno == EINVAL || errno == EMSGSIZE) {
			return refuse(s, DSN_PERM, "5.1.7",
			    "bad sender address");
		}
		return write_error(s, "cannot create a file in maildrop");
	}
	s->begun = true;
	str_catf(&uid, "%lu", (unsigned long)s->pd->uid);
	r = qfile_add_attr(&s->w, "submit_uid", uid.s);
	str_free(&uid);
	if (r == -1 || qfile_add_attr(&s->w, "submit_user",
	    s->pd->user) == -1) {
		return refuse(s, DSN_TEMP, "4.3.0", "cannot record the "
		    "submitting user: %s", strerror(errno));
	}
	if (s->flags.len > 0 && qfile_add_attr(&s->w, "flags",
	    s->flags.s) == -1) {
		return refuse(s, DSN_PERM, "5.5.4", "bad flags");
	}
	return 0;
}

/* The attributes a submitter may set, and their checks. */
static int
on_attr(struct session *s, const char *value)
{
	const char	*eq = strchr(value, '=');
	struct str	 name = STR_INIT;
	const char	*v = eq + 1;
	bool		 good;

	str_set_mem(&name, value, (size_t)(eq - value));
	if (str_eq(&name, "full_name")) {
		good = true;
	} else if (str_eq(&name, "envid")) {
		good = strlen(v) <= 100 && qfile_xtext_valid(v, strlen(v));
	} else if (str_eq(&name, "ret")) {
		good = strcmp(v, "FULL") == 0 || strcmp(v, "HDRS") == 0;
	} else if (str_eq(&name, "body_type")) {
		good = strcmp(v, "7BIT") == 0 || strcmp(v, "8BITMIME") == 0;
	} else {
		refuse(s, DSN_PERM, "5.5.4", "attribute not allowed: %s",
		    name.s);
		str_free(&name);
		return -1;
	}
	if (!good) {
		refuse(s, DSN_PERM, "5.5.4", "bad %s value", name.s);
		str_free(&name);
		return -1;
	}
	if (qfile_add_attr(&s->w, name.s, v) == -1) {
		refuse(s, DSN_PERM, "5.5.4", "cannot add %s: %s", name.s,
		    errno == EEXIST ? "given twice" : strerror(errno));
		str_free(&name);
		return -1;
	}
	str_free(&name);
	return 0;
}

static int
on_rcpt(struct session *s, const char *value)
{
	struct str	notify = STR_INIT, orcpt = STR_INIT, addr = STR_INIT;
	unsigned	bits = 0;
	int		rc = -1;

	if (submit_split_rcpt(value, &notify, &orcpt, &addr) == -1) {
		refuse(s, DSN_PERM, "5.5.4", "malformed recipient record");
		goto out;
	}
	if (notify.len > 0 && qfile_notify_parse(notify.s, notify.len,
	    &bits) == -1) {
		refuse(s, DSN_PERM, "5.5.4", "bad NOTIFY value");
		goto out;
	}
	if (qfile_add_rcpt(&s->w, addr.s, bits, orcpt.len > 0 ? orcpt.s :
	    NULL) == -1) {
		if (errno == E2BIG) {
			refuse(s, DSN_PERM, "5.5.3", "too many recipients");
		} else {
			refuse(s, DSN_PERM, "5.1.3", "bad recipient");
		}
		goto out;
	}
	rc = 0;
out:
	str_free(&notify);
	str_free(&orcpt);
	str_free(&addr);
	return rc;
}

static int
end_envelope(struct session *s)
{
	if (s->content) {
		return 0;
	}
	if (qfile_end_envelope(&s->w) == -1) {
		if (errno == EINVAL) {
			return refuse(s, DSN_PERM, "5.5.4", "no recipients");
		}
		return write_error(s, "queue file write error");
	}
	s->content = true;
	return 0;
}

static int
on_content(struct session *s, const struct str *data,
    unsigned long long total)
{
	if (end_envelope(s) == -1) {
		return -1;
	}
	if (s->pd->size_limit > 0 && total > s->pd->size_limit) {
		return refuse(s, DSN_PERM, "5.3.4", "message file too big");
	}
	if (qfile_content(&s->w, data->s, data->len) == -1) {
		return write_error(s, "queue file write error");
	}
	return 0;
}

int
postdrop_queue(const struct postdrop *pd)
{
	struct session		 s;
	struct buf		 in, out;
	struct submit_reader	 rd = SUBMIT_READER_INIT;
	struct submit_record	 rec = SUBMIT_RECORD_INIT;
	struct str		 why = STR_INIT;
	unsigned char		 inmem[2 * POSTDROP_BUF];
	unsigned char		 outmem[2 * POSTDROP_BUF];
	char			 id[QID_SIZE];
	int			 r, ex;

	memset(&s, 0, sizeof(s));
	s.pd = pd;
	s.w = (struct qfile_writer)QFILE_WRITER_INIT;
	buf_init_fd(&in, 0, inmem, sizeof(inmem), -1);
	buf_init_fd(&out, 1, outmem, sizeof(outmem), -1);
	for (;;) {
		if ((r = submit_get(&in, &rd, &rec, &why)) != 1) {
			if (r == -1 && errno == EBADMSG) {
				refuse(&s, DSN_PERM, "5.5.4", "%s", why.s);
			} else if (r == -1) {
				refuse(&s, DSN_TEMP, "4.3.0", "read error: %s",
				    strerror(errno));
			} else {
				refuse(&s, DSN_PERM, "5.5.4",
				    "end of input before the E record");
			}
			goto fail;
		}
		switch (rec.tag) {
		case 'F':
			/* sendmail -t, sendmail -bv, or both */
			if (rec.value.len > 0 &&
			    strcmp(rec.value.s, "extract") != 0 &&
			    strcmp(rec.value.s, "verify") != 0 &&
			    strcmp(rec.value.s, "extract,verify") != 0) {
				refuse(&s, DSN_PERM, "5.5.4", "unknown flags");
				goto fail;
			}
			str_set(&s.flags, rec.value.s);
			break;
		case 'S':
			if (on_sender(&s, rec.value.s) == -1) {
				goto fail;
			}
			break;
		case 'A':
			if (on_attr(&s, rec.value.s) == -1) {
				goto fail;
			}
			break;
		case 'R':
			if (on_rcpt(&s, rec.value.s) == -1) {
				goto fail;
			}
			break;
		case 'D':
			if (on_content(&s, &rec.value,
			    rd.content_bytes) == -1) {
				goto fail;
			}
			break;
		case 'E':
			goto done;
		}
	}
done:
	if (end_envelope(&s) == -1) {
		goto fail;
	}
	if (qfile_commit(&s.w, QFILE_MAILDROP, id) == -1) {
		write_error(&s, "queue file write error");
		goto fail;
	}
	qfile_abort(&s.w);
	log_debug("%s: queued in maildrop for uid %lu", id,
	    (unsigned long)pd->uid);
	if (submit_put_reply(&out, DSN_OK, NULL, id) == -1) {
		/* Queued all the same: pickup will take it. */
		log_warn("%s: cannot send the reply", id);
	}
	if (wake_up(pd->queue_dir, "pickup") == -1) {
		log_warn("cannot wake pickup");
	}
	ex = 0;
	goto out;

fail:
	/* Nothing of the message may stay behind. */
	if (s.begun) {
		qfile_abort(&s.w);
	}
	log_warnx("message refused: %s", str_c(&s.text));
	(void)submit_put_reply(&out, s.status, s.code, str_c(&s.text));
	ex = s.status == DSN_TEMP ? EX_TEMPFAIL : EX_DATAERR;
out:
	submit_record_free(&rec);
	str_free(&why);
	str_free(&s.flags);
	str_free(&s.text);
	return ex;
}
