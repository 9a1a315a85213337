/* SPDX-License-Identifier: ISC */
/*
 * tls_int.h: what tls.c and tls_conf.c share and no one else sees: the
 * loaded configurations, in BearSSL's types.
 */
#ifndef POSTLET_TLS_INT_H
#define POSTLET_TLS_INT_H

#include <stddef.h>

#include <bearssl.h>

/* At most this many certificates in a server's chain. */
#define TLS_CHAIN_MAX	16

struct tls_server_conf {
	br_x509_certificate	*chain;
	size_t			 chain_len;
	int			 key_type;	/* BR_KEYTYPE_RSA or _EC */
	br_skey_decoder_context	 skey;		/* holds the key */
};

struct tls_client_conf {
	br_x509_trust_anchor	*anchors;
	size_t			 len, cap;
};

#endif
