/* SPDX-License-Identifier: ISC */
/*
 * clock.h: the monotonic clock in milliseconds, for deadlines.  It never
 * jumps with the wall clock, so a deadline is never cut short or stretched
 * by a time change.
 */
#ifndef POSTLET_CLOCK_H
#define POSTLET_CLOCK_H

long long	clock_ms(void);
/* A deadline timeout_ms from now; -1 (no deadline) when timeout_ms < 0. */
long long	clock_deadline(int timeout_ms);
/* Milliseconds left until deadline (0 when past; -1 for no deadline). */
int		clock_left(long long deadline);

#endif
