/* SPDX-License-Identifier: ISC */
/*
 * qfile.c: tests of lib/qfile: queue IDs, the NOTIFY and xtext codecs,
 * the envelope parser (valid files, every malformation with its exact
 * message, truncation at every byte, limits at and one past, NUL and
 * 8-bit bytes, random mutations), qfile_open, the streaming writer (round
 * trips, refusals, ID collisions, injected write and fsync errors), the
 * in-place status update, moves and the corrupt/ quarantine.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "bounds.h"
#include "log.h"
#include "qfile.h"
#include "str.h"
#include "tap.h"

#define E_RECORD_LEN	44

static char	base[512];
static int	case_no;

/* ---- helpers ---- */

/* A fresh queue directory with the subdirectories qfile uses. */
static const char *
fresh_queue(void)
{
	static const char *const	subs[] = {
		"tmp", "incoming", "active", "deferred", "hold", "corrupt",
		"maildrop",
	};
	static char			dirs[4][600];
	static int			next;
	char				*q = dirs[next++ % 4], path[700];
	size_t				i;

	snprintf(q, sizeof(dirs[0]), "%s/q%d", base, ++case_no);
	if (mkdir(q, 0700) == -1) {
		fprintf(stderr, "mkdir %s: %s\n", q, strerror(errno));
		exit(1);
	}
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", q, subs[i]);
		if (mkdir(path, 0700) == -1) {
			exit(1);
		}
	}
	return q;
}

static int
entries(const char *q, const char *sub)
{
	char		 path[700];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	snprintf(path, sizeof(path), "%s/%s", q, sub);
	if ((d = opendir(path)) == NULL) {
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.') {
			n++;
		}
	}
	closedir(d);
	return n;
}

/* Read a whole file into s; -1 when missing. */
static int
slurp(const char *path, struct str *s)
{
	char	chunk[65536];
	FILE	*f;
	size_t	n;

	str_clear(s);
	if ((f = fopen(path, "rb")) == NULL) {
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		str_cat_mem(s, chunk, n);
	}
	fclose(f);
	return 0;
}

static void
spew(const char *path, const void *p, size_t n)
{
	FILE	*f;

	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n ||
	    fclose(f) == EOF) {
		fprintf(stderr, "write %s failed\n", path);
		exit(1);
	}
}

/*
 * A complete file: envelope records env (without the version line and E),
 * then E with the right lengths, content of clen bytes, and "END\n".
 */
static void
build(struct str *out, const char *env, const char *content, size_t clen,
    unsigned long long hlen)
{
	str_clear(out);
	str_cat(out, "postlet-queue 1\n");
	str_cat(out, env);
	str_catf(out, "E %020zu %020llu\n", clen, hlen);
	str_cat_mem(out, content, clen);
	str_cat(out, "END\n");
}

static int
parse_whole(const struct str *f, struct qfile *qf)
{
	return qfile_parse_envelope(f->s != NULL ? f->s : "", f->len,
	    (off_t)f->len, qf);
}

/* ---- queue IDs ---- */

static void
test_qid(void)
{
	static const struct {
		const char		*label;
		long long		 sec;
		long			 usec;
		unsigned long long	 ino;
		const char		*id;	/* NULL: fails with err */
		int			 err;
	} fmt[] = {
		{ "example of queue.5", 0x06747A1B3LL, 0xF0A2C, 0x1B7D3,
		    "06747A1B3F0A2C1B7D3", 0 },
		{ "all zero (shortest)", 0, 0, 0, "000000000000000", 0 },
		{ "largest (longest)", QID_SEC_MAX, 999999, ~0ULL,
		    "FFFFFFFFF" "F423F" "FFFFFFFFFFFFFFFF", 0 },
		{ "2023", 1700000000, 123456, 42, "06553F1001E2402A", 0 },
		{ "negative seconds", -1, 0, 1, NULL, EINVAL },
		{ "negative usec", 0, -1, 1, NULL, EINVAL },
		{ "usec one past", 0, 1000000, 1, NULL, EINVAL },
		{ "seconds one past", QID_SEC_MAX + 1, 0, 1, NULL, EOVERFLOW },
	};
	static const struct {
		const char	*name;
		int		 valid;
	} names[] = {
		{ "", 0 },
		{ "00000000000000", 0 },		/* 14 */
		{ "000000000000000", 1 },		/* 15 */
		{ "0123456789ABCDEF0123456789ABCD", 1 },	/* 30 */
		{ "0123456789ABCDEF0123456789ABCDE", 0 },	/* 31 */
		{ "06747a1b3F0A2C1B7D3", 0 },		/* lowercase */
		{ "06747G1B3F0A2C1B7D3", 0 },
		{ "06747A1B3F0A2C1B7D3\xc3\xa9", 0 },	/* 8-bit */
		{ "06747A1B3F0/2C1B7D3", 0 },
		{ "..", 0 },
		{ "06747A1B3F0A2C 1B7D3", 0 },
		{ "06747A1B3F0A2C1B7D3.1", 0 },
	};
	char		id[QID_SIZE], prev[QID_SIZE];
	long long	sec;
	long		usec;
	size_t		i;
	int		rc, sorted = 1;

	for (i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		errno = 0;
		rc = qid_format(id, fmt[i].sec, fmt[i].usec, fmt[i].ino);
		if (fmt[i].id == NULL) {
			is_int(rc, -1, "qid_format %s: fails", fmt[i].label);
			is_int(errno, fmt[i].err, "qid_format %s: errno",
			    fmt[i].label);
			continue;
		}
		is_int(rc, 0, "qid_format %s: returns 0", fmt[i].label);
		is_str(id, fmt[i].id, "qid_format %s: ID", fmt[i].label);
		ok(qid_valid(id), "qid_format %s: qid_valid", fmt[i].label);
		sec = -1;
		usec = -1;
		is_int(qid_time(id, &sec, &usec), 0, "qid_time %s: returns 0",
		    fmt[i].label);
		ok(sec == fmt[i].sec && usec == fmt[i].usec,
		    "qid_time %s: gives the time back", fmt[i].label);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		is_int(qid_valid(names[i].name), names[i].valid,
		    "qid_valid \"%s\"", names[i].name);
	}
	errno = 0;
	is_int(qid_time("00000000FFFFF01", &sec, &usec), -1,
	    "qid_time usec 0xFFFFF: fails");
	is_int(errno, EINVAL, "qid_time usec 0xFFFFF: EINVAL");
	is_int(qid_time("xyz", &sec, &usec), -1, "qid_time junk: fails");

	/* Byte order is time order, whatever the inode's length. */
	prev[0] = '\0';
	for (i = 0; i < 2000; i++) {
		qid_format(id, 1700000000 + (long long)(i / 7),
		    (long)((i % 7) * 142857), (i * 2654435761ULL) >>
		    (i % 60));
		if (strcmp(prev, id) >= 0) {
			sorted = 0;
		}
		memcpy(prev, id, sizeof(id));
	}
	ok(sorted, "IDs sort by time whatever the inode");
}

/* ---- NOTIFY and xtext ---- */

static void
test_codecs(void)
{
	static const struct {
		const char	*text;
		size_t		 len;	/* 0: strlen */
		int		 rc;
		unsigned	 bits;
	} parse[] = {
		{ "-", 0, 0, 0 },
		{ "SUCCESS", 0, 0, QFILE_NOTIFY_SUCCESS },
		{ "FAILURE", 0, 0, QFILE_NOTIFY_FAILURE },
		{ "DELAY", 0, 0, QFILE_NOTIFY_DELAY },
		{ "NEVER", 0, 0, QFILE_NOTIFY_NEVER },
		{ "SUCCESS,FAILURE,DELAY", 0, 0, 7 },
		{ "DELAY,SUCCESS", 0, 0, 5 },
		{ "NEVER,SUCCESS", 0, -1, 0 },
		{ "FAILURE,NEVER", 0, -1, 0 },
		{ "SUCCESS,SUCCESS", 0, -1, 0 },
		{ "", 0, -1, 0 },
		{ ",", 0, -1, 0 },
		{ "SUCCESS,", 0, -1, 0 },
		{ ",SUCCESS", 0, -1, 0 },
		{ "success", 0, -1, 0 },
		{ "--", 0, -1, 0 },
		{ "SUCCESS FAILURE", 0, -1, 0 },
		{ "SUCCES", 0, -1, 0 },
		{ "SUCCESS\0", 8, -1, 0 },
		{ "\xc3\x89", 0, -1, 0 },
	};
	static const struct {
		unsigned	 bits;
		const char	*text;	/* NULL: EINVAL */
	} format[] = {
		{ 0, "-" },
		{ 1, "SUCCESS" },
		{ 6, "FAILURE,DELAY" },
		{ 7, "SUCCESS,FAILURE,DELAY" },
		{ 8, "NEVER" },
		{ 9, NULL },
		{ 16, NULL },
	};
	static const struct {
		const char	*text;
		int		 valid;
	} xtext[] = {
		{ "rfc822;a@example.org", 1 },
		{ "rfc822;a+2Bb@example.org", 1 },
		{ "~!", 1 },
		{ "-", 1 },
		{ "+2b", 0 },
		{ "+2", 0 },
		{ "+", 0 },
		{ "a+", 0 },
		{ "a=b", 0 },
		{ "a b", 0 },
		{ "", 0 },
		{ "\x80", 0 },
		{ "a\tb", 0 },
		{ "\x7f", 0 },
	};
	struct str	s = STR_INIT;
	unsigned	bits;
	size_t		i, n;
	int		rc;

	for (i = 0; i < sizeof(parse) / sizeof(parse[0]); i++) {
		n = parse[i].len != 0 ? parse[i].len : strlen(parse[i].text);
		bits = 12345;
		errno = 0;
		rc = qfile_notify_parse(parse[i].text, n, &bits);
		is_int(rc, parse[i].rc, "notify_parse \"%s\"", parse[i].text);
		if (rc == 0) {
			is_int(bits, parse[i].bits, "notify_parse \"%s\": bits",
			    parse[i].text);
		} else {
			ok(errno == EINVAL && bits == 12345,
			    "notify_parse \"%s\": EINVAL, result untouched",
			    parse[i].text);
		}
	}
	for (i = 0; i < sizeof(format) / sizeof(format[0]); i++) {
		str_clear(&s);
		rc = qfile_notify_format(format[i].bits, &s);
		if (format[i].text == NULL) {
			is_int(rc, -1, "notify_format %u: fails",
			    format[i].bits);
			continue;
		}
		is_int(rc, 0, "notify_format %u: returns 0", format[i].bits);
		is_str(str_c(&s), format[i].text, "notify_format %u: text",
		    format[i].bits);
		is_int(qfile_notify_parse(s.s, s.len, &bits), 0,
		    "notify_format %u: parses back", format[i].bits);
		is_int(bits, format[i].bits, "notify_format %u: same bits",
		    format[i].bits);
	}
	for (i = 0; i < sizeof(xtext) / sizeof(xtext[0]); i++) {
		is_int(qfile_xtext_valid(xtext[i].text, strlen(xtext[i].text)),
		    xtext[i].valid, "xtext_valid \"%s\"", xtext[i].text);
	}
	ok(!qfile_xtext_valid("ab\0cd", 5), "xtext_valid with NUL: invalid");
	str_free(&s);
}

/* ---- the parser ---- */

#define GOOD_ENV \
	"T 1700000000.123456\n" \
	"S sender@example.org\n" \
	"A client_name=mail.example.com\n" \
	"A protocol=ESMTP\n" \
	"R P - - one@example.org\n" \
	"R D SUCCESS,FAILURE rfc822;two+2Bx@example.org two with space@x\n"
#define GOOD_CONTENT	"Subject: x\n\nbody\n"

static void
test_parse_good(void)
{
	struct qfile	qf = QFILE_INIT;
	struct str	f = STR_INIT;
	const char	*r1;

	build(&f, GOOD_ENV, GOOD_CONTENT, strlen(GOOD_CONTENT), 12);
	is_int(parse_whole(&f, &qf), 1, "good file: parses");
	is_str(str_c(&qf.error), "", "good file: no error");
	is_int(qf.arrival_sec, 1700000000, "good file: arrival seconds");
	is_int(qf.arrival_usec, 123456, "good file: arrival usec");
	is_str(qf.sender, "sender@example.org", "good file: sender");
	is_int((long long)qf.nattr, 2, "good file: 2 attributes");
	is_str(qf.attrs[0].name, "client_name", "good file: attr 0 name");
	is_str(qf.attrs[0].value, "mail.example.com",
	    "good file: attr 0 value");
	is_str(qfile_attr(&qf, "protocol"), "ESMTP", "good file: qfile_attr");
	ok(qfile_attr(&qf, "helo_name") == NULL,
	    "good file: missing attr is NULL");
	is_int((long long)qf.nrcpt, 2, "good file: 2 recipients");
	is_str(qf.rcpts[0].address, "one@example.org", "rcpt 0: address");
	ok(qf.rcpts[0].orcpt == NULL, "rcpt 0: no orcpt");
	is_int(qf.rcpts[0].notify, 0, "rcpt 0: no notify");
	is_int(qf.rcpts[0].status, 'P', "rcpt 0: pending");
	r1 = strstr(f.s, "R D");
	is_int(qf.rcpts[1].status_offset, r1 - f.s + 2,
	    "rcpt 1: status offset");
	is_int(f.s[qf.rcpts[1].status_offset], 'D',
	    "rcpt 1: status byte at its offset");
	is_int(qf.rcpts[1].status, 'D', "rcpt 1: delivered");
	is_int(qf.rcpts[1].notify, QFILE_NOTIFY_SUCCESS | QFILE_NOTIFY_FAILURE,
	    "rcpt 1: notify");
	is_str(qf.rcpts[1].orcpt, "rfc822;two+2Bx@example.org",
	    "rcpt 1: orcpt as stored");
	is_str(qf.rcpts[1].address, "two with space@x",
	    "rcpt 1: address with spaces");
	is_int(qf.content_offset, (long long)(f.len - 4 -
	    strlen(GOOD_CONTENT)), "good file: content offset");
	is_int(qf.content_len, (long long)strlen(GOOD_CONTENT),
	    "good file: content length");
	is_int(qf.header_len, 12, "good file: header length");
	is_int(qf.file_size, (long long)f.len, "good file: size");
	is_mem(f.s + qf.content_offset, (size_t)qf.content_len, GOOD_CONTENT,
	    strlen(GOOD_CONTENT), "good file: content where it says");

	/* Parsing again into the same struct replaces the result. */
	build(&f, "T 0.000000\nS \nR F NEVER - x\n", "", 0, 0);
	is_int(parse_whole(&f, &qf), 1, "minimal file: parses");
	is_str(qf.sender, "", "minimal file: null sender");
	is_int((long long)qf.nattr, 0, "minimal file: no attributes");
	is_int(qf.rcpts[0].status, 'F', "minimal file: failed status");
	is_int(qf.rcpts[0].notify, QFILE_NOTIFY_NEVER, "minimal file: NEVER");
	is_int(qf.content_len, 0, "minimal file: empty content");

	/* 8-bit bytes in values and any bytes in the content. */
	build(&f, "T 1.000001\nS j\xc3\xb6rg@example.org\nA x=\xff\x01\x7f\n"
	    "R P - - \xe2\x98\x83@example.org\n", "A\0B\r\n\xff\n", 7, 7);
	is_int(parse_whole(&f, &qf), 1, "8-bit values, NUL in content: parses");
	is_str(qf.sender, "j\xc3\xb6rg@example.org", "8-bit sender kept");
	is_str(qfile_attr(&qf, "x"), "\xff\x01\x7f", "control bytes kept");
	is_str(qf.rcpts[0].address, "\xe2\x98\x83@example.org",
	    "8-bit recipient kept");
	is_int(qf.content_len, 7, "NUL in content: length");
	qfile_close(&qf);
	qfile_close(&qf);
	ok(qf.rcpts == NULL && qf.mem.s == NULL && qf.fd == -1,
	    "qfile_close twice: empty");
	str_free(&f);
}

static void
test_parse_bad(void)
{
	/*
	 * raw: the whole file is text; else text is the envelope records and
	 * build() adds the version line, a correct E record, content "x\n"
	 * and the trailer.  Offsets: the version line is bytes 0-15; with
	 * ENV0 ("T 1.000000\n" + "S s\n") the next record starts at 31.
	 */
#define V	"postlet-queue 1\n"
#define ENV0	"T 1.000000\nS s\n"
#define R0	"R P - - r\n"
#define Z20	"00000000000000000000"
	static const struct {
		const char	*label;
		int		 raw;
		const char	*text;
		const char	*error;
	} cases[] = {
		{ "empty file", 1, "",
		    "offset 0: file ends inside the first line" },
		{ "version line cut", 1, "postlet-queue 1",
		    "offset 15: file ends inside the first line" },
		{ "other magic", 1, "postfix-queue 1\n",
		    "offset 4: not a postlet queue file" },
		{ "version 2", 1, "postlet-queue 2\n",
		    "offset 14: unsupported queue file version" },
		{ "version 10", 1, "postlet-queue 10\n",
		    "offset 14: unsupported queue file version" },
		{ "CRLF version line", 1, "postlet-queue 1\r\n",
		    "offset 14: unsupported queue file version" },
		{ "nothing after version", 1, V,
		    "offset 16: file ends before the E record" },
		{ "S first", 0, "S s\nT 1.000000\n" R0,
		    "offset 16: 'S' record where the T record must be" },
		{ "E first", 0, "",
		    "offset 16: 'E' record where the T record must be" },
		{ "duplicate T", 0, "T 1.000000\nT 1.000000\nS s\n" R0,
		    "offset 27: duplicate T record" },
		{ "T after S", 0, ENV0 "T 1.000000\n" R0,
		    "offset 31: duplicate T record" },
		{ "missing S", 0, "T 1.000000\n" R0,
		    "offset 27: 'R' record where the S record must be" },
		{ "duplicate S", 0, ENV0 "S s\n" R0,
		    "offset 31: duplicate S record" },
		{ "no recipient", 0, ENV0,
		    "offset 31: E record before any R record" },
		{ "no recipient after A", 0, ENV0 "A a=b\n",
		    "offset 37: E record before any R record" },
		{ "A after R", 0, ENV0 R0 "A a=b\n",
		    "offset 41: A record after an R record" },
		{ "unknown type", 0, ENV0 "X y\n" R0,
		    "offset 31: unknown record type 'X'" },
		{ "lowercase type", 0, ENV0 "r P - - r\n",
		    "offset 31: unknown record type 'r'" },
		{ "8-bit type", 0, ENV0 "\xc3 y\n" R0,
		    "offset 31: unknown record type 0xC3" },
		{ "space as type", 0, ENV0 "  y\n" R0,
		    "offset 31: unknown record type 0x20" },
		{ "empty line", 0, ENV0 "\n" R0,
		    "offset 31: empty line in envelope" },
		{ "no space after type", 0, ENV0 "Ax=y\n" R0,
		    "offset 32: no space after record type 'A'" },
		{ "type alone", 0, ENV0 "A\n" R0,
		    "offset 32: no space after record type 'A'" },
		{ "tab after type", 0, ENV0 "A\tx=y\n" R0,
		    "offset 32: no space after record type 'A'" },
		{ "NUL in sender", 1, V "T 1.000000\nS a\0b\n",
		    "offset 30: NUL byte in record" },
		{ "CR in attribute", 0, ENV0 "A a=b\rc\n" R0,
		    "offset 36: CR byte in record" },
		{ "CRLF line end", 0, ENV0 "A a=b\r\n" R0,
		    "offset 36: CR byte in record" },
		{ "time without dot", 0, "T 1700000000\nS s\n" R0,
		    "offset 18: bad arrival time" },
		{ "time 5 usec digits", 0, "T 1.00000\nS s\n" R0,
		    "offset 18: bad arrival time" },
		{ "time 7 usec digits", 0, "T 1.0000000\nS s\n" R0,
		    "offset 18: bad arrival time" },
		{ "time empty seconds", 0, "T .000000\nS s\n" R0,
		    "offset 18: bad arrival time" },
		{ "time negative", 0, "T -1.000000\nS s\n" R0,
		    "offset 18: bad arrival time" },
		{ "time with letter", 0, "T 1.00000a\nS s\n" R0,
		    "offset 18: bad arrival time" },
		{ "time two dots", 0, "T 1.000.000\nS s\n" R0,
		    "offset 18: bad arrival time" },
		{ "time one past ID range", 0, "T 68719476736.000000\nS s\n" R0,
		    "offset 18: bad arrival time" },
		{ "time empty", 0, "T \nS s\n" R0,
		    "offset 18: bad arrival time" },
		{ "attribute without =", 0, ENV0 "A abc\n" R0,
		    "offset 33: attribute without '='" },
		{ "attribute empty name", 0, ENV0 "A =x\n" R0,
		    "offset 33: empty attribute name" },
		{ "attribute uppercase name", 0, ENV0 "A aBc=x\n" R0,
		    "offset 34: bad character in attribute name" },
		{ "attribute dash in name", 0, ENV0 "A a-b=x\n" R0,
		    "offset 34: bad character in attribute name" },
		{ "attribute 8-bit name", 0, ENV0 "A \xe9=x\n" R0,
		    "offset 33: bad character in attribute name" },
		{ "duplicate attribute", 0, ENV0 "A ab=1\nA ab=2\n" R0,
		    "offset 40: duplicate attribute ab" },
		{ "status X", 0, ENV0 "R X - - r\n",
		    "offset 33: bad recipient status 'X'" },
		{ "status lowercase", 0, ENV0 "R p - - r\n",
		    "offset 33: bad recipient status 'p'" },
		{ "status 8-bit", 0, ENV0 "R \xd0 - - r\n",
		    "offset 33: bad recipient status 0xD0" },
		{ "status missing", 0, ENV0 "R \n",
		    "offset 33: recipient record too short" },
		{ "status long", 0, ENV0 "R PP - - r\n",
		    "offset 34: no space after recipient status" },
		{ "status only", 0, ENV0 "R P\n",
		    "offset 34: no space after recipient status" },
		{ "no notify", 0, ENV0 "R P \n",
		    "offset 35: recipient record too short" },
		{ "no orcpt", 0, ENV0 "R P -\n",
		    "offset 36: recipient record too short" },
		{ "no address", 0, ENV0 "R P - -\n",
		    "offset 38: recipient record too short" },
		{ "empty address", 0, ENV0 "R P - - \n",
		    "offset 39: empty recipient address" },
		{ "bad notify", 0, ENV0 "R P NEVER,DELAY - r\n",
		    "offset 35: bad NOTIFY list" },
		{ "empty notify", 0, ENV0 "R P  - r\n",
		    "offset 35: bad NOTIFY list" },
		{ "bad orcpt", 0, ENV0 "R P - a=b r\n",
		    "offset 37: bad ORCPT value" },
		{ "bad orcpt hex", 0, ENV0 "R P - a+4x r\n",
		    "offset 37: bad ORCPT value" },
		{ "empty orcpt", 0, ENV0 "R P -  r\n",
		    "offset 37: bad ORCPT value" },
		{ "E cut", 1, V ENV0 R0 "E " Z20 "\n",
		    "offset 43: bad E record" },
		{ "E 19 digits", 1, V ENV0 R0 "E 0000000000000000002 "
		    "0000000000000000002\nx\nEND\n",
		    "offset 43: bad E record" },
		{ "E letter", 1, V ENV0 R0 "E 0000000000000000000x " Z20
		    "\nEND\n", "offset 43: bad E record" },
		{ "E sign", 1, V ENV0 R0 "E +0000000000000000000 " Z20
		    "\nEND\n", "offset 43: bad E record" },
		{ "E two spaces", 1, V ENV0 R0 "E 00000000000000000000  "
		    "0000000000000000000\nEND\n", "offset 43: bad E record" },
		{ "E trailing space", 1, V ENV0 R0 "E " Z20 " " Z20 " \nEND\n",
		    "offset 43: bad E record" },
		{ "E over 2^63", 1, V ENV0 R0 "E 09223372036854775808 " Z20
		    "\nEND\n", "offset 43: bad E record" },
		{ "header over content", 1, V ENV0 R0 "E " Z20
		    " 00000000000000000001\nEND\n",
		    "offset 64: header length 1 exceeds content length 0" },
		{ "content length short", 1, V ENV0 R0 "E 00000000000000000001 "
		    Z20 "\nxy\nEND\n",
		    "offset 43: content length 1 does not match file size 92" },
		{ "content length long", 1, V ENV0 R0 "E 00000000000000000009 "
		    Z20 "\nxy\nEND\n",
		    "offset 43: content length 9 does not match file size 92" },
		{ "no trailer at all", 1, V ENV0 R0 "E 00000000000000000003 "
		    Z20 "\nxy\n",
		    "offset 43: content length 3 does not match file size 88" },
		{ "bad trailer", 1, V ENV0 R0 "E 00000000000000000003 " Z20
		    "\nxy\nEND\r", "offset 88: no END trailer" },
		{ "lowercase trailer", 1, V ENV0 R0 "E 00000000000000000003 "
		    Z20 "\nxy\nend\n", "offset 88: no END trailer" },
		{ "trailer without LF", 1, V ENV0 R0 "E 00000000000000000002 "
		    Z20 "\nxy\nEND", "offset 87: no END trailer" },
		{ "trailer cut", 1, V ENV0 R0 "E 00000000000000000003 "
		    Z20 "\nxy\nEND", "offset 43: content length 3 does not "
		    "match file size 91" },
		{ "junk after trailer", 1, V ENV0 R0 "E 00000000000000000003 "
		    Z20 "\nxy\nEND\nX",
		    "offset 43: content length 3 does not match file size 93" },
	};
	struct qfile	qf = QFILE_INIT;
	struct str	f = STR_INIT;
	size_t		i, n;
	int		rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].raw) {
			/* strlen stops at a NUL: count the one that has one. */
			n = strlen(cases[i].text);
			if (strstr(cases[i].label, "NUL") != NULL) {
				n = strlen(V) + strlen("T 1.000000\nS a") + 3;
			}
			str_set_mem(&f, cases[i].text, n);
		} else {
			build(&f, cases[i].text, "x\n", 2, 2);
		}
		errno = 0;
		rc = parse_whole(&f, &qf);
		is_int(rc, -1, "bad file %s: rejected", cases[i].label);
		is_int(errno, EBADMSG, "bad file %s: EBADMSG", cases[i].label);
		is_str(str_c(&qf.error), cases[i].error, "bad file %s: message",
		    cases[i].label);
		ok(qf.rcpts == NULL && qf.attrs == NULL && qf.mem.s == NULL,
		    "bad file %s: nothing allocated", cases[i].label);
	}
	errno = 0;
	is_int(qfile_parse_envelope("abc", 3, 2, &qf), -1,
	    "buffer longer than file: fails");
	is_int(errno, EINVAL, "buffer longer than file: EINVAL");
	is_int(qfile_parse_envelope("abc", 0, -1, &qf), -1,
	    "negative file size: fails");
	qfile_close(&qf);
	str_free(&f);
#undef V
#undef ENV0
#undef R0
#undef Z20
}

/*
 * Truncated at every byte: with the cut length as the file size, every
 * prefix is rejected; given as a prefix of the real file, the parser asks
 * for more until it has the envelope, then accepts.
 */
static void
test_parse_truncated(void)
{
	struct qfile	qf = QFILE_INIT;
	struct str	f = STR_INIT;
	size_t		k, envlen;
	int		cut_ok = 1, prefix_ok = 1, rc;

	build(&f, GOOD_ENV, GOOD_CONTENT, strlen(GOOD_CONTENT), 12);
	envlen = f.len - 4 - strlen(GOOD_CONTENT);
	for (k = 0; k < f.len; k++) {
		errno = 0;
		rc = qfile_parse_envelope(f.s, k, (off_t)k, &qf);
		if (rc != -1 || errno != EBADMSG ||
		    strncmp(str_c(&qf.error), "offset ", 7) != 0 ||
		    (size_t)strtoull(str_c(&qf.error) + 7, NULL, 10) > k) {
			if (cut_ok) {
				diag("cut at %zu: rc %d, \"%s\"", k, rc,
				    str_c(&qf.error));
			}
			cut_ok = 0;
		}
		rc = qfile_parse_envelope(f.s, k, (off_t)f.len, &qf);
		if (rc != (k < envlen ? 0 : 1)) {
			if (prefix_ok) {
				diag("prefix %zu: rc %d, \"%s\"", k, rc,
				    str_c(&qf.error));
			}
			prefix_ok = 0;
		}
	}
	ok(cut_ok, "truncated at each of %zu offsets: rejected with an offset",
	    f.len);
	ok(prefix_ok, "each prefix of the file: 0 before the E record, then 1");
	qfile_close(&qf);
	str_free(&f);
}

/* Bounds: one record, attributes, recipients and the envelope's bytes. */
static void
test_parse_limits(void)
{
	struct qfile	qf = QFILE_INIT;
	struct str	env = STR_INIT, f = STR_INIT, big = STR_INIT;
	size_t		i;
	int		rc;

	/* "S " + value + "\n" of exactly QFILE_RECORD_MAX bytes. */
	str_set(&big, "");
	for (i = 0; i < QFILE_RECORD_MAX - 3; i++) {
		str_cat_char(&big, 'a');
	}
	str_clear(&env);
	str_catf(&env, "T 1.000000\nS %s\nR P - - r\n", big.s);
	build(&f, env.s, "", 0, 0);
	is_int(parse_whole(&f, &qf), 1, "record of QFILE_RECORD_MAX bytes: ok");
	is_int((long long)strlen(qf.sender), QFILE_RECORD_MAX - 3,
	    "record at the limit: value intact");
	str_cat_char(&big, 'a');
	str_clear(&env);
	str_catf(&env, "T 1.000000\nS %s\nR P - - r\n", big.s);
	build(&f, env.s, "", 0, 0);
	is_int(parse_whole(&f, &qf), -1, "record one byte over: rejected");
	is_str(str_c(&qf.error), "offset 27: record longer than 4096 bytes",
	    "record one byte over: message");
	rc = qfile_parse_envelope(f.s, 27 + QFILE_RECORD_MAX - 1, (off_t)f.len,
	    &qf);
	is_int(rc, 0, "long record, prefix below the limit: wants more");
	rc = qfile_parse_envelope(f.s, 27 + QFILE_RECORD_MAX, (off_t)f.len,
	    &qf);
	is_int(rc, -1, "long record, prefix at the limit: rejected at once");

	/* QFILE_ATTR_MAX attributes, then one more. */
	str_set(&env, "T 1.000000\nS s\n");
	for (i = 0; i < QFILE_ATTR_MAX; i++) {
		str_catf(&env, "A a%zu=v\n", i);
	}
	str_cat(&env, "R P - - r\n");
	build(&f, env.s, "", 0, 0);
	is_int(parse_whole(&f, &qf), 1, "%d attributes: ok", QFILE_ATTR_MAX);
	is_int((long long)qf.nattr, QFILE_ATTR_MAX, "%d attributes: all there",
	    QFILE_ATTR_MAX);
	str_truncate(&env, env.len - strlen("R P - - r\n"));
	str_cat(&env, "A last=v\nR P - - r\n");
	build(&f, env.s, "", 0, 0);
	is_int(parse_whole(&f, &qf), -1, "one attribute over: rejected");
	ok(strstr(str_c(&qf.error), ": more than 100 attributes") != NULL,
	    "one attribute over: message (%s)", str_c(&qf.error));

	/* QFILE_RCPT_MAX recipients, then one more. */
	str_set(&env, "T 1.000000\nS s\n");
	for (i = 0; i < QFILE_RCPT_MAX; i++) {
		str_catf(&env, "R P - - r%zu@example.org\n", i);
	}
	build(&f, env.s, "", 0, 0);
	is_int(parse_whole(&f, &qf), 1, "%d recipients: ok", QFILE_RCPT_MAX);
	is_int((long long)qf.nrcpt, QFILE_RCPT_MAX, "%d recipients: all there",
	    QFILE_RCPT_MAX);
	is_str(qf.rcpts[QFILE_RCPT_MAX - 1].address, "r9999@example.org",
	    "%d recipients: last address", QFILE_RCPT_MAX);
	str_cat(&env, "R P - - last@example.org\n");
	build(&f, env.s, "", 0, 0);
	is_int(parse_whole(&f, &qf), -1, "one recipient over: rejected");
	ok(strstr(str_c(&qf.error), ": more than 10000 recipients") != NULL,
	    "one recipient over: message (%s)", str_c(&qf.error));

	/* An envelope over QFILE_ENVELOPE_MAX bytes. */
	str_set(&big, "");
	for (i = 0; i < 4000; i++) {
		str_cat_char(&big, 'b');
	}
	str_set(&env, "T 1.000000\nS s\n");
	for (i = 0; env.len < QFILE_ENVELOPE_MAX; i++) {
		str_catf(&env, "R P - - %s\n", big.s);
	}
	build(&f, env.s, "", 0, 0);
	is_int(parse_whole(&f, &qf), -1, "envelope over the limit: rejected");
	ok(strstr(str_c(&qf.error), ": envelope longer than 4194304 bytes") !=
	    NULL, "envelope over the limit: message (%s)", str_c(&qf.error));
	is_int(qfile_parse_envelope(f.s, QFILE_ENVELOPE_MAX + 10, (off_t)f.len,
	    &qf), -1, "envelope over the limit, as a prefix: rejected");
	qfile_close(&qf);
	str_free(&env);
	str_free(&f);
	str_free(&big);
}

/*
 * Random damage to a good file: the parser must never crash, must give
 * an "offset N" inside the buffer when it rejects, and when it accepts,
 * everything it reports must agree with the bytes.
 */
static void
test_parse_mutations(void)
{
	static const char	bytes[] = "\n\r\0 PDFRTSAE=-,0123456789+x\xff";
	struct qfile		qf = QFILE_INIT;
	struct str		good = STR_INIT, f = STR_INIT;
	unsigned long		seed = 12345;
	size_t			i, j, k, pos, accepted = 0;
	int			sane = 1, rc;
	const char		*err;

	build(&good, GOOD_ENV, GOOD_CONTENT, strlen(GOOD_CONTENT), 12);
	for (i = 0; i < 20000; i++) {
		str_set_mem(&f, good.s, good.len);
		for (j = 0; j < 1 + i % 3; j++) {
			seed = seed * 6364136223846793005UL +
			    1442695040888963407UL;
			pos = (size_t)(seed >> 33) % f.len;
			k = (size_t)(seed >> 20) % (sizeof(bytes) - 1);
			if ((seed >> 10) % 4 == 0 && f.len > 1) {
				/* Delete a byte. */
				memmove(f.s + pos, f.s + pos + 1,
				    f.len - pos - 1);
				f.len--;
			} else {
				f.s[pos] = bytes[k];
			}
		}
		rc = parse_whole(&f, &qf);
		if (rc == -1) {
			err = str_c(&qf.error);
			if (errno != EBADMSG ||
			    strncmp(err, "offset ", 7) != 0 ||
			    strtoull(err + 7, NULL, 10) > f.len) {
				sane = 0;
				diag("mutation %zu: \"%s\"", i, err);
			}
			continue;
		}
		accepted++;
		if (rc != 1 || (size_t)(qf.content_offset + qf.content_len + 4)
		    != f.len || qf.header_len > qf.content_len ||
		    memcmp(f.s + f.len - 4, "END\n", 4) != 0 || qf.nrcpt == 0) {
			sane = 0;
			diag("mutation %zu: accepted inconsistently", i);
		}
		for (k = 0; k < qf.nrcpt; k++) {
			off_t	o = qf.rcpts[k].status_offset;

			if (memcmp(f.s + o - 3, "\nR ", 3) != 0 ||
			    f.s[o] != qf.rcpts[k].status || f.s[o + 1] != ' ') {
				sane = 0;
				diag("mutation %zu: status offset wrong", i);
			}
		}
	}
	ok(sane, "20000 random mutations: rejected cleanly or accepted "
	    "consistently (%zu accepted)", accepted);
	qfile_close(&qf);
	str_free(&good);
	str_free(&f);
}

/* ---- the writer, qfile_open, status, moves ---- */

/* Write a message through the writer w (new, or aborted); returns 0
 * and the ID, or -1. */
static int
write_msg_with(struct qfile_writer *w, const char *q, const char *sender,
    const char *content, size_t n, size_t chunk, char id[QID_SIZE])
{
	struct timespec		at = { 1700000000, 123456789 };
	size_t			off;

	if (qfile_begin(w, q, &at, sender) == -1 ||
	    qfile_add_rcpt(w, "one@example.org", 0, NULL) == -1 ||
	    qfile_add_attr(w, "protocol", "ESMTP") == -1 ||
	    qfile_add_rcpt(w, "two@example.org",
	    QFILE_NOTIFY_SUCCESS | QFILE_NOTIFY_DELAY,
	    "rfc822;two@example.org") == -1 ||
	    qfile_add_attr(w, "client_name", "localhost") == -1 ||
	    qfile_end_envelope(w) == -1) {
		goto fail;
	}
	for (off = 0; off < n; off += chunk) {
		if (qfile_content(w, content + off,
		    n - off < chunk ? n - off : chunk) == -1) {
			goto fail;
		}
	}
	if (qfile_commit(w, QFILE_INCOMING, id) == -1) {
		goto fail;
	}
	qfile_abort(w);
	return 0;
fail:
	qfile_abort(w);
	return -1;
}

/* The same through a new writer (QFILE_WRITER_INIT). */
static int
write_msg(const char *q, const char *sender, const char *content, size_t n,
    size_t chunk, char id[QID_SIZE])
{
	struct qfile_writer	w = QFILE_WRITER_INIT;

	return write_msg_with(&w, q, sender, content, n, chunk, id);
}

static void
path_of(char *out, size_t size, const char *q, const char *sub,
    const char *name)
{
	snprintf(out, size, "%s/%s/%s", q, sub, name);
}

/*
 * qfile_writer_init on a writer full of garbage: its buffer memory is
 * left as it was, and a message written through it is the same file,
 * byte for byte, as one written through QFILE_WRITER_INIT.
 */
static void
test_writer_init(void)
{
	struct qfile_writer	*w;
	struct str		 a = STR_INIT, b = STR_INIT;
	const char		*q = fresh_queue();
	const char		*content = "Subject: init\n\nbody\n";
	char			 id1[QID_SIZE], id2[QID_SIZE], path[800];
	size_t			 i, kept = 0;

	if ((w = malloc(sizeof(*w))) == NULL) {
		ok(0, "writer_init: malloc");
		return;
	}
	memset(w, 0xa5, sizeof(*w));
	qfile_writer_init(w);
	ok(w->file.fd == -1 && w->file.tmp_path.s == NULL &&
	    w->queue_dir.s == NULL && w->rcpts.len == 0 && w->nrcpt == 0 &&
	    w->state == 0 && w->error == 0 && !w->maildrop && !w->extract,
	    "writer_init: the fields as QFILE_WRITER_INIT");
	for (i = 0; i < sizeof(w->mem); i++) {
		kept += w->mem[i] == 0xa5;
	}
	is_int((long long)kept, (long long)sizeof(w->mem),
	    "writer_init: the buffer memory left as it was");
	is_int(write_msg_with(w, q, "s@example.org", content,
	    strlen(content), 7, id1), 0, "writer_init: a message commits");
	is_int(write_msg(q, "s@example.org", content, strlen(content), 7,
	    id2), 0, "writer_init: and one through QFILE_WRITER_INIT");
	path_of(path, sizeof(path), q, "incoming", id1);
	slurp(path, &a);
	path_of(path, sizeof(path), q, "incoming", id2);
	slurp(path, &b);
	ok(a.len > 0, "writer_init: the file is there");
	is_mem(a.s, a.len, b.s, b.len, "writer_init: the same bytes");
	free(w);
	str_free(&a);
	str_free(&b);
}

static void
test_write_roundtrip(void)
{
	struct qfile	qf = QFILE_INIT;
	struct str	f = STR_INIT;
	struct stat	st;
	const char	*q = fresh_queue();
	char		id[QID_SIZE], path[800], ino[QID_SIZE];
	const char	*content = "From: a\nSubject: b\n\nbody\0with NUL\n";
	size_t		clen = 34;
	long long	sec;
	long		usec;

	is_int(write_msg(q, "", content, clen, 5, id), 0, "write: commits");
	ok(qid_valid(id), "write: valid ID %s", id);
	is_int(qid_time(id, &sec, &usec), 0, "write: ID has a time");
	ok(sec == 1700000000 && usec == 123456, "write: ID time is arrival");
	is_int(entries(q, "tmp"), 0, "write: tmp empty");
	is_int(entries(q, "incoming"), 1, "write: one file in incoming");
	path_of(path, sizeof(path), q, "incoming", id);
	is_int(stat(path, &st), 0, "write: file named by ID");
	is_int(st.st_mode & 07777, 0600, "write: mode 0600");
	qid_format(ino, 0, 0, (unsigned long long)st.st_ino);
	is_str(id + 14, ino + 14, "write: ID ends in the inode number");

	is_int(qfile_open(path, O_RDONLY, &qf), 0, "open: works (%s)",
	    str_c(&qf.error));
	is_int(qf.arrival_sec, 1700000000, "open: arrival");
	is_int(qf.arrival_usec, 123456, "open: arrival usec");
	is_str(qf.sender, "", "open: null sender");
	is_int((long long)qf.nattr, 2, "open: attributes");
	is_str(qfile_attr(&qf, "client_name"), "localhost", "open: attr");
	is_int((long long)qf.nrcpt, 2, "open: recipients");
	is_str(qf.rcpts[1].address, "two@example.org", "open: rcpt address");
	is_int(qf.rcpts[1].notify, QFILE_NOTIFY_SUCCESS | QFILE_NOTIFY_DELAY,
	    "open: rcpt notify");
	is_str(qf.rcpts[1].orcpt, "rfc822;two@example.org", "open: rcpt orcpt");
	is_int(qf.rcpts[0].status, QFILE_PENDING, "open: status pending");
	is_int(qf.content_len, (long long)clen, "open: content length");
	is_int(qf.header_len, 20, "open: header length");
	slurp(path, &f);
	is_mem(f.s + qf.content_offset, (size_t)qf.content_len, content, clen,
	    "open: content bytes");
	is_mem(f.s, 16, "postlet-queue 1\n", 16, "file: version line");
	ok(strstr(f.s, "\nT 1700000000.123456\nS \nA protocol=ESMTP\n"
	    "A client_name=localhost\nR P - - one@example.org\n"
	    "R P SUCCESS,DELAY rfc822;two@example.org two@example.org\n"
	    "E 00000000000000000034 00000000000000000020\n") != NULL,
	    "file: records in canonical order, E filled in");
	is_mem(f.s + f.len - 4, 4, "END\n", 4, "file: trailer");
	qfile_close(&qf);
	str_free(&f);
}

/*
 * Sizes on both sides of the writer's buffer: the E record is filled in
 * in the buffer while the whole file is there, else with pwrite; either
 * way the file reads back with the right lengths and bytes.
 */
static void
test_write_sizes(void)
{
	/* (the output half of the buffer is QFILE_WRITE_BUF bytes, and the
	 * envelope here about 200) */
	static const size_t	sizes[] = { 0, 1, QFILE_WRITE_BUF - 400,
	    QFILE_WRITE_BUF - 300, QFILE_WRITE_BUF - 200,
	    QFILE_WRITE_BUF - 100, QFILE_WRITE_BUF, 5 * QFILE_WRITE_BUF + 7 };
	struct qfile	qf = QFILE_INIT;
	struct str	content = STR_INIT, f = STR_INIT;
	const char	*q = fresh_queue();
	char		id[QID_SIZE], path[800];
	size_t		i, j;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		str_clear(&content);
		for (j = 0; j < sizes[i]; j++) {
			str_cat_char(&content, j % 70 == 69 ? '\n' :
			    (char)('a' + j % 26));
		}
		if (write_msg(q, "s@example.org", str_c(&content), content.len,
		    4000, id) == -1) {
			ok(0, "sizes: %zu bytes: write", sizes[i]);
			continue;
		}
		path_of(path, sizeof(path), q, "incoming", id);
		if (qfile_open(path, O_RDONLY, &qf) == -1) {
			ok(0, "sizes: %zu bytes: open (%s)", sizes[i],
			    str_c(&qf.error));
			continue;
		}
		slurp(path, &f);
		ok(qf.content_len == (long long)sizes[i] &&
		    qf.header_len == (long long)sizes[i] &&
		    f.len == (size_t)qf.content_offset + sizes[i] + 4 &&
		    memcmp(f.s + qf.content_offset, str_c(&content),
		    sizes[i]) == 0,
		    "sizes: %zu bytes of content read back whole", sizes[i]);
		qfile_close(&qf);
		(void)unlink(path);
	}
	str_free(&content);
	str_free(&f);
}

static void
test_write_header_len(void)
{
	static const struct {
		const char	*content;
		long long	 header_len;
	} cases[] = {
		{ "", 0 },
		{ "\n", 1 },
		{ "\nbody\n", 1 },
		{ "A: b\n\nbody\n", 6 },
		{ "A: b\nC: d\n", 10 },
		{ "A: b\nC: d", 9 },
		{ "A: b\r\n\r\nbody\n", 13 },
		{ "A: b\n\n\n\n", 6 },
		{ "A: b\n \nx", 8 },
	};
	struct qfile	qf = QFILE_INIT;
	const char	*q = fresh_queue();
	char		id[QID_SIZE], path[800];
	size_t		i, chunk, n;
	int		good;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = strlen(cases[i].content);
		good = 1;
		/* Every chunk size, so the header end falls at every split. */
		for (chunk = 1; chunk <= (n > 0 ? n : 1); chunk++) {
			if (write_msg(q, "s", cases[i].content, n, chunk,
			    id) == -1) {
				good = 0;
				continue;
			}
			path_of(path, sizeof(path), q, "incoming", id);
			if (qfile_open(path, O_RDONLY, &qf) == -1 ||
			    qf.header_len != cases[i].header_len ||
			    qf.content_len != (off_t)n) {
				diag("chunk %zu: header %lld", chunk,
				    (long long)qf.header_len);
				good = 0;
			}
			qfile_close(&qf);
			unlink(path);
		}
		ok(good, "header length of \"%s\": %lld, in chunks of any size",
		    cases[i].content, cases[i].header_len);
	}
}

static void
test_write_refusals(void)
{
	struct qfile_writer	w = QFILE_WRITER_INIT;
	struct qfile		qf = QFILE_INIT;
	struct str		big = STR_INIT, name = STR_INIT;
	const char		*q = fresh_queue();
	char			id[QID_SIZE], early[QID_SIZE], path[800];
	size_t			i;
	int			good;

	memset(id, 0, sizeof(id));
	errno = 0;
	is_int(qfile_begin(&w, q, NULL, "a\nb"), -1, "begin: LF in sender");
	is_int(errno, EINVAL, "begin: LF in sender: EINVAL");
	is_int(qfile_begin(&w, q, NULL, "a\rb"), -1, "begin: CR in sender");
	for (i = 0; i < QFILE_RECORD_MAX - 2; i++) {
		str_cat_char(&big, 's');
	}
	errno = 0;
	is_int(qfile_begin(&w, q, NULL, big.s), -1,
	    "begin: sender one byte over the record limit");
	is_int(errno, EMSGSIZE, "begin: sender over: EMSGSIZE");
	{
		struct timespec	bad = { 0, 1000000000 };

		errno = 0;
		is_int(qfile_begin(&w, q, &bad, "s"), -1, "begin: bad time");
		is_int(errno, EINVAL, "begin: bad time: EINVAL");
	}
	errno = 0;
	is_int(qfile_begin(&w, "/nonexistent/postlet", NULL, "s"), -1,
	    "begin: missing queue");
	is_int(errno, ENOENT, "begin: missing queue: ENOENT");
	qfile_abort(&w);
	is_int(entries(q, "tmp"), 0, "begin refusals: tmp empty");

	str_truncate(&big, big.len - 1);
	is_int(qfile_begin(&w, q, NULL, big.s), 0,
	    "begin: sender at the record limit");
	is_int(entries(q, "tmp"), w.file.unnamed ? 0 : 1,
	    "begin: file unnamed (O_TMPFILE), or in tmp");
	is_int(entries(q, "incoming"), 0, "begin: nothing in incoming");

	{
		static const struct {
			const char	*name;
			const char	*value;
			int		 err;
		} attrs[] = {
			{ "", "v", EINVAL },
			{ "Name", "v", EINVAL },
			{ "a-b", "v", EINVAL },
			{ "a=b", "v", EINVAL },
			{ "a b", "v", EINVAL },
			{ "\xc3\xa9", "v", EINVAL },
			{ "x", "a\nb", EINVAL },
			{ "x", "a\rb", EINVAL },
			{ "client_name", "one", 0 },
			{ "client_name", "two", EEXIST },
			{ "client", "ok", 0 },
			{ "client_name_x", "ok", 0 },
			{ "empty", "", 0 },
		};

		for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
			errno = 0;
			if (attrs[i].err == 0) {
				is_int(qfile_add_attr(&w, attrs[i].name,
				    attrs[i].value), 0, "attr \"%s\": added",
				    attrs[i].name);
			} else {
				is_int(qfile_add_attr(&w, attrs[i].name,
				    attrs[i].value), -1, "attr \"%s\"=\"%s\": "
				    "refused", attrs[i].name, attrs[i].value);
				is_int(errno, attrs[i].err,
				    "attr \"%s\": errno", attrs[i].name);
			}
		}
	}
	/* "A v=" + value + "\n" over the record limit. */
	str_truncate(&big, QFILE_RECORD_MAX - 5);
	is_int(qfile_add_attr(&w, "v", big.s), 0, "attr at the record limit");
	str_cat_char(&big, 's');
	errno = 0;
	is_int(qfile_add_attr(&w, "w", big.s), -1, "attr one byte over");
	is_int(errno, EMSGSIZE, "attr one byte over: EMSGSIZE");
	good = 1;
	for (i = 5; i < QFILE_ATTR_MAX; i++) {
		str_clear(&name);
		str_catf(&name, "n%zu", i);
		if (qfile_add_attr(&w, name.s, "x") == -1) {
			good = 0;
		}
	}
	ok(good, "attrs up to QFILE_ATTR_MAX: added");
	errno = 0;
	is_int(qfile_add_attr(&w, "toomany", "x"), -1, "attr one too many");
	is_int(errno, E2BIG, "attr one too many: E2BIG");

	errno = 0;
	is_int(qfile_end_envelope(&w), -1, "end_envelope without recipients");
	is_int(errno, EINVAL, "end_envelope without recipients: EINVAL");
	{
		static const struct {
			const char	*addr;
			unsigned	 notify;
			const char	*orcpt;
			int		 err;
		} rcpts[] = {
			{ "", 0, NULL, EINVAL },
			{ "a\nb", 0, NULL, EINVAL },
			{ "a\rb", 0, NULL, EINVAL },
			{ "a", 16, NULL, EINVAL },
			{ "a", QFILE_NOTIFY_NEVER | 1, NULL, EINVAL },
			{ "a", 0, "a=b", EINVAL },
			{ "a", 0, "-", EINVAL },
			{ "a", 0, "", EINVAL },
			{ "a", 0, "rfc822;x y", EINVAL },
			{ "with space@x", 0, NULL, 0 },
			{ "\xe2\x98\x83@x", QFILE_NOTIFY_NEVER, "rfc822;+2B",
			    0 },
		};

		for (i = 0; i < sizeof(rcpts) / sizeof(rcpts[0]); i++) {
			errno = 0;
			is_int(qfile_add_rcpt(&w, rcpts[i].addr,
			    rcpts[i].notify, rcpts[i].orcpt),
			    rcpts[i].err == 0 ? 0 : -1,
			    "rcpt %zu \"%s\": %s", i, rcpts[i].addr,
			    rcpts[i].err == 0 ? "added" : "refused");
			if (rcpts[i].err != 0) {
				is_int(errno, rcpts[i].err, "rcpt %zu: errno",
				    i);
			}
		}
	}
	str_truncate(&big, QFILE_RECORD_MAX - 9);
	is_int(qfile_add_rcpt(&w, big.s, 0, NULL), 0,
	    "rcpt at the record limit");
	str_cat_char(&big, 's');
	errno = 0;
	is_int(qfile_add_rcpt(&w, big.s, 0, NULL), -1, "rcpt one byte over");
	is_int(errno, EMSGSIZE, "rcpt one byte over: EMSGSIZE");

	is_int(qfile_id(&w, early), 0, "qfile_id in the envelope");
	is_int(qfile_end_envelope(&w), 0, "end_envelope after refusals");
	is_int(qfile_content(&w, "x\n", 2), 0, "content");
	is_int(qfile_id(&w, id), 0, "qfile_id in the content");
	is_str(id, early, "qfile_id: the same ID twice");
	errno = 0;
	is_int(qfile_commit(&w, "tmp", id), -1, "commit into tmp: refused");
	is_int(errno, EINVAL, "commit into tmp: EINVAL");
	is_int(qfile_commit(&w, "../x", id), -1, "commit into ../x: refused");
	is_int(qfile_commit(&w, QFILE_HOLD, id), 0, "commit into hold");
	is_str(id, early, "qfile_id: the ID the commit gave");
	ok(TAP_FATAL(qfile_id(&w, early)), "qfile_id after commit: panic");
	qfile_abort(&w);
	path_of(path, sizeof(path), q, "hold", id);
	is_int(qfile_open(path, O_RDONLY, &qf), 0,
	    "file after refusals: reads back (%s)", str_c(&qf.error));
	is_int((long long)qf.nattr, QFILE_ATTR_MAX, "file after refusals: "
	    "%d attributes", QFILE_ATTR_MAX);
	is_int((long long)qf.nrcpt, 3, "file after refusals: 3 recipients");
	is_str(qf.rcpts[1].orcpt, "rfc822;+2B", "file after refusals: orcpt");
	is_int(qf.rcpts[1].notify, QFILE_NOTIFY_NEVER,
	    "file after refusals: NEVER");
	is_int((long long)strlen(qf.sender), QFILE_RECORD_MAX - 3,
	    "file after refusals: long sender");
	qfile_close(&qf);

	ok(TAP_FATAL(qfile_content(&w, "x", 1)), "content before begin: panic");
	ok(TAP_FATAL(qfile_add_rcpt(&w, "x", 0, NULL)),
	    "rcpt before begin: panic");
	is_int(qfile_begin(&w, q, NULL, "s"), 0,
	    "writer reusable after commit");
	ok(TAP_FATAL(qfile_commit(&w, QFILE_INCOMING, id)),
	    "commit before end_envelope: panic");
	ok(TAP_FATAL(qfile_begin(&w, q, NULL, "s")), "begin twice: panic");
	qfile_abort(&w);
	is_int(entries(q, "tmp"), 0, "abort: tmp empty");
	str_free(&big);
	str_free(&name);
}

/* Recipient and envelope limits of the writer. */
static void
test_write_limits(void)
{
	struct qfile_writer	w = QFILE_WRITER_INIT;
	struct qfile		qf = QFILE_INIT;
	struct str		big = STR_INIT;
	const char		*q = fresh_queue();
	char			id[QID_SIZE], path[800], addr[64];
	size_t			i;
	int			good = 1;

	is_int(qfile_begin(&w, q, NULL, "s"), 0, "rcpt limit: begin");
	for (i = 0; i < QFILE_RCPT_MAX; i++) {
		snprintf(addr, sizeof(addr), "r%zu@example.org", i);
		if (qfile_add_rcpt(&w, addr, 0, NULL) == -1) {
			good = 0;
		}
	}
	ok(good, "%d recipients: added", QFILE_RCPT_MAX);
	errno = 0;
	is_int(qfile_add_rcpt(&w, "one-more@example.org", 0, NULL), -1,
	    "one recipient too many: refused");
	is_int(errno, E2BIG, "one recipient too many: E2BIG");
	is_int(qfile_end_envelope(&w), 0, "rcpt limit: end_envelope");
	is_int(qfile_commit(&w, QFILE_INCOMING, id), 0, "rcpt limit: commit");
	path_of(path, sizeof(path), q, "incoming", id);
	is_int(qfile_open(path, O_RDONLY, &qf), 0,
	    "rcpt limit: reads back (several reads)");
	is_int((long long)qf.nrcpt, QFILE_RCPT_MAX, "rcpt limit: all there");
	qfile_close(&qf);

	for (i = 0; i < 3000; i++) {
		str_cat_char(&big, 'b');
	}
	is_int(qfile_begin(&w, q, NULL, "s"), 0, "envelope limit: begin");
	good = 0;
	for (i = 0; i < QFILE_RCPT_MAX; i++) {
		if (qfile_add_rcpt(&w, big.s, 0, NULL) == -1) {
			good = errno == E2BIG;
			break;
		}
	}
	/* 16 + 20 + 4 bytes of version, T and S; 44 of E. */
	ok(good && i == (QFILE_ENVELOPE_MAX - 16 - 20 - 4 - 44) / (big.len + 9),
	    "envelope limit: E2BIG after %zu recipients", i);
	is_int(qfile_end_envelope(&w), 0, "envelope limit: end_envelope");
	is_int(qfile_commit(&w, QFILE_INCOMING, id), 0,
	    "envelope limit: commit");
	path_of(path, sizeof(path), q, "incoming", id);
	is_int(qfile_open(path, O_RDONLY, &qf), 0,
	    "envelope at the limit: reads back (%s)", str_c(&qf.error));
	ok(qf.content_offset <= QFILE_ENVELOPE_MAX,
	    "envelope at the limit: %lld bytes", (long long)qf.content_offset);
	qfile_close(&qf);
	qfile_abort(&w);
	str_free(&big);
}

/* A collision with an existing name gets a fresh ID, never a replace. */
static void
test_write_collision(void)
{
	struct qfile_writer	w = QFILE_WRITER_INIT;
	struct timespec		at = { 1700000000, 5000 };
	struct stat		st;
	struct str		f = STR_INIT;
	const char		*q = fresh_queue();
	char			taken[QID_SIZE], id[QID_SIZE], path[800];

	is_int(qfile_begin(&w, q, &at, "s"), 0, "collision: begin");
	qfile_add_rcpt(&w, "r", 0, NULL);
	qfile_end_envelope(&w);
	fstat(w.file.fd, &st);
	qid_format(taken, 1700000000, 5, (unsigned long long)st.st_ino);
	path_of(path, sizeof(path), q, "incoming", taken);
	spew(path, "precious", 8);
	is_int(qfile_commit(&w, QFILE_INCOMING, id), 0, "collision: commits");
	ok(strcmp(id, taken) > 0, "collision: a later ID (%s > %s)", id, taken);
	slurp(path, &f);
	is_mem(f.s, f.len, "precious", 8, "collision: existing file untouched");
	is_int(entries(q, "incoming"), 2, "collision: both files there");
	is_int(entries(q, "tmp"), 0, "collision: tmp empty");
	qfile_abort(&w);
	str_free(&f);
}

static ssize_t
write_enospc(struct buf *b, const void *p, size_t n, long long deadline)
{
	(void)b;
	(void)p;
	(void)n;
	(void)deadline;
	errno = ENOSPC;
	return -1;
}

static int
fail_fsync(const char *op)
{
	if (strcmp(op, "fsync") == 0) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* Write and fsync errors: nothing is left, nothing is acknowledged. */
static void
test_write_errors(void)
{
	struct qfile_writer	w = QFILE_WRITER_INIT;
	const char		*q = fresh_queue();
	char			id[QID_SIZE], chunk[4096];
	int			i, rc = 0;

	memset(chunk, 'x', sizeof(chunk));
	is_int(qfile_begin(&w, q, NULL, "s"), 0, "ENOSPC: begin");
	qfile_add_rcpt(&w, "r", 0, NULL);
	buf_set_io(&w.out, w.out.read_fn, write_enospc, NULL);
	qfile_end_envelope(&w);
	for (i = 0; i < 10 && rc == 0; i++) {
		rc = qfile_content(&w, chunk, sizeof(chunk));
	}
	is_int(rc, -1, "ENOSPC: content fails once the buffer is full");
	is_int(errno, ENOSPC, "ENOSPC: errno");
	errno = 0;
	is_int(qfile_content(&w, "x", 1), -1, "ENOSPC: sticky");
	is_int(qfile_commit(&w, QFILE_INCOMING, id), -1,
	    "ENOSPC: commit fails");
	is_int(errno, ENOSPC, "ENOSPC: commit errno");
	qfile_abort(&w);
	is_int(entries(q, "tmp"), 0, "ENOSPC: tmp empty after abort");
	is_int(entries(q, "incoming"), 0, "ENOSPC: incoming empty");

	is_int(qfile_begin(&w, q, NULL, "s"), 0, "fsync error: begin");
	qfile_add_rcpt(&w, "r", 0, NULL);
	qfile_end_envelope(&w);
	qfile_content(&w, "x\n", 2);
	durable_set_fault(fail_fsync);
	errno = 0;
	is_int(qfile_commit(&w, QFILE_INCOMING, id), -1,
	    "fsync error: commit fails");
	is_int(errno, EIO, "fsync error: EIO");
	durable_set_fault(NULL);
	qfile_abort(&w);
	is_int(entries(q, "tmp"), 0, "fsync error: tmp empty");
	is_int(entries(q, "incoming"), 0, "fsync error: incoming empty");

	is_int(qfile_begin(&w, q, NULL, "s"), 0, "abort mid-content: begin");
	qfile_add_rcpt(&w, "r", 0, NULL);
	qfile_end_envelope(&w);
	for (i = 0; i < 100; i++) {
		qfile_content(&w, chunk, sizeof(chunk));
	}
	qfile_abort(&w);
	is_int(entries(q, "tmp"), 0, "abort mid-content: tmp empty");
}

static void
test_open(void)
{
	struct qfile	qf = QFILE_INIT;
	struct str	f = STR_INIT, env = STR_INIT;
	const char	*q = fresh_queue();
	char		path[800], link_path[800], *content;
	size_t		i, clen = 200000;
	ssize_t		n;

	content = malloc(clen);
	for (i = 0; i < clen; i++) {
		content[i] = (char)(i * 7);
	}
	str_set(&env, "T 1.000000\nS s\n");
	for (i = 0; i < 1000; i++) {
		str_catf(&env, "R P - - recipient-%zu@example.org\n", i);
	}
	build(&f, env.s, content, clen, clen);
	path_of(path, sizeof(path), q, "active", "big");
	spew(path, f.s, f.len);
	is_int(qfile_open(path, O_RDONLY, &qf), 0,
	    "open: envelope beyond the first read");
	is_int((long long)qf.nrcpt, 1000, "open: all recipients");
	is_int(qf.content_len, (long long)clen, "open: content length");
	{
		char	buf[100];

		n = pread(qf.fd, buf, sizeof(buf), qf.content_offset + 1000);
		is_mem(buf, (size_t)n, content + 1000, sizeof(buf),
		    "open: content streams from the descriptor");
	}

	memcpy(f.s + f.len - 4, "ENDX", 4);
	spew(path, f.s, f.len);
	errno = 0;
	is_int(qfile_open(path, O_RDONLY, &qf), -1,
	    "open: bad trailer far off");
	is_int(errno, EBADMSG, "open: bad trailer: EBADMSG");
	ok(strstr(str_c(&qf.error), ": no END trailer") != NULL,
	    "open: bad trailer: message (%s)", str_c(&qf.error));
	memcpy(f.s + f.len - 4, "END\n", 4);
	spew(path, f.s, f.len - 1);
	is_int(qfile_open(path, O_RDONLY, &qf), -1, "open: short file");
	ok(strstr(str_c(&qf.error), "does not match file size") != NULL,
	    "open: short file: message (%s)", str_c(&qf.error));

	errno = 0;
	is_int(qfile_open("/nonexistent/postlet", O_RDONLY, &qf), -1,
	    "open: missing");
	is_int(errno, ENOENT, "open: missing: ENOENT");
	ok(strncmp(str_c(&qf.error), "open: ", 6) == 0, "open: missing: text");
	spew(path, f.s, f.len);
	path_of(link_path, sizeof(link_path), q, "active", "link");
	symlink(path, link_path);
	errno = 0;
	is_int(qfile_open(link_path, O_RDONLY, &qf), -1,
	    "open: symlink refused");
	is_int(errno, ELOOP, "open: symlink: ELOOP");
	path_of(link_path, sizeof(link_path), q, "active", "");
	errno = 0;
	is_int(qfile_open(link_path, O_RDONLY, &qf), -1, "open: directory");
	is_int(errno, EBADMSG, "open: directory: EBADMSG");
	is_str(str_c(&qf.error), "offset 0: not a regular file",
	    "open: directory: message");
	/* A FIFO planted in maildrop/ must not hang the reader in open(2). */
	path_of(link_path, sizeof(link_path), q, "active", "fifo");
	if (mkfifo(link_path, 0600) == -1) {
		diag("mkfifo %s: %s", link_path, strerror(errno));
	}
	errno = 0;
	alarm(10);	/* without O_NONBLOCK, open(2) waits for a writer */
	is_int(qfile_open(link_path, O_RDONLY, &qf), -1, "open: FIFO");
	alarm(0);
	is_int(errno, EBADMSG, "open: FIFO: EBADMSG");
	is_str(str_c(&qf.error), "offset 0: not a regular file",
	    "open: FIFO: message");
	path_of(link_path, sizeof(link_path), q, "active", "empty");
	spew(link_path, "", 0);
	is_int(qfile_open(link_path, O_RDONLY, &qf), -1, "open: empty file");
	is_str(str_c(&qf.error), "offset 0: file ends inside the first line",
	    "open: empty file: message");
	errno = 0;
	is_int(qfile_open(path, O_WRONLY, &qf), -1, "open: O_WRONLY refused");
	is_int(errno, EINVAL, "open: O_WRONLY: EINVAL");
	qfile_close(&qf);
	free(content);
	str_free(&f);
	str_free(&env);
}

static void
test_status(void)
{
	struct qfile	qf = QFILE_INIT, again = QFILE_INIT;
	struct str	before = STR_INIT, after = STR_INIT;
	const char	*q = fresh_queue();
	char		id[QID_SIZE], path[800];
	const char	*content = "Subject: x\n\nxxP y\n";
	off_t		o1, fake;
	int		ro;

	write_msg(q, "s", content, strlen(content), 4096, id);
	path_of(path, sizeof(path), q, "incoming", id);
	is_int(qfile_open(path, O_RDWR, &qf), 0, "status: open O_RDWR");
	slurp(path, &before);
	o1 = qf.rcpts[1].status_offset;
	is_int(qfile_set_status(qf.fd, o1, QFILE_DONE), 0,
	    "status: P -> D");
	slurp(path, &after);
	before.s[o1] = 'D';
	is_mem(after.s, after.len, before.s, before.len,
	    "status: only that byte changed");
	is_int(qfile_open(path, O_RDWR, &again), 0, "status: reopen");
	is_int(again.rcpts[1].status, 'D', "status: reads back D");
	is_int(again.rcpts[0].status, 'P', "status: other rcpt still P");
	is_int(qfile_set_status(qf.fd, o1, QFILE_WARNED), 0, "status: D -> W");
	qfile_close(&again);
	is_int(qfile_open(path, O_RDWR, &again), 0, "status: reopen W");
	is_int(again.rcpts[1].status, 'W', "status: reads back W");
	ok(QFILE_STATUS_PENDING(again.rcpts[1].status), "status: W is pending");
	is_int(qfile_set_status(qf.fd, o1, QFILE_FAILED), 0, "status: W -> F");
	is_int(qfile_set_status(qf.fd, o1, QFILE_PENDING), 0, "status: F -> P");
	is_int(qfile_set_status(qf.fd, o1, QFILE_PENDING), 0,
	    "status: P -> P (idempotent)");
	/* qfile_put_status: the same byte, the same checks, no fsync. */
	is_int(qfile_put_status(qf.fd, o1, QFILE_DONE), 0,
	    "put_status: P -> D");
	qfile_close(&again);
	is_int(qfile_open(path, O_RDWR, &again), 0, "put_status: reopen");
	is_int(again.rcpts[1].status, 'D', "put_status: reads back D");
	is_int(again.rcpts[0].status, 'P', "put_status: other rcpt still P");
	errno = 0;
	is_int(qfile_put_status(qf.fd, o1 + 1, QFILE_DONE), -1,
	    "put_status: offset one past");
	is_int(errno, EBADMSG, "put_status: offset one past: EBADMSG");
	errno = 0;
	is_int(qfile_put_status(qf.fd, o1, 'X'), -1, "put_status: bad value");
	is_int(errno, EINVAL, "put_status: bad value: EINVAL");
	is_int(qfile_set_status(qf.fd, o1, QFILE_PENDING), 0,
	    "status: D -> P again");

	slurp(path, &before);
	errno = 0;
	is_int(qfile_set_status(qf.fd, o1, 'X'), -1, "status: bad value");
	is_int(errno, EINVAL, "status: bad value: EINVAL");
	is_int(qfile_set_status(qf.fd, o1, 0), -1, "status: NUL refused");
	is_int(qfile_set_status(qf.fd, 17, QFILE_DONE), -1,
	    "status: offset before any record");
	errno = 0;
	is_int(qfile_set_status(qf.fd, o1 + 1, QFILE_DONE), -1,
	    "status: offset one past");
	is_int(errno, EBADMSG, "status: offset one past: EBADMSG");
	is_int(qfile_set_status(qf.fd, o1 - 1, QFILE_DONE), -1,
	    "status: offset one before");
	is_int(qfile_set_status(qf.fd, qf.content_offset, QFILE_DONE), -1,
	    "status: content offset");
	is_int(qfile_set_status(qf.fd, qf.file_size - 1, QFILE_DONE), -1,
	    "status: last byte");
	is_int(qfile_set_status(qf.fd, qf.file_size + 10, QFILE_DONE), -1,
	    "status: beyond the end");
	/* A status letter followed by a space, but not after "\nR ". */
	fake = qf.content_offset + (off_t)strlen("Subject: x\n\nxx");
	errno = 0;
	is_int(qfile_set_status(qf.fd, fake, QFILE_DONE), -1,
	    "status: 'P ' in the content refused");
	is_int(errno, EBADMSG, "status: 'P ' in the content: EBADMSG");
	slurp(path, &after);
	is_mem(after.s, after.len, before.s, before.len,
	    "status: refusals changed nothing");
	ro = open(path, O_RDONLY | O_CLOEXEC);
	errno = 0;
	is_int(qfile_set_status(ro, o1, QFILE_DONE), -1,
	    "status: read-only descriptor");
	is_int(errno, EBADF, "status: read-only descriptor: EBADF");
	close(ro);
	qfile_close(&qf);
	qfile_close(&again);
	str_free(&before);
	str_free(&after);
}

static void
test_move_corrupt(void)
{
	struct str	log = STR_INIT, f = STR_INIT;
	const char	*q = fresh_queue();
	char		id[QID_SIZE], path[800], logpath[700];

	write_msg(q, "s", "x\n", 2, 2, id);
	is_int(qfile_move(q, id, QFILE_INCOMING, QFILE_ACTIVE), 0,
	    "move incoming -> active");
	is_int(entries(q, "incoming"), 0, "move: gone from incoming");
	is_int(entries(q, "active"), 1, "move: in active");
	is_int(qfile_move(q, id, QFILE_ACTIVE, QFILE_DEFERRED), 0,
	    "move active -> deferred");
	is_int(qfile_move_nosync(q, id, QFILE_DEFERRED, QFILE_ACTIVE), 0,
	    "move_nosync deferred -> active");
	is_int(entries(q, "active"), 1, "move_nosync: in active");
	is_int(qfile_move_nosync(q, "..", QFILE_ACTIVE, QFILE_HOLD), -1,
	    "move_nosync bad ID: refused");
	is_int(qfile_move(q, id, QFILE_ACTIVE, QFILE_DEFERRED), 0,
	    "move active -> deferred again");
	errno = 0;
	is_int(qfile_move(q, id, QFILE_ACTIVE, QFILE_DEFERRED), -1,
	    "move missing: fails");
	is_int(errno, ENOENT, "move missing: ENOENT");
	errno = 0;
	is_int(qfile_move(q, "../../etc/passwd", QFILE_DEFERRED, QFILE_HOLD),
	    -1, "move bad ID: fails");
	is_int(errno, EINVAL, "move bad ID: EINVAL");
	is_int(qfile_move(q, id, QFILE_DEFERRED, "tmp"), -1,
	    "move into tmp: refused");
	is_int(qfile_move(q, id, "..", QFILE_HOLD), -1,
	    "move from ..: refused");
	is_int(qfile_move(q, id, QFILE_DEFERRED, "active/"), -1,
	    "move into active/: refused");
	is_int(entries(q, "deferred"), 1, "move refusals: file stays");

	snprintf(logpath, sizeof(logpath), "%s/log", q);
	log_open("qfile-test", logpath);
	path_of(path, sizeof(path), q, "incoming", "junk name");
	spew(path, "garbage", 7);
	is_int(qfile_corrupt(q, QFILE_INCOMING, "junk name",
	    "offset 0: not a postlet queue file"), 0, "corrupt: moved");
	path_of(path, sizeof(path), q, "corrupt", "junk name");
	slurp(path, &f);
	is_mem(f.s, f.len, "garbage", 7, "corrupt: kept intact");
	path_of(path, sizeof(path), q, "incoming", "junk name");
	spew(path, "second", 6);
	is_int(qfile_corrupt(q, QFILE_INCOMING, "junk name", "bad \x01 byte"),
	    0, "corrupt again, same name: moved");
	path_of(path, sizeof(path), q, "corrupt", "junk name.1");
	slurp(path, &f);
	is_mem(f.s, f.len, "second", 6, "corrupt again: stored as name.1");
	path_of(path, sizeof(path), q, "corrupt", "junk name");
	slurp(path, &f);
	is_mem(f.s, f.len, "garbage", 7, "corrupt again: first one kept");
	is_int(entries(q, "incoming"), 0, "corrupt: incoming empty");
	errno = 0;
	is_int(qfile_corrupt(q, QFILE_INCOMING, "gone", "x"), -1,
	    "corrupt missing: fails");
	is_int(errno, ENOENT, "corrupt missing: ENOENT");
	is_int(qfile_corrupt(q, QFILE_CORRUPT, "junk name", "x"), -1,
	    "corrupt from corrupt/: refused");
	is_int(qfile_corrupt(q, QFILE_INCOMING, "../log", "x"), -1,
	    "corrupt ../log: refused");
	log_open("qfile-test", NULL);
	slurp(logpath, &log);
	ok(strstr(str_c(&log), "warning: junk name: queue file incoming/junk "
	    "name is corrupt, moved to corrupt/junk name: offset 0: not a "
	    "postlet queue file\n") != NULL, "corrupt: one warning with the "
	    "name and the reason");
	ok(strstr(str_c(&log), "moved to corrupt/junk name.1: bad ? byte\n") !=
	    NULL, "corrupt: control bytes in the reason are escaped");
	ok(strstr(str_c(&log), "gone: queue file incoming/gone is corrupt (x), "
	    "cannot move it to corrupt/: No such file or directory") != NULL,
	    "corrupt missing: logged");
	str_free(&log);
	str_free(&f);
}

/* Maildrop files: written next to their name, and -t files without R. */
static void
test_maildrop(void)
{
	struct qfile_writer	w = QFILE_WRITER_INIT;
	struct qfile		qf = QFILE_INIT;
	struct timespec		at = { 1700000000, 0 };
	struct stat		st;
	const char		*q = fresh_queue();
	char			id[QID_SIZE], path[800];
	const char		*f_extract = "postlet-queue 1\nT 1.000000\n"
	    "S u\nA flags=x,extract\n"
	    "E 00000000000000000000 00000000000000000000\nEND\n";
	const char		*f_plain = "postlet-queue 1\nT 1.000000\n"
	    "S u\nA flags=extractx\n"
	    "E 00000000000000000000 00000000000000000000\nEND\n";

	ok(qfile_flags_have("extract", "extract"), "flags: one word");
	ok(qfile_flags_have("a,extract", "extract"), "flags: second word");
	ok(!qfile_flags_have("extracts,b", "extract"), "flags: whole words");
	ok(!qfile_flags_have("", "extract"), "flags: empty");

	is_int(qfile_parse_envelope_flags(f_extract, strlen(f_extract),
	    (off_t)strlen(f_extract), QFILE_READ_MAILDROP, &qf), 1,
	    "maildrop: no R with flags=extract (%s)", str_c(&qf.error));
	is_int((long long)qf.nrcpt, 0, "maildrop: zero recipients");
	is_str(qfile_attr(&qf, "flags"), "x,extract", "maildrop: flags");
	is_int(qfile_parse_envelope(f_extract, strlen(f_extract),
	    (off_t)strlen(f_extract), &qf), -1,
	    "maildrop: no R refused without QFILE_READ_MAILDROP");
	is_str(str_c(&qf.error), "offset 49: E record before any R record",
	    "maildrop: the usual message");
	is_int(qfile_parse_envelope_flags(f_plain, strlen(f_plain),
	    (off_t)strlen(f_plain), QFILE_READ_MAILDROP, &qf), -1,
	    "maildrop: no R refused without the word extract");
	qfile_close(&qf);

	/* The writer: the file is made in maildrop/, never in tmp/. */
	is_int(qfile_begin_maildrop(&w, q, &at, "user"), 0,
	    "maildrop writer: begins");
	is_int(entries(q, "maildrop"), 1, "maildrop writer: tmp file there");
	is_int(entries(q, "tmp"), 0, "maildrop writer: nothing in tmp/");
	is_int(qfile_end_envelope(&w), -1,
	    "maildrop writer: no recipient without extract");
	qfile_abort(&w);
	is_int(entries(q, "maildrop"), 0, "maildrop writer: abort removes");
	is_int(qfile_begin_maildrop(&w, q, &at, "user"), 0,
	    "maildrop writer: begins again");
	is_int(qfile_add_attr(&w, "flags", "extract"), 0,
	    "maildrop writer: flags");
	is_int(qfile_end_envelope(&w), 0,
	    "maildrop writer: no recipient with extract");
	is_int(qfile_content(&w, "To: a\n\nhi\n", 10), 0,
	    "maildrop writer: content");
	is_int(qfile_commit(&w, QFILE_MAILDROP, id), 0,
	    "maildrop writer: commits");
	qfile_abort(&w);
	is_int(entries(q, "maildrop"), 1, "maildrop writer: one name left");
	path_of(path, sizeof(path), q, "maildrop", id);
	is_int(stat(path, &st), 0, "maildrop writer: named by its ID");
	is_int(st.st_mode & 07777, 0444, "maildrop writer: mode 0444");
	is_int(qfile_open_flags(path, O_RDONLY, QFILE_READ_MAILDROP, &qf), 0,
	    "maildrop: reads back (%s)", str_c(&qf.error));
	is_int((long long)qf.content_len, 10, "maildrop: content length");
	qfile_close(&qf);
	is_int(qfile_open(path, O_RDONLY, &qf), -1,
	    "maildrop: not a queue file for other readers");
	qfile_close(&qf);

	/* A normal writer still needs a recipient, flags or not. */
	is_int(qfile_begin(&w, q, &at, "user"), 0, "writer: begins");
	is_int(qfile_add_attr(&w, "flags", "extract"), 0, "writer: flags");
	is_int(qfile_end_envelope(&w), -1, "writer: extract is no excuse");
	qfile_abort(&w);
}

int
main(void)
{
	snprintf(base, sizeof(base), "%s", tap_tmpdir());
	umask(077);
	test_qid();
	test_codecs();
	test_parse_good();
	test_parse_bad();
	test_parse_truncated();
	test_parse_limits();
	test_parse_mutations();
	test_write_roundtrip();
	test_writer_init();
	test_write_header_len();
	test_write_sizes();
	test_write_refusals();
	test_write_limits();
	test_write_collision();
	test_write_errors();
	test_open();
	test_status();
	test_move_corrupt();
	test_maildrop();
	return done_testing();
}
