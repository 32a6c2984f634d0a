/*
 * stop_under_load_test.c - a stop that always ends (issue 16, item 5): SIGTERM
 * under heavy mixed load, many times over, and clients closed with calls in
 * flight.
 *
 * 1. Stops. TRIES times: a fresh cruddurd (--drain-timeout 1000) on one
 *    database; cruddur-bench with 64 chains of async calls (HomeFeed,
 *    UserActivities, CreateActivity) that go on calling through the drain
 *    and the close, as the client of the hangs seen did; 16 writer threads
 *    in this process (CreateActivity, half with an idempotency key, half
 *    without), for 150 ms; then SIGTERM. Each try: exit status 0 within the
 *    drain timeout + 1 s. A writer stops at its first call that is not OK
 *    (the drain's refusal): every write it saw acknowledged must then be in
 *    the table. After all tries: each acknowledged write is there exactly
 *    once, and no message is there twice (keyed writes are retried,
 *    unkeyed ones never sent twice). The server's log counts the closes
 *    where nng_close outlasted its bound (transport_free: the nng 1.5.2
 *    close deadlock, survived instead of hanging the stop).
 * 2. Client closes. CLOSES times: a client with 64 chains of async
 *    HomeFeeds in flight is closed; cruddur_client_close returns within 1 s
 *    (its bound on nng_close is 0.5 s) and every chain has ended.
 * 3. A frozen database host. On a private cluster, 16 bench callers; every
 *    PostgreSQL process is stopped (SIGSTOP: connects succeed, nothing
 *    answers), then SIGTERM (--drain-timeout 1000): exit 0 within the drain
 *    timeout + 2 s, though workers and reads still wait on the database
 *    (main.c bounds the joins and exits without them).
 *
 * The callers that keep calling through the server's exit run in
 * cruddur-bench, a process of their own: nng 1.5.2 leaks the request that
 * a REQ pipe was starting to send when its connection closed, and
 * LeakSanitizer would fail this test for it at exit; the bench is killed,
 * not checked. Fewer tries under AddressSanitizer (2-3x slower): the whole
 * stays within the time CI gives a test.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "client.h"
#include "faults.h"

#define DB "cruddur_fault_stop_load"
#define DRAIN_MS 1000
#define LOAD_MS 150
#define CALLERS "64" /* cruddur-bench's chains */
#define WRITERS 16
#define DEADLINE_MS 300
#define MAX_ACKED 200000
#define CHAINS 64

#if defined(__SANITIZE_ADDRESS__)
#define TRIES 10
#define CLOSES 10
#else
#define TRIES 50
#define CLOSES 50
#endif

typedef struct acked {
	pthread_mutex_t mtx;
	char          (*msg)[48]; /* messages of the writes answered OK */
	int             n;
	atomic_int      try_no;
} acked;

static acked g = { .mtx = PTHREAD_MUTEX_INITIALIZER };

/* Set by the test once the server has exited and the try's load ends. */
static atomic_bool g_load_over;

/* A writer stops at its first call that is not OK (refused by the drain,
 * or the connection gone) and waits for the end of the try. */
static cruddur_status
park_unless_ok(cruddur_status st)
{
	for (int i = 0; st != CRUDDUR_OK && i < 1000 && !atomic_load(&g_load_over); i++)
		fs_sleep_ms(5);
	return st;
}

static cruddur_status
write_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	char msg[48], key[48];
	int  try_no = atomic_load(&g.try_no);
	(void)arg;

	snprintf(msg, sizeof(msg), "stopload-%d-%d-%d", try_no, thread, seq);
	snprintf(key, sizeof(key), "k-%d-%d-%d", try_no, thread, seq);
	cruddur_status st = fs_create_activity(c, msg, thread % 2 == 0 ? key : NULL, o);
	if (st == CRUDDUR_OK) {
		pthread_mutex_lock(&g.mtx);
		if (g.n < MAX_ACKED)
			memcpy(g.msg[g.n++], msg, sizeof(msg));
		pthread_mutex_unlock(&g.mtx);
	}
	return park_unless_ok(st);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Every acknowledged write once in the table, and no message twice. */
static void
check_writes(void)
{
	char    url[512];
	PGconn *pg = fs_pg_connect(ts_pg_url(DB, url, sizeof(url)));

	if (pg == NULL) {
		CHECK(!"connected to the database");
		return;
	}
	PGresult *res = PQexec(pg, "SELECT message, count(*) FROM activities WHERE message LIKE "
	                           "'stopload-%' GROUP BY message ORDER BY message COLLATE \"C\"");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fprintf(stderr, "%s", PQerrorMessage(pg));
	CHECK(PQresultStatus(res) == PGRES_TUPLES_OK);
	int rows = PQntuples(res), twice = 0, missing = 0;
	for (int r = 0; r < rows; r++)
		twice += atoi(PQgetvalue(res, r, 1)) != 1;
	qsort(g.msg, (size_t)g.n, sizeof(g.msg[0]), cmp_str);
	for (int i = 0, r = 0; i < g.n; i++) {
		while (r < rows && strcmp(PQgetvalue(res, r, 0), g.msg[i]) < 0)
			r++;
		missing += r >= rows || strcmp(PQgetvalue(res, r, 0), g.msg[i]) != 0;
	}
	PQclear(res);
	PQfinish(pg);
	printf("writes acknowledged OK: %d; distinct messages in the table: %d; acknowledged but "
	       "missing: %d; messages in the table more than once: %d\n", g.n, rows, missing, twice);
	CHECK(g.n > 0);
	CHECK(g.n < MAX_ACKED);
	CHECK(missing == 0);
	CHECK(twice == 0);
}

typedef struct try_result {
	int    exit_status;
	double took_s;
	int    abandoned; /* log lines: nng_close outlasted its bound */
} try_result;

static void
one_try(int try_no, fs_tally *writes, try_result *out)
{
	ts_server s;
	fs_tally  t;

	const char *args[] = { "--drain-timeout", "1000", "--log-level", "warn", NULL };
	const char *bench_args[] = { "--concurrency", CALLERS, "--duration", "60", "--warmup", "0",
		"--deadline", "500", "--method", "HomeFeed:4,UserActivities:1,CreateActivity:1", NULL };
	atomic_store(&g.try_no, try_no);
	atomic_store(&g_load_over, false);
	*out = (try_result){ .exit_status = -1 };
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, args, fs_server_env()) != 0) {
		CHECK(!"server started");
		return;
	}
	pid_t           bench = fs_bench_start(s.url, bench_args);
	cruddur_client *wc = ts_client(&s);
	fs_load        *w = fs_load_start(wc, WRITERS, write_call, NULL, DEADLINE_MS, 0, 1000000);
	CHECK(bench > 0 && w != NULL);
	fs_sleep_ms(LOAD_MS);
	CHECK(waitpid(bench, NULL, WNOHANG) == 0); /* still calling */
	out->exit_status = fs_server_term(&s, DRAIN_MS / 1000.0 + 4, &out->took_s);
	out->abandoned = fs_log_count(&s, "nng_close did not return", NULL);
	if (w != NULL)
		fs_load_request_stop(w); /* before the parked writers wake */
	atomic_store(&g_load_over, true);
	if (w != NULL) {
		fs_load_stop(w, &t);
		fs_tally_add(writes, &t);
	}
	cruddur_client_close(wc);
	fs_bench_kill(bench);
	if (out->exit_status != 0 || out->took_s > DRAIN_MS / 1000.0 + 1)
		ts_log_print(&s);
	fs_server_cleanup(&s);
}

static void
stops(void)
{
	ts_server         s;
	cruddur_call_opts o;
	fs_tally          writes = { .max_overrun_s = -1e9 };
	double            took[TRIES];
	int               exits0 = 0, in_time = 0, abandoned = 0;

	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, NULL, NULL) != 0) {
		CHECK(!"server started");
		return;
	}
	cruddur_client *c = ts_client(&s);
	CHECK_STATUS(fs_setup(c, &o), CRUDDUR_OK, &o);
	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	fs_server_cleanup(&s);

	double t0 = ts_now();
	for (int i = 0; i < TRIES; i++) {
		try_result r;
		one_try(i, &writes, &r);
		took[i] = r.took_s;
		exits0 += r.exit_status == 0;
		in_time += r.exit_status == 0 && r.took_s <= DRAIN_MS / 1000.0 + 1;
		abandoned += r.abandoned > 0;
		if (r.exit_status != 0 || r.took_s > DRAIN_MS / 1000.0 + 1)
			printf("try %d: exit %d after %.0f ms\n", i, r.exit_status, r.took_s * 1000);
	}
	qsort(took, TRIES, sizeof(took[0]), cmp_double);
	fs_tally_print("16 writers, half keyed, beside 64 bench callers (all tries)", &writes);
	printf("SIGTERM under load, --drain-timeout %d: %d of %d tries exited 0 within the drain "
	       "timeout + 1 s (%d exited 0); SIGTERM -> exit median %.0f ms, slowest %.0f ms; "
	       "nng_close outlasted its bound in %d tries; %d tries in %.1f s\n", DRAIN_MS, in_time,
	    TRIES, exits0, took[TRIES / 2] * 1000, took[TRIES - 1] * 1000, abandoned, TRIES,
	    ts_now() - t0);
	CHECK(in_time == TRIES);
	CHECK(writes.by_status[CRUDDUR_OK] > 0);
	/* The refusal of the drain, or the connection gone under a call. */
	CHECK(writes.by_status[CRUDDUR_OK] + writes.by_status[CRUDDUR_UNAVAILABLE] +
	        writes.by_status[CRUDDUR_DEADLINE_EXCEEDED] == writes.calls);
	check_writes();
}

/* ---- client closes -------------------------------------------------------------- */

typedef struct chains {
	cruddur_client *c;
	atomic_int      running; /* chains not ended */
	atomic_long     calls;
} chains;

static chains g_chains; /* static: a callback may outlive the close's frame */

static void chain_next(void);

static void
chain_done(void *arg, cruddur_status st, ProtobufCMessage *resp, const cruddur_call_opts *result)
{
	(void)arg;
	(void)st;
	(void)result;
	cruddur_message_free(resp);
	atomic_fetch_add(&g_chains.calls, 1);
	chain_next();
}

/* The chain's next HomeFeed; refused once the client is closing. */
static void
chain_next(void)
{
	Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	cruddur_call_opts            o = { .deadline_ms = 5000 };

	req.limit = 1;
	if (cruddur_activities_home_feed_async(g_chains.c, &req, &o, chain_done, NULL) != CRUDDUR_OK)
		atomic_fetch_sub(&g_chains.running, 1);
}

static void
client_closes(void)
{
	ts_server s;
	double    took[CLOSES];
	long      calls = 0;
	int       ended = 0;

	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, NULL, fs_server_env()) != 0) {
		CHECK(!"server started");
		return;
	}
	for (int i = 0; i < CLOSES; i++) {
		g_chains.c = ts_client(&s);
		atomic_store(&g_chains.running, CHAINS);
		atomic_store(&g_chains.calls, 0);
		for (int k = 0; k < CHAINS; k++)
			chain_next();
		fs_sleep_ms(30 + i % 5 * 10);
		double t0 = ts_now();
		cruddur_client_close(g_chains.c);
		took[i] = ts_now() - t0;
		ended += atomic_load(&g_chains.running) == 0;
		calls += atomic_load(&g_chains.calls);
	}
	qsort(took, CLOSES, sizeof(took[0]), cmp_double);
	printf("cruddur_client_close with %d async chains in flight: %d closes, median %.1f ms, "
	       "slowest %.1f ms; every chain ended in %d of them; %ld calls\n", CHAINS, CLOSES,
	    took[CLOSES / 2] * 1000, took[CLOSES - 1] * 1000, ended, calls);
	CHECK(took[CLOSES - 1] < 1.0);
	CHECK(ended == CLOSES);
	CHECK(calls > 0);
	CHECK(ts_server_stop(&s) == 0);
	fs_server_cleanup(&s);
}

/* ---- a frozen database host ------------------------------------------------------ */

static void
frozen_database_stop(void)
{
	fs_cluster        cl;
	ts_server         s;
	cruddur_call_opts o;
	char              url[512];
	double            took = 0;

	if (fs_cluster_start(&cl) != 0) {
		CHECK(!"cluster started");
		return;
	}
	const char *args[] = { "--db", fs_cluster_url(&cl, "cruddur_fault_frozen", url, sizeof(url)),
		"--drain-timeout", "1000", NULL };
	const char *bench_args[] = { "--concurrency", "16", "--duration", "60", "--warmup", "0",
		"--deadline", "5000", "--method", "HomeFeed:3,CreateActivity:1", NULL };
	if (ts_server_start(&s, "tcp://127.0.0.1:0", NULL, args, fs_server_env()) != 0) {
		CHECK(!"server started");
		fs_cluster_remove(&cl);
		return;
	}
	cruddur_client *c = ts_client(&s);
	CHECK_STATUS(fs_setup(c, &o), CRUDDUR_OK, &o);
	cruddur_client_close(c);
	pid_t bench = fs_bench_start(s.url, bench_args);
	fs_sleep_ms(300);
	int frozen = fs_cluster_freeze(&cl, true);
	fs_sleep_ms(500); /* the calls now wait on a host that answers nothing */
	int rv = fs_server_term(&s, DRAIN_MS / 1000.0 + 6, &took);
	printf("SIGTERM with the database host frozen (%d processes stopped), --drain-timeout %d, "
	       "16 callers: exit %d after %.0f ms; log: %d \"stop did not finish in time\"\n", frozen,
	    DRAIN_MS, rv, took * 1000, fs_log_count(&s, "stop did not finish in time", NULL));
	CHECK(frozen > 0);
	CHECK(rv == 0);
	CHECK(took < DRAIN_MS / 1000.0 + 2);
	fs_cluster_freeze(&cl, false);
	fs_bench_kill(bench);
	if (ts_failures > 0)
		ts_log_print(&s);
	fs_server_cleanup(&s);
	fs_cluster_remove(&cl);
}

int
main(void)
{
	alarm(280);
	ts_require_pg();
	if ((g.msg = calloc(MAX_ACKED, sizeof(*g.msg))) == NULL)
		return 1;
	stops();
	client_closes();
	frozen_database_stop();
	free(g.msg);
	int abandoned = cruddur_i_call_clients_abandoned();
	printf("client closes where nng_close outlasted its bound, in this process: %d\n", abandoned);
	if (abandoned > 0) {
		/* nng's reaper thread is stuck for good (socket_close.h), and
		 * ts_finish's nng_fini would wait for it for ever. */
		printf("stop_under_load_test: %s (%d failed checks)\n", ts_failures ? "FAILED" : "passed",
		    ts_failures);
		return ts_failures ? 1 : 0;
	}
	return ts_finish("stop_under_load_test");
}
