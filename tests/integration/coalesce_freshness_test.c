/*
 * coalesce_freshness_test.c - HomeFeed read coalescing never serves a
 * reply staler than a direct query would be.
 *
 * A writer creates activities one after another ("fresh N", N = 1, 2, ...)
 * and, after each CreateActivity has returned (committed), publishes N.
 * Eight readers call HomeFeed (first page, the same limit: one coalescing
 * key) in a loop; each reads the published N BEFORE sending its call, and
 * its reply must contain "fresh M" with M >= N: a reader that started
 * after an insert committed must see it on page 1. Joining a query that
 * was already running when the reader arrived would break this; the
 * readers overlap so much that, were it allowed, it would happen within
 * the run.
 *
 * The test also checks that coalescing really happened: cruddurd runs with
 * --log-level debug, which logs each shared query with the number of
 * requests it answered; some must have answered more than one. It runs
 * with HomeFeed started on the receiving thread (--read-reactor on) and on
 * the workers (--read-reactor off); either way the read reactor, the
 * server's one coalescer, reads the page. And with CRUDDUR_COALESCE=off the
 * same load passes too (the control).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define DB "cruddur_coalesce_test"
#define READERS 8
#define WRITES 300

static cruddur_client *client;
static atomic_long     committed;   /* the last N whose CreateActivity returned */
static atomic_bool     writer_done;
static atomic_long     stale, reads, read_errors, write_errors;

static void *
writer_main(void *arg)
{
	(void)arg;
	for (long n = 1; n <= WRITES; n++) {
		Cruddur__V1__CreateActivityRequest   req = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
		Cruddur__V1__Author                  author = CRUDDUR__V1__AUTHOR__INIT;
		Cruddur__V1__CreateActivityResponse *resp = NULL;
		cruddur_call_opts                    opts = ts_opts(10000);
		char                                 msg[64];

		snprintf(msg, sizeof(msg), "fresh %ld", n);
		author.handle = "hotwheels";
		req.author = &author;
		req.message = msg;
		if (cruddur_activities_create_activity(client, &req, &resp, &opts) != CRUDDUR_OK) {
			fprintf(stderr, "CreateActivity %ld: %s\n", n, opts.message);
			atomic_fetch_add(&write_errors, 1);
			continue;
		}
		cruddur_message_free(resp);
		atomic_store(&committed, n);
	}
	atomic_store(&writer_done, true);
	return NULL;
}

/* The largest N of the "fresh N" activities on the page; 0 if none. */
static long
newest_fresh(const Cruddur__V1__HomeFeedResponse *resp)
{
	long newest = 0;
	for (size_t i = 0; i < resp->n_activities; i++) {
		long n;
		if (sscanf(resp->activities[i]->message, "fresh %ld", &n) == 1 && n > newest)
			newest = n;
	}
	return newest;
}

static void *
reader_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&writer_done)) {
		Cruddur__V1__HomeFeedRequest   req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
		Cruddur__V1__HomeFeedResponse *resp = NULL;
		cruddur_call_opts              opts = ts_opts(10000);

		req.limit = 5;
		long before = atomic_load(&committed); /* read before the call starts */
		if (cruddur_activities_home_feed(client, &req, &resp, &opts) != CRUDDUR_OK) {
			fprintf(stderr, "HomeFeed: %s\n", opts.message);
			atomic_fetch_add(&read_errors, 1);
			continue;
		}
		long seen = newest_fresh(resp);
		if (seen < before) {
			fprintf(stderr, "stale reply: fresh %ld had committed before the call, page 1 "
			                "shows only up to fresh %ld\n", before, seen);
			atomic_fetch_add(&stale, 1);
		}
		atomic_fetch_add(&reads, 1);
		cruddur_message_free(resp);
	}
	return NULL;
}

/* One run with coalescing on or off, HomeFeed started on the receiving
 * thread or on a worker (--read-reactor on or off). */
static void
run(const char *coalesce, const char *reactor)
{
	const char *args[] = { "--log-level", "debug", "--workers", "16", "--read-reactor", reactor,
		NULL };
	char        env_var[64];
	ts_server   s;
	pthread_t   w, r[READERS];

	snprintf(env_var, sizeof(env_var), "CRUDDUR_COALESCE=%s", coalesce);
	const char *env[] = { env_var, NULL };
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, args, env) != 0) {
		CHECK(!"cruddurd starts");
		return;
	}
	client = ts_client(&s);
	ts_db_setup_migrated(client, DB);
	atomic_store(&committed, 0);
	atomic_store(&writer_done, false);
	atomic_store(&stale, 0);
	atomic_store(&reads, 0);
	for (int i = 0; i < READERS; i++)
		pthread_create(&r[i], NULL, reader_main, NULL);
	pthread_create(&w, NULL, writer_main, NULL);
	pthread_join(w, NULL);
	for (int i = 0; i < READERS; i++)
		pthread_join(r[i], NULL);
	cruddur_client_close(client);
	/* Queries shared by more than one request; before stopping: that removes the log. */
	int shared = ts_log_shared_queries(&s, NULL, NULL);
	CHECK(ts_server_stop(&s) == 0);

	printf("coalesce %s, read reactor %s: %ld reads, %ld stale, %d shared queries\n", coalesce,
	    reactor, atomic_load(&reads), atomic_load(&stale), shared);
	CHECK(atomic_load(&write_errors) == 0);
	CHECK(atomic_load(&read_errors) == 0);
	CHECK(atomic_load(&reads) > WRITES); /* the readers really overlapped the writes */
	CHECK(atomic_load(&stale) == 0);
	if (strcmp(coalesce, "on") == 0)
		CHECK(shared > 0); /* otherwise the test proves nothing */
	else
		CHECK(shared == 0);
}

int
main(void)
{
	ts_require_pg();
	run("on", "on");
	run("on", "off");
	run("off", "on");
	return ts_finish("coalesce_freshness_test");
}
