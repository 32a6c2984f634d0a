/*
 * feed_cache_hits_test.c - a cached HomeFeed page is answered on the thread
 * that received the request: with no worker and no database.
 *
 * cruddurd runs with one worker. Its first page is cached (BOUNDED reads,
 * hits counted in Stats). Then activities is locked (LOCK TABLE sends no
 * notice): a CreateActivity takes the only worker and waits on the lock,
 * a STRONG HomeFeed waits on it in the read reactor. Meanwhile 50 BOUNDED
 * HomeFeeds are each answered OK within 1 s (they would wait for the lock
 * with the worker or the reactor) and Stats (asked after the lock, as it
 * needs the worker) counts them as hits. Once the lock is gone, the write
 * and the STRONG read complete, and the next BOUNDED page shows the write
 * (it dropped the cache before it was acknowledged). A BOUNDED HomeFeed
 * with a consistency_token is then counted a bypass, not a hit.
 */
#include <stdlib.h>
#include <string.h>

#include "cruddur/stubs.h"
#include "faults.h"

#define DB "cruddur_fault_cache_hits"

typedef struct pending {
	pthread_t         tid;
	cruddur_client   *c;
	bool              strong;
	cruddur_status    st;
	cruddur_call_opts o;
	char              uuid[40]; /* the write's, or the STRONG page's first */
} pending;

static cruddur_status
feed(cruddur_client *c, bool strong, Cruddur__V1__HomeFeedResponse **page, cruddur_call_opts *o)
{
	Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;

	req.limit = 10;
	req.consistency = strong ? CRUDDUR__V1__HOME_FEED_REQUEST__CONSISTENCY__STRONG
	                         : CRUDDUR__V1__HOME_FEED_REQUEST__CONSISTENCY__BOUNDED;
	*o = ts_opts(20000);
	return cruddur_activities_home_feed(c, &req, page, o);
}

static void *
write_main(void *arg)
{
	pending                             *p = arg;
	Cruddur__V1__CreateActivityRequest   req = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
	Cruddur__V1__CreateActivityResponse *resp = NULL;
	Cruddur__V1__Author                  author = CRUDDUR__V1__AUTHOR__INIT;

	author.handle = "hotwheels";
	req.author = &author;
	req.message = "written behind the lock";
	p->o = ts_opts(20000);
	p->st = cruddur_activities_create_activity(p->c, &req, &resp, &p->o);
	if (p->st == CRUDDUR_OK && resp->activity != NULL)
		snprintf(p->uuid, sizeof(p->uuid), "%s", resp->activity->uuid);
	cruddur_message_free(resp);
	return NULL;
}

static void *
strong_main(void *arg)
{
	pending                       *p = arg;
	Cruddur__V1__HomeFeedResponse *page = NULL;

	p->st = feed(p->c, true, &page, &p->o);
	if (p->st == CRUDDUR_OK && page->n_activities > 0)
		snprintf(p->uuid, sizeof(p->uuid), "%s", page->activities[0]->uuid);
	cruddur_message_free(page);
	return NULL;
}

static int64_t
cache_figure(cruddur_client *c, bool bypassed)
{
	Cruddur__V1__GetStatsResponse *s = ts_get_stats(c, 5000);
	int64_t                        n = s == NULL || s->feed_cache == NULL ? -1
	                                 : bypassed ? s->feed_cache->bypassed : s->feed_cache->hits;

	cruddur_message_free(s);
	return n;
}

static int64_t
hits(cruddur_client *c)
{
	return cache_figure(c, false);
}

int
main(void)
{
	ts_server         s;
	cruddur_call_opts o;
	char              url[512];

	ts_require_pg();
	alarm(120);
	/* A bound of 10 s: a heartbeat late on a loaded machine (tests run two
	 * at a time, under ASan) must not make the 50 reads bypass the cache. */
	const char *args[] = { "--workers", "1", "--pool-max", "4", "--cache-bound-ms", "10000", NULL };
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, args, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	CHECK_STATUS(fs_setup(c, &o), CRUDDUR_OK, &o);
	PGconn *locker = fs_pg_connect(ts_pg_url(DB, url, sizeof(url)));
	PGconn *watcher = fs_pg_connect(url);
	CHECK(locker != NULL && watcher != NULL);

	/* Cached: once the listener listens, the second read on is a hit. */
	int64_t h0 = hits(c);
	for (double until = ts_now() + 10; hits(c) < h0 + 3 && ts_now() < until;) {
		Cruddur__V1__HomeFeedResponse *page = NULL;
		feed(c, false, &page, &o);
		cruddur_message_free(page);
	}
	CHECK(hits(c) >= h0 + 3);

	int64_t h1 = hits(c);
	CHECK(fs_lock_activities(locker) == 0);
	pending w = { .c = c }, strong = { .c = c, .strong = true };
	pthread_create(&w.tid, NULL, write_main, &w);
	pthread_create(&strong.tid, NULL, strong_main, &strong);
	CHECK(fs_wait_lock_waiters(watcher, 2, 10)); /* the worker's write and the reactor's read */
	double  slowest = 0;
	for (int i = 0; i < 50; i++) {
		Cruddur__V1__HomeFeedResponse *page = NULL;
		double t = ts_now();
		CHECK_STATUS(feed(c, false, &page, &o), CRUDDUR_OK, &o);
		if (ts_now() - t > slowest)
			slowest = ts_now() - t;
		cruddur_message_free(page);
	}
	CHECK(slowest < 1.0);
	fs_unlock(locker);
	pthread_join(w.tid, NULL);
	pthread_join(strong.tid, NULL);
	CHECK_STATUS(w.st, CRUDDUR_OK, &w.o);
	CHECK_STATUS(strong.st, CRUDDUR_OK, &strong.o);
	int64_t h2 = hits(c);
	printf("behind the lock: 50 BOUNDED HomeFeeds OK, %lld hits, slowest %.1f ms\n",
	    (long long)(h2 - h1), slowest * 1000);
	CHECK(h2 - h1 == 50);

	/* The write is in the next BOUNDED page: it dropped the cache first. */
	Cruddur__V1__HomeFeedResponse *page = NULL;
	CHECK_STATUS(feed(c, false, &page, &o), CRUDDUR_OK, &o);
	CHECK(page != NULL && page->n_activities > 0 &&
	    strcmp(page->activities[0]->uuid, w.uuid) == 0);
	cruddur_message_free(page);

	/* A BOUNDED read with a consistency_token is never a hit, even with
	 * the page cached (the read just above kept it): it bypasses. */
	int64_t h3 = hits(c), b3 = cache_figure(c, true);
	Cruddur__V1__HomeFeedRequest treq = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	treq.limit = 10;
	treq.consistency_token = "0/1";
	o = ts_opts(20000);
	CHECK_STATUS(cruddur_activities_home_feed(c, &treq, &page, &o), CRUDDUR_OK, &o);
	CHECK(page != NULL && page->n_activities > 0 &&
	    strcmp(page->activities[0]->uuid, w.uuid) == 0);
	cruddur_message_free(page);
	CHECK(hits(c) == h3);
	CHECK(cache_figure(c, true) == b3 + 1);

	PQfinish(locker);
	PQfinish(watcher);
	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	return ts_finish("feed_cache_hits_test");
}
