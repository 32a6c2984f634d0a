/*
 * db_frozen_test.c - the database host stops answering: every process of
 * PostgreSQL frozen (SIGSTOP), so that connects still succeed and nothing
 * replies, while client threads call HomeFeed (the read reactor), GetUser
 * and CreateActivity (the workers) with 2 s deadlines and Health with 3 s.
 *
 * Proves: every call is answered by its deadline plus a little (the target
 * is 100 ms; the bound checked is LATE_LIMIT_S, for a loaded machine and
 * ASan), printed as the worst lateness; Health says NOT_SERVING within 2 s
 * of the freeze; callers soon get UNAVAILABLE at once (connecting backs off
 * after connects that got no answer); after the thaw the server serves
 * again within 2 s without a restart; frozen again, SIGTERM with calls in
 * flight ends in exit 0 within --drain-timeout + 2 s.
 *
 * The cluster is private (tests/pg/start in a /tmp directory of its own),
 * and thawed whatever happens: at the end, and by the alarm's handler.
 */
#include <stdatomic.h>
#include <string.h>

#include "faults.h"

#define DB "cruddur_fault_frozen"
#define THREADS 6
#define DEADLINE_MS 2000
#define HEALTH_DEADLINE_MS 3000
#define FROZEN_MS 5000
#define DRAIN_MS 1000
#define LATE_LIMIT_S 0.25
#define NOT_SERVING_LIMIT_S 2.0
#define STOP_LIMIT_S (DRAIN_MS / 1000.0 + 2.0)

static _Atomic double freeze_at;       /* ts_now() of the freeze; 0 before */
static _Atomic double first_not_serving; /* ts_now() of the first NOT_SERVING after it */
static char           not_serving_detail[256];

/* Threads 0, 3: HomeFeed; 1, 4: GetUser; 2, 5: CreateActivity without a
 * key. Each sent once: every reply is seen. */
static cruddur_status
db_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	char message[64];
	(void)arg;
	if (thread % 3 == 0)
		return fs_home_feed(c, o->deadline_ms, false, o);
	if (thread % 3 == 1)
		return fs_get_user(c, "hotwheels", o->deadline_ms, false, o);
	snprintf(message, sizeof(message), "fault-frozen-%d-%d", thread, seq);
	return fs_create_activity(c, message, NULL, o);
}

static cruddur_status
health_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	bool serving;
	(void)thread, (void)seq, (void)arg;
	cruddur_status st = fs_health(c, "", o->deadline_ms, &serving, o);
	double         t = ts_now(), none = 0;
	if (st == CRUDDUR_OK && !serving && atomic_load(&freeze_at) != 0 &&
	    atomic_compare_exchange_strong(&first_not_serving, &none, t))
		snprintf(not_serving_detail, sizeof(not_serving_detail), "%.200s", o->message);
	return st;
}

/* Calls that are in flight when SIGTERM comes: a long deadline. */
static cruddur_status
held_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	(void)thread, (void)seq, (void)arg;
	return fs_get_user(c, "hotwheels", o->deadline_ms, false, o);
}

/* Only these statuses are fair answers from a frozen database (RESOURCE_EXHAUSTED:
 * every connection stayed busy for the pool timeout). */
static long
fair(const fs_tally *t)
{
	return t->by_status[CRUDDUR_OK] + t->by_status[CRUDDUR_DEADLINE_EXCEEDED] +
	    t->by_status[CRUDDUR_UNAVAILABLE] + t->by_status[CRUDDUR_RESOURCE_EXHAUSTED];
}

int
main(void)
{
	fs_cluster        pg = { "" };
	ts_server         s;
	cruddur_call_opts o;
	char              drain[16];
	fs_tally          reads, health, held;

	fs_cluster_thaw_on_alarm(200);
	if (fs_cluster_start(&pg) != 0)
		return 1;
	snprintf(drain, sizeof(drain), "%d", DRAIN_MS);
	const char *args[] = { "--pool-min", "2", "--pool-max", "4", "--drain-timeout", drain,
		"--log-level", "info", NULL };
	if (fs_cluster_server_start(&s, &pg, DB, args) != 0) {
		fs_cluster_remove(&pg);
		return 1;
	}
	cruddur_client *c = ts_client(&s);
	CHECK_STATUS(fs_setup(c, &o), CRUDDUR_OK, &o);
	CHECK_STATUS(fs_home_feed(c, 5000, false, &o), CRUDDUR_OK, &o);
	CHECK_STATUS(fs_get_user(c, "hotwheels", 5000, false, &o), CRUDDUR_OK, &o);

	fs_load *rl = fs_load_start(c, THREADS, db_call, NULL, DEADLINE_MS, 5, 1000000);
	fs_load *hl = fs_load_start(c, 1, health_call, NULL, HEALTH_DEADLINE_MS, 50, 1000000);
	CHECK(rl != NULL && hl != NULL);
	fs_sleep_ms(700);

	int n = fs_cluster_freeze(&pg, true);
	atomic_store(&freeze_at, ts_now());
	printf("froze %d PostgreSQL processes\n", n);
	CHECK(n >= 1);
	fs_sleep_ms(FROZEN_MS);

	/* Connecting backs off by now: a call needing a new connection is
	 * refused at once. */
	double t0 = ts_now();
	cruddur_status st = fs_get_user(c, "hotwheels", DEADLINE_MS, false, &o);
	double fast = ts_now() - t0;
	printf("frozen %d ms: GetUser %s after %.0f ms: %s\n", FROZEN_MS, cruddur_status_name(st),
	    fast * 1000, o.message);
	CHECK(st == CRUDDUR_UNAVAILABLE || st == CRUDDUR_DEADLINE_EXCEEDED);

	if (rl != NULL)
		fs_load_stop(rl, &reads);
	if (hl != NULL)
		fs_load_stop(hl, &health);
	fs_tally_print("frozen: HomeFeed, GetUser and CreateActivity, deadline 2 s", &reads);
	fs_tally_print("frozen: Health \"\", deadline 3 s", &health);
	printf("worst lateness past the deadline: reads and writes %.0f ms, Health %.0f ms (limit %.0f ms)\n",
	    reads.max_overrun_s * 1000, health.max_overrun_s * 1000, LATE_LIMIT_S * 1000);
	CHECK(reads.max_overrun_s < LATE_LIMIT_S);
	CHECK(health.max_overrun_s < LATE_LIMIT_S);
	CHECK(fair(&reads) == reads.calls);
	CHECK(reads.by_status[CRUDDUR_UNAVAILABLE] > 0); /* backing off reached the callers */
	double ns = atomic_load(&first_not_serving) - atomic_load(&freeze_at);
	printf("Health NOT_SERVING %.0f ms after the freeze (limit %.0f ms): %s\n", ns * 1000,
	    NOT_SERVING_LIMIT_S * 1000, not_serving_detail);
	CHECK(atomic_load(&first_not_serving) > 0 && ns < NOT_SERVING_LIMIT_S);

	/* Thawed: served again, no restart. */
	fs_cluster_freeze(&pg, false);
	double thawed = ts_now(), back = -1;
	while (ts_now() < thawed + 10 && back < 0)
		if (fs_home_feed(c, 1000, false, &o) == CRUDDUR_OK &&
		    fs_get_user(c, "hotwheels", 1000, false, &o) == CRUDDUR_OK)
			back = ts_now() - thawed;
		else
			fs_sleep_ms(10);
	printf("thawed: HomeFeed and GetUser OK %.0f ms later (limit 2000 ms)\n", back * 1000);
	CHECK(back >= 0 && back < 2.0);

	/* Frozen again, SIGTERM with calls in flight. */
	CHECK(fs_cluster_freeze(&pg, true) >= 1);
	fs_sleep_ms(200);
	fs_load *hd = fs_load_start(c, 4, held_call, NULL, 8000, 0, 1000000);
	CHECK(hd != NULL);
	fs_sleep_ms(300);
	double took = -1;
	fs_load_request_stop(hd); /* each thread ends with the call it is in */
	int    rc = fs_server_term(&s, 15, &took);
	printf("SIGTERM while frozen: exit %d after %.0f ms (limit %.0f ms, --drain-timeout %d)\n", rc,
	    took * 1000, STOP_LIMIT_S * 1000, DRAIN_MS);
	CHECK(rc == 0);
	CHECK(took >= 0 && took < STOP_LIMIT_S);
	if (hd != NULL) {
		fs_load_stop(hd, &held);
		fs_tally_print("in flight at SIGTERM, deadline 8 s", &held);
	}

	fs_cluster_freeze(&pg, false);
	if (ts_failures > 0)
		ts_log_print(&s);
	fs_server_cleanup(&s);
	cruddur_client_close(c);
	fs_cluster_remove(&pg);
	return ts_finish("db_frozen_test");
}
