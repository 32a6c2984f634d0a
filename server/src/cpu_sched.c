/*
 * cpu_sched.c - the Linux scheduling policy of the server's threads; see
 * cpu_sched.h.
 */
#if !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* SCHED_BATCH */
#endif

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "cpu_sched.h"

int
cpu_sched_apply(bool batch, char *err, size_t errlen)
{
	struct sched_param param = { .sched_priority = 0 };
	int                want = batch ? SCHED_BATCH : SCHED_OTHER;

	/* Set already (systemd's CPUSchedulingPolicy=, chrt): a sandbox that
	 * forbids the call below may allow this one. */
	int now = sched_getscheduler(0);
	if (now >= 0 && (now & ~SCHED_RESET_ON_FORK) == want)
		return 0;
	/* pid 0: the calling thread, whose policy new threads inherit. */
	if (sched_setscheduler(0, want, &param) != 0) {
		snprintf(err, errlen, "sched_setscheduler(%s): %s", batch ? "SCHED_BATCH" : "SCHED_OTHER",
		    strerror(errno));
		return -1;
	}
	return 0;
}
