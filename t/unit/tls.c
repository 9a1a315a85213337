/* SPDX-License-Identifier: ISC */
/*
 * tls.c: unit tests for lib/tls (BearSSL sessions).
 *
 * Keys and certificates are made at test time with openssl(1) (skipped
 * when it is missing): a CA, an RSA 2048 and an EC P-256 server
 * certificate for mail.example.org signed by it, keys in PKCS#1, SEC1 and
 * PKCS#8 form.  PEM loading is checked on good files and on bad ones
 * (missing, truncated, wrong object type, encrypted, key not matching),
 * with the error text.  Handshakes run client against server in two
 * processes over a socketpair: protocol and cipher names, trust and name
 * verdicts of both client modes, data both ways through struct buf
 * (larger than a record), close_notify as end of input, a server fed
 * plain text, and a handshake deadline.  The server child writes what it
 * saw to a file that the parent compares.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "fd.h"
#include "log.h"
#include "str.h"
#include "tap.h"
#include "tls.h"

#define SLOW_MS	20000
#define BIG	(100 * 1024)

static char	dir[256];

static const char *
path(const char *name)
{
	static char	p[8][512];
	static int	i;

	i = (i + 1) % 8;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char	cmd[4096];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Make the keys and certificates; 0 on success. */
static int
make_certs(void)
{
	const char	*d = dir;

	return sh("cd '%s' && exec >openssl.log 2>&1 && "
	    "printf 'subjectAltName=DNS:mail.example.org\\n' > san.ext && "
	    "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key "
	    "-out ca.pem -days 2 -subj '/CN=Test CA' && "
	    "openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key "
	    "-out other-ca.pem -days 2 -subj '/CN=Other CA' && "
	    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
	    "-out rsa.p8 && "
	    "openssl rsa -in rsa.p8 -traditional -out rsa.p1 && "
	    "openssl req -new -key rsa.p8 -subj '/CN=mail.example.org' "
	    "-out rsa.csr && "
	    "openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 2 -extfile san.ext -out rsa.crt && "
	    "openssl ecparam -name prime256v1 -genkey -noout -out ec.sec1 && "
	    "openssl pkcs8 -topk8 -nocrypt -in ec.sec1 -out ec.p8 && "
	    "openssl req -new -key ec.sec1 -subj '/CN=mail.example.org' "
	    "-out ec.csr && "
	    "openssl x509 -req -in ec.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 2 -extfile san.ext -out ec.crt && "
	    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
	    "-out rsa2.p8 && "
	    "openssl pkcs8 -topk8 -in rsa.p8 -passout pass:x -out rsa.enc && "
	    "cat rsa.crt ca.pem > rsa-chain.crt && "
	    "cat rsa.crt rsa.p1 > rsa-both.pem && "
	    "head -n 10 rsa.crt > truncated.crt && "
	    "sed '2s/^..../AAAA/' rsa.crt > garbled.crt && "
	    "printf 'not a certificate\\n' > text.crt && "
	    "mkdir capath && cp ca.pem capath/a.pem && "
	    "cp ca.pem capath/b.pem && cp other-ca.pem capath/c.pem && "
	    "printf 'no certificate here\\n' > capath/readme && "
	    "mkdir capath/sub", d);
}

/* Copy text to out with each "@" replaced by the directory. */
static void
expand(char *out, size_t size, const char *text)
{
	size_t	n = 0, dl = strlen(dir);

	for (; *text != '\0' && n + dl + 1 < size; text++) {
		if (*text == '@') {
			memcpy(out + n, dir, dl);
			n += dl;
		} else {
			out[n++] = *text;
		}
	}
	out[n] = '\0';
}

struct load_case {
	const char	*name;
	const char	*cert, *key;
	const char	*error;		/* NULL: loads */
};

static void
test_server_load(void)
{
	static const struct load_case cases[] = {
		{ "RSA, PKCS#8 key", "rsa.crt", "rsa.p8", NULL },
		{ "RSA, PKCS#1 key", "rsa.crt", "rsa.p1", NULL },
		{ "RSA chain", "rsa-chain.crt", "rsa.p1", NULL },
		{ "RSA, one file", "rsa-both.pem", "rsa-both.pem", NULL },
		{ "EC, SEC1 key", "ec.crt", "ec.sec1", NULL },
		{ "EC, PKCS#8 key", "ec.crt", "ec.p8", NULL },
		{ "missing cert", "nonexistent.crt", "rsa.p8",
		    "@/nonexistent.crt: No such file or directory" },
		{ "missing key", "rsa.crt", "nonexistent.key",
		    "@/nonexistent.key: No such file or directory" },
		{ "truncated cert", "truncated.crt", "rsa.p8",
		    "bad certificate file @/truncated.crt: "
		    "truncated PEM object" },
		{ "garbled cert", "garbled.crt", "rsa.p8",
		    "@/garbled.crt and @/rsa.p8: cannot decode the first "
		    "certificate (error" },
		{ "text as cert", "text.crt", "rsa.p8",
		    "bad certificate file @/text.crt: no certificate" },
		{ "key as cert", "rsa.p8", "rsa.p8",
		    "bad certificate file @/rsa.p8: no certificate" },
		{ "cert as key", "rsa.crt", "ec.crt",
		    "bad key file @/ec.crt: no private key" },
		{ "encrypted key", "rsa.crt", "rsa.enc",
		    "bad key file @/rsa.enc: encrypted private keys are "
		    "not supported" },
		{ "other RSA key", "rsa.crt", "rsa2.p8",
		    "@/rsa.crt and @/rsa2.p8: the private key does not "
		    "match the certificate" },
		{ "EC key for RSA cert", "rsa.crt", "ec.p8",
		    "@/rsa.crt and @/ec.p8: the private key does not "
		    "match the certificate" },
		{ "RSA key for EC cert", "ec.crt", "rsa.p1",
		    "@/ec.crt and @/rsa.p1: the private key does not "
		    "match the certificate" },
	};
	struct str		 err = STR_INIT;
	struct tls_server_conf	*sc;
	char			 want[1024];
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct load_case *c = &cases[i];

		str_clear(&err);
		sc = tls_server_conf_load(path(c->cert), path(c->key), &err);
		if (c->error == NULL) {
			ok(sc != NULL, "%s loads", c->name);
			if (sc == NULL) {
				diag("error: %s", str_c(&err));
			}
		} else {
			expand(want, sizeof(want), c->error);
			ok(sc == NULL, "%s refused", c->name);
			if (strstr(c->error, "(error") != NULL) {
				/* the decoder's error number may vary */
				ok(strncmp(str_c(&err), want,
				    strlen(want)) == 0,
				    "%s: %s", c->name, str_c(&err));
			} else {
				is_str(str_c(&err), want, "%s: error text",
				    c->name);
			}
		}
		tls_server_conf_free(sc);
	}
	sc = tls_server_conf_load("", "", &err);
	ok(sc == NULL, "no files configured");
	is_str(str_c(&err), "no certificate or key file configured",
	    "no files: error text");
	str_free(&err);
}

static void
test_client_load(void)
{
	struct str		 err = STR_INIT;
	struct tls_client_conf	*cc;
	char			 want[1024];

	cc = tls_client_conf_load(path("ca.pem"), NULL, &err);
	ok(cc != NULL && tls_client_conf_anchors(cc) == 1, "CAfile: 1 anchor");
	tls_client_conf_free(cc);
	cc = tls_client_conf_load(path("rsa-chain.crt"), "", &err);
	ok(cc != NULL && tls_client_conf_anchors(cc) == 2,
	    "CAfile with two certificates: 2 anchors");
	tls_client_conf_free(cc);
	cc = tls_client_conf_load(NULL, path("capath"), &err);
	ok(cc != NULL && tls_client_conf_anchors(cc) == 2,
	    "CApath: duplicates and non-certificates skipped, 2 anchors");
	tls_client_conf_free(cc);
	cc = tls_client_conf_load(path("ca.pem"), path("capath"), &err);
	ok(cc != NULL && tls_client_conf_anchors(cc) == 2,
	    "CAfile and CApath together: 2 anchors");
	tls_client_conf_free(cc);
	cc = tls_client_conf_load(NULL, NULL, &err);
	ok(cc != NULL && tls_client_conf_anchors(cc) == 0, "no anchors");
	tls_client_conf_free(cc);
	cc = tls_client_conf_load(path("truncated.crt"), NULL, &err);
	expand(want, sizeof(want), "bad CA file @/truncated.crt: "
	    "truncated PEM object");
	ok(cc == NULL, "truncated CAfile refused");
	is_str(str_c(&err), want, "truncated CAfile: error text");
	cc = tls_client_conf_load(NULL, path("nonexistent"), &err);
	snprintf(want, sizeof(want), "%s/nonexistent: No such file or "
	    "directory", dir);
	ok(cc == NULL, "missing CApath refused");
	is_str(str_c(&err), want, "missing CApath: error text");
	str_free(&err);
}

/* What the server child does after its handshake. */
enum server_act {
	SERVE_ECHO,		/* read lines, answer each, close_notify */
	SERVE_BIG,		/* read BIG bytes, send them back */
};

/*
 * Fork a server on fd with the configuration; it writes "ok DESCR" or
 * "error TEXT" to the file "server.out", then does act.
 */
static pid_t
server_start(int fd, int other, const struct tls_server_conf *sc,
    enum server_act act, int timeout_ms)
{
	pid_t	pid;

	if ((pid = fork()) == -1) {
		diag("fork: %s", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		struct tls	*t = tls_new();
		struct str	 err = STR_INIT, line = STR_INIT;
		struct buf	 b;
		static char	 mem[2 * BIG + 64];
		FILE		*f;
		int		 r;

		close(other);
		alarm(30);
		f = fopen(path("server.out"), "w");
		if (tls_server_start(t, fd, fd, sc, timeout_ms, &err) == -1) {
			fprintf(f, "error %s\n", str_c(&err));
			fclose(f);
			_exit(1);
		}
		str_set(&line, "ok ");
		tls_describe(tls_get_info(t), &line);
		fprintf(f, "%s\n", str_c(&line));
		fclose(f);
		buf_init_fd(&b, fd, mem, sizeof(mem), SLOW_MS);
		tls_attach(t, &b);
		if (act == SERVE_ECHO) {
			while ((r = buf_getline(&b, &line, 1000)) == 1) {
				buf_puts(&b, "got ");
				buf_put(&b, line.s, line.len);
				if (buf_flush(&b) == -1) {
					_exit(2);
				}
				if (strcmp(line.s, "QUIT\r\n") == 0) {
					break;
				}
			}
		} else {
			str_clear(&line);
			str_reserve(&line, BIG);
			if (buf_read_exact(&b, line.s, BIG) != 1) {
				_exit(3);
			}
			buf_put(&b, line.s, BIG);
			if (buf_flush(&b) == -1) {
				_exit(4);
			}
		}
		_exit(tls_close(t, SLOW_MS) == 0 ? 0 : 5);
	}
	return pid;
}

static int
server_wait(pid_t pid, char *out, size_t size)
{
	int	status;
	FILE	*f;

	if (waitpid(pid, &status, 0) == -1) {
		return -1;
	}
	out[0] = '\0';
	if ((f = fopen(path("server.out"), "r")) != NULL) {
		if (fgets(out, (int)size, f) == NULL) {
			out[0] = '\0';
		}
		fclose(f);
	}
	out[strcspn(out, "\n")] = '\0';
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

struct hs_case {
	const char	*name;
	const char	*cert, *key;
	const char	*cafile;	/* NULL: no anchors */
	const char	*servername;
	enum tls_verify	 verify;
	const char	*error;		/* NULL: handshake succeeds */
	const char	*cipher;
	bool		 trusted, matched;
};

static void
test_handshakes(void)
{
	static const struct hs_case cases[] = {
		{ "RSA, verified", "rsa.crt", "rsa.p8", "ca.pem",
		    "mail.example.org", TLS_VERIFY_NAME, NULL,
		    "ECDHE-RSA-AES256-GCM-SHA384", true, true },
		{ "EC, verified", "ec.crt", "ec.sec1", "ca.pem",
		    "mail.example.org", TLS_VERIFY_NAME, NULL,
		    "ECDHE-ECDSA-AES256-GCM-SHA384", true, true },
		{ "RSA chain, verified", "rsa-chain.crt", "rsa.p1", "ca.pem",
		    "MAIL.example.org", TLS_VERIFY_NAME, NULL,
		    "ECDHE-RSA-AES256-GCM-SHA384", true, true },
		{ "wrong name, verify", "rsa.crt", "rsa.p8", "ca.pem",
		    "other.example.org", TLS_VERIFY_NAME,
		    "certificate verification failed: server name mismatch",
		    NULL, false, false },
		{ "untrusted, verify", "rsa.crt", "rsa.p8", "other-ca.pem",
		    "mail.example.org", TLS_VERIFY_NAME,
		    "certificate verification failed: not trusted",
		    NULL, false, false },
		{ "wrong name, no verification", "ec.crt", "ec.p8", "ca.pem",
		    "other.example.org", TLS_VERIFY_NONE, NULL,
		    "ECDHE-ECDSA-AES256-GCM-SHA384", true, false },
		{ "untrusted, no verification", "rsa.crt", "rsa.p8", NULL,
		    "mail.example.org", TLS_VERIFY_NONE, NULL,
		    "ECDHE-RSA-AES256-GCM-SHA384", false, true },
		{ "address, no verification", "rsa.crt", "rsa.p8", "ca.pem",
		    "127.0.0.1", TLS_VERIFY_NONE, NULL,
		    "ECDHE-RSA-AES256-GCM-SHA384", true, false },
		{ "no name, no verification", "rsa.crt", "rsa.p8", "ca.pem",
		    NULL, TLS_VERIFY_NONE, NULL,
		    "ECDHE-RSA-AES256-GCM-SHA384", true, false },
	};
	struct str		 err = STR_INIT, line = STR_INIT;
	struct str		 want = STR_INIT;
	struct tls_server_conf	*sc;
	struct tls_client_conf	*cc;
	const struct tls_info	*info;
	struct tls		*t;
	struct buf		 b;
	char			 mem[4096], out[512];
	size_t			 i;
	int			 sv[2], rc;
	pid_t			 pid;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hs_case *c = &cases[i];

		sc = tls_server_conf_load(path(c->cert), path(c->key), &err);
		cc = tls_client_conf_load(c->cafile == NULL ? NULL :
		    path(c->cafile), NULL, &err);
		if (sc == NULL || cc == NULL ||
		    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
			diag("setup: %s", str_c(&err));
			exit(1);
		}
		(void)fd_set_nonblock(sv[0], true);
		pid = server_start(sv[1], sv[0], sc, SERVE_ECHO, SLOW_MS);
		close(sv[1]);
		t = tls_new();
		rc = tls_client_start(t, sv[0], cc, c->servername, c->verify,
		    SLOW_MS, &err);
		if (c->error != NULL) {
			ok(rc == -1, "%s: client refuses", c->name);
			is_str(str_c(&err), c->error, "%s: client error",
			    c->name);
			tls_free(t);
			close(sv[0]);
			rc = server_wait(pid, out, sizeof(out));
			ok(rc == 1 && strncmp(out, "error ", 6) == 0,
			    "%s: server fails too (%s)", c->name, out);
			goto next;
		}
		ok(rc == 0, "%s: handshake", c->name);
		if (rc == -1) {
			diag("error: %s", str_c(&err));
		}
		info = tls_get_info(t);
		is_str(info->protocol, "TLSv1.2", "%s: protocol", c->name);
		is_str(info->cipher, c->cipher, "%s: cipher", c->name);
		is_int(info->cipher_bits, 256, "%s: bits", c->name);
		is_int(info->trusted, c->trusted, "%s: trusted", c->name);
		is_int(info->name_matched, c->matched, "%s: name matched",
		    c->name);
		is_str(info->peer_cn, "mail.example.org", "%s: peer CN",
		    c->name);
		buf_init_fd(&b, sv[0], mem, sizeof(mem), SLOW_MS);
		tls_attach(t, &b);
		buf_puts(&b, "EHLO x\r\nQUIT\r\n");
		ok(buf_flush(&b) == 0, "%s: client writes", c->name);
		ok(buf_getline(&b, &line, 100) == 1 &&
		    str_eq(&line, "got EHLO x\r\n"), "%s: first answer",
		    c->name);
		ok(buf_getline(&b, &line, 100) == 1 &&
		    str_eq(&line, "got QUIT\r\n"), "%s: second answer",
		    c->name);
		ok(buf_getline(&b, &line, 100) == 0,
		    "%s: close_notify reads as end of input", c->name);
		rc = server_wait(pid, out, sizeof(out));
		str_set(&want, "ok ");
		tls_describe(info, &want);
		is_int(rc, 0, "%s: server exit", c->name);
		is_str(out, str_c(&want), "%s: server's description",
		    c->name);
		tls_free(t);
		close(sv[0]);
next:
		tls_server_conf_free(sc);
		tls_client_conf_free(cc);
	}
	str_free(&err);
	str_free(&line);
	str_free(&want);
}

/* BIG bytes there and back: many records, small output buffer. */
static void
test_big(void)
{
	struct str		 err = STR_INIT, data = STR_INIT;
	struct str		 back = STR_INIT;
	struct tls_server_conf	*sc;
	struct tls_client_conf	*cc;
	struct tls		*t;
	struct buf		 b;
	static char		 mem[8192];
	char			 out[512];
	size_t			 i;
	int			 sv[2];
	pid_t			 pid;

	sc = tls_server_conf_load(path("ec.crt"), path("ec.p8"), &err);
	cc = tls_client_conf_load(NULL, NULL, &err);
	if (sc == NULL || cc == NULL ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		diag("setup: %s", str_c(&err));
		exit(1);
	}
	pid = server_start(sv[1], sv[0], sc, SERVE_BIG, SLOW_MS);
	close(sv[1]);
	t = tls_new();
	ok(tls_client_start(t, sv[0], cc, "x", TLS_VERIFY_NONE, SLOW_MS,
	    &err) == 0, "big: handshake");
	buf_init_fd(&b, sv[0], mem, sizeof(mem), SLOW_MS);
	tls_attach(t, &b);
	for (i = 0; i < BIG; i++) {
		str_cat_char(&data, (int)('a' + i * 7 % 26));
	}
	buf_put(&b, data.s, data.len);
	ok(buf_flush(&b) == 0, "big: sent %d bytes", BIG);
	str_reserve(&back, BIG);
	ok(buf_read_exact(&b, back.s, BIG) == 1 &&
	    memcmp(back.s, data.s, BIG) == 0, "big: the same bytes back");
	is_int(server_wait(pid, out, sizeof(out)), 0, "big: server exit");
	tls_free(t);
	close(sv[0]);
	tls_server_conf_free(sc);
	tls_client_conf_free(cc);
	str_free(&err);
	str_free(&data);
	str_free(&back);
}

/* A server fed plain text, and a server whose client never speaks. */
static void
test_bad_clients(void)
{
	struct str		 err = STR_INIT;
	struct tls_server_conf	*sc;
	char			 out[512];
	long long		 t0;
	int			 sv[2], rc;
	pid_t			 pid;

	sc = tls_server_conf_load(path("rsa.crt"), path("rsa.p8"), &err);
	if (sc == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		diag("setup: %s", str_c(&err));
		exit(1);
	}
	pid = server_start(sv[1], sv[0], sc, SERVE_ECHO, SLOW_MS);
	close(sv[1]);
	(void)fd_write_all(sv[0], "MAIL FROM:<a@b>\r\n", 17);
	rc = server_wait(pid, out, sizeof(out));
	close(sv[0]);
	ok(rc == 1, "plain text: the handshake fails");
	ok(strncmp(out, "error ", 6) == 0 && strlen(out) > 6,
	    "plain text: a reason (%s)", out);

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		exit(1);
	}
	t0 = clock_ms();
	pid = server_start(sv[1], sv[0], sc, SERVE_ECHO, 300);
	close(sv[1]);
	rc = server_wait(pid, out, sizeof(out));
	ok(clock_ms() - t0 < 5000, "silent client: the deadline holds");
	close(sv[0]);
	is_str(out, "error timeout", "silent client: timeout");

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		exit(1);
	}
	pid = server_start(sv[1], sv[0], sc, SERVE_ECHO, SLOW_MS);
	close(sv[1]);
	close(sv[0]);
	rc = server_wait(pid, out, sizeof(out));
	is_str(out, "error lost connection", "client gone: lost connection");
	tls_server_conf_free(sc);
	str_free(&err);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (system("openssl version >/dev/null 2>&1") != 0) {
		printf("1..0 # SKIP no openssl to make certificates\n");
		return 0;
	}
	if ((size_t)snprintf(dir, sizeof(dir), "%s", tap_tmpdir()) >=
	    sizeof(dir)) {
		return 1;
	}
	if (make_certs() != 0) {
		diag("openssl failed: see %s/openssl.log", dir);
		(void)sh("cat '%s/openssl.log' >&2", dir);
		return 1;
	}
	test_server_load();
	test_client_load();
	test_handshakes();
	test_big();
	test_bad_clients();
	return done_testing();
}
