/*
 * rows.c - a prepared statement on a pooled connection, for handlers.
 */
#include <stdlib.h>
#include <string.h>

#include "svc/cursor.h"
#include "db/db_error.h"
#include "db/pg_binary.h"
#include "svc/svc_env.h"
#include "svc/rows.h"
#include "base/clock.h"
#include "base/text.h"
#include "sql_statements.h"

static cruddur_status
query_on(rpc_context *ctx, pool *p, const db_statement *stmt, const char *const *params,
    PGresult **res)
{
	pool_conn     *conn;
	cruddur_status st;

	st = pool_acquire(p, ctx->deadline_us, &conn, ctx->message, sizeof(ctx->message));
	if (st != CRUDDUR_OK)
		return st;
	pool_conn_set_deadline(conn, ctx->deadline_us);
	st = pool_conn_exec(conn, stmt, params, res, ctx->message, sizeof(ctx->message));
	pool_release(p, conn);
	return st;
}

cruddur_status
rows_query(rpc_context *ctx, const db_statement *stmt, const char *const *params, PGresult **res)
{
	return query_on(ctx, ctx->env->pool, stmt, params, res);
}

cruddur_status
rows_read_token(rpc_context *ctx, const char *token, uint64_t *lsn)
{
	char q[48];

	*lsn = 0;
	if (token != NULL && token[0] != '\0' && !replica_lsn_parse(token, lsn))
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "consistency_token \"%s\" is not a write's token (a WAL position like 16/B374D848)",
		    text_quote(q, sizeof(q), token));
	return CRUDDUR_OK;
}

cruddur_status
rows_read_pick(rpc_context *ctx, const char *token, bool may_wait, int *where)
{
	uint64_t       lsn;
	cruddur_status st;

	*where = REPLICA_PRIMARY;
	if ((st = rows_read_token(ctx, token, &lsn)) != CRUDDUR_OK)
		return st;
	if (!may_wait || lsn == 0) {
		*where = replica_set_pick(ctx->env->replicas, lsn);
		return CRUDDUR_OK;
	}
	int64_t until = clock_mono_us() + (int64_t)ctx->env->replica_wait_ms * 1000;
	if (ctx->deadline_us != 0 && until > ctx->deadline_us)
		until = ctx->deadline_us;
	*where = replica_set_pick_wait(ctx->env->replicas, lsn, until);
	return CRUDDUR_OK;
}

cruddur_status
rows_query_read(rpc_context *ctx, const char *token, const db_statement *stmt,
    const char *const *params, PGresult **res)
{
	int            where = REPLICA_PRIMARY;
	cruddur_status st = rows_read_pick(ctx, token, true, &where);

	if (st != CRUDDUR_OK)
		return st;
	st = query_on(ctx, svc_read_pool(ctx->env, where), stmt, params, res);
	/* A replica that went away since the watcher last saw it: it takes no
	 * more reads, and this one goes to the primary, which has everything
	 * a replica has. */
	if (st == CRUDDUR_UNAVAILABLE && where != REPLICA_PRIMARY) {
		replica_set_mark_down(ctx->env->replicas, where);
		st = query_on(ctx, ctx->env->pool, stmt, params, res);
	}
	return st;
}

cruddur_status
rows_write_done(rpc_context *ctx, cruddur_status st, char **token)
{
	PGresult *res = NULL;
	char      keep[sizeof(ctx->message)];

	if (st != CRUDDUR_OK)
		return st;
	*token = (char *)"";

	/* The write stands whatever this says: its message is not the call's. */
	memcpy(keep, ctx->message, sizeof(keep));
	if (rows_query(ctx, &stmt_wal_position, NULL, &res) == CRUDDUR_OK && PQntuples(res) == 1)
		*token = rows_text(ctx, res, 0, 0);
	PQclear(res);
	memcpy(ctx->message, keep, sizeof(keep));
	return st;
}

/* Runs a transaction-control command (BEGIN, COMMIT, SET TRANSACTION),
 * not past the call's deadline. */
static cruddur_status
tx_command(rpc_context *ctx, pool_conn *conn, const char *sql)
{
	return pool_conn_command(conn, sql, ctx->message, sizeof(ctx->message));
}

cruddur_status
rows_tx_snapshot(rpc_context *ctx, pool_conn *conn)
{
	return tx_command(ctx, conn, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
}

static cruddur_status
begin_on(rpc_context *ctx, pool *p, pool_conn **conn)
{
	cruddur_status st = pool_acquire(p, ctx->deadline_us, conn, ctx->message, sizeof(ctx->message));
	if (st != CRUDDUR_OK)
		return st;
	pool_conn_set_deadline(*conn, ctx->deadline_us);
	if ((st = tx_command(ctx, *conn, "BEGIN")) != CRUDDUR_OK)
		pool_release(p, *conn);
	return st;
}

cruddur_status
rows_tx_begin(rpc_context *ctx, pool_conn **conn)
{
	return begin_on(ctx, ctx->env->pool, conn);
}

cruddur_status
rows_read_begin(rpc_context *ctx, const char *token, int *where, pool_conn **conn)
{
	cruddur_status st;

	if ((st = rows_read_pick(ctx, token, true, where)) != CRUDDUR_OK)
		return st;
	st = begin_on(ctx, svc_read_pool(ctx->env, *where), conn);
	if (st == CRUDDUR_UNAVAILABLE && *where != REPLICA_PRIMARY) {
		/* As in rows_query_read: passed over, the primary serves it. */
		replica_set_mark_down(ctx->env->replicas, *where);
		*where = REPLICA_PRIMARY;
		st = begin_on(ctx, ctx->env->pool, conn);
	}
	if (st != CRUDDUR_OK)
		return st;
	if ((st = rows_tx_snapshot(ctx, *conn)) != CRUDDUR_OK)
		pool_release(svc_read_pool(ctx->env, *where), *conn);
	return st;
}

cruddur_status
rows_read_end(rpc_context *ctx, int where, pool_conn *conn, cruddur_status st)
{
	if (st == CRUDDUR_OK)
		st = tx_command(ctx, conn, "COMMIT");
	pool_release(svc_read_pool(ctx->env, where), conn);
	return st;
}

cruddur_status
rows_tx_exec(rpc_context *ctx, pool_conn *conn, const db_statement *stmt, const char *const *params,
    PGresult **res)
{
	return pool_conn_exec(conn, stmt, params, res, ctx->message, sizeof(ctx->message));
}

cruddur_status
rows_tx_end(rpc_context *ctx, pool_conn *conn, cruddur_status st)
{
	/* On failure the transaction is left open: pool_release rolls it back,
	 * and ctx->message keeps the reason it failed. */
	if (st == CRUDDUR_OK)
		st = tx_command(ctx, conn, "COMMIT");
	pool_release(ctx->env->pool, conn);
	return st;
}

/* Text and varchar come as their bytes in either format (libpq ends every
 * value with a NUL); a binary uuid is formatted here. */
char *
rows_text(rpc_context *ctx, const PGresult *res, int row, int col)
{
	char uuid[PG_UUID_TEXT_LEN + 1];

	if (PQgetisnull(res, row, col))
		return (char *)"";
	if (PQfformat(res, col) == 1 && PQftype(res, col) == PG_OID_UUID)
		return pg_binary_uuid_text(PQgetvalue(res, row, col),
		           (size_t)PQgetlength(res, row, col), uuid)
		    ? rpc_strdup(ctx, uuid)
		    : (char *)"";
	return rpc_strdup(ctx, PQgetvalue(res, row, col));
}

/* A binary value by its column's type: int2, int4 and int8 as they are,
 * timestamp and timestamptz as microseconds since the Unix epoch. */
static int64_t
binary_int64(const PGresult *res, int row, int col)
{
	const char *v = PQgetvalue(res, row, col);
	size_t      len = (size_t)PQgetlength(res, row, col);
	int64_t     out = 0;

	switch (PQftype(res, col)) {
	case PG_OID_TIMESTAMP:
	case PG_OID_TIMESTAMPTZ:
		return pg_binary_timestamp_us(v, len, &out) ? out : 0;
	case PG_OID_INT2:
	case PG_OID_INT4:
	case PG_OID_INT8:
		return pg_binary_int(v, len, &out) ? out : 0;
	default:
		return 0;
	}
}

int64_t
rows_int64(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	if (PQfformat(res, col) == 1)
		return binary_int64(res, row, col);
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Whether res has the activity columns, each of a type the rows helpers
 * read in its format: a schema or query change that breaks that must
 * fail the call, not turn into zeros and empty strings (and cursors made
 * of them). */
static bool
activity_columns_ok(const PGresult *res)
{
	enum { ID, TXT, NUM, TIME };
	static const int kinds[ROWS_ACTIVITY_COLUMNS] = { ID, ID, TXT, TXT, TXT, NUM, NUM, NUM, ID,
		TIME, TIME };

	if (PQnfields(res) < ROWS_ACTIVITY_COLUMNS)
		return false;
	for (int col = 0; col < ROWS_ACTIVITY_COLUMNS; col++) {
		Oid  t = PQftype(res, col);
		bool text = PQfformat(res, col) == 0, ok;
		switch (kinds[col]) {
		case ID: ok = t == PG_OID_UUID || (text && t == PG_OID_TEXT); break;
		case TXT: ok = t == PG_OID_TEXT || t == PG_OID_VARCHAR; break;
		case NUM: ok = t == PG_OID_INT2 || t == PG_OID_INT4 || t == PG_OID_INT8; break;
		default: /* TIME: timestamps in binary, bigint microseconds in text */
			ok = text ? t == PG_OID_INT8
			          : t == PG_OID_TIMESTAMPTZ || t == PG_OID_TIMESTAMP;
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

cruddur_status
rows_activity(rpc_context *ctx, const PGresult *res, int row, Cruddur__V1__Activity **out)
{
	Cruddur__V1__Activity *a;

	if (row == 0 && !activity_columns_ok(res))
		return rpc_fail(ctx, CRUDDUR_INTERNAL,
		    "the activity query returned columns of unexpected types");
	if ((a = rpc_alloc(ctx, sizeof(*a))) == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	cruddur__v1__activity__init(a);
	a->uuid = rows_text(ctx, res, row, 0);
	a->user_uuid = rows_text(ctx, res, row, 1);
	a->handle = rows_text(ctx, res, row, 2);
	a->display_name = rows_text(ctx, res, row, 3);
	a->message = rows_text(ctx, res, row, 4);
	a->replies_count = rows_int64(res, row, 5);
	a->reposts_count = rows_int64(res, row, 6);
	a->likes_count = rows_int64(res, row, 7);
	a->reply_to_activity_uuid = rows_text(ctx, res, row, 8);
	a->expires_at_us = rows_int64(res, row, 9);
	a->created_at_us = rows_int64(res, row, 10);
	*out = a;
	return CRUDDUR_OK;
}

cruddur_status
rows_activities(rpc_context *ctx, const PGresult *res, int n, Cruddur__V1__Activity ***out,
    size_t *count)
{
	cruddur_status st = CRUDDUR_OK;

	*count = 0;
	*out = rpc_alloc(ctx, (size_t)(n > 0 ? n : 1) * sizeof(**out));
	if (*out == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	for (int i = 0; st == CRUDDUR_OK && i < n; i++) {
		st = rows_activity(ctx, res, i, &(*out)[i]);
		*count += st == CRUDDUR_OK;
	}
	return st;
}

cruddur_status
rows_activity_page(rpc_context *ctx, const PGresult *res, int limit, Cruddur__V1__Activity ***out,
    size_t *count, char **next_cursor)
{
	int            n = PQntuples(res);
	bool           more = n > limit;
	cruddur_status st = rows_activities(ctx, res, more ? limit : n, out, count);

	if (st != CRUDDUR_OK || !more || *count == 0)
		return st;
	const Cruddur__V1__Activity *last = (*out)[*count - 1];
	page_key                     key = { .created_at_us = last->created_at_us };
	if (!text_is_uuid(last->uuid))
		return rpc_fail(ctx, CRUDDUR_INTERNAL, "activity uuid \"%.40s\" is not a UUID", last->uuid);
	memcpy(key.uuid, last->uuid, sizeof(key.uuid));
	*next_cursor = cursor_encode(ctx, &key);
	/* Without a cursor the reply would look like the last page. */
	if ((*next_cursor)[0] == '\0')
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	return CRUDDUR_OK;
}
