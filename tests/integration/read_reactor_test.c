/*
 * read_reactor_test.c - HomeFeed on the read reactor (--read-reactor on,
 * server/src/reads/) against real cruddurd processes and a private
 * PostgreSQL cluster (it is restarted in part d; the shared fixture is
 * left alone).
 *
 * a. Same pages both ways. 150 activities; 18 pages (limits 1, 3, 7, 20,
 *    default and 50, first three pages of each) read one at a time from a
 *    --read-reactor off server are the reference. 64 concurrent calls over
 *    those pages (duplicates included) must return byte for byte the same
 *    packed responses from the workers' server and from two reactor
 *    servers, --coalesce on and off. On the reactor servers the 64 calls
 *    are sent while a lock holds the pool's 4 connections, so that 60 wait
 *    in the pending FIFO; with --coalesce on the debug log's "shared feed
 *    query" lines must count all 64 requests in fewer than 64 queries.
 * b. A deadline that passes while PENDING. --pool-max 1; a HomeFeed holds
 *    the connection, waiting on a lock; a second one (deadline 300 ms)
 *    gets DEADLINE_EXCEEDED from the server ("... before a database
 *    connection was free") before the client's own 250 ms grace ends, and
 *    it is never run: PostgreSQL's statement log (log_statement = all)
 *    shows the first one's parameters once the lock goes, never the
 *    second one's.
 * c. The only connection held by a worker (CreateActivity waiting on the
 *    lock, inside its transaction). A HomeFeed waiting for it gets it
 *    once the write commits (OK, and its first row is that new activity);
 *    held past --pool-timeout 800, a HomeFeed gets RESOURCE_EXHAUSTED, and
 *    one with a 300 ms deadline queued behind it gets DEADLINE_EXCEEDED
 *    from the server on time, not when the first one's wait ends.
 * d. PostgreSQL killed (stop-immediate) and started again while 16
 *    HomeFeeds run or wait (a lock keeps them there): every call returns
 *    OK, UNAVAILABLE or DEADLINE_EXCEEDED in bounded time (the client
 *    retries HomeFeed on UNAVAILABLE), the server lives, and HomeFeed
 *    works again within 3 s.
 * e. SIGTERM with reads running and pending: released during the drain,
 *    all 9 are answered OK and the server exits 0; held past
 *    --drain-timeout 500, all 5 are answered UNAVAILABLE by the server and
 *    it exits 0 within 3 s. A call made during the drain is refused.
 * f. Pipelines (--pool-max 1 --pipeline-depth 8 --coalesce off). A first
 *    HomeFeed (deadline 1 s) holds the only connection, waiting on the
 *    lock, while 6 more wait behind it (Stats shows them waiting); when it
 *    is cancelled the 6 go out as one pipeline (Stats counts one pipeline
 *    of 6) and wait on the lock in turn.
 *    1. Deadlines of 2 s (3 calls) and 3 s (3 calls): each is answered
 *       DEADLINE_EXCEEDED by the server at its own deadline ("... before
 *       the database answered"), not at the pipeline's latest deadline
 *       nor one a second as cancels would take them, and before the
 *       client's own grace; with the lock gone the connection drains and
 *       serves again.
 *    2. Deadline 8 s, and the pipeline's backend is terminated: all 6 go
 *       back to wait, run again alone on a new connection, and are OK
 *       with their pages once the lock goes.
 *
 * Parts e and f are in read_reactor_stop_pipelines.c, the helpers they
 * share in read_reactor_calls.c.
 *
 * Every wait is bounded; a failing run kills its servers and removes its
 * cluster (an alarm does the same if something still hangs).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "read_reactor_calls.h"

/* ---- a. the same pages both ways ------------------------------------------------ */

typedef struct page_spec {
	int32_t limit;
	char    cursor[128];
	result  want; /* from the workers, one call at a time */
} page_spec;

static page_spec specs[N_SPECS];

/* The reference: the first three pages of each limit, from s_off. */
static void
make_specs(cruddur_client *off)
{
	static const int32_t limits[] = { 1, 3, 7, 20, 0, 50 };
	int                  n = 0;

	for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
		char cursor[128] = "";
		for (int page = 0; page < 3; page++, n++) {
			page_spec *p = &specs[n];
			p->limit = limits[l];
			snprintf(p->cursor, sizeof(p->cursor), "%s", cursor);
			Cruddur__V1__HomeFeedRequest   req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
			Cruddur__V1__HomeFeedResponse *resp = NULL;
			cruddur_call_opts              o = { .deadline_ms = 5000 };
			req.limit = p->limit;
			req.cursor = p->cursor;
			cruddur_status st = cruddur_activities_home_feed(off, &req, &resp, &o);
			CHECK_STATUS(st, CRUDDUR_OK, &o);
			if (st == CRUDDUR_OK)
				snprintf(cursor, sizeof(cursor), "%s", resp->next_cursor);
			CHECK(st != CRUDDUR_OK || resp->n_activities == (size_t)(limits[l] ? limits[l] : 20));
			rr_result_fill(&p->want, st, &resp->base, o.message);
		}
	}
}

/* 64 concurrent calls over the specs against c; all must equal the
 * reference. With lock (a session on the cluster), they are sent while it
 * holds activities, and it is let go once `running` of them wait on it. */
static void
same_pages(const char *label, cruddur_client *c, PGconn *lock, PGconn *watcher, int running)
{
	batch *b = malloc(sizeof(*b));
	int    equal = 0;

	rr_batch_init(b);
	if (lock != NULL)
		CHECK(fs_lock_activities(lock) == 0);
	for (int i = 0; i < N_CALLS; i++) {
		/* Duplicates follow one another closely (i / 2), and the same
		 * pages come back later (% N_SPECS). */
		const page_spec *p = &specs[(i / 2 + i * 5) % N_SPECS];
		rr_batch_add(b, c, p->limit, p->cursor, 10000, false);
	}
	if (lock != NULL) {
		CHECK(fs_wait_lock_waiters(watcher, running, 5));
		fs_sleep_ms(150); /* the other calls arrive and wait */
		fs_unlock(lock);
	}
	CHECK(rr_batch_wait(b, 10));
	for (int i = 0; i < N_CALLS; i++) {
		const page_spec *p = &specs[(i / 2 + i * 5) % N_SPECS];
		const result    *r = &b->r[i];
		if (r->st != CRUDDUR_OK) {
			ts_fail(__FILE__, __LINE__, "%s: call %d: %s (%s)", label, i,
			    cruddur_status_name(r->st), r->msg);
			continue;
		}
		if (r->len == p->want.len && r->bytes != NULL && p->want.bytes != NULL &&
		    memcmp(r->bytes, p->want.bytes, r->len) == 0)
			equal++;
		else
			ts_fail(__FILE__, __LINE__, "%s: call %d (limit %d, cursor \"%s\"): %zu bytes, "
			                            "the workers' page %zu bytes, not the same",
			    label, i, p->limit, p->cursor, r->len, p->want.len);
	}
	printf("a. %s: %d of %d concurrent pages equal the workers' one-at-a-time pages\n", label, equal,
	    N_CALLS);
	rr_batch_free(b);
	free(b);
}

/* ---- b, c. a pool of one -------------------------------------------------------- */

/* Lines of the cluster's log that hold text. */
static int
pg_log_count(const fs_cluster *pg, const char *text)
{
	char  path[128], line[8192];
	int   n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/postgres.log", pg->dir);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, text) != NULL;
	fclose(f);
	return n;
}

static void
deadline_while_pending(const fs_cluster *pg, cruddur_client *c, PGconn *lock, PGconn *watcher)
{
	batch  *b = malloc(sizeof(*b));
	result  r;

	rr_batch_init(b);
	CHECK(fs_lock_activities(lock) == 0);
	rr_batch_add(b, c, 41, "", 8000, false); /* $3 = '42' */
	CHECK(fs_wait_lock_waiters(watcher, 1, 5));
	CHECK_RES(rr_feed(c, 43, "", 300, false, &r), CRUDDUR_DEADLINE_EXCEEDED, &r);
	CHECK(strstr(r.msg, "before a database connection was free") != NULL);
	CHECK(r.took >= 0.28 && r.took < GRACE_S);
	printf("b. pending behind a held connection, deadline 300 ms: %s after %.0f ms: %s\n",
	    cruddur_status_name(r.st), r.took * 1000, r.msg);
	rr_result_clear(&r);

	fs_sleep_ms(200);
	fs_unlock(lock);
	CHECK(rr_batch_wait(b, 5));
	CHECK_RES(b->r[0].st, CRUDDUR_OK, &b->r[0]);
	fs_sleep_ms(300); /* the connection is free: a read still pending would run now */
	int ran_first = pg_log_count(pg, "$3 = '42'"), ran_late = pg_log_count(pg, "$3 = '44'");
	CHECK(ran_first == 1);
	CHECK(ran_late == 0);
	printf("b. PostgreSQL ran the holder's query %d time(s) and the expired one's %d\n", ran_first,
	    ran_late);
	rr_batch_free(b);
	free(b);
}

typedef struct writer {
	cruddur_client   *c;
	const char       *message;
	cruddur_status    st;
	cruddur_call_opts o;
	pthread_t         tid;
} writer;

static void *
writer_main(void *arg)
{
	writer *w = arg;

	w->o = (cruddur_call_opts){ .deadline_ms = 8000 };
	w->st = fs_create_activity(w->c, w->message, NULL, &w->o);
	return NULL;
}

/* A worker holds the only connection: CreateActivity inside its
 * transaction, waiting on the lock. */
static void
hold_by_worker(writer *w, cruddur_client *c, const char *message, PGconn *lock, PGconn *watcher)
{
	*w = (writer){ .c = c, .message = message };
	CHECK(fs_lock_activities(lock) == 0);
	pthread_create(&w->tid, NULL, writer_main, w);
	CHECK(fs_wait_lock_waiters(watcher, 1, 5));
}

static void
worker_holds_connection(cruddur_client *c, PGconn *lock, PGconn *watcher)
{
	writer w;
	batch *b = malloc(sizeof(*b));
	result r;

	/* 1. Freed in time: the read gets the connection after the commit. */
	hold_by_worker(&w, c, "read-reactor-test: the worker's write", lock, watcher);
	rr_batch_init(b);
	rr_batch_add(b, c, 5, "", 3000, false);
	fs_sleep_ms(300);
	fs_unlock(lock);
	pthread_join(w.tid, NULL);
	CHECK_STATUS(w.st, CRUDDUR_OK, &w.o);
	CHECK(rr_batch_wait(b, 5));
	CHECK_RES(b->r[0].st, CRUDDUR_OK, &b->r[0]);
	CHECK_STREQ(b->r[0].first_message, "read-reactor-test: the worker's write");
	CHECK(b->r[0].took >= 0.28 && b->r[0].took < 1.5);
	printf("c. waiting for a worker's connection: %s after %.0f ms, first row \"%s\"\n",
	    cruddur_status_name(b->r[0].st), b->r[0].took * 1000, b->r[0].first_message);
	rr_batch_free(b);

	/* 2. Held past --pool-timeout: RESOURCE_EXHAUSTED, and a shorter
	 * deadline behind it still ends on time. */
	hold_by_worker(&w, c, "read-reactor-test: held too long", lock, watcher);
	rr_batch_init(b);
	rr_batch_add(b, c, 5, "", 5000, false);
	fs_sleep_ms(50);
	CHECK_RES(rr_feed(c, 6, "", 300, false, &r), CRUDDUR_DEADLINE_EXCEEDED, &r);
	CHECK(strstr(r.msg, "before a database connection was free") != NULL);
	CHECK(r.took < GRACE_S);
	printf("c. behind it, deadline 300 ms: %s after %.0f ms: %s\n", cruddur_status_name(r.st),
	    r.took * 1000, r.msg);
	rr_result_clear(&r);
	CHECK(rr_batch_wait(b, 5));
	CHECK_RES(b->r[0].st, CRUDDUR_RESOURCE_EXHAUSTED, &b->r[0]);
	CHECK(b->r[0].took >= 0.75 && b->r[0].took < 2.5);
	printf("c. connection held past --pool-timeout 800: %s after %.0f ms: %s\n",
	    cruddur_status_name(b->r[0].st), b->r[0].took * 1000, b->r[0].msg);
	fs_unlock(lock);
	pthread_join(w.tid, NULL);
	CHECK_STATUS(w.st, CRUDDUR_OK, &w.o);
	CHECK_RES(rr_feed(c, 5, "", 3000, false, &r), CRUDDUR_OK, &r);
	rr_result_clear(&r);
	rr_batch_free(b);
	free(b);
}

/* ---- d. PostgreSQL restarted ------------------------------------------------------ */

static void
restart_in_flight(const fs_cluster *pg, ts_server *s, cruddur_client *c)
{
	char    url[256];
	batch  *b = malloc(sizeof(*b));
	PGconn *lock = fs_pg_connect(fs_cluster_url(pg, DB, url, sizeof(url)));
	PGconn *watcher = fs_pg_connect(url);
	result  r;

	CHECK(lock != NULL && watcher != NULL);
	if (lock == NULL || watcher == NULL)
		goto out;
	rr_batch_init(b);
	CHECK(fs_lock_activities(lock) == 0);
	for (int i = 0; i < 16; i++)
		rr_batch_add(b, c, 1 + i, "", 4000, true);
	CHECK(fs_wait_lock_waiters(watcher, 4, 5)); /* 4 run, 12 wait in the reactor */
	CHECK(fs_cluster_ctl(pg, "stop-immediate") == 0);
	fs_sleep_ms(200);
	CHECK(fs_cluster_ctl(pg, "start") == 0);
	double t_up = ts_now();
	CHECK(rr_batch_wait(b, 8));
	int ok = rr_batch_count(b, CRUDDUR_OK), unavailable = rr_batch_count(b, CRUDDUR_UNAVAILABLE),
	    late = rr_batch_count(b, CRUDDUR_DEADLINE_EXCEEDED);
	CHECK(ok + unavailable + late == 16);
	for (int i = 0; i < 16; i++)
		if (b->r[i].st != CRUDDUR_OK && b->r[i].st != CRUDDUR_UNAVAILABLE &&
		    b->r[i].st != CRUDDUR_DEADLINE_EXCEEDED)
			ts_fail(__FILE__, __LINE__, "call %d: %s (%s)", i, cruddur_status_name(b->r[i].st),
			    b->r[i].msg);
	printf("d. PostgreSQL killed under 16 reads: %d OK, %d UNAVAILABLE, %d DEADLINE_EXCEEDED\n", ok,
	    unavailable, late);
	CHECK(fs_server_alive(s));
	double first_ok = -1;
	while (ts_now() < t_up + 3) {
		if (rr_feed(c, 1, "", 1000, false, &r) == CRUDDUR_OK) {
			first_ok = ts_now() - t_up;
			rr_result_clear(&r);
			break;
		}
		rr_result_clear(&r);
		fs_sleep_ms(20);
	}
	CHECK(first_ok >= 0);
	for (int i = 0; i < 10; i++) {
		CHECK_RES(rr_feed(c, 1 + i, "", 3000, false, &r), CRUDDUR_OK, &r);
		rr_result_clear(&r);
	}
	printf("d. HomeFeed OK again %.0f ms after pg_ctl start returned\n", first_ok * 1000);
	rr_batch_free(b);
out:
	free(b);
	PQfinish(lock); /* its session died with the restart */
	PQfinish(watcher);
}

/* ---- main ------------------------------------------------------------------------- */

/* 150 feed rows a second apart, an hour old and more, that live a day. */
static const char BULK_SQL[] =
    "INSERT INTO activities (user_uuid, message, created_at, expires_at) "
    "SELECT u.uuid, 'bulk ' || g, now() - interval '1 hour' - g * interval '1 second', "
    "  now() + interval '1 day' "
    "FROM generate_series(1, 150) g JOIN users u ON u.handle = 'hotwheels'; ANALYZE activities";

int
main(void)
{
	fs_cluster        pg = { "" };
	ts_server         s_off, s_on, s_nc, s_one;
	cruddur_call_opts o;
	char              url[256], out[64];

	ts_require_pg(); /* registered with the fixture; runs on a cluster of its own */
	rr_feed_retry = cruddur_method_activities_home_feed;
	rr_feed_once = cruddur_method_activities_home_feed;
	rr_feed_once.idempotent = false;
	if (fs_cluster_start(&pg) != 0)
		return 1;
	snprintf(rr_stop_cmd, sizeof(rr_stop_cmd), "'%s/tests/pg/stop' '%s' >/dev/null 2>&1",
	    getenv("CRUDDUR_SOURCE_DIR") ? getenv("CRUDDUR_SOURCE_DIR") : ".", pg.dir);
	signal(SIGALRM, rr_on_alarm);
	alarm(90);

	static const char *const args_off[] = { "--read-reactor", "off", "--pool-max", "4", NULL };
	static const char *const args_on[] = { "--read-reactor", "on", "--coalesce", "on", "--pool-max",
		"4", "--log-level", "debug", NULL };
	static const char *const args_nc[] = { "--read-reactor", "on", "--coalesce", "off",
		"--pool-max", "4", NULL };
	static const char *const args_one[] = { "--pool-min", "1", "--pool-max", "1", "--pool-timeout",
		"800", "--coalesce", "off", NULL };
	if (rr_server_start(&s_off, &pg, args_off) != 0) {
		fs_cluster_remove(&pg);
		return 1;
	}
	cruddur_client *off = ts_client(&s_off);
	CHECK_STATUS(fs_setup(off, &o), CRUDDUR_OK, &o);
	PGconn *lock = fs_pg_connect(fs_cluster_url(&pg, DB, url, sizeof(url)));
	PGconn *watcher = fs_pg_connect(url);
	if (lock == NULL || watcher == NULL) {
		fs_server_cleanup(&s_off);
		fs_cluster_remove(&pg);
		return 1;
	}
	CHECK(fs_pg_value(watcher, BULK_SQL, out, sizeof(out)) == 0);
	/* For b: PostgreSQL logs each statement it runs, with its parameters. */
	CHECK(fs_pg_value(watcher, "ALTER DATABASE " DB " SET log_statement = 'all'", out, sizeof(out)) == 0);

	int started = rr_server_start(&s_on, &pg, args_on) == 0;
	started += rr_server_start(&s_nc, &pg, args_nc) == 0;
	started += rr_server_start(&s_one, &pg, args_one) == 0;
	CHECK(started == 3);
	if (started == 3) {
		cruddur_client *on = ts_client(&s_on), *nc = ts_client(&s_nc), *one = ts_client(&s_one);
		result          r;

		/* a. */
		make_specs(off);
		same_pages("--read-reactor off", off, NULL, NULL, 0);
		same_pages("--read-reactor on --coalesce off", nc, lock, watcher, 4);
		same_pages("--read-reactor on --coalesce on", on, lock, watcher, 4);
		int queries, requests;
		ts_log_shared_queries(&s_on, &queries, &requests);
		CHECK(requests == N_CALLS);
		CHECK(queries > 0 && queries < N_CALLS);
		printf("a. --coalesce on: %d requests shared %d queries\n", requests, queries);
		for (int i = 0; i < N_SPECS; i++)
			rr_result_clear(&specs[i].want);

		/* b, c. */
		CHECK_RES(rr_feed(one, 1, "", 5000, false, &r), CRUDDUR_OK, &r);
		rr_result_clear(&r);
		deadline_while_pending(&pg, one, lock, watcher);
		worker_holds_connection(one, lock, watcher);
		rr_server_finish(&s_one, one);
		rr_server_finish(&s_nc, nc);

		/* e, f: before d, whose restart ends the sessions of lock and
		 * watcher. */
		rr_sigterm_with_reads(&pg, true);
		rr_sigterm_with_reads(&pg, false);
		rr_pipelines(&pg);

		/* d. */
		restart_in_flight(&pg, &s_on, on);
		rr_server_finish(&s_on, on);
	}
	PQfinish(lock);
	PQfinish(watcher);
	rr_server_finish(&s_off, off);
	for (int i = 0; i < RR_MAX_SERVERS; i++)
		if (rr_servers[i] != NULL && rr_servers[i]->pid > 0)
			fs_server_cleanup(rr_servers[i]); /* kills what a failure left */
	alarm(0);
	fs_cluster_remove(&pg);
	return ts_finish("read_reactor_test");
}
