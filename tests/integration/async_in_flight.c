/*
 * async_in_flight.c - async_call_test's part on calls in flight: 200 at
 * once (HomeFeed and GetUser), each callback exactly once with OK and the
 * content a blocking call gets; chains, each call started from the
 * previous one's callback, run to the end; a call that cannot start
 * (wrong request type, no callback) is INVALID_ARGUMENT and never calls
 * back; a deadline that passes while the server is stuck ends the call
 * with DEADLINE_EXCEEDED on time; cruddur_client_close with calls in
 * flight calls each back once, CANCELLED, before it returns.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "async_batch.h"

void
test_many_in_flight(cruddur_client *c)
{
	static call_rec recs[MANY];
	batch           b;

	batch_init(&b);
	for (int i = 0; i < MANY; i++) {
		call_rec *r = &recs[i];
		memset(r, 0, sizeof(*r));
		r->b = &b;
		if (i % 2 == 0) {
			CHECK(feed_async(c, r, 1 + i % 20, 10000) == CRUDDUR_OK);
			continue;
		}
		Cruddur__V1__GetUserRequest req = CRUDDUR__V1__GET_USER_REQUEST__INIT;
		cruddur_call_opts           o = ts_opts(10000);
		r->want = WANT_USER;
		r->handle = handles[(i / 2) % 2];
		req.handle = (char *)r->handle;
		CHECK_STATUS(cruddur_users_get_user_async(c, &req, &o, on_done, r), CRUDDUR_OK, &o);
	}
	CHECK(batch_wait(&b, MANY, 20) == MANY);
	usleep(100000); /* a second callback would show up by now */
	check_all(recs, MANY, CRUDDUR_OK, "200 in flight");
	CHECK(batch_finished(&b) == MANY);
	batch_fini(&b);
}

/* Chains: each callback starts the chain's next call. */
typedef struct chain {
	cruddur_client *c;
	batch          *b;
	atomic_int      ok, failed, done;
} chain;

static void
chain_done(void *arg, cruddur_status st, ProtobufCMessage *resp, const cruddur_call_opts *result)
{
	chain *ch = arg;
	bool   good = st == CRUDDUR_OK &&
	    ((Cruddur__V1__HomeFeedResponse *)(void *)resp)->n_activities == 3;

	(void)result;
	cruddur_message_free(resp);
	atomic_fetch_add(good ? &ch->ok : &ch->failed, 1);
	if (atomic_fetch_add(&ch->done, 1) + 1 < CHAIN_LEN) {
		Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
		req.limit = 3;
		if (cruddur_activities_home_feed_async(ch->c, &req, NULL, chain_done, ch) == CRUDDUR_OK)
			return;
		atomic_fetch_add(&ch->failed, 1);
	}
	pthread_mutex_lock(&ch->b->mtx);
	ch->b->finished++;
	pthread_mutex_unlock(&ch->b->mtx);
}

void
test_chains(cruddur_client *c)
{
	static chain chains[CHAINS];
	batch        b;
	int          ok = 0;

	batch_init(&b);
	for (int i = 0; i < CHAINS; i++) {
		Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
		chains[i] = (chain){ .c = c, .b = &b };
		req.limit = 3;
		CHECK(cruddur_activities_home_feed_async(c, &req, NULL, chain_done, &chains[i]) ==
		    CRUDDUR_OK);
	}
	CHECK(batch_wait(&b, CHAINS, 30) == CHAINS);
	for (int i = 0; i < CHAINS; i++) {
		ok += atomic_load(&chains[i].ok);
		CHECK(atomic_load(&chains[i].failed) == 0);
	}
	printf("chains: %d x %d calls started from callbacks, %d OK\n", CHAINS, CHAIN_LEN, ok);
	CHECK(ok == CHAINS * CHAIN_LEN);
	batch_fini(&b);
}

void
test_not_started(cruddur_client *c)
{
	Cruddur__V1__HomeFeedRequest feed = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	cruddur_call_opts            o = ts_opts(5000);
	call_rec                     r;
	batch                        b;

	batch_init(&b);
	memset(&r, 0, sizeof(r));
	r.b = &b;
	/* GetUser called with a HomeFeedRequest. */
	CHECK_STATUS(cruddur_client_call_async(c, &cruddur_method_users_get_user, &feed.base, &o,
	                 on_done, &r),
	    CRUDDUR_INVALID_ARGUMENT, &o);
	CHECK_MSG(&o, "takes cruddur.v1.GetUserRequest");
	CHECK(o.request_id != 0);
	o = ts_opts(5000);
	CHECK_STATUS(cruddur_activities_home_feed_async(c, &feed, &o, NULL, NULL),
	    CRUDDUR_INVALID_ARGUMENT, &o);
	usleep(200000);
	CHECK(atomic_load(&r.calls) == 0);
	CHECK(batch_finished(&b) == 0);
	batch_fini(&b);
}

void
test_deadline(cruddur_client *c)
{
	call_rec r;
	batch    b;

	batch_init(&b);
	memset(&r, 0, sizeof(r));
	r.b = &b;
	double t0 = ts_now();
	CHECK(feed_async(c, &r, 5, 400) == CRUDDUR_OK);
	CHECK(batch_wait(&b, 1, 5) == 1);
	double took = ts_now() - t0;
	check_all(&r, 1, CRUDDUR_DEADLINE_EXCEEDED, "deadline 400 ms, server stuck");
	printf("deadline 400 ms: called back after %.0f ms: %s\n", took * 1000, r.message);
	CHECK(took >= 0.35 && took < 2.0);
	batch_fini(&b);
}

void
test_close_in_flight(const ts_server *s)
{
	static call_rec recs[50];
	cruddur_client *c = ts_client(s);
	batch           b;

	batch_init(&b);
	for (int i = 0; i < 50; i++) {
		memset(&recs[i], 0, sizeof(recs[i]));
		recs[i].b = &b;
		CHECK(feed_async(c, &recs[i], 5, 20000) == CRUDDUR_OK);
	}
	usleep(300000);
	CHECK(batch_finished(&b) == 0); /* all stuck behind the lock */
	double t0 = ts_now();
	cruddur_client_close(c);
	double took = ts_now() - t0;
	/* Every callback has run by the time close returns: no waiting here. */
	int finished = batch_finished(&b);
	printf("close with 50 calls in flight: returned after %.0f ms, %d callbacks done\n",
	    took * 1000, finished);
	CHECK(finished == 50);
	CHECK(took < 2.0);
	check_all(recs, 50, CRUDDUR_CANCELLED, "closed in flight");
	batch_fini(&b);
}
