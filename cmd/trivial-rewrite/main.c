/* SPDX-License-Identifier: ISC */
/*
 * main.c: trivial-rewrite, the address rewriting and resolving library
 * (lib/rewrite.h) as a command for scripts and tests.  Each operand is an
 * address in external form, as on an envelope, with or without <>; for
 * each one line goes to standard output:
 *
 *	CLASS TRANSPORT NEXTHOP RECIPIENT	(default)
 *	ADDRESS					(-r: the canonical form)
 *
 * Addresses are printed in external form (quoted where needed), the null
 * address as "<>".  A bad address or a failed table lookup gives a
 * message on standard error and no line; the other operands are still
 * done, and the exit status says the worst that happened (docs/
 * trivial-rewrite.8).  Nothing is written anywhere but standard output
 * and standard error.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "fd.h"
#include "log.h"
#include "rewrite.h"
#include "str.h"

static void	usage(void) __attribute__((noreturn));
static void	put_addr(struct buf *, const struct str *);
static int	trivial_rewrite(struct buf *, const char *, bool);

static void
usage(void)
{
	static const char text[] =
	    "usage: trivial-rewrite [-rv] [-c config_dir] address ...\n";

	(void)fd_write_all(2, text, sizeof(text) - 1);
	exit(EX_USAGE);
}

/* addr (internal form) in external form, "<>" for the null address. */
static void
put_addr(struct buf *out, const struct str *addr)
{
	struct str	ext = STR_INIT;

	if (addr->len == 0) {
		buf_puts(out, "<>");
		return;
	}
	addr_quote(addr->s, addr->len, &ext);
	buf_put(out, ext.s, ext.len);
	str_free(&ext);
}

/*
 * One operand: parse arg, print its canonical form (canon) or its
 * resolution.  Returns 0, EX_DATAERR (bad address) or EX_TEMPFAIL.
 */
static int
trivial_rewrite(struct buf *out, const char *arg, bool canon)
{
	struct rewrite_result	 r = REWRITE_RESULT_INIT;
	struct str		 addr = STR_INIT, canonical = STR_INIT;
	struct addr_error	 err;
	size_t			 len = strlen(arg), end;
	int			 status = 0;

	if (addr_parse_path(arg, len, ADDR_PATH_LAX | ADDR_PATH_NULL_OK |
	    ADDR_PATH_UTF8 | ADDR_PATH_RCPT, &addr, &end, &err) == -1) {
		log_error("%s: %s", arg, err.text);
		status = EX_DATAERR;
		goto out;
	}
	if (end != len) {
		log_error("%s: garbage after the address", arg);
		status = EX_DATAERR;
		goto out;
	}
	if (canon) {
		rewrite_canonical(str_c(&addr), &canonical);
		put_addr(out, &canonical);
		buf_puts(out, "\n");
		goto out;
	}
	if (rewrite_resolve(str_c(&addr), &r) == -1) {
		log_error("%s: %s", arg, str_c(&r.nexthop));
		status = EX_TEMPFAIL;
		goto out;
	}
	buf_printf(out, "%s %s %s ", rewrite_class_word(r.class),
	    str_c(&r.transport), str_c(&r.nexthop));
	put_addr(out, &r.recipient);
	buf_puts(out, "\n");
out:
	rewrite_result_free(&r);
	str_free(&addr);
	str_free(&canonical);
	return status;
}

int
main(int argc, char *argv[])
{
	struct buf	 out;
	unsigned char	 mem[4096];
	const char	*opt_c = NULL;
	bool		 canon = false;
	int		 ch, i, status = 0, s;

	log_open("trivial-rewrite", NULL);
	while ((ch = getopt(argc, argv, "c:rv")) != -1) {
		switch (ch) {
		case 'c':
			opt_c = optarg;
			break;
		case 'r':
			canon = true;
			break;
		case 'v':
			log_verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc) {
		usage();
	}
	conf_load(conf_dir(opt_c));
	buf_init_fd(&out, 1, mem, sizeof(mem), -1);
	for (i = optind; i < argc; i++) {
		s = trivial_rewrite(&out, argv[i], canon);
		/* A temporary failure outranks a bad address. */
		if (s == EX_TEMPFAIL || (s != 0 && status == 0)) {
			status = s;
		}
	}
	if (buf_flush(&out) == -1) {
		fatal(EX_IOERR, "write standard output");
	}
	rewrite_close();
	return status;
}
