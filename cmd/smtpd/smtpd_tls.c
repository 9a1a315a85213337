/* SPDX-License-Identifier: ISC */
/*
 * smtpd_tls.c: TLS in smtpd(8): STARTTLS (RFC 3207) and
 * smtpd_tls_wrappermode (port 465, RFC 8314), over lib/tls.
 *
 * The certificate and key are loaded when the session starts, as root
 * before privileges are dropped (keys are usually readable by root
 * only); a file that cannot be used is logged, and STARTTLS is then not
 * offered (and answered 454).
 *
 * After "220 Ready to start TLS", whatever the client had already sent
 * in plain text is thrown away, never taken as commands of the TLS
 * session (CVE-2011-0411); RFC 3207 §4.2 also makes the server forget
 * everything the client said before: the HELO name, the transaction,
 * an AUTH login.  A failed handshake ends only this session, logged
 * as Postfix does ("SSL_accept error from host[addr]: reason").
 */
#include <errno.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "smtpd.h"
#include "tls.h"

/* How long a close_notify may take at the end of a session. */
#define SMTPD_TLS_CLOSE_MS	5000

void
smtpd_tls_init(struct smtpd *s)
{
	const char	*level = conf_value("smtpd_tls_security_level");
	const char	*cert = conf_value("smtpd_tls_cert_file");
	struct str	 err = STR_INIT;

	s->tls_wrapper = conf_bool("smtpd_tls_wrappermode");
	if (*level == '\0' || strcmp(level, "none") == 0) {
		s->tls_offer = false;
	} else if (strcmp(level, "may") == 0) {
		s->tls_offer = true;
	} else if (strcmp(level, "encrypt") == 0) {
		s->tls_offer = s->tls_required = true;
	} else {
		/* a misspelt "encrypt" must not turn TLS off */
		log_warnx("smtpd_tls_security_level: unknown value \"%s\", "
		    "using encrypt", level);
		s->tls_offer = s->tls_required = true;
	}
	if (!s->tls_offer && !s->tls_wrapper) {
		return;
	}
	if (*cert == '\0') {
		log_warnx("TLS is not available: smtpd_tls_cert_file is "
		    "not set");
		return;
	}
	s->tls_conf = tls_server_conf_load(cert,
	    conf_value("smtpd_tls_key_file"), &err);
	if (s->tls_conf == NULL) {
		log_warnx("TLS is not available: %s", err.s);
	}
	str_free(&err);
}

/* The handshake, after which the session reads and writes through TLS. */
static int
handshake(struct smtpd *s, const char *after)
{
	struct str	text = STR_INIT;

	s->tls = tls_new();
	if (tls_server_start(s->tls, s->in.fd, s->out.fd, s->tls_conf,
	    s->timeout_ms, &text) == -1) {
		log_info("SSL_accept error from %s: %s", s->peer, text.s);
		log_info("lost connection after %s from %s", after, s->peer);
		tls_free(s->tls);
		s->tls = NULL;
		s->quit = true;
		str_free(&text);
		return -1;
	}
	str_clear(&text);
	tls_describe(tls_get_info(s->tls), &text);
	log_info("Anonymous TLS connection established from %s: %s",
	    s->peer, text.s);
	tls_attach(s->tls, &s->in);
	tls_attach(s->tls, &s->out);
	str_free(&text);
	return 0;
}

int
smtpd_tls_starttls(struct smtpd *s, const char *args)
{
	if (*args != '\0') {
		return smtpd_error(s, 1, "501 5.5.4 Syntax: STARTTLS");
	}
	if (s->tls != NULL) {
		return smtpd_error(s, 1, "554 5.5.1 Error: TLS already "
		    "active");
	}
	if (!s->tls_offer || s->tls_wrapper || s->stdin_mode) {
		return smtpd_error(s, 1, "502 5.5.1 Error: command not "
		    "implemented");
	}
	if (s->tls_conf == NULL) {
		return smtpd_error(s, 0, "454 4.7.0 TLS not available due "
		    "to local problem");
	}
	smtpd_reply(s, "220 2.0.0 Ready to start TLS");
	if (smtpd_flush(s) == -1) {
		return -1;
	}
	/*
	 * CVE-2011-0411: commands pipelined after STARTTLS came in plain
	 * text; they must not run as if they came over TLS.
	 */
	s->in.in_pos = s->in.in_len = 0;
	if (handshake(s, "STARTTLS") == -1) {
		return -1;
	}
	/* RFC 3207 §4.2: start again from before EHLO */
	smtpd_reset(s);
	str_clear(&s->helo);
	s->esmtp = false;
	smtpd_auth_reset(s);
	return 0;
}

int
smtpd_tls_wrapper(struct smtpd *s)
{
	if (s->tls_conf == NULL) {
		log_info("SSL_accept error from %s: TLS is not available",
		    s->peer);
		s->quit = true;
		return -1;
	}
	return handshake(s, "CONNECT");
}

void
smtpd_tls_end(struct smtpd *s)
{
	if (s->tls == NULL) {
		return;
	}
	(void)tls_close(s->tls, s->timeout_ms < SMTPD_TLS_CLOSE_MS ?
	    s->timeout_ms : SMTPD_TLS_CLOSE_MS);
	tls_free(s->tls);
	s->tls = NULL;
}

const char *
smtpd_protocol(const struct smtpd *s)
{
	bool	auth = s->sasl_username != NULL;

	if (!s->esmtp) {
		return "SMTP";
	}
	if (s->tls != NULL) {
		return auth ? "ESMTPSA" : "ESMTPS";
	}
	return auth ? "ESMTPA" : "ESMTP";
}

void
smtpd_tls_received(const struct smtpd *s, struct str *out)
{
	if (s->tls != NULL && conf_bool("smtpd_tls_received_header")) {
		str_cat(out, "\n\t(using ");
		tls_describe(tls_get_info(s->tls), out);
		str_cat(out, ")\n\t(No client certificate requested)");
	}
	if (s->sasl_username != NULL &&
	    conf_bool("smtpd_sasl_authenticated_header")) {
		str_catf(out, "\n\t(Authenticated sender: %s)",
		    s->sasl_username);
	}
}
