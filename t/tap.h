/* SPDX-License-Identifier: ISC */
/*
 * tap.h: the Test Anything Protocol for postlet's C unit tests.
 *
 * Each check prints "ok N - name" or "not ok N - name" (with a diagnostic
 * saying what was expected) on standard output; done_testing() prints the
 * plan and returns the exit status: 0 only when every check passed.  prove
 * reads the output.  Tests may use stdio; postlet itself does not.
 */
#ifndef TAP_H
#define TAP_H

#include <stddef.h>

void	plan(int);
int	ok(int, const char *, ...) __attribute__((format(printf, 2, 3)));
int	is_int(long long, long long, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	is_str(const char *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	is_mem(const void *, size_t, const void *, size_t, const char *, ...)
	    __attribute__((format(printf, 5, 6)));
void	diag(const char *, ...) __attribute__((format(printf, 1, 2)));
void	skip(int, const char *, ...) __attribute__((format(printf, 2, 3)));
int	done_testing(void);

/*
 * A fresh empty directory under $TMPDIR (or /tmp), removed when the
 * process that made it exits (forked children leave it alone).
 */
const char *tap_tmpdir(void);

/* Sleep ms milliseconds, also through signals. */
void	tap_sleep_ms(long ms);
/* Entries in dir other than "." and "..", or -1 when it cannot be read. */
int	tap_count_entries(const char *dir);

/*
 * Trap fatal()/panic(): TAP_FATAL(expr) runs expr and yields 1 when it
 * ended in fatal/panic (the message is in tap_fatal_text), 0 otherwise.
 */
#include <setjmp.h>
extern jmp_buf	tap_fatal_jmp;
extern char	tap_fatal_text[512];
extern int	tap_fatal_status;
void	tap_fatal_trap(void);
void	tap_fatal_untrap(void);
#define TAP_FATAL(expr) \
	(tap_fatal_trap(), setjmp(tap_fatal_jmp) == 0 ? \
	    ((void)(expr), tap_fatal_untrap(), 0) : (tap_fatal_untrap(), 1))

#endif
