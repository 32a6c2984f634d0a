/*
 * activities_idempotency.c - activities_test's part on idempotency keys:
 * CreateActivity retried (5 sequential calls with one key, one row; the
 * key with another message refused; keys belong to their author), then 16
 * threads at once with one key, for CreateActivity and for CreateReply,
 * leaving one row (and a reply counted once), and 16 replies without a
 * key, each counted.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "activities_calls.h"

/* --- idempotency ---------------------------------------------------------- */

void
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

void
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
