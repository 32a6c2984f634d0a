/*
 * activities_create.c - activities_test's part on CreateActivity: what it
 * stores and returns, and every error path by status and message (message
 * lengths counted in characters: 280 x "é" fits, 281 characters do not;
 * invalid UTF-8; ttls; authors named zero, two or unknown ways).
 */
#include <stdio.h>
#include <string.h>

#include "activities_calls.h"

/* --- CreateActivity ----------------------------------------------------- */

void
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

void
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
