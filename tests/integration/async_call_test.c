/*
 * async_call_test.c - cruddur_client_call_async and the generated *_async
 * stubs against the real cruddurd and the real test PostgreSQL.
 *
 * What it proves, each part against a real server:
 *   - 200 calls in flight at once (HomeFeed and GetUser): every callback
 *     runs exactly once, with OK and the same content a blocking call gets;
 *   - chains, each call started from the previous one's callback (the
 *     intended use), run to the end;
 *   - a call that cannot start (wrong request type, no callback) returns
 *     INVALID_ARGUMENT with a message, and its callback never runs;
 *   - a deadline that passes while the server is stuck ends the call with
 *     DEADLINE_EXCEEDED through the callback, on time;
 *   - cruddur_client_close with calls in flight: each callback exactly
 *     once, with CANCELLED, all of them before close returns;
 *   - UNAVAILABLE from the server is retried for a method without side
 *     effects and for a write with an idempotency key (three attempts, in
 *     the server's own counts), and not for a write without one;
 *   - a server killed mid-flight, or gone: the calls end through their
 *     callbacks (DEADLINE_EXCEEDED), and a call in flight while the server
 *     restarts on the same address succeeds once it is back;
 *   - contexts opened while the client's socket closes (as retries and
 *     calls racing cruddur_client_close open them) never hang the close.
 *
 * "Stuck" is made by holding an ACCESS EXCLUSIVE lock on activities from
 * another session, so that HomeFeed waits for it (as in deadline_test.c).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "call_slots.h"
#include "test_support.h"

#define DB "cruddur_async_call_test"
#define DB_ABSENT "cruddur_async_call_test_absent"
#define MANY 200
#define CHAINS 8
#define CHAIN_LEN 50

/* Counts the callbacks of a batch of calls, and lets the test wait. */
typedef struct batch {
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	int             finished;
} batch;

/* One call of a batch: what its callback saw. */
typedef struct call_rec {
	batch         *b;
	atomic_int     calls; /* how many times the callback ran */
	cruddur_status st;
	bool           content_ok;
	char           message[512];
	/* What the reply must hold. */
	enum { WANT_FEED, WANT_USER, WANT_ANY } want;
	int32_t        limit;
	const char    *handle;
} call_rec;

/* The answers of blocking calls, to compare the async ones with. */
static char   feed_uuids[20][37];
static size_t feed_rows;
static char   user_names[2][128];
static const char *const handles[2] = { "hotwheels", "getFullOrDieTryin" };

static void
batch_init(batch *b)
{
	pthread_mutex_init(&b->mtx, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->finished = 0;
}

static void
batch_fini(batch *b)
{
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mtx);
}

static int
batch_finished(batch *b)
{
	pthread_mutex_lock(&b->mtx);
	int n = b->finished;
	pthread_mutex_unlock(&b->mtx);
	return n;
}

/* Waits until n callbacks have run or timeout_s passed; returns how many ran. */
static int
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

/* The callback of every call here: records, checks, frees, counts. */
static void
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

static cruddur_status
feed_async(cruddur_client *c, call_rec *r, int32_t limit, uint32_t deadline_ms)
{
	Cruddur__V1__HomeFeedRequest req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	cruddur_call_opts            o = ts_opts(deadline_ms);

	r->want = WANT_FEED;
	r->limit = req.limit = limit;
	cruddur_status st = cruddur_activities_home_feed_async(c, &req, &o, on_done, r);
	if (st != CRUDDUR_OK)
		fprintf(stderr, "home_feed_async: %s: %s\n", cruddur_status_name(st), o.message);
	return st;
}

static void
learn_answers(cruddur_client *c)
{
	Cruddur__V1__HomeFeedRequest   req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	Cruddur__V1__HomeFeedResponse *feed = NULL;
	cruddur_call_opts              o = ts_opts(5000);

	req.limit = 20;
	CHECK_STATUS(cruddur_activities_home_feed(c, &req, &feed, &o), CRUDDUR_OK, &o);
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

/* Checks every record of a batch: one callback each, with status want. */
static void
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

static void
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

static void
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

static void
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

static void
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

static void
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

/* How many calls of method the server behind c has counted. */
static long
server_count(cruddur_client *c, const char *method)
{
	Cruddur__V1__GetStatsRequest   req = CRUDDUR__V1__GET_STATS_REQUEST__INIT;
	Cruddur__V1__GetStatsResponse *resp = NULL;
	cruddur_call_opts              o = ts_opts(5000);
	long                           n = 0;

	CHECK_STATUS(cruddur_stats_get_stats(c, &req, &resp, &o), CRUDDUR_OK, &o);
	for (size_t i = 0; resp != NULL && i < resp->n_methods; i++)
		if (strcmp(resp->methods[i]->method, method) == 0)
			n = (long)resp->methods[i]->count;
	cruddur_message_free(resp);
	return n;
}

/* One CreateActivity, async, with or without an idempotency key. */
static void
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

/* Threads that open and close contexts through the slots until the
 * socket is closed under them. */
typedef struct slot_churner {
	call_slots *slots;
	nng_socket  sock;
	pthread_t   thr;
	long        opened;
} slot_churner;

static void *
slot_churn(void *arg)
{
	slot_churner *t = arg;
	call_slot    *slot;

	/* Each take opens a new context: the last one was failed. */
	while (call_slot_take(t->slots, &t->slots->sync, t->sock, &slot) == 0) {
		t->opened++;
		call_slot_fail(t->slots, slot);
		call_slot_give(t->slots, &t->slots->sync, slot);
	}
	return NULL;
}

/* Contexts opened (and closed) while the socket closes: in nng 1.5.2 a
 * context opened while nng_close is under way hangs it forever; the slots
 * must keep the two apart, as retries and calls racing
 * cruddur_client_close do. No server is needed: the dialer only makes the
 * socket's close take a while. */
static void
test_slots_open_vs_close(void)
{
	long opened = 0;

	for (int round = 0; round < 100; round++) {
		call_slots   slots;
		slot_churner t[3];
		nng_socket   sock;
		nng_dialer   d;

		call_slots_init(&slots, sizeof(call_slot), NULL);
		if (nng_req0_open(&sock) != 0) {
			CHECK(!"a REQ socket opened");
			return;
		}
		if (nng_dialer_create(&d, sock, "tcp://127.0.0.1:1") == 0)
			nng_dialer_start(d, NNG_FLAG_NONBLOCK);
		for (int i = 0; i < 3; i++) {
			t[i] = (slot_churner){ .slots = &slots, .sock = sock };
			CHECK(pthread_create(&t[i].thr, NULL, slot_churn, &t[i]) == 0);
		}
		usleep((useconds_t)(50 + round * 10));
		alarm(30); /* a hung nng_close fails the test instead of stalling it */
		CHECK(call_slots_close_socket(&slots, sock, 30000));
		alarm(0);
		for (int i = 0; i < 3; i++) {
			pthread_join(t[i].thr, NULL);
			opened += t[i].opened;
		}
		call_slots_fini(&slots);
	}
	printf("slots: 100 socket closes with contexts opening under them, %ld contexts\n", opened);
	CHECK(opened > 0);
}

/* A server whose database does not exist answers UNAVAILABLE. */
static void
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
static void
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

int
main(void)
{
	ts_server s;
	char      url[512], out[256];

	ts_require_pg();
	test_slots_open_vs_close();
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, NULL, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	Cruddur__V1__SetupRequest   sreq = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse *sresp = NULL;
	cruddur_call_opts           so = ts_opts(30000);
	CHECK_STATUS(cruddur_db_admin_setup(c, &sreq, &sresp, &so), CRUDDUR_OK, &so);
	cruddur_message_free(sresp);
	CHECK(ts_psql(DB, "INSERT INTO activities (user_uuid, message, created_at) "
	                  "SELECT u.uuid, 'async ' || g, now() - g * interval '1 minute' "
	                  "FROM users u, generate_series(1, 30) g WHERE u.handle = 'hotwheels'",
	          out, sizeof(out)) == 0);
	learn_answers(c);

	test_many_in_flight(c);
	test_chains(c);
	test_not_started(c);
	test_retries();

	PGconn *locker = PQconnectdb(ts_pg_url(DB, url, sizeof(url)));
	CHECK(PQstatus(locker) == CONNECTION_OK);
	PQclear(PQexec(locker, "BEGIN; LOCK TABLE activities IN ACCESS EXCLUSIVE MODE"));
	test_deadline(c);
	test_close_in_flight(&s);
	test_server_gone(locker); /* releases the lock */
	PQfinish(locker);

	/* The first client still works after all that. */
	call_rec r;
	batch    b;
	batch_init(&b);
	memset(&r, 0, sizeof(r));
	r.b = &b;
	CHECK(feed_async(c, &r, 20, 10000) == CRUDDUR_OK);
	CHECK(batch_wait(&b, 1, 15) == 1);
	check_all(&r, 1, CRUDDUR_OK, "after the lock");
	batch_fini(&b);

	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	return ts_finish("async_call_test");
}
