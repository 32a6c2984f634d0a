/*
 * load.c - the callers and the clock of a run.
 *
 * The main thread starts opt.concurrency caller threads, lets them run
 * opt.warmup_s unmeasured, then opens the measuring window for
 * opt.duration_s and closes it. A call counts if it was sent (or, in the
 * open loop, was due to be sent) inside the window and finished before
 * the window closed.
 *
 * Closed loop (default): each caller sends its next call as soon as the
 * previous one returns; latency is from send to reply.
 *
 * Open loop (--rate R): calls are due on a fixed schedule, slot k at
 * base + k/R, shared by all callers through one atomic counter. A caller
 * takes the next slot, sleeps until it is due (or not at all when it is
 * late), calls, and records the latency from the slot's due time: when
 * the server stalls, the callers fall behind and every late call carries
 * the stall in its latency. Slots that fell due inside the window but
 * were never sent (all callers busy until the end) are recorded too, with
 * the time they waited until the window closed, so that a stall at the
 * end is not hidden either.
 *
 * Threads share only atomics; each caller writes its own histogram.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

int64_t
bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
sleep_until_ns(int64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000), (long)(t % 1000000000) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

/* Base of the open-loop schedule: the moment the warm-up starts. */
static int64_t schedule_base_ns;

static int64_t
slot_due_ns(const bench *b, uint64_t k)
{
	return schedule_base_ns + (int64_t)((double)k * 1e9 / b->opt.rate);
}

static void
record(bench_caller *c, bench_method m, int out, int64_t from_ns, int64_t to_ns)
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

static void *
caller_main(void *arg)
{
	bench_caller *c = arg;
	bench        *b = c->b;

	while (!atomic_load(&b->stop)) {
		int64_t from = bench_now_ns();
		if (b->opt.rate > 0) {
			from = slot_due_ns(b, atomic_fetch_add(&b->next_slot, 1));
			sleep_until_ns(from);
			if (atomic_load(&b->stop))
				break;
		}
		bench_method m = bench_pick(c);
		int          out = bench_call(c, m);
		record(c, m, out, from, bench_now_ns());
	}
	return NULL;
}

/* Open loop: the due slots nobody sent, recorded as waiting till the end. */
static void
record_unsent(bench *b)
{
	uint64_t k = atomic_load(&b->next_slot);
	for (;; k++) {
		int64_t due = slot_due_ns(b, k);
		if (due >= b->end_ns)
			break;
		if (due >= b->start_ns)
			hist_record(&b->callers[0].lat, (uint64_t)(b->end_ns - due) / 1000);
	}
}

/* Sleeps until t, redrawing a progress line on stderr once a second. */
static void
wait_showing(bench *b, const char *phase, int64_t t)
{
	while (bench_now_ns() < t) {
		int64_t next = bench_now_ns() + 1000000000;
		sleep_until_ns(next < t ? next : t);
		if (!b->opt.progress)
			continue;
		double secs = (double)(bench_now_ns() - b->start_ns) / 1e9;
		unsigned long long done = atomic_load(&b->done);
		if (strcmp(phase, "warm-up") == 0)
			fprintf(stderr, "\r%-8s ...                                        ", phase);
		else
			fprintf(stderr, "\r%-8s %5.1f s  %10llu calls  %9.0f/s  %llu failed   ", phase, secs,
			    done, secs > 0 ? (double)done / secs : 0.0,
			    (unsigned long long)atomic_load(&b->failed));
		fflush(stderr);
	}
}

int
bench_load_run(bench *b)
{
	int n = b->opt.concurrency, started = 0, rv = 0;

	b->start_ns = INT64_MAX; /* nothing counts during the warm-up */
	schedule_base_ns = bench_now_ns();
	for (; started < n; started++) {
		bench_caller *c = &b->callers[started];
		c->b = b;
		c->rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(started + 1) ^ (uint64_t)schedule_base_ns;
		if (pthread_create(&c->thread, NULL, caller_main, c) != 0) {
			fprintf(stderr, "cruddur-bench: cannot start caller %d\n", started);
			rv = -1;
			break;
		}
	}
	if (rv == 0) {
		wait_showing(b, "warm-up", schedule_base_ns + (int64_t)(b->opt.warmup_s * 1e9));
		b->start_ns = bench_now_ns();
		atomic_store(&b->measuring, true);
		wait_showing(b, "measure", b->start_ns + (int64_t)(b->opt.duration_s * 1e9));
		b->end_ns = bench_now_ns();
		atomic_store(&b->measuring, false);
	}
	atomic_store(&b->stop, true);
	for (int i = 0; i < started; i++)
		pthread_join(b->callers[i].thread, NULL);
	if (b->opt.progress)
		fprintf(stderr, "\r%70s\r", "");
	if (rv == 0 && b->opt.rate > 0)
		record_unsent(b);
	return rv;
}
