/*
 * chains.c - the async load: calls through the generated *_async stubs,
 * kept going by their own callbacks instead of by threads that wait.
 *
 * Closed loop: C chains. A chain is a caller (bench_caller) with one call
 * in flight; the call's callback, on one of nng's threads, checks the
 * reply, records it, and starts the chain's next call. No thread of ours
 * waits on a call: the main thread only keeps the clock (load.c). A
 * chain's callbacks never run at the same time as each other, since each
 * one starts the next call only after it has recorded the last, so a
 * chain's histogram and counters need no lock.
 *
 * Open loop (--rate R): one scheduler thread walks the schedule (load.c),
 * sleeps until slot k is due, takes an idle caller and sends the slot's
 * call with it, asynchronously; the callback records the latency from the
 * due time and gives the caller back. With C callers, at most C calls are
 * in flight: when none is idle the slot waits (and is late when sent), and
 * b->next_slot stays at the first slot not sent, for load.c to record the
 * unsent ones when the window closes.
 *
 * Stopping: load.c sets b->stop. A chain then ends instead of starting its
 * next call, the scheduler leaves its loop, and bench_async_wait returns
 * once b->live, the count of chains, calls in flight and the scheduler
 * itself, is zero.
 *
 * Locking: the open loop's idle callers are a stack under b->idle_mtx; a
 * callback holds it only to push one caller and signal.
 */
#include <stdio.h>
#include <time.h>

#include "bench.h"
#include "calls.h"
#include "chains.h"
#include "record.h"

/* Whether the open loop's scheduler thread was started (to join it). */
static bool scheduler_started;

/* --- closed loop ---------------------------------------------------------- */

static void chain_next(bench_caller *c);

static void
chain_done(void *arg, cruddur_status st, ProtobufCMessage *resp, const cruddur_call_opts *result)
{
	bench_caller *c = arg;

	(void)result;
	/* Recorded before the next call starts: its callback may run at once,
	 * on another thread. */
	bench_record(c, c->method, bench_check(c, st, resp), c->from_ns, bench_now_ns());
	chain_next(c);
}

/* Starts the chain's next call, or ends the chain when the run is over. A
 * call that could not even start (the client closing, no memory) is
 * recorded and ends the chain: trying again at once would spin, on the
 * main thread when it is the first call, with nobody left to stop it. */
static void
chain_next(bench_caller *c)
{
	bench *b = c->b;

	if (!atomic_load(&b->stop)) {
		bench_method m = bench_pick(c);
		c->from_ns = bench_now_ns();
		int out = bench_call_async(c, m, chain_done);
		if (out == CRUDDUR_OK)
			return;
		bench_record(c, m, out, c->from_ns, bench_now_ns());
	}
	atomic_fetch_sub(&b->live, 1);
}

/* --- open loop ------------------------------------------------------------ */

static void
idle_push(bench *b, bench_caller *c)
{
	pthread_mutex_lock(&b->idle_mtx);
	c->next_free = b->idle;
	b->idle = c;
	pthread_cond_signal(&b->idle_cv);
	pthread_mutex_unlock(&b->idle_mtx);
}

/* An idle caller; NULL once the run is stopping. Wakes now and then to
 * notice the stop, which nobody signals. */
static bench_caller *
idle_pop(bench *b)
{
	bench_caller *c = NULL;

	pthread_mutex_lock(&b->idle_mtx);
	while (b->idle == NULL && !atomic_load(&b->stop)) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 10000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&b->idle_cv, &b->idle_mtx, &until);
	}
	if (!atomic_load(&b->stop) && (c = b->idle) != NULL)
		b->idle = c->next_free;
	pthread_mutex_unlock(&b->idle_mtx);
	return c;
}

static void
slot_done(void *arg, cruddur_status st, ProtobufCMessage *resp, const cruddur_call_opts *result)
{
	bench_caller *c = arg;
	bench        *b = c->b;

	(void)result;
	bench_record(c, c->method, bench_check(c, st, resp), c->from_ns, bench_now_ns());
	idle_push(b, c);
	atomic_fetch_sub(&b->live, 1);
}

/* Sleeps until t, but no longer than the run lasts. */
static void
sleep_until_or_stop(bench *b, int64_t t)
{
	while (!atomic_load(&b->stop) && bench_now_ns() < t) {
		int64_t tick = bench_now_ns() + 100000000;
		bench_sleep_until_ns(t < tick ? t : tick);
	}
}

static void *
scheduler_main(void *arg)
{
	bench *b = arg;

	for (;;) {
		uint64_t k = atomic_load(&b->next_slot);
		int64_t  due = bench_slot_due_ns(b, k);
		sleep_until_or_stop(b, due);
		bench_caller *c = idle_pop(b);
		if (c == NULL)
			break; /* stopping: slot k and later were never sent */
		bench_method m = bench_pick(c);
		c->from_ns = due;
		atomic_fetch_add(&b->live, 1);
		int out = bench_call_async(c, m, slot_done);
		if (out != CRUDDUR_OK) {
			bench_record(c, m, out, due, bench_now_ns());
			idle_push(b, c);
			atomic_fetch_sub(&b->live, 1);
		}
		atomic_store(&b->next_slot, k + 1);
	}
	atomic_fetch_sub(&b->live, 1);
	return NULL;
}

/* --- both ----------------------------------------------------------------- */

int
bench_async_start(bench *b)
{
	int n = b->opt.concurrency;

	if (b->opt.rate <= 0) {
		atomic_store(&b->live, n);
		for (int i = 0; i < n; i++)
			chain_next(&b->callers[i]);
		return 0;
	}
	pthread_mutex_init(&b->idle_mtx, NULL);
	pthread_cond_init(&b->idle_cv, NULL);
	for (int i = n - 1; i >= 0; i--)
		idle_push(b, &b->callers[i]);
	atomic_store(&b->live, 1);
	if (pthread_create(&b->scheduler, NULL, scheduler_main, b) != 0) {
		fprintf(stderr, "cruddur-bench: cannot start the scheduler\n");
		atomic_store(&b->live, 0);
		return -1;
	}
	scheduler_started = true;
	return 0;
}

void
bench_async_wait(bench *b)
{
	struct timespec nap = { 0, 1000000 };

	/* Calls in flight end by their deadline at the latest. */
	while (atomic_load(&b->live) > 0)
		nanosleep(&nap, NULL);
	if (scheduler_started) {
		pthread_join(b->scheduler, NULL);
		scheduler_started = false;
	}
}
