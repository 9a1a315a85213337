/* SPDX-License-Identifier: ISC */
/*
 * shacrypt.c: crypt(3) "$5$" and "$6$" (see shacrypt.h), written from
 * the published specification ("Unix crypt using SHA-256 and SHA-512",
 * steps numbered as there).  Every intermediate value that depends on
 * the key is wiped before returning.
 */
#include <errno.h>
#include <string.h>

#include <bearssl.h>

#include "scan.h"
#include "shacrypt.h"

#define SHACRYPT_SALT_MAX	16
#define SHACRYPT_ROUNDS_DEF	5000
#define SHACRYPT_ROUNDS_MIN	1000
#define SHACRYPT_ROUNDS_MAX	999999999ULL

static const char	itoa64[] =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* A hash of either size behind one interface. */
struct sc_hash {
	const br_hash_class	*vt;
	br_hash_compat_context	 ctx;
	size_t			 len;	/* 32 or 64 */
};

static void
sc_init(struct sc_hash *h)
{
	h->vt->init(&h->ctx.vtable);
}

static void
sc_add(struct sc_hash *h, const void *p, size_t n)
{
	h->vt->update(&h->ctx.vtable, p, n);
}

static void
sc_out(struct sc_hash *h, unsigned char *out)
{
	h->vt->out(&h->ctx.vtable, out);
}

/* Add n bytes made of whole copies of block (blen bytes), then a part. */
static void
sc_add_repeated(struct sc_hash *h, const unsigned char *block, size_t blen,
    size_t n)
{
	for (; n > blen; n -= blen) {
		sc_add(h, block, blen);
	}
	sc_add(h, block, n);
}

static void
sc_b64(struct str *out, unsigned b2, unsigned b1, unsigned b0, int n)
{
	unsigned long	w = (unsigned long)b2 << 16 | b1 << 8 | b0;

	while (n-- > 0) {
		str_cat_char(out, itoa64[w & 0x3f]);
		w >>= 6;
	}
}

int
shacrypt(const char *key, const char *setting, struct str *out)
{
	struct sc_hash		 h;
	unsigned char		 a[64], b[64], dp[64], ds[64];
	unsigned char		 p[256], s[SHACRYPT_SALT_MAX];
	unsigned long long	 rounds = SHACRYPT_ROUNDS_DEF;
	bool			 rounds_given = false;
	const char		*salt, *end;
	size_t			 klen = strlen(key), slen, i, n;
	unsigned char		*pbuf = p;
	struct str		 pheap = STR_INIT;
	char			 num[24];

	if (strncmp(setting, "$5$", 3) == 0) {
		h.vt = &br_sha256_vtable;
		h.len = 32;
	} else if (strncmp(setting, "$6$", 3) == 0) {
		h.vt = &br_sha512_vtable;
		h.len = 64;
	} else {
		errno = EINVAL;
		return -1;
	}
	salt = setting + 3;
	if (strncmp(salt, "rounds=", 7) == 0) {
		end = strchr(salt + 7, '$');
		n = end == NULL ? 0 : (size_t)(end - salt - 7);
		if (n == 0 || n >= sizeof(num)) {
			errno = EINVAL;
			return -1;
		}
		memcpy(num, salt + 7, n);
		num[n] = '\0';
		if (scan_uint(num, SHACRYPT_ROUNDS_MAX, &rounds) == -1 ||
		    rounds < SHACRYPT_ROUNDS_MIN) {
			errno = EINVAL;
			return -1;
		}
		rounds_given = true;
		salt = end + 1;
	}
	slen = strcspn(salt, "$");
	if (slen > SHACRYPT_SALT_MAX) {
		slen = SHACRYPT_SALT_MAX;
	}
	memcpy(s, salt, slen);

	/* 4-8: B = H(key salt key) */
	sc_init(&h);
	sc_add(&h, key, klen);
	sc_add(&h, s, slen);
	sc_add(&h, key, klen);
	sc_out(&h, b);
	/* 1-3, 9-12: A */
	sc_init(&h);
	sc_add(&h, key, klen);
	sc_add(&h, s, slen);
	sc_add_repeated(&h, b, h.len, klen);
	for (n = klen; n > 0; n >>= 1) {
		if (n & 1) {
			sc_add(&h, b, h.len);
		} else {
			sc_add(&h, key, klen);
		}
	}
	sc_out(&h, a);
	/* 13-16: P, klen bytes of DP = H(key repeated klen times) */
	sc_init(&h);
	for (i = 0; i < klen; i++) {
		sc_add(&h, key, klen);
	}
	sc_out(&h, dp);
	if (klen > sizeof(p)) {
		str_reserve(&pheap, klen);
		pbuf = (unsigned char *)pheap.s;
	}
	for (i = 0; i < klen; i++) {
		pbuf[i] = dp[i % h.len];
	}
	/* 17-20: S, slen bytes of DS = H(salt repeated 16 + A[0] times) */
	sc_init(&h);
	for (i = 0; i < 16U + a[0]; i++) {
		sc_add(&h, s, slen);
	}
	sc_out(&h, ds);
	memcpy(s, ds, slen);
	/* 21: the rounds */
	for (i = 0; i < rounds; i++) {
		sc_init(&h);
		if (i & 1) {
			sc_add(&h, pbuf, klen);
		} else {
			sc_add(&h, a, h.len);
		}
		if (i % 3 != 0) {
			sc_add(&h, s, slen);
		}
		if (i % 7 != 0) {
			sc_add(&h, pbuf, klen);
		}
		if (i & 1) {
			sc_add(&h, a, h.len);
		} else {
			sc_add(&h, pbuf, klen);
		}
		sc_out(&h, a);
	}
	/* 22: the result */
	str_clear(out);
	str_cat(out, h.len == 32 ? "$5$" : "$6$");
	if (rounds_given) {
		str_catf(out, "rounds=%llu$", rounds);
	}
	str_cat_mem(out, salt, slen);
	str_cat_char(out, '$');
	if (h.len == 32) {
		/* groups (i, i+10, i+20), rotated by i % 3 */
		for (i = 0; i < 10; i++) {
			unsigned x = a[i], y = a[i + 10], z = a[i + 20];

			if (i % 3 == 0) {
				sc_b64(out, x, y, z, 4);
			} else if (i % 3 == 1) {
				sc_b64(out, z, x, y, 4);
			} else {
				sc_b64(out, y, z, x, 4);
			}
		}
		sc_b64(out, 0, a[31], a[30], 3);
	} else {
		/* groups (i, i+21, i+42), rotated by i % 3 */
		for (i = 0; i < 21; i++) {
			unsigned x = a[i], y = a[i + 21], z = a[i + 42];

			if (i % 3 == 0) {
				sc_b64(out, x, y, z, 4);
			} else if (i % 3 == 1) {
				sc_b64(out, y, z, x, 4);
			} else {
				sc_b64(out, z, x, y, 4);
			}
		}
		sc_b64(out, 0, 0, a[63], 2);
	}
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	explicit_bzero(dp, sizeof(dp));
	explicit_bzero(ds, sizeof(ds));
	explicit_bzero(p, sizeof(p));
	explicit_bzero(s, sizeof(s));
	explicit_bzero(&h, sizeof(h));
	if (pheap.s != NULL) {
		explicit_bzero(pheap.s, pheap.cap);
		str_free(&pheap);
	}
	return 0;
}

bool
shacrypt_check(const char *key, const char *hash)
{
	struct str	 got = STR_INIT;
	size_t		 n, i;
	unsigned char	 diff;

	if (shacrypt(key, hash, &got) == -1) {
		return false;
	}
	n = strlen(hash);
	diff = got.len != n;
	for (i = 0; i < n && i < got.len; i++) {
		diff |= (unsigned char)(got.s[i] ^ hash[i]);
	}
	str_free(&got);
	return diff == 0;
}
