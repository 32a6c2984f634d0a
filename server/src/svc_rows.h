/*
 * svc_rows.h - running a pooled prepared statement for a handler, and
 * reading its result rows into response fields.
 */
#ifndef CRUDDUR_SVC_ROWS_H
#define CRUDDUR_SVC_ROWS_H

#include <libpq-fe.h>

#include "pool.h"
#include "rpc_context.h"

/* Takes a pooled connection (waiting no longer than the call's deadline),
 * runs stmt with params, gives the connection back. On CRUDDUR_OK *res is
 * the result (PQclear it); otherwise ctx->message says why. */
cruddur_status rows_query(rpc_context *ctx, const db_statement *stmt, const char *const *params,
    PGresult **res);

/* The value as an arena string; "" for NULL. */
char   *rows_text(rpc_context *ctx, const PGresult *res, int row, int col);
/* The value as an integer; 0 for NULL. */
int64_t rows_int64(const PGresult *res, int row, int col);

#endif /* CRUDDUR_SVC_ROWS_H */
