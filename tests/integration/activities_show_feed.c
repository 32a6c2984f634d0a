/*
 * activities_show_feed.c - activities_test's part on reading activities:
 * ShowActivity and HomeFeed agree on every field, expired activities are
 * hidden from both, replies kept out of the feed, HomeFeed's limits and
 * cursors checked; and SQL-looking text stored and returned byte for byte.
 */
#include <stdio.h>
#include <string.h>

#include "activities_calls.h"

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

void
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

void
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
