/* SPDX-License-Identifier: ISC */
/*
 * qfile.c: queue IDs, the small codecs of the queue file format (NOTIFY
 * lists, xtext checks), the in-place status update and moves between
 * queue directories (see qfile.h; reading in qfile_read.c, writing in
 * qfile_write.c).
 *
 * The status update is the only write to a committed queue file.  It
 * checks the bytes around the offset before it writes, so a wrong offset
 * (a caller bug, or a file replaced under us) fails instead of changing
 * message content.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "log.h"
#include "qfile.h"
#include "str.h"

/* How many name.N variants qfile_corrupt tries in corrupt/. */
#define QFILE_CORRUPT_TRIES	100

static const char	qid_digits[] = "0123456789ABCDEF";

static const struct {
	const char	*word;
	unsigned	 bit;
} notify_words[] = {
	{ "SUCCESS",	QFILE_NOTIFY_SUCCESS },
	{ "FAILURE",	QFILE_NOTIFY_FAILURE },
	{ "DELAY",	QFILE_NOTIFY_DELAY },
	{ "NEVER",	QFILE_NOTIFY_NEVER },
};

static int	hex_value(int);

/* The value of an uppercase hex digit, or -1. */
static int
hex_value(int c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

bool
qid_valid(const char *name)
{
	size_t	i;

	for (i = 0; name[i] != '\0'; i++) {
		if (i >= QID_LEN_MAX || hex_value((unsigned char)name[i]) < 0) {
			return false;
		}
	}
	return i >= QID_LEN_MIN;
}

int
qid_format(char id[QID_SIZE], long long sec, long usec,
    unsigned long long ino)
{
	char	rev[16];
	size_t	o, n;
	int	i;

	if (sec < 0 || usec < 0 || usec > 999999) {
		errno = EINVAL;
		return -1;
	}
	if (sec > QID_SEC_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	o = 0;
	for (i = 8; i >= 0; i--) {
		id[o++] = qid_digits[((unsigned long long)sec >> (4 * i)) &
		    0xf];
	}
	for (i = 4; i >= 0; i--) {
		id[o++] = qid_digits[((unsigned long)usec >> (4 * i)) & 0xf];
	}
	n = 0;
	do {
		rev[n++] = qid_digits[ino & 0xf];
		ino >>= 4;
	} while (ino != 0);
	while (n > 0) {
		id[o++] = rev[--n];
	}
	id[o] = '\0';
	return 0;
}

int
qid_time(const char *id, long long *sec, long *usec)
{
	long long	s = 0;
	long		u = 0;
	int		i;

	if (!qid_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < 9; i++) {
		s = s * 16 + hex_value((unsigned char)id[i]);
	}
	for (; i < 14; i++) {
		u = u * 16 + hex_value((unsigned char)id[i]);
	}
	if (u > 999999) {
		errno = EINVAL;
		return -1;
	}
	*sec = s;
	*usec = u;
	return 0;
}

bool
qfile_subdir_valid(const char *name)
{
	static const char *const	dirs[] = {
		QFILE_MAILDROP, QFILE_INCOMING, QFILE_ACTIVE, QFILE_DEFERRED,
		QFILE_HOLD, QFILE_CORRUPT,
	};
	size_t				i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (strcmp(name, dirs[i]) == 0) {
			return true;
		}
	}
	return false;
}

int
qfile_notify_parse(const char *s, size_t n, unsigned *notify)
{
	const char	*end = s + n, *comma;
	unsigned	 bits = 0;
	size_t		 i, len;

	if (n == 1 && s[0] == '-') {
		*notify = 0;
		return 0;
	}
	for (;;) {
		comma = memchr(s, ',', (size_t)(end - s));
		len = (size_t)((comma != NULL ? comma : end) - s);
		for (i = 0; i < sizeof(notify_words) / sizeof(notify_words[0]);
		    i++) {
			if (strlen(notify_words[i].word) == len &&
			    memcmp(notify_words[i].word, s, len) == 0) {
				break;
			}
		}
		if (i == sizeof(notify_words) / sizeof(notify_words[0]) ||
		    (bits & notify_words[i].bit) != 0) {
			errno = EINVAL;	/* unknown, empty or repeated */
			return -1;
		}
		bits |= notify_words[i].bit;
		if (comma == NULL) {
			break;
		}
		s = comma + 1;
	}
	/* RFC 3461 §4.1: NEVER must not be combined with the others. */
	if ((bits & QFILE_NOTIFY_NEVER) != 0 && bits != QFILE_NOTIFY_NEVER) {
		errno = EINVAL;
		return -1;
	}
	*notify = bits;
	return 0;
}

int
qfile_notify_format(unsigned notify, struct str *out)
{
	const unsigned	all = QFILE_NOTIFY_SUCCESS |
	    QFILE_NOTIFY_FAILURE | QFILE_NOTIFY_DELAY | QFILE_NOTIFY_NEVER;
	size_t		i;
	bool		first = true;

	if ((notify & ~all) != 0 || ((notify & QFILE_NOTIFY_NEVER) != 0 &&
	    notify != QFILE_NOTIFY_NEVER)) {
		errno = EINVAL;
		return -1;
	}
	if (notify == 0) {
		str_cat(out, "-");
		return 0;
	}
	for (i = 0; i < sizeof(notify_words) / sizeof(notify_words[0]); i++) {
		if ((notify & notify_words[i].bit) != 0) {
			if (!first) {
				str_cat_char(out, ',');
			}
			str_cat(out, notify_words[i].word);
			first = false;
		}
	}
	return 0;
}

bool
qfile_xtext_valid(const char *s, size_t n)
{
	size_t	i;

	if (n == 0) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			if (n - i < 3 ||
			    hex_value((unsigned char)s[i + 1]) < 0 ||
			    hex_value((unsigned char)s[i + 2]) < 0) {
				return false;
			}
			i += 2;
		} else if (s[i] < '!' || s[i] > '~' || s[i] == '=') {
			return false;
		}
	}
	return true;
}

int
qfile_set_status(int fd, off_t offset, int status)
{
	if (qfile_put_status(fd, offset, status) == -1) {
		return -1;
	}
	return fsync(fd);
}

int
qfile_put_status(int fd, off_t offset, int status)
{
	char	around[5], c = (char)status;
	ssize_t	n;

	if (!QFILE_STATUS_VALID(status)) {
		errno = EINVAL;
		return -1;
	}
	/* No status byte can come before "postlet-queue 1\n" + "R ". */
	if (offset < 18) {
		errno = EINVAL;
		return -1;
	}
	/*
	 * Check "\nR " + a status byte + " " before writing: the offset came
	 * from a parse of this file, but a stale offset or a swapped file
	 * must not let one byte of someone's message change.
	 */
	do {
		n = pread(fd, around, sizeof(around), offset - 3);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		return -1;
	}
	if ((size_t)n != sizeof(around) || memcmp(around, "\nR ", 3) != 0 ||
	    around[4] != ' ' || !QFILE_STATUS_VALID(around[3])) {
		errno = EBADMSG;
		return -1;
	}
	do {
		n = pwrite(fd, &c, 1, offset);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		return -1;
	}
	if (n != 1) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static int
qfile_move_flags(const char *queue_dir, const char *id, const char *from,
    const char *to, int flags)
{
	struct str	fromdir = STR_INIT, todir = STR_INIT;
	int		rc, saved;

	if (!qid_valid(id) || !qfile_subdir_valid(from) ||
	    !qfile_subdir_valid(to)) {
		errno = EINVAL;
		return -1;
	}
	str_catf(&fromdir, "%s/%s", queue_dir, from);
	str_catf(&todir, "%s/%s", queue_dir, to);
	/*
	 * Replace is safe: the ID names an inode that exists, so no other
	 * live queue file on this filesystem can have the same ID.
	 */
	rc = durable_move(fromdir.s, todir.s, id, DURABLE_REPLACE | flags);
	saved = errno;
	str_free(&fromdir);
	str_free(&todir);
	errno = saved;
	return rc;
}

int
qfile_move(const char *queue_dir, const char *id, const char *from,
    const char *to)
{
	return qfile_move_flags(queue_dir, id, from, to, 0);
}

int
qfile_move_nosync(const char *queue_dir, const char *id, const char *from,
    const char *to)
{
	return qfile_move_flags(queue_dir, id, from, to, DURABLE_NOSYNC);
}

int
qfile_corrupt(const char *queue_dir, const char *subdir, const char *name,
    const char *reason)
{
	struct str	fromdir = STR_INIT, todir = STR_INIT, to = STR_INIT;
	int		rc = -1, saved, i;

	/* durable_move_as refuses names with '/', "." and "..". */
	if (!qfile_subdir_valid(subdir) || strcmp(subdir, QFILE_CORRUPT) == 0) {
		errno = EINVAL;
		log_warnx("%s: cannot move %s/%s to %s/: bad directory", name,
		    subdir, name, QFILE_CORRUPT);
		return -1;
	}
	str_catf(&fromdir, "%s/%s", queue_dir, subdir);
	str_catf(&todir, "%s/%s", queue_dir, QFILE_CORRUPT);
	str_set(&to, name);
	for (i = 0; i < QFILE_CORRUPT_TRIES; i++) {
		if (i > 0) {
			str_clear(&to);
			str_catf(&to, "%s.%d", name, i);
		}
		/* No replace: one bad file must never bury another. */
		if (durable_move_as(fromdir.s, name, todir.s, to.s,
		    DURABLE_NOREPLACE) == 0) {
			rc = 0;
			break;
		}
		if (errno != EEXIST) {
			break;
		}
	}
	saved = errno;
	if (rc == 0) {
		log_warnx("%s: queue file %s/%s is corrupt, moved to %s/%s: %s",
		    name, subdir, name, QFILE_CORRUPT, to.s, reason);
	} else {
		log_warn("%s: queue file %s/%s is corrupt (%s), cannot move "
		    "it to %s/", name, subdir, name, reason, QFILE_CORRUPT);
	}
	str_free(&fromdir);
	str_free(&todir);
	str_free(&to);
	errno = saved;
	return rc;
}
