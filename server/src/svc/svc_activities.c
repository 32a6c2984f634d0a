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
 * The cursor (cursor.h) is that key, opaque to callers. The page is read
 * on the read reactor (reads/read_reactor.h), which lets concurrent
 * requests for the same page share one query (--coalesce), never one that
 * started before they arrived.
 *
 * A BOUNDED HomeFeed (the default) without a consistency_token is first
 * looked up in the page cache (reads/feed_cache.h): a hit is answered
 * here, on the thread that received it, from the cached bytes
 * (rpc_complete_packed writes them into the reply), with no worker,
 * reactor or query. A miss goes to the reactor as a STRONG one (or one
 * with a token) does, and its packed page is offered to the cache with the
 * generation read before the submit, so that a page from a query that
 * began before a drop is never kept. docs/PROTOCOL.md, "Consistency".
 *
 * With --db-replica a BOUNDED HomeFeed goes where rows_read_pick says (a
 * healthy replica, one that has replayed its token if it has one), a
 * STRONG one to the primary.
 *
 * ShowActivity reads the activity and its replies in one REPEATABLE READ,
 * READ ONLY transaction, so that both come from one snapshot: the
 * activity's replies_count and the replies listed agree (but for replies
 * that expired on their own, and the 1000-reply cap of
 * sql/queries/activity_replies.sql).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_error.h"
#include "rpc/dispatch.h"
#include "svc/cursor.h"
#include "svc/svc_env.h"
#include "svc/registry.h"
#include "sql_statements.h"
#include "svc/svc_activities.h"
#include "svc/rows.h"
#include "base/clock.h"
#include "base/text.h"

/* The query fetches one more, to know that there are more. */
#define SHOW_MAX_REPLIES 1000

/* The page's statement and parameters, from the request; requests for
 * the same page of the same size share a key, so that the reactor may
 * answer them with one query. */
static cruddur_status
home_feed_query(rpc_context *ctx, const Cruddur__V1__HomeFeedRequest *req, read_query *q)
{
	int            limit;
	page_key       key;
	bool           first;
	const char    *uuid;
	cruddur_status st;
	char          *us = rpc_alloc(ctx, 24), *limit_text = rpc_alloc(ctx, 16);
	size_t         key_len = strlen(req->cursor) + 16;
	char          *share = rpc_alloc(ctx, key_len);

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

/* A HomeFeed waiting for its page: its place in the read reactor, in the
 * call's arena. */
typedef struct home_feed_read {
	read_waiter                         waiter; /* first: home_feed_done finds the read */
	rpc_context                        *ctx;
	const Cruddur__V1__HomeFeedRequest *req;
	Cruddur__V1__HomeFeedResponse      *resp;
	const char                         *key;   /* the share key, the cache's too */
	uint64_t                            gen;   /* the cache's, before the submit */
	bool                                fill;  /* offer the page to the cache */
	int                                 where; /* the database read (replica_set.h) */
} home_feed_read;

/* The page is valid until its earliest expires_at, the extra row's
 * included (it says whether a next page exists); INT64_MAX: none expires. */
static int64_t
page_valid_until(const PGresult *res, const Cruddur__V1__HomeFeedResponse *resp, int limit)
{
	int64_t until = INT64_MAX;

	for (size_t i = 0; i < resp->n_activities; i++)
		if (resp->activities[i]->expires_at_us > 0 && resp->activities[i]->expires_at_us < until)
			until = resp->activities[i]->expires_at_us;
	if (PQntuples(res) > limit && !PQgetisnull(res, limit, 9)) {
		int64_t e = rows_int64(res, limit, 9);
		if (e < until)
			until = e;
	}
	return until;
}

/* read_done_fn: the page's rows (limit + 1 at most: the extra one only
 * says that a next page exists) make the response. Requests that shared a
 * query asked for the same page, so the first one's packed response is
 * every other one's too: it is made once, in memo. */
static void
home_feed_done(read_waiter *w, cruddur_status st, const char *msg, const PGresult *res,
    read_memo *memo)
{
	home_feed_read *r = (home_feed_read *)w;
	rpc_context    *ctx = r->ctx;
	int             limit;

	if (st == CRUDDUR_UNAVAILABLE && r->where != REPLICA_PRIMARY) {
		/* The replica went away since the watcher last saw it: it takes
		 * no more reads, and this one goes to the primary's reactor
		 * (submit never blocks; the replica's reactor is done with w). */
		read_query q = { 0 };
		replica_set_mark_down(ctx->env->replicas, r->where);
		r->where = REPLICA_PRIMARY;
		if ((st = home_feed_query(ctx, r->req, &q)) == CRUDDUR_OK &&
		    (st = read_reactor_submit(ctx->env->reactor, &q, &r->waiter, ctx->message,
		         sizeof(ctx->message))) == CRUDDUR_OK)
			return;
		rpc_complete(ctx, st);
		return;
	}
	if (st != CRUDDUR_OK) {
		rpc_complete(ctx, rpc_fail(ctx, st, "%s", msg));
		return;
	}
	if (memo->data == NULL) {
		if ((st = cursor_page_limit(ctx, r->req->limit, &limit)) == CRUDDUR_OK)
			st = rows_activity_page(ctx, res, limit, &r->resp->activities,
			    &r->resp->n_activities, &r->resp->next_cursor);
		if (st == CRUDDUR_OK && (memo->data = rpc_pack_response(ctx, &memo->len)) != NULL)
			memo->free = free;
		if (memo->data == NULL) {
			rpc_complete(ctx, st); /* packs its own, or fails for want of memory */
			return;
		}
		if (r->fill)
			feed_cache_put(ctx->env->feed_cache, r->key, r->req->cursor[0] == '\0', r->gen,
			    memo->data, memo->len, page_valid_until(res, r->resp, limit));
	}
	rpc_complete_packed(ctx, memo->data, memo->len);
}

/* HomeFeed submits its read to the reactor and completes from its
 * callback: it never blocks, so it may run on the receiving thread
 * (--read-reactor on) as well as on a worker. */
static cruddur_status
home_feed(rpc_context *ctx, const Cruddur__V1__HomeFeedRequest *req,
    Cruddur__V1__HomeFeedResponse *resp)
{
	read_query      q = { 0 };
	home_feed_read *r = rpc_alloc(ctx, sizeof(*r));
	cruddur_status  st;
	feed_cache     *fc;
	feed_page      *page;
	feed_lookup     why;

	if (r == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	if ((st = home_feed_query(ctx, req, &q)) != CRUDDUR_OK)
		return st;
	if (req->consistency != CRUDDUR__V1__HOME_FEED_REQUEST__CONSISTENCY__BOUNDED &&
	    req->consistency != CRUDDUR__V1__HOME_FEED_REQUEST__CONSISTENCY__STRONG)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "consistency %d is neither BOUNDED (0) nor STRONG (1)", (int)req->consistency);
	if ((fc = ctx->env->feed_cache) != NULL) {
		/* Read before the query is submitted, so before it starts. */
		r->gen = feed_cache_generation(fc);
		r->fill = true;
		/* A consistency_token names a write that may have been made
		 * through another server less than the bound ago: only a query
		 * is sure to reflect it. */
		if (req->consistency == CRUDDUR__V1__HOME_FEED_REQUEST__CONSISTENCY__STRONG ||
		    req->consistency_token[0] != '\0')
			feed_cache_count_bypass(fc);
		else if ((page = feed_cache_get(fc, q.key, clock_mono_us(), clock_real_us(), &why)) !=
		    NULL) {
			size_t         len;
			const uint8_t *body = feed_page_data(page, &len);
			rpc_complete_packed(ctx, body, len);
			feed_page_release(page);
			return RPC_DEFERRED; /* completed: ctx is gone */
		}
	}
	r->key = q.key;
	r->ctx = ctx;
	r->req = req;
	r->resp = resp;
	r->waiter.done = home_feed_done;
	r->waiter.deadline_us = ctx->deadline_us;
	/* STRONG promises every write committed before the request, which
	 * only the primary is sure to have: it never goes to a replica (its
	 * token is still checked). Else: it never blocks, so it does not wait
	 * for a replica to catch up with a token; one that has not is passed
	 * over for the primary. */
	uint64_t lsn;
	if (req->consistency == CRUDDUR__V1__HOME_FEED_REQUEST__CONSISTENCY__STRONG) {
		r->where = REPLICA_PRIMARY;
		st = rows_read_token(ctx, req->consistency_token, &lsn);
	} else {
		st = rows_read_pick(ctx, req->consistency_token, false, &r->where);
	}
	if (st != CRUDDUR_OK)
		return st;
	st = read_reactor_submit(svc_read_reactor(ctx->env, r->where), &q, &r->waiter, ctx->message,
	    sizeof(ctx->message));
	return st == CRUDDUR_OK ? RPC_DEFERRED : st; /* deferred: ctx may be gone already */
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
	int            where = REPLICA_PRIMARY;
	cruddur_status st;
	char           q[48];

	if (req->uuid[0] == '\0')
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "uuid is required");
	if (!text_is_uuid(req->uuid))
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "uuid \"%s\" is not a UUID",
		    text_quote(q, sizeof(q), req->uuid));
	if ((st = rows_read_begin(ctx, req->consistency_token, &where, &conn)) != CRUDDUR_OK)
		return st;
	st = show_rows(ctx, conn, req->uuid, resp);
	return rows_read_end(ctx, where, conn, st);
}

void
svc_activities_register(svc_registration *r)
{
	rpc_handlers *h = &r->handlers;

	h->activities_home_feed = home_feed;
	h->activities_show_activity = show_activity;
	dispatch_mark_nonblocking(&r->nonblocking, &cruddur_method_activities_home_feed);
	svc_activities_write_register(h);
}
