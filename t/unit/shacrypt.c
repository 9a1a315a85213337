/* SPDX-License-Identifier: ISC */
/*
 * shacrypt.c: unit tests for lib/shacrypt, known answers computed with
 * glibc's libxcrypt (Python's crypt module): both sizes, empty keys,
 * explicit rounds, a salt longer than 16 bytes, a key longer than the
 * on-stack buffer; malformed settings refused; shacrypt_check.
 */
#include <string.h>

#include "shacrypt.h"
#include "str.h"
#include "tap.h"

struct kat {
	const char	*key, *setting, *hash;
};

static const struct kat kats[] = {
	{ "Hello world!", "$5$saltstring",
	    "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5" },
	{ "", "$5$saltstring",
	    "$5$saltstring$FdNfA4gXqvCeO6iZs7G/.wwwoywYZqo0l1pwmfWaBA7" },
	{ "Hello world!", "$6$saltstring",
	    "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQ"
	    "JuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1" },
	{ "", "$6$saltstring",
	    "$6$saltstring$kyGrqt6gmjAdtFLPrflEFifSYLCWWq1pyx95SvqinLDy2UHmj0s"
	    "TF0MSLMwxPFZc3tu5kQckI8fks0zOPda3n1" },
	{ "Hello world!", "$5$rounds=10000$saltstringsaltstring",
	    "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz"
	    "2.opqey6IcA" },
	{ "Hello world!", "$6$rounds=1400$anotherlongsaltstring",
	    "$6$rounds=1400$anotherlongsalts$5FGyu8c4BZDX4wJgs0Un26YOw2XibT5eT"
	    "kHF1I1aP3QqStoJI9BHD2YPJYsAjEePVGUyBjdZxcNqMWlrrbIOC." },
	{ "", "$6$rounds=1400$anotherlongsaltstring",
	    "$6$rounds=1400$anotherlongsalts$CvyNSQwf6bQerEu9N9SQOWtPnrIu1XZzaK"
	    "ZQpGKfoQ/SaumCMqHGCEvfGxtQ5xG2Au23d5sGapl8LQH64hLtn/" },
	{ "Hello world!", "$5$toolongsaltstring_xx",
	    "$5$toolongsaltstrin$0vuwUia3Nx9V/DqToMS8YLcfXpEXmSaC8wgguLIbus2" },
};

int
main(void)
{
	struct str	out = STR_INIT;
	char		longkey[301];
	size_t		i;

	for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		ok(shacrypt(kats[i].key, kats[i].setting, &out) == 0,
		    "%s: hashes", kats[i].setting);
		is_str(str_c(&out), kats[i].hash, "%s \"%s\": known answer",
		    kats[i].setting, kats[i].key);
		ok(shacrypt_check(kats[i].key, kats[i].hash),
		    "%s: the hash checks", kats[i].setting);
		ok(!shacrypt_check("wrong", kats[i].hash),
		    "%s: a wrong key does not", kats[i].setting);
	}
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	ok(shacrypt(longkey, "$6$salt", &out) == 0, "a 300-byte key");
	is_str(str_c(&out), "$6$salt$ha5QY8.Izmwv5Ldb7YmbgdXSZ0mKbDnVeuKbp3.8"
	    "RKJcCDHfDRiNaSz7.awC4GGX6aH4HAOnO8w7WgGaTraha/",
	    "a 300-byte key: known answer");
	ok(shacrypt("x", "$1$salt$", &out) == -1, "MD5 crypt refused");
	ok(shacrypt("x", "$2b$10$abcdefghijklmnopqrstuu", &out) == -1,
	    "bcrypt refused");
	ok(shacrypt("x", "$6$rounds=10$salt", &out) == -1,
	    "rounds below 1000 refused");
	ok(shacrypt("x", "$6$rounds=$salt", &out) == -1,
	    "empty rounds refused");
	ok(shacrypt("x", "$6$rounds=12x$salt", &out) == -1,
	    "bad rounds refused");
	ok(!shacrypt_check("x", "*"), "a locked hash never checks");
	ok(!shacrypt_check("", ""), "an empty hash never checks");
	str_free(&out);
	return done_testing();
}
