/* SPDX-License-Identifier: ISC */
/* clock.c: monotonic milliseconds (see clock.h). */
#include <limits.h>
#include <time.h>

#include "clock.h"
#include "log.h"

long long
clock_ms(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		panic("clock_gettime(CLOCK_MONOTONIC) failed");
	}
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
clock_deadline(int timeout_ms)
{
	if (timeout_ms < 0) {
		return -1;
	}
	return clock_ms() + timeout_ms;
}

int
clock_left(long long deadline)
{
	long long	left;

	if (deadline < 0) {
		return -1;
	}
	left = deadline - clock_ms();
	if (left <= 0) {
		return 0;
	}
	return left > INT_MAX ? INT_MAX : (int)left;
}
