/*
 * feed_consistency_test.c - HomeFeed's consistency contract
 * (docs/PROTOCOL.md, "Consistency"), checked reply by reply against the
 * writes, with the page cache on (the default) in two real cruddurd
 * servers A and B on one private cluster, while the listener's backend is
 * terminated and the database restarted.
 *
 * Writers: one through A (CreateActivity), one through B, one straight
 * into the database (libpq, as psql would). Each write is logged with the
 * time its acknowledgement was seen (CLOCK_MONOTONIC, which the servers
 * share with this process), so the time it committed is before that.
 * Readers: BOUNDED on A (two), STRONG on A, BOUNDED on B. Each notes the
 * time t before it sends, and checks its page (limit 50) against every
 * write logged before t, of the last 64:
 *   - STRONG: every write acknowledged before t;
 *   - BOUNDED from server X: every write X acknowledged before t, and every
 *     other write acknowledged before t - bound.
 * A write is reflected when the page holds it, or when the page is full
 * and its last row is newer (the write was pushed past the page). The
 * bound is the contract's (50 ms) plus 10 ms of rounding slack: the server
 * decides freshness on the same clock, so a late scheduler makes it bypass
 * the cache, never serve beyond the bound.
 *
 * Faults: after 3 s, every listener backend is ended with
 * pg_terminate_backend; after 6 s the cluster is stopped (fast) and
 * started. Calls may fail meanwhile; every OK reply is still checked. At
 * the end both servers listen again and the cache is hit again.
 *
 * Then: the notification delay (a write by libpq until A's BOUNDED reply
 * shows it), printed; an edit by psql itself shown within the bound; and
 * expiry: an activity that expires 1.5 s after it
 * is written, its page cached (hits counted), is not served after; and
 * migration 0006 rolled back: neither server uses its cache.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cruddur/stubs.h"
#include "faults.h"

#define DB          "cruddur_fault_feed"
#define BOUND_S     0.050
#define SLACK_S     0.010
#define LIMIT       50
#define MAX_WRITES  20000
#define RECENT      64
#define RUN_S       9.0

enum { SRC_A, SRC_B, SRC_PG };

typedef struct write_rec {
	char    uuid[37];
	int64_t created_us;
	double  acked;
	int     src;
} write_rec;

static struct {
	pthread_mutex_t mtx;
	write_rec      *w;
	int             n;
} g_log = { .mtx = PTHREAD_MUTEX_INITIALIZER };

static atomic_bool g_stop;
static atomic_long g_checked, g_violations, g_ok_reads[4];
static char        g_url_pg[256];
static cruddur_client *g_a, *g_b;

static void
log_write(const char *uuid, int64_t created_us, int src)
{
	double now = ts_now();

	pthread_mutex_lock(&g_log.mtx);
	if (g_log.n < MAX_WRITES) {
		write_rec *r = &g_log.w[g_log.n++];
		snprintf(r->uuid, sizeof(r->uuid), "%s", uuid);
		r->created_us = created_us;
		r->acked = now;
		r->src = src;
	}
	pthread_mutex_unlock(&g_log.mtx);
}

/* A page reflects w: it holds it, or it is full and its last row sorts
 * after w (created_at DESC, uuid DESC). */
static bool
reflected(const Cruddur__V1__HomeFeedResponse *p, const write_rec *w)
{
	for (size_t i = 0; i < p->n_activities; i++)
		if (strcmp(p->activities[i]->uuid, w->uuid) == 0)
			return true;
	if (p->n_activities < LIMIT)
		return false;
	const Cruddur__V1__Activity *last = p->activities[p->n_activities - 1];
	return last->created_at_us > w->created_us ||
	    (last->created_at_us == w->created_us && strcmp(last->uuid, w->uuid) > 0);
}

typedef struct reader_cfg {
	int  index;
	int  server; /* SRC_A or SRC_B */
	bool strong;
} reader_cfg;

static cruddur_status
read_page(cruddur_client *c, bool strong, Cruddur__V1__HomeFeedResponse **page,
    cruddur_call_opts *o)
{
	Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;

	req.limit = LIMIT;
	req.consistency = strong ? CRUDDUR__V1__HOME_FEED_REQUEST__CONSISTENCY__STRONG
	                         : CRUDDUR__V1__HOME_FEED_REQUEST__CONSISTENCY__BOUNDED;
	*o = ts_opts(3000);
	return cruddur_activities_home_feed(c, &req, page, o);
}

/* The writes one reply must reflect, checked; returns the violations. */
static long
check_page(const reader_cfg *rc, double t, const Cruddur__V1__HomeFeedResponse *p)
{
	long bad = 0;
	int  n;

	pthread_mutex_lock(&g_log.mtx);
	n = g_log.n;
	pthread_mutex_unlock(&g_log.mtx);
	for (int i = n - 1, seen = 0; i >= 0 && seen < RECENT; i--) {
		const write_rec *w = &g_log.w[i]; /* written once, before n was read */
		if (w->acked >= t)
			continue;
		seen++;
		bool must = rc->strong || w->src == rc->server || w->acked < t - BOUND_S - SLACK_S;
		if (!must)
			continue;
		atomic_fetch_add(&g_checked, 1);
		if (!reflected(p, w)) {
			bad++;
			if (atomic_fetch_add(&g_violations, 1) < 5)
				fprintf(stderr,
				    "violation: reader %d (%s from %c) sent %.3f s after write %s (source %d) "
				    "was acknowledged, page of %zu does not show it\n",
				    rc->index, rc->strong ? "STRONG" : "BOUNDED", rc->server == SRC_A ? 'A' : 'B',
				    t - w->acked, w->uuid, w->src, p->n_activities);
		}
	}
	return bad;
}

static void *
reader_main(void *arg)
{
	reader_cfg       *rc = arg;
	cruddur_client   *c = rc->server == SRC_A ? g_a : g_b;
	cruddur_call_opts o;

	while (!atomic_load(&g_stop)) {
		Cruddur__V1__HomeFeedResponse *p = NULL;
		double t = ts_now();
		if (read_page(c, rc->strong, &p, &o) == CRUDDUR_OK && p != NULL) {
			check_page(rc, t, p);
			atomic_fetch_add(&g_ok_reads[rc->index], 1);
		} else
			fs_sleep_ms(20);
		cruddur_message_free(p);
	}
	return NULL;
}

static void *
server_writer(void *arg)
{
	int               src = (int)(intptr_t)arg;
	cruddur_client   *c = src == SRC_A ? g_a : g_b;
	cruddur_call_opts o;
	char              msg[64];

	for (int i = 0; !atomic_load(&g_stop); i++) {
		Cruddur__V1__CreateActivityRequest   req = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
		Cruddur__V1__CreateActivityResponse *resp = NULL;
		Cruddur__V1__Author                  author = CRUDDUR__V1__AUTHOR__INIT;
		author.handle = "hotwheels";
		req.author = &author;
		snprintf(msg, sizeof(msg), "feed-contract-%c-%d", src == SRC_A ? 'A' : 'B', i);
		req.message = msg;
		o = ts_opts(3000);
		if (cruddur_activities_create_activity(c, &req, &resp, &o) == CRUDDUR_OK &&
		    resp->activity != NULL)
			log_write(resp->activity->uuid, resp->activity->created_at_us, src);
		else
			fs_sleep_ms(20);
		cruddur_message_free(resp);
		fs_sleep_ms(7);
	}
	return NULL;
}

#define PG_INSERT                                                                     \
	"INSERT INTO activities (user_uuid, message) SELECT uuid, $1 FROM users "          \
	"WHERE handle = 'hotwheels' RETURNING uuid, "                                     \
	"(extract(epoch FROM created_at) * 1000000)::bigint"

/* One insert straight into the database; logged when it committed. */
static bool
pg_insert(PGconn **pg, const char *msg, char uuid[37], int64_t *created)
{
	if (*pg == NULL || PQstatus(*pg) != CONNECTION_OK) {
		PQfinish(*pg);
		*pg = PQconnectdb(g_url_pg);
		if (PQstatus(*pg) != CONNECTION_OK)
			return false;
	}
	const char *params[1] = { msg };
	PGresult   *res = PQexecParams(*pg, PG_INSERT, 1, NULL, params, NULL, NULL, 0);
	bool        ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (ok) {
		snprintf(uuid, 37, "%s", PQgetvalue(res, 0, 0));
		*created = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	}
	PQclear(res);
	return ok;
}

static void *
pg_writer(void *arg)
{
	PGconn *pg = NULL;
	char    msg[64], uuid[37];
	int64_t created;
	(void)arg;

	for (int i = 0; !atomic_load(&g_stop); i++) {
		snprintf(msg, sizeof(msg), "feed-contract-pg-%d", i);
		if (pg_insert(&pg, msg, uuid, &created))
			log_write(uuid, created, SRC_PG);
		else
			fs_sleep_ms(50);
		fs_sleep_ms(7);
	}
	PQfinish(pg);
	return NULL;
}

/* Ends every listener's backend (its last query is a heartbeat). */
static int
terminate_listeners(void)
{
	char    out[32] = "";
	PGconn *pg = fs_pg_connect(g_url_pg);

	if (pg == NULL)
		return -1;
	fs_pg_value(pg,
	    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
	    "WHERE query LIKE 'SELECT pg_notify(''cruddur_feed_hb_%'",
	    out, sizeof(out));
	PQfinish(pg);
	return atoi(out);
}

static Cruddur__V1__FeedCacheStats
cache_stats(cruddur_client *c)
{
	Cruddur__V1__FeedCacheStats    fs = CRUDDUR__V1__FEED_CACHE_STATS__INIT;
	Cruddur__V1__GetStatsResponse *s = ts_get_stats(c, 5000);
	static char                    state[32];

	if (s != NULL && s->feed_cache != NULL) {
		fs = *s->feed_cache;
		snprintf(state, sizeof(state), "%s", s->feed_cache->listener_state);
		fs.listener_state = state;
	}
	cruddur_message_free(s);
	return fs;
}

/* Waits (at most 30 s) until c's listener listens again. */
static bool
wait_listening(cruddur_client *c)
{
	for (double until = ts_now() + 30; ts_now() < until; fs_sleep_ms(100))
		if (strcmp(cache_stats(c).listener_state, "listening") == 0)
			return true;
	return false;
}

static void
run_contract(fs_cluster *pg)
{
	pthread_t  readers[4], writers[3];
	reader_cfg rc[4] = { { 0, SRC_A, false }, { 1, SRC_A, false }, { 2, SRC_A, true },
		{ 3, SRC_B, false } };

	atomic_init(&g_stop, false);
	for (int i = 0; i < 4; i++)
		pthread_create(&readers[i], NULL, reader_main, &rc[i]);
	pthread_create(&writers[0], NULL, server_writer, (void *)(intptr_t)SRC_A);
	pthread_create(&writers[1], NULL, server_writer, (void *)(intptr_t)SRC_B);
	pthread_create(&writers[2], NULL, pg_writer, NULL);
	double t0 = ts_now();
	fs_sleep_ms(3000);
	int ended = terminate_listeners();
	printf("terminated %d listener backends at %.1f s\n", ended, ts_now() - t0);
	CHECK(ended == 2);
	fs_sleep_ms(3000);
	CHECK(fs_cluster_ctl(pg, "stop-fast") == 0);
	fs_sleep_ms(300);
	CHECK(fs_cluster_ctl(pg, "start") == 0);
	printf("restarted the database at %.1f s\n", ts_now() - t0);
	while (ts_now() - t0 < RUN_S)
		fs_sleep_ms(100);
	atomic_store(&g_stop, true);
	for (int i = 0; i < 3; i++)
		pthread_join(writers[i], NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(readers[i], NULL);
	printf("writes %d, replies checked against %ld writes, violations %ld; OK reads %ld %ld "
	       "%ld %ld\n",
	    g_log.n, atomic_load(&g_checked), atomic_load(&g_violations), atomic_load(&g_ok_reads[0]),
	    atomic_load(&g_ok_reads[1]), atomic_load(&g_ok_reads[2]), atomic_load(&g_ok_reads[3]));
	CHECK(atomic_load(&g_violations) == 0);
	CHECK(g_log.n > 100 && atomic_load(&g_checked) > 1000);
	for (int i = 0; i < 4; i++)
		CHECK(atomic_load(&g_ok_reads[i]) > 10);
}

/* After the faults: both listen again, and A's cache is hit again. */
static void
check_recovered(void)
{
	cruddur_call_opts o;

	CHECK(wait_listening(g_a));
	CHECK(wait_listening(g_b));
	Cruddur__V1__FeedCacheStats before = cache_stats(g_a);
	for (int i = 0; i < 20; i++) {
		Cruddur__V1__HomeFeedResponse *p = NULL;
		CHECK_STATUS(read_page(g_a, false, &p, &o), CRUDDUR_OK, &o);
		cruddur_message_free(p);
	}
	Cruddur__V1__FeedCacheStats after = cache_stats(g_a);
	printf("A after the faults: %s, hits %lld -> %lld, notices %lld\n", after.listener_state,
	    (long long)before.hits, (long long)after.hits, (long long)after.notices);
	CHECK(after.hits - before.hits >= 15);
	CHECK(after.bypassed > 0 && after.notices > 0);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* A write straight into the database until A's BOUNDED reply shows it,
 * 40 times, while cruddur-bench loads A with HomeFeed (C=16, mostly hits)
 * and CreateActivity through B sends A notices. */
static void
measure_delay(const char *url_a, const char *url_b)
{
	const char *feed_args[] = { "--concurrency", "16", "--duration", "120", "--limit", "20",
		NULL };
	const char *write_args[] = { "--concurrency", "1", "--duration", "120", "--rate", "50",
		"--method", "CreateActivity", NULL };
	pid_t       load = fs_bench_start(url_a, feed_args), writes = fs_bench_start(url_b, write_args);

	PGconn           *pg = NULL;
	double            d[40];
	int               n = 0;
	cruddur_call_opts o;
	char              msg[64];
	write_rec         w = { .src = SRC_PG };

	for (int i = 0; i < 40; i++) {
		snprintf(msg, sizeof(msg), "feed-delay-%d", i);
		/* The page cached first, so that only a notice can refresh it. */
		for (int k = 0; k < 3; k++) {
			Cruddur__V1__HomeFeedResponse *p = NULL;
			read_page(g_a, false, &p, &o);
			cruddur_message_free(p);
		}
		if (!pg_insert(&pg, msg, w.uuid, &w.created_us))
			continue;
		double acked = ts_now();
		for (;;) {
			Cruddur__V1__HomeFeedResponse *p = NULL;
			double t = ts_now();
			if (read_page(g_a, false, &p, &o) == CRUDDUR_OK && reflected(p, &w)) {
				d[n++] = t - acked;
				cruddur_message_free(p);
				break;
			}
			cruddur_message_free(p);
			CHECK(t - acked < BOUND_S + SLACK_S); /* the contract */
			if (t - acked > 2)
				break;
		}
		fs_sleep_ms(20);
	}
	PQfinish(pg);
	fs_bench_kill(load);
	fs_bench_kill(writes);
	CHECK(load > 0 && writes > 0);
	CHECK(n >= 30);
	if (n == 0)
		return;
	qsort(d, (size_t)n, sizeof(d[0]), cmp_double);
	printf("notification delay (libpq commit -> A's BOUNDED reply shows it), %d writes: "
	       "p50 %.2f ms, p90 %.2f ms, max %.2f ms (bound %.0f ms)\n",
	    n, d[n / 2] * 1e3, d[n * 9 / 10] * 1e3, d[n - 1] * 1e3, BOUND_S * 1e3);
}

/* An edit by psql (a process of its own) of the newest activity, while
 * A's first page is cached: A's BOUNDED replies show it within the bound
 * after psql returned. */
static void
check_psql_edit(void)
{
	cruddur_call_opts              o;
	Cruddur__V1__HomeFeedResponse *p = NULL;
	char                           cmd[768], uuid[40] = "";

	for (int k = 0; k < 3; k++) {
		cruddur_message_free(p);
		p = NULL;
		CHECK_STATUS(read_page(g_a, false, &p, &o), CRUDDUR_OK, &o);
	}
	if (p == NULL || p->n_activities == 0) {
		CHECK(!"a page to edit");
		cruddur_message_free(p);
		return;
	}
	snprintf(uuid, sizeof(uuid), "%s", p->activities[0]->uuid);
	cruddur_message_free(p);
	snprintf(cmd, sizeof(cmd),
	    "psql -X -q -v ON_ERROR_STOP=1 '%s' -c \"UPDATE activities SET message = "
	    "'edited-by-psql' WHERE uuid = '%s'\" >/dev/null",
	    g_url_pg, uuid);
	CHECK(system(cmd) == 0);
	double done = ts_now();
	for (bool seen = false; !seen;) {
		double t = ts_now();
		p = NULL;
		const char *msg = "(not on the page)";
		if (read_page(g_a, false, &p, &o) == CRUDDUR_OK && p != NULL)
			for (size_t k = 0; k < p->n_activities; k++)
				if (strcmp(p->activities[k]->uuid, uuid) == 0)
					msg = p->activities[k]->message;
		seen = strcmp(msg, "edited-by-psql") == 0;
		if (!seen && t - done >= BOUND_S + SLACK_S) {
			fprintf(stderr, "%.2f ms after psql: %s, %zu activities\n", (t - done) * 1e3, msg,
			    p != NULL ? p->n_activities : 0);
			CHECK(!"psql's edit shown within the bound");
			cruddur_message_free(p);
			break;
		}
		cruddur_message_free(p);
	}
	printf("psql's edit shown by A's BOUNDED reply %.2f ms after psql returned\n",
	    (ts_now() - done) * 1e3);
}

/* An activity that expires while its page is cached is not served. */
static void
check_expiry(void)
{
	PGconn           *pg = fs_pg_connect(g_url_pg);
	cruddur_call_opts o;
	char              uuid[64] = "";

	CHECK(pg != NULL);
	if (pg == NULL)
		return;
	CHECK(fs_pg_value(pg,
	          "INSERT INTO activities (user_uuid, message, expires_at) SELECT uuid, "
	          "'feed-expiring', clock_timestamp() + interval '1500 ms' FROM users "
	          "WHERE handle = 'hotwheels' RETURNING uuid",
	          uuid, sizeof(uuid)) == 0);
	PQfinish(pg);
	fs_sleep_ms(200); /* its notice has come */
	Cruddur__V1__FeedCacheStats s0 = cache_stats(g_a);
	for (int i = 0; i < 5; i++) {
		Cruddur__V1__HomeFeedResponse *p = NULL;
		CHECK_STATUS(read_page(g_a, false, &p, &o), CRUDDUR_OK, &o);
		if (p != NULL && i == 4) {
			bool there = false;
			for (size_t k = 0; k < p->n_activities; k++)
				there |= strcmp(p->activities[k]->uuid, uuid) == 0;
			CHECK(there);
		}
		cruddur_message_free(p);
	}
	Cruddur__V1__FeedCacheStats s1 = cache_stats(g_a);
	CHECK(s1.hits - s0.hits >= 3); /* the page was served from the cache */
	fs_sleep_ms(1600);
	Cruddur__V1__HomeFeedResponse *p = NULL;
	CHECK_STATUS(read_page(g_a, false, &p, &o), CRUDDUR_OK, &o);
	for (size_t k = 0; p != NULL && k < p->n_activities; k++)
		CHECK(strcmp(p->activities[k]->uuid, uuid) != 0);
	cruddur_message_free(p);
	Cruddur__V1__FeedCacheStats s2 = cache_stats(g_a);
	printf("expiry: hits %lld -> %lld -> %lld, notices %lld -> %lld\n", (long long)s0.hits,
	    (long long)s1.hits, (long long)s2.hits, (long long)s1.notices, (long long)s2.notices);
}

/* Migration 0006 rolled back (through A): no notice comes any more, so
 * neither server may use its cache; a write by libpq is in the BOUNDED
 * replies of both once the bound has passed. Then migrated again. */
static void
check_without_triggers(void)
{
	Cruddur__V1__RollbackRequest   rq = CRUDDUR__V1__ROLLBACK_REQUEST__INIT;
	Cruddur__V1__RollbackResponse *rr = NULL;
	Cruddur__V1__MigrateRequest    mq = CRUDDUR__V1__MIGRATE_REQUEST__INIT;
	Cruddur__V1__MigrateResponse  *mr = NULL;
	cruddur_call_opts              o = ts_opts(30000);
	cruddur_client                *both[2] = { g_a, g_b };
	PGconn                        *pg = NULL;
	write_rec                      w = { .src = SRC_PG };

	rq.steps = 1;
	CHECK_STATUS(cruddur_db_admin_rollback(g_a, &rq, &rr, &o), CRUDDUR_OK, &o);
	cruddur_message_free(rr);
	for (int i = 0; i < 2; i++) {
		double until = ts_now() + 10;
		while (strcmp(cache_stats(both[i]).listener_state, "listening") == 0 && ts_now() < until)
			fs_sleep_ms(50);
		CHECK(strcmp(cache_stats(both[i]).listener_state, "listening") != 0);
	}
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 3; k++) {
			Cruddur__V1__HomeFeedResponse *p = NULL;
			read_page(both[i], false, &p, &o);
			cruddur_message_free(p);
		}
	CHECK(pg_insert(&pg, "feed-no-triggers", w.uuid, &w.created_us));
	PQfinish(pg);
	fs_sleep_ms((int)((BOUND_S + SLACK_S) * 1000));
	for (int i = 0; i < 2; i++) {
		Cruddur__V1__HomeFeedResponse *p = NULL;
		CHECK_STATUS(read_page(both[i], false, &p, &o), CRUDDUR_OK, &o);
		CHECK(p != NULL && reflected(p, &w));
		cruddur_message_free(p);
	}
	printf("without the triggers: A %s, B %s\n", cache_stats(g_a).listener_state,
	    cache_stats(g_b).listener_state);
	o = ts_opts(30000);
	CHECK_STATUS(cruddur_db_admin_migrate(g_a, &mq, &mr, &o), CRUDDUR_OK, &o);
	cruddur_message_free(mr);
	CHECK(wait_listening(g_a) && wait_listening(g_b));
}

int
main(void)
{
	fs_cluster        pg = { "" };
	ts_server         a, b;
	cruddur_call_opts o;

	alarm(200);
	if ((g_log.w = calloc(MAX_WRITES, sizeof(*g_log.w))) == NULL || fs_cluster_start(&pg) != 0)
		return 1;
	fs_cluster_url(&pg, DB, g_url_pg, sizeof(g_url_pg));
	const char *args[] = { "--pool-min", "2", "--pool-max", "6", NULL };
	if (fs_cluster_server_start(&a, &pg, DB, args) != 0) {
		fs_cluster_remove(&pg);
		return 1;
	}
	g_a = ts_client(&a);
	CHECK_STATUS(fs_setup(g_a, &o), CRUDDUR_OK, &o);
	if (fs_cluster_server_start(&b, &pg, DB, args) != 0) {
		fs_server_kill(&a);
		fs_cluster_remove(&pg);
		return 1;
	}
	g_b = ts_client(&b);
	CHECK(wait_listening(g_a) && wait_listening(g_b));

	run_contract(&pg);
	check_recovered();
	measure_delay(a.url, b.url);
	check_psql_edit();
	check_expiry();
	check_without_triggers();

	cruddur_client_close(g_a);
	cruddur_client_close(g_b);
	fs_server_finish(&a);
	fs_server_finish(&b);
	fs_cluster_remove(&pg);
	free(g_log.w);
	return ts_finish("feed_consistency_test");
}
