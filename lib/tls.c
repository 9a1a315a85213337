/* SPDX-License-Identifier: ISC */
/*
 * tls.c: TLS sessions with BearSSL (see tls.h); the certificate, key and
 * trust anchor files are read in tls_conf.c.
 *
 * The engine is configured by hand instead of with BearSSL's "full"
 * profiles, so that only what we offer is linked in: TLS 1.2, ECDHE
 * with AES-GCM and ChaCha20-Poly1305 (plus RSA key exchange with AES-GCM
 * on the client side, for old servers), RSA and ECDSA signatures.
 * Record buffers: a full 16 KiB input buffer (a peer may send records of
 * maximum size) and a smaller output buffer (our records are then
 * smaller, which any peer accepts): 21 KiB of the 25 KiB of a session.
 *
 * Transfers go through BearSSL's br_sslio over two descriptors, with
 * poll(2) against the deadline that buf.h hands to each call; the
 * errno of a failed transfer is kept so that a timeout reads as
 * ETIMEDOUT rather than a TLS error.
 *
 * The client verifies with two "minimal" X.509 engines side by side,
 * one checking the server name and one not, behind a small wrapper
 * class: BearSSL stops at a name mismatch before it judges the chain,
 * and a client at level "may" wants to know both answers.  In
 * TLS_VERIFY_NONE mode the wrapper takes the server's key straight from
 * the leaf certificate, so an expired or self-signed one still works.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "alloc.h"
#include "clock.h"
#include "fd.h"
#include "log.h"
#include "tls.h"
#include "tls_int.h"

/* Our records carry at most this much application data. */
#define TLS_OBUF_SIZE	(4096 + 85)

/* The client's certificate judge (see the top of this file). */
struct tls_x509 {
	const br_x509_class	*vtable;
	br_x509_minimal_context	 named;		/* checks the server name */
	br_x509_minimal_context	 anon;		/* does not; extracts the CN */
	br_x509_decoder_context	 leaf;		/* the leaf's key, for NONE */
	br_name_element		 cn;
	char			 cn_buf[256];
	enum tls_verify		 verify;
	const char		*servername;	/* borrowed */
	unsigned		 ncert;
	bool			 leaf_ok;
	const br_x509_pkey	*leaf_pkey;	/* in leaf, when leaf_ok */
	struct tls_info		*info;
};

struct tls {
	union {
		br_ssl_server_context	server;
		br_ssl_client_context	client;
	} u;
	br_ssl_engine_context	*eng;
	br_sslio_context	 io;
	struct tls_x509		*x509;		/* client only */
	int			 rfd, wfd;
	long long		 deadline;
	int			 io_errno;	/* of the last failed I/O */
	bool			 peer_eof;
	struct tls_info		 info;
	unsigned char		 ibuf[BR_SSL_BUFSIZE_INPUT];
	unsigned char		 obuf[TLS_OBUF_SIZE];
};

/* Cipher suites, in our order of preference, with their OpenSSL names. */
struct tls_suite {
	uint16_t	 id;
	const char	*name;
	int		 bits;
	bool		 client_only;
};

static const struct tls_suite tls_suites[] = {
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	    "ECDHE-ECDSA-AES256-GCM-SHA384", 256, false },
	{ BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	    "ECDHE-ECDSA-CHACHA20-POLY1305", 256, false },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	    "ECDHE-ECDSA-AES128-GCM-SHA256", 128, false },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	    "ECDHE-RSA-AES256-GCM-SHA384", 256, false },
	{ BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	    "ECDHE-RSA-CHACHA20-POLY1305", 256, false },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	    "ECDHE-RSA-AES128-GCM-SHA256", 128, false },
	{ BR_TLS_RSA_WITH_AES_256_GCM_SHA384,
	    "AES256-GCM-SHA384", 256, true },
	{ BR_TLS_RSA_WITH_AES_128_GCM_SHA256,
	    "AES128-GCM-SHA256", 128, true },
};
#define TLS_NSUITES	(sizeof(tls_suites) / sizeof(tls_suites[0]))

/* OID of the subject's commonName (2.5.4.3), length first. */
static const unsigned char tls_oid_cn[] = { 3, 0x55, 0x04, 0x03 };

static const struct {
	int		 code;
	const char	*text;
} tls_errors[] = {
	{ BR_ERR_BAD_PARAM, "bad record" },
	{ BR_ERR_UNSUPPORTED_VERSION, "unsupported protocol version" },
	{ BR_ERR_BAD_VERSION, "wrong protocol version" },
	{ BR_ERR_BAD_LENGTH, "bad record length" },
	{ BR_ERR_TOO_LARGE, "record too large" },
	{ BR_ERR_BAD_MAC, "bad record MAC" },
	{ BR_ERR_NO_RANDOM, "no entropy" },
	{ BR_ERR_UNKNOWN_TYPE, "unknown record type" },
	{ BR_ERR_UNEXPECTED, "unexpected message" },
	{ BR_ERR_BAD_HANDSHAKE, "bad handshake message" },
	{ BR_ERR_BAD_CIPHER_SUITE, "no shared cipher" },
	{ BR_ERR_BAD_SNI, "bad server name extension" },
	{ BR_ERR_LIMIT_EXCEEDED, "handshake too large" },
	{ BR_ERR_BAD_FINISHED, "bad finished message" },
	{ BR_ERR_INVALID_ALGORITHM, "no shared signature algorithm" },
	{ BR_ERR_BAD_SIGNATURE, "bad signature" },
	{ BR_ERR_WRONG_KEY_USAGE, "wrong key usage" },
	{ BR_ERR_X509_EMPTY_CHAIN, "empty chain" },
	{ BR_ERR_X509_EXPIRED, "expired or not yet valid" },
	{ BR_ERR_X509_BAD_SERVER_NAME, "server name mismatch" },
	{ BR_ERR_X509_NOT_TRUSTED, "not trusted" },
	{ BR_ERR_X509_NOT_CA, "issuer is not a CA" },
	{ BR_ERR_X509_BAD_SIGNATURE, "bad signature" },
	{ BR_ERR_X509_WEAK_PUBLIC_KEY, "weak public key" },
	{ BR_ERR_X509_CRITICAL_EXTENSION, "unsupported critical extension" },
	{ BR_ERR_X509_UNSUPPORTED, "unsupported algorithm" },
};

/* TLS alerts (RFC 5246 §7.2) that a failing handshake may carry. */
static const struct {
	int		 code;
	const char	*text;
} tls_alerts[] = {
	{ 10, "unexpected message" }, { 20, "bad record MAC" },
	{ 22, "record overflow" }, { 40, "handshake failure" },
	{ 42, "bad certificate" }, { 43, "unsupported certificate" },
	{ 44, "certificate revoked" }, { 45, "certificate expired" },
	{ 46, "certificate unknown" }, { 47, "illegal parameter" },
	{ 48, "unknown CA" }, { 49, "access denied" },
	{ 50, "decode error" }, { 51, "decrypt error" },
	{ 70, "protocol version" }, { 71, "insufficient security" },
	{ 80, "internal error" }, { 90, "user canceled" },
	{ 110, "unsupported extension" }, { 112, "unrecognized name" },
};

/* ---- errors ---- */

static void
tls_alert_text(const char *who, int alert, struct str *out)
{
	size_t	i;

	str_catf(out, "%s fatal alert %d", who, alert);
	for (i = 0; i < sizeof(tls_alerts) / sizeof(tls_alerts[0]); i++) {
		if (tls_alerts[i].code == alert) {
			str_catf(out, " (%s)", tls_alerts[i].text);
			return;
		}
	}
}

static void
tls_error_text(int code, struct str *out)
{
	size_t	i;

	if (code >= BR_ERR_SEND_FATAL_ALERT) {
		tls_alert_text("sent", code - BR_ERR_SEND_FATAL_ALERT, out);
		return;
	}
	if (code >= BR_ERR_RECV_FATAL_ALERT) {
		tls_alert_text("peer sent", code - BR_ERR_RECV_FATAL_ALERT,
		    out);
		return;
	}
	if (code >= BR_ERR_X509_OK) {
		str_cat(out, "certificate verification failed: ");
	}
	for (i = 0; i < sizeof(tls_errors) / sizeof(tls_errors[0]); i++) {
		if (tls_errors[i].code == code) {
			str_cat(out, tls_errors[i].text);
			return;
		}
	}
	str_catf(out, "%s error %d", code >= BR_ERR_X509_OK ? "X.509" :
	    "TLS", code);
}

/* Why the session failed, after br_sslio or the handshake said -1. */
static void
tls_failure(struct tls *t, struct str *err)
{
	int	code = br_ssl_engine_last_error(t->eng);

	str_clear(err);
	if (code == BR_ERR_IO || (code == BR_ERR_OK && t->peer_eof)) {
		if (t->io_errno == ETIMEDOUT) {
			str_cat(err, "timeout");
		} else if (t->peer_eof || t->io_errno == 0) {
			str_cat(err, "lost connection");
		} else {
			str_cat(err, strerror(t->io_errno));
		}
		return;
	}
	if (code == BR_ERR_OK) {
		str_cat(err, "connection closed by peer");
		return;
	}
	tls_error_text(code, err);
}

/* The leaf's DN is not wanted (the CN comes from a name element). */
static void
tls_dn_ignore(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
}

/* ---- the client's X.509 wrapper ---- */

#define TLS_X509(ctx)	((struct tls_x509 *)(void *)(ctx))

static void
tls_x509_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct tls_x509	*x = TLS_X509(ctx);

	(void)server_name;	/* ours, even when no SNI was sent */
	x->named.vtable->start_chain(&x->named.vtable, x->servername);
	x->anon.vtable->start_chain(&x->anon.vtable, NULL);
	br_x509_decoder_init(&x->leaf, tls_dn_ignore, NULL);
	x->ncert = 0;
	x->leaf_ok = false;
}

static void
tls_x509_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct tls_x509	*x = TLS_X509(ctx);

	x->ncert++;
	x->named.vtable->start_cert(&x->named.vtable, length);
	x->anon.vtable->start_cert(&x->anon.vtable, length);
}

static void
tls_x509_append(const br_x509_class **ctx, const unsigned char *buf,
    size_t len)
{
	struct tls_x509	*x = TLS_X509(ctx);

	x->named.vtable->append(&x->named.vtable, buf, len);
	x->anon.vtable->append(&x->anon.vtable, buf, len);
	if (x->ncert == 1) {
		br_x509_decoder_push(&x->leaf, buf, len);
	}
}

static void
tls_x509_end_cert(const br_x509_class **ctx)
{
	struct tls_x509	*x = TLS_X509(ctx);

	x->named.vtable->end_cert(&x->named.vtable);
	x->anon.vtable->end_cert(&x->anon.vtable);
	if (x->ncert == 1) {
		x->leaf_pkey = br_x509_decoder_get_pkey(&x->leaf);
		x->leaf_ok = x->leaf_pkey != NULL;
	}
}

static unsigned
tls_x509_end_chain(const br_x509_class **ctx)
{
	struct tls_x509	*x = TLS_X509(ctx);
	unsigned	 named, anon;
	size_t		 i;

	named = x->named.vtable->end_chain(&x->named.vtable);
	anon = x->anon.vtable->end_chain(&x->anon.vtable);
	/* end_chain says 0 for a good chain, not BR_ERR_X509_OK */
	x->info->trusted = anon == 0;
	/*
	 * BearSSL checks the name at the end of the leaf, before the
	 * chain: only a good chain or one that stopped at the trust
	 * anchors (after the name) proves the name was checked; an
	 * earlier stop (expired leaf, unknown critical extension) does
	 * not.
	 */
	x->info->name_matched = x->servername != NULL && x->leaf_ok &&
	    (named == 0 || named == BR_ERR_X509_NOT_TRUSTED);
	x->info->peer_cn[0] = '\0';
	if (x->cn.status == 1) {
		for (i = 0; x->cn.buf[i] != '\0' &&
		    i + 1 < sizeof(x->info->peer_cn); i++) {
			unsigned char c = (unsigned char)x->cn.buf[i];

			x->info->peer_cn[i] = c >= 0x20 && c < 0x7f ? c : '?';
		}
		x->info->peer_cn[i] = '\0';
	}
	if (x->verify == TLS_VERIFY_NAME) {
		if (named == 0 && !x->info->trusted) {
			return BR_ERR_X509_NOT_TRUSTED;
		}
		return named;
	}
	return x->leaf_ok ? 0 : (unsigned)br_x509_decoder_last_error(&x->leaf);
}

static const br_x509_pkey *
tls_x509_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const struct tls_x509 *x = (const struct tls_x509 *)(const void *)ctx;

	if (x->verify == TLS_VERIFY_NAME) {
		return x->named.vtable->get_pkey(&x->named.vtable, usages);
	}
	if (!x->leaf_ok) {
		return NULL;
	}
	if (usages != NULL) {
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	}
	return x->leaf_pkey;
}

static const br_x509_class tls_x509_vtable = {
	sizeof(struct tls_x509),
	tls_x509_start_chain,
	tls_x509_start_cert,
	tls_x509_append,
	tls_x509_end_cert,
	tls_x509_end_chain,
	tls_x509_get_pkey,
};

static void
tls_x509_minimal(br_x509_minimal_context *m, const struct tls_client_conf *cc)
{
	br_x509_minimal_init(m, &br_sha256_vtable, cc->anchors, cc->len);
	br_x509_minimal_set_hash(m, br_sha1_ID, &br_sha1_vtable);
	br_x509_minimal_set_hash(m, br_sha224_ID, &br_sha224_vtable);
	br_x509_minimal_set_hash(m, br_sha256_ID, &br_sha256_vtable);
	br_x509_minimal_set_hash(m, br_sha384_ID, &br_sha384_vtable);
	br_x509_minimal_set_hash(m, br_sha512_ID, &br_sha512_vtable);
	br_x509_minimal_set_rsa(m, br_rsa_pkcs1_vrfy_get_default());
	br_x509_minimal_set_ecdsa(m, br_ec_get_default(),
	    br_ecdsa_vrfy_asn1_get_default());
}

/* ---- sessions ---- */

struct tls *
tls_new(void)
{
	struct tls	*t = xcalloc(1, sizeof(*t));

	t->rfd = t->wfd = -1;
	return t;
}

static int
tls_low_read(void *ctx, unsigned char *p, size_t n)
{
	struct tls	*t = ctx;
	ssize_t		 r;

	for (;;) {
		if (t->deadline >= 0 &&
		    fd_wait(t->rfd, POLLIN, t->deadline) == -1) {
			t->io_errno = errno;
			return -1;
		}
		r = fd_read(t->rfd, p, n);
		if (r > 0) {
			return (int)r;
		}
		if (r == 0) {
			t->peer_eof = true;
			return -1;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (fd_wait(t->rfd, POLLIN, t->deadline) == -1) {
				t->io_errno = errno;
				return -1;
			}
			continue;
		}
		t->io_errno = errno;
		return -1;
	}
}

static int
tls_low_write(void *ctx, const unsigned char *p, size_t n)
{
	struct tls	*t = ctx;
	ssize_t		 r;

	for (;;) {
		if (t->deadline >= 0 &&
		    fd_wait(t->wfd, POLLOUT, t->deadline) == -1) {
			t->io_errno = errno;
			return -1;
		}
		r = fd_write(t->wfd, p, n);
		if (r > 0) {
			return (int)r;
		}
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (fd_wait(t->wfd, POLLOUT, t->deadline) == -1) {
				t->io_errno = errno;
				return -1;
			}
			continue;
		}
		t->io_errno = r == 0 ? EIO : errno;
		return -1;
	}
}

/* The engine settings both sides share. */
static void
tls_engine_common(struct tls *t, bool client)
{
	br_ssl_engine_context	*eng = t->eng;
	uint16_t		 suites[TLS_NSUITES];
	size_t			 i, n = 0;
	unsigned char		 seed[32];

	for (i = 0; i < TLS_NSUITES; i++) {
		if (client || !tls_suites[i].client_only) {
			suites[n++] = tls_suites[i].id;
		}
	}
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, suites, n);
	br_ssl_engine_set_hash(eng, br_sha1_ID, &br_sha1_vtable);
	br_ssl_engine_set_hash(eng, br_sha224_ID, &br_sha224_vtable);
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_chapol(eng);
	br_ssl_engine_set_default_ec(eng);
	br_ssl_engine_set_buffers_bidi(eng, t->ibuf, sizeof(t->ibuf),
	    t->obuf, sizeof(t->obuf));
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION |
	    (client ? 0 : BR_OPT_ENFORCE_SERVER_PREFERENCES));
	/*
	 * BearSSL seeds itself from /dev/urandom, which a chroot may lack;
	 * getentropy(2) needs no file.  Either suffices.
	 */
	if (getentropy(seed, sizeof(seed)) == 0) {
		br_ssl_engine_inject_entropy(eng, seed, sizeof(seed));
	}
	explicit_bzero(seed, sizeof(seed));
}

/* Drive the handshake to its end; fill in the protocol and cipher. */
static int
tls_handshake(struct tls *t, int timeout_ms, struct str *err)
{
	br_ssl_session_parameters	 sp;
	size_t				 i;

	br_sslio_init(&t->io, t->eng, tls_low_read, t, tls_low_write, t);
	t->deadline = clock_deadline(timeout_ms);
	/* br_sslio_flush runs the engine until it can take app data. */
	if (br_sslio_flush(&t->io) == -1 ||
	    (br_ssl_engine_current_state(t->eng) & BR_SSL_CLOSED) != 0) {
		tls_failure(t, err);
		return -1;
	}
	br_ssl_engine_get_session_parameters(t->eng, &sp);
	(void)snprintf(t->info.protocol, sizeof(t->info.protocol), "TLSv1.2");
	(void)snprintf(t->info.cipher, sizeof(t->info.cipher), "0x%04X",
	    (unsigned)sp.cipher_suite);
	t->info.cipher_bits = t->info.alg_bits = 0;
	for (i = 0; i < TLS_NSUITES; i++) {
		if (tls_suites[i].id == sp.cipher_suite) {
			(void)snprintf(t->info.cipher, sizeof(t->info.cipher),
			    "%s", tls_suites[i].name);
			t->info.cipher_bits = t->info.alg_bits =
			    tls_suites[i].bits;
		}
	}
	explicit_bzero(&sp, sizeof(sp));
	return 0;
}

int
tls_server_start(struct tls *t, int rfd, int wfd,
    const struct tls_server_conf *sc, int timeout_ms, struct str *err)
{
	br_ssl_server_context	*s = &t->u.server;

	t->rfd = rfd;
	t->wfd = wfd;
	br_ssl_server_zero(s);
	t->eng = &s->eng;
	tls_engine_common(t, false);
	if (sc->key_type == BR_KEYTYPE_RSA) {
		br_ssl_server_set_single_rsa(s, sc->chain, sc->chain_len,
		    br_skey_decoder_get_rsa(&sc->skey), BR_KEYTYPE_SIGN,
		    br_rsa_private_get_default(),
		    br_rsa_pkcs1_sign_get_default());
	} else {
		br_ssl_server_set_single_ec(s, sc->chain, sc->chain_len,
		    br_skey_decoder_get_ec(&sc->skey), BR_KEYTYPE_SIGN,
		    BR_KEYTYPE_EC, br_ec_get_default(),
		    br_ecdsa_sign_asn1_get_default());
	}
	if (!br_ssl_server_reset(s)) {
		tls_failure(t, err);
		return -1;
	}
	return tls_handshake(t, timeout_ms, err);
}

/* An IP address literal gets no SNI (RFC 6066 §3). */
static bool
tls_is_address(const char *name)
{
	unsigned char	a[16];

	return name[0] == '[' || inet_pton(AF_INET, name, a) == 1 ||
	    inet_pton(AF_INET6, name, a) == 1;
}

int
tls_client_start(struct tls *t, int fd, const struct tls_client_conf *cc,
    const char *servername, enum tls_verify verify, int timeout_ms,
    struct str *err)
{
	br_ssl_client_context	*c = &t->u.client;
	struct tls_x509		*x;
	const char		*sni = NULL;

	if (verify == TLS_VERIFY_NAME && (servername == NULL ||
	    *servername == '\0')) {
		panic("tls_client_start: verification without a name");
	}
	if (servername != NULL && *servername != '\0' &&
	    !tls_is_address(servername)) {
		sni = servername;
	}
	t->rfd = t->wfd = fd;
	br_ssl_client_zero(c);
	t->eng = &c->eng;
	tls_engine_common(t, true);
	br_ssl_client_set_default_rsapub(c);
	br_ssl_engine_set_default_rsavrfy(t->eng);
	br_ssl_engine_set_default_ecdsa(t->eng);

	if (t->x509 == NULL) {
		t->x509 = xcalloc(1, sizeof(*t->x509));
	}
	x = t->x509;
	memset(x, 0, sizeof(*x));
	x->vtable = &tls_x509_vtable;
	tls_x509_minimal(&x->named, cc);
	tls_x509_minimal(&x->anon, cc);
	x->cn.oid = tls_oid_cn;
	x->cn.buf = x->cn_buf;
	x->cn.len = sizeof(x->cn_buf);
	br_x509_minimal_set_name_elements(&x->anon, &x->cn, 1);
	x->verify = verify;
	x->servername = servername != NULL && *servername != '\0' ?
	    servername : NULL;
	x->info = &t->info;
	br_ssl_engine_set_x509(t->eng, &x->vtable);
	if (!br_ssl_client_reset(c, sni, 0)) {
		tls_failure(t, err);
		return -1;
	}
	return tls_handshake(t, timeout_ms, err);
}

const struct tls_info *
tls_get_info(const struct tls *t)
{
	return &t->info;
}

void
tls_describe(const struct tls_info *info, struct str *out)
{
	str_catf(out, "%s with cipher %s (%d/%d bits)", info->protocol,
	    info->cipher, info->cipher_bits, info->alg_bits);
}

/* errno for a failed br_sslio call; 0 for an orderly end. */
static int
tls_io_errno(struct tls *t)
{
	int	code = br_ssl_engine_last_error(t->eng);

	/*
	 * After the peer's close_notify, the engine answers with its own,
	 * which may meet a closed socket: still an orderly end.
	 */
	if (code == BR_ERR_OK && ((br_ssl_engine_current_state(t->eng) &
	    BR_SSL_CLOSED) != 0 || t->eng->shutdown_recv)) {
		return 0;
	}
	if (t->io_errno != 0) {
		return t->io_errno;
	}
	if (code == BR_ERR_OK || (code == BR_ERR_IO && t->peer_eof)) {
		return 0;
	}
	return EIO;
}

static ssize_t
tls_buf_read(struct buf *b, void *p, size_t n, long long deadline)
{
	struct tls	*t = b->ctx;
	int		 r, e;

	if (n > 65536) {
		n = 65536;
	}
	t->deadline = deadline;
	if ((r = br_sslio_read(&t->io, p, n)) > 0) {
		return r;
	}
	if ((e = tls_io_errno(t)) == 0) {
		return 0;
	}
	errno = e;
	return -1;
}

static ssize_t
tls_buf_write(struct buf *b, const void *p, size_t n, long long deadline)
{
	struct tls	*t = b->ctx;
	int		 r;

	if (n > 65536) {
		n = 65536;
	}
	t->deadline = deadline;
	if ((r = br_sslio_write(&t->io, p, n)) > 0 &&
	    br_sslio_flush(&t->io) == 0) {
		return r;
	}
	errno = tls_io_errno(t);
	if (errno == 0) {
		errno = EPIPE;
	}
	return -1;
}

void
tls_attach(struct tls *t, struct buf *b)
{
	buf_set_io(b, tls_buf_read, tls_buf_write, t);
}

int
tls_close(struct tls *t, int timeout_ms)
{
	unsigned char	*p;
	size_t		 len;
	int		 w;

	if (t->eng == NULL) {
		return 0;
	}
	t->deadline = clock_deadline(timeout_ms);
	br_ssl_engine_close(t->eng);
	/* Send what is pending, close_notify last; do not wait for the
	 * peer's own. */
	while ((br_ssl_engine_current_state(t->eng) & BR_SSL_SENDREC) != 0) {
		p = br_ssl_engine_sendrec_buf(t->eng, &len);
		if ((w = tls_low_write(t, p, len)) < 0) {
			errno = t->io_errno;
			return -1;
		}
		br_ssl_engine_sendrec_ack(t->eng, (size_t)w);
	}
	return 0;
}

void
tls_free(struct tls *t)
{
	if (t == NULL) {
		return;
	}
	free(t->x509);
	explicit_bzero(t, sizeof(*t));
	free(t);
}

