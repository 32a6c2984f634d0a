/*
 * load.c - the run (warm-up, the measuring window), and the blocking
 * callers of --sync.
 *
 * The main thread starts the load (chains.c's async calls by default, or
 * with --sync opt.concurrency caller threads), lets it run opt.warmup_s
 * unmeasured, then opens the measuring window for opt.duration_s and
 * closes it; it only keeps the clock and the progress line. What a call
 * counts for, and when an open-loop slot is due, is record.c's.
 *
 * Closed loop (default): each caller sends its next call as soon as the
 * previous one ends; latency is from send to reply.
 *
 * Open loop (--rate R): calls are due on a fixed schedule, slot k at
 * b->schedule_ns (the start of the warm-up) + k/R, and latency is taken from the slot's due time: when the
 * server stalls, the calls fall behind and every late call carries the
 * stall in its latency. At most C calls are in flight; a slot that is due
 * while all C are busy waits, and is late when it is sent. Slots that fell
 * due inside the window but were never sent (all callers busy until the
 * end) are recorded too, with the time they waited until the window
 * closed, so that a stall at the end is not hidden either.
 *
 * --sync: each of the C callers is a thread blocked in the generated
 * blocking stub; in the open loop the threads share the schedule through
 * one atomic counter, each taking the next slot, sleeping until it is due
 * (or not at all when it is late) and calling. Kept to compare with the
 * async load: a thread per call in flight costs the client a context
 * switch or more per call.
 *
 * Threads share only atomics; each caller writes its own histogram.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "calls.h"
#include "chains.h"
#include "hist.h"
#include "load.h"
#include "record.h"

static void *
caller_main(void *arg)
{
	bench_caller *c = arg;
	bench        *b = c->b;

	while (!atomic_load(&b->stop)) {
		int64_t from = bench_now_ns();
		if (b->opt.rate > 0) {
			from = bench_slot_due_ns(b, atomic_fetch_add(&b->next_slot, 1));
			bench_sleep_until_ns(from);
			if (atomic_load(&b->stop))
				break;
		}
		bench_method m = bench_pick(c);
		int          out = bench_call(c, m);
		bench_record(c, m, out, from, bench_now_ns());
	}
	return NULL;
}

/* --sync: starts the caller threads; returns how many started. */
static int
callers_start(bench *b)
{
	int started = 0;

	for (; started < b->opt.concurrency; started++) {
		bench_caller *c = &b->callers[started];
		if (pthread_create(&c->thread, NULL, caller_main, c) != 0) {
			fprintf(stderr, "cruddur-bench: cannot start caller %d\n", started);
			break;
		}
	}
	return started;
}

/* Open loop: the due slots nobody sent, recorded as waiting till the end. */
static void
record_unsent(bench *b)
{
	uint64_t k = atomic_load(&b->next_slot);
	for (;; k++) {
		int64_t due = bench_slot_due_ns(b, k);
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
		bench_sleep_until_ns(next < t ? next : t);
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
	b->schedule_ns = bench_now_ns();
	for (int i = 0; i < n; i++) {
		bench_caller *c = &b->callers[i];
		c->b = b;
		c->rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1) ^ (uint64_t)b->schedule_ns;
	}
	if (b->opt.sync) {
		started = callers_start(b);
		rv = started == n ? 0 : -1;
	} else {
		rv = bench_async_start(b);
	}
	if (rv == 0) {
		wait_showing(b, "warm-up", b->schedule_ns + (int64_t)(b->opt.warmup_s * 1e9));
		b->start_ns = bench_now_ns();
		atomic_store(&b->measuring, true);
		wait_showing(b, "measure", b->start_ns + (int64_t)(b->opt.duration_s * 1e9));
		b->end_ns = bench_now_ns();
		atomic_store(&b->measuring, false);
	}
	atomic_store(&b->stop, true);
	if (b->opt.sync) {
		for (int i = 0; i < started; i++)
			pthread_join(b->callers[i].thread, NULL);
	} else {
		bench_async_wait(b);
	}
	if (b->opt.progress)
		fprintf(stderr, "\r%70s\r", "");
	if (rv == 0 && b->opt.rate > 0)
		record_unsent(b);
	return rv;
}
