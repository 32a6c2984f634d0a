/*
 * overload_test.c - more requests than workers and queue: the excess is
 * refused at once with RESOURCE_EXHAUSTED, and memory stays flat.
 *
 * cruddurd runs with --workers 1 --queue 2 --contexts 64. The one worker is
 * blocked: its HomeFeed waits on an ACCESS EXCLUSIVE lock on activities
 * held by another session. (Run again with HomeFeed on the read reactor:
 * there its query waits, the burst's identical requests join the next
 * query up to --queue of them, and the excess is told "its read queue is
 * full".) Then:
 *   - 20 concurrent calls arrive: exactly 2 fit in the queue (they complete
 *     OK once the lock goes), the other 18 get RESOURCE_EXHAUSTED "the
 *     server is overloaded: its work queue is full" within 1 s, though
 *     their deadline is 10 s;
 *   - 8 threads then send 6000 more calls, all refused; the server's VmRSS
 *     is sampled after each 1000: it must not grow with the number of
 *     refused calls (bound: 8 MB over the last 5000; printed);
 *   - after the lock is released, every call works again.
 */
#include <string.h>

#include "faults.h"

#define DB "cruddur_fault_overload"
#define BURST 20
#define QUEUE 2
#define FLOOD_THREADS 8
#define FLOOD_ROUNDS 6
#define FLOOD_PER_ROUND 1000
#define RSS_GROWTH_LIMIT_KB 8192

typedef struct caller {
	cruddur_client   *c;
	uint32_t          deadline_ms;
	cruddur_status    st;
	double            took;
	atomic_bool       done;
	cruddur_call_opts o;
	pthread_t         tid;
} caller;

static void *
call_main(void *p)
{
	caller *k = p;
	double  t0 = ts_now();

	k->st = fs_home_feed(k->c, k->deadline_ms, false, &k->o);
	k->took = ts_now() - t0;
	atomic_store(&k->done, true);
	return NULL;
}

static cruddur_status
refused_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	(void)thread, (void)seq, (void)arg;
	return fs_home_feed(c, o->deadline_ms, false, o);
}

/* Sends n refused calls from FLOOD_THREADS threads; adds to *sum. */
static void
flood(cruddur_client *c, long n, fs_tally *sum)
{
	fs_tally t;
	fs_load *load = fs_load_start(c, FLOOD_THREADS, refused_call, NULL, 10000, 0,
	    n / FLOOD_THREADS);
	CHECK(load != NULL);
	if (load == NULL)
		return;
	/* Each thread stops after its share. */
	CHECK(fs_load_wait(load, 120));
	fs_load_stop(load, &t);
	fs_tally_add(sum, &t);
}

/* The whole scenario, HomeFeed on the workers (reactor "off": the blocked
 * call holds the one worker, the burst fills the work queue) or on the
 * read reactor ("on": the blocked call's query runs, the burst joins the
 * next query of the same page until the read queue is full). */
static int
run(const char *reactor, const char *full)
{
	ts_server         s;
	cruddur_call_opts o;
	char              url[512];
	caller            blocked = { 0 }, burst[BURST];

	const char *args[] = { "--workers", "1", "--queue", "2", "--contexts", "64", "--pool-min", "1",
		"--pool-max", "2", "--read-reactor", reactor, NULL };
	printf("read reactor %s\n", reactor);
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, args, fs_server_env()) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	CHECK_STATUS(fs_setup(c, &o), CRUDDUR_OK, &o);
	CHECK_STATUS(fs_home_feed(c, 5000, false, &o), CRUDDUR_OK, &o);
	long rss_idle = fs_rss_kb(s.pid);

	PGconn *locker = fs_pg_connect(ts_pg_url(DB, url, sizeof(url)));
	PGconn *watcher = fs_pg_connect(ts_pg_url(DB, url, sizeof(url)));
	if (locker == NULL || watcher == NULL) {
		fs_server_cleanup(&s); /* kills it: no server outlives the test */
		return 1;
	}
	CHECK(fs_lock_activities(locker) == 0);
	blocked = (caller){ .c = c, .deadline_ms = 120000 };
	pthread_create(&blocked.tid, NULL, call_main, &blocked);
	CHECK(fs_wait_lock_waiters(watcher, 1, 10)); /* the worker is stuck */

	/* The burst: QUEUE of them wait in the queue, the rest are refused. */
	for (int i = 0; i < BURST; i++) {
		burst[i] = (caller){ .c = c, .deadline_ms = 10000 };
		pthread_create(&burst[i].tid, NULL, call_main, &burst[i]);
	}
	/* The refused ones return by themselves; the queued ones only after
	 * the lock goes, so wait for BURST - QUEUE replies (bounded). */
	double until = ts_now() + 8;
	int    refused = 0;
	double worst = 0;
	char   sample[sizeof(o.message)] = "";
	while (ts_now() < until) {
		refused = 0;
		for (int i = 0; i < BURST; i++)
			refused += atomic_load(&burst[i].done);
		if (refused >= BURST - QUEUE)
			break;
		fs_sleep_ms(10);
	}
	CHECK(refused == BURST - QUEUE);
	fs_sleep_ms(300); /* no more than that come back while the worker is stuck */
	refused = 0;
	for (int i = 0; i < BURST; i++) {
		if (!atomic_load(&burst[i].done))
			continue;
		refused++;
		CHECK_STATUS(burst[i].st, CRUDDUR_RESOURCE_EXHAUSTED, &burst[i].o);
		CHECK(strstr(burst[i].o.message, full) != NULL);
		worst = burst[i].took > worst ? burst[i].took : worst;
		snprintf(sample, sizeof(sample), "%s", burst[i].o.message);
	}
	CHECK(refused == BURST - QUEUE);
	CHECK(worst < 1.0);
	printf("burst of %d calls at 1 worker (blocked) + queue %d: %d refused, the slowest after %.0f ms "
	       "(deadline 10000 ms): %s\n", BURST, QUEUE, refused, worst * 1000, sample);

	/* The flood: thousands of refused calls, memory sampled as they go. */
	fs_tally sum = { 0 };
	long     rss[FLOOD_ROUNDS];
	double   t0 = ts_now();
	for (int r = 0; r < FLOOD_ROUNDS; r++) {
		flood(c, FLOOD_PER_ROUND, &sum);
		rss[r] = fs_rss_kb(s.pid);
	}
	double flood_s = ts_now() - t0;
	fs_tally_print("flood while the worker is blocked", &sum);
	CHECK(sum.calls == FLOOD_ROUNDS * FLOOD_PER_ROUND);
	CHECK(sum.by_status[CRUDDUR_RESOURCE_EXHAUSTED] == sum.calls);
	CHECK(sum.max_latency_s < 2.0);
	printf("server VmRSS: %ld kB idle; after each %d refused calls:", rss_idle, FLOOD_PER_ROUND);
	for (int r = 0; r < FLOOD_ROUNDS; r++)
		printf(" %ld", rss[r]);
	printf(" kB; growth over the last %d calls: %ld kB (%.0f calls/s)\n",
	    (FLOOD_ROUNDS - 1) * FLOOD_PER_ROUND, rss[FLOOD_ROUNDS - 1] - rss[0],
	    sum.calls / flood_s);
	CHECK(rss[0] > 0 && rss[FLOOD_ROUNDS - 1] - rss[0] < RSS_GROWTH_LIMIT_KB);

	/* Released: the blocked call and the queued ones complete. */
	fs_unlock(locker);
	pthread_join(blocked.tid, NULL);
	CHECK_STATUS(blocked.st, CRUDDUR_OK, &blocked.o);
	int queued_ok = 0;
	for (int i = 0; i < BURST; i++) {
		pthread_join(burst[i].tid, NULL);
		queued_ok += burst[i].st == CRUDDUR_OK;
	}
	CHECK(queued_ok == QUEUE);
	printf("after release: the blocked call and %d queued calls OK\n", queued_ok);
	for (int i = 0; i < 20; i++)
		CHECK_STATUS(fs_home_feed(c, 5000, false, &o), CRUDDUR_OK, &o);

	PQfinish(locker);
	PQfinish(watcher);
	cruddur_client_close(c);
	fs_server_finish(&s);
	return 0;
}

int
main(void)
{
	alarm(280);
	ts_require_pg();
	if (run("off", "work queue is full") != 0 || run("on", "read queue is full") != 0)
		return 1;
	return ts_finish("overload_test");
}
