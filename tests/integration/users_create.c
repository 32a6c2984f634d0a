/*
 * users_create.c - users_test's part on CreateUser: idempotent sign-up
 * (the same cognito_user_id again returns the same user, existed set),
 * taken handles in any case, invalid text of every field (lengths in
 * characters, bad UTF-8), SQL injection stored verbatim; and 16 threads,
 * each with its own client, at once: the same sign-up (5 rounds: all OK,
 * one insert, one user), then 16 people wanting one handle (one gets it,
 * the others ALREADY_EXISTS).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "users_calls.h"

/* ---- CreateUser ------------------------------------------------------- */

void
test_create_idempotent(cruddur_client *c)
{
	Cruddur__V1__CreateUserResponse *r1 = NULL, *r2 = NULL;
	cruddur_call_opts                o = ts_opts(5000);

	CHECK_STATUS(create(c, "Alice Liddell", "alice", "alice@example.com", "cog-alice", &r1, &o),
	    CRUDDUR_OK, &o);
	CHECK(r1 != NULL && r1->user != NULL && !r1->existed);
	if (r1 == NULL || r1->user == NULL)
		return;
	CHECK(strlen(r1->user->uuid) == 36);
	CHECK_STREQ(r1->user->display_name, "Alice Liddell");
	CHECK_STREQ(r1->user->handle, "alice");
	CHECK_STREQ(r1->user->email, "alice@example.com");
	CHECK_STREQ(r1->user->cognito_user_id, "cog-alice");
	CHECK_STREQ(r1->user->bio, "");
	CHECK(r1->user->created_at_us > 0);
	/* Read in binary: the uuid and the microseconds as PostgreSQL's own text says them. */
	CHECK(ts_sql_long(DB, "SELECT (extract(epoch FROM created_at) * 1000000)::bigint FROM users "
	                      "WHERE handle = 'alice'") == r1->user->created_at_us);
	char want_uuid[64];
	CHECK(ts_psql(DB, "SELECT uuid FROM users WHERE handle = 'alice'", want_uuid,
	          sizeof(want_uuid)) == 0);
	CHECK_STREQ(r1->user->uuid, want_uuid);

	/* The hook again, even with other details: the first user, as it is. */
	CHECK_STATUS(create(c, "Someone Else", "alice2", "x@example.com", "cog-alice", &r2, &o),
	    CRUDDUR_OK, &o);
	CHECK(r2 != NULL && r2->user != NULL && r2->existed);
	if (r2 != NULL && r2->user != NULL) {
		CHECK_STREQ(r2->user->uuid, r1->user->uuid);
		CHECK_STREQ(r2->user->handle, "alice");
		CHECK_STREQ(r2->user->display_name, "Alice Liddell");
		CHECK(r2->user->created_at_us == r1->user->created_at_us);
	}
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users WHERE cognito_user_id = 'cog-alice'") == 1);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users WHERE handle = 'alice2'") == 0);
	cruddur_message_free(r1);
	cruddur_message_free(r2);
}

void
test_create_handle_taken(cruddur_client *c)
{
	Cruddur__V1__CreateUserResponse *r = NULL;
	cruddur_call_opts                o = ts_opts(5000);

	CHECK_FAIL(create(c, "Other", "alice", "o@example.com", "cog-other", &r, &o),
	    CRUDDUR_ALREADY_EXISTS, "handle \"alice\" is taken", o);
	CHECK_FAIL(create(c, "Other", "ALICE", "o@example.com", "cog-other", &r, &o),
	    CRUDDUR_ALREADY_EXISTS, "handle \"ALICE\" is taken", o);
	/* The seed's user, in another case. */
	CHECK_FAIL(create(c, "Other", "HotWheels", "o@example.com", "cog-other", &r, &o),
	    CRUDDUR_ALREADY_EXISTS, "handle \"HotWheels\" is taken", o);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users WHERE cognito_user_id = 'cog-other'") == 0);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users WHERE lower(handle) = 'alice'") == 1);
}

void
test_create_invalid(cruddur_client *c)
{
	static char name101[128], name100[256], handle33[40], handle32[40], email255[300],
	    email254[300], cog129[140];
	Cruddur__V1__CreateUserResponse *r = NULL;
	cruddur_call_opts                o = ts_opts(5000);
	long                             before = ts_sql_long(DB, "SELECT count(*) FROM users");

	repeat(name101, "n", 101);
	repeat(handle33, "h", 33);
	repeat(email255, "e", 255 - 12);
	strcat(email255, "@example.com");
	repeat(cog129, "c", 129);
	const struct {
		const char *name, *handle, *email, *cognito, *msg;
	} cases[] = {
		{ "", "ok_handle", "a@b.c", "cog-x", "display_name is required" },
		{ name101, "ok_handle", "a@b.c", "cog-x", "display_name must be 1 to 100 characters, not 101" },
		{ "bad \xff name", "ok_handle", "a@b.c", "cog-x", "display_name is not valid UTF-8" },
		{ "\xc0\xaf", "ok_handle", "a@b.c", "cog-x", "display_name is not valid UTF-8" },
		{ "Name", "", "a@b.c", "cog-x", "handle is required" },
		{ "Name", "bad handle", "a@b.c", "cog-x", "handle must be 1 to 32 letters, digits or underscores" },
		{ "Name", handle33, "a@b.c", "cog-x", "handle must be 1 to 32" },
		{ "Name", "h\xc3\xa9llo", "a@b.c", "cog-x", "handle must be 1 to 32" },
		{ "Name", "x'--", "a@b.c", "cog-x", "handle must be 1 to 32" },
		{ "Name", "ok_handle", "", "cog-x", "email is required" },
		{ "Name", "ok_handle", "no-at-sign", "cog-x", "is not an address" },
		{ "Name", "ok_handle", "a@b@c", "cog-x", "is not an address" },
		{ "Name", "ok_handle", "@example.com", "cog-x", "is not an address" },
		{ "Name", "ok_handle", "a@", "cog-x", "is not an address" },
		{ "Name", "ok_handle", "a b@example.com", "cog-x", "email must not contain spaces" },
		{ "Name", "ok_handle", "a@example.com\t", "cog-x", "email must not contain spaces" },
		{ "Name", "ok_handle", email255, "cog-x", "email must be at most 254 bytes, not 255" },
		{ "Name", "ok_handle", "\xff@example.com", "cog-x", "email is not valid UTF-8" },
		{ "Name", "ok_handle", "a@b.c", "", "cognito_user_id is required" },
		{ "Name", "ok_handle", "a@b.c", cog129, "cognito_user_id must be 1 to 128 characters, not 129" },
		{ "Name", "ok_handle", "a@b.c", "\xff", "cognito_user_id is not valid UTF-8" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_FAIL(create(c, cases[i].name, cases[i].handle, cases[i].email, cases[i].cognito, &r, &o),
		    CRUDDUR_INVALID_ARGUMENT, cases[i].msg, o);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users") == before);

	/* The limits themselves are fine; lengths are characters, not bytes. */
	repeat(name100, "\xc3\xa9", 100);
	repeat(handle32, "H", 32);
	repeat(email254, "e", 254 - 12);
	strcat(email254, "@example.com");
	CHECK_STATUS(create(c, name100, handle32, email254, "cog-limits", &r, &o), CRUDDUR_OK, &o);
	CHECK(r != NULL && r->user != NULL && strcmp(r->user->display_name, name100) == 0 &&
	    strcmp(r->user->email, email254) == 0);
	cruddur_message_free(r);
}

void
test_injection_verbatim(cruddur_client *c)
{
	const char                      *name = "Robert'); DROP TABLE users;--";
	const char                      *email = "bob'--\"@example.com";
	const char                      *cognito = "x' OR '1'='1";
	Cruddur__V1__CreateUserResponse *r = NULL;
	Cruddur__V1__GetUserResponse    *g = NULL;
	cruddur_call_opts                o = ts_opts(5000);

	CHECK_STATUS(create(c, name, "bobby_tables", email, cognito, &r, &o), CRUDDUR_OK, &o);
	cruddur_message_free(r);
	CHECK_STATUS(get(c, NULL, NULL, NULL, cognito, &g, &o), CRUDDUR_OK, &o);
	CHECK(g != NULL && g->user != NULL);
	if (g != NULL && g->user != NULL) {
		CHECK_STREQ(g->user->display_name, name);
		CHECK_STREQ(g->user->email, email);
		CHECK_STREQ(g->user->cognito_user_id, cognito);
	}
	cruddur_message_free(g);
	CHECK_FAIL(get(c, NULL, NULL, NULL, "' OR 1=1 --", &g, &o), CRUDDUR_NOT_FOUND,
	    "no user with cognito_user_id \"' OR 1=1 --\"", o);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users WHERE display_name = 'Robert''); DROP TABLE users;--'") == 1);
}

/* ---- 16 threads, one sign-up ------------------------------------------ */

typedef struct racer {
	cruddur_client    *client;
	pthread_barrier_t *start;
	const char        *cognito, *handle;
	cruddur_status     st;
	bool               existed;
	char               uuid[40];
	char               message[512];
} racer;

static void *
race(void *arg)
{
	racer                           *r = arg;
	Cruddur__V1__CreateUserResponse *resp = NULL;
	cruddur_call_opts                o = ts_opts(20000);

	pthread_barrier_wait(r->start);
	r->st = create(r->client, "Racer", r->handle, "racer@example.com", r->cognito, &resp, &o);
	snprintf(r->message, sizeof(r->message), "%s", o.message);
	if (resp != NULL && resp->user != NULL) {
		r->existed = resp->existed;
		snprintf(r->uuid, sizeof(r->uuid), "%s", resp->user->uuid);
	}
	cruddur_message_free(resp);
	return NULL;
}

/* Starts RACE_THREADS racers at once, each with its own client, and waits
 * for them. With one cognito_user_id all share it; without, each racer i
 * signs up as "<cognito_prefix>-i". */
static void
race_all(const ts_server *s, racer *racers, const char *cognito, const char *handle,
    char (*own_cognito)[32])
{
	pthread_t         threads[RACE_THREADS];
	pthread_barrier_t start;

	pthread_barrier_init(&start, NULL, RACE_THREADS);
	for (int i = 0; i < RACE_THREADS; i++) {
		memset(&racers[i], 0, sizeof(racers[i]));
		racers[i].client = ts_client(s);
		racers[i].start = &start;
		racers[i].cognito = own_cognito != NULL ? own_cognito[i] : cognito;
		racers[i].handle = handle;
		pthread_create(&threads[i], NULL, race, &racers[i]);
	}
	for (int i = 0; i < RACE_THREADS; i++) {
		pthread_join(threads[i], NULL);
		cruddur_client_close(racers[i].client);
	}
	pthread_barrier_destroy(&start);
}

void
test_concurrent_create(const ts_server *s)
{
	racer racers[RACE_THREADS];
	char  cognito[32], handle[32], sql[256], own[RACE_THREADS][32];

	/* The same sign-up 16 times at once: one insert, all OK, one user. */
	for (int round = 0; round < RACE_ROUNDS; round++) {
		snprintf(cognito, sizeof(cognito), "cog-race-%d", round);
		snprintf(handle, sizeof(handle), "racer_%d", round);
		race_all(s, racers, cognito, handle, NULL);
		int inserted = 0;
		for (int i = 0; i < RACE_THREADS; i++) {
			if (racers[i].st != CRUDDUR_OK)
				ts_fail(__FILE__, __LINE__, "round %d racer %d: %s (%s)", round, i,
				    cruddur_status_name(racers[i].st), racers[i].message);
			inserted += racers[i].st == CRUDDUR_OK && !racers[i].existed;
			CHECK_STREQ(racers[i].uuid, racers[0].uuid);
		}
		CHECK(inserted == 1);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM users WHERE cognito_user_id = '%s'", cognito);
		CHECK(ts_sql_long(DB, sql) == 1);
	}

	/* 16 different people want one handle at once: one gets it. */
	for (int i = 0; i < RACE_THREADS; i++)
		snprintf(own[i], sizeof(own[i]), "cog-hrace-%d", i);
	race_all(s, racers, NULL, "HRacer", own);
	int won = 0;
	for (int i = 0; i < RACE_THREADS; i++) {
		won += racers[i].st == CRUDDUR_OK && !racers[i].existed;
		if (racers[i].st != CRUDDUR_OK &&
		    (racers[i].st != CRUDDUR_ALREADY_EXISTS ||
		        strstr(racers[i].message, "handle \"HRacer\" is taken") == NULL))
			ts_fail(__FILE__, __LINE__, "handle racer %d: %s (%s)", i,
			    cruddur_status_name(racers[i].st), racers[i].message);
	}
	CHECK(won == 1);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users WHERE lower(handle) = 'hracer'") == 1);
}
