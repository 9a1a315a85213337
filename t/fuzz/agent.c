/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/agent.c: the qmgr-to-agent protocol (lib/agent.c): jobs as a
 * delivery agent reads them (J, N, R..., G), and results as qmgr reads
 * them ("index status code text" lines, then ".").  The first byte
 * picks the read size of the buffer; the same bytes are read as a
 * stream of jobs, as a stream of results, and line by line through
 * agent_parse_result.
 */
#include <string.h>

#include "agent.h"
#include "bounds.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf		 b;
	struct fuzz_mem		 m;
	unsigned char		 mem[8192];
	struct agent_job	 job = AGENT_JOB_INIT;
	struct agent_result	 res = AGENT_RESULT_INIT;
	struct str		 why = STR_INIT;
	const char		*p, *end, *nl;
	size_t			 n;
	int			 i, r;

	if (size < 1) {
		return 0;
	}
	fuzz_buf(&b, mem, sizeof(mem), &m, data + 1, size - 1, data[0]);
	for (i = 0; i < 10000; i++) {
		if ((r = agent_get_job(&b, &job, &why)) != 1) {
			break;
		}
		if (job.nrcpt == 0 || job.queue_id.s == NULL ||
		    job.queue_file.s == NULL) {
			abort();
		}
	}
	fuzz_buf(&b, mem, sizeof(mem), &m, data + 1, size - 1, data[0]);
	for (i = 0; i < 100000; i++) {
		if ((r = agent_get_result(&b, &res, &why)) != 1 && r != 2 &&
		    r != 3) {
			break;
		}
		if (r == 1 && !dsn_code_valid(res.code, res.status)) {
			abort();
		}
	}
	p = (const char *)data + 1;
	end = (const char *)data + size;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			nl = end;
		}
		n = (size_t)(nl - p);
		if (n <= QFILE_RECORD_MAX) {
			(void)agent_parse_result(p, n, &res, &why);
		}
	}
	agent_job_free(&job);
	agent_result_free(&res);
	str_free(&why);
	return 0;
}
