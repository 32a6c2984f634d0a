/*
 * svc_activities.c - the Activities service's reads: HomeFeed and
 * ShowActivity. The writes are in svc_activities_write.c.
 *
 * HomeFeed pages by key, never by offset: a page is the next `limit`
 * top-level, unexpired activities strictly after the key (created_at,
 * uuid) of the previous page's last row, in (created_at DESC, uuid DESC)
 * order (sql/queries/home_feed.sql). New activities are written with
 * clock_timestamp(), so they sort before any page a reader has not reached
 * yet: paging while others post shows every older activity exactly once.
 * The cursor (cursor.h) is that key, opaque to callers. Concurrent
 * requests for the same page share one query (feed_coalesce.h), never
 * one that started before they arrived.
 *
 * ShowActivity reads the activity and its replies in one REPEATABLE READ,
 * READ ONLY transaction, so that both come from one snapshot: the
 * activity's replies_count and the replies listed agree (but for replies
 * that expired on their own, and the 1000-reply cap of
 * sql/queries/activity_replies.sql).
 */
#include <stdio.h>
#include <string.h>

#include "svc/cursor.h"
#include "db/db_error.h"
#include "svc/fast_read.h"
#include "svc/feed_coalesce.h"
#include "server.h"
#include "sql_statements.h"
#include "svc/svc_activities.h"
#include "svc/rows.h"
#include "base/text.h"

/* The query fetches one more, to know that there are more. */
#define SHOW_MAX_REPLIES 1000

/* feed_query_fn: the page query itself; arg is its parameters. */
static cruddur_status
home_feed_run(rpc_context *ctx, void *arg, PGresult **res)
{
	return rows_query_read(ctx, &stmt_home_feed, arg, res);
}

/* fast_read.query: checks the request and gives the page's statement and
 * parameters; requests for the same page of the same size share a key. */
static cruddur_status
home_feed_query(rpc_context *ctx, const ProtobufCMessage *msg, read_query *q)
{
	const Cruddur__V1__HomeFeedRequest *req = (const Cruddur__V1__HomeFeedRequest *)msg;
	int                                 limit;
	page_key                            key;
	bool                                first;
	const char                         *uuid;
	cruddur_status                      st;
	char                               *us = rpc_alloc(ctx, 24), *limit_text = rpc_alloc(ctx, 16);
	size_t                              key_len = strlen(req->cursor) + 16;
	char                               *share = rpc_alloc(ctx, key_len);

	if (us == NULL || limit_text == NULL || share == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	if ((st = cursor_page_limit(ctx, req->limit, &limit)) != CRUDDUR_OK ||
	    (st = cursor_decode(ctx, req->cursor, &key, &first)) != CRUDDUR_OK)
		return st;
	q->stmt = &stmt_home_feed;
	cursor_key_params(&key, us, &uuid);
	q->params[0] = us;
	q->params[1] = rpc_strdup(ctx, uuid); /* it points into key */
	/* One row more than the page says whether another page follows. */
	snprintf(limit_text, 16, "%d", limit + 1);
	q->params[2] = limit_text;
	snprintf(share, key_len, "%d %s", limit, first ? "" : req->cursor);
	q->key = share;
	return CRUDDUR_OK;
}

/* fast_read.fill: the response from the page's rows (limit + 1 at most:
 * the extra one only says that a next page exists). */
static cruddur_status
home_feed_fill(rpc_context *ctx, const ProtobufCMessage *msg, const PGresult *res,
    ProtobufCMessage *out)
{
	const Cruddur__V1__HomeFeedRequest *req = (const Cruddur__V1__HomeFeedRequest *)msg;
	Cruddur__V1__HomeFeedResponse      *resp = (Cruddur__V1__HomeFeedResponse *)out;
	int                                 limit;
	cruddur_status                      st;

	if ((st = cursor_page_limit(ctx, req->limit, &limit)) != CRUDDUR_OK)
		return st;
	return rows_activity_page(ctx, res, limit, &resp->activities, &resp->n_activities,
	    &resp->next_cursor);
}

static const fast_read home_feed_fast = { home_feed_query, home_feed_fill };

const fast_read *
svc_activities_home_feed_fast(void)
{
	return &home_feed_fast;
}

/* The handler on a worker: the same halves, with the query run here. */
static cruddur_status
home_feed(rpc_context *ctx, const Cruddur__V1__HomeFeedRequest *req,
    Cruddur__V1__HomeFeedResponse *resp)
{
	read_query     q = { 0 };
	cruddur_status st;

	if ((st = home_feed_query(ctx, &req->base, &q)) != CRUDDUR_OK)
		return st;
	if (feed_coalesce_enabled()) {
		/* Identical concurrent requests share one query that started
		 * after each of them arrived (feed_coalesce.h). */
		const PGresult *shared;
		feed_shared    *hold;
		/* q.key names the page and its size. */
		if ((st = feed_coalesce_query(ctx, q.key, 0, home_feed_run,
		         (void *)q.params, &shared, &hold)) != CRUDDUR_OK)
			return st;
		st = home_feed_fill(ctx, &req->base, shared, &resp->base);
		feed_shared_release(hold);
		return st;
	}
	PGresult *res = NULL;
	if ((st = home_feed_run(ctx, (void *)q.params, &res)) != CRUDDUR_OK)
		return st;
	st = home_feed_fill(ctx, &req->base, res, &resp->base);
	PQclear(res);
	return st;
}

/* The activity and its replies, on conn inside the snapshot transaction. */
static cruddur_status
show_rows(rpc_context *ctx, pool_conn *conn, const char *uuid, Cruddur__V1__ShowActivityResponse *resp)
{
	const char    *params[1] = { uuid };
	PGresult      *res = NULL;
	cruddur_status st;

	if ((st = rows_tx_exec(ctx, conn, &stmt_activity_show, params, &res)) != CRUDDUR_OK)
		return st;
	if (PQntuples(res) == 0)
		st = rpc_fail(ctx, CRUDDUR_NOT_FOUND, "no activity %s (it does not exist or has expired)",
		    uuid);
	else
		st = rows_activity(ctx, res, 0, &resp->activity);
	PQclear(res);
	if (st != CRUDDUR_OK)
		return st;
	if ((st = rows_tx_exec(ctx, conn, &stmt_activity_replies, params, &res)) != CRUDDUR_OK)
		return st;
	int n = PQntuples(res);
	resp->more_replies = n > SHOW_MAX_REPLIES;
	st = rows_activities(ctx, res, resp->more_replies ? SHOW_MAX_REPLIES : n, &resp->replies,
	    &resp->n_replies);
	PQclear(res);
	return st;
}

static cruddur_status
show_activity(rpc_context *ctx, const Cruddur__V1__ShowActivityRequest *req,
    Cruddur__V1__ShowActivityResponse *resp)
{
	pool_conn     *conn;
	cruddur_status st;
	char           q[48];

	if (req->uuid[0] == '\0')
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "uuid is required");
	if (!text_is_uuid(req->uuid))
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "uuid \"%s\" is not a UUID",
		    text_quote(q, sizeof(q), req->uuid));
	if ((st = rows_tx_begin(ctx, &conn)) != CRUDDUR_OK)
		return st;
	st = rows_tx_snapshot(ctx, conn);
	if (st == CRUDDUR_OK)
		st = show_rows(ctx, conn, req->uuid, resp);
	return rows_tx_end(ctx, conn, st);
}

void
svc_activities_register(rpc_handlers *h)
{
	h->activities_home_feed = home_feed;
	h->activities_show_activity = show_activity;
	svc_activities_write_register(h);
}
