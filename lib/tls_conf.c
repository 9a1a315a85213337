/* SPDX-License-Identifier: ISC */
/*
 * tls_conf.c: the files of lib/tls (see tls.h): PEM certificate chains
 * and private keys for a server, PEM trust anchors for a client.
 *
 * Files are read whole (at most TLS_PEM_MAX bytes) and decoded with
 * BearSSL's PEM, X.509 and key decoders; every object is checked here,
 * so that a bad file is reported when it is loaded, with its name, not
 * in the middle of a handshake.  Key material is wiped from temporary
 * buffers.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "alloc.h"
#include "fd.h"
#include "tls.h"
#include "tls_int.h"

/* Bounds on what we read: a PEM file, a trust store directory. */
#define TLS_PEM_MAX	(4 * 1024 * 1024)
#define TLS_CAPATH_FILES 4096

/* Overwrite what s holds (a secret); its memory is kept. */
static void
wipe(struct str *s)
{
	if (s->s != NULL) {
		explicit_bzero(s->s, s->cap);
	}
}

/* ---- PEM ---- */

typedef int	(*tls_pem_fn)(const char *name, const unsigned char *der,
	    size_t len, void *arg, struct str *err);

static void
tls_pem_append(void *ctx, const void *data, size_t len)
{
	str_cat_mem(ctx, data, len);
}

/*
 * Call fn for each PEM object of data, in order.  Returns the number of
 * objects, or -1 with err set (a malformed or truncated object, or what
 * fn said).
 */
static int
tls_pem_each(const struct str *data, tls_pem_fn fn,
    void *arg, struct str *err)
{
	br_pem_decoder_context	 pc;
	struct str		 der = STR_INIT;
	char			 name[128];
	const unsigned char	*p = (const unsigned char *)data->s;
	size_t			 len = data->len, n;
	bool			 inobj = false, extra_nl = true;
	int			 count = 0, rc = -1;

	br_pem_decoder_init(&pc);
	name[0] = '\0';
	while (len > 0) {
		n = br_pem_decoder_push(&pc, p, len);
		p += n;
		len -= n;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			n = strlen(br_pem_decoder_name(&pc));
			if (n >= sizeof(name)) {
				n = 0;	/* matches no name we look for */
			}
			memcpy(name, br_pem_decoder_name(&pc), n);
			name[n] = '\0';
			str_clear(&der);
			br_pem_decoder_setdest(&pc, tls_pem_append, &der);
			inobj = true;
			break;
		case BR_PEM_END_OBJ:
			if (inobj) {
				inobj = false;
				count++;
				if (fn(name, (const unsigned char *)der.s,
				    der.len, arg, err) == -1) {
					goto out;
				}
			}
			break;
		case BR_PEM_ERROR:
			str_set(err, "malformed PEM data");
			goto out;
		default:
			break;
		}
		/* The decoder needs a line end after the last line. */
		if (len == 0 && extra_nl) {
			extra_nl = false;
			p = (const unsigned char *)"\n";
			len = 1;
		}
	}
	if (inobj) {
		str_set(err, "truncated PEM object");
		goto out;
	}
	rc = count;
out:
	wipe(&der);
	str_free(&der);
	return rc;
}

static int
tls_read_pem_file(const char *path, struct str *data, struct str *err)
{
	if (fd_read_file(path, 0, TLS_PEM_MAX, data) == -1) {
		str_clear(err);
		str_catf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- server configuration ---- */

static bool
tls_is_cert(const char *name)
{
	return strcmp(name, "CERTIFICATE") == 0 ||
	    strcmp(name, "X509 CERTIFICATE") == 0;
}

static int
tls_chain_add(const char *name, const unsigned char *der, size_t len,
    void *arg, struct str *err)
{
	struct tls_server_conf	*sc = arg;
	br_x509_certificate	*c;

	if (!tls_is_cert(name)) {
		return 0;
	}
	if (sc->chain_len == TLS_CHAIN_MAX) {
		str_clear(err);
		str_catf(err, "more than %d certificates", TLS_CHAIN_MAX);
		return -1;
	}
	if (sc->chain == NULL) {
		sc->chain = xcalloc(TLS_CHAIN_MAX, sizeof(*sc->chain));
	}
	c = &sc->chain[sc->chain_len++];
	c->data = (unsigned char *)xmemdup(der, len);
	c->data_len = len;
	return 0;
}

struct tls_key_search {
	br_skey_decoder_context	*skey;
	bool			 found;
};

static int
tls_key_add(const char *name, const unsigned char *der, size_t len,
    void *arg, struct str *err)
{
	struct tls_key_search	*ks = arg;
	int			 e;

	if (ks->found) {
		return 0;
	}
	if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0) {
		str_set(err, "encrypted private keys are not supported");
		return -1;
	}
	if (strcmp(name, "RSA PRIVATE KEY") != 0 &&
	    strcmp(name, "EC PRIVATE KEY") != 0 &&
	    strcmp(name, "PRIVATE KEY") != 0) {
		return 0;
	}
	br_skey_decoder_init(ks->skey);
	br_skey_decoder_push(ks->skey, der, len);
	if ((e = br_skey_decoder_last_error(ks->skey)) != 0) {
		str_clear(err);
		str_catf(err, "cannot decode the private key (error %d)", e);
		return -1;
	}
	ks->found = true;
	return 0;
}

static void
tls_dn_ignore(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
}

/* Strip leading zero bytes of a big-endian integer. */
static void
tls_strip(const unsigned char **p, size_t *len)
{
	while (*len > 0 && **p == 0) {
		(*p)++;
		(*len)--;
	}
}

/* Does the private key belong to the leaf certificate? */
static int
tls_key_matches(struct tls_server_conf *sc, struct str *err)
{
	br_x509_decoder_context	 dc;
	const br_x509_pkey	*pk;
	unsigned char		 buf[BR_EC_KBUF_PUB_MAX_SIZE > 1024 ?
				     BR_EC_KBUF_PUB_MAX_SIZE : 1024];
	const unsigned char	*a, *b;
	size_t			 alen, blen;
	bool			 same = false;

	br_x509_decoder_init(&dc, tls_dn_ignore, NULL);
	br_x509_decoder_push(&dc, sc->chain[0].data, sc->chain[0].data_len);
	if ((pk = br_x509_decoder_get_pkey(&dc)) == NULL) {
		str_clear(err);
		str_catf(err, "cannot decode the first certificate "
		    "(error %d)", br_x509_decoder_last_error(&dc));
		return -1;
	}
	if (sc->key_type == BR_KEYTYPE_RSA && pk->key_type == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *sk = br_skey_decoder_get_rsa(
		    &sc->skey);
		br_rsa_compute_modulus	 modulus;

		modulus = br_rsa_compute_modulus_get_default();
		blen = modulus(NULL, sk);
		if (blen > 0 && blen <= sizeof(buf) &&
		    modulus(buf, sk) == blen) {
			a = pk->key.rsa.n;
			alen = pk->key.rsa.nlen;
			b = buf;
			tls_strip(&a, &alen);
			tls_strip(&b, &blen);
			same = alen == blen && memcmp(a, b, alen) == 0;
		}
	} else if (sc->key_type == BR_KEYTYPE_EC &&
	    pk->key_type == BR_KEYTYPE_EC) {
		const br_ec_private_key	*sk = br_skey_decoder_get_ec(&sc->skey);
		br_ec_public_key	 pub;

		blen = br_ec_compute_pub(br_ec_get_default(), &pub, buf, sk);
		same = blen > 0 && pub.curve == pk->key.ec.curve &&
		    pub.qlen == pk->key.ec.qlen &&
		    memcmp(pub.q, pk->key.ec.q, pub.qlen) == 0;
	}
	explicit_bzero(buf, sizeof(buf));
	if (!same) {
		str_set(err, "the private key does not match the certificate");
		return -1;
	}
	return 0;
}

struct tls_server_conf *
tls_server_conf_load(const char *cert_file, const char *key_file,
    struct str *err)
{
	struct tls_server_conf	*sc = xcalloc(1, sizeof(*sc));
	struct tls_key_search	 ks = { &sc->skey, false };
	struct str		 data = STR_INIT, why = STR_INIT;
	int			 n;

	if (cert_file == NULL || *cert_file == '\0' || key_file == NULL ||
	    *key_file == '\0') {
		str_set(err, "no certificate or key file configured");
		goto fail;
	}
	if (tls_read_pem_file(cert_file, &data, err) == -1) {
		goto fail;
	}
	if ((n = tls_pem_each(&data, tls_chain_add, sc,
	    &why)) == -1) {
		str_clear(err);
		str_catf(err, "bad certificate file %s: %s", cert_file,
		    str_c(&why));
		goto fail;
	}
	if (sc->chain_len == 0) {
		str_clear(err);
		str_catf(err, "bad certificate file %s: no certificate",
		    cert_file);
		goto fail;
	}
	if (strcmp(key_file, cert_file) != 0) {
		wipe(&data);
		if (tls_read_pem_file(key_file, &data, err) == -1) {
			goto fail;
		}
	}
	if (tls_pem_each(&data, tls_key_add, &ks, &why) == -1) {
		str_clear(err);
		str_catf(err, "bad key file %s: %s", key_file, str_c(&why));
		goto fail;
	}
	if (!ks.found) {
		str_clear(err);
		str_catf(err, "bad key file %s: no private key", key_file);
		goto fail;
	}
	sc->key_type = br_skey_decoder_key_type(&sc->skey);
	if (tls_key_matches(sc, &why) == -1) {
		str_clear(err);
		str_catf(err, "%s and %s: %s", cert_file, key_file,
		    str_c(&why));
		goto fail;
	}
	wipe(&data);
	str_free(&data);
	str_free(&why);
	return sc;
fail:
	wipe(&data);
	str_free(&data);
	str_free(&why);
	tls_server_conf_free(sc);
	return NULL;
}

void
tls_server_conf_free(struct tls_server_conf *sc)
{
	size_t	i;

	if (sc == NULL) {
		return;
	}
	for (i = 0; i < sc->chain_len; i++) {
		free(sc->chain[i].data);
	}
	free(sc->chain);
	explicit_bzero(&sc->skey, sizeof(sc->skey));
	free(sc);
}

/* ---- client configuration ---- */

static bool
tls_anchor_same(const br_x509_trust_anchor *a, const br_x509_trust_anchor *b)
{
	if (a->dn.len != b->dn.len || memcmp(a->dn.data, b->dn.data,
	    a->dn.len) != 0 || a->pkey.key_type != b->pkey.key_type) {
		return false;
	}
	if (a->pkey.key_type == BR_KEYTYPE_RSA) {
		return a->pkey.key.rsa.nlen == b->pkey.key.rsa.nlen &&
		    memcmp(a->pkey.key.rsa.n, b->pkey.key.rsa.n,
		    a->pkey.key.rsa.nlen) == 0;
	}
	return a->pkey.key.ec.qlen == b->pkey.key.ec.qlen &&
	    memcmp(a->pkey.key.ec.q, b->pkey.key.ec.q,
	    a->pkey.key.ec.qlen) == 0;
}

static int
tls_anchor_add(const char *name, const unsigned char *der, size_t len,
    void *arg, struct str *err)
{
	struct tls_client_conf	*cc = arg;
	br_x509_decoder_context	 dc;
	br_x509_trust_anchor	 ta;
	const br_x509_pkey	*pk;
	struct str		 dn = STR_INIT;
	size_t			 i;

	if (!tls_is_cert(name)) {
		return 0;
	}
	br_x509_decoder_init(&dc, tls_pem_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	if ((pk = br_x509_decoder_get_pkey(&dc)) == NULL) {
		str_clear(err);
		str_catf(err, "cannot decode a certificate (error %d)",
		    br_x509_decoder_last_error(&dc));
		str_free(&dn);
		return -1;
	}
	memset(&ta, 0, sizeof(ta));
	ta.dn.data = (unsigned char *)dn.s;
	ta.dn.len = dn.len;
	ta.flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta.pkey = *pk;
	for (i = 0; i < cc->len; i++) {
		if (tls_anchor_same(&cc->anchors[i], &ta)) {
			str_free(&dn);
			return 0;
		}
	}
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta.pkey.key.rsa.n = (unsigned char *)xmemdup(pk->key.rsa.n,
		    pk->key.rsa.nlen);
		ta.pkey.key.rsa.e = (unsigned char *)xmemdup(pk->key.rsa.e,
		    pk->key.rsa.elen);
	} else if (pk->key_type == BR_KEYTYPE_EC) {
		ta.pkey.key.ec.q = (unsigned char *)xmemdup(pk->key.ec.q,
		    pk->key.ec.qlen);
	} else {
		str_free(&dn);
		return 0;
	}
	if (dn.s == NULL) {
		ta.dn.data = (unsigned char *)xmemdup("", 1);
	} else {
		ta.dn.data = (unsigned char *)str_take(&dn);
	}
	if (cc->len == cc->cap) {
		cc->cap = cc->cap == 0 ? 64 : cc->cap * 2;
		cc->anchors = xreallocarray(cc->anchors, cc->cap,
		    sizeof(*cc->anchors));
	}
	cc->anchors[cc->len++] = ta;
	return 0;
}

static int
tls_anchors_file(struct tls_client_conf *cc, const char *path,
    struct str *err)
{
	struct str	data = STR_INIT, why = STR_INIT;
	int		rc = 0;

	if (tls_read_pem_file(path, &data, err) == -1) {
		rc = -1;
	} else if (tls_pem_each(&data, tls_anchor_add, cc,
	    &why) == -1) {
		str_clear(err);
		str_catf(err, "bad CA file %s: %s", path, str_c(&why));
		rc = -1;
	}
	str_free(&data);
	str_free(&why);
	return rc;
}

static int
tls_anchors_dir(struct tls_client_conf *cc, const char *dir,
    struct str *err)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	struct str	 path = STR_INIT;
	int		 files = 0, rc = 0;

	if ((d = opendir(dir)) == NULL) {
		str_clear(err);
		str_catf(err, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			continue;
		}
		if (++files > TLS_CAPATH_FILES) {
			str_clear(err);
			str_catf(err, "%s: more than %d files", dir,
			    TLS_CAPATH_FILES);
			rc = -1;
			break;
		}
		str_set(&path, dir);
		str_cat_char(&path, '/');
		str_cat(&path, de->d_name);
		if (stat(path.s, &st) == -1 || !S_ISREG(st.st_mode)) {
			continue;
		}
		if (tls_anchors_file(cc, path.s, err) == -1) {
			rc = -1;
			break;
		}
	}
	closedir(d);
	str_free(&path);
	return rc;
}

struct tls_client_conf *
tls_client_conf_load(const char *cafile, const char *capath,
    struct str *err)
{
	struct tls_client_conf	*cc = xcalloc(1, sizeof(*cc));

	if (cafile != NULL && *cafile != '\0' &&
	    tls_anchors_file(cc, cafile, err) == -1) {
		goto fail;
	}
	if (capath != NULL && *capath != '\0' &&
	    tls_anchors_dir(cc, capath, err) == -1) {
		goto fail;
	}
	return cc;
fail:
	tls_client_conf_free(cc);
	return NULL;
}

size_t
tls_client_conf_anchors(const struct tls_client_conf *cc)
{
	return cc->len;
}

void
tls_client_conf_free(struct tls_client_conf *cc)
{
	size_t	i;

	if (cc == NULL) {
		return;
	}
	for (i = 0; i < cc->len; i++) {
		free(cc->anchors[i].dn.data);
		if (cc->anchors[i].pkey.key_type == BR_KEYTYPE_RSA) {
			free(cc->anchors[i].pkey.key.rsa.n);
			free(cc->anchors[i].pkey.key.rsa.e);
		} else {
			free(cc->anchors[i].pkey.key.ec.q);
		}
	}
	free(cc->anchors);
	free(cc);
}

