/* SPDX-License-Identifier: ISC */
/*
 * shacrypt.h: the SHA-256 and SHA-512 password hashes of crypt(3)
 * ("$5$" and "$6$", Ulrich Drepper's "Unix crypt using SHA-256 and
 * SHA-512"), with BearSSL's hash functions.
 *
 * Our own because libc cannot be relied on: Debian's musl has no crypt
 * at all, glibc needs libcrypt.  Hashes made by glibc/libxcrypt,
 * `openssl passwd -5/-6`, mkpasswd(1) or Python's crypt verify here and
 * the other way round.  Other methods (bcrypt "$2b$", MD5 "$1$", DES)
 * are not supported.
 */
#ifndef POSTLET_SHACRYPT_H
#define POSTLET_SHACRYPT_H

#include <stdbool.h>

#include "str.h"

/*
 * Hash key with setting, which is "$5$" or "$6$", optionally
 * "rounds=N$" (1000 <= N <= 999999999; default 5000), then the salt (up
 * to 16 bytes, ending at '$' or the end): a full hash can be its own
 * setting.  The result ("$6$salt$...") replaces out.  Returns 0, or -1
 * (errno EINVAL) for a setting of another method or malformed.
 */
int	shacrypt(const char *key, const char *setting, struct str *out);

/*
 * True when key hashes to hash (a "$5$" or "$6$" hash), compared in a
 * time that does not depend on where they differ.
 */
bool	shacrypt_check(const char *key, const char *hash);

#endif
