/*
 * rows.h - running a pooled prepared statement for a handler, and
 * reading its result rows into response fields.
 */
#ifndef CRUDDUR_SVC_ROWS_H
#define CRUDDUR_SVC_ROWS_H

#include <libpq-fe.h>

#include "db/pool.h"
#include "cruddur/v1/activities.pb-c.h"
#include "rpc/rpc_context.h"

/* Takes a pooled connection (waiting no longer than the call's deadline),
 * runs stmt with params, gives the connection back. On CRUDDUR_OK *res is
 * the result (PQclear it); otherwise ctx->message says why. */
cruddur_status rows_query(rpc_context *ctx, const db_statement *stmt, const char *const *params,
    PGresult **res);

/*
 * Reads that may be served by a replica (db/replica_set.h): HomeFeed,
 * ShowActivity, UserActivities, GetUser, ShortUser. token is the
 * request's consistency_token ("" or NULL: none).
 *
 * rows_read_pick: where the read goes (REPLICA_PRIMARY or a replica's
 * index): a healthy replica, one that has replayed token's position when
 * one is given; may_wait (on a worker) lets it wait up to
 * --replica-wait-ms for one to catch up. INVALID_ARGUMENT for a token
 * that is not a WAL position.
 * rows_read_token: only the check of token (INVALID_ARGUMENT, as above),
 * its position into *lsn (0: none), for a read that goes to the primary
 * whatever it carries.
 * rows_query_read: rows_query on the database rows_read_pick chose.
 * rows_read_begin / rows_read_end: a read-only snapshot transaction
 * there (rows_tx_snapshot), to run rows_tx_exec on.
 */
cruddur_status rows_read_pick(rpc_context *ctx, const char *token, bool may_wait, int *where);
cruddur_status rows_read_token(rpc_context *ctx, const char *token, uint64_t *lsn);
cruddur_status rows_query_read(rpc_context *ctx, const char *token, const db_statement *stmt,
    const char *const *params, PGresult **res);
cruddur_status rows_read_begin(rpc_context *ctx, const char *token, int *where, pool_conn **conn);
cruddur_status rows_read_end(rpc_context *ctx, int where, pool_conn *conn, cruddur_status st);

/* A write handler's last step: when st is CRUDDUR_OK (the write
 * committed), *token becomes the primary's WAL position as an arena
 * string, the response's consistency_token; "" when it cannot be had (the
 * write stands: a read with "" is served anywhere). Returns st. */
cruddur_status rows_write_done(rpc_context *ctx, cruddur_status st, char **token);

/*
 * A transaction on one pooled connection, for handlers that write:
 *   pool_conn *conn;
 *   if ((st = rows_tx_begin(ctx, &conn)) != CRUDDUR_OK) return st;
 *   st = rows_tx_exec(ctx, conn, &stmt_x, params, &res); ...
 *   return rows_tx_end(ctx, conn, st);
 * rows_tx_end commits when st is CRUDDUR_OK (and returns the commit's own
 * status, so a write is acknowledged only once it is durable), rolls back
 * otherwise (returning st), and gives the connection back.
 */
cruddur_status rows_tx_begin(rpc_context *ctx, pool_conn **conn);
cruddur_status rows_tx_exec(rpc_context *ctx, pool_conn *conn, const db_statement *stmt,
    const char *const *params, PGresult **res);
cruddur_status rows_tx_end(rpc_context *ctx, pool_conn *conn, cruddur_status st);
/* Right after rows_tx_begin: the transaction reads one snapshot and writes
 * nothing, so that what a handler reads in several queries agrees. */
cruddur_status rows_tx_snapshot(rpc_context *ctx, pool_conn *conn);

/* The value as an arena string; "" for NULL. Text, varchar and (in
 * binary results, where it is formatted) uuid columns. */
char   *rows_text(rpc_context *ctx, const PGresult *res, int row, int col);
/* The value as an integer; 0 for NULL. In text results an integer column;
 * in binary results also timestamp and timestamptz, as microseconds since
 * the Unix epoch (pg_binary.h). A binary column of another type reads 0. */
int64_t rows_int64(const PGresult *res, int row, int col);

/* The eleven columns that every activity query selects first, in the
 * order of the Activity message (see sql/queries/home_feed.sql):
 *   uuid, user_uuid, handle, display_name, message, replies_count,
 *   reposts_count, likes_count, reply_to_activity_uuid, expires_at,
 *   created_at
 * (the timestamps as timestamptz in binary results, the way every
 * activity statement asks for them; in text results they would have to
 * be bigint microseconds),
 * rows_activity reads them from row into a new Activity in the arena. */
#define ROWS_ACTIVITY_COLUMNS 11
cruddur_status rows_activity(rpc_context *ctx, const PGresult *res, int row,
    Cruddur__V1__Activity **out);

/* Rows [0, n) of res as a new array of activities in the arena. */
cruddur_status rows_activities(rpc_context *ctx, const PGresult *res, int n,
    Cruddur__V1__Activity ***out, size_t *count);

/* One keyset page from a query that fetched limit + 1 rows: the first
 * limit rows as activities, and in *next_cursor the cursor after the last
 * of them when the extra row says another page follows ("" otherwise). */
cruddur_status rows_activity_page(rpc_context *ctx, const PGresult *res, int limit,
    Cruddur__V1__Activity ***out, size_t *count, char **next_cursor);

#endif /* CRUDDUR_SVC_ROWS_H */
