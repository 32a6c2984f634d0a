/*
 * activities_calls.c - the Activities RPCs, the seed authors and the SQL
 * that activities_test's parts share; see activities_calls.h.
 */
#include <stdio.h>
#include <string.h>

#include "activities_calls.h"

const author_arg HOTWHEELS = { "hotwheels", NULL, NULL };
const author_arg FIFTY = { "getFullOrDieTryin", NULL, NULL };


void
db_ready(cruddur_client *c)
{
	char out[256];

	ts_db_setup_migrated(c, DB);
	CHECK(ts_psql(DB, "SELECT count(*) FROM pg_indexes WHERE indexname IN "
	                  "('activities_feed_idx', 'activities_idempotency_key')",
	          out, sizeof(out)) == 0);
	CHECK_STREQ(out, "2");
}

void
author_fill(Cruddur__V1__Author *a, const author_arg *who)
{
	a->handle = (char *)(who->handle ? who->handle : "");
	a->user_uuid = (char *)(who->uuid ? who->uuid : "");
	a->cognito_user_id = (char *)(who->cognito ? who->cognito : "");
}

cruddur_status
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

void
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

cruddur_status
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

cruddur_status
show(cruddur_client *c, const char *uuid, Cruddur__V1__ShowActivityResponse **resp,
    cruddur_call_opts *o)
{
	Cruddur__V1__ShowActivityRequest req = CRUDDUR__V1__SHOW_ACTIVITY_REQUEST__INIT;

	*o = ts_opts(30000);
	*resp = NULL;
	req.uuid = (char *)uuid;
	return cruddur_activities_show_activity(c, &req, resp, o);
}

bool
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

const char *
sql(const char *query, char *out, size_t len)
{
	CHECK(ts_psql(DB, query, out, len) == 0);
	return out;
}

void
expire(const char *uuid)
{
	char q[256], out[64];
	snprintf(q, sizeof(q), "UPDATE activities SET expires_at = now() - interval '1 second' "
	                       "WHERE uuid = '%s'", uuid);
	sql(q, out, sizeof(out));
}
