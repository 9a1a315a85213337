/* SPDX-License-Identifier: ISC */
/*
 * smtpd_session.c: one SMTP session, from the greeting to QUIT (or to a
 * timeout, too many errors, a protocol violation): reading commands,
 * replying, the envelope commands (MAIL, RCPT with their ESMTP
 * parameters) and the small ones (RSET, NOOP, VRFY, HELP, QUIT).  DATA
 * and BDAT are in smtpd_data.c, the recipient policy in smtpd_policy.c.
 *
 * Every command line is at most line_length_limit bytes; replies are
 * buffered and flushed before each read, so that a pipelined group gets
 * its replies together (RFC 2920).
 */
#include <poll.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "alloc.h"
#include "conf.h"
#include "fd.h"
#include "handoff.h"
#include "log.h"
#include "qfile.h"
#include "scan.h"
#include "smtpd.h"
#include "tls.h"

static const char *const	cmd_names[CMD_COUNT] = {
	"helo", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "bdat",
	"rset", "noop", "vrfy", "help", "quit", "unknown"
};

static bool	pipelined(struct smtpd *, const char *);
static int	error_reply(struct smtpd *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	cmd_helo(struct smtpd *, const char *, bool);
static int	cmd_mail(struct smtpd *, const char *);
static int	cmd_rcpt(struct smtpd *, const char *);
static int	cmd_vrfy(struct smtpd *, const char *);
static int	xtext_ok(const char *, size_t);
static void	upcase(struct str *);
static void	log_disconnect(struct smtpd *);

void
smtpd_reply(struct smtpd *s, const char *fmt, ...)
{
	va_list	ap;
	struct str line = STR_INIT;

	va_start(ap, fmt);
	str_vcatf(&line, fmt, ap);
	va_end(ap);
	log_debug("> %s: %s", s->peer, line.s);
	str_cat(&line, "\r\n");
	buf_put(&s->out, line.s, line.len);
	str_free(&line);
}

int
smtpd_flush(struct smtpd *s)
{
	if (buf_flush(&s->out) == -1) {
		if (!s->quit) {
			log_info("lost connection after write to %s",
			    s->peer);
		}
		s->quit = true;
		return -1;
	}
	return 0;
}

void
smtpd_log_reject(struct smtpd *s, const char *cmd, const char *rcpt,
    const char *reply)
{
	struct str	line = STR_INIT;

	str_catf(&line, "%s: reject: %s from %s: %s;", s->log_id[0] != '\0' ?
	    s->log_id : "NOQUEUE", cmd, s->peer, reply);
	/* HELO comes before any sender */
	if (strcmp(cmd, "HELO") != 0 && strcmp(cmd, "EHLO") != 0) {
		str_catf(&line, " from=<%s>", str_c(&s->sender));
	}
	if (rcpt != NULL) {
		str_catf(&line, " to=<%s>", rcpt);
	}
	str_catf(&line, " proto=%s helo=<%s>", s->esmtp ? "ESMTP" : "SMTP",
	    str_c(&s->helo));
	log_info("%s", line.s);
	str_free(&line);
}

void
smtpd_settings(struct smtpd *s)
{
	const char	*bare = conf_value("smtpd_forbid_bare_newline");

	s->myhostname = conf_value("myhostname");
	s->size_limit = conf_size("message_size_limit");
	s->recipient_limit = conf_int("smtpd_recipient_limit");
	s->soft_limit = conf_int("smtpd_soft_error_limit");
	s->hard_limit = conf_int("smtpd_hard_error_limit");
	s->sleep_time = conf_time("smtpd_error_sleep_time");
	s->line_limit = (size_t)conf_int("line_length_limit");
	if (s->line_limit < 512) {
		s->line_limit = 512;
	}
	s->timeout_ms = (int)(conf_time("smtpd_timeout") > 86400 ? 86400000 :
	    conf_time("smtpd_timeout") * 1000);
	s->forbid_pipelining = conf_bool("smtpd_forbid_unauth_pipelining");
	s->disable_vrfy = conf_bool("disable_vrfy_command");
	if (strcmp(bare, "reject") == 0 || strcmp(bare, "yes") == 0) {
		s->bare = BARE_REJECT;
	} else if (strcmp(bare, "normalize") == 0 || strcmp(bare, "no") ==
	    0) {
		s->bare = BARE_NORMALIZE;
	} else {
		log_warnx("smtpd_forbid_bare_newline: unknown value \"%s\", "
		    "using reject", bare);
		s->bare = BARE_REJECT;
	}
}

void
smtpd_free(struct smtpd *s)
{
	smtpd_end_session(s);
	tls_server_conf_free(s->tls_conf);
	s->tls_conf = NULL;
}

void
smtpd_end_session(struct smtpd *s)
{
	smtpd_reset(s);
	smtpd_tls_end(s);
	free(s->rcpts);
	s->rcpts = NULL;
	s->nrcpt = s->rcpt_cap = 0;
	str_free(&s->helo);
	str_free(&s->sasl_name);
	s->sasl_username = NULL;
	str_free(&s->early_reject);
	str_free(&s->policy_reply);
	str_free(&s->sender);
	str_free(&s->envid);
	str_free(&s->ret);
	str_free(&s->body_type);
}

/* Forget the transaction (RSET, after a message, after an error). */
void
smtpd_reset(struct smtpd *s)
{
	size_t	i;

	smtpd_xfer_abort(s);
	s->log_id[0] = '\0';
	for (i = 0; i < s->nrcpt; i++) {
		free(s->rcpts[i].addr);
		free(s->rcpts[i].orcpt);
	}
	s->nrcpt = 0;
	s->in_mail = false;
	s->smtputf8 = false;
	s->declared_size = 0;
	str_clear(&s->sender);
	str_clear(&s->envid);
	str_clear(&s->ret);
	str_clear(&s->body_type);
}

/*
 * An error reply: counts toward smtpd_soft_error_limit (then a pause
 * before the reply) and smtpd_hard_error_limit (then 421 and the end).
 * Returns -1 so that command handlers can "return error_reply(...)".
 */
static int
error_reply(struct smtpd *s, int count, const char *fmt, ...)
{
	va_list		ap;
	struct str	line = STR_INIT;

	va_start(ap, fmt);
	str_vcatf(&line, fmt, ap);
	va_end(ap);
	if (count) {
		s->errors++;
	}
	if (s->errors >= s->soft_limit && s->sleep_time > 0) {
		(void)smtpd_flush(s);
		(void)sleep((unsigned)s->sleep_time);
	}
	smtpd_reply(s, "%s", line.s);
	str_free(&line);
	return -1;
}

int
smtpd_error(struct smtpd *s, int count, const char *text)
{
	return error_reply(s, count, "%s", text);
}

/*
 * A line of the client inside a command (AUTH responses), without its
 * line end: replies are flushed first.  1 a line, 0 too long (a reply
 * is up to the caller), -1 the session ends (lost, timeout; logged).
 */
int
smtpd_read_line(struct smtpd *s, struct str *line, const char *after)
{
	int	r;

	if (smtpd_flush(s) == -1) {
		return -1;
	}
	r = buf_getline(&s->in, line, s->line_limit);
	if (r == -1 && errno == EMSGSIZE) {
		return 0;
	}
	if (r == -1 && errno == ETIMEDOUT) {
		log_info("timeout after %s from %s", after, s->peer);
		smtpd_reply(s, "421 4.4.2 %s Error: timeout exceeded",
		    s->myhostname);
		s->quit = true;
		return -1;
	}
	if (r != 1 || line->s[line->len - 1] != '\n') {
		log_info("lost connection after %s from %s", after, s->peer);
		s->quit = true;
		return -1;
	}
	str_truncate(line, line->len - 1);
	if (line->len > 0 && line->s[line->len - 1] == '\r') {
		str_truncate(line, line->len - 1);
	}
	return 1;
}

/*
 * After a command that ends a pipelined group (EHLO, HELO, DATA, NOOP,
 * VRFY, QUIT, and the greeting), more input already there is a client
 * that does not wait for our replies (Postfix 3.9's
 * smtpd_forbid_unauth_pipelining): log it, 554, and the end.
 */
static bool
pipelined(struct smtpd *s, const char *after)
{
	struct pollfd	pfd;
	char		peek[100];
	size_t		n;
	ssize_t		r;

	if (!s->forbid_pipelining) {
		return false;
	}
	if (buf_pending(&s->in) == 0) {
		pfd.fd = s->in.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN)) {
			return false;
		}
		/* what came, for the log (the session ends anyway) */
		if ((r = fd_read(s->in.fd, peek, sizeof(peek) - 1)) <= 0) {
			return false;
		}
		n = (size_t)r;
	} else {
		n = buf_pending(&s->in);
		n = n < sizeof(peek) - 1 ? n : sizeof(peek) - 1;
		memcpy(peek, s->in.in + s->in.in_pos, n);
	}
	peek[n] = '\0';
	log_info("improper command pipelining after %s from %s: %s", after,
	    s->peer, n > 0 ? peek : "(more input)");
	smtpd_reply(s, "554 5.5.0 Error: SMTP protocol synchronization");
	s->quit = true;
	return true;
}

static void
upcase(struct str *v)
{
	size_t	i;

	for (i = 0; i < v->len; i++) {
		v->s[i] = (char)toupper((unsigned char)v->s[i]);
	}
}

/*
 * RFC 3461 xtext: printable ASCII but '+' and '=', and "+XX" with two
 * uppercase hex digits; a "+XX" that decodes to NUL, CR or LF is refused
 * too (ORCPT, ENVID, AUTH= must not smuggle them in).  1 or 0.
 */
static int
xtext_ok(const char *v, size_t n)
{
	size_t	i;
	int	hi, lo, c;

	if (n == 0) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)v[i];
		if (c == '+') {
			if (n - i < 3) {
				return 0;
			}
			hi = v[i + 1];
			lo = v[i + 2];
			if (!isxdigit(hi) || !isxdigit(lo) ||
			    islower(hi) || islower(lo)) {
				return 0;
			}
			c = (isdigit(hi) ? hi - '0' : hi - 'A' + 10) * 16 +
			    (isdigit(lo) ? lo - '0' : lo - 'A' + 10);
			if (c == 0 || c == '\r' || c == '\n') {
				return 0;
			}
			i += 2;
		} else if (c < 33 || c > 126 || c == '=') {
			return 0;
		}
	}
	return qfile_xtext_valid(v, n) ? 1 : 0;
}

static int
cmd_helo(struct smtpd *s, const char *arg, bool ehlo)
{
	while (*arg == ' ') {
		arg++;
	}
	if (*arg == '\0') {
		return error_reply(s, 1, "501 Syntax: %s hostname",
		    ehlo ? "EHLO" : "HELO");
	}
	if (strlen(arg) > 255 || strpbrk(arg, " \t") != NULL) {
		return error_reply(s, 1, "501 5.5.4 Syntax: %s hostname",
		    ehlo ? "EHLO" : "HELO");
	}
	smtpd_reset(s);
	str_set(&s->helo, arg);
	s->esmtp = ehlo;
	if (smtpd_policy_helo(s, &s->policy_reply) == -1) {
		smtpd_log_reject(s, ehlo ? "EHLO" : "HELO", NULL,
		    s->policy_reply.s);
		str_clear(&s->helo);
		return error_reply(s, s->policy_reply.s[0] == '5', "%s",
		    s->policy_reply.s);
	}
	if (!ehlo) {
		smtpd_reply(s, "250 %s", s->myhostname);
		return 0;
	}
	smtpd_reply(s, "250-%s", s->myhostname);
	smtpd_reply(s, "250-PIPELINING");
	if (s->size_limit > 0) {
		smtpd_reply(s, "250-SIZE %llu", s->size_limit);
	} else {
		smtpd_reply(s, "250-SIZE");
	}
	if (!s->disable_vrfy) {
		smtpd_reply(s, "250-VRFY");
	}
	if (s->tls_offer && s->tls_conf != NULL && s->tls == NULL &&
	    !s->tls_wrapper && !s->stdin_mode) {
		smtpd_reply(s, "250-STARTTLS");
	}
	if (smtpd_auth_offered(s)) {
		smtpd_reply(s, "250-AUTH PLAIN LOGIN");
	}
	smtpd_reply(s, "250-ENHANCEDSTATUSCODES");
	smtpd_reply(s, "250-8BITMIME");
	smtpd_reply(s, "250-DSN");
	smtpd_reply(s, "250-SMTPUTF8");
	smtpd_reply(s, "250 CHUNKING");
	return 0;
}

/* "FROM:<path> params" or "TO:<path> params": the path's start. */
static const char *
path_start(const char *arg, const char *kw)
{
	size_t	n = strlen(kw);

	if (strncasecmp(arg, kw, n) != 0) {
		return NULL;
	}
	arg += n;
	while (*arg == ' ') {
		arg++;
	}
	return arg;
}

/* The next "KEY=VALUE" word of params into key and value. */
static int
next_param(const char **p, struct str *key, struct str *value)
{
	const char	*w, *eq, *end;

	while (**p == ' ') {
		(*p)++;
	}
	if (**p == '\0') {
		return 0;
	}
	w = *p;
	end = strchr(w, ' ');
	if (end == NULL) {
		end = w + strlen(w);
	}
	*p = end;
	eq = memchr(w, '=', (size_t)(end - w));
	if (eq == NULL) {
		str_set_mem(key, w, (size_t)(end - w));
		/* "", never NULL: callers use value->s as a C string
		 * ("SIZE" alone goes to scan_uint) */
		str_set(value, "");
	} else {
		str_set_mem(key, w, (size_t)(eq - w));
		str_set_mem(value, eq + 1, (size_t)(end - eq - 1));
	}
	upcase(key);
	return 1;
}

static int
cmd_mail(struct smtpd *s, const char *arg)
{
	struct addr_error	 err;
	struct str		 key = STR_INIT, value = STR_INIT;
	const char		*p;
	size_t			 end;
	int			 flags = ADDR_PATH_NULL_OK, rc = -1;
	unsigned long long	 size;

	if (s->helo.len == 0 && conf_bool("smtpd_helo_required")) {
		return error_reply(s, 1, "503 5.5.1 Error: send HELO/EHLO "
		    "first");
	}
	if (s->tls_required && s->tls == NULL) {
		return error_reply(s, 1, "530 5.7.0 Must issue a STARTTLS "
		    "command first");
	}
	if (s->in_mail) {
		return error_reply(s, 1, "503 5.5.1 Error: nested MAIL "
		    "command");
	}
	if ((p = path_start(arg, "FROM:")) == NULL) {
		return error_reply(s, 1, "501 5.5.4 Syntax: MAIL "
		    "FROM:<address>");
	}
	smtpd_reset(s);
	/* SMTPUTF8 decides how the path is parsed: look for it first */
	if (s->esmtp) {
		const char *q = strchr(p, '>');

		q = q != NULL ? q : p;
		while ((q = strchr(q, ' ')) != NULL) {
			q++;
			if (strncasecmp(q, "SMTPUTF8", 8) == 0 &&
			    (q[8] == ' ' || q[8] == '\0')) {
				flags |= ADDR_PATH_UTF8;
			}
		}
	}
	if (!conf_bool("strict_rfc821_envelopes")) {
		flags |= ADDR_PATH_LAX;
	}
	if (addr_parse_path(p, strlen(p), flags, &s->sender, &end,
	    &err) == -1) {
		(void)error_reply(s, 1, "%d %s %s", err.code, err.status,
		    err.text);
		goto out;
	}
	p += end;
	if (*p != '\0' && *p != ' ') {
		(void)error_reply(s, 1, "501 5.5.4 Syntax: MAIL "
		    "FROM:<address>");
		goto out;
	}
	while (next_param(&p, &key, &value) == 1) {
		if (!s->esmtp) {
			(void)error_reply(s, 1, "555 5.5.4 Unsupported "
			    "option: %s", key.s);
			goto out;
		}
		if (str_eq(&key, "SIZE")) {
			if (scan_uint(value.s, ~0ULL, &size) == -1) {
				(void)error_reply(s, 1, "501 5.5.4 Bad "
				    "message size syntax");
				goto out;
			}
			if (s->size_limit > 0 && size > s->size_limit) {
				(void)error_reply(s, 1, "552 5.3.4 Message "
				    "size exceeds fixed limit");
				goto out;
			}
			s->declared_size = size;
		} else if (str_eq(&key, "BODY")) {
			upcase(&value);
			if (!str_eq(&value, "7BIT") &&
			    !str_eq(&value, "8BITMIME")) {
				(void)error_reply(s, 1, "501 5.5.4 Unsupported "
				    "BODY parameter value");
				goto out;
			}
			str_set(&s->body_type, value.s);
		} else if (str_eq(&key, "SMTPUTF8") && value.len == 0) {
			s->smtputf8 = true;
		} else if (str_eq(&key, "RET") && s->ret.len == 0) {
			upcase(&value);
			if (!str_eq(&value, "FULL") && !str_eq(&value, "HDRS")) {
				(void)error_reply(s, 1, "501 5.5.4 Bad RET "
				    "parameter syntax");
				goto out;
			}
			str_set(&s->ret, value.s);
		} else if (str_eq(&key, "ENVID") && s->envid.len == 0) {
			if (value.len > 100 || !xtext_ok(value.s, value.len)) {
				(void)error_reply(s, 1, "501 5.5.4 Bad ENVID "
				    "parameter syntax");
				goto out;
			}
			str_set(&s->envid, value.s);
		} else if (str_eq(&key, "AUTH")) {
			/* RFC 4954: ignored without AUTH, but checked */
			if (!str_eq(&value, "<>") &&
			    !xtext_ok(value.s, value.len)) {
				(void)error_reply(s, 1, "501 5.5.4 Bad AUTH "
				    "parameter syntax");
				goto out;
			}
		} else {
			(void)error_reply(s, 1, "555 5.5.4 Unsupported "
			    "option: %s", key.s);
			goto out;
		}
	}
	if (smtpd_policy_mail(s, &s->policy_reply) == -1) {
		smtpd_log_reject(s, "MAIL", NULL, s->policy_reply.s);
		(void)error_reply(s, s->policy_reply.s[0] == '5', "%s",
		    s->policy_reply.s);
		goto out;
	}
	s->in_mail = true;
	smtpd_reply(s, "250 2.1.0 Ok");
	rc = 0;
out:
	if (rc == -1) {
		smtpd_reset(s);
	}
	str_free(&key);
	str_free(&value);
	return rc;
}

static int
cmd_rcpt(struct smtpd *s, const char *arg)
{
	struct addr_error	 err;
	struct str		 addr = STR_INIT, key = STR_INIT;
	struct str		 value = STR_INIT, reply = STR_INIT;
	struct str		 orcpt = STR_INIT;
	struct smtpd_rcpt	*r;
	const char		*p;
	size_t			 end;
	unsigned		 notify = 0;
	int			 flags = ADDR_PATH_RCPT, rc = -1;

	if (!s->in_mail) {
		return error_reply(s, 1, "503 5.5.1 Error: need MAIL "
		    "command");
	}
	if ((p = path_start(arg, "TO:")) == NULL) {
		return error_reply(s, 1, "501 5.5.4 Syntax: RCPT "
		    "TO:<address>");
	}
	if (s->smtputf8) {
		flags |= ADDR_PATH_UTF8;
	}
	if (!conf_bool("strict_rfc821_envelopes")) {
		flags |= ADDR_PATH_LAX;
	}
	if (addr_parse_path(p, strlen(p), flags, &addr, &end, &err) == -1) {
		(void)error_reply(s, 1, "%d %s %s", err.code, err.status,
		    err.text);
		goto out;
	}
	p += end;
	if ((*p != '\0' && *p != ' ') || addr.len == 0) {
		(void)error_reply(s, 1, "501 5.5.4 Syntax: RCPT "
		    "TO:<address>");
		goto out;
	}
	while (next_param(&p, &key, &value) == 1) {
		if (s->esmtp && str_eq(&key, "NOTIFY") && notify == 0) {
			upcase(&value);
			if (qfile_notify_parse(value.s, value.len,
			    &notify) == -1 || notify == 0) {
				(void)error_reply(s, 1, "501 5.5.4 Error: Bad "
				    "NOTIFY parameter syntax");
				goto out;
			}
		} else if (s->esmtp && str_eq(&key, "ORCPT") &&
		    orcpt.len == 0) {
			const char *semi = strchr(value.s, ';');

			if (semi == NULL || semi == value.s ||
			    value.len > 500 ||
			    !xtext_ok(value.s, value.len)) {
				(void)error_reply(s, 1, "501 5.5.4 Error: Bad "
				    "ORCPT parameter syntax");
				goto out;
			}
			str_set(&orcpt, value.s);
		} else {
			(void)error_reply(s, 1, "555 5.5.4 Unsupported "
			    "option: %s", key.s);
			goto out;
		}
	}
	if (s->nrcpt >= (size_t)s->recipient_limit) {
		(void)error_reply(s, 0, "452 4.5.3 Error: too many "
		    "recipients");
		goto out;
	}
	if (smtpd_policy_rcpt(s, addr.s, &reply) == -1) {
		smtpd_log_reject(s, "RCPT", addr.s, reply.s);
		(void)error_reply(s, reply.s[0] == '5', "%s", reply.s);
		goto out;
	}
	if (s->nrcpt == s->rcpt_cap) {
		s->rcpt_cap = s->rcpt_cap ? 2 * s->rcpt_cap : 8;
		s->rcpts = xreallocarray(s->rcpts, s->rcpt_cap,
		    sizeof(*s->rcpts));
	}
	r = &s->rcpts[s->nrcpt++];
	r->addr = str_take(&addr);
	r->orcpt = orcpt.len > 0 ? str_take(&orcpt) : NULL;
	r->notify = notify;
	smtpd_reply(s, "250 2.1.5 Ok");
	rc = 0;
out:
	str_free(&addr);
	str_free(&key);
	str_free(&value);
	str_free(&reply);
	str_free(&orcpt);
	return rc;
}

static int
cmd_vrfy(struct smtpd *s, const char *arg)
{
	struct str	addr = STR_INIT, reply = STR_INIT;
	int		rc = -1;

	if (s->disable_vrfy) {
		return error_reply(s, 1, "502 5.5.1 VRFY command is "
		    "disabled");
	}
	while (*arg == ' ') {
		arg++;
	}
	if (addr_parse_path(arg, strlen(arg), ADDR_PATH_LAX | ADDR_PATH_RCPT,
	    &addr, NULL, NULL) == -1 || addr.len == 0) {
		str_free(&addr);
		return error_reply(s, 1, "501 5.5.4 Syntax: VRFY address");
	}
	if (smtpd_policy_rcpt(s, addr.s, &reply) == -1) {
		(void)error_reply(s, reply.s[0] == '5', "%s", reply.s);
	} else {
		smtpd_reply(s, "252 2.0.0 %s", arg);
		rc = 0;
	}
	str_free(&addr);
	str_free(&reply);
	return rc;
}

static void
log_disconnect(struct smtpd *s)
{
	struct str	line = STR_INIT;
	unsigned	ok = 0, total = 0;
	int		i;

	str_catf(&line, "disconnect from %s", s->peer);
	for (i = 0; i < CMD_COUNT; i++) {
		if (s->total[i] == 0) {
			continue;
		}
		ok += s->ok[i];
		total += s->total[i];
		if (s->ok[i] == s->total[i]) {
			str_catf(&line, " %s=%u", cmd_names[i], s->ok[i]);
		} else {
			str_catf(&line, " %s=%u/%u", cmd_names[i], s->ok[i],
			    s->total[i]);
		}
	}
	if (ok == total) {
		str_catf(&line, " commands=%u", ok);
	} else {
		str_catf(&line, " commands=%u/%u", ok, total);
	}
	log_info("%s", line.s);
	str_free(&line);
}

/* Which command a verb is. */
static enum smtpd_cmd
lookup_cmd(const char *verb)
{
	static const struct {
		const char	*name;
		enum smtpd_cmd	 cmd;
	} verbs[] = {
		{ "HELO", CMD_HELO }, { "EHLO", CMD_EHLO },
		{ "STARTTLS", CMD_STARTTLS }, { "AUTH", CMD_AUTH },
		{ "MAIL", CMD_MAIL }, { "RCPT", CMD_RCPT },
		{ "DATA", CMD_DATA }, { "BDAT", CMD_BDAT },
		{ "RSET", CMD_RSET }, { "NOOP", CMD_NOOP },
		{ "VRFY", CMD_VRFY }, { "HELP", CMD_HELP },
		{ "QUIT", CMD_QUIT },
	};
	size_t	i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		/* the first letters first, either case (the verbs are
		 * letters): most verbs differ there already */
		if ((verb[0] | 0x20) == (verbs[i].name[0] | 0x20) &&
		    strcasecmp(verb, verbs[i].name) == 0) {
			return verbs[i].cmd;
		}
	}
	return CMD_UNKNOWN;
}

/* Run one command line (no line end); its counters are updated. */
static void
run_cmd(struct smtpd *s, const char *line)
{
	char		 verb[16];
	const char	*arg;
	size_t		 n;
	enum smtpd_cmd	 c;
	int		 rc = 0;

	n = strcspn(line, " ");
	if (n >= sizeof(verb)) {
		n = sizeof(verb) - 1;
	}
	memcpy(verb, line, n);
	verb[n] = '\0';
	arg = line + strcspn(line, " ");
	if (*arg == ' ') {
		arg++;
	}
	c = lookup_cmd(verb);
	s->total[c]++;
	switch (c) {
	case CMD_HELO:
	case CMD_EHLO:
		rc = cmd_helo(s, arg, c == CMD_EHLO);
		if (rc == 0 && pipelined(s, c == CMD_EHLO ? "EHLO" :
		    "HELO")) {
			rc = -1;
		}
		break;
	case CMD_MAIL:
		rc = cmd_mail(s, arg);
		break;
	case CMD_RCPT:
		rc = cmd_rcpt(s, arg);
		break;
	case CMD_DATA:
		if (*arg != '\0') {
			rc = error_reply(s, 1, "501 5.5.4 Syntax: DATA");
		} else if (s->bdat != NULL) {
			smtpd_reset(s);
			rc = error_reply(s, 1, "503 5.5.1 Error: DATA after "
			    "BDAT");
		} else if (!s->in_mail || s->nrcpt == 0) {
			rc = error_reply(s, 1, s->in_mail ?
			    "554 5.5.1 Error: no valid recipients" :
			    "503 5.5.1 Error: need RCPT command");
			if (s->in_mail && s->forbid_pipelining) {
				/* the message follows: not a command */
				(void)pipelined(s, "DATA");
			}
		} else if (pipelined(s, "DATA")) {
			rc = -1;
		} else {
			rc = smtpd_data(s);
		}
		break;
	case CMD_BDAT:
		rc = smtpd_bdat(s, arg);
		break;
	case CMD_RSET:
		smtpd_reset(s);
		smtpd_reply(s, "250 2.0.0 Ok");
		break;
	case CMD_NOOP:
		smtpd_reply(s, "250 2.0.0 Ok");
		(void)pipelined(s, "NOOP");
		break;
	case CMD_VRFY:
		rc = cmd_vrfy(s, arg);
		(void)pipelined(s, "VRFY");
		break;
	case CMD_HELP:
		smtpd_reply(s, "214 2.0.0 Commands: EHLO HELO MAIL RCPT "
		    "DATA BDAT RSET NOOP VRFY HELP QUIT");
		break;
	case CMD_QUIT:
		smtpd_reply(s, "221 2.0.0 Bye");
		s->quit = true;
		break;
	case CMD_STARTTLS:
		rc = smtpd_tls_starttls(s, arg);
		break;
	case CMD_AUTH:
		rc = smtpd_auth(s, arg);
		break;
	case CMD_UNKNOWN:
		rc = error_reply(s, 1, "502 5.5.2 Error: command not "
		    "recognized");
		break;
	default:
		break;
	}
	if (rc == 0) {
		s->ok[c]++;
	}
}

/*
 * The greeting, then commands until QUIT, end of input, a timeout, too
 * many errors or a violation.  Returns 0 (the session ended normally or
 * the client went away), the disconnect line is logged either way.
 */
int
smtpd_session(struct smtpd *s)
{
	/* expanded once per process: its configuration never changes */
	static struct str banner = STR_INIT;
	struct str	 line = STR_INIT;
	char		 last[16] = "CONNECT";
	size_t		 n, i;
	int		 r;

	log_info("connect from %s", s->peer);
	if (s->tls_wrapper && !s->stdin_mode) {
		/* the client speaks first: its TLS handshake */
		if (smtpd_tls_wrapper(s) == -1) {
			goto done;
		}
	} else if (pipelined(s, "CONNECT")) {
		(void)smtpd_flush(s);
		goto done;
	}
	if (banner.len == 0 && conf_expand_param(conf_main(), "smtpd_banner",
	    &banner) == -1) {
		str_set(&banner, s->myhostname);
	}
	smtpd_reply(s, "220 %s", banner.s);
	while (!s->quit) {
		if (smtpd_flush(s) == -1) {
			break;
		}
		if (s->errors >= s->hard_limit) {
			log_warnx("%s: hard error limit reached", s->peer);
			smtpd_reply(s, "421 4.7.0 %s Error: too many errors",
			    s->myhostname);
			break;
		}
		r = buf_getline(&s->in, &line, s->line_limit);
		if (r == 0 || (r == 1 && line.s[line.len - 1] != '\n')) {
			log_info("lost connection after %s from %s", last,
			    s->peer);
			break;
		}
		if (r == -1 && errno == EMSGSIZE) {
			(void)error_reply(s, 1, "500 5.5.0 Error: line too "
			    "long");
			continue;
		}
		if (r == -1 && errno == ETIMEDOUT) {
			log_info("timeout after %s from %s", last, s->peer);
			smtpd_reply(s, "421 4.4.2 %s Error: timeout exceeded",
			    s->myhostname);
			break;
		}
		if (r == -1) {
			log_info("lost connection after %s from %s", last,
			    s->peer);
			break;
		}
		str_truncate(&line, line.len - 1);
		if (line.len > 0 && line.s[line.len - 1] == '\r') {
			str_truncate(&line, line.len - 1);
		} else if (s->bare == BARE_REJECT) {
			log_info("bare <LF> received from %s", s->peer);
			smtpd_reply(s, "521 5.5.2 %s Error: bare <LF> "
			    "received", s->myhostname);
			break;
		}
		if (strncasecmp(line.s, "AUTH ", 5) == 0) {
			/* never log secrets: the mechanism only */
			log_debug("< %s: %.*s", s->peer, (int)(5 +
			    strcspn(line.s + 5, " ")), line.s);
		} else {
			log_debug("< %s: %s", s->peer, line.s);
		}
		if (memchr(line.s, '\0', line.len) != NULL ||
		    memchr(line.s, '\r', line.len) != NULL) {
			(void)error_reply(s, 1, "500 5.5.2 Error: bad syntax");
			continue;
		}
		n = strcspn(line.s, " ");
		n = n < sizeof(last) - 1 ? n : sizeof(last) - 1;
		memcpy(last, line.s, n);
		last[n] = '\0';
		if (lookup_cmd(last) == CMD_UNKNOWN) {
			(void)snprintf(last, sizeof(last), "UNKNOWN");
		}
		for (i = 0; i < n; i++) {
			last[i] = (char)toupper((unsigned char)last[i]);
		}
		run_cmd(s, line.s);
	}
	(void)smtpd_flush(s);
done:
	smtpd_tls_end(s);
	smtpd_reset(s);
	smtpd_auth_reset(s);
	/* the last reply is out: master may count us idle now, while we
	 * log and close (a client that connects again at once would
	 * otherwise make master start another smtpd) */
	handoff_done_early();
	log_disconnect(s);
	str_free(&line);
	return 0;
}
