/*
 * users_get_update.c - users_test's part on reading and changing a user:
 * GetUser by the old handle field and by a UserRef, ShortUser, and
 * UpdateProfile of absent and present fields.
 */
#include <string.h>

#include "users_calls.h"

/* ---- GetUser, ShortUser ----------------------------------------------- */

void
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

void
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

void
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
