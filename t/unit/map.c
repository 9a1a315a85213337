/* SPDX-License-Identifier: ISC */
/*
 * map.c: unit tests for lib/map: table specs, cdb: building and reading
 * (atomic replacement, reopening, corrupt files), texthash:, inline:,
 * static:, map lists, the address and alias lookup orders, and limits.
 *
 * Files live in tap_tmpdir().  Corrupt and unusual cdb files are made
 * with tinycdb's own cdb_make, or by hand; every byte of a small valid
 * file is then mutated in turn to check that a lookup never crashes and
 * answers FOUND, NOTFOUND or ERROR.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cdb.h>

#include "bounds.h"
#include "map.h"
#include "tap.h"

static char	dir[512];

static const char *path_in(const char *);
static void	subst_dir(char *, size_t, const char *);
static void	write_file(const char *, const void *, size_t, mode_t);
static int	read_file(const char *, struct str *);
static void	make_cdb(const char *, const char *const *, size_t);
static void	check_lookup(struct map *, const char *, enum map_result,
		    const char *, const char *);
static void	test_specs(void);
static void	test_cdb_build(void);
static void	test_cdb_build_errors(void);
static void	test_cdb_reopen(void);
static void	test_cdb_corrupt(void);
static void	test_texthash(void);
static void	test_inline_static(void);
static void	test_list(void);
static void	test_ext_split(void);
static void	test_addr(void);
static void	test_alias(void);
static void	test_keep_open(void);

/* A path in the test directory (one static buffer per call site). */
static const char *
path_in(const char *name)
{
	static char	paths[8][600];
	static int	next;
	char		*p = paths[next++ % 8];

	if ((size_t)snprintf(p, sizeof(paths[0]), "%s/%s", dir, name) >=
	    sizeof(paths[0])) {
		fprintf(stderr, "path too long\n");
		exit(1);
	}
	return p;
}

/* Copy fmt to out with its one "%s" (if any) replaced by dir. */
static void
subst_dir(char *out, size_t size, const char *fmt)
{
	const char	*p = strstr(fmt, "%s");
	int		 n;

	if (p == NULL) {
		n = snprintf(out, size, "%s", fmt);
	} else {
		n = snprintf(out, size, "%.*s%s%s", (int)(p - fmt), fmt, dir,
		    p + 2);
	}
	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "subst_dir: too long\n");
		exit(1);
	}
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE	*f;

	(void)unlink(path);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(data, 1, len, f) != len || fclose(f) != 0 ||
	    chmod(path, mode) != 0) {
		fprintf(stderr, "write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static int
read_file(const char *path, struct str *out)
{
	FILE	*f;
	char	 chunk[4096];
	size_t	 n;

	str_clear(out);
	if ((f = fopen(path, "rb")) == NULL) {
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		str_cat_mem(out, chunk, n);
	}
	fclose(f);
	return 0;
}

/* A cdb file from key, value pairs (lengths by strlen, except that a
 * value "<NUL>" stands for the 3 bytes a, NUL, b). */
static void
make_cdb(const char *path, const char *const *kv, size_t n)
{
	struct cdb_make	cm;
	size_t		i;
	int		fd;

	(void)unlink(path);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	cdb_make_start(&cm, fd);
	for (i = 0; i + 1 < n; i += 2) {
		if (strcmp(kv[i + 1], "<NUL>") == 0) {
			cdb_make_add(&cm, kv[i], strlen(kv[i]), "a\0b", 3);
		} else {
			cdb_make_add(&cm, kv[i], strlen(kv[i]), kv[i + 1],
			    strlen(kv[i + 1]));
		}
	}
	if (cdb_make_finish(&cm) != 0 || close(fd) != 0) {
		fprintf(stderr, "cdb_make %s failed\n", path);
		exit(1);
	}
}

static void
check_lookup(struct map *m, const char *key, enum map_result want,
    const char *want_value, const char *want_err)
{
	struct str	value = STR_INIT, err = STR_INIT;
	enum map_result	r;

	str_set(&value, "junk");
	r = map_lookup(m, key, &value, &err);
	is_int(r, want, "%s [%.40s]: result", map_spec(m), key);
	if (want == MAP_FOUND) {
		is_str(str_c(&value), want_value, "%s [%.40s]: value",
		    map_spec(m), key);
	} else {
		is_int((long long)value.len, 0, "%s [%.40s]: value cleared",
		    map_spec(m), key);
	}
	if (want == MAP_ERROR) {
		is_str(str_c(&err), want_err, "%s [%.40s]: error",
		    map_spec(m), key);
	}
	str_free(&value);
	str_free(&err);
}

static void
test_specs(void)
{
	static const struct {
		const char	*name;
		const char	*spec;	/* %s: the test directory */
		int		 err;
		const char	*msg;	/* %s: the test directory */
	} cases[] = {
		{ "no type", "/etc/aliases", EINVAL,
		    "/etc/aliases: expected type:name" },
		{ "unknown type", "hash:/etc/aliases", EINVAL,
		    "hash:/etc/aliases: unsupported table type \"hash\" "
		    "(postlet has cdb, texthash, inline and static)" },
		{ "empty type", ":x", EINVAL, ":x: unsupported table type "
		    "\"\" (postlet has cdb, texthash, inline and static)" },
		{ "type is case-sensitive", "CDB:/x", EINVAL,
		    "CDB:/x: unsupported table type \"CDB\" (postlet has "
		    "cdb, texthash, inline and static)" },
		{ "cdb without name", "cdb:", EINVAL,
		    "cdb:: missing file name" },
		{ "cdb missing file", "cdb:%s/none", ENOENT,
		    "%s/none.cdb: No such file or directory" },
		{ "texthash missing file", "texthash:%s/none", ENOENT,
		    "open %s/none: No such file or directory" },
		{ "texthash of a directory", "texthash:%s", EINVAL,
		    "%s: not a regular file" },
	};
	struct str	 err = STR_INIT;
	struct map	*m;
	char		 spec[700], msg[700];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		subst_dir(spec, sizeof(spec), cases[i].spec);
		subst_dir(msg, sizeof(msg), cases[i].msg);
		errno = 0;
		m = map_open(spec, &err);
		ok(m == NULL, "spec %s: refused", cases[i].name);
		is_int(errno, cases[i].err, "spec %s: errno", cases[i].name);
		is_str(str_c(&err), msg, "spec %s: message", cases[i].name);
		map_close(m);
	}
	str_free(&err);
}

static void
test_cdb_build(void)
{
	static const char src[] =
	    "# a table\n"
	    "Alice   Alice@Example.ORG\n"
	    "bob\tbob@example.org,\n"
	    "  carol@example.org\r\n"
	    "ALICE second\n"
	    "k\xc3\xa9y v\xc3\xa9l\n"
	    "@example.com catchall\n";
	static const char aliases[] =
	    "Root: admin, \"|/bin/cmd x\"\n"
	    "\"Quoted Name\": q\n";
	struct str	 msgs = STR_INIT, err = STR_INIT, a = STR_INIT;
	struct map	*m;
	struct stat	 st;
	char		 spec[700], want[800], big[MAP_KEY_MAX + 2];
	int		 before;

	write_file(path_in("t1"), src, sizeof(src) - 1, 0640);
	before = tap_count_entries(dir);
	is_int(map_cdb_build(path_in("t1"), MAPSRC_POSTMAP, &msgs), 0,
	    "build t1");
	snprintf(want, sizeof(want), "warning: %s, line 5: duplicate entry: "
	    "\"ALICE\" (ignored, line 2 is kept)\n", path_in("t1"));
	is_str(str_c(&msgs), want, "build t1: duplicate warning");
	is_int(tap_count_entries(dir), before + 1,
	    "build t1: one new file, no tmp");
	ok(stat(path_in("t1.cdb"), &st) == 0 &&
	    (st.st_mode & 07777) == 0640, "build t1: mode of the source");

	snprintf(spec, sizeof(spec), "cdb:%s", path_in("t1"));
	m = map_open(spec, &err);
	ok(m != NULL, "open %s", spec);
	if (m == NULL) {
		diag("%s", str_c(&err));
		return;
	}
	is_str(map_spec(m), spec, "map_spec");
	check_lookup(m, "alice", MAP_FOUND, "Alice@Example.ORG", NULL);
	check_lookup(m, "ALICE", MAP_FOUND, "Alice@Example.ORG", NULL);
	check_lookup(m, "bob", MAP_FOUND,
	    "bob@example.org, carol@example.org", NULL);
	check_lookup(m, "k\xc3\xa9y", MAP_FOUND, "v\xc3\xa9l", NULL);
	check_lookup(m, "K\xc3\xa9Y", MAP_FOUND, "v\xc3\xa9l", NULL);
	check_lookup(m, "@example.com", MAP_FOUND, "catchall", NULL);
	check_lookup(m, "carol", MAP_NOTFOUND, NULL, NULL);
	check_lookup(m, "", MAP_NOTFOUND, NULL, NULL);
	check_lookup(m, "alice ", MAP_NOTFOUND, NULL, NULL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	check_lookup(m, big, MAP_NOTFOUND, NULL, NULL);
	map_close(m);

	/* The stored bytes: no trailing NUL on keys or values. */
	read_file(path_in("t1.cdb"), &a);
	ok(memmem(a.s, a.len, "\x05\0\0\0\x11\0\0\0" "aliceAlice@Example.ORG",
	    30) != NULL, "record: lengths 5 and 17 (no NUL), key folded, "
	    "value case kept");

	/* aliases format: names folded, no "@" entry. */
	write_file(path_in("al"), aliases, sizeof(aliases) - 1, 0644);
	str_clear(&msgs);
	is_int(map_cdb_build(path_in("al"), MAPSRC_ALIASES, &msgs), 0,
	    "build aliases");
	is_str(str_c(&msgs), "", "build aliases: no messages");
	snprintf(spec, sizeof(spec), "cdb:%s", path_in("al"));
	if ((m = map_open(spec, &err)) != NULL) {
		check_lookup(m, "root", MAP_FOUND, "admin, \"|/bin/cmd x\"",
		    NULL);
		check_lookup(m, "quoted name", MAP_FOUND, "q", NULL);
		check_lookup(m, "@", MAP_NOTFOUND, NULL, NULL);
		map_close(m);
	} else {
		ok(0, "open %s: %s", spec, str_c(&err));
	}

	/* An empty source makes an empty but valid table. */
	write_file(path_in("empty"), "", 0, 0600);
	str_clear(&msgs);
	is_int(map_cdb_build(path_in("empty"), MAPSRC_POSTMAP, &msgs), 0,
	    "build empty");
	ok(stat(path_in("empty.cdb"), &st) == 0 && st.st_size == 2048 &&
	    (st.st_mode & 07777) == 0600, "empty: 2048 bytes, mode 0600");
	snprintf(spec, sizeof(spec), "cdb:%s", path_in("empty"));
	if ((m = map_open(spec, &err)) != NULL) {
		check_lookup(m, "x", MAP_NOTFOUND, NULL, NULL);
		map_close(m);
	} else {
		ok(0, "open %s: %s", spec, str_c(&err));
	}
	str_free(&a);
	str_free(&msgs);
	str_free(&err);
}

static void
test_cdb_build_errors(void)
{
	static const char good[] = "a 1\n";
	static const char bad[] = "a 2\nb\n c d\n e\nf\n\"x\0y\n";
	struct str	 msgs = STR_INIT, before = STR_INIT, after = STR_INIT;
	char		 want[2000];
	int		 files;
	FILE		*f;

	write_file(path_in("t2"), good, sizeof(good) - 1, 0644);
	is_int(map_cdb_build(path_in("t2"), MAPSRC_POSTMAP, &msgs), 0,
	    "build t2");
	read_file(path_in("t2.cdb"), &before);
	write_file(path_in("t2"), bad, sizeof(bad) - 1, 0644);
	files = tap_count_entries(dir);
	str_clear(&msgs);
	errno = 0;
	is_int(map_cdb_build(path_in("t2"), MAPSRC_POSTMAP, &msgs), -1,
	    "bad source: refused");
	is_int(errno, EINVAL, "bad source: EINVAL");
	snprintf(want, sizeof(want),
	    "%s, line 5: expected format: key whitespace value\n"
	    "%s, line 6: NUL byte in line\n", path_in("t2"), path_in("t2"));
	is_str(str_c(&msgs), want, "bad source: every problem, file:line");
	read_file(path_in("t2.cdb"), &after);
	is_mem(after.s, after.len, before.s, before.len,
	    "bad source: old table untouched");
	is_int(tap_count_entries(dir), files,
	    "bad source: no file left behind");

	/* Missing source. */
	str_clear(&msgs);
	errno = 0;
	is_int(map_cdb_build(path_in("none"), MAPSRC_POSTMAP, &msgs), -1,
	    "missing source: refused");
	is_int(errno, ENOENT, "missing source: ENOENT");
	snprintf(want, sizeof(want), "open %s: No such file or directory\n",
	    path_in("none"));
	is_str(str_c(&msgs), want, "missing source: message");

	/* One byte over MAP_SOURCE_MAX (a sparse file). */
	if ((f = fopen(path_in("huge"), "wb")) == NULL ||
	    ftruncate(fileno(f), MAP_SOURCE_MAX + 1L) != 0 ||
	    fclose(f) != 0) {
		skip(3, "cannot make a sparse file");
	} else {
		str_clear(&msgs);
		errno = 0;
		is_int(map_cdb_build(path_in("huge"), MAPSRC_POSTMAP, &msgs),
		    -1, "huge source: refused");
		is_int(errno, EFBIG, "huge source: EFBIG");
		snprintf(want, sizeof(want), "%s: larger than %ld bytes\n",
		    path_in("huge"), (long)MAP_SOURCE_MAX);
		is_str(str_c(&msgs), want, "huge source: message");
		unlink(path_in("huge"));
	}

	/* A directory where the table should go cannot be replaced. */
	write_file(path_in("t3"), good, sizeof(good) - 1, 0644);
	(void)mkdir(path_in("t3.cdb"), 0755);
	files = tap_count_entries(dir);
	str_clear(&msgs);
	errno = 0;
	is_int(map_cdb_build(path_in("t3"), MAPSRC_POSTMAP, &msgs), -1,
	    "table name is a directory: refused");
	is_int(errno, EISDIR, "table name is a directory: EISDIR");
	is_int(tap_count_entries(dir), files,
	    "table name is a directory: no tmp "
	    "file left");
	snprintf(want, sizeof(want), "install %s: Is a directory\n",
	    path_in("t3.cdb"));
	is_str(str_c(&msgs), want, "table name is a directory: message");

	str_free(&msgs);
	str_free(&before);
	str_free(&after);
}

static void
test_cdb_reopen(void)
{
	struct str	 msgs = STR_INIT, err = STR_INIT;
	struct map	*m;
	char		 spec[700];

	write_file(path_in("t4"), "k old\n", 6, 0644);
	is_int(map_cdb_build(path_in("t4"), MAPSRC_POSTMAP, &msgs), 0,
	    "build t4");
	snprintf(spec, sizeof(spec), "cdb:%s", path_in("t4"));
	if ((m = map_open(spec, &err)) == NULL) {
		ok(0, "open %s: %s", spec, str_c(&err));
		return;
	}
	check_lookup(m, "k", MAP_FOUND, "old", NULL);
	write_file(path_in("t4"), "k new\nj 2\n", 10, 0644);
	is_int(map_cdb_build(path_in("t4"), MAPSRC_POSTMAP, &msgs), 0,
	    "rebuild t4");
	check_lookup(m, "k", MAP_FOUND, "new", NULL);
	check_lookup(m, "j", MAP_FOUND, "2", NULL);

	/* Removed: an error, not "not found"; back: found again. */
	rename(path_in("t4.cdb"), path_in("t4.save"));
	{
		char	want[700];

		snprintf(want, sizeof(want),
		    "%s: No such file or directory", path_in("t4.cdb"));
		check_lookup(m, "k", MAP_ERROR, NULL, want);
	}
	rename(path_in("t4.save"), path_in("t4.cdb"));
	check_lookup(m, "k", MAP_FOUND, "new", NULL);
	map_close(m);
	str_free(&msgs);
	str_free(&err);
}

static void
test_cdb_corrupt(void)
{
	static const char *const kv[] = {
		"a", "1", "bb", "22", "nul", "<NUL>", "Upper", "u",
	};
	struct str	 err = STR_INIT, value = STR_INIT, good = STR_INIT;
	struct str	 big = STR_INIT;
	struct map	*m;
	char		 spec[700], want[800], ff[2048];
	const char	*bigkv[2];
	size_t		 i;
	int		 counts[3] = { 0, 0, 0 }, bad = 0;
	enum map_result	 r;

	snprintf(spec, sizeof(spec), "cdb:%s", path_in("c"));

	/* Too short for the header. */
	write_file(path_in("c.cdb"), "", 0, 0644);
	errno = 0;
	ok(map_open(spec, &err) == NULL, "empty cdb: refused");
	is_int(errno, EPROTO, "empty cdb: EPROTO");
	snprintf(want, sizeof(want), "%s: not a cdb file (shorter than "
	    "2048 bytes)", path_in("c.cdb"));
	is_str(str_c(&err), want, "empty cdb: message");

	/* A header pointing everywhere outside the file, and one byte
	 * short of a header. */
	memset(ff, 0xff, sizeof(ff));
	write_file(path_in("c.cdb"), ff, 2047, 0644);
	ok(map_open(spec, &err) == NULL, "2047-byte cdb: refused");
	write_file(path_in("c.cdb"), ff, sizeof(ff), 0644);
	if ((m = map_open(spec, &err)) != NULL) {
		snprintf(want, sizeof(want), "%s: corrupt cdb file",
		    path_in("c.cdb"));
		check_lookup(m, "a", MAP_ERROR, NULL, want);
		map_close(m);
	} else {
		ok(0, "0xff header: opens, fails on lookup: %s",
		    str_c(&err));
	}

	/* A directory under the table's name. */
	(void)mkdir(path_in("d.cdb"), 0755);
	snprintf(spec, sizeof(spec), "cdb:%s", path_in("d"));
	errno = 0;
	ok(map_open(spec, &err) == NULL, "directory: refused");
	snprintf(want, sizeof(want), "%s: not a regular file",
	    path_in("d.cdb"));
	is_str(str_c(&err), want, "directory: message");

	/* Made by other tools: a NUL in a value, an unfolded key. */
	snprintf(spec, sizeof(spec), "cdb:%s", path_in("c"));
	make_cdb(path_in("c.cdb"), kv, sizeof(kv) / sizeof(kv[0]));
	read_file(path_in("c.cdb"), &good);
	if ((m = map_open(spec, &err)) != NULL) {
		check_lookup(m, "BB", MAP_FOUND, "22", NULL);
		snprintf(want, sizeof(want), "%s: value with a NUL byte",
		    path_in("c.cdb"));
		check_lookup(m, "nul", MAP_ERROR, NULL, want);
		check_lookup(m, "Upper", MAP_NOTFOUND, NULL, NULL);
		map_close(m);
	} else {
		ok(0, "open %s: %s", spec, str_c(&err));
	}

	/* A value over MAP_VALUE_MAX. */
	while (big.len <= MAP_VALUE_MAX) {
		str_cat_char(&big, 'v');
	}
	bigkv[0] = "big";
	bigkv[1] = big.s;
	make_cdb(path_in("c.cdb"), bigkv, 2);
	if ((m = map_open(spec, &err)) != NULL) {
		snprintf(want, sizeof(want), "%s: value longer than %d bytes",
		    path_in("c.cdb"), MAP_VALUE_MAX);
		check_lookup(m, "big", MAP_ERROR, NULL, want);
		map_close(m);
	} else {
		ok(0, "open %s: %s", spec, str_c(&err));
	}

	/* Truncated after the header: the records and hash tables the
	 * header points to are gone. */
	write_file(path_in("c.cdb"), good.s, 2048 + 16, 0644);
	if ((m = map_open(spec, &err)) != NULL) {
		snprintf(want, sizeof(want), "%s: corrupt cdb file",
		    path_in("c.cdb"));
		check_lookup(m, "a", MAP_ERROR, NULL, want);
		check_lookup(m, "bb", MAP_ERROR, NULL, want);
		map_close(m);
	} else {
		ok(0, "truncated cdb: opens: %s", str_c(&err));
	}

	/* Every byte of a valid file mutated in turn: no crash, and
	 * only the three results. */
	for (i = 0; i < good.len; i++) {
		good.s[i] ^= 0x5a;
		write_file(path_in("c.cdb"), good.s, good.len, 0644);
		good.s[i] ^= 0x5a;
		if ((m = map_open(spec, &err)) == NULL) {
			bad++;
			continue;
		}
		r = map_lookup(m, (i & 1) ? "a" : "bb", &value, &err);
		if (r == MAP_FOUND || r == MAP_NOTFOUND || r == MAP_ERROR) {
			counts[r]++;
		} else {
			bad++;
		}
		map_close(m);
	}
	is_int(bad, 0, "mutated cdb: %zu files, %d found, %d not found, "
	    "%d errors", good.len, counts[MAP_FOUND], counts[MAP_NOTFOUND],
	    counts[MAP_ERROR]);
	str_free(&err);
	str_free(&value);
	str_free(&good);
	str_free(&big);
}

static void
test_texthash(void)
{
	static const char src[] = "Key1 Value One\nkey2 v2\n  more\nKEY1 dup\n";
	static const char bad[] = "a\nb\nc d\n";
	struct str	 err = STR_INIT;
	struct map	*m;
	char		 spec[700], want[800];

	write_file(path_in("th"), src, sizeof(src) - 1, 0644);
	snprintf(spec, sizeof(spec), "texthash:%s", path_in("th"));
	if ((m = map_open(spec, &err)) == NULL) {
		ok(0, "open %s: %s", spec, str_c(&err));
		return;
	}
	check_lookup(m, "KEY1", MAP_FOUND, "Value One", NULL);
	check_lookup(m, "key2", MAP_FOUND, "v2 more", NULL);
	check_lookup(m, "key3", MAP_NOTFOUND, NULL, NULL);
	/* Not reread: texthash is read once, at open. */
	write_file(path_in("th"), "key3 x\n", 7, 0644);
	check_lookup(m, "key3", MAP_NOTFOUND, NULL, NULL);
	map_close(m);

	write_file(path_in("th"), bad, sizeof(bad) - 1, 0644);
	errno = 0;
	ok(map_open(spec, &err) == NULL, "texthash bad source: refused");
	is_int(errno, EINVAL, "texthash bad source: EINVAL");
	snprintf(want, sizeof(want), "%s, line 1: expected format: key "
	    "whitespace value (and 1 more problem)", path_in("th"));
	is_str(str_c(&err), want, "texthash bad source: message");
	str_free(&err);
}

static void
test_inline_static(void)
{
	static const struct {
		const char	*spec;
		const char	*msg;	/* NULL: opens */
	} bad[] = {
		{ "inline:a=b",
		    "inline:a=b: expected inline:{key=value, ...}" },
		{ "inline:", "inline:: expected inline:{key=value, ...}" },
		{ "inline:{a}", "inline:{a}: missing '=' in a" },
		{ "inline:{a=1, =x}", "inline:{a=1, =x}: empty key in =x" },
		{ "inline:{{a=b}", "inline:{{a=b}: unbalanced '{' in {a=b" },
		{ "inline:{ { = v } }",
		    "inline:{ { = v } }: empty key in { = v }" },
		{ "static:{abc", "static:{abc: unbalanced '{'" },
	};
	struct str	 err = STR_INIT, spec = STR_INIT, key = STR_INIT;
	struct map	*m;
	size_t		 i;

	m = map_open("inline:{a=1, B=Two,{c = x y z }  { d=e} f=, g==h}",
	    &err);
	ok(m != NULL, "inline opens: %s", str_c(&err));
	if (m != NULL) {
		check_lookup(m, "A", MAP_FOUND, "1", NULL);
		check_lookup(m, "b", MAP_FOUND, "Two", NULL);
		check_lookup(m, "c", MAP_FOUND, "x y z", NULL);
		check_lookup(m, "d", MAP_FOUND, "e", NULL);
		check_lookup(m, "f", MAP_FOUND, "", NULL);
		check_lookup(m, "g", MAP_FOUND, "=h", NULL);
		check_lookup(m, "x", MAP_NOTFOUND, NULL, NULL);
		map_close(m);
	}
	if ((m = map_open("inline:{}", &err)) != NULL) {
		check_lookup(m, "a", MAP_NOTFOUND, NULL, NULL);
		map_close(m);
	} else {
		ok(0, "inline:{} opens: %s", str_c(&err));
	}
	if ((m = map_open("inline:{a=1, A=2}", &err)) != NULL) {
		check_lookup(m, "a", MAP_FOUND, "1", NULL);
		map_close(m);
	} else {
		ok(0, "inline duplicate opens: %s", str_c(&err));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		m = map_open(bad[i].spec, &err);
		ok(m == NULL && errno == EINVAL, "%s: refused with EINVAL",
		    bad[i].spec);
		is_str(str_c(&err), bad[i].msg, "%s: message", bad[i].spec);
		map_close(m);
	}

	if ((m = map_open("static:OK Then", &err)) != NULL) {
		check_lookup(m, "anything", MAP_FOUND, "OK Then", NULL);
		check_lookup(m, "", MAP_FOUND, "OK Then", NULL);
		map_close(m);
	} else {
		ok(0, "static opens");
	}
	if ((m = map_open("static:{ text with { braces } }", &err)) != NULL) {
		check_lookup(m, "x", MAP_FOUND, "text with { braces }", NULL);
		map_close(m);
	} else {
		ok(0, "static:{} opens");
	}
	if ((m = map_open("static:", &err)) != NULL) {
		check_lookup(m, "x", MAP_FOUND, "", NULL);
		map_close(m);
	} else {
		ok(0, "static: opens");
	}

	/* Limits: a value of MAP_VALUE_MAX, then one more byte; a key of
	 * MAP_KEY_MAX, then one more. */
	str_set(&spec, "static:");
	while (spec.len < 7 + MAP_VALUE_MAX) {
		str_cat_char(&spec, 'v');
	}
	m = map_open(spec.s, &err);
	ok(m != NULL, "static value at MAP_VALUE_MAX");
	map_close(m);
	str_cat_char(&spec, 'v');
	m = map_open(spec.s, &err);
	ok(m == NULL && strstr(str_c(&err), ": value longer than") != NULL,
	    "static value at MAP_VALUE_MAX + 1: refused");
	map_close(m);
	str_clear(&key);
	while (key.len < MAP_KEY_MAX) {
		str_cat_char(&key, 'k');
	}
	str_set(&spec, "inline:{");
	str_cat(&spec, key.s);
	str_cat(&spec, "=v}");
	m = map_open(spec.s, &err);
	ok(m != NULL, "inline key at MAP_KEY_MAX");
	if (m != NULL) {
		check_lookup(m, key.s, MAP_FOUND, "v", NULL);
		str_cat_char(&key, 'k');
		check_lookup(m, key.s, MAP_NOTFOUND, NULL, NULL);
	}
	map_close(m);
	str_set(&spec, "inline:{");
	while (spec.len < 8 + MAP_KEY_MAX + 1) {
		str_cat_char(&spec, 'k');
	}
	str_cat(&spec, "=v}");
	m = map_open(spec.s, &err);
	ok(m == NULL && strstr(str_c(&err), ": key longer than") != NULL,
	    "inline key at MAP_KEY_MAX + 1: refused");
	map_close(m);
	str_free(&err);
	str_free(&spec);
	str_free(&key);
}

static void
test_list(void)
{
	struct str	 err = STR_INIT, value = STR_INIT, msgs = STR_INIT;
	struct str	 many = STR_INIT;
	struct map_list	*l;
	char		 spec[800], want[800], ff[2048];
	int		 i;

	l = map_list_open("inline:{a=1}, inline:{a=2 b=2},,\n\tstatic:S",
	    &err);
	ok(l != NULL, "list opens");
	if (l != NULL) {
		is_int((long long)map_list_count(l), 3, "list: 3 tables");
		is_str(map_spec(map_list_get(l, 1)), "inline:{a=2 b=2}",
		    "list: second spec");
		is_int(map_list_lookup(l, "a", &value, &err), MAP_FOUND,
		    "list a: found");
		is_str(str_c(&value), "1", "list a: first table wins");
		map_list_lookup(l, "B", &value, &err);
		is_str(str_c(&value), "2", "list b: second table");
		map_list_lookup(l, "zz", &value, &err);
		is_str(str_c(&value), "S", "list zz: static");
		map_list_close(l);
	}
	l = map_list_open("", &err);
	ok(l != NULL && map_list_count(l) == 0, "empty list");
	if (l != NULL) {
		is_int(map_list_lookup(l, "a", &value, &err), MAP_NOTFOUND,
		    "empty list: not found");
	}
	map_list_close(l);
	errno = 0;
	l = map_list_open("inline:{a=1}, hash:/etc/x", &err);
	ok(l == NULL && errno == EINVAL, "list with a bad table: refused");
	is_str(str_c(&err), "hash:/etc/x: unsupported table type \"hash\" "
	    "(postlet has cdb, texthash, inline and static)",
	    "list with a bad table: message");
	for (i = 0; i <= MAP_LIST_MAX; i++) {
		str_cat(&many, "static:x ");
	}
	errno = 0;
	l = map_list_open(many.s, &err);
	ok(l == NULL && errno == E2BIG, "MAP_LIST_MAX + 1 tables: refused");
	str_truncate(&many, many.len - 9);
	l = map_list_open(many.s, &err);
	ok(l != NULL, "MAP_LIST_MAX tables: accepted");
	if (l != NULL) {
		struct map	*extra = map_open("static:x", &err);

		errno = 0;
		is_int(map_list_add(l, extra), -1, "map_list_add to a full "
		    "list: refused");
		is_int(errno, E2BIG, "map_list_add to a full list: E2BIG");
		map_close(extra);	/* still ours */
	}
	map_list_close(l);
	l = map_list_new();
	is_int(map_list_add(l, map_open("inline:{k=v}", &err)), 0,
	    "map_list_add to a new list");
	map_list_lookup(l, "K", &value, &err);
	is_str(str_c(&value), "v", "map_list_new + add: lookup");
	map_list_close(l);

	/* An error in a table stops the search: the static table after it
	 * must not answer for it. */
	write_file(path_in("le"), "a 1\n", 4, 0644);
	map_cdb_build(path_in("le"), MAPSRC_POSTMAP, &msgs);
	snprintf(spec, sizeof(spec), "cdb:%s static:fallback",
	    path_in("le"));
	l = map_list_open(spec, &err);
	ok(l != NULL, "list cdb + static opens");
	if (l != NULL) {
		is_int(map_list_lookup(l, "a", &value, &err), MAP_FOUND,
		    "list cdb: found");
		memset(ff, 0xff, sizeof(ff));
		write_file(path_in("le.tmp"), ff, sizeof(ff), 0644);
		rename(path_in("le.tmp"), path_in("le.cdb"));
		is_int(map_list_lookup(l, "a", &value, &err), MAP_ERROR,
		    "list, corrupt cdb: error, not the static fallback");
		snprintf(want, sizeof(want), "%s: corrupt cdb file",
		    path_in("le.cdb"));
		is_str(str_c(&err), want, "list, corrupt cdb: message");
		is_int((long long)value.len, 0, "list, corrupt cdb: no value");
		map_list_close(l);
	}
	str_free(&err);
	str_free(&value);
	str_free(&msgs);
	str_free(&many);
}

static void
test_ext_split(void)
{
	static const struct {
		const char	*local;
		const char	*delims;
		size_t		 want;
	} cases[] = {
		{ "user+ext", "+", 4 },
		{ "user", "+", 4 },
		{ "", "+", 0 },
		{ "+ext", "+", 4 },
		{ "a+b+c", "+", 1 },
		{ "a-b+c", "+-", 1 },
		{ "a+b-c", "-+", 1 },
		{ "user+ext", NULL, 8 },
		{ "user+ext", "", 8 },
		{ "owner-list", "-", 10 },
		{ "OWNER-list", "+-", 10 },
		{ "owner-list", "+", 10 },
		{ "list-request", "-", 12 },
		{ "list-Request", "-", 12 },
		{ "list-requests", "-", 4 },
		{ "postmaster", "+", 10 },
		{ "MAILER-DAEMON", "-", 13 },
		{ "postmaster+x", "+", 10 },
		{ "us\xc3\xa9r+x", "+", 5 },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int((long long)map_ext_split(cases[i].local,
		    strlen(cases[i].local), cases[i].delims),
		    (long long)cases[i].want, "ext_split \"%s\" \"%s\"",
		    cases[i].local,
		    cases[i].delims ? cases[i].delims : "(null)");
	}
}

static void
test_addr(void)
{
	static const char all[] = "inline:{user+ext@example.org=full, "
	    "user@example.org=noext, user+ext=localext, user=local, "
	    "@example.org=domain}";
	static const struct {
		const char		*name;
		const char		*tables;
		const char		*addr;
		const char		*delims;
		int			 flags;
		enum map_result		 r;
		const char		*value;
		enum map_addr_form	 form;
	} cases[] = {
		{ "all forms", all, "user+ext@example.org", "+", 0,
		    MAP_FOUND, "full", MAP_FORM_ADDR },
		{ "case folded", all, "User+Ext@Example.ORG", "+", 0,
		    MAP_FOUND, "full", MAP_FORM_ADDR },
		{ "other extension", all, "user+other@example.org", "+", 0,
		    MAP_FOUND, "noext", MAP_FORM_ADDR_NOEXT },
		{ "no extension", all, "user@example.org", "+", 0,
		    MAP_FOUND, "noext", MAP_FORM_ADDR },
		{ "local forms need our domain",
		    "inline:{user+ext=localext, user=local, "
		    "@example.org=domain}",
		    "user+ext@example.org", "+", 0,
		    MAP_FOUND, "domain", MAP_FORM_DOMAIN },
		{ "our domain: user+ext",
		    "inline:{user+ext=localext, user=local, "
		    "@example.org=domain}",
		    "user+ext@example.org", "+", MAP_ADDR_OURS,
		    MAP_FOUND, "localext", MAP_FORM_LOCAL },
		{ "our domain: user",
		    "inline:{user=local, @example.org=domain}",
		    "user+ext@example.org", "+", MAP_ADDR_OURS,
		    MAP_FOUND, "local", MAP_FORM_LOCAL_NOEXT },
		{ "domain only", "inline:{@example.org=domain}",
		    "user+ext@example.org", "+", MAP_ADDR_OURS,
		    MAP_FOUND, "domain", MAP_FORM_DOMAIN },
		{ "no match", "inline:{@example.com=x, user@example.com=y}",
		    "user+ext@example.org", "+", MAP_ADDR_OURS,
		    MAP_NOTFOUND, NULL, 0 },
		{ "no delimiter configured", "inline:{user@example.org=x}",
		    "user+ext@example.org", "", 0, MAP_NOTFOUND, NULL, 0 },
		{ "bare local part", "inline:{user=local}", "user+ext",
		    "+", 0, MAP_FOUND, "local", MAP_FORM_LOCAL_NOEXT },
		{ "address is @domain", "inline:{@example.org=domain}",
		    "@example.org", "+", MAP_ADDR_OURS,
		    MAP_FOUND, "domain", MAP_FORM_ADDR },
		{ "empty domain", "inline:{user=local, @=at}", "user@", "+",
		    MAP_ADDR_OURS, MAP_FOUND, "local", MAP_FORM_LOCAL },
		{ "empty domain, no @ form", "inline:{@=at}", "user@", "+",
		    MAP_ADDR_OURS, MAP_NOTFOUND, NULL, 0 },
		{ "last @ splits", "inline:{@c=dom, \"a@b\"=local}",
		    "\"a@b\"@c", "+", 0, MAP_FOUND, "dom", MAP_FORM_DOMAIN },
		{ "most specific form across tables",
		    "inline:{@example.org=t1domain}, "
		    "inline:{user@example.org=t2noext}",
		    "user+ext@example.org", "+", 0,
		    MAP_FOUND, "t2noext", MAP_FORM_ADDR_NOEXT },
		{ "postmaster not split", "inline:{postmaster=pm, "
		    "mailer=md}", "postmaster@example.org", "-",
		    MAP_ADDR_OURS, MAP_FOUND, "pm", MAP_FORM_LOCAL },
		{ "owner- not split", "inline:{owner=o, @x=d}",
		    "owner-list@x", "-", MAP_ADDR_OURS,
		    MAP_FOUND, "d", MAP_FORM_DOMAIN },
	};
	struct str		 err = STR_INIT, value = STR_INIT;
	struct map_list		*l;
	enum map_addr_form	 form;
	enum map_result		 r;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if ((l = map_list_open(cases[i].tables, &err)) == NULL) {
			ok(0, "addr %s: open: %s", cases[i].name, str_c(&err));
			continue;
		}
		form = (enum map_addr_form)-1;
		r = map_lookup_addr(l, cases[i].addr, cases[i].delims,
		    cases[i].flags, &value, &form, &err);
		is_int(r, cases[i].r, "addr %s: result", cases[i].name);
		if (cases[i].r == MAP_FOUND) {
			is_str(str_c(&value), cases[i].value,
			    "addr %s: value", cases[i].name);
			is_int(form, cases[i].form, "addr %s: form",
			    cases[i].name);
		}
		map_list_close(l);
	}
	str_free(&err);
	str_free(&value);
}

static void
test_alias(void)
{
	static const struct {
		const char	*local;
		const char	*delims;
		enum map_result	 r;
		const char	*value;
		int		 noext;
	} cases[] = {
		{ "root", "+", MAP_FOUND, "admin", 0 },
		{ "ROOT", "+", MAP_FOUND, "admin", 0 },
		{ "user+ext", "+", MAP_FOUND, "u2", 0 },
		{ "user+other", "+", MAP_FOUND, "u1", 1 },
		{ "user+other", "", MAP_NOTFOUND, NULL, 0 },
		{ "nobody", "+", MAP_NOTFOUND, NULL, 0 },
		{ "nobody+x", "+", MAP_NOTFOUND, NULL, 0 },
	};
	struct str	 err = STR_INIT, value = STR_INIT;
	struct map_list	*l;
	size_t		 i;
	int		 noext;

	l = map_list_open("inline:{root=admin, user=u1, user+ext=u2}", &err);
	if (l == NULL) {
		ok(0, "alias list: %s", str_c(&err));
		return;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		noext = -1;
		is_int(map_lookup_alias(l, cases[i].local, cases[i].delims,
		    &value, &noext, &err), cases[i].r, "alias %s \"%s\": "
		    "result", cases[i].local, cases[i].delims);
		if (cases[i].r == MAP_FOUND) {
			is_str(str_c(&value), cases[i].value,
			    "alias %s: value", cases[i].local);
			is_int(noext, cases[i].noext, "alias %s: noext",
			    cases[i].local);
		}
	}
	map_list_close(l);
	str_free(&err);
	str_free(&value);
}

/*
 * map_keep_open, for a chrooted daemon: tables opened stay open, a second
 * open returns the same table, and a cdb file that is removed (as a jail
 * hides it) or replaced still answers from the file first opened;
 * map_kept_changed tells that it was replaced.
 */
static void
test_keep_open(void)
{
	static const char *const	kv1[] = { "k", "one" };
	static const char *const	kv2[] = { "k", "two" };
	char				 spec[600], spec2[600];
	struct map			*m, *again, *missing;
	struct map_list			*l;
	struct str			 err = STR_INIT, value = STR_INIT;

	make_cdb(path_in("kept.cdb"), kv1, 2);
	(void)snprintf(spec, sizeof(spec), "cdb:%s", path_in("kept"));
	(void)snprintf(spec2, sizeof(spec2), "cdb:%s", path_in("nokept"));
	map_keep_open();
	m = map_open(spec, &err);
	ok(m != NULL, "keep open: open %s", spec);
	if (m == NULL) {
		skip(8, "no table");
		return;
	}
	again = map_open(spec, &err);
	ok(again == m, "keep open: the same spec gives the same table");
	map_close(again);
	l = map_list_open(spec, &err);
	ok(l != NULL && map_list_get(l, 0) == m, "keep open: a list shares it");
	map_list_close(l);
	check_lookup(m, "k", MAP_FOUND, "one", NULL);
	ok(map_kept_changed() == NULL, "keep open: nothing changed yet");
	/* replaced, then removed: the open file answers, never "not found" */
	make_cdb(path_in("kept.cdb"), kv2, 2);
	ok(map_kept_changed() != NULL &&
	    strcmp(map_kept_changed(), spec) == 0,
	    "keep open: a rebuilt table is seen as changed (its spec)");
	(void)unlink(path_in("kept.cdb"));
	check_lookup(m, "k", MAP_FOUND, "one", NULL);
	missing = map_open(spec2, &err);
	ok(missing == NULL && errno == ENOENT,
	    "keep open: a missing table still fails to open");
	map_close(m);	/* a no-op: it stays valid */
	is_int(map_lookup(m, "k", &value, &err), MAP_FOUND,
	    "keep open: map_close leaves it open");
	str_free(&err);
	str_free(&value);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "%s", tap_tmpdir());
	test_specs();
	test_cdb_build();
	test_cdb_build_errors();
	test_cdb_reopen();
	test_cdb_corrupt();
	test_texthash();
	test_inline_static();
	test_list();
	test_ext_split();
	test_addr();
	test_alias();
	test_keep_open();	/* last: it cannot be undone */
	return done_testing();
}
