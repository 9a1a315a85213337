/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/bounce_log.c: the per-message logs bounce/ID and defer/ID that
 * qmgr writes and bounce reads (cmd/bounce/bounce_log.c, compiled in
 * here: it reads a file, so the input goes to a file in a private
 * directory first).  Every line kept must have a non-empty address and
 * code, and be found again by its address.
 */
#include <string.h>

#include "fuzz.h"
#include "fuzz_tmp.h"
#include "log.h"

#include "../../cmd/bounce/bounce_log.c"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	(void)log_open("fuzz", "/dev/null");
	fuzz_tmp_init("0123456789ABCDEF");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce_log	 log = BOUNCE_LOG_INIT;
	size_t			 i;

	fuzz_tmp_write(data, size);
	if (bounce_log_read(fuzz_tmp_dir, ".", "0123456789ABCDEF",
	    &log) == 0) {
		for (i = 0; i < log.nline; i++) {
			if (log.lines[i].address[0] == '\0' ||
			    log.lines[i].code[0] == '\0' ||
			    bounce_log_find(&log, log.lines[i].address) ==
			    NULL) {
				abort();
			}
		}
	}
	bounce_log_free(&log);
	return 0;
}
