/*
 * users_test.c - the Users service against the real cruddurd and the real
 * test PostgreSQL.
 *
 * Every RPC and every error path, by status and message: idempotent
 * sign-up (also 16 threads at once, rounds of them), taken handles in any
 * case, invalid text of every field (lengths in characters, bad UTF-8),
 * SQL injection stored verbatim, profile updates of absent and present
 * fields, and UserActivities paged over a few hundred rows put in with psql
 * (ties in created_at, expired rows, replies, another user's rows, rows
 * inserted while paging): the pages together are exactly what SQL says,
 * in order, with no duplicates or gaps.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define DB "cruddur_users_test"
#define RACE_THREADS 16
#define RACE_ROUNDS 5

/* Checks a call's status and that its message holds want_msg. */
#define CHECK_FAIL(call, want, want_msg, o)                                   \
	do {                                                                  \
		CHECK_STATUS((call), (want), &(o));                           \
		CHECK_MSG(&(o), (want_msg));                                  \
	} while (0)

static void
repeat(char *buf, const char *unit, int n)
{
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		strcat(buf, unit);
}

static void
setup(cruddur_client *c)
{
	Cruddur__V1__SetupRequest     req = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse   *resp = NULL;
	Cruddur__V1__MigrateRequest   mreq = CRUDDUR__V1__MIGRATE_REQUEST__INIT;
	Cruddur__V1__MigrateResponse *mresp = NULL;
	cruddur_call_opts             o = ts_opts(60000);

	CHECK_STATUS(cruddur_db_admin_setup(c, &req, &resp, &o), CRUDDUR_OK, &o);
	cruddur_message_free(resp);
	/* Setup ends at the latest version; this is a no-op then. */
	CHECK_STATUS(cruddur_db_admin_migrate(c, &mreq, &mresp, &o), CRUDDUR_OK, &o);
	cruddur_message_free(mresp);
}

static cruddur_status
create(cruddur_client *c, const char *name, const char *handle, const char *email,
    const char *cognito, Cruddur__V1__CreateUserResponse **resp, cruddur_call_opts *o)
{
	Cruddur__V1__CreateUserRequest req = CRUDDUR__V1__CREATE_USER_REQUEST__INIT;

	req.display_name = (char *)name;
	req.handle = (char *)handle;
	req.email = (char *)email;
	req.cognito_user_id = (char *)cognito;
	*resp = NULL;
	return cruddur_users_create_user(c, &req, resp, o);
}

/* GetUser with the old handle field (legacy) or a UserRef. */
static cruddur_status
get(cruddur_client *c, const char *legacy, const char *handle, const char *uuid,
    const char *cognito, Cruddur__V1__GetUserResponse **resp, cruddur_call_opts *o)
{
	Cruddur__V1__GetUserRequest req = CRUDDUR__V1__GET_USER_REQUEST__INIT;
	Cruddur__V1__UserRef        ref = CRUDDUR__V1__USER_REF__INIT;

	req.handle = (char *)(legacy ? legacy : "");
	if (handle || uuid || cognito) {
		ref.handle = (char *)(handle ? handle : "");
		ref.uuid = (char *)(uuid ? uuid : "");
		ref.cognito_user_id = (char *)(cognito ? cognito : "");
		req.user = &ref;
	}
	*resp = NULL;
	return cruddur_users_get_user(c, &req, resp, o);
}

static cruddur_status
update(cruddur_client *c, const char *handle, const char *uuid, const char *name, const char *bio,
    Cruddur__V1__UpdateProfileResponse **resp, cruddur_call_opts *o)
{
	Cruddur__V1__UpdateProfileRequest req = CRUDDUR__V1__UPDATE_PROFILE_REQUEST__INIT;
	Cruddur__V1__UserRef              ref = CRUDDUR__V1__USER_REF__INIT;
	Cruddur__V1__StringValue          n = CRUDDUR__V1__STRING_VALUE__INIT;
	Cruddur__V1__StringValue          b = CRUDDUR__V1__STRING_VALUE__INIT;

	ref.handle = (char *)(handle ? handle : "");
	ref.uuid = (char *)(uuid ? uuid : "");
	req.user = &ref;
	if (name != NULL) {
		n.value = (char *)name;
		req.display_name = &n;
	}
	if (bio != NULL) {
		b.value = (char *)bio;
		req.bio = &b;
	}
	*resp = NULL;
	return cruddur_users_update_profile(c, &req, resp, o);
}

static cruddur_status
activities(cruddur_client *c, const char *handle, int32_t limit, const char *cursor,
    Cruddur__V1__UserActivitiesResponse **resp, cruddur_call_opts *o)
{
	Cruddur__V1__UserActivitiesRequest req = CRUDDUR__V1__USER_ACTIVITIES_REQUEST__INIT;
	Cruddur__V1__UserRef               ref = CRUDDUR__V1__USER_REF__INIT;

	ref.handle = (char *)handle;
	req.user = handle ? &ref : NULL;
	req.limit = limit;
	req.cursor = (char *)cursor;
	*resp = NULL;
	return cruddur_users_user_activities(c, &req, resp, o);
}

/* ---- CreateUser ------------------------------------------------------- */

static void
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

static void
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

static void
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

static void
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

static void
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

/* ---- GetUser, ShortUser ----------------------------------------------- */

static void
test_get_user(cruddur_client *c)
{
	Cruddur__V1__GetUserResponse *g = NULL;
	cruddur_call_opts             o = ts_opts(5000);
	char                          uuid[40] = "";

	CHECK(ts_psql(DB, "UPDATE users SET bio = 'Down the rabbit hole' WHERE handle = 'alice'", uuid,
	          sizeof(uuid)) == 0);
	CHECK_STATUS(get(c, "ALICE", NULL, NULL, NULL, &g, &o), CRUDDUR_OK, &o);
	CHECK(g != NULL && g->user != NULL && strcmp(g->user->bio, "Down the rabbit hole") == 0);
	if (g != NULL && g->user != NULL)
		snprintf(uuid, sizeof(uuid), "%s", g->user->uuid);
	cruddur_message_free(g);

	const char *refs[][3] = { { "Alice", NULL, NULL }, { NULL, uuid, NULL }, { NULL, NULL, "cog-alice" } };
	for (size_t i = 0; i < 3; i++) {
		CHECK_STATUS(get(c, NULL, refs[i][0], refs[i][1], refs[i][2], &g, &o), CRUDDUR_OK, &o);
		CHECK(g != NULL && g->user != NULL && strcmp(g->user->uuid, uuid) == 0 &&
		    strcmp(g->user->handle, "alice") == 0 && strcmp(g->user->email, "alice@example.com") == 0 &&
		    strcmp(g->user->bio, "Down the rabbit hole") == 0);
		cruddur_message_free(g);
	}

	CHECK_FAIL(get(c, NULL, NULL, NULL, NULL, &g, &o), CRUDDUR_INVALID_ARGUMENT,
	    "handle or user is required", o);
	CHECK_FAIL(get(c, "alice", "alice", NULL, NULL, &g, &o), CRUDDUR_INVALID_ARGUMENT,
	    "give handle or user, not both", o);
	CHECK_FAIL(get(c, NULL, "", "", "", &g, &o), CRUDDUR_INVALID_ARGUMENT,
	    "give exactly one of handle, uuid or cognito_user_id (0 given)", o);
	CHECK_FAIL(get(c, NULL, "alice", uuid, NULL, &g, &o), CRUDDUR_INVALID_ARGUMENT, "(2 given)", o);
	CHECK_FAIL(get(c, NULL, "alice", uuid, "cog-alice", &g, &o), CRUDDUR_INVALID_ARGUMENT, "(3 given)", o);
	CHECK_FAIL(get(c, NULL, NULL, "not-a-uuid", NULL, &g, &o), CRUDDUR_INVALID_ARGUMENT,
	    "uuid \"not-a-uuid\" is not a UUID", o);
	CHECK_FAIL(get(c, NULL, "bad handle!", NULL, NULL, &g, &o), CRUDDUR_INVALID_ARGUMENT,
	    "handle must be 1 to 32", o);
	CHECK_FAIL(get(c, NULL, NULL, NULL, "\xff", &g, &o), CRUDDUR_INVALID_ARGUMENT,
	    "cognito_user_id is not valid UTF-8", o);
	CHECK_FAIL(get(c, "\xff", NULL, NULL, NULL, &g, &o), CRUDDUR_INVALID_ARGUMENT,
	    "handle is not valid UTF-8", o);

	CHECK_FAIL(get(c, "nobody", NULL, NULL, NULL, &g, &o), CRUDDUR_NOT_FOUND,
	    "no user with handle \"nobody\"", o);
	CHECK_FAIL(get(c, "'; DROP TABLE users; --", NULL, NULL, NULL, &g, &o), CRUDDUR_NOT_FOUND,
	    "no user with handle", o);
	CHECK_FAIL(get(c, NULL, "nobody", NULL, NULL, &g, &o), CRUDDUR_NOT_FOUND,
	    "no user with handle \"nobody\"", o);
	CHECK_FAIL(get(c, NULL, NULL, "00000000-0000-4000-8000-000000000000", NULL, &g, &o),
	    CRUDDUR_NOT_FOUND, "no user with uuid \"00000000-0000-4000-8000-000000000000\"", o);
	CHECK_FAIL(get(c, NULL, NULL, NULL, "cog-nobody", &g, &o), CRUDDUR_NOT_FOUND,
	    "no user with cognito_user_id \"cog-nobody\"", o);
}

static void
test_short_user(cruddur_client *c)
{
	Cruddur__V1__ShortUserRequest   req = CRUDDUR__V1__SHORT_USER_REQUEST__INIT;
	Cruddur__V1__UserRef            ref = CRUDDUR__V1__USER_REF__INIT;
	Cruddur__V1__ShortUserResponse *r = NULL;
	cruddur_call_opts               o = ts_opts(5000);

	ref.handle = "hotwheels";
	req.user = &ref;
	CHECK_STATUS(cruddur_users_short_user(c, &req, &r, &o), CRUDDUR_OK, &o);
	CHECK(r != NULL && r->user != NULL);
	if (r != NULL && r->user != NULL) {
		CHECK(strlen(r->user->uuid) == 36);
		CHECK_STREQ(r->user->handle, "hotwheels");
		CHECK_STREQ(r->user->display_name, "Pop Goes the Weasel");
	}
	cruddur_message_free(r);
	ref.handle = "";
	ref.cognito_user_id = "MOCK2";
	CHECK_STATUS(cruddur_users_short_user(c, &req, &r, &o), CRUDDUR_OK, &o);
	CHECK(r != NULL && r->user != NULL && strcmp(r->user->handle, "getFullOrDieTryin") == 0);
	cruddur_message_free(r);
	ref.cognito_user_id = "";
	ref.handle = "nobody";
	CHECK_FAIL(cruddur_users_short_user(c, &req, &r, &o), CRUDDUR_NOT_FOUND,
	    "no user with handle \"nobody\"", o);
	req.user = NULL;
	CHECK_FAIL(cruddur_users_short_user(c, &req, &r, &o), CRUDDUR_INVALID_ARGUMENT, "(0 given)", o);
}

/* ---- UpdateProfile ---------------------------------------------------- */

static void
check_profile(Cruddur__V1__UpdateProfileResponse *r, const char *name, const char *bio)
{
	CHECK(r != NULL && r->user != NULL);
	if (r != NULL && r->user != NULL) {
		CHECK_STREQ(r->user->display_name, name);
		CHECK_STREQ(r->user->bio, bio);
		CHECK_STREQ(r->user->handle, "updater");
	}
	cruddur_message_free(r);
}

static void
test_update_profile(cruddur_client *c)
{
	static char                         bio500[1600], bio501[600], name101[128];
	Cruddur__V1__CreateUserResponse    *cr = NULL;
	Cruddur__V1__UpdateProfileResponse *r = NULL;
	cruddur_call_opts                   o = ts_opts(5000);
	char                                uuid[40] = "", out[1200];

	CHECK_STATUS(create(c, "Up Dater", "updater", "up@example.com", "cog-updater", &cr, &o),
	    CRUDDUR_OK, &o);
	if (cr != NULL && cr->user != NULL)
		snprintf(uuid, sizeof(uuid), "%s", cr->user->uuid);
	cruddur_message_free(cr);

	CHECK_STATUS(update(c, "updater", NULL, NULL, "Just a bio", &r, &o), CRUDDUR_OK, &o);
	check_profile(r, "Up Dater", "Just a bio");
	CHECK_STATUS(update(c, "UPDATER", NULL, "New Name", NULL, &r, &o), CRUDDUR_OK, &o);
	check_profile(r, "New Name", "Just a bio");
	CHECK_STATUS(update(c, NULL, uuid, "Both", "Robert'); DROP TABLE users;--", &r, &o), CRUDDUR_OK, &o);
	check_profile(r, "Both", "Robert'); DROP TABLE users;--");
	/* Committed before OK: another session sees it. */
	CHECK(ts_psql(DB, "SELECT display_name || '|' || bio FROM users WHERE handle = 'updater'", out,
	          sizeof(out)) == 0);
	CHECK_STREQ(out, "Both|Robert'); DROP TABLE users;--");
	/* Present but empty: the bio is cleared. */
	CHECK_STATUS(update(c, "updater", NULL, NULL, "", &r, &o), CRUDDUR_OK, &o);
	check_profile(r, "Both", "");
	repeat(bio500, "\xe2\x82\xac", 500); /* 500 euro signs, 1500 bytes */
	CHECK_STATUS(update(c, "updater", NULL, NULL, bio500, &r, &o), CRUDDUR_OK, &o);
	check_profile(r, "Both", bio500);

	repeat(bio501, "b", 501);
	repeat(name101, "n", 101);
	CHECK_FAIL(update(c, "updater", NULL, NULL, bio501, &r, &o), CRUDDUR_INVALID_ARGUMENT,
	    "bio must be 0 to 500 characters, not 501", o);
	CHECK_FAIL(update(c, "updater", NULL, name101, NULL, &r, &o), CRUDDUR_INVALID_ARGUMENT,
	    "display_name must be 1 to 100 characters, not 101", o);
	CHECK_FAIL(update(c, "updater", NULL, "", NULL, &r, &o), CRUDDUR_INVALID_ARGUMENT,
	    "display_name is required", o);
	CHECK_FAIL(update(c, "updater", NULL, NULL, "\xed\xa0\x80", &r, &o), CRUDDUR_INVALID_ARGUMENT,
	    "bio is not valid UTF-8", o);
	CHECK_FAIL(update(c, "updater", NULL, NULL, NULL, &r, &o), CRUDDUR_INVALID_ARGUMENT,
	    "nothing to update", o);
	CHECK_FAIL(update(c, NULL, NULL, "X", NULL, &r, &o), CRUDDUR_INVALID_ARGUMENT, "(0 given)", o);
	CHECK_FAIL(update(c, "nobody", NULL, "X", NULL, &r, &o), CRUDDUR_NOT_FOUND,
	    "no user with handle \"nobody\"", o);
	CHECK_FAIL(update(c, NULL, "00000000-0000-4000-8000-000000000000", "X", NULL, &r, &o),
	    CRUDDUR_NOT_FOUND, "no user with uuid \"00000000-0000-4000-8000-000000000000\"", o);
	/* Nothing that failed changed anything. */
	CHECK(ts_sql_long(DB, "SELECT char_length(bio) FROM users WHERE handle = 'updater'") == 500);
}

/* ---- UserActivities --------------------------------------------------- */

/* psql's newline-separated uuids of pager's live activities, newest first. */
static const char *expected_sql =
    "SELECT a.uuid FROM activities a JOIN users u ON u.uuid = a.user_uuid "
    "WHERE u.handle = 'pager' AND (a.expires_at IS NULL OR a.expires_at > now()) "
    "ORDER BY a.created_at DESC, a.uuid DESC";

static const char *fill_sql =
    "WITH p AS (SELECT uuid FROM users WHERE handle = 'pager'), "
    "o AS (SELECT uuid FROM users WHERE handle = 'hotwheels'), "
    "t AS (SELECT date_trunc('second', now()) AS t0) "
    "INSERT INTO activities (user_uuid, message, created_at, expires_at) "
    /* 250 live rows, three to each created_at (ties break on uuid) */
    "SELECT p.uuid, 'live ' || g, t0 - (g / 3) * interval '1 second', now() + interval '1 day' "
    "FROM p, t, generate_series(1, 250) g "
    /* 30 that never expire */
    "UNION ALL SELECT p.uuid, 'forever ' || g, t0 - g * interval '7 second', NULL "
    "FROM p, t, generate_series(1, 30) g "
    /* 20 expired, among the others */
    "UNION ALL SELECT p.uuid, 'expired ' || g, t0 - g * interval '5 second', now() - interval '1 hour' "
    "FROM p, t, generate_series(1, 20) g "
    /* 40 of another user, at the same times */
    "UNION ALL SELECT o.uuid, 'other ' || g, t0 - g * interval '2 second', now() + interval '1 day' "
    "FROM o, t, generate_series(1, 40) g;"
    /* 10 live replies of pager to its own newest activity */
    "INSERT INTO activities (user_uuid, message, created_at, expires_at, reply_to_activity_uuid) "
    "SELECT a.user_uuid, 'reply ' || g, now() - g * interval '3 second', now() + interval '1 day', a.uuid "
    "FROM (SELECT * FROM activities WHERE message = 'live 1') a, generate_series(1, 10) g;";

/* Pages through pager's activities limit rows at a time into got (uuids,
 * each followed by a newline); after the first page, inserts `during` new
 * activities. Returns the number of pages. */
static int
page_all(cruddur_client *c, int32_t limit, long want_count, int during, char *got, size_t len)
{
	Cruddur__V1__UserActivitiesResponse *r = NULL;
	cruddur_call_opts                    o = ts_opts(10000);
	char                                 cursor[256] = "", out[64];
	int                                  pages = 0;
	int64_t                              prev_us = INT64_MAX;
	char                                 prev_uuid[40] = "";

	got[0] = '\0';
	for (;;) {
		CHECK_STATUS(activities(c, "Pager", limit, cursor, &r, &o), CRUDDUR_OK, &o);
		if (r == NULL || r->user == NULL)
			return -1;
		pages++;
		CHECK_STREQ(r->user->handle, "pager");
		CHECK(pages == 1 || during == 0 ? r->activities_count == want_count
		                                : r->activities_count == want_count + during);
		CHECK(r->n_activities == (size_t)limit || r->next_cursor[0] == '\0');
		for (size_t i = 0; i < r->n_activities; i++) {
			Cruddur__V1__Activity *a = r->activities[i];
			CHECK_STREQ(a->user_uuid, r->user->uuid);
			CHECK_STREQ(a->handle, "pager");
			CHECK(strncmp(a->message, "expired", 7) != 0);
			/* Strictly descending by (created_at, uuid). */
			CHECK(a->created_at_us < prev_us ||
			    (a->created_at_us == prev_us && strcmp(a->uuid, prev_uuid) < 0));
			prev_us = a->created_at_us;
			snprintf(prev_uuid, sizeof(prev_uuid), "%s", a->uuid);
			if (strlen(got) + 38 < len) {
				strcat(got, a->uuid);
				strcat(got, "\n");
			}
		}
		snprintf(cursor, sizeof(cursor), "%s", r->next_cursor);
		cruddur_message_free(r);
		if (pages == 1 && during > 0) {
			char sql[512];
			snprintf(sql, sizeof(sql),
			    "INSERT INTO activities (user_uuid, message) SELECT uuid, 'during ' || g "
			    "FROM users, generate_series(1, %d) g WHERE handle = 'pager'", during);
			CHECK(ts_psql(DB, sql, out, sizeof(out)) == 0);
		}
		if (cursor[0] == '\0' || pages > 1000)
			break;
	}
	return pages;
}

static void
test_user_activities(cruddur_client *c)
{
	Cruddur__V1__CreateUserResponse     *cr = NULL;
	Cruddur__V1__UserActivitiesResponse *r = NULL;
	cruddur_call_opts                    o = ts_opts(10000);
	size_t                               len = 64 * 1024;
	char                                *want = malloc(len), *got = malloc(len), out[256];

	CHECK_STATUS(create(c, "Page Turner", "pager", "pager@example.com", "cog-pager", &cr, &o),
	    CRUDDUR_OK, &o);
	cruddur_message_free(cr);

	/* No activities yet: an empty last page. */
	CHECK_STATUS(activities(c, "pager", 0, "", &r, &o), CRUDDUR_OK, &o);
	CHECK(r != NULL && r->activities_count == 0 && r->n_activities == 0 && r->next_cursor[0] == '\0');
	cruddur_message_free(r);

	CHECK(ts_psql(DB, fill_sql, out, sizeof(out)) == 0);
	CHECK(ts_psql(DB, expected_sql, want, len) == 0);
	strcat(want, "\n");
	long live = 250 + 30 + 10;
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities a JOIN users u ON u.uuid = a.user_uuid "
	                "WHERE u.handle = 'pager'") == live + 20);

	/* 290 rows, 7 to a page: 42 pages, the last with 3; every row once. */
	CHECK(page_all(c, 7, live, 0, got, len) == 42);
	CHECK(strcmp(got, want) == 0);
	CHECK(page_all(c, 100, live, 0, got, len) == 3);
	CHECK(strcmp(got, want) == 0);
	CHECK(page_all(c, 1, live, 0, got, len) == 290);
	CHECK(strcmp(got, want) == 0);
	/* Rows inserted while paging are newer than the first page: the
	 * pages that follow are exactly the old ones, no duplicates, no gaps. */
	CHECK(page_all(c, 13, live, 5, got, len) == 23);
	CHECK(strcmp(got, want) == 0);

	CHECK_STATUS(activities(c, "pager", 0, "", &r, &o), CRUDDUR_OK, &o);
	CHECK(r != NULL && r->n_activities == 20 && r->activities_count == live + 5);
	CHECK(r != NULL && r->user != NULL && strcmp(r->user->display_name, "Page Turner") == 0);
	cruddur_message_free(r);

	CHECK_FAIL(activities(c, "pager", 101, "", &r, &o), CRUDDUR_INVALID_ARGUMENT,
	    "limit must be from 1 to 100 (or 0 for 20), not 101", o);
	CHECK_FAIL(activities(c, "pager", -1, "", &r, &o), CRUDDUR_INVALID_ARGUMENT,
	    "limit must be from 1 to 100", o);
	CHECK_FAIL(activities(c, "pager", 10, "not a cursor!", &r, &o), CRUDDUR_INVALID_ARGUMENT,
	    "cursor is not one this server returned", o);
	/* Base64url of "12345.nope": the right alphabet, not our key. */
	CHECK_FAIL(activities(c, "pager", 10, "MTIzNDUubm9wZQ", &r, &o), CRUDDUR_INVALID_ARGUMENT,
	    "cursor is not one this server returned", o);
	CHECK_FAIL(activities(c, "nobody", 10, "", &r, &o), CRUDDUR_NOT_FOUND,
	    "no user with handle \"nobody\"", o);
	CHECK_FAIL(activities(c, NULL, 10, "", &r, &o), CRUDDUR_INVALID_ARGUMENT, "(0 given)", o);
	free(want);
	free(got);
}

int
main(void)
{
	ts_server s;

	ts_require_pg();
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, NULL, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);

	setup(c);
	test_create_idempotent(c);
	test_create_handle_taken(c);
	test_create_invalid(c);
	test_injection_verbatim(c);
	test_concurrent_create(&s);
	test_get_user(c);
	test_short_user(c);
	test_update_profile(c);
	test_user_activities(c);

	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	return ts_finish("users_test");
}
