/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/smtp_reply.c: what the smtp and lmtp client reads from a server
 * (cmd/smtp/smtp_session.c, compiled in here for its static functions):
 * replies, single and multi-line, through smtp_reply_read, and the lines
 * of an EHLO reply through ehlo_parse.  The first byte picks the read
 * size.  Every reply read must have a code of 200 to 599, an enhanced
 * code of its class, and a text that is printable ASCII and within
 * SMTP_REPLY_TEXT_MAX; the extensions learnt must leave the AUTH list
 * NUL-terminated inside its array.
 */
#include <string.h>

#include "fuzz.h"
#include "log.h"

#include "../../cmd/smtp/smtp_session.c"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	(void)log_open("fuzz", "/dev/null");
	return 0;
}

static void
check_reply(const struct smtp_reply *r)
{
	size_t	i;
	char	class;

	if (r->code < 200 || r->code > 599 || r->text.s == NULL ||
	    r->text.len > SMTP_REPLY_TEXT_MAX) {
		abort();
	}
	class = r->code < 400 ? '2' : (char)('0' + r->code / 100);
	if (r->dsn[0] != class || !dsn_code_valid(r->dsn, class == '2' ?
	    DSN_OK : class == '4' ? DSN_TEMP : DSN_PERM)) {
		abort();
	}
	for (i = 0; i < r->text.len; i++) {
		if ((unsigned char)r->text.s[i] < 32 ||
		    (unsigned char)r->text.s[i] > 126) {
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtp_session	 s;
	struct smtp_reply		 r = SMTP_REPLY_INIT;
	struct fuzz_mem			 m;
	char				*text, *line, *nl;
	int				 i;

	if (size < 1) {
		return 0;
	}
	memset(&s, 0, sizeof(s));
	s.fd = -1;
	fuzz_buf(&s.b, s.mem, sizeof(s.mem), &m, data + 1, size - 1,
	    data[0]);
	for (i = 0; i < 1000; i++) {
		if (smtp_reply_read(&s, 1000, &r) == -1) {
			break;
		}
		check_reply(&r);
	}
	smtp_reply_free(&r);

	/* the same bytes as the lines of an EHLO reply, code cut off */
	text = fuzz_cstr(data + 1, size - 1);
	for (line = text; line != NULL; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL) {
			*nl++ = '\0';
		}
		ehlo_parse(&s, strlen(line) > 4 ? line + 4 : "");
		if (memchr(s.auth, '\0', sizeof(s.auth)) == NULL) {
			abort();
		}
	}
	free(text);
	return 0;
}
