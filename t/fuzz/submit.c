/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/submit.c: the to-cleanup protocol (lib/submit.c) as cleanup
 * reads it from sendmail, pickup and bounce: F, S, A, R, D (a length
 * line, then that many bytes), E.  The first byte picks the read size
 * of the buffer, so records are split across reads.  R values are split
 * as cleanup does; the input is also read once as a reply line.
 */
#include "fuzz.h"
#include "submit.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf		 b;
	struct fuzz_mem		 m;
	unsigned char		 mem[8192];
	struct submit_reader	 rd = SUBMIT_READER_INIT;
	struct submit_record	 rec = SUBMIT_RECORD_INIT;
	struct str		 why = STR_INIT, notify = STR_INIT,
				 orcpt = STR_INIT, address = STR_INIT;
	enum dsn_status		 status;
	int			 i, r;

	if (size < 1) {
		return 0;
	}
	fuzz_buf(&b, mem, sizeof(mem), &m, data + 1, size - 1, data[0]);
	for (i = 0; i < 100000; i++) {
		if ((r = submit_get(&b, &rd, &rec, &why)) != 1) {
			if (r == -1 && why.len == 0) {
				abort();
			}
			break;
		}
		if (rec.value.s == NULL && rec.tag != 'E') {
			abort();
		}
		if (rec.tag == 'R') {
			(void)submit_split_rcpt(rec.value.s, &notify, &orcpt,
			    &address);
		}
	}
	fuzz_buf(&b, mem, sizeof(mem), &m, data + 1, size - 1, data[0]);
	(void)submit_get_reply(&b, &status, &why);
	submit_record_free(&rec);
	str_free(&why);
	str_free(&notify);
	str_free(&orcpt);
	str_free(&address);
	return 0;
}
