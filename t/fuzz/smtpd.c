/* SPDX-License-Identifier: ISC */
/*
 * t/fuzz/smtpd.c: smtpd's whole session fed one byte stream: the
 * command loop, every command's parser, the restriction lists (access
 * tables, relay checks, unlisted recipients), DATA and BDAT up to the
 * hand-off to cleanup, which is stubbed out here: no process is
 * started, the submission goes to /dev/null, the early answer is a
 * fixed queue ID (so that the Received field is built with it), and the
 * final answer, read from /dev/null, is missing: the message is refused
 * with a temporary error.  The
 * first byte picks the read size and whether the client is in
 * mynetworks; replies are discarded.  The configuration is written to a
 * temporary directory once, with the restrictions that need no DNS.
 */
#include "fuzz.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

/* smtpd_data.c, with cleanup stubbed out (submit.h, included there
 * first, declares the stubs under these names). */
#define submit_start_cleanup	fuzz_start_cleanup
#define submit_end_cleanup	fuzz_end_cleanup
#define submit_get_early_id	fuzz_get_early_id
#include "../../cmd/smtpd/smtpd_data.c"
#undef submit_start_cleanup
#undef submit_end_cleanup
#undef submit_get_early_id

/* "cleanup": writes go to /dev/null, reads find its end at once. */
int
fuzz_start_cleanup(const struct submit_cleanup *sc, struct proc *p,
    struct str *why)
{
	(void)sc;
	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->fd[0] = open("/dev/null", O_WRONLY | O_CLOEXEC);
	p->fd[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	p->fd[2] = -1;
	if (p->fd[0] == -1 || p->fd[1] == -1) {
		proc_close(p);
		str_set(why, "fuzzing: open /dev/null");
		return -1;
	}
	return 0;
}

int
fuzz_end_cleanup(struct proc *p)
{
	proc_close(p);
	return 0;
}

/* The early answer: always this queue ID. */
int
fuzz_get_early_id(struct buf *b, enum dsn_status *status, struct str *text)
{
	(void)b;
	*status = DSN_OK;
	str_set(text, "06747A1B3F0A2C1B7D3");
	return 1;
}

static const char	main_cf[] =
    "myhostname = host.example.org\n"
    "mydestination = example.org, $myhostname\n"
    "mynetworks = 127.0.0.0/8\n"
    "relay_domains = relay.example.net\n"
    "alias_maps =\n"
    "local_recipient_maps = inline:{root=x, postmaster=x, user=x}\n"
    "relay_recipient_maps = inline:{ok@relay.example.net=x}\n"
    "queue_directory = /tmp\n"
    "maillog_file = /dev/null\n"
    "smtpd_error_sleep_time = 0\n"
    "smtpd_helo_restrictions = reject_invalid_helo_hostname, "
    "check_helo_access inline:{evil.example=REJECT}\n"
    "smtpd_sender_restrictions = reject_non_fqdn_sender, "
    "check_sender_access inline:{bad.example=DEFER, {user@=550 no}}\n"
    "smtpd_recipient_restrictions = reject_non_fqdn_recipient, "
    "check_recipient_access inline:{{blocked@example.org=REJECT text}}\n"
    "smtpd_sender_login_maps = inline:{owned@example.org=alice}\n"
    "message_size_limit = 100000\n"
    "smtpd_recipient_limit = 20\n";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	dir[] = "/tmp/postlet-fuzz-smtpd.XXXXXX";
	char	path[sizeof(dir) + 16];
	FILE	*f;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL) {
		abort();
	}
	(void)snprintf(path, sizeof(path), "%s/main.cf", dir);
	if ((f = fopen(path, "w")) == NULL) {
		abort();
	}
	(void)fputs(main_cf, f);
	(void)fclose(f);
	conf_load(dir);
	(void)unlink(path);
	(void)rmdir(dir);
	(void)log_open("smtpd", conf_value("maillog_file"));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char	inmem[8192], outmem[8192];
	struct smtpd		s;
	struct fuzz_mem		m;

	if (size < 1) {
		return 0;
	}
	memset(&s, 0, sizeof(s));
	smtpd_settings(&s);
	s.config_dir = "/nonexistent";
	(void)snprintf(s.name, sizeof(s.name), "unknown");
	s.in_mynetworks = (data[0] & 0x80) != 0;
	(void)snprintf(s.addr, sizeof(s.addr), "%s",
	    s.in_mynetworks ? "127.0.0.1" : "192.0.2.1");
	(void)snprintf(s.peer, sizeof(s.peer), "%s[%s]", s.name, s.addr);
	s.name_status = s.reverse_status = 1;
	fuzz_buf(&s.in, inmem, sizeof(inmem), &m, data + 1, size - 1,
	    data[0] & 0x7f);
	buf_init_fd(&s.out, -1, outmem, sizeof(outmem), -1);
	buf_set_io(&s.out, fuzz_mem_read, fuzz_mem_write, &m);
	(void)smtpd_session(&s);
	smtpd_free(&s);
	return 0;
}
