/*
 * fleet_test.c - three cruddurd behind one libcruddur client (issue 15,
 * item 4): one stopped with SIGTERM and one killed with SIGKILL under load,
 * then the first started again on its old address.
 *
 * What the client does with several URLs (client/src/client.c): one nng
 * REQ socket with a dialer per URL; nng sends each request on one of the
 * connected pipes, and a dialer whose server went away redials every 50
 * ms to 1 s. A call that fails with UNAVAILABLE is sent again (up to 2
 * more times, call.c) when its method is idempotent or its request has an
 * idempotency key; the server stores a keyed write once per key. A reply
 * with not_run (a draining server's refusal: none of it ran) sends any
 * call again, up to NOT_RUN_ATTEMPTS more times, not counted in those 2.
 *
 * Servers A, B and C share one database. 8 threads run, in turn, HomeFeed
 * (idempotent), GetUser (idempotent) and CreateActivity with an
 * idempotency key (a distinct message and key each call). After 1 s, A
 * gets SIGTERM (it drains: calls in flight are answered, new ones
 * UNAVAILABLE, which the client sends elsewhere); 1 s later B gets
 * SIGKILL (its connections break under calls in flight); 1 s later A is
 * started again on its old URL; the load goes on 2 s more.
 *   - from the moment A has exited on: every call OK, through B's kill
 *     and A's return (no caller saw a failure);
 *   - while A drains (SIGTERM until it exits): every call OK too. A
 *     answers new requests at once with UNAVAILABLE "the server is
 *     shutting down" and not_run, so its connection is the one nng's REQ
 *     finds ready first again and again; before not_run, all 3 attempts of
 *     a call could land on A and the caller failed (issue 15 item 4).
 *   - keyed writes: each key at most once in the table (distinct keys ==
 *     rows), every OK one there (some were sent twice, none stored twice);
 *   - A exited 0 on SIGTERM;
 *   - A, back, logged requests (the client used it again), and calls
 *     started after the kill were answered.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"

#define DB "cruddur_fault_fleet"
#define THREADS 8

enum { FEED, USER, WRITE_KEY, KINDS };

static fs_tally        g_kind[KINDS];
static pthread_mutex_t g_kind_mtx = PTHREAD_MUTEX_INITIALIZER;
static _Atomic double  g_kill_time;
static _Atomic double  g_a_gone_time; /* A has exited (after SIGTERM) */
static atomic_long     g_ok_after_kill;
static atomic_long     g_fail_after_a_gone;  /* must stay 0 */
static atomic_long     g_drain_refusals;     /* UNAVAILABLE "shutting down" while A drained: must stay 0 */
static atomic_long     g_drain_other;        /* any other failure while A drained: must stay 0 */
static atomic_long     g_keyed_ok;

static cruddur_status
fleet_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	char           message[64], key[64];
	int            kind = (thread + seq) % KINDS;
	cruddur_status st;
	double         t0 = ts_now();
	(void)arg;

	if (kind == FEED) {
		st = fs_home_feed(c, o->deadline_ms, true, o);
	} else if (kind == USER) {
		st = fs_get_user(c, "hotwheels", o->deadline_ms, true, o);
	} else {
		snprintf(message, sizeof(message), "fault-fleet-%d-%d", thread, seq);
		snprintf(key, sizeof(key), "fleet-key-%d-%d", thread, seq);
		st = fs_create_activity(c, message, key, o);
	}
	double killed = atomic_load(&g_kill_time);
	double a_gone = atomic_load(&g_a_gone_time);
	if (st == CRUDDUR_OK && killed > 0 && t0 > killed)
		atomic_fetch_add(&g_ok_after_kill, 1);
	if (st == CRUDDUR_OK && kind == WRITE_KEY)
		atomic_fetch_add(&g_keyed_ok, 1);
	if (st != CRUDDUR_OK) {
		if (a_gone > 0 && t0 >= a_gone)
			atomic_fetch_add(&g_fail_after_a_gone, 1);
		else if (st == CRUDDUR_UNAVAILABLE && strstr(o->message, "shutting down") != NULL)
			atomic_fetch_add(&g_drain_refusals, 1);
		else
			atomic_fetch_add(&g_drain_other, 1);
	}
	pthread_mutex_lock(&g_kind_mtx);
	fs_tally_record(&g_kind[kind], st, o->message, ts_now() - t0, o->deadline_ms);
	pthread_mutex_unlock(&g_kind_mtx);
	return st;
}

int
main(void)
{
	ts_server         a, b, cs, a2;
	cruddur_call_opts o;
	fs_tally          sum;
	char              url[512], out[64], a_url[512], err[256];
	const char       *args[] = { "--log-level", "info", NULL };

	alarm(120);
	ts_require_pg();
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&cs, 0, sizeof(cs));
	memset(&a2, 0, sizeof(a2));
	if (ts_server_start(&a, "tcp://127.0.0.1:0", DB, args, NULL) != 0 ||
	    ts_server_start(&b, "tcp://127.0.0.1:0", DB, args, NULL) != 0 ||
	    ts_server_start(&cs, "tcp://127.0.0.1:0", DB, args, NULL) != 0) {
		CHECK(!"three servers started");
		goto out;
	}
	snprintf(a_url, sizeof(a_url), "%s", a.url);
	cruddur_client *ca = ts_client(&a);
	CHECK_STATUS(fs_setup(ca, &o), CRUDDUR_OK, &o);
	cruddur_client_close(ca);

	const char     *urls[3] = { a.url, b.url, cs.url };
	cruddur_client *c;
	if (cruddur_client_open(&c, urls, 3, err, sizeof(err)) != CRUDDUR_OK) {
		CHECK(!"the client dials all three");
		goto out;
	}
	for (int i = 0; i < KINDS; i++)
		g_kind[i].max_overrun_s = -1e9;
	fs_load *load = fs_load_start(c, THREADS, fleet_call, NULL, 5000, 1, 1000000);
	CHECK(load != NULL);
	fs_sleep_ms(1000);
	double took = 0;
	CHECK(fs_server_term(&a, 15, &took) == 0); /* returns once A has exited */
	atomic_store(&g_a_gone_time, ts_now());
	printf("A stopped with SIGTERM: exit 0 after %.2f s\n", took);
	fs_sleep_ms(1000);
	atomic_store(&g_kill_time, ts_now());
	fs_server_kill(&b);
	printf("B killed with SIGKILL\n");
	fs_sleep_ms(1000);
	if (ts_server_start(&a2, a_url, DB, args, NULL) != 0)
		CHECK(!"A started again on its old URL");
	else
		printf("A started again on %s\n", a2.url);
	fs_sleep_ms(2000);
	fs_load_stop(load, &sum);
	int a2_requests = a2.pid > 0 ? fs_log_count(&a2, "msg=request", NULL) : 0;

	fs_tally_print("all calls", &sum);
	fs_tally_print("  HomeFeed", &g_kind[FEED]);
	fs_tally_print("  GetUser", &g_kind[USER]);
	fs_tally_print("  CreateActivity with an idempotency key", &g_kind[WRITE_KEY]);
	for (int k = 0; k < KINDS; k++) {
		CHECK(g_kind[k].calls > 0);
		for (int st = 1; st < FS_STATUSES; st++)
			if (g_kind[k].by_status[st] > 0)
				printf("  kind %d: %ld calls %s: %s\n", k, g_kind[k].by_status[st],
				    cruddur_status_name((cruddur_status)st), g_kind[k].sample[st]);
	}
	printf("failures: while A drained, %ld 'shutting down' and %ld other; "
	       "after A had exited, %ld\n", atomic_load(&g_drain_refusals), atomic_load(&g_drain_other),
	    atomic_load(&g_fail_after_a_gone));
	CHECK(atomic_load(&g_fail_after_a_gone) == 0);
	CHECK(atomic_load(&g_drain_refusals) == 0);
	CHECK(atomic_load(&g_drain_other) == 0);
	CHECK(atomic_load(&g_ok_after_kill) > 0);
	printf("calls started after the kill and answered OK: %ld; requests A served once back: %d\n",
	    atomic_load(&g_ok_after_kill), a2_requests);
	CHECK(a2_requests > 0);

	PGconn *pg = fs_pg_connect(ts_pg_url(DB, url, sizeof(url)));
	if (pg != NULL) {
		CHECK(fs_pg_value(pg, "SELECT count(*) FROM activities WHERE message LIKE 'fault-fleet-%'", out,
		          sizeof(out)) == 0);
		long rows = atol(out);
		CHECK(fs_pg_value(pg, "SELECT count(DISTINCT idempotency_key) FROM activities WHERE message "
		                      "LIKE 'fault-fleet-%'", out, sizeof(out)) == 0);
		long keys = atol(out);
		long keyed_ok = atomic_load(&g_keyed_ok);
		printf("keyed writes: %ld calls, %ld OK; %ld rows, %ld distinct keys\n",
		    g_kind[WRITE_KEY].calls, keyed_ok, rows, keys);
		CHECK(rows >= keyed_ok && rows <= g_kind[WRITE_KEY].calls);
		CHECK(keys == rows);
		PQfinish(pg);
	}
	cruddur_client_close(c);
	if (a2.pid > 0)
		CHECK(fs_server_term(&a2, 15, NULL) == 0);
	CHECK(fs_server_term(&cs, 15, NULL) == 0);
out:
	if (ts_failures > 0) {
		ts_log_print(&a);
		ts_log_print(&b);
		ts_log_print(&cs);
		if (a2.pid > 0)
			ts_log_print(&a2);
	}
	fs_server_cleanup(&a);
	fs_server_cleanup(&b);
	fs_server_cleanup(&cs);
	fs_server_cleanup(&a2);
	return ts_finish("fleet_test");
}
