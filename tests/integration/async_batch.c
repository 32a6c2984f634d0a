/*
 * async_batch.c - batches of async calls and their checks, shared by
 * async_call_test's parts; see async_batch.h.
 *
 * The answers learn_answers records are written before any async call is
 * made and only read by callbacks afterwards.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "async_batch.h"

/* The answers of blocking calls, to compare the async ones with. */
static char   feed_uuids[20][37];
static size_t feed_rows;
static char   user_names[2][128];
const char *const handles[2] = { "hotwheels", "getFullOrDieTryin" };

void
batch_init(batch *b)
{
	pthread_mutex_init(&b->mtx, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->finished = 0;
}

void
batch_fini(batch *b)
{
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mtx);
}

int
batch_finished(batch *b)
{
	pthread_mutex_lock(&b->mtx);
	int n = b->finished;
	pthread_mutex_unlock(&b->mtx);
	return n;
}

int
batch_wait(batch *b, int n, double timeout_s)
{
	double until = ts_now() + timeout_s;

	pthread_mutex_lock(&b->mtx);
	while (b->finished < n && ts_now() < until) {
		pthread_mutex_unlock(&b->mtx);
		usleep(2000);
		pthread_mutex_lock(&b->mtx);
	}
	int done = b->finished;
	pthread_mutex_unlock(&b->mtx);
	return done;
}

static bool
feed_matches(const call_rec *r, const Cruddur__V1__HomeFeedResponse *f)
{
	size_t want = feed_rows < (size_t)r->limit ? feed_rows : (size_t)r->limit;

	if (f->n_activities != want)
		return false;
	for (size_t i = 0; i < want; i++)
		if (strcmp(f->activities[i]->uuid, feed_uuids[i]) != 0)
			return false;
	return true;
}

static bool
user_matches(const call_rec *r, const Cruddur__V1__GetUserResponse *u)
{
	int k = strcmp(r->handle, handles[0]) == 0 ? 0 : 1;
	return u->user != NULL && strcmp(u->user->handle, r->handle) == 0 &&
	    strcmp(u->user->display_name, user_names[k]) == 0;
}

void
on_done(void *arg, cruddur_status st, ProtobufCMessage *resp, const cruddur_call_opts *result)
{
	call_rec *r = arg;

	atomic_fetch_add(&r->calls, 1);
	r->st = st;
	snprintf(r->message, sizeof(r->message), "%s", result->message);
	if (st == CRUDDUR_OK && resp == NULL)
		r->content_ok = false;
	else if (st != CRUDDUR_OK)
		r->content_ok = resp == NULL && result->message[0] != '\0';
	else if (r->want == WANT_FEED)
		r->content_ok = feed_matches(r, (const Cruddur__V1__HomeFeedResponse *)(void *)resp);
	else if (r->want == WANT_USER)
		r->content_ok = user_matches(r, (const Cruddur__V1__GetUserResponse *)(void *)resp);
	else
		r->content_ok = true;
	cruddur_message_free(resp);
	pthread_mutex_lock(&r->b->mtx);
	r->b->finished++;
	pthread_cond_signal(&r->b->cv);
	pthread_mutex_unlock(&r->b->mtx);
}

cruddur_status
feed_async(cruddur_client *c, call_rec *r, int32_t limit, uint32_t deadline_ms)
{
	Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	cruddur_call_opts            o = ts_opts(deadline_ms);

	r->want = WANT_FEED;
	r->limit = req.limit = limit;
	/* STRONG: these calls are about the database path (stuck behind a lock,
	 * a server killed mid-query); a page cache hit would answer them at once. */
	req.consistency = CRUDDUR__V1__HOME_FEED_REQUEST__CONSISTENCY__STRONG;
	cruddur_status st = cruddur_activities_home_feed_async(c, &req, &o, on_done, r);
	if (st != CRUDDUR_OK)
		fprintf(stderr, "home_feed_async: %s: %s\n", cruddur_status_name(st), o.message);
	return st;
}

void
learn_answers(cruddur_client *c)
{
	Cruddur__V1__HomeFeedResponse *feed = NULL;
	cruddur_call_opts              o;

	CHECK_STATUS(ts_home_feed(c, 20, NULL, true, 5000, &feed, &o), CRUDDUR_OK, &o);
	for (size_t i = 0; feed != NULL && i < feed->n_activities && i < 20; i++)
		snprintf(feed_uuids[i], sizeof(feed_uuids[i]), "%s", feed->activities[i]->uuid);
	feed_rows = feed != NULL ? feed->n_activities : 0;
	CHECK(feed_rows == 20);
	cruddur_message_free(feed);
	for (int k = 0; k < 2; k++) {
		Cruddur__V1__GetUserRequest   ureq = CRUDDUR__V1__GET_USER_REQUEST__INIT;
		Cruddur__V1__GetUserResponse *user = NULL;
		ureq.handle = (char *)handles[k];
		CHECK_STATUS(cruddur_users_get_user(c, &ureq, &user, &o), CRUDDUR_OK, &o);
		if (user != NULL && user->user != NULL)
			snprintf(user_names[k], sizeof(user_names[k]), "%s", user->user->display_name);
		cruddur_message_free(user);
	}
	CHECK_STREQ(user_names[0], "Pop Goes the Weasel");
}

void
check_all(call_rec *recs, int n, cruddur_status want, const char *what)
{
	int  once = 0, right = 0, good = 0;
	bool told = false;

	for (int i = 0; i < n; i++) {
		once += atomic_load(&recs[i].calls) == 1;
		right += recs[i].st == want;
		good += recs[i].content_ok;
		if ((recs[i].st != want || !recs[i].content_ok) && !told) {
			fprintf(stderr, "%s: call %d: %s (%s)\n", what, i, cruddur_status_name(recs[i].st),
			    recs[i].message);
			told = true;
		}
	}
	printf("%s: %d calls, %d called back once, %d %s, %d with the right content\n", what, n, once,
	    right, cruddur_status_name(want), good);
	CHECK(once == n);
	CHECK(right == n);
	CHECK(good == n);
}

long
server_count(cruddur_client *c, const char *method)
{
	Cruddur__V1__GetStatsResponse *resp = ts_get_stats(c, 5000);
	long                           n = 0;

	for (size_t i = 0; resp != NULL && i < resp->n_methods; i++)
		if (strcmp(resp->methods[i]->method, method) == 0)
			n = (long)resp->methods[i]->count;
	cruddur_message_free(resp);
	return n;
}

void
create_async(cruddur_client *c, call_rec *r, const char *key)
{
	Cruddur__V1__CreateActivityRequest req = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
	Cruddur__V1__Author                author = CRUDDUR__V1__AUTHOR__INIT;
	cruddur_call_opts                  o = ts_opts(5000);

	author.handle = "hotwheels";
	req.author = &author;
	req.message = "written while the database is missing";
	req.idempotency_key = (char *)key;
	r->want = WANT_ANY;
	CHECK_STATUS(cruddur_activities_create_activity_async(c, &req, &o, on_done, r), CRUDDUR_OK,
	    &o);
}
