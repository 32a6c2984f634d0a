/*
 * envelope_test.c - the envelope and the generated stubs, with a fake
 * server on an inproc:// REP socket in a thread of this test.
 *
 * The fake server checks what the stub put on the wire (method name, id,
 * deadline, metadata, body) and answers as the test tells it to: a real
 * response, an error status, garbage, or nothing.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "envelope.h"
#include "test_support.h"

#define URL "inproc://envelope_test"

typedef enum { ANSWER_FEED, ANSWER_ERROR, ANSWER_GARBAGE, ANSWER_NOTHING, ANSWER_UNAVAILABLE_TWICE,
	ANSWER_NOT_RUN } answer;

static nng_socket     rep;
static answer         next_answer;
static char           seen_method[128];
static uint32_t       seen_deadline;
static char           seen_token[64];
static int32_t        seen_limit;
static int            requests_seen;
static int            not_run_first; /* ANSWER_NOT_RUN: refusals before an error */
#define NOT_RUN_ATTEMPTS 8 /* client/src/call.h's */

static void
send_env(Cruddur__V1__ResponseEnvelope *env)
{
	nng_msg *m;
	if (cruddur_i_envelope_to_msg(&env->base, &m) == 0 && nng_sendmsg(rep, m, 0) != 0)
		nng_msg_free(m);
}

static void
answer_feed(uint64_t id)
{
	Cruddur__V1__ResponseEnvelope env = CRUDDUR__V1__RESPONSE_ENVELOPE__INIT;
	Cruddur__V1__HomeFeedResponse resp = CRUDDUR__V1__HOME_FEED_RESPONSE__INIT;
	Cruddur__V1__Activity         a = CRUDDUR__V1__ACTIVITY__INIT;
	Cruddur__V1__Activity        *list[1] = { &a };

	a.handle = "hotwheels";
	a.message = "This was imported as seed data";
	a.created_at_us = 1700000000123456;
	resp.activities = list;
	resp.n_activities = 1;
	env.request_id = id;
	env.body.data = cruddur_i_envelope_pack_alloc(&resp.base, &env.body.len);
	send_env(&env);
	free(env.body.data);
}

static void *
fake_server(void *arg)
{
	(void)arg;
	for (;;) {
		nng_msg *m;
		if (nng_recvmsg(rep, &m, 0) != 0)
			return NULL;
		Cruddur__V1__RequestEnvelope *req =
		    cruddur__v1__request_envelope__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
		nng_msg_free(m);
		if (req == NULL)
			continue;
		snprintf(seen_method, sizeof(seen_method), "%s", req->method);
		requests_seen++;
		seen_deadline = req->deadline_ms;
		seen_token[0] = '\0';
		for (size_t i = 0; i < req->n_metadata; i++)
			if (strcmp(req->metadata[i]->key, "authorization") == 0)
				snprintf(seen_token, sizeof(seen_token), "%s", req->metadata[i]->value);
		Cruddur__V1__HomeFeedRequest *body =
		    cruddur__v1__home_feed_request__unpack(NULL, req->body.len, req->body.data);
		seen_limit = body ? body->limit : -12345;
		cruddur__v1__home_feed_request__free_unpacked(body, NULL);

		Cruddur__V1__ResponseEnvelope err = CRUDDUR__V1__RESPONSE_ENVELOPE__INIT;
		err.request_id = req->request_id;
		switch (next_answer) {
		case ANSWER_FEED:
			answer_feed(req->request_id);
			break;
		case ANSWER_ERROR:
			err.status = CRUDDUR__V1__STATUS_CODE__INVALID_ARGUMENT;
			err.message = "limit must be from 1 to 100";
			send_env(&err);
			break;
		case ANSWER_GARBAGE: {
			nng_msg *g;
			nng_msg_alloc(&g, 0);
			nng_msg_append(g, "\xff\xff\xff\xff garbage", 12);
			if (nng_sendmsg(rep, g, 0) != 0)
				nng_msg_free(g);
			break;
		}
		case ANSWER_NOTHING:
			break;
		case ANSWER_UNAVAILABLE_TWICE:
			if (requests_seen <= 2) {
				err.status = CRUDDUR__V1__STATUS_CODE__UNAVAILABLE;
				err.message = "shutting down";
				send_env(&err);
			} else {
				answer_feed(req->request_id);
			}
			break;
		case ANSWER_NOT_RUN: /* a draining server, then one that ran it */
			if (requests_seen <= not_run_first) {
				err.status = CRUDDUR__V1__STATUS_CODE__UNAVAILABLE;
				err.message = "the server is shutting down";
				err.not_run = true;
			} else {
				err.status = CRUDDUR__V1__STATUS_CODE__INVALID_ARGUMENT;
				err.message = "ran";
			}
			send_env(&err);
			break;
		}
		cruddur__v1__request_envelope__free_unpacked(req, NULL);
	}
}

static void
test_envelope_round_trip(void)
{
	Cruddur__V1__RequestEnvelope env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	Cruddur__V1__MetadataEntry   md = CRUDDUR__V1__METADATA_ENTRY__INIT;
	Cruddur__V1__MetadataEntry  *mds[1] = { &md };
	nng_msg                     *m;

	md.key = "authorization";
	md.value = "Bearer x";
	env.method = "cruddur.v1.Activities/HomeFeed";
	env.request_id = 42;
	env.deadline_ms = 1500;
	env.metadata = mds;
	env.n_metadata = 1;
	env.body.data = (uint8_t *)"\x08\x05";
	env.body.len = 2;
	CHECK(cruddur_i_envelope_to_msg(&env.base, &m) == 0);
	Cruddur__V1__RequestEnvelope *back =
	    cruddur__v1__request_envelope__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
	CHECK(back != NULL);
	if (back != NULL) {
		CHECK_STREQ(back->method, env.method);
		CHECK(back->request_id == 42 && back->deadline_ms == 1500);
		CHECK(back->n_metadata == 1 && strcmp(back->metadata[0]->value, "Bearer x") == 0);
		CHECK(back->body.len == 2 && memcmp(back->body.data, "\x08\x05", 2) == 0);
	}
	cruddur__v1__request_envelope__free_unpacked(back, NULL);
	/* A cut-off envelope does not decode. */
	CHECK(cruddur__v1__request_envelope__unpack(NULL, nng_msg_len(m) - 3, nng_msg_body(m)) == NULL);
	nng_msg_free(m);
}

static void
test_stub_round_trip(cruddur_client *c)
{
	Cruddur__V1__HomeFeedRequest   req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	Cruddur__V1__HomeFeedResponse *resp = NULL;
	cruddur_metadata               md[1] = { { "authorization", "Bearer secret" } };
	cruddur_call_opts              opts = { .deadline_ms = 2500, .metadata = md, .n_metadata = 1 };

	req.limit = 7;
	next_answer = ANSWER_FEED;
	CHECK_STATUS(cruddur_activities_home_feed(c, &req, &resp, &opts), CRUDDUR_OK, &opts);
	CHECK_STREQ(seen_method, "cruddur.v1.Activities/HomeFeed");
	CHECK(seen_deadline > 2400 && seen_deadline <= 2500); /* what is left when sent */
	CHECK(seen_limit == 7);
	CHECK_STREQ(seen_token, "Bearer secret");
	CHECK(resp != NULL && resp->n_activities == 1);
	if (resp != NULL && resp->n_activities == 1) {
		CHECK_STREQ(resp->activities[0]->handle, "hotwheels");
		CHECK(resp->activities[0]->created_at_us == 1700000000123456);
	}
	cruddur_message_free(resp);
}

static void
test_stub_errors(cruddur_client *c)
{
	Cruddur__V1__HomeFeedRequest   req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	Cruddur__V1__HomeFeedResponse *resp = (void *)1;
	cruddur_call_opts              opts = { .deadline_ms = 300 };

	next_answer = ANSWER_ERROR;
	CHECK_STATUS(cruddur_activities_home_feed(c, &req, &resp, &opts), CRUDDUR_INVALID_ARGUMENT, &opts);
	CHECK(resp == NULL);
	CHECK_STREQ(opts.message, "limit must be from 1 to 100");

	next_answer = ANSWER_GARBAGE;
	CHECK_STATUS(cruddur_activities_home_feed(c, &req, &resp, &opts), CRUDDUR_INTERNAL, &opts);
	CHECK(resp == NULL);

	next_answer = ANSWER_NOTHING;
	double t0 = ts_now();
	CHECK_STATUS(cruddur_activities_home_feed(c, &req, &resp, &opts), CRUDDUR_DEADLINE_EXCEEDED, &opts);
	CHECK(ts_now() - t0 < 5.0);

	/* Refused by the client before it is sent. */
	Cruddur__V1__GetUserRequest   big = CRUDDUR__V1__GET_USER_REQUEST__INIT;
	Cruddur__V1__GetUserResponse *uresp = NULL;
	char                         *handle = malloc(2 << 20);
	memset(handle, 'x', (2 << 20) - 1);
	handle[(2 << 20) - 1] = '\0';
	big.handle = handle;
	CHECK_STATUS(cruddur_users_get_user(c, &big, &uresp, &opts), CRUDDUR_RESOURCE_EXHAUSTED, &opts);
	free(handle);

	/* A request of the wrong type for the method. */
	Cruddur__V1__GetUserRequest wrong = CRUDDUR__V1__GET_USER_REQUEST__INIT;
	ProtobufCMessage           *out = NULL;
	CHECK_STATUS(cruddur_client_call(c, &cruddur_method_activities_home_feed, &wrong.base, &out, &opts),
	    CRUDDUR_INVALID_ARGUMENT, &opts);
}

/* Calls without side effects are retried on UNAVAILABLE; others never. */
static void
test_retries(cruddur_client *c)
{
	Cruddur__V1__HomeFeedRequest   req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	Cruddur__V1__HomeFeedResponse *resp = NULL;
	Cruddur__V1__SetupRequest      sreq = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse    *sresp = NULL;
	cruddur_call_opts              opts = { .deadline_ms = 3000 };

	next_answer = ANSWER_UNAVAILABLE_TWICE;
	requests_seen = 0;
	CHECK_STATUS(cruddur_activities_home_feed(c, &req, &resp, &opts), CRUDDUR_OK, &opts);
	CHECK(requests_seen == 3);
	cruddur_message_free(resp);

	requests_seen = 0;
	CHECK_STATUS(cruddur_db_admin_setup(c, &sreq, &sresp, &opts), CRUDDUR_UNAVAILABLE, &opts);
	CHECK(requests_seen == 1);
	CHECK(sresp == NULL);
}

typedef struct {
	atomic_int     done;
	cruddur_status st;
} async_done;

static void
async_done_cb(void *arg, cruddur_status st, ProtobufCMessage *resp, const cruddur_call_opts *result)
{
	async_done *d = arg;
	(void)result;
	cruddur_message_free(resp);
	d->st = st;
	atomic_store(&d->done, 1);
}

/* Setup (a write without a key) refused unrun `refusals` times, then
 * answered by a server that ran it; blocking or async. Its status, and the
 * requests the fake server saw in *seen. */
static cruddur_status
not_run_call(cruddur_client *c, int refusals, bool async, int *seen)
{
	Cruddur__V1__SetupRequest   sreq = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse *sresp = NULL;
	cruddur_call_opts           opts = { .deadline_ms = 3000 };
	cruddur_status              st;
	async_done                  d = { 0 };

	next_answer = ANSWER_NOT_RUN;
	not_run_first = refusals;
	requests_seen = 0;
	if (!async) {
		st = cruddur_db_admin_setup(c, &sreq, &sresp, &opts);
		cruddur_message_free(sresp);
	} else if ((st = cruddur_client_call_async(c, &cruddur_method_db_admin_setup, &sreq.base,
	                &opts, async_done_cb, &d)) == CRUDDUR_OK) {
		for (int i = 0; i < 500 && !atomic_load(&d.done); i++)
			usleep(10000);
		CHECK(atomic_load(&d.done));
		st = d.st;
	}
	*seen = requests_seen;
	return st;
}

/* A reply with not_run (the server refused it before any of it ran) sends
 * any call again, a write without a key too, up to NOT_RUN_ATTEMPTS times,
 * not counted in RETRY_ATTEMPTS; blocking and async alike (call.c). */
static void
test_not_run_retries(cruddur_client *c)
{
	for (int async = 0; async < 2; async++) {
		int seen;
		CHECK(not_run_call(c, 3, async, &seen) == CRUDDUR_INVALID_ARGUMENT);
		CHECK(seen == 4);
		CHECK(not_run_call(c, 1000, async, &seen) == CRUDDUR_UNAVAILABLE);
		if (seen != 1 + NOT_RUN_ATTEMPTS)
			ts_fail(__FILE__, __LINE__, "%s: %d requests, want %d", async ? "async" : "sync",
			    seen, 1 + NOT_RUN_ATTEMPTS);
	}
}

/* A deadline of days is cut to the longest nng can wait, not wrapped. */
static void
test_huge_deadline(cruddur_client *c)
{
	Cruddur__V1__HomeFeedRequest   req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	Cruddur__V1__HomeFeedResponse *resp = NULL;
	cruddur_call_opts              opts = { .deadline_ms = UINT32_MAX };

	next_answer = ANSWER_FEED;
	CHECK_STATUS(cruddur_activities_home_feed(c, &req, &resp, &opts), CRUDDUR_OK, &opts);
	cruddur_message_free(resp);
	opts.deadline_ms = INT32_MAX;
	CHECK_STATUS(cruddur_activities_home_feed(c, &req, &resp, &opts), CRUDDUR_OK, &opts);
	cruddur_message_free(resp);
}

typedef struct pending_call {
	cruddur_client *c;
	cruddur_status  st;
} pending_call;

static void *
call_and_wait(void *arg)
{
	pending_call                  *p = arg;
	Cruddur__V1__HomeFeedRequest   req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	Cruddur__V1__HomeFeedResponse *resp = NULL;
	cruddur_call_opts              opts = { .deadline_ms = 10000 };

	p->st = cruddur_activities_home_feed(p->c, &req, &resp, &opts);
	cruddur_message_free(resp);
	return NULL;
}

/* Closing a client ends the calls in progress and waits for them. */
static void
test_close_with_calls(void)
{
	cruddur_client *c;
	const char     *urls[1] = { URL };
	char            err[256];
	pthread_t       t[4];
	pending_call    p[4];

	next_answer = ANSWER_NOTHING;
	CHECK_STATUS(cruddur_client_open(&c, urls, 1, err, sizeof(err)), CRUDDUR_OK, NULL);
	for (int i = 0; i < 4; i++) {
		p[i] = (pending_call){ c, CRUDDUR_OK };
		pthread_create(&t[i], NULL, call_and_wait, &p[i]);
	}
	usleep(200000);
	double t0 = ts_now();
	cruddur_client_close(c);
	CHECK(ts_now() - t0 < 2.0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		if (p[i].st != CRUDDUR_CANCELLED)
			ts_fail(__FILE__, __LINE__, "call %d ended %s, want CANCELLED", i, cruddur_status_name(p[i].st));
	}
}

static void
test_method_table(void)
{
	CHECK(cruddur_method_count >= 10);
	for (size_t i = 1; i < cruddur_method_count; i++)
		CHECK(strcmp(cruddur_methods[i - 1]->full_name, cruddur_methods[i]->full_name) < 0);
	CHECK(cruddur_method_activities_home_feed.idempotent);
	CHECK(!cruddur_method_db_admin_setup.idempotent);
	CHECK_STREQ(cruddur_method_db_admin_schema_load.full_name, "cruddur.v1.DbAdmin/SchemaLoad");
	CHECK(cruddur_method_users_get_user.output == &cruddur__v1__get_user_response__descriptor);
}

int
main(void)
{
	pthread_t       thread;
	cruddur_client *c;
	const char     *urls[1] = { URL };
	char            err[256];

	test_envelope_round_trip();
	test_method_table();
	CHECK(nng_rep0_open(&rep) == 0);
	CHECK(nng_listen(rep, URL, NULL, 0) == 0);
	pthread_create(&thread, NULL, fake_server, NULL);
	CHECK_STATUS(cruddur_client_open(&c, urls, 1, err, sizeof(err)), CRUDDUR_OK, NULL);
	test_stub_round_trip(c);
	test_stub_errors(c);
	test_retries(c);
	test_not_run_retries(c);
	test_huge_deadline(c);
	cruddur_client_close(c);
	test_close_with_calls();
	nng_close(rep);
	pthread_join(thread, NULL);

	const char *bad[1] = { "nosuchscheme://x" };
	CHECK_STATUS(cruddur_client_open(&c, bad, 1, err, sizeof(err)), CRUDDUR_INVALID_ARGUMENT, NULL);
	const char *down[1] = { "tcp://127.0.0.1:1" };
	CHECK_STATUS(cruddur_client_open(&c, down, 1, err, sizeof(err)), CRUDDUR_UNAVAILABLE, NULL);
	return ts_finish("envelope_test");
}
