/*
 * async_failures.c - async_call_test's part on servers that fail: a server
 * whose database does not exist answers UNAVAILABLE, retried for HomeFeed
 * and for a write with an idempotency key (three attempts, in the
 * server's own counts), not for a write without one; a server killed
 * with calls in flight, or gone: the calls end through their callbacks
 * (DEADLINE_EXCEEDED); a call in flight while the server restarts on the
 * same address succeeds once it is back.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "async_batch.h"

/* A server whose database does not exist answers UNAVAILABLE. */
void
test_retries(void)
{
	const char *feed_m = "cruddur.v1.Activities/HomeFeed";
	const char *create_m = "cruddur.v1.Activities/CreateActivity";
	ts_server   s;
	call_rec    r[3];
	batch       b;

	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB_ABSENT, NULL, NULL) != 0) {
		CHECK(!"the server without a database started");
		return;
	}
	cruddur_client *c = ts_client(&s);
	batch_init(&b);
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 3; i++)
		r[i].b = &b;

	double t0 = ts_now();
	CHECK(feed_async(c, &r[0], 5, 5000) == CRUDDUR_OK);
	CHECK(batch_wait(&b, 1, 10) == 1);
	double took = ts_now() - t0;
	check_all(&r[0], 1, CRUDDUR_UNAVAILABLE, "HomeFeed, no database");
	long feeds = server_count(c, feed_m);
	printf("HomeFeed without a database: %ld attempts, %.0f ms: %s\n", feeds, took * 1000,
	    r[0].message);
	CHECK(feeds == 3);
	CHECK(took >= 0.14); /* backoffs of 50 and 100 ms */

	create_async(c, &r[1], NULL);
	CHECK(batch_wait(&b, 2, 10) == 2);
	check_all(&r[1], 1, CRUDDUR_UNAVAILABLE, "CreateActivity without a key");
	CHECK(server_count(c, create_m) == 1);

	create_async(c, &r[2], "async-call-test-key");
	CHECK(batch_wait(&b, 3, 10) == 3);
	check_all(&r[2], 1, CRUDDUR_UNAVAILABLE, "CreateActivity with a key");
	CHECK(server_count(c, create_m) == 1 + 3);

	/* The slot that waited out those backoffs serves the next call: with
	 * the server gone, its send times out, and that is not taken for a
	 * send (nng 1.5's nng_sleep_aio would leave an aio doing so). */
	CHECK(ts_server_stop(&s) == 0);
	call_rec late;
	memset(&late, 0, sizeof(late));
	late.b = &b;
	CHECK(feed_async(c, &late, 5, 300) == CRUDDUR_OK);
	CHECK(batch_wait(&b, 4, 5) == 4);
	check_all(&late, 1, CRUDDUR_DEADLINE_EXCEEDED, "after retries, server gone");

	cruddur_client_close(c);
	batch_fini(&b);
}

/* While `locker` holds the lock: a server killed with calls in flight, a
 * server that is gone, and one that comes back on the same address. */
void
test_server_gone(PGconn *locker)
{
	static call_rec recs[20];
	call_rec        late, back;
	ts_server       s;
	batch           b;

	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, NULL, NULL) != 0) {
		CHECK(!"a second server started");
		return;
	}
	cruddur_client *c = ts_client(&s);
	char            url[512];
	snprintf(url, sizeof(url), "%s", s.url);
	batch_init(&b);
	for (int i = 0; i < 20; i++) {
		memset(&recs[i], 0, sizeof(recs[i]));
		recs[i].b = &b;
		CHECK(feed_async(c, &recs[i], 5, 1000) == CRUDDUR_OK);
	}
	usleep(200000);
	double t0 = ts_now();
	kill(s.pid, SIGKILL);
	CHECK(batch_wait(&b, 20, 5) == 20);
	double took = ts_now() - t0;
	check_all(recs, 20, CRUDDUR_DEADLINE_EXCEEDED, "server killed mid-flight");
	CHECK(took < 1.0 + 0.25 + 0.5);
	ts_server_stop(&s); /* reaps it; it was killed, so no clean exit */

	/* Gone: nothing to send to, until the deadline. */
	memset(&late, 0, sizeof(late));
	late.b = &b;
	CHECK(feed_async(c, &late, 5, 300) == CRUDDUR_OK);
	CHECK(batch_wait(&b, 21, 5) == 21);
	check_all(&late, 1, CRUDDUR_DEADLINE_EXCEEDED, "server gone");

	/* Back on the same address, unstuck: the call in flight gets its reply. */
	PQclear(PQexec(locker, "ROLLBACK"));
	memset(&back, 0, sizeof(back));
	back.b = &b;
	CHECK(feed_async(c, &back, 5, 15000) == CRUDDUR_OK);
	if (ts_server_start(&s, url, DB, NULL, NULL) != 0) {
		CHECK(!"the server restarted on its address");
	} else {
		CHECK(batch_wait(&b, 22, 15) == 22);
		check_all(&back, 1, CRUDDUR_OK, "call in flight across a server restart");
	}
	cruddur_client_close(c);
	if (s.pid > 0)
		CHECK(ts_server_stop(&s) == 0);
	batch_fini(&b);
}
