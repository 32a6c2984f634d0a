/*
 * db_full_test.c - PostgreSQL's max_connections all taken by other clients
 * while cruddurd needs connections, then slots freed.
 *
 * Proves: callers are refused at once with RESOURCE_EXHAUSTED naming
 * 53300 (too many clients), HomeFeed (the read reactor) and GetUser (the
 * workers) alike, and Health is NOT_SERVING; cruddurd backs off instead
 * of trying to connect for each call: connect attempts per second while
 * full are counted in Stats (connect_failures) and stay at a few; the
 * refusals are counted too (backoff_refusals); once slots are free, calls
 * are OK again within the backoff's longest wait (1 s) and a margin.
 *
 * The cluster is private (tests/pg/start), with max_connections lowered
 * to 10 so that the test can take them all.
 */
#include <stdatomic.h>
#include <string.h>

#include "faults.h"

#define DB "cruddur_fault_full"
#define MAX_CONNECTIONS 10
#define THREADS 8
#define DEADLINE_MS 2000
#define FULL_MS 3000
#define RATE_LIMIT_PER_S 5.0
/* Refused at once: 99 % of the calls within SLOW_S (the rest is the
 * scheduling of a loaded machine), every one well within its deadline. */
#define SLOW_S 0.05
#define REFUSAL_LIMIT_S 1.0
#define RECOVERY_LIMIT_S 2.0

static atomic_long slow_calls; /* longer than SLOW_S */

static cruddur_status
full_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	double         t0 = ts_now();
	cruddur_status st;
	(void)seq, (void)arg;
	if (thread % 2 == 0)
		st = fs_home_feed(c, o->deadline_ms, false, o);
	else
		st = fs_get_user(c, "hotwheels", o->deadline_ms, false, o);
	if (ts_now() - t0 > SLOW_S)
		atomic_fetch_add(&slow_calls, 1);
	return st;
}

/* The pool's figures from Stats; false on failure. */
static bool
pool_figures(cruddur_client *c, long long *failures, long long *refusals, int *streak)
{
	Cruddur__V1__GetStatsResponse *resp = ts_get_stats(c, 3000);
	bool                           ok = false;

	if (resp != NULL && resp->pool != NULL) {
		*failures = resp->pool->connect_failures;
		*refusals = resp->pool->backoff_refusals;
		*streak = resp->pool->connect_fail_streak;
		ok = true;
	}
	cruddur_message_free(resp);
	return ok;
}

/* Takes every connection slot of the cluster; how many it took. */
static int
take_all(const char *url, PGconn **held, int max)
{
	int n = 0;
	while (n < max) {
		PGconn *pg = PQconnectdb(url);
		if (PQstatus(pg) != CONNECTION_OK) {
			if (strstr(PQerrorMessage(pg), "too many clients") == NULL)
				fprintf(stderr, "unexpected: %s", PQerrorMessage(pg));
			PQfinish(pg);
			break;
		}
		held[n++] = pg;
	}
	return n;
}

int
main(void)
{
	fs_cluster        pg = { "" };
	ts_server         s;
	cruddur_call_opts o;
	char              admin_url[256], max[64], got[64];
	PGconn           *held[64];
	fs_tally          sum;
	bool              serving = true;

	alarm(200);
	if (fs_cluster_start(&pg) != 0)
		return 1;
	PGconn *admin = fs_pg_connect(fs_cluster_url(&pg, "postgres", admin_url, sizeof(admin_url)));
	snprintf(max, sizeof(max), "ALTER SYSTEM SET max_connections = %d", MAX_CONNECTIONS);
	CHECK(admin != NULL && fs_pg_value(admin, max, got, sizeof(got)) == 0);
	PQfinish(admin);
	CHECK(fs_cluster_ctl(&pg, "stop-fast") == 0 && fs_cluster_ctl(&pg, "start") == 0);

	const char *args[] = { "--pool-min", "2", "--pool-max", "4", "--log-level", "warn", NULL };
	/* The database, made by a server that then goes. */
	if (fs_cluster_server_start(&s, &pg, DB, args) != 0) {
		fs_cluster_remove(&pg);
		return 1;
	}
	cruddur_client *c = ts_client(&s);
	CHECK_STATUS(fs_setup(c, &o), CRUDDUR_OK, &o);
	cruddur_client_close(c);
	CHECK(fs_server_term(&s, 15, NULL) == 0);
	fs_server_cleanup(&s);

	/* Full, then a server that has no connection yet. */
	int n = take_all(admin_url, held, 64);
	printf("took %d connection slots (max_connections %d)\n", n, MAX_CONNECTIONS);
	CHECK(n >= MAX_CONNECTIONS - 3 && n <= MAX_CONNECTIONS);
	if (fs_cluster_server_start(&s, &pg, DB, args) != 0) {
		for (int i = 0; i < n; i++)
			PQfinish(held[i]);
		fs_cluster_remove(&pg);
		return 1;
	}
	c = ts_client(&s);
	CHECK_STATUS(fs_get_user(c, "hotwheels", DEADLINE_MS, false, &o), CRUDDUR_RESOURCE_EXHAUSTED, &o);
	printf("full: GetUser RESOURCE_EXHAUSTED: %s\n", o.message);
	CHECK(strstr(o.message, "53300") != NULL);
	CHECK_STATUS(fs_home_feed(c, DEADLINE_MS, false, &o), CRUDDUR_RESOURCE_EXHAUSTED, &o);
	CHECK_STATUS(fs_health(c, "", 3000, &serving, &o), CRUDDUR_OK, &o);
	printf("full: Health NOT_SERVING: %s\n", o.message);
	CHECK(!serving && strstr(o.message, "53300") != NULL);

	long long f0 = 0, f1 = 0, r0 = 0, r1 = 0;
	int       streak = 0;
	CHECK(pool_figures(c, &f0, &r0, &streak));
	double   t0 = ts_now();
	fs_load *load = fs_load_start(c, THREADS, full_call, NULL, DEADLINE_MS, 1, 1000000);
	CHECK(load != NULL);
	fs_sleep_ms(FULL_MS);
	if (load != NULL)
		fs_load_stop(load, &sum);
	double t1 = ts_now();
	CHECK(pool_figures(c, &f1, &r1, &streak));
	double rate = (double)(f1 - f0) / (t1 - t0);
	fs_tally_print("full: HomeFeed and GetUser, deadline 2 s", &sum);
	long slow = atomic_load(&slow_calls);
	printf("full for %.1f s: %lld connect attempts (%.1f a second, limit %.0f), %lld calls refused "
	       "at once, %d failed in a row; %ld of %ld calls over %.0f ms (limit 1 %%), slowest %.1f ms "
	       "(limit %.0f ms)\n",
	    t1 - t0, f1 - f0, rate, RATE_LIMIT_PER_S, r1 - r0, streak, slow, sum.calls, SLOW_S * 1000,
	    sum.max_latency_s * 1000, REFUSAL_LIMIT_S * 1000);
	CHECK(slow * 100 <= sum.calls);
	CHECK(sum.by_status[CRUDDUR_RESOURCE_EXHAUSTED] == sum.calls && sum.calls > 100);
	CHECK(rate <= RATE_LIMIT_PER_S && f1 > f0);
	/* Coalesced HomeFeeds share one refusal: fewer refusals than calls. */
	CHECK(r1 - r0 > sum.calls / 2);
	CHECK(sum.max_latency_s < REFUSAL_LIMIT_S);

	/* Slots free again. */
	for (int i = 0; i < n; i++)
		PQfinish(held[i]);
	double freed = ts_now(), back = -1;
	while (ts_now() < freed + 10 && back < 0)
		if (fs_home_feed(c, 1000, false, &o) == CRUDDUR_OK &&
		    fs_get_user(c, "hotwheels", 1000, false, &o) == CRUDDUR_OK)
			back = ts_now() - freed;
		else
			fs_sleep_ms(5);
	printf("slots freed: HomeFeed and GetUser OK %.0f ms later (limit %.0f ms)\n", back * 1000,
	    RECOVERY_LIMIT_S * 1000);
	CHECK(back >= 0 && back < RECOVERY_LIMIT_S);
	CHECK_STATUS(fs_health(c, "", 3000, &serving, &o), CRUDDUR_OK, &o);
	CHECK(serving);

	cruddur_client_close(c);
	fs_server_finish(&s);
	fs_cluster_remove(&pg);
	return ts_finish("db_full_test");
}
