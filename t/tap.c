/* SPDX-License-Identifier: ISC */
/*
 * tap.c: a small TAP producer for the unit tests (see tap.h).  Output is
 * flushed after every line so that a crash still shows how far it got.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

static int	tap_count;
static int	tap_failed;
static int	tap_planned = -1;
static char	tap_dir[256];
/* only this process removes tap_dir */
static pid_t	tap_dir_owner;

jmp_buf	tap_fatal_jmp;
char	tap_fatal_text[512];
int	tap_fatal_status;

static void
tap_line(int pass, const char *fmt, va_list ap)
{
	tap_count++;
	if (!pass) {
		tap_failed++;
	}
	printf("%sok %d - ", pass ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

void
plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

int
ok(int pass, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	tap_line(pass, fmt, ap);
	va_end(ap);
	return pass;
}

int
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list	ap;
	int	pass = got == want;

	va_start(ap, fmt);
	tap_line(pass, fmt, ap);
	va_end(ap);
	if (!pass) {
		diag("  got: %lld", got);
		diag("want: %lld", want);
	}
	return pass;
}

static void
diag_mem(const char *label, const void *p, size_t n)
{
	const unsigned char	*s = p;
	size_t			 i;

	printf("# %s: ", label);
	if (p == NULL) {
		printf("NULL\n");
		return;
	}
	printf("\"");
	for (i = 0; i < n && i < 400; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' &&
		    s[i] != '\\') {
			putchar(s[i]);
		} else {
			printf("\\x%02x", s[i]);
		}
	}
	printf("\"%s\n", i < n ? "..." : "");
}

int
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list	ap;
	int	pass;

	if (got == NULL || want == NULL) {
		pass = got == want;
	} else {
		pass = strcmp(got, want) == 0;
	}
	va_start(ap, fmt);
	tap_line(pass, fmt, ap);
	va_end(ap);
	if (!pass) {
		diag_mem("  got", got, got ? strlen(got) : 0);
		diag_mem(" want", want, want ? strlen(want) : 0);
	}
	return pass;
}

int
is_mem(const void *got, size_t gotlen, const void *want, size_t wantlen,
    const char *fmt, ...)
{
	va_list	ap;
	int	pass;

	pass = gotlen == wantlen && (gotlen == 0 ||
	    (got != NULL && want != NULL && memcmp(got, want, gotlen) == 0));
	va_start(ap, fmt);
	tap_line(pass, fmt, ap);
	va_end(ap);
	if (!pass) {
		diag_mem("  got", got, gotlen);
		diag_mem(" want", want, wantlen);
	}
	return pass;
}

void
diag(const char *fmt, ...)
{
	va_list	ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void
skip(int n, const char *fmt, ...)
{
	va_list	ap;
	char	why[256];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	while (n-- > 0) {
		tap_count++;
		printf("ok %d # skip %s\n", tap_count, why);
	}
	fflush(stdout);
}

static void
tap_rmdir(void)
{
	char	cmd[300];

	if (tap_dir[0] != '\0' && getpid() == tap_dir_owner &&
	    getenv("TAP_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tap_dir);
		if (system(cmd) != 0) {
			fprintf(stderr, "tap: cannot remove %s\n", tap_dir);
		}
	}
}

const char *
tap_tmpdir(void)
{
	const char	*base;

	if (tap_dir[0] != '\0') {
		return tap_dir;
	}
	if ((base = getenv("TMPDIR")) == NULL || *base == '\0') {
		base = "/tmp";
	}
	snprintf(tap_dir, sizeof(tap_dir), "%s/postlet-t.XXXXXX", base);
	if (mkdtemp(tap_dir) == NULL) {
		fprintf(stderr, "tap: mkdtemp %s: %s\n", tap_dir,
		    strerror(errno));
		exit(1);
	}
	tap_dir_owner = getpid();
	atexit(tap_rmdir);
	return tap_dir;
}

void
tap_sleep_ms(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
		continue;
	}
}

int
tap_count_entries(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL) {
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			n++;
		}
	}
	closedir(d);
	return n;
}

static void
tap_fatal_hook(int status, const char *text)
{
	tap_fatal_status = status;
	snprintf(tap_fatal_text, sizeof(tap_fatal_text), "%s", text);
	longjmp(tap_fatal_jmp, 1);
}

void
tap_fatal_trap(void)
{
	tap_fatal_text[0] = '\0';
	tap_fatal_status = -1;
	log_set_fatal_hook(tap_fatal_hook);
}

void
tap_fatal_untrap(void)
{
	log_set_fatal_hook(NULL);
}

int
done_testing(void)
{
	if (tap_planned < 0) {
		printf("1..%d\n", tap_count);
	} else if (tap_planned != tap_count) {
		printf("# planned %d tests but ran %d\n", tap_planned,
		    tap_count);
		return 1;
	}
	if (tap_failed > 0) {
		printf("# failed %d of %d\n", tap_failed, tap_count);
	}
	fflush(stdout);
	return tap_failed > 0 ? 1 : 0;
}
