/*
 * activities_test.c - the Activities service (CreateActivity, CreateReply,
 * ShowActivity, HomeFeed) against the real cruddurd and PostgreSQL.
 *
 * Every RPC and every error path, checked by status and message: message
 * lengths counted in characters (280 x "é" fits, 281 characters do not),
 * invalid UTF-8, ttls, authors named zero, two or unknown ways; idempotent
 * create under retry (5 sequential calls, then 16 threads at once, each
 * leaving one row); replies counted exactly once each (also 16 at once) and
 * never on a replay, listed oldest first; expired activities hidden from the
 * feed and from ShowActivity; replies kept out of the feed; SQL-looking text
 * stored and returned byte for byte.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define DB "cruddur_activities_test"
#define THREADS 16

/* Setup and Migrate (ts_db_setup_migrated); checks that the schema is the
 * one the Activities service needs. */
static void
db_ready(cruddur_client *c)
{
	char out[256];

	ts_db_setup_migrated(c, DB);
	CHECK(ts_psql(DB, "SELECT count(*) FROM pg_indexes WHERE indexname IN "
	                  "('activities_feed_idx', 'activities_idempotency_key')",
	          out, sizeof(out)) == 0);
	CHECK_STREQ(out, "2");
}

/* --- calls -------------------------------------------------------------- */

typedef struct author_arg {
	const char *handle, *uuid, *cognito;
} author_arg;

static const author_arg HOTWHEELS = { "hotwheels", NULL, NULL };
static const author_arg FIFTY = { "getFullOrDieTryin", NULL, NULL };

static void
author_fill(Cruddur__V1__Author *a, const author_arg *who)
{
	a->handle = (char *)(who->handle ? who->handle : "");
	a->user_uuid = (char *)(who->uuid ? who->uuid : "");
	a->cognito_user_id = (char *)(who->cognito ? who->cognito : "");
}

static cruddur_status
create(cruddur_client *c, const author_arg *who, const char *message, const char *ttl,
    const char *key, Cruddur__V1__CreateActivityResponse **resp, cruddur_call_opts *o)
{
	Cruddur__V1__CreateActivityRequest req = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
	Cruddur__V1__Author                author = CRUDDUR__V1__AUTHOR__INIT;

	*o = ts_opts(30000);
	*resp = NULL;
	if (who != NULL) {
		author_fill(&author, who);
		req.author = &author;
	}
	req.message = (char *)message;
	req.ttl = (char *)(ttl ? ttl : "");
	req.idempotency_key = (char *)(key ? key : "");
	return cruddur_activities_create_activity(c, &req, resp, o);
}

/* Creates an activity that must succeed; its uuid into uuid. */
static void
create_ok(cruddur_client *c, const author_arg *who, const char *message, char uuid[37])
{
	Cruddur__V1__CreateActivityResponse *r;
	cruddur_call_opts                    o;

	CHECK_STATUS(create(c, who, message, NULL, NULL, &r, &o), CRUDDUR_OK, &o);
	uuid[0] = '\0';
	if (r != NULL && r->activity != NULL)
		snprintf(uuid, 37, "%s", r->activity->uuid);
	cruddur_message_free(r);
}

static cruddur_status
reply(cruddur_client *c, const char *parent, const author_arg *who, const char *message,
    const char *key, Cruddur__V1__CreateReplyResponse **resp, cruddur_call_opts *o)
{
	Cruddur__V1__CreateReplyRequest req = CRUDDUR__V1__CREATE_REPLY_REQUEST__INIT;
	Cruddur__V1__Author             author = CRUDDUR__V1__AUTHOR__INIT;

	*o = ts_opts(30000);
	*resp = NULL;
	author_fill(&author, who);
	req.author = &author;
	req.reply_to_activity_uuid = (char *)parent;
	req.message = (char *)message;
	req.idempotency_key = (char *)(key ? key : "");
	return cruddur_activities_create_reply(c, &req, resp, o);
}

static cruddur_status
show(cruddur_client *c, const char *uuid, Cruddur__V1__ShowActivityResponse **resp,
    cruddur_call_opts *o)
{
	Cruddur__V1__ShowActivityRequest req = CRUDDUR__V1__SHOW_ACTIVITY_REQUEST__INIT;

	*o = ts_opts(30000);
	*resp = NULL;
	req.uuid = (char *)uuid;
	return cruddur_activities_show_activity(c, &req, resp, o);
}

/* Whether the first 100 of the home feed hold uuid. */
static bool
in_feed(cruddur_client *c, const char *uuid)
{
	Cruddur__V1__HomeFeedResponse *r;
	cruddur_call_opts              o;
	bool                           found = false;

	CHECK_STATUS(ts_home_feed(c, 100, NULL, true, 30000, &r, &o), CRUDDUR_OK, &o);
	for (size_t i = 0; r != NULL && i < r->n_activities; i++)
		found |= strcmp(r->activities[i]->uuid, uuid) == 0;
	cruddur_message_free(r);
	return found;
}

/* The result of one SQL query, as text. */
static const char *
sql(const char *query, char *out, size_t len)
{
	CHECK(ts_psql(DB, query, out, len) == 0);
	return out;
}

static void
expire(const char *uuid)
{
	char q[256], out[64];
	snprintf(q, sizeof(q), "UPDATE activities SET expires_at = now() - interval '1 second' "
	                       "WHERE uuid = '%s'", uuid);
	sql(q, out, sizeof(out));
}

#define CHECK_FAILS(call, want, substr)                                        \
	do {                                                                   \
		cruddur_call_opts o_;                                          \
		void             *r_ = NULL;                                   \
		(void)r_;                                                      \
		CHECK_STATUS(call, want, &o_);                                 \
		CHECK_MSG(&o_, substr);                                        \
	} while (0)

/* --- CreateActivity ----------------------------------------------------- */

static void
test_create(cruddur_client *c)
{
	Cruddur__V1__CreateActivityResponse *r;
	cruddur_call_opts                    o;
	char                                 uuid[64], q[256], out[256];
	const struct {
		const char *ttl;
		int64_t     seconds;
	} ttls[] = { { "", 7 * 86400 }, { "30d", 30 * 86400 }, { "7d", 7 * 86400 },
		{ "3d", 3 * 86400 }, { "1d", 86400 }, { "12h", 12 * 3600 }, { "3h", 3 * 3600 },
		{ "1h", 3600 } };

	sql("SELECT uuid FROM users WHERE handle = 'hotwheels'", uuid, sizeof(uuid));
	const author_arg by[] = { HOTWHEELS, { NULL, uuid, NULL }, { NULL, NULL, "MOCK" },
		{ "HOTWHEELS", NULL, NULL } };
	for (size_t i = 0; i < sizeof(by) / sizeof(by[0]); i++) {
		CHECK_STATUS(create(c, &by[i], "hello from the test", NULL, NULL, &r, &o), CRUDDUR_OK, &o);
		CHECK(r != NULL && r->activity != NULL && !r->replayed);
		if (r == NULL || r->activity == NULL)
			continue;
		const Cruddur__V1__Activity *a = r->activity;
		CHECK_STREQ(a->handle, "hotwheels");
		CHECK_STREQ(a->display_name, "Pop Goes the Weasel");
		CHECK_STREQ(a->user_uuid, uuid);
		CHECK_STREQ(a->message, "hello from the test");
		CHECK_STREQ(a->reply_to_activity_uuid, "");
		CHECK(strlen(a->uuid) == 36 && a->replies_count == 0 && a->likes_count == 0);
		/* Committed before the reply: visible to another session now. */
		snprintf(q, sizeof(q), "SELECT message FROM activities WHERE uuid = '%s'", a->uuid);
		CHECK_STREQ(sql(q, out, sizeof(out)), "hello from the test");
		cruddur_message_free(r);
	}
	for (size_t i = 0; i < sizeof(ttls) / sizeof(ttls[0]); i++) {
		CHECK_STATUS(create(c, &FIFTY, "ttl", ttls[i].ttl, NULL, &r, &o), CRUDDUR_OK, &o);
		CHECK(r != NULL && r->activity != NULL &&
		    r->activity->expires_at_us - r->activity->created_at_us == ttls[i].seconds * 1000000);
		cruddur_message_free(r);
	}
}

static void
test_create_errors(cruddur_client *c)
{
	Cruddur__V1__CreateActivityResponse *r;
	char                                 long_msg[300], e280[600], e281[600], key129[140];
	long                                 before = ts_sql_long(DB, "SELECT count(*) FROM activities");

	memset(long_msg, 'a', 281);
	long_msg[281] = '\0';
	for (int i = 0; i < 281; i++)
		memcpy(e281 + 2 * i, "\xc3\xa9", 2); /* é, two bytes */
	e281[562] = '\0';
	memcpy(e280, e281, 560);
	e280[560] = '\0';
	memset(key129, 'k', 129);
	key129[129] = '\0';

	/* Lengths are in characters: 280 two-byte characters fit. */
	CHECK_FAILS(create(c, &HOTWHEELS, e280, NULL, NULL, &r, &o_), CRUDDUR_OK, "");
	if (r != NULL && r->activity != NULL)
		CHECK_STREQ(r->activity->message, e280);
	cruddur_message_free(r);
	before++;
	CHECK_FAILS(create(c, &HOTWHEELS, e281, NULL, NULL, &r, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "message must be 1 to 280 characters, not 281");
	CHECK_FAILS(create(c, &HOTWHEELS, long_msg, NULL, NULL, &r, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "message must be 1 to 280 characters, not 281");
	CHECK_FAILS(create(c, &HOTWHEELS, "", NULL, NULL, &r, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "message is required");
	CHECK_FAILS(create(c, &HOTWHEELS, "bad \xff\xfe bytes", NULL, NULL, &r, &o_),
	    CRUDDUR_INVALID_ARGUMENT, "message is not valid UTF-8");
	CHECK_FAILS(create(c, &HOTWHEELS, "overlong \xc0\xaf", NULL, NULL, &r, &o_),
	    CRUDDUR_INVALID_ARGUMENT, "message is not valid UTF-8");
	CHECK_FAILS(create(c, &HOTWHEELS, "hi", "2d", NULL, &r, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "ttl \"2d\" is not one of 30d, 7d, 3d, 1d, 12h, 3h or 1h");
	CHECK_FAILS(create(c, &HOTWHEELS, "hi", "7D", NULL, &r, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "is not one of");
	const author_arg two = { "hotwheels", NULL, "MOCK" };
	CHECK_FAILS(create(c, &two, "hi", NULL, NULL, &r, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "author: give exactly one of handle, uuid or cognito_user_id (2 given)");
	const author_arg none = { NULL, NULL, NULL };
	CHECK_FAILS(create(c, &none, "hi", NULL, NULL, &r, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "(0 given)");
	CHECK_FAILS(create(c, NULL, "hi", NULL, NULL, &r, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "(0 given)");
	const author_arg nobody = { "nobody_here", NULL, NULL };
	CHECK_FAILS(create(c, &nobody, "hi", NULL, NULL, &r, &o_), CRUDDUR_NOT_FOUND,
	    "author: no user with handle \"nobody_here\"");
	const author_arg no_cognito = { NULL, NULL, "no-such-cognito-id" };
	CHECK_FAILS(create(c, &no_cognito, "hi", NULL, NULL, &r, &o_), CRUDDUR_NOT_FOUND,
	    "no user with cognito_user_id \"no-such-cognito-id\"");
	const author_arg no_uuid = { NULL, "00000000-0000-4000-8000-000000000000", NULL };
	CHECK_FAILS(create(c, &no_uuid, "hi", NULL, NULL, &r, &o_), CRUDDUR_NOT_FOUND,
	    "no user with uuid");
	const author_arg bad_uuid = { NULL, "not-a-uuid", NULL };
	CHECK_FAILS(create(c, &bad_uuid, "hi", NULL, NULL, &r, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "is not a UUID");
	const author_arg bad_handle = { "x' OR '1'='1", NULL, NULL };
	CHECK_FAILS(create(c, &bad_handle, "hi", NULL, NULL, &r, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "letters, digits or underscores");
	CHECK_FAILS(create(c, &HOTWHEELS, "hi", NULL, key129, &r, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "idempotency_key must be at most 128 bytes, not 129");
	CHECK_FAILS(create(c, &HOTWHEELS, "hi", NULL, "k\xff", &r, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "idempotency_key is not valid UTF-8");
	/* Nothing was written by any of the failed calls. */
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities") == before);
}

/* --- idempotency ---------------------------------------------------------- */

static void
test_idempotent_retry(cruddur_client *c)
{
	Cruddur__V1__CreateActivityResponse *r;
	cruddur_call_opts                    o;
	char                                 first[37] = "";

	for (int i = 0; i < 5; i++) {
		CHECK_STATUS(create(c, &HOTWHEELS, "posted once", "1d", "retry-key-1", &r, &o),
		    CRUDDUR_OK, &o);
		CHECK(r != NULL && r->activity != NULL);
		if (r == NULL || r->activity == NULL)
			continue;
		CHECK(r->replayed == (i > 0));
		if (i == 0)
			snprintf(first, sizeof(first), "%s", r->activity->uuid);
		CHECK_STREQ(r->activity->uuid, first);
		CHECK_STREQ(r->activity->message, "posted once");
		CHECK_STREQ(r->activity->handle, "hotwheels");
		cruddur_message_free(r);
	}
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities WHERE idempotency_key = 'retry-key-1'") == 1);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities WHERE message = 'posted once'") == 1);
	CHECK_FAILS(create(c, &HOTWHEELS, "another message", "1d", "retry-key-1", &r, &o_),
	    CRUDDUR_FAILED_PRECONDITION, "idempotency key reused with a different message");
	/* Keys belong to their author: the same key from someone else is new. */
	CHECK_STATUS(create(c, &FIFTY, "posted once", "1d", "retry-key-1", &r, &o), CRUDDUR_OK, &o);
	CHECK(r != NULL && r->activity != NULL && !r->replayed &&
	    strcmp(r->activity->uuid, first) != 0);
	cruddur_message_free(r);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities WHERE idempotency_key = 'retry-key-1'") == 2);
}

typedef struct race {
	cruddur_client    *client;
	pthread_barrier_t *start;
	const char        *parent; /* NULL: CreateActivity */
	const char        *key;
	cruddur_status     st;
	bool               replayed;
	char               uuid[37];
} race;

static void *
race_one(void *arg)
{
	race             *x = arg;
	cruddur_call_opts o;

	pthread_barrier_wait(x->start);
	if (x->parent == NULL) {
		Cruddur__V1__CreateActivityResponse *r;
		x->st = create(x->client, &FIFTY, "raced", NULL, x->key, &r, &o);
		if (r != NULL && r->activity != NULL) {
			x->replayed = r->replayed;
			snprintf(x->uuid, sizeof(x->uuid), "%s", r->activity->uuid);
		}
		cruddur_message_free(r);
	} else {
		Cruddur__V1__CreateReplyResponse *r;
		x->st = reply(x->client, x->parent, &HOTWHEELS, "raced reply", x->key, &r, &o);
		if (r != NULL && r->activity != NULL) {
			x->replayed = r->replayed;
			snprintf(x->uuid, sizeof(x->uuid), "%s", r->activity->uuid);
		}
		cruddur_message_free(r);
	}
	return NULL;
}

/* THREADS calls at once; returns how many were not replays. */
static int
race_run(cruddur_client *c, const char *parent, const char *key, race *x)
{
	pthread_t         t[THREADS];
	pthread_barrier_t start;
	int               fresh = 0;

	pthread_barrier_init(&start, NULL, THREADS);
	for (int i = 0; i < THREADS; i++) {
		x[i] = (race){ .client = c, .start = &start, .parent = parent, .key = key };
		pthread_create(&t[i], NULL, race_one, &x[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK_STATUS(x[i].st, CRUDDUR_OK, NULL);
		fresh += x[i].st == CRUDDUR_OK && !x[i].replayed;
	}
	pthread_barrier_destroy(&start);
	return fresh;
}

static void
test_idempotent_concurrent(cruddur_client *c)
{
	race x[THREADS];
	char parent[37];

	CHECK(race_run(c, NULL, "race-key", x) == 1);
	for (int i = 1; i < THREADS; i++)
		CHECK_STREQ(x[i].uuid, x[0].uuid);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities WHERE idempotency_key = 'race-key'") == 1);

	/* Replies: one row and one count, whoever wins. */
	create_ok(c, &FIFTY, "reply to me all at once", parent);
	CHECK(race_run(c, parent, "reply-race-key", x) == 1);
	for (int i = 1; i < THREADS; i++)
		CHECK_STREQ(x[i].uuid, x[0].uuid);
	char q[256];
	snprintf(q, sizeof(q), "SELECT replies_count FROM activities WHERE uuid = '%s'", parent);
	CHECK(ts_sql_long(DB, q) == 1);
	/* Without a key every call is a new reply, each counted once. */
	CHECK(race_run(c, parent, NULL, x) == THREADS);
	CHECK(ts_sql_long(DB, q) == 1 + THREADS);
	snprintf(q, sizeof(q), "SELECT count(*) FROM activities WHERE reply_to_activity_uuid = '%s'",
	    parent);
	CHECK(ts_sql_long(DB, q) == 1 + THREADS);
}

/* --- CreateReply and ShowActivity --------------------------------------------- */

static void
test_replies(cruddur_client *c)
{
	Cruddur__V1__CreateReplyResponse  *r;
	Cruddur__V1__ShowActivityResponse *s;
	cruddur_call_opts                  o;
	char                               parent[37], other[37], replies[3][37], nested[37] = "";
	char                               r1024[1100], r1025[1100];
	const char                        *texts[3] = { "first!", "second", "third" };
	const author_arg                  *who[3] = { &FIFTY, &HOTWHEELS, &FIFTY };

	memset(r1025, 'r', 1025);
	r1025[1025] = '\0';
	memcpy(r1024, r1025, 1024);
	r1024[1024] = '\0';
	create_ok(c, &HOTWHEELS, "a parent", parent);
	create_ok(c, &HOTWHEELS, "another parent", other);
	for (int i = 0; i < 3; i++) {
		CHECK_STATUS(reply(c, parent, who[i], texts[i], NULL, &r, &o), CRUDDUR_OK, &o);
		CHECK(r != NULL && r->activity != NULL && !r->replayed);
		replies[i][0] = '\0';
		if (r != NULL && r->activity != NULL) {
			snprintf(replies[i], 37, "%s", r->activity->uuid);
			CHECK_STREQ(r->activity->reply_to_activity_uuid, parent);
			CHECK_STREQ(r->activity->message, texts[i]);
			CHECK_STREQ(r->activity->handle, who[i]->handle);
		}
		cruddur_message_free(r);
	}
	/* A keyed reply, retried: counted once. */
	for (int i = 0; i < 3; i++) {
		CHECK_STATUS(reply(c, parent, &HOTWHEELS, r1024, "reply-key", &r, &o), CRUDDUR_OK, &o);
		CHECK(r != NULL && r->replayed == (i > 0));
		cruddur_message_free(r);
	}
	CHECK_FAILS(reply(c, other, &HOTWHEELS, r1024, "reply-key", (void *)&r_, &o_),
	    CRUDDUR_FAILED_PRECONDITION, "idempotency key reused with a different parent activity");
	CHECK_FAILS(reply(c, parent, &HOTWHEELS, "changed", "reply-key", (void *)&r_, &o_),
	    CRUDDUR_FAILED_PRECONDITION, "idempotency key reused with a different message");
	/* A top-level activity's key is not a reply's. */
	CHECK_FAILS(reply(c, parent, &HOTWHEELS, "posted once", "retry-key-1", (void *)&r_, &o_),
	    CRUDDUR_FAILED_PRECONDITION, "different parent activity");

	CHECK_STATUS(show(c, parent, &s, &o), CRUDDUR_OK, &o);
	CHECK(s != NULL && s->activity != NULL && s->n_replies == 4);
	if (s != NULL && s->activity != NULL && s->n_replies == 4) {
		CHECK_STREQ(s->activity->uuid, parent);
		CHECK_STREQ(s->activity->message, "a parent");
		CHECK(s->activity->replies_count == 4);
		for (int i = 0; i < 3; i++) {
			CHECK_STREQ(s->replies[i]->uuid, replies[i]);
			CHECK_STREQ(s->replies[i]->message, texts[i]);
			/* A reply expires with its parent. */
			CHECK(s->replies[i]->expires_at_us == s->activity->expires_at_us);
		}
		CHECK_STREQ(s->replies[3]->message, r1024);
		for (size_t i = 1; i < s->n_replies; i++)
			CHECK(s->replies[i - 1]->created_at_us <= s->replies[i]->created_at_us);
	}
	cruddur_message_free(s);

	/* A reply to a reply is allowed and counted on the reply. */
	CHECK_STATUS(reply(c, replies[0], &HOTWHEELS, "nested", NULL, &r, &o), CRUDDUR_OK, &o);
	if (r != NULL && r->activity != NULL)
		snprintf(nested, sizeof(nested), "%s", r->activity->uuid);
	cruddur_message_free(r);
	CHECK_STATUS(show(c, replies[0], &s, &o), CRUDDUR_OK, &o);
	CHECK(s != NULL && s->activity != NULL && s->activity->replies_count == 1 &&
	    s->n_replies == 1 && strcmp(s->replies[0]->uuid, nested) == 0);
	CHECK(s != NULL && s->activity != NULL &&
	    strcmp(s->activity->reply_to_activity_uuid, parent) == 0);
	cruddur_message_free(s);

	/* Replies stay out of the feed; their parent is in it. */
	CHECK(in_feed(c, parent));
	for (int i = 0; i < 3; i++)
		CHECK(!in_feed(c, replies[i]));
	CHECK(!in_feed(c, nested));

	/* An expired reply is no longer listed. */
	expire(replies[1]);
	CHECK_STATUS(show(c, parent, &s, &o), CRUDDUR_OK, &o);
	CHECK(s != NULL && s->n_replies == 3);
	for (size_t i = 0; s != NULL && i < s->n_replies; i++)
		CHECK(strcmp(s->replies[i]->uuid, replies[1]) != 0);
	cruddur_message_free(s);

	/* Errors. */
	CHECK_FAILS(reply(c, parent, &HOTWHEELS, r1025, NULL, (void *)&r_, &o_),
	    CRUDDUR_INVALID_ARGUMENT, "message must be 1 to 1024 characters, not 1025");
	CHECK_FAILS(reply(c, parent, &HOTWHEELS, "", NULL, (void *)&r_, &o_),
	    CRUDDUR_INVALID_ARGUMENT, "message is required");
	CHECK_FAILS(reply(c, "", &HOTWHEELS, "hi", NULL, (void *)&r_, &o_),
	    CRUDDUR_INVALID_ARGUMENT, "reply_to_activity_uuid is required");
	CHECK_FAILS(reply(c, "1234", &HOTWHEELS, "hi", NULL, (void *)&r_, &o_),
	    CRUDDUR_INVALID_ARGUMENT, "reply_to_activity_uuid \"1234\" is not a UUID");
	CHECK_FAILS(reply(c, "00000000-0000-4000-8000-000000000000", &HOTWHEELS, "hi", NULL,
	                (void *)&r_, &o_),
	    CRUDDUR_NOT_FOUND, "no activity 00000000-0000-4000-8000-000000000000 to reply to");
	const author_arg nobody = { "nobody_here", NULL, NULL };
	CHECK_FAILS(reply(c, parent, &nobody, "hi", NULL, (void *)&r_, &o_), CRUDDUR_NOT_FOUND,
	    "author: no user with handle");
	expire(other);
	CHECK_FAILS(reply(c, other, &HOTWHEELS, "too late", NULL, (void *)&r_, &o_),
	    CRUDDUR_NOT_FOUND, "to reply to (it does not exist or has expired)");
	/* None of that counted. */
	char q[256];
	snprintf(q, sizeof(q), "SELECT replies_count FROM activities WHERE uuid = '%s'", parent);
	CHECK(ts_sql_long(DB, q) == 4);
	snprintf(q, sizeof(q), "SELECT replies_count FROM activities WHERE uuid = '%s'", other);
	CHECK(ts_sql_long(DB, q) == 0);
}

static void
same_activity(const Cruddur__V1__Activity *a, const Cruddur__V1__Activity *b)
{
	CHECK_STREQ(a->uuid, b->uuid);
	CHECK_STREQ(a->user_uuid, b->user_uuid);
	CHECK_STREQ(a->handle, b->handle);
	CHECK_STREQ(a->display_name, b->display_name);
	CHECK_STREQ(a->message, b->message);
	CHECK_STREQ(a->reply_to_activity_uuid, b->reply_to_activity_uuid);
	CHECK(a->replies_count == b->replies_count && a->reposts_count == b->reposts_count &&
	    a->likes_count == b->likes_count);
	CHECK(a->created_at_us == b->created_at_us && a->created_at_us > 0);
	CHECK(a->expires_at_us == b->expires_at_us && a->expires_at_us > a->created_at_us);
}

static void
test_show_and_feed(cruddur_client *c)
{
	Cruddur__V1__ShowActivityResponse *s;
	Cruddur__V1__HomeFeedResponse     *f;
	cruddur_call_opts                  o;
	char                               gone[37], kept[37];

	create_ok(c, &FIFTY, "soon gone", gone);
	create_ok(c, &FIFTY, "still here", kept);
	CHECK(in_feed(c, gone) && in_feed(c, kept));
	CHECK_STATUS(show(c, gone, &s, &o), CRUDDUR_OK, &o);
	CHECK(s != NULL && s->activity != NULL && s->n_replies == 0);
	cruddur_message_free(s);
	expire(gone);
	CHECK(!in_feed(c, gone) && in_feed(c, kept));
	CHECK_FAILS(show(c, gone, (void *)&r_, &o_), CRUDDUR_NOT_FOUND, "has expired");
	CHECK_FAILS(show(c, "00000000-0000-4000-8000-000000000000", (void *)&r_, &o_),
	    CRUDDUR_NOT_FOUND, "no activity 00000000-0000-4000-8000-000000000000");
	CHECK_FAILS(show(c, "nope", (void *)&r_, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "uuid \"nope\" is not a UUID");
	CHECK_FAILS(show(c, "", (void *)&r_, &o_), CRUDDUR_INVALID_ARGUMENT, "uuid is required");

	/* Newest first: the last one created leads. */
	CHECK_STATUS(ts_home_feed(c, 1, NULL, true, 30000, &f, &o), CRUDDUR_OK, &o);
	CHECK(f != NULL && f->n_activities == 1 && strcmp(f->activities[0]->uuid, kept) == 0);
	CHECK(f != NULL && f->next_cursor[0] != '\0');
	/* The feed and ShowActivity read the same row, in binary: it must
	 * come out the same both ways, and its timestamps as PostgreSQL's
	 * own text says them, to the microsecond. */
	CHECK_STATUS(show(c, kept, &s, &o), CRUDDUR_OK, &o);
	if (f != NULL && f->n_activities == 1 && s != NULL && s->activity != NULL) {
		char q[256], out[128], want[128];
		same_activity(f->activities[0], s->activity);
		snprintf(q, sizeof(q), "SELECT (extract(epoch FROM created_at) * 1000000)::bigint || ' ' || "
		                       "(extract(epoch FROM expires_at) * 1000000)::bigint "
		                       "FROM activities WHERE uuid = '%s'", kept);
		snprintf(want, sizeof(want), "%lld %lld", (long long)s->activity->created_at_us,
		    (long long)s->activity->expires_at_us);
		CHECK_STREQ(sql(q, out, sizeof(out)), want);
	}
	cruddur_message_free(s);
	cruddur_message_free(f);
	CHECK_STATUS(ts_home_feed(c, 0, NULL, true, 30000, &f, &o), CRUDDUR_OK, &o);
	CHECK(f != NULL && f->n_activities == 20);
	cruddur_message_free(f);
	CHECK_FAILS(ts_home_feed(c, 101, NULL, true, 30000, (void *)&r_, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "limit must be from 1 to 100 (or 0 for 20), not 101");
	CHECK_FAILS(ts_home_feed(c, -1, NULL, true, 30000, (void *)&r_, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "not -1");
	CHECK_FAILS(ts_home_feed(c, 10, "!!!", true, 30000, (void *)&r_, &o_), CRUDDUR_INVALID_ARGUMENT,
	    "cursor is not one this server returned");
	/* Base64url of "123.not-a-uuid": decodes, but is no cursor. */
	CHECK_FAILS(ts_home_feed(c, 10, "MTIzLm5vdC1hLXV1aWQ", true, 30000, (void *)&r_, &o_),
	    CRUDDUR_INVALID_ARGUMENT,
	    "cursor is not one");
}

static void
test_sql_text_verbatim(cruddur_client *c)
{
	Cruddur__V1__CreateActivityResponse *r;
	Cruddur__V1__ShowActivityResponse   *s;
	cruddur_call_opts                    o;
	const char *texts[] = {
		"'); DROP TABLE activities; --",
		"Robert'); DELETE FROM users WHERE ('1'='1",
		"$1 $2 %s %n %% \\x00 \\' \" ; -- /* */ E'\\n'",
		"tab\tnewline\nend",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		CHECK_STATUS(create(c, &HOTWHEELS, texts[i], NULL, NULL, &r, &o), CRUDDUR_OK, &o);
		CHECK(r != NULL && r->activity != NULL);
		if (r != NULL && r->activity != NULL) {
			CHECK_STREQ(r->activity->message, texts[i]);
			CHECK_STATUS(show(c, r->activity->uuid, &s, &o), CRUDDUR_OK, &o);
			CHECK(s != NULL && s->activity != NULL);
			if (s != NULL && s->activity != NULL)
				CHECK_STREQ(s->activity->message, texts[i]);
			cruddur_message_free(s);
		}
		cruddur_message_free(r);
	}
	const author_arg sneaky = { NULL, NULL, "' OR 1=1 --" };
	CHECK_FAILS(create(c, &sneaky, "hi", NULL, NULL, &r, &o_), CRUDDUR_NOT_FOUND,
	    "no user with cognito_user_id \"' OR 1=1 --\"");
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users") == 2);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities WHERE message LIKE '%DROP TABLE%'") == 1);
}

/* ShowActivity returns 1000 replies at most, and says when there are more. */
static void
test_many_replies(cruddur_client *c)
{
	Cruddur__V1__ShowActivityRequest   req = CRUDDUR__V1__SHOW_ACTIVITY_REQUEST__INIT;
	Cruddur__V1__ShowActivityResponse *resp = NULL;
	cruddur_call_opts                  o = ts_opts(30000);
	char                               parent[64], sql[512], out[64];

	CHECK(ts_psql(DB, "INSERT INTO activities (user_uuid, message, expires_at) SELECT uuid, 'many replies', "
	                  "now() + interval '1 day' FROM users WHERE handle = 'hotwheels' RETURNING uuid",
	          parent, sizeof(parent)) == 0);
	snprintf(sql, sizeof(sql),
	    "INSERT INTO activities (user_uuid, message, reply_to_activity_uuid, expires_at, created_at) "
	    "SELECT u.uuid, 'reply ' || g, '%s', now() + interval '1 day', now() + g * interval '1 ms' "
	    "FROM users u, generate_series(1, 1000) g WHERE u.handle = 'hotwheels'", parent);
	CHECK(ts_psql(DB, sql, out, sizeof(out)) == 0);
	req.uuid = parent;
	CHECK_STATUS(cruddur_activities_show_activity(c, &req, &resp, &o), CRUDDUR_OK, &o);
	CHECK(resp != NULL && resp->n_replies == 1000 && !resp->more_replies);
	if (resp != NULL && resp->n_replies == 1000) {
		CHECK_STREQ(resp->replies[0]->message, "reply 1");
		CHECK_STREQ(resp->replies[999]->message, "reply 1000");
	}
	cruddur_message_free(resp);
	snprintf(sql, sizeof(sql),
	    "INSERT INTO activities (user_uuid, message, reply_to_activity_uuid, expires_at, created_at) "
	    "SELECT uuid, 'reply 1001', '%s', now() + interval '1 day', now() + interval '1 hour' "
	    "FROM users WHERE handle = 'hotwheels'", parent);
	CHECK(ts_psql(DB, sql, out, sizeof(out)) == 0);
	CHECK_STATUS(cruddur_activities_show_activity(c, &req, &resp, &o), CRUDDUR_OK, &o);
	CHECK(resp != NULL && resp->n_replies == 1000 && resp->more_replies);
	cruddur_message_free(resp);
}

int
main(void)
{
	ts_server s;

	ts_require_pg();
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, NULL, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	db_ready(c);
	test_create(c);
	test_create_errors(c);
	test_idempotent_retry(c);
	test_idempotent_concurrent(c);
	test_replies(c);
	test_show_and_feed(c);
	test_sql_text_verbatim(c);
	test_many_replies(c);
	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	return ts_finish("activities_test");
}
