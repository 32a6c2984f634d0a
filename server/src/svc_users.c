/*
 * svc_users.c - the Users service: a user by handle.
 */
#include <string.h>

#include "server.h"
#include "statements.h"
#include "svc_rows.h"

#define HANDLE_MAX 64

static cruddur_status
get_user(rpc_context *ctx, const Cruddur__V1__GetUserRequest *req, Cruddur__V1__GetUserResponse *resp)
{
	const char    *params[1] = { req->handle };
	PGresult      *res = NULL;
	cruddur_status st;

	if (req->handle[0] == '\0')
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "handle is required");
	if (strlen(req->handle) > HANDLE_MAX)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "handle is longer than %d bytes", HANDLE_MAX);
	if ((st = rows_query(ctx, &stmt_user_by_handle, params, &res)) != CRUDDUR_OK)
		return st;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return rpc_fail(ctx, CRUDDUR_NOT_FOUND, "no user with handle \"%s\"", req->handle);
	}
	Cruddur__V1__User *u = rpc_alloc(ctx, sizeof(*u));
	if (u == NULL) {
		PQclear(res);
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	}
	cruddur__v1__user__init(u);
	u->uuid = rows_text(ctx, res, 0, 0);
	u->display_name = rows_text(ctx, res, 0, 1);
	u->handle = rows_text(ctx, res, 0, 2);
	u->email = rows_text(ctx, res, 0, 3);
	u->cognito_user_id = rows_text(ctx, res, 0, 4);
	u->created_at_us = rows_int64(res, 0, 5);
	resp->user = u;
	PQclear(res);
	return CRUDDUR_OK;
}

void
svc_users_register(rpc_handlers *h)
{
	h->users_get_user = get_user;
}
