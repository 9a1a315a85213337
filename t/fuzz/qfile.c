/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/qfile.c: queue files and maildrop files (lib/qfile_read.c),
 * hostile on disk.  The first byte picks the reader flags, where the
 * buffer is cut for a partial parse, and whether the bytes also go
 * through qfile_open on a file (its incremental reads and the trailer
 * check).  A parsed envelope must be consistent with the file.
 */
#include <fcntl.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_tmp.h"
#include "log.h"
#include "qfile.h"

static void	check(const struct qfile *, const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	(void)log_open("fuzz", "/dev/null");
	fuzz_tmp_init("qfile");
	return 0;
}

/* The invariants of a parsed envelope over the whole file data. */
static void
check(const struct qfile *qf, const uint8_t *data, size_t size)
{
	size_t	i;
	off_t	so;

	if (qf->sender == NULL || qf->content_offset < 0 ||
	    qf->content_len < 0 || qf->header_len > qf->content_len ||
	    qf->content_offset + qf->content_len + 4 != qf->file_size ||
	    qf->file_size != (off_t)size) {
		abort();
	}
	for (i = 0; i < qf->nrcpt; i++) {
		so = qf->rcpts[i].status_offset;
		if (!QFILE_STATUS_VALID(qf->rcpts[i].status) || so < 3 ||
		    so >= qf->content_offset ||
		    data[so] != (uint8_t)qf->rcpts[i].status ||
		    qf->rcpts[i].address[0] == '\0') {
			abort();
		}
	}
	for (i = 0; i < qf->nattr; i++) {
		if (qfile_attr(qf, qf->attrs[i].name) == NULL) {
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qfile	 qf = QFILE_INIT;
	const char	*buf;
	size_t		 cut;
	unsigned	 notify;
	int		 flags, r;

	if (size < 1) {
		return 0;
	}
	flags = (data[0] & 1) ? QFILE_READ_MAILDROP : 0;
	cut = (size_t)(data[0] >> 2) * 4;
	data++;
	size--;
	buf = (const char *)data;
	if (qfile_parse_envelope_flags(buf, size, (off_t)size, flags,
	    &qf) == 1) {
		check(&qf, data, size);
	} else if (qf.error.len == 0) {
		abort();
	}
	qfile_close(&qf);
	if (cut < size) {
		r = qfile_parse_envelope_flags(buf, cut, (off_t)size, flags,
		    &qf);
		if (r == -1 && qf.error.len == 0) {
			abort();
		}
		qfile_close(&qf);
	}
	if (data[-1] & 2) {
		fuzz_tmp_write(data, size);
		if (qfile_open_flags(fuzz_tmp_file, O_RDONLY, flags, &qf) ==
		    0) {
			check(&qf, data, size);
		}
		qfile_close(&qf);
	}
	(void)qfile_notify_parse(buf, size < 64 ? size : 64, &notify);
	(void)qfile_xtext_valid(buf, size < 64 ? size : 64);
	return 0;
}
