/*
 * activities_replies.c - activities_test's part on replies: CreateReply
 * counted exactly once each and never on a replay, listed oldest first by
 * ShowActivity, its errors; and ShowActivity's 1000 replies at most, with
 * more_replies when there are more.
 */
#include <stdio.h>
#include <string.h>

#include "activities_calls.h"

/* --- CreateReply and ShowActivity --------------------------------------------- */

void
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

/* ShowActivity returns 1000 replies at most, and says when there are more. */
void
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
