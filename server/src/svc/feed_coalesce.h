/*
 * feed_coalesce.h - read coalescing for HomeFeed: concurrent identical
 * page requests share one query, and no reply is staler than a direct
 * query would be.
 *
 * The guarantee: every reply comes from a query that STARTED AFTER the
 * request arrived. A request that arrives while the query for its key is
 * already running does not take that query's result; it joins the next
 * generation, whose query starts once the running one has finished (run
 * by the first of its waiters still there). So a reader that starts after
 * a write committed always sees the write, exactly as with one query per
 * request (tests/bench/coalesce_freshness_test.c proves it under load).
 *
 * Waiting happens on worker threads (handlers may block), never in an
 * nng callback, and never past the request's deadline. If the shared
 * query fails, each waiter runs its own query instead of taking the
 * leader's error, whose deadline or pool luck may not be its own.
 */
#ifndef CRUDDUR_FEED_COALESCE_H
#define CRUDDUR_FEED_COALESCE_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "rpc/rpc_context.h"

/* A query result shared by the requests of one generation. */
typedef struct feed_shared feed_shared;

/* Runs the query of one request: on CRUDDUR_OK *res is its result, owned by
 * the caller (PQclear); otherwise ctx->message says why. */
typedef cruddur_status (*feed_query_fn)(rpc_context *ctx, void *arg, PGresult **res);

/* Whether HomeFeed coalesces. Until cruddurd has a --coalesce flag this
 * is $CRUDDUR_COALESCE: "off", "0" or "false" turn it off; default on. */
bool feed_coalesce_enabled(void);
/* Turns coalescing on or off (cruddurd --coalesce on|off); wins over
 * $CRUDDUR_COALESCE. Call before serving. */
void feed_coalesce_set_enabled(bool on);

/* The result for (cursor, limit): run by this request, or by another
 * request that started its query after this one arrived. On CRUDDUR_OK,
 * *res is readable (never modified by anyone) until feed_shared_release
 * (*hold), which the caller must call exactly once. On failure nothing is
 * held. A cursor longer than FEED_COALESCE_MAX_KEY is run alone. */
#define FEED_COALESCE_MAX_KEY 256
cruddur_status feed_coalesce_query(rpc_context *ctx, const char *cursor, int limit,
    feed_query_fn run, void *arg, const PGresult **res, feed_shared **hold);
void           feed_shared_release(feed_shared *hold);

/* Queries run and requests served through feed_coalesce_query since start:
 * their ratio is the coalescing factor. */
void feed_coalesce_counts(unsigned long long *queries, unsigned long long *requests);

#endif /* CRUDDUR_FEED_COALESCE_H */
