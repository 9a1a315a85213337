/* SPDX-License-Identifier: ISC */
/*
 * cleanup_session.c: one submission, from the first record to the reply.
 *
 * The order that makes the reply trustworthy: the queue file is committed
 * (fsync'ed, linked into incoming/, directory fsync'ed: qfile_commit)
 * before "OK" is written, and anything else, including a reply that
 * cannot be written, leaves nothing behind: the tmp file is removed by
 * qfile_abort, and a submitter that sees no "OK" keeps the message.  qmgr
 * is woken only after the reply, through its FIFO, which cleanup keeps
 * open from one message to the next; a lost wake-up only delays
 * delivery, since qmgr also scans incoming/ on a timer.
 *
 * Before each message, cleanup takes a token of in_flow_delay's flow
 * control (lib/flow.h), waiting up to in_flow_delay for one.
 *
 * F early-id adds an answer right after the S record: "ID queue-id" once
 * the queue file is begun, or the final answer of a message refused by
 * then, after which the input is read to its end and dropped, and
 * nothing else is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "conf.h"
#include "flow.h"
#include "jail.h"
#include "log.h"
#include "qfile.h"
#include "submit.h"
#include "wake.h"
#include "cleanup.h"

static void	cleanup_reply(struct cleanup *, int, bool *);
static void	cleanup_early(struct cleanup *, int);
static unsigned	session_classes(const char *);
static void	flow_wait(void);

/* qmgr's wake-up FIFO, kept open from one message to the next */
static struct wake_fifo	qmgr_fifo = WAKE_FIFO_INIT;
/* the header fields' array of the last message, for the next one (kept
 * up to CLEANUP_SPARE_FIELDS entries) */
static struct cleanup_fields	spare_fields = CLEANUP_FIELDS_INIT;
#define CLEANUP_SPARE_FIELDS	256

/* Whether the reply descriptor is O_NONBLOCK (1, 0), asked once for a
 * whole connection and given to each reply's buf, which then writes a
 * reply without a poll first (buf.h); -1: unknown, buf asks itself. */
static int		out_nonblock = -1;

/* The CLEANUP_CLASS_* bits of a class list parameter. */
static unsigned
session_classes(const char *param)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} names[] = {
		{ "envelope_sender", CLEANUP_CLASS_ENVELOPE_SENDER },
		{ "envelope_recipient", CLEANUP_CLASS_ENVELOPE_RECIPIENT },
		{ "header_sender", CLEANUP_CLASS_HEADER_SENDER },
		{ "header_recipient", CLEANUP_CLASS_HEADER_RECIPIENT },
	};
	struct str	word = STR_INIT;
	unsigned	bits = 0;
	size_t		pos = 0, i;

	while (conf_list_next(conf_value(param), &pos, &word) == 1) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (str_eq(&word, names[i].name)) {
				bits |= names[i].bit;
				break;
			}
		}
		if (i == sizeof(names) / sizeof(names[0])) {
			log_warnx("%s: unknown class \"%s\" ignored", param,
			    word.s);
		}
	}
	str_free(&word);
	return bits;
}

/* The settings every message of this process uses (cleanup.h); reading
 * them per message was a tenth of cleanup's own time. */
static struct cleanup_settings	settings;
static bool			settings_read;

static void
settings_load(void)
{
	settings.myhostname = conf_value("myhostname");
	settings.mail_name = conf_value("mail_name");
	settings.message_size_limit = conf_size("message_size_limit");
	settings.header_size_limit = conf_size("header_size_limit");
	settings.hopcount_limit = conf_int("hopcount_limit");
	settings.recursion_limit = conf_int("virtual_alias_recursion_limit");
	settings.expansion_limit = conf_int("virtual_alias_expansion_limit");
	settings.always_add_missing_headers =
	    conf_bool("always_add_missing_headers");
	settings.allow_min_user = conf_bool("allow_min_user");
	settings.canonical_classes = session_classes("canonical_classes");
	settings.masquerade_classes = session_classes("masquerade_classes");
	settings_read = true;
}

void
cleanup_init(struct cleanup *c, const char *config_dir)
{
	struct str	err = STR_INIT;

	if (!settings_read) {
		settings_load();
	}
	/* all zero, and the queue file writer as QFILE_WRITER_INIT, but
	 * for the writer's buffer memory (qfile_writer_init) */
	memset(c, 0, offsetof(struct cleanup, writer));
	memset((char *)c + offsetof(struct cleanup, writer) +
	    sizeof(c->writer), 0, sizeof(*c) -
	    offsetof(struct cleanup, writer) - sizeof(c->writer));
	qfile_writer_init(&c->writer);
	c->fields.v = spare_fields.v;
	c->fields.cap = spare_fields.cap;
	spare_fields.v = NULL;
	spare_fields.cap = 0;
	c->config_dir = config_dir;
	c->queue_directory = jail_queue_dir();
	c->conf = settings;
	c->phase = CLEANUP_HEADERS;
	c->status = DSN_OK;
	/*
	 * A table that cannot be opened defers the message (the submitter
	 * keeps it) rather than ending cleanup without a reply.
	 */
	if (cleanup_rewrite_init(c, &err) == -1) {
		(void)cleanup_fail(c, DSN_TEMP, "4.3.0", "%s", err.s);
	}
	str_free(&err);
}

void
cleanup_free(struct cleanup *c)
{
	size_t	i;

	if (c->writing) {
		qfile_abort(&c->writer);
		c->writing = false;
	}
	cleanup_rewrite_free(c);
	str_free(&c->sender);
	str_free(&c->attrs);
	str_free(&c->submit_uid);
	str_free(&c->full_name);
	cleanup_rcpts_free(&c->rcpts);
	for (i = 0; i < c->fields.n; i++) {
		str_free(&c->fields.v[i]);
	}
	/* the array waits for the next message (cleanup_init): freed, its
	 * page would go back to the system, and be mapped again */
	free(spare_fields.v);
	spare_fields.v = NULL;
	spare_fields.cap = 0;
	if (c->fields.cap <= CLEANUP_SPARE_FIELDS) {
		spare_fields.v = c->fields.v;
		spare_fields.cap = c->fields.cap;
	} else {
		free(c->fields.v);
	}
	c->fields.v = NULL;
	c->fields.n = c->fields.cap = c->fields.bytes = 0;
	str_free(&c->line);
	str_free(&c->message_id);
	str_free(&c->code);
	str_free(&c->text);
}

int
cleanup_fail(struct cleanup *c, enum dsn_status status, const char *code,
    const char *fmt, ...)
{
	va_list	ap;

	if (c->status != DSN_OK) {
		return -1;
	}
	c->status = status;
	str_set(&c->code, code);
	str_clear(&c->text);
	va_start(ap, fmt);
	str_vcatf(&c->text, fmt, ap);
	va_end(ap);
	log_warnx("%s: %s: %s %s", c->writing ? c->id : "NOQUEUE",
	    status == DSN_TEMP ? "defer" : "reject", code, c->text.s);
	return -1;
}

bool
cleanup_failed(const struct cleanup *c)
{
	return c->status != DSN_OK;
}

/* Write the reply; *sent tells whether it reached the pipe. */
static void
cleanup_reply(struct cleanup *c, int out, bool *sent)
{
	unsigned char	mem[2 * 1024];
	struct buf	b;
	int		rc;

	buf_init_fd(&b, out, mem, sizeof(mem), CLEANUP_READ_TIMEOUT_MS);
	b.nonblock = out_nonblock;
	if (c->status == DSN_OK) {
		rc = submit_put_reply(&b, DSN_OK, NULL, c->id);
	} else {
		rc = submit_put_reply(&b, c->status, c->code.s, c->text.s);
	}
	*sent = rc == 0;
	if (rc == -1) {
		log_warn("%s: write reply", c->status == DSN_OK ? c->id :
		    "NOQUEUE");
	}
}

/*
 * F early-id, right after S: begin the queue file and answer its ID, or,
 * when the message is refused already, the final answer.
 */
static void
cleanup_early(struct cleanup *c, int out)
{
	unsigned char	mem[2 * 1024];
	struct buf	b;
	bool		sent;

	if (!cleanup_failed(c) && cleanup_envelope_begin(c) == 0) {
		buf_init_fd(&b, out, mem, sizeof(mem),
		    CLEANUP_READ_TIMEOUT_MS);
		b.nonblock = out_nonblock;
		if (submit_put_early_id(&b, c->id) == -1) {
			log_warn("%s: write queue ID", c->id);
			(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
			    "cannot write the queue ID");
		}
		memcpy(c->early, c->id, sizeof(c->early));
		return;
	}
	if (c->writing) {
		qfile_abort(&c->writer);
		c->writing = false;
	}
	cleanup_reply(c, out, &sent);
	c->answered = true;
	c->answered_rc = sent ? 0 : EX_IOERR;
}

/*
 * in_flow_delay: a token from qmgr before each message, or a wait of up
 * to in_flow_delay for one (lib/flow.h).  The FIFO is opened once; a
 * cleanup that cannot open it (none: qmgr never ran; not mail_owner)
 * does without.
 */
static void
flow_wait(void)
{
	static struct flow_reader	 r = { -2, -1 };
	static int			 delay_ms = -1;
	long long			 delay;

	if (delay_ms == -1) {
		/* read once: the configuration stays for the process */
		delay = conf_time("in_flow_delay");
		delay_ms = delay <= 0 ? 0 : delay > 60 ? 60000 :
		    (int)delay * 1000;
	}
	if (delay_ms == 0) {
		return;
	}
	if (r.fd == -2 && flow_open_get(jail_queue_dir(), &r) == -1 &&
	    errno != ENOENT && errno != EACCES) {
		log_warn("open %s: no flow control", FLOW_FIFO);
	}
	if (r.fd >= 0 && flow_get(&r, delay_ms) == -1) {
		log_warn("%s: token", FLOW_FIFO);
	}
}

int
cleanup_serve(const char *config_dir, int in, int out)
{
	/* static: only the pages that the input fills are ever touched */
	static unsigned char	 mem[2 * 16 * 1024];
	struct cleanup		 c;
	struct buf		 b;
	bool			 more;
	int			 rc, fl;

	fl = fcntl(out, F_GETFL);
	out_nonblock = fl != -1 && (fl & O_NONBLOCK) != 0;
	buf_init_fd(&b, in, mem, sizeof(mem), CLEANUP_READ_TIMEOUT_MS);
	do {
		flow_wait();
		cleanup_init(&c, config_dir);
		rc = cleanup_run(&c, &b, out);
		more = rc == 0 && c.input_done;
		cleanup_free(&c);
	} while (more && buf_wait_input(&b) == 1);
	return rc;
}

int
cleanup_run(struct cleanup *c, struct buf *b, int out)
{
	/* static: its buffer, as large as a D record, serves every message
	 * of a long-lived cleanup (freeing it would give the pages back to
	 * the system each time, and take them again for the next one) */
	static struct submit_record	rec = SUBMIT_RECORD_INIT;
	struct submit_reader		rd = SUBMIT_READER_INIT;
	struct str			why = STR_INIT;
	bool				done = false, sent;
	int				r;

	while (!done) {
		if ((r = submit_get(b, &rd, &rec, &why)) != 1) {
			/* No resynchronising after a broken record. */
			if (c->answered) {
				/* the submitter stopped after our answer */
			} else if (r == -1 && errno == EBADMSG) {
				c->status = DSN_OK;	/* this one wins */
				(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
				    "protocol error: %s", why.s);
			} else {
				c->status = DSN_OK;
				(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
				    "read error: %s", r == 0 ?
				    "unexpected end of input" :
				    strerror(errno));
			}
			break;
		}
		if (c->answered) {
			/* dropped: the message was refused after S */
			done = rec.tag == 'E';
			continue;
		}
		switch (rec.tag) {
		case 'D':
			cleanup_content(c, rec.value.s, rec.value.len);
			break;
		case 'E':
			cleanup_content_end(c);
			done = true;
			break;
		default:
			cleanup_envelope_record(c, rec.tag, &rec.value);
			if (rec.tag == 'S' && c->early_id) {
				cleanup_early(c, out);
			}
			break;
		}
	}
	str_clear(&rec.value);
	str_free(&why);
	c->input_done = done;
	if (c->answered) {
		return c->answered_rc;
	}

	if (!cleanup_failed(c) && !c->writing) {
		/* cleanup_content_end always starts the file: our bug. */
		panic("cleanup_run: no queue file at the end");
	}
	if (!cleanup_failed(c)) {
		if (qfile_commit(&c->writer, QFILE_INCOMING, c->id) == -1) {
			(void)cleanup_fail(c, DSN_TEMP, "4.3.0",
			    "queue file write error: %s", strerror(errno));
		} else {
			c->writing = false;
			if (c->early[0] != '\0' && strcmp(c->early, c->id) !=
			    0) {
				/* see qfile_id: not while the queue is on
				 * one file system */
				log_warnx("%s: queue ID announced as %s",
				    c->id, c->early);
			}
			log_info("%s: message-id=%s", c->id,
			    str_c(&c->message_id));
		}
	}
	if (c->writing) {
		qfile_abort(&c->writer);
		c->writing = false;
	}
	cleanup_reply(c, out, &sent);
	if (c->status == DSN_OK && wake_up_kept(&qmgr_fifo, c->queue_directory,
	    "qmgr") == -1) {
		log_warn("%s: wake up qmgr", c->id);
	}
	return sent ? 0 : EX_IOERR;
}
