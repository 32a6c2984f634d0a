/*
 * svc_rows.c - a prepared statement on a pooled connection, for handlers.
 */
#include <stdlib.h>

#include "server.h"
#include "svc_rows.h"

cruddur_status
rows_query(rpc_context *ctx, const db_statement *stmt, const char *const *params, PGresult **res)
{
	pool_conn     *conn;
	cruddur_status st;

	st = pool_acquire(ctx->server->pool, ctx->deadline_us, &conn, ctx->message,
	    sizeof(ctx->message));
	if (st != CRUDDUR_OK)
		return st;
	st = pool_conn_exec(conn, stmt, params, res, ctx->message, sizeof(ctx->message));
	pool_release(ctx->server->pool, conn);
	return st;
}

char *
rows_text(rpc_context *ctx, const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return (char *)"";
	return rpc_strdup(ctx, PQgetvalue(res, row, col));
}

int64_t
rows_int64(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}
