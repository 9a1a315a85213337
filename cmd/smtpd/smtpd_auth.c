/* SPDX-License-Identifier: ISC */
/*
 * smtpd_auth.c: SMTP AUTH (RFC 4954) for smtpd(8), mechanisms PLAIN
 * (RFC 4616) and LOGIN, checked against smtpd_sasl_password_maps: a
 * lookup table whose keys are user names and whose values are crypt(3)
 * SHA-512 or SHA-256 hashes (lib/shacrypt: libc's crypt is missing from
 * Debian's musl).  Postfix hands this to Cyrus SASL or Dovecot; we keep it in
 * one small table, so no SASL library is linked.
 *
 * AUTH is offered only with smtpd_sasl_auth_enable = yes, after EHLO,
 * and (smtpd_tls_auth_only = yes, the default) only under TLS.  A
 * failed attempt is an error of the session (smtpd_soft_error_limit,
 * smtpd_hard_error_limit) and is logged with the client's address.
 * Passwords are never logged, and their copies are wiped after use.
 * An unknown user costs one hash like a known one, so the time of the
 * answer does not tell which user names exist.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "map.h"
#include "shacrypt.h"
#include "smtpd.h"

/* Bound on a user name (the table's key). */
#define AUTH_NAME_MAX	255
/* Hashed for an unknown user, to take as long as a known one. */
static const char	auth_dummy_hash[] = "$6$postletdummysalt$x";

static int	b64_value(int);
static int	b64_decode(const char *, size_t, struct str *);
static bool	name_ok(const char *, size_t);
static int	check_password(const char *, const char *, struct str *);

/* Longer passwords are refused unchecked (see check_password). */
#define AUTH_PASSWORD_MAX	256
static void	wipe(struct str *);

/* Overwrite what s holds (a secret); its memory is kept. */
static void
wipe(struct str *s)
{
	if (s->s != NULL) {
		explicit_bzero(s->s, s->cap);
	}
}

void
smtpd_auth_init(struct smtpd *s)
{
	s->sasl_enable = conf_bool("smtpd_sasl_auth_enable");
	s->sasl_tls_only = conf_bool("smtpd_tls_auth_only");
}

bool
smtpd_auth_offered(const struct smtpd *s)
{
	return s->sasl_enable && !s->stdin_mode &&
	    (s->tls != NULL || !s->sasl_tls_only);
}

void
smtpd_auth_reset(struct smtpd *s)
{
	str_free(&s->sasl_name);
	s->sasl_username = NULL;
	s->sasl_method = NULL;
}

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	if (c == '+') {
		return 62;
	}
	if (c == '/') {
		return 63;
	}
	return -1;
}

/*
 * Strict base64 (RFC 4648 §4, padded) of in into out (replaced).  0, or
 * -1 for anything else.
 */
static int
b64_decode(const char *in, size_t len, struct str *out)
{
	size_t	i, pad = 0;
	int	v[4], j;

	str_clear(out);
	if (len % 4 != 0) {
		return -1;
	}
	if (len > 0 && in[len - 1] == '=') {
		pad = len > 1 && in[len - 2] == '=' ? 2 : 1;
	}
	for (i = 0; i < len; i += 4) {
		for (j = 0; j < 4; j++) {
			if (i + 4 == len && j >= 4 - (int)pad) {
				v[j] = 0;
			} else if ((v[j] = b64_value((unsigned char)
			    in[i + j])) == -1) {
				return -1;
			}
		}
		str_cat_char(out, v[0] << 2 | v[1] >> 4);
		if (i + 4 < len || pad < 2) {
			str_cat_char(out, (v[1] & 0xf) << 4 | v[2] >> 2);
		}
		if (i + 4 < len || pad < 1) {
			str_cat_char(out, (v[2] & 0x3) << 6 | v[3]);
		}
	}
	return 0;
}

/* A user name we accept: printable ASCII, no blank, bounded. */
static bool
name_ok(const char *name, size_t len)
{
	size_t	i;

	if (len == 0 || len > AUTH_NAME_MAX) {
		return false;
	}
	for (i = 0; i < len; i++) {
		if (name[i] <= ' ' || name[i] > '~') {
			return false;
		}
	}
	return true;
}

/*
 * The password of user: 1 right, 0 wrong or no such user, -1 the
 * table failed (message in why).
 */
static int
check_password(const char *user, const char *password, struct str *why)
{
	struct map_list	*maps;
	struct str	 hash = STR_INIT;
	enum map_result	 r;
	int		 rc;

	maps = map_list_open(conf_value("smtpd_sasl_password_maps"), why);
	if (maps == NULL) {
		return -1;
	}
	r = map_list_lookup(maps, user, &hash, why);
	map_list_close(maps);
	if (r == MAP_ERROR) {
		str_free(&hash);
		return -1;
	}
	if (strlen(password) > AUTH_PASSWORD_MAX) {
		/* SHA-crypt costs the square of the length: refuse, after
		 * the time a real check takes */
		(void)shacrypt_check("", auth_dummy_hash);
		rc = 0;
	} else if (r == MAP_FOUND) {
		if (strncmp(str_c(&hash), "$5$", 3) != 0 &&
		    strncmp(str_c(&hash), "$6$", 3) != 0) {
			log_warnx("smtpd_sasl_password_maps: the password hash "
			    "of %s is not SHA-256 ($5$) or SHA-512 ($6$) "
			    "crypt", user);
			/* the time of a real check all the same */
			(void)shacrypt_check(password, auth_dummy_hash);
			rc = 0;
		} else {
			rc = shacrypt_check(password, str_c(&hash));
		}
	} else {
		(void)shacrypt_check(password, auth_dummy_hash);
		rc = 0;
	}
	wipe(&hash);
	str_free(&hash);
	return rc;
}

/*
 * One response of the client to a "334" challenge, decoded.  1 a
 * response, 0 cancelled or bad (replied), -1 the session ends.
 */
static int
response(struct smtpd *s, const char *challenge, struct str *out)
{
	struct str	line = STR_INIT;
	int		r;

	smtpd_reply(s, "334 %s", challenge);
	r = smtpd_read_line(s, &line, "AUTH");
	if (r == -1) {
		str_free(&line);
		return -1;
	}
	if (r == 0) {
		str_free(&line);
		(void)smtpd_error(s, 1, "500 5.5.0 Error: line too long");
		return 0;
	}
	if (str_eq(&line, "*")) {
		str_free(&line);
		(void)smtpd_error(s, 1, "501 5.7.0 Authentication aborted");
		return 0;
	}
	r = b64_decode(line.s, line.len, out);
	wipe(&line);
	str_free(&line);
	if (r == -1) {
		(void)smtpd_error(s, 1, "501 5.5.2 Cannot decode response");
		return 0;
	}
	return 1;
}

int
smtpd_auth(struct smtpd *s, const char *args)
{
	struct str	 user = STR_INIT, pass = STR_INIT, buf = STR_INIT;
	struct str	 why = STR_INIT;
	char		 mech[16];
	const char	*initial, *p, *end;
	size_t		 n;
	int		 r, rc = -1;

	if (!s->sasl_enable || s->stdin_mode) {
		return smtpd_error(s, 1, "503 5.5.1 Error: authentication "
		    "not enabled");
	}
	if (s->tls == NULL && s->sasl_tls_only) {
		return smtpd_error(s, 1, "538 5.7.11 Encryption required for "
		    "requested authentication mechanism");
	}
	if (!s->esmtp) {
		return smtpd_error(s, 1, "503 5.5.1 Error: send EHLO first");
	}
	if (s->sasl_username != NULL) {
		return smtpd_error(s, 1, "503 5.5.1 Error: already "
		    "authenticated");
	}
	if (s->in_mail) {
		return smtpd_error(s, 1, "503 5.5.1 Error: MAIL transaction "
		    "in progress");
	}
	n = strcspn(args, " ");
	if (n == 0 || n >= sizeof(mech)) {
		return smtpd_error(s, 1, n == 0 ? "501 5.5.4 Syntax: AUTH "
		    "mechanism" : "504 5.5.4 Unrecognized authentication "
		    "type");
	}
	memcpy(mech, args, n);
	mech[n] = '\0';
	for (n = 0; mech[n] != '\0'; n++) {
		mech[n] = (char)toupper((unsigned char)mech[n]);
	}
	initial = args + strlen(mech);
	while (*initial == ' ') {
		initial++;
	}
	if (strcmp(mech, "PLAIN") != 0 && strcmp(mech, "LOGIN") != 0) {
		return smtpd_error(s, 1, "504 5.5.4 Unrecognized "
		    "authentication type");
	}
	if (strcmp(mech, "PLAIN") == 0) {
		/* RFC 4954 §4: "=" is an empty initial response */
		if (*initial != '\0') {
			if (strcmp(initial, "=") == 0) {
				str_clear(&buf);
			} else if (b64_decode(initial, strlen(initial),
			    &buf) == -1) {
				(void)smtpd_error(s, 1, "501 5.5.2 Cannot "
				    "decode response");
				goto out;
			}
		} else if ((r = response(s, "", &buf)) != 1) {
			goto out;
		}
		/* authzid NUL authcid NUL passwd (RFC 4616 §2) */
		p = buf.len == 0 ? NULL : memchr(buf.s, '\0', buf.len);
		end = p == NULL ? NULL : memchr(p + 1, '\0',
		    buf.len - (size_t)(p + 1 - buf.s));
		if (p == NULL || end == NULL || memchr(end + 1, '\0',
		    buf.len - (size_t)(end + 1 - buf.s)) != NULL) {
			(void)smtpd_error(s, 1, "501 5.5.2 Cannot decode "
			    "response");
			goto out;
		}
		str_set_mem(&user, p + 1, (size_t)(end - p - 1));
		str_set_mem(&pass, end + 1, buf.len - (size_t)(end + 1 -
		    buf.s));
		/* a proxy identity (authzid) is not supported */
		if (p != buf.s && ((size_t)(p - buf.s) != user.len ||
		    memcmp(buf.s, user.s, user.len) != 0)) {
			str_clear(&user);
		}
	} else {
		if (*initial != '\0') {
			if (b64_decode(initial, strlen(initial),
			    &user) == -1) {
				(void)smtpd_error(s, 1, "501 5.5.2 Cannot "
				    "decode response");
				goto out;
			}
		} else if ((r = response(s, "VXNlcm5hbWU6", &user)) != 1) {
			goto out;
		}
		if ((r = response(s, "UGFzc3dvcmQ6", &pass)) != 1) {
			goto out;
		}
	}
	r = 0;
	if (name_ok(user.s, user.len) && (pass.len == 0 ||
	    memchr(pass.s, '\0', pass.len) == NULL)) {
		r = check_password(user.s, str_c(&pass), &why);
	}
	if (r == -1) {
		log_warnx("%s: SASL %s authentication failed: %s", s->peer,
		    mech, why.s);
		(void)smtpd_error(s, 0, "454 4.7.0 Temporary authentication "
		    "failure");
		goto out;
	}
	if (r == 0) {
		log_warnx("%s: SASL %s authentication failed: "
		    "authentication failure", s->peer, mech);
		(void)smtpd_error(s, 1, "535 5.7.8 Error: authentication "
		    "failed: authentication failure");
		goto out;
	}
	str_set(&s->sasl_name, user.s);
	s->sasl_username = s->sasl_name.s;
	s->sasl_method = strcmp(mech, "PLAIN") == 0 ? "PLAIN" : "LOGIN";
	smtpd_reply(s, "235 2.7.0 Authentication successful");
	rc = 0;
out:
	wipe(&pass);
	wipe(&buf);
	str_free(&user);
	str_free(&pass);
	str_free(&buf);
	str_free(&why);
	return rc;
}
