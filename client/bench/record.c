/*
 * record.c - the clock of a run, the open loop's schedule, and what one
 * call counts for: the helpers that the blocking callers (load.c) and the
 * async load (chains.c) both use, so that neither calls into the other.
 *
 * A call counts if it was sent (or, in the open loop, was due to be sent)
 * inside the measuring window and finished before the window closed. In
 * the open loop (--rate R) slot k is due at b->schedule_ns + k/R, and its
 * latency is taken from that due time (load.c says why).
 *
 * Threads: no state of its own. bench_record writes the caller's own
 * histogram and counters (a caller has one call in flight at a time) and
 * the run's atomics.
 */
#include <time.h>

#include "bench.h"
#include "hist.h"
#include "record.h"

int64_t
bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
bench_sleep_until_ns(int64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000), (long)(t % 1000000000) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

int64_t
bench_slot_due_ns(const bench *b, uint64_t k)
{
	return b->schedule_ns + (int64_t)((double)k * 1e9 / b->opt.rate);
}

void
bench_record(bench_caller *c, bench_method m, int out, int64_t from_ns, int64_t to_ns)
{
	bench *b = c->b;

	if (from_ns < b->start_ns || !atomic_load(&b->measuring))
		return;
	c->outcomes[out]++;
	c->by_method[m]++;
	atomic_fetch_add(&b->done, 1);
	if (out != CRUDDUR_OK)
		atomic_fetch_add(&b->failed, 1);
	else
		hist_record(&c->lat, (uint64_t)(to_ns - from_ns) / 1000);
}
