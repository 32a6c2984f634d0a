/*
 * two_servers_test.c - one client, two servers, one of them killed under
 * load; and which calls the client sends again.
 *
 * 1. Failover. Servers A and B share one database; one client dials both.
 *    8 threads run, in turn, HomeFeed, CreateActivity without an
 *    idempotency key and CreateActivity with one (distinct messages and
 *    keys). After 1 s, A is killed with SIGKILL; the load goes on 1.5 s.
 *      - reads: every call OK (the client retries them on B);
 *      - keyed writes: every call OK, each key exactly once in the table
 *        (retried, and deduplicated by the server);
 *      - writes without a key: OK, or UNAVAILABLE when the connection to
 *        A broke under them (their outcome is then unknown); never sent
 *        twice: each message at most once in the table, each request id in
 *        at most one log line of A and B together, every OK in the table;
 *      - B served calls after the kill.
 * 2. Retry rule, counted exactly. Server C has no database (its URL points
 *    at a socket directory with nothing in it), so Activities calls fail
 *    with UNAVAILABLE. C's log (--log-level info, one line per request with
 *    its id) shows how often each call arrived: a write without a key once,
 *    a write with a key 3 times (1 + 2 retries), HomeFeed 3 times.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"

#define DB "cruddur_fault_two"
#define THREADS 8
#define MAX_IDS 20000

enum { READ, WRITE_NOKEY, WRITE_KEY, KINDS };

typedef struct record {
	pthread_mutex_t mtx;
	uint64_t       *nokey_ids; /* request ids of writes without a key */
	int             n_nokey;
	long            nokey_ok;
	_Atomic double  kill_time;
	atomic_long     ok_after_kill;
} record;

static record g = { .mtx = PTHREAD_MUTEX_INITIALIZER };
static fs_tally g_kind[KINDS];
static pthread_mutex_t g_kind_mtx = PTHREAD_MUTEX_INITIALIZER;

static cruddur_status
mixed_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	char           message[64], key[64];
	int            kind = (thread + seq) % KINDS;
	cruddur_status st;
	double         t0 = ts_now();
	(void)arg;

	if (kind == READ) {
		st = fs_home_feed(c, o->deadline_ms, true, o);
	} else if (kind == WRITE_NOKEY) {
		snprintf(message, sizeof(message), "fault-two-nokey-%d-%d", thread, seq);
		st = fs_create_activity(c, message, NULL, o);
		pthread_mutex_lock(&g.mtx);
		if (g.n_nokey < MAX_IDS)
			g.nokey_ids[g.n_nokey++] = o->request_id;
		g.nokey_ok += st == CRUDDUR_OK;
		pthread_mutex_unlock(&g.mtx);
	} else {
		snprintf(message, sizeof(message), "fault-two-key-%d-%d", thread, seq);
		snprintf(key, sizeof(key), "key-%d-%d", thread, seq);
		st = fs_create_activity(c, message, key, o);
	}
	double killed = atomic_load(&g.kill_time);
	if (st == CRUDDUR_OK && killed > 0 && t0 > killed)
		atomic_fetch_add(&g.ok_after_kill, 1);
	pthread_mutex_lock(&g_kind_mtx);
	fs_tally_record(&g_kind[kind], st, o->message, ts_now() - t0, o->deadline_ms);
	pthread_mutex_unlock(&g_kind_mtx);
	return st;
}

static void
failover(void)
{
	ts_server         a, b;
	cruddur_call_opts o;
	fs_tally          sum;
	char              url[512], out[64];

	const char *args[] = { "--log-level", "info", NULL };
	if (ts_server_start(&a, "tcp://127.0.0.1:0", DB, args, NULL) != 0 ||
	    ts_server_start(&b, "tcp://127.0.0.1:0", DB, args, NULL) != 0) {
		CHECK(!"both servers started");
		fs_server_cleanup(&a);
		return;
	}
	cruddur_client *ca = ts_client(&a);
	CHECK_STATUS(fs_setup(ca, &o), CRUDDUR_OK, &o);
	cruddur_client_close(ca);

	const char     *urls[2] = { a.url, b.url };
	cruddur_client *c;
	char            err[256];
	if (cruddur_client_open(&c, urls, 2, err, sizeof(err)) != CRUDDUR_OK) {
		CHECK(!"client dials both");
		fs_server_cleanup(&a);
		fs_server_cleanup(&b);
		return;
	}
	for (int i = 0; i < KINDS; i++)
		g_kind[i].max_overrun_s = -1e9;
	fs_load *load = fs_load_start(c, THREADS, mixed_call, NULL, 5000, 1, 100000);
	CHECK(load != NULL);
	fs_sleep_ms(1000);
	atomic_store(&g.kill_time, ts_now());
	fs_server_kill(&a);
	fs_sleep_ms(1500);
	fs_load_stop(load, &sum);
	fs_tally_print("all calls, A killed after 1 s", &sum);
	fs_tally_print("  reads (HomeFeed)", &g_kind[READ]);
	fs_tally_print("  writes with an idempotency key", &g_kind[WRITE_KEY]);
	fs_tally_print("  writes without a key", &g_kind[WRITE_NOKEY]);
	CHECK(g_kind[READ].calls > 0 && g_kind[READ].by_status[CRUDDUR_OK] == g_kind[READ].calls);
	CHECK(g_kind[WRITE_KEY].calls > 0 &&
	      g_kind[WRITE_KEY].by_status[CRUDDUR_OK] == g_kind[WRITE_KEY].calls);
	CHECK(g_kind[WRITE_NOKEY].by_status[CRUDDUR_OK] + g_kind[WRITE_NOKEY].by_status[CRUDDUR_UNAVAILABLE] ==
	      g_kind[WRITE_NOKEY].calls);
	CHECK(sum.max_overrun_s < 1.0);
	CHECK(atomic_load(&g.ok_after_kill) > 0);
	printf("calls started after the kill and answered OK (by B): %ld\n", atomic_load(&g.ok_after_kill));

	PGconn *pg = fs_pg_connect(ts_pg_url(DB, url, sizeof(url)));
	if (pg == NULL) {
		fs_server_cleanup(&a);
		fs_server_cleanup(&b);
		return;
	}
	/* Writes without a key: none twice, every OK there. */
	CHECK(fs_pg_value(pg, "SELECT count(*) FROM (SELECT message FROM activities WHERE message LIKE "
	                      "'fault-two-nokey-%' GROUP BY message HAVING count(*) > 1) d", out, sizeof(out)) == 0);
	CHECK_STREQ(out, "0");
	CHECK(fs_pg_value(pg, "SELECT count(*) FROM activities WHERE message LIKE 'fault-two-nokey-%'", out,
	          sizeof(out)) == 0);
	long nokey_rows = atol(out);
	CHECK(nokey_rows >= g.nokey_ok && nokey_rows <= g.n_nokey);
	/* Keyed writes: one row per key, though some were sent twice. */
	CHECK(fs_pg_value(pg, "SELECT count(*), count(DISTINCT idempotency_key) FROM activities WHERE "
	                      "message LIKE 'fault-two-key-%'", out, sizeof(out)) == 0);
	long key_rows = atol(out);
	CHECK(key_rows == g_kind[WRITE_KEY].calls);
	PQfinish(pg);

	int twice = 0;
	for (int i = 0; i < g.n_nokey; i++) {
		char needle[48];
		snprintf(needle, sizeof(needle), "id=%llu ", (unsigned long long)g.nokey_ids[i]);
		int n = fs_log_count(&a, needle, NULL) + fs_log_count(&b, needle, NULL);
		twice += n > 1;
	}
	CHECK(twice == 0);
	printf("writes without a key: %d sent, %ld OK, %ld rows, none twice in the table; request ids "
	       "logged more than once by A and B together: %d\n", g.n_nokey, g.nokey_ok, nokey_rows, twice);
	printf("writes with a key: %ld sent, all OK, %ld rows (one per key)\n", g_kind[WRITE_KEY].calls,
	    key_rows);

	cruddur_client_close(c);
	CHECK(fs_server_term(&b, 15, NULL) == 0);
	if (ts_failures > 0) {
		ts_log_print(&a);
		ts_log_print(&b);
	}
	fs_server_cleanup(&a);
	fs_server_cleanup(&b);
}

/* Lines in C's log for the request id of the call just made. */
static int
arrivals(const ts_server *s, const cruddur_call_opts *o)
{
	char needle[48];
	snprintf(needle, sizeof(needle), "id=%llu ", (unsigned long long)o->request_id);
	return fs_log_count(s, needle, NULL);
}

static void
retry_rule(void)
{
	ts_server         s;
	cruddur_call_opts o;

	/* A socket directory with no PostgreSQL in it. */
	const char *args[] = { "--db", "postgresql://postgres@/nothing?host=/tmp/cruddur-no-pg-here",
		"--log-level", "info", NULL };
	if (ts_server_start(&s, "tcp://127.0.0.1:0", NULL, args, NULL) != 0) {
		CHECK(!"server without a database started");
		return;
	}
	cruddur_client *c = ts_client(&s);

	o = (cruddur_call_opts){ .deadline_ms = 5000 };
	CHECK_STATUS(fs_create_activity(c, "fault-two-retry-nokey", NULL, &o), CRUDDUR_UNAVAILABLE, &o);
	fs_sleep_ms(100);
	int nokey = arrivals(&s, &o);
	o = (cruddur_call_opts){ .deadline_ms = 5000 };
	CHECK_STATUS(fs_create_activity(c, "fault-two-retry-key", "retry-key-1", &o), CRUDDUR_UNAVAILABLE, &o);
	fs_sleep_ms(100);
	int key = arrivals(&s, &o);
	CHECK_STATUS(fs_home_feed(c, 5000, true, &o), CRUDDUR_UNAVAILABLE, &o);
	fs_sleep_ms(100);
	int read = arrivals(&s, &o);
	printf("database unreachable (UNAVAILABLE: %s): the server saw a write without a key %d time(s), "
	       "with a key %d, HomeFeed %d\n", o.message, nokey, key, read);
	CHECK(nokey == 1);
	CHECK(key == 3);
	CHECK(read == 3);

	cruddur_client_close(c);
	fs_server_finish(&s);
}

int
main(void)
{
	alarm(280);
	ts_require_pg();
	if ((g.nokey_ids = calloc(MAX_IDS, sizeof(*g.nokey_ids))) == NULL)
		return 1;
	retry_rule();
	failover();
	free(g.nokey_ids);
	return ts_finish("two_servers_test");
}
