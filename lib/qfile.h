/* SPDX-License-Identifier: ISC */
/*
 * qfile.h: queue files and queue IDs (format: docs/queue.5).
 *
 * A queue file holds one message: a line "postlet-queue 1", envelope
 * records (T arrival, S sender, A attributes, R recipients, E end of
 * envelope), the content exactly as received, and the trailer "END".
 * Each recipient's status is one byte at a known offset, which qmgr
 * changes in place (qfile_set_status) instead of rewriting the file.
 *
 * Queue files are hostile input: the reader checks every record, every
 * number and every length against the file size, and rejects anything
 * that is not exactly what the writer produces with "offset N: what is
 * wrong"; it never guesses.  A rejected file is moved to corrupt/ by
 * qfile_corrupt, never deleted.
 *
 * The writer streams: envelope calls, then the content in chunks, then
 * qfile_commit, which makes the file durable (lib/durable) under its
 * queue ID.  Nothing is visible in a queue directory before that.
 *
 * Functions return 0 (or 1, for the parser) or -1 with errno; errno
 * EBADMSG always means "the queue file is corrupt".  Calling the writer
 * in the wrong order is a caller bug (panic); out of memory is fatal.
 */
#ifndef POSTLET_QFILE_H
#define POSTLET_QFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "durable.h"
#include "str.h"

/*
 * Queue IDs: the time the message entered the queue as 9 hex digits of
 * seconds and 5 of microseconds, then the file's inode number in hex,
 * all uppercase, e.g. "06747A1B3F0A2C1B7D3".  The fixed-width time first
 * makes byte order arrival order; the inode makes the ID unique among
 * the files of the queue's filesystem.
 */
#define QID_LEN_MIN	15	/* 9 + 5 + at least one inode digit */
#define QID_LEN_MAX	30	/* 9 + 5 + 16 */
/* a buffer for an ID and NUL */
#define QID_SIZE	(QID_LEN_MAX + 1)
/* The largest time an ID can hold: 9 hex digits of seconds (year 4147). */
#define QID_SEC_MAX	0xfffffffffLL

/*
 * True when name has the shape of a queue ID: QID_LEN_MIN to QID_LEN_MAX
 * characters, each 0-9 or A-F.  Readers of queue directories skip (and
 * report) any other name.
 */
bool	qid_valid(const char *name);

/*
 * Write the ID for time sec.usec and inode ino into id (NUL-terminated).
 * Returns 0, or -1 with errno EINVAL (sec < 0 or usec not 0..999999) or
 * EOVERFLOW (sec > QID_SEC_MAX).
 */
int	qid_format(char id[QID_SIZE], long long sec, long usec,
	    unsigned long long ino);

/*
 * The time an ID was made (its first 14 digits).  Returns 0, or -1 with
 * errno EINVAL when !qid_valid(id) or its microseconds exceed 999999.
 */
int	qid_time(const char *id, long long *sec, long *usec);

/* The subdirectories of queue_directory that hold queue files. */
#define QFILE_MAILDROP	"maildrop"
#define QFILE_INCOMING	"incoming"
#define QFILE_ACTIVE	"active"
#define QFILE_DEFERRED	"deferred"
#define QFILE_HOLD	"hold"
#define QFILE_CORRUPT	"corrupt"
#define QFILE_TMP	"tmp"

/*
 * True when name is one of the queue file subdirectories above (tmp
 * excluded): what qfile_commit, qfile_move and qfile_corrupt accept.
 */
bool	qfile_subdir_valid(const char *name);

/* Recipient status bytes. */
#define QFILE_PENDING	'P'	/* not yet delivered */
#define QFILE_DONE	'D'	/* delivered (final) */
#define QFILE_FAILED	'F'	/* failed: bounce due or sent (final) */
#define QFILE_WARNED	'W'	/* not yet delivered; delay notice sent */

/* True for a status byte that is one of the four above. */
#define QFILE_STATUS_VALID(c)	((c) == QFILE_PENDING || (c) == QFILE_DONE || \
	    (c) == QFILE_FAILED || (c) == QFILE_WARNED)
/* True for a recipient still to be delivered (P or W). */
#define QFILE_STATUS_PENDING(c)	((c) == QFILE_PENDING || (c) == QFILE_WARNED)

/* DSN NOTIFY (RFC 3461 §4.1) as bits; 0 means not given ("-"). */
#define QFILE_NOTIFY_SUCCESS	0x1
#define QFILE_NOTIFY_FAILURE	0x2
#define QFILE_NOTIFY_DELAY	0x4
#define QFILE_NOTIFY_NEVER	0x8

/*
 * Parse a NOTIFY list of n bytes: "-" (0), or a comma-separated list of
 * SUCCESS, FAILURE, DELAY (uppercase, each at most once, any order), or
 * NEVER alone.  Returns 0 with *notify set, or -1 with errno EINVAL.
 */
int	qfile_notify_parse(const char *s, size_t n, unsigned *notify);

/*
 * Append the canonical form of notify to out: "-" for 0, else the words
 * in the order SUCCESS,FAILURE,DELAY, or NEVER.  Returns 0, or -1 with
 * errno EINVAL for unknown bits or NEVER combined with another.
 */
int	qfile_notify_format(unsigned notify, struct str *out);

/*
 * True when the n bytes are valid RFC 3461 §4 xtext: characters '!' to
 * '~' except '+' and '=', and "+XX" with two uppercase hex digits.  Not
 * empty.
 */
bool	qfile_xtext_valid(const char *s, size_t n);

/* ---- reading ---- */

struct qfile_attr {
	/* [a-z0-9_]+; points into the qfile */
	const char	*name;
	/* may be ""; points into the qfile */
	const char	*value;
};

struct qfile_rcpt {
	/* never ""; points into the qfile */
	const char	*address;
	/* xtext as stored; NULL for "-" */
	const char	*orcpt;
	/* QFILE_NOTIFY_* bits */
	unsigned	 notify;
	/* QFILE_PENDING, _WARNED, _DONE or _FAILED */
	char		 status;
	/* file offset of the status byte */
	off_t		 status_offset;
};

/*
 * A parsed queue file.  Strings are NUL-terminated (the format forbids
 * NUL, CR and LF in values) and live in mem until qfile_close.
 */
struct qfile {
	/* from qfile_open; -1 otherwise */
	int		 fd;
	/* T record */
	long long	 arrival_sec;
	long		 arrival_usec;
	/* "" is the null sender */
	const char	*sender;
	/* in file order */
	struct qfile_attr *attrs;
	size_t		 nattr;
	/* in file order; at least one, except in a maildrop file read
	 * with QFILE_READ_MAILDROP that has "A flags=extract" */
	struct qfile_rcpt *rcpts;
	size_t		 nrcpt;
	off_t		 file_size;
	/* first content byte (= envelope) */
	off_t		 content_offset;
	/* content bytes, without the trailer */
	off_t		 content_len;
	/* header section within the content */
	off_t		 header_len;
	/* private: the envelope's strings */
	struct str	 mem;
	/* "offset N: ..." after a failure */
	struct str	 error;
};
#define QFILE_INIT	{ -1, 0, 0, NULL, NULL, 0, NULL, 0, 0, 0, 0, 0, \
			    STR_INIT, STR_INIT }

/*
 * Parse the envelope of a queue file of file_size bytes from its first
 * len bytes in buf (len <= file_size).  A pure function over the buffer:
 * qf (QFILE_INIT, or closed) gets copies of what it needs, buf is only
 * read.
 *
 * Returns 1 when the envelope is complete and consistent: its records,
 * their order and limits, and file_size == envelope + content length + 4.
 * When buf holds the whole file (len == file_size) the trailer "END\n" is
 * checked too; otherwise that is the caller's job (qfile_open does it).
 * Returns 0 when buf ends before the E record but the file goes on: call
 * again with more of the file (at most QFILE_ENVELOPE_MAX bytes count).
 * Returns -1 with errno EBADMSG and qf->error set to "offset N: reason"
 * when the file is corrupt, or EINVAL when len > file_size.  The result
 * is released by qfile_close.
 */
int	qfile_parse_envelope(const char *buf, size_t len, off_t file_size,
	    struct qfile *qf);

/*
 * Reader flags.  QFILE_READ_MAILDROP: the file is a maildrop file written
 * by postdrop (see qfile_begin_maildrop), which may have no R record at
 * all when it has an attribute "flags" whose comma-separated words
 * include "extract" (sendmail -t: cleanup takes the recipients from the
 * header).  Everything else is checked exactly as without the flag.
 */
#define QFILE_READ_MAILDROP	0x1

/* qfile_parse_envelope with reader flags (QFILE_READ_*). */
int	qfile_parse_envelope_flags(const char *buf, size_t len,
	    off_t file_size, int flags, struct qfile *qf);

/*
 * Open the queue file at path (oflags: O_RDONLY, or O_RDWR for
 * qfile_set_status; O_CLOEXEC and O_NOFOLLOW are added, and O_NONBLOCK
 * so that a FIFO cannot block the open: regular files ignore it) and
 * parse its envelope, reading no more than the envelope plus the 4-byte
 * trailer.
 * The content is then content_len bytes at content_offset in qf->fd.
 * Returns 0, or -1 with errno and qf->error set ("open: ...", or
 * "offset N: ..." with EBADMSG for a corrupt file; a file that is not a
 * regular file is EBADMSG too).  qf must be QFILE_INIT or closed; call
 * qfile_close in both cases.
 */
int	qfile_open(const char *path, int oflags, struct qfile *qf);

/* qfile_open with reader flags (QFILE_READ_*). */
int	qfile_open_flags(const char *path, int oflags, int flags,
	    struct qfile *qf);

/*
 * True when the value of a "flags" attribute (or an F record of the
 * submission protocol) holds the word word: words are separated by
 * commas.  NULL flags have no word.
 */
bool	qfile_flags_have(const char *flags, const char *word);

/* The value of attribute name, or NULL.  Borrowed from qf. */
const char *qfile_attr(const struct qfile *qf, const char *name);

/* Close the descriptor and free everything; qf is QFILE_INIT after. */
void	qfile_close(struct qfile *qf);

/*
 * Set the status byte at offset (a qfile_rcpt's status_offset) in the
 * queue file open on fd (O_RDWR) to status (QFILE_PENDING, _WARNED,
 * _DONE or _FAILED): one pwrite(2) of one byte, then fsync(2).  It first reads the
 * bytes around offset and refuses (EBADMSG) unless they are "\nR " + a
 * status byte + " ", so a wrong offset does not write into the content.
 * Returns 0, or -1 with errno (EINVAL: bad status, or an offset before
 * any possible status byte).
 */
int	qfile_set_status(int fd, off_t offset, int status);
/*
 * The same without the fsync(2): the caller makes the byte durable later
 * (an fsync of fd), or removes the file and makes that durable instead.
 */
int	qfile_put_status(int fd, off_t offset, int status);

/*
 * Move queue file id from queue_dir/from to queue_dir/to (durable_move:
 * rename, then fsync of both directories).  from and to must satisfy
 * qfile_subdir_valid, id qid_valid (else EINVAL).  Returns 0 or -1 with
 * errno.
 */
int	qfile_move(const char *queue_dir, const char *id, const char *from,
	    const char *to);

/*
 * The same without the fsyncs, for a batch of moves: the caller then
 * fsyncs queue_dir/to and queue_dir/from (durable_fsync_dir, in that
 * order) once, before it acts on any of the files moved.
 */
int	qfile_move_nosync(const char *queue_dir, const char *id,
	    const char *from, const char *to);

/*
 * Move the bad file queue_dir/subdir/name into queue_dir/corrupt/ and log
 * one warning naming it and reason.  name may be any plain file name (a
 * bad file need not have an ID's shape); an existing corrupt/name is never
 * replaced: the file is then stored as name.1, name.2, ... .  Returns 0,
 * or -1 with errno (logged as well).
 */
int	qfile_corrupt(const char *queue_dir, const char *subdir,
	    const char *name, const char *reason);

/* ---- writing ---- */

/*
 * Output buffer of a writer.  XXX buf_init_fd gives half of its memory
 * to input, which a writer never uses: 8 KiB wasted until buf can be
 * set up for output only.
 */
#define QFILE_WRITE_BUF	8192

struct qfile_writer {
	struct durable	 file;
	struct buf	 out;
	unsigned char	 mem[2 * QFILE_WRITE_BUF];	/* buf memory */
	struct str	 queue_dir;
	/* version line, T and S records */
	struct str	 head;
	struct str	 attrs;		/* A records */
	struct str	 rcpts;		/* R records */
	size_t		 nattr, nrcpt;
	long long	 sec;		/* arrival */
	long		 usec;
	off_t		 content_offset;
	unsigned long long content_len, header_len;
	bool		 header_done, line_start;
	int		 state;		/* private */
	/* sticky errno of a failed write */
	int		 error;
	/* begun with qfile_begin_maildrop */
	bool		 maildrop;
	/* an attribute flags=...extract... was added */
	bool		 extract;
};
#define QFILE_WRITER_INIT	{ .file = DURABLE_INIT, .state = 0 }

/* Make *w what QFILE_WRITER_INIT makes, but for mem, which is left as it
 * is: the buffer only reads back what it wrote there, and clearing its
 * 16 KB was most of what a new message cost cleanup before its first
 * byte. */
void	qfile_writer_init(struct qfile_writer *w);

/*
 * Start a queue file under queue_dir/tmp/ (created mode 0600).  arrival
 * NULL means now; the T record and the first choice of queue ID use it.
 * sender (may be "", the null sender) must hold no CR or LF.  w must be
 * QFILE_WRITER_INIT or aborted.  Returns 0, or -1 with errno (EINVAL:
 * bad sender or time; EMSGSIZE: record too long; durable_create's errors);
 * on -1 call qfile_abort.
 */
int	qfile_begin(struct qfile_writer *w, const char *queue_dir,
	    const struct timespec *arrival, const char *sender);

/*
 * The same for a maildrop file (postdrop, which runs setgid and may not
 * write tmp/): the file is created in queue_dir/maildrop itself, mode
 * 0444 (pickup, running as another user, must read it), under a name
 * that starts with "postdrop.tmp." and so is never taken for a queue ID,
 * and it is linked under its queue ID in the same directory by
 * qfile_commit(w, QFILE_MAILDROP, id).  Such a file may have no
 * recipient when an attribute "flags" holding the word "extract" was
 * added (see QFILE_READ_MAILDROP).  A file left by a crash keeps its
 * postdrop.tmp. name; pickup removes such names once they are old.
 */
int	qfile_begin_maildrop(struct qfile_writer *w, const char *queue_dir,
	    const struct timespec *arrival, const char *sender);

/* The file name prefix of qfile_begin_maildrop's temporary files. */
#define QFILE_MAILDROP_TMP	"postdrop.tmp."

/*
 * Add attribute name=value.  name is [a-z0-9_]+, value holds no CR or
 * LF.  Returns 0, or -1 with errno EINVAL (bad name or value), EEXIST
 * (name given before), EMSGSIZE (record over QFILE_RECORD_MAX) or E2BIG
 * (over QFILE_ATTR_MAX attributes or QFILE_ENVELOPE_MAX bytes).  A
 * refused attribute changes nothing: the writer may go on.
 */
int	qfile_add_attr(struct qfile_writer *w, const char *name,
	    const char *value);

/*
 * Add a recipient (status pending).  address is not "" and holds no CR or
 * LF; notify is QFILE_NOTIFY_* bits (0: none); orcpt is the xtext ORCPT
 * value as received, or NULL.  Errors as qfile_add_attr (E2BIG also over
 * QFILE_RCPT_MAX recipients); a refused recipient changes nothing.
 */
int	qfile_add_rcpt(struct qfile_writer *w, const char *address,
	    unsigned notify, const char *orcpt);

/*
 * Write the envelope (at least one recipient is needed: EINVAL, except
 * for a maildrop file with flags=extract) and a
 * placeholder E record.  Returns 0, or -1 with errno (sticky: the writer
 * is then dead and the caller must qfile_abort).
 */
int	qfile_end_envelope(struct qfile_writer *w);

/*
 * Append n bytes of content (any bytes: the content is opaque here).
 * Buffered; errors may show only at qfile_commit.  Returns 0, or -1 with
 * errno (sticky).
 */
int	qfile_content(struct qfile_writer *w, const void *p, size_t n);

/*
 * Finish the file (trailer, then the E record's lengths written in
 * place), make it durable and give it its name: the queue ID, written to
 * id.  The file is linked into queue_dir/subdir (qfile_subdir_valid,
 * normally QFILE_INCOMING); an existing name is never replaced: on EEXIST
 * the ID is retried with a fresh time.  Returns 0 once the file is
 * durable (acknowledge only then; w is then free and ready for another
 * qfile_begin), or -1 with errno (then call qfile_abort; nothing is left
 * in subdir).
 */
int	qfile_commit(struct qfile_writer *w, const char *subdir,
	    char id[QID_SIZE]);

/*
 * The queue ID the file being written will get (after qfile_begin, before
 * qfile_commit), for text that must name it before the commit, such as
 * cleanup's Received header: the arrival time and the inode of the tmp
 * file, which qfile_commit uses too.  The ID can differ only when the
 * commit meets an existing file of that name (EEXIST), which needs another
 * file with the same inode: impossible while the queue is on one file
 * system.  Returns 0, or -1 with errno (fstat(2)'s error, or EOVERFLOW).
 * Calling it outside a file is a caller bug (panic).
 */
int	qfile_id(const struct qfile_writer *w, char id[QID_SIZE]);

/*
 * Forget the file being written (removing it from tmp/) and free w;
 * keeps errno.  Harmless after qfile_commit and twice.
 */
void	qfile_abort(struct qfile_writer *w);

#endif
