/*
 * svc_activities.c - the Activities service: the home feed.
 *
 * HomeFeed runs sql/queries/home_feed.sql as a prepared statement on a
 * pooled connection, with the limit as its only parameter.
 */
#include <stdio.h>
#include <stdlib.h>

#include "server.h"
#include "statements.h"
#include "svc_rows.h"

#define FEED_DEFAULT_LIMIT 20
#define FEED_MAX_LIMIT 100

static cruddur_status
home_feed(rpc_context *ctx, const Cruddur__V1__HomeFeedRequest *req,
    Cruddur__V1__HomeFeedResponse *resp)
{
	int            limit = req->limit == 0 ? FEED_DEFAULT_LIMIT : req->limit;
	char           limit_text[16];
	const char    *params[1] = { limit_text };
	PGresult      *res = NULL;
	cruddur_status st;

	if (limit < 1 || limit > FEED_MAX_LIMIT)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "limit must be from 1 to %d (or 0 for %d), not %d", FEED_MAX_LIMIT,
		    FEED_DEFAULT_LIMIT, req->limit);
	snprintf(limit_text, sizeof(limit_text), "%d", limit);
	if ((st = rows_query(ctx, &stmt_home_feed, params, &res)) != CRUDDUR_OK)
		return st;
	int n = PQntuples(res);
	resp->activities = rpc_alloc(ctx, (size_t)(n > 0 ? n : 1) * sizeof(*resp->activities));
	if (resp->activities == NULL)
		st = rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	for (int i = 0; st == CRUDDUR_OK && i < n; i++) {
		st = rows_activity(ctx, res, i, &resp->activities[i]);
		resp->n_activities += st == CRUDDUR_OK;
	}
	PQclear(res);
	return st;
}

void
svc_activities_register(rpc_handlers *h)
{
	h->activities_home_feed = home_feed;
}
