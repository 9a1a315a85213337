/* SPDX-License-Identifier: ISC */
/*
 * tls.h: TLS sessions over a descriptor, server and client, with BearSSL.
 *
 * A struct tls is one session: its BearSSL engine, its record buffers
 * and the descriptor(s) it runs on, about 25 KiB allocated by tls_new
 * (a client adds 8 KiB for its certificate checks).  After a successful handshake (tls_server_start, tls_client_start)
 * tls_attach() turns any struct buf (buf.h) into a stream over the
 * session, so protocol code never knows whether TLS is on; every read and
 * write keeps the buf's deadline.
 *
 * Only TLS 1.2 is spoken, with ECDHE key exchange (X25519, P-256, P-384,
 * P-521) and AEAD ciphers (AES-GCM, ChaCha20-Poly1305), strongest first; the
 * server enforces its own order.  Certificates and keys are PEM files:
 * the certificate chain leaf first; the key RSA or EC, in PKCS#1, SEC1
 * or PKCS#8 form.  Entropy comes from getentropy(2), so no /dev/urandom
 * is needed (chroot).
 *
 * Configurations (tls_server_conf, tls_client_conf) are loaded once and
 * shared read-only by any number of sessions; they must outlive them.
 *
 * Errors: functions that can fail return 0, or -1 with a one-line
 * reason in err (replacing its contents; lowercase, no final period,
 * e.g. "handshake: peer sent no TLS record", "bad certificate file
 * /etc/x.pem: no certificate").  Allocation failure is fatal (alloc.h).
 */
#ifndef POSTLET_TLS_H
#define POSTLET_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "str.h"

struct tls;
struct tls_server_conf;
struct tls_client_conf;

/* What a handshake negotiated and, for a client, what it found. */
struct tls_info {
	char	protocol[16];	/* "TLSv1.2" */
	/* OpenSSL's name: "ECDHE-RSA-AES256-GCM-SHA384" */
	char	cipher[64];
	int	cipher_bits;	/* secret bits of the cipher: 256 */
	int	alg_bits;	/* bits of the algorithm: 256 */
	/* client only */
	bool	trusted;	/* the chain ends at a trust anchor */
	bool	name_matched;	/* the leaf certificate names servername */
	char	peer_cn[256];	/* the leaf's subject CN, printable; or "" */
};

/*
 * Server configuration: the PEM certificate chain in cert_file and the
 * PEM private key in key_file (may be the same file; other PEM objects
 * in either file are skipped).  The key must match the leaf
 * certificate's public key.  Returns a new configuration, or NULL with
 * the reason in err.
 */
struct tls_server_conf *tls_server_conf_load(const char *cert_file,
	    const char *key_file, struct str *err);
void	tls_server_conf_free(struct tls_server_conf *);

/*
 * Client configuration: trust anchors from cafile (a PEM bundle, such as
 * /etc/ssl/certs/ca-certificates.crt) and from every regular file in
 * capath that holds PEM certificates (files without a certificate are
 * skipped; a certificate that does not parse is an error).  Either may
 * be NULL or "" for none; with no anchor at all, no peer is trusted.
 * Returns a new configuration, or NULL with the reason in err.
 */
struct tls_client_conf *tls_client_conf_load(const char *cafile,
	    const char *capath, struct str *err);
/* How many trust anchors were loaded. */
size_t	tls_client_conf_anchors(const struct tls_client_conf *);
void	tls_client_conf_free(struct tls_client_conf *);

/* How a client judges the server's certificate. */
enum tls_verify {
	/*
	 * Any certificate will do (Postfix's "may" and "encrypt"): the
	 * handshake succeeds whatever it is; tls_info says whether it
	 * was trusted and whether its name matched.
	 */
	TLS_VERIFY_NONE,
	/*
	 * The chain must end at a trust anchor and the leaf must name
	 * servername (DNS names of subjectAltName, else the CN; "*." only
	 * as a whole leftmost label), or the handshake fails.
	 */
	TLS_VERIFY_NAME,
};

/* A new session, not started.  Never NULL (fatal on OOM). */
struct tls *tls_new(void);

/*
 * The server handshake on rfd (read) and wfd (write; the same descriptor
 * for a socket), within timeout_ms (-1: no deadline).  Bytes read from
 * rfd before the call and still buffered elsewhere are not seen: the
 * caller discards them (the STARTTLS injection, CVE-2011-0411).
 * Returns 0, or -1 with the reason in err; the session is then unusable
 * except for tls_free.
 */
int	tls_server_start(struct tls *, int rfd, int wfd,
	    const struct tls_server_conf *, int timeout_ms, struct str *err);

/*
 * The client handshake on fd, sending servername as SNI when it is a
 * DNS name (not NULL, not "", not an IP address literal), within
 * timeout_ms.  With TLS_VERIFY_NAME, servername must not be NULL.
 * Returns 0, or -1 with the reason in err (a certificate the verify mode
 * refuses reads "certificate verification failed: not trusted" or
 * "...: server name mismatch").
 */
int	tls_client_start(struct tls *, int fd, const struct tls_client_conf *,
	    const char *servername, enum tls_verify, int timeout_ms,
	    struct str *err);

/* The result of the handshake; valid after a successful start. */
const struct tls_info *tls_get_info(const struct tls *);

/*
 * "TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
 * the text of Postfix's log lines and Received headers, appended to out.
 */
void	tls_describe(const struct tls_info *, struct str *out);

/*
 * Make b read and write through the session (buf_set_io).  Any number
 * of bufs may share one session (smtpd reads through one and replies
 * through another).  After a TLS error, reads and writes fail with EIO
 * (ECONNRESET when the peer closed without close_notify).  An orderly
 * close_notify from the peer reads as end of input.
 */
void	tls_attach(struct tls *, struct buf *);

/*
 * Send close_notify and flush it, within timeout_ms; the peer's own
 * close_notify is not waited for.  Returns 0, or -1 with errno.
 */
int	tls_close(struct tls *, int timeout_ms);

/* Free the session (no close_notify; see tls_close).  NULL is ignored. */
void	tls_free(struct tls *);

#endif
