/*
 * svc_users.c - the Users service: sign-up, profiles, a user's activities.
 *
 *   CreateUser      what Cognito's post-confirmation hook did, idempotent
 *   GetUser         a whole User, by handle (the old field) or by UserRef
 *   ShortUser       uuid, handle and display name
 *   UpdateProfile   display_name and/or bio; returns the updated User; as the
 *                   verified user, if any (svc/user_ref.h)
 *   UserActivities  the User, how many live activities they have, and a
 *                   keyset page of them, newest first
 *
 * Every input is checked here first (UTF-8, lengths, handle and email
 * shape) so that a client learns precisely what was wrong; the schema's
 * CHECK constraints hold the same rules for every other writer.
 *
 * Idempotent sign-up. The hook may run twice, also at the same time.
 * user_insert.sql inserts with ON CONFLICT (cognito_user_id) DO NOTHING:
 * a second insert of the same cognito_user_id waits for the first and
 * returns no row, and we then read the user that exists (existed = true).
 * PostgreSQL resolves only the arbiter index that way: when two inserts of
 * the same cognito_user_id and handle race, the loser may instead fail on
 * the handle's unique index. So a unique violation is answered by the same
 * look-up by cognito_user_id, and only when no such user exists is the
 * handle really taken by someone else (ALREADY_EXISTS). Each write is one
 * autocommit statement, committed before the reply.
 *
 * UserActivities reads the user, the count and the page in one REPEATABLE
 * READ, READ ONLY transaction: one snapshot and one now(), so the count
 * agrees with the rows a caller can page through.
 */
#include <stdio.h>
#include <string.h>

#include "db/db_error.h"
#include "svc/cursor.h"
#include "svc/svc_env.h"
#include "svc/registry.h"
#include "sql_statements.h"
#include "svc/rows.h"
#include "base/text.h"
#include "svc/user_ref.h"

#define DISPLAY_NAME_MAX 100
#define BIO_MAX 500
#define EMAIL_MAX_BYTES 254
#define COGNITO_ID_MAX 128
#define LEGACY_HANDLE_MAX 64
/* Inserts tried by CreateUser when the user it collided with vanished
 * before it could be read (deleted in between). */
#define CREATE_ATTEMPTS 3

/* ---- rows and look-ups ------------------------------------------------ */

/* Reads the seven user columns (user_by_handle.sql) of row into a new User. */
static cruddur_status
user_from_row(rpc_context *ctx, const PGresult *res, int row, Cruddur__V1__User **out)
{
	Cruddur__V1__User *u = rpc_alloc(ctx, sizeof(*u));

	if (u == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	cruddur__v1__user__init(u);
	u->uuid = rows_text(ctx, res, row, 0);
	u->display_name = rows_text(ctx, res, row, 1);
	u->handle = rows_text(ctx, res, row, 2);
	u->email = rows_text(ctx, res, row, 3);
	u->cognito_user_id = rows_text(ctx, res, row, 4);
	u->created_at_us = rows_int64(res, row, 5);
	u->bio = rows_text(ctx, res, row, 6);
	*out = u;
	return CRUDDUR_OK;
}

static const char *
key_name(user_key key)
{
	switch (key) {
	case USER_BY_HANDLE:
		return "handle";
	case USER_BY_UUID:
		return "uuid";
	case USER_BY_COGNITO_ID:
		return "cognito_user_id";
	}
	return "?";
}

static const db_statement *
key_statement(user_key key)
{
	switch (key) {
	case USER_BY_HANDLE:
		return &stmt_user_by_handle;
	case USER_BY_UUID:
		return &stmt_user_by_uuid;
	case USER_BY_COGNITO_ID:
		return &stmt_user_by_cognito_id;
	}
	return &stmt_user_by_handle;
}

/* Runs stmt inside conn's transaction, or on its own pooled connection
 * when conn is NULL: the primary's, or where a read with read_token may
 * go when that is not NULL (GetUser, ShortUser; rows_query_read). */
static cruddur_status
run(rpc_context *ctx, pool_conn *conn, const char *read_token, const db_statement *stmt,
    const char *const *params, PGresult **res)
{
	if (conn != NULL)
		return rows_tx_exec(ctx, conn, stmt, params, res);
	if (read_token != NULL)
		return rows_query_read(ctx, read_token, stmt, params, res);
	return rows_query(ctx, stmt, params, res);
}

/* The user that key = value names (value already checked), or NOT_FOUND
 * saying which key and value found nobody; read as run reads. */
static cruddur_status
user_find_on(rpc_context *ctx, pool_conn *conn, const char *read_token, user_key key,
    const char *value, Cruddur__V1__User **out)
{
	const char    *params[1] = { value };
	PGresult      *res = NULL;
	cruddur_status st;
	char           q[256];

	if ((st = run(ctx, conn, read_token, key_statement(key), params, &res)) != CRUDDUR_OK)
		return st;
	if (PQntuples(res) == 0)
		st = rpc_fail(ctx, CRUDDUR_NOT_FOUND, "no user with %s \"%s\"", key_name(key),
		    text_quote(q, sizeof(q), value));
	else
		st = user_from_row(ctx, res, 0, out);
	PQclear(res);
	return st;
}

/* user_find_on the primary (conn NULL) or in conn's transaction. */
static cruddur_status
user_find(rpc_context *ctx, pool_conn *conn, user_key key, const char *value,
    Cruddur__V1__User **out)
{
	return user_find_on(ctx, conn, NULL, key, value, out);
}

/* Checks a UserRef (NULL: none given) as the request field `user`. */
static cruddur_status
ref_parse(rpc_context *ctx, const Cruddur__V1__UserRef *ref, user_key *key, const char **value)
{
	if (ref == NULL)
		return user_ref_parse(ctx, "user", NULL, NULL, NULL, key, value);
	return user_ref_parse(ctx, "user", ref->handle, ref->uuid, ref->cognito_user_id, key, value);
}

/* ---- CreateUser ------------------------------------------------------- */

/* One @ with something on both sides, no whitespace or control
 * characters, valid UTF-8, at most 254 bytes (RFC 5321's path limit).
 * Deliverability is Cognito's business, not ours. */
static cruddur_status
check_email(rpc_context *ctx, const char *email)
{
	size_t      n = strlen(email);
	const char *at = strchr(email, '@');
	char        q[300];

	if (n == 0)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "email is required");
	if (text_utf8_length(email) < 0)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "email is not valid UTF-8");
	if (n > EMAIL_MAX_BYTES)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "email must be at most %d bytes, not %zu",
		    EMAIL_MAX_BYTES, n);
	for (const unsigned char *p = (const unsigned char *)email; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7F)
			return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
			    "email must not contain spaces or control characters");
	}
	if (at == NULL || at == email || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "email \"%s\" is not an address: want exactly one @ between a name and a domain",
		    text_quote(q, sizeof(q), email));
	return CRUDDUR_OK;
}

static cruddur_status
check_new_user(rpc_context *ctx, const Cruddur__V1__CreateUserRequest *req)
{
	cruddur_status st;

	if ((st = rpc_check_text(ctx, "display_name", req->display_name, 1, DISPLAY_NAME_MAX)) != CRUDDUR_OK)
		return st;
	if ((st = user_ref_check_handle(ctx, "handle", req->handle)) != CRUDDUR_OK)
		return st;
	if ((st = check_email(ctx, req->email)) != CRUDDUR_OK)
		return st;
	return rpc_check_text(ctx, "cognito_user_id", req->cognito_user_id, 1, COGNITO_ID_MAX);
}

/* One insert. *created is the new user, or NULL when the insert collided:
 * with the same cognito_user_id (no row) or, *handle_taken set, with a
 * handle on the unique index. */
static cruddur_status
user_insert(rpc_context *ctx, const Cruddur__V1__CreateUserRequest *req, Cruddur__V1__User **created,
    bool *handle_taken)
{
	const char    *params[4] = { req->display_name, req->handle, req->email, req->cognito_user_id };
	PGresult      *res = NULL;
	cruddur_status st = rows_query(ctx, &stmt_user_insert, params, &res);

	*created = NULL;
	*handle_taken = st == CRUDDUR_ALREADY_EXISTS;
	if (*handle_taken)
		return CRUDDUR_OK;
	if (st != CRUDDUR_OK)
		return st;
	if (PQntuples(res) == 1)
		st = user_from_row(ctx, res, 0, created);
	PQclear(res);
	return st;
}

static cruddur_status
create_user_run(rpc_context *ctx, const Cruddur__V1__CreateUserRequest *req,
    Cruddur__V1__CreateUserResponse *resp)
{
	cruddur_status st;
	bool           taken;
	char           q[256];

	if ((st = check_new_user(ctx, req)) != CRUDDUR_OK)
		return st;
	for (int attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
		if ((st = user_insert(ctx, req, &resp->user, &taken)) != CRUDDUR_OK)
			return st;
		if (resp->user != NULL)
			return CRUDDUR_OK;
		/* Collided: a user with this cognito_user_id wins over a taken
		 * handle, because that is the hook running again. */
		st = user_find(ctx, NULL, USER_BY_COGNITO_ID, req->cognito_user_id, &resp->user);
		if (st == CRUDDUR_OK) {
			resp->existed = true;
			return CRUDDUR_OK;
		}
		if (st != CRUDDUR_NOT_FOUND)
			return st;
		if (taken)
			return rpc_fail(ctx, CRUDDUR_ALREADY_EXISTS, "handle \"%s\" is taken",
			    text_quote(q, sizeof(q), req->handle));
		resp->user = NULL; /* the other user was deleted meanwhile: insert again */
	}
	return rpc_fail(ctx, CRUDDUR_ABORTED,
	    "cognito_user_id \"%s\" was created and deleted concurrently %d times; try again",
	    text_quote(q, sizeof(q), req->cognito_user_id), CREATE_ATTEMPTS);
}

/* A user that existed was written before too: its token is as good. */
static cruddur_status
create_user(rpc_context *ctx, const Cruddur__V1__CreateUserRequest *req,
    Cruddur__V1__CreateUserResponse *resp)
{
	return rows_write_done(ctx, create_user_run(ctx, req, resp), &resp->consistency_token);
}

/* ---- GetUser, ShortUser ----------------------------------------------- */

static bool
ref_given(const Cruddur__V1__UserRef *ref)
{
	return ref != NULL && ((ref->handle != NULL && ref->handle[0] != '\0') ||
	    (ref->uuid != NULL && ref->uuid[0] != '\0') ||
	    (ref->cognito_user_id != NULL && ref->cognito_user_id[0] != '\0'));
}

static cruddur_status
get_user(rpc_context *ctx, const Cruddur__V1__GetUserRequest *req, Cruddur__V1__GetUserResponse *resp)
{
	bool           legacy = req->handle != NULL && req->handle[0] != '\0';
	const char    *tok = req->consistency_token != NULL ? req->consistency_token : "";
	user_key       key;
	const char    *value;
	cruddur_status st;

	if (legacy && ref_given(req->user))
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "give handle or user, not both");
	if (!legacy && req->user == NULL)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "handle or user is required");
	if (legacy) {
		/* The old field keeps its old contract: any short text, and
		 * NOT_FOUND for one that names nobody, well-formed or not. */
		if ((st = rpc_check_text(ctx, "handle", req->handle, 1, LEGACY_HANDLE_MAX)) != CRUDDUR_OK)
			return st;
		return user_find_on(ctx, NULL, tok, USER_BY_HANDLE, req->handle, &resp->user);
	}
	if ((st = ref_parse(ctx, req->user, &key, &value)) != CRUDDUR_OK)
		return st;
	return user_find_on(ctx, NULL, tok, key, value, &resp->user);
}

static cruddur_status
short_user(rpc_context *ctx, const Cruddur__V1__ShortUserRequest *req,
    Cruddur__V1__ShortUserResponse *resp)
{
	Cruddur__V1__User      *u = NULL;
	Cruddur__V1__ShortUser *s;
	user_key                key;
	const char             *value;
	cruddur_status          st;

	if ((st = ref_parse(ctx, req->user, &key, &value)) != CRUDDUR_OK)
		return st;
	if ((st = user_find_on(ctx, NULL,
	         req->consistency_token != NULL ? req->consistency_token : "", key, value, &u)) !=
	    CRUDDUR_OK)
		return st;
	if ((s = rpc_alloc(ctx, sizeof(*s))) == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	cruddur__v1__short_user__init(s);
	s->uuid = u->uuid;
	s->handle = u->handle;
	s->display_name = u->display_name;
	resp->user = s;
	return CRUDDUR_OK;
}

/* ---- UpdateProfile ---------------------------------------------------- */

static cruddur_status
update_profile_run(rpc_context *ctx, const Cruddur__V1__UpdateProfileRequest *req,
    Cruddur__V1__UpdateProfileResponse *resp)
{
	const char        *name = req->display_name != NULL ? req->display_name->value : NULL;
	const char        *bio = req->bio != NULL ? req->bio->value : NULL;
	Cruddur__V1__User *u = NULL;
	PGresult          *res = NULL;
	user_key           key;
	const char        *value, *uuid;
	char               q[256];
	cruddur_status     st;

	/* As the verified user when there is one (user_ref.h). */
	if ((st = user_ref_parse_acting(ctx, "user", req->user != NULL ? req->user->handle : NULL,
	         req->user != NULL ? req->user->uuid : NULL,
	         req->user != NULL ? req->user->cognito_user_id : NULL, &key, &value)) != CRUDDUR_OK)
		return st;
	if (req->display_name == NULL && req->bio == NULL)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "nothing to update: give display_name or bio (or both)");
	/* A StringValue that is present holds a string, "" at least. */
	if (req->display_name != NULL && name == NULL)
		name = "";
	if (req->bio != NULL && bio == NULL)
		bio = "";
	if (name != NULL && (st = rpc_check_text(ctx, "display_name", name, 1, DISPLAY_NAME_MAX)) != CRUDDUR_OK)
		return st;
	if (bio != NULL && (st = rpc_check_text(ctx, "bio", bio, 0, BIO_MAX)) != CRUDDUR_OK)
		return st;
	uuid = value;
	/* A verified user's write resolves the user whatever names them, to
	 * compare who it is before the update. */
	if (key != USER_BY_UUID || ctx->user_sub != NULL) {
		if ((st = user_find(ctx, NULL, key, value, &u)) != CRUDDUR_OK ||
		    (st = user_ref_check_acting(ctx, "user", u->cognito_user_id)) != CRUDDUR_OK)
			return st;
		uuid = u->uuid;
	}
	/* NULL parameters keep the column as it is (COALESCE). */
	const char *params[3] = { uuid, name, bio };
	st = rows_query(ctx, &stmt_user_update_profile, params, &res);
	svc_feed_changed(ctx->env); /* names on the feed's pages */
	if (st != CRUDDUR_OK)
		return st;
	if (PQntuples(res) == 0)
		st = rpc_fail(ctx, CRUDDUR_NOT_FOUND, "no user with %s \"%s\"", key_name(key),
		    text_quote(q, sizeof(q), value));
	else
		st = user_from_row(ctx, res, 0, &resp->user);
	PQclear(res);
	return st;
}

static cruddur_status
update_profile(rpc_context *ctx, const Cruddur__V1__UpdateProfileRequest *req,
    Cruddur__V1__UpdateProfileResponse *resp)
{
	return rows_write_done(ctx, update_profile_run(ctx, req, resp), &resp->consistency_token);
}

/* ---- UserActivities --------------------------------------------------- */

static cruddur_status
activities_count(rpc_context *ctx, pool_conn *conn, const char *uuid, int64_t *count)
{
	const char    *params[1] = { uuid };
	PGresult      *res = NULL;
	cruddur_status st;

	if ((st = rows_tx_exec(ctx, conn, &stmt_user_activities_count, params, &res)) != CRUDDUR_OK)
		return st;
	*count = rows_int64(res, 0, 0);
	PQclear(res);
	return CRUDDUR_OK;
}

/* One page after `after` (cursor_decode's key; the first page's too) of
 * limit rows. */
static cruddur_status
activities_page(rpc_context *ctx, pool_conn *conn, const char *uuid, const page_key *after,
    int limit, Cruddur__V1__UserActivitiesResponse *resp)
{
	char           us[24], fetch[16];
	const char    *after_uuid;
	PGresult      *res = NULL;
	cruddur_status st;

	cursor_key_params(after, us, &after_uuid);
	/* One row more than asked says whether another page follows. */
	snprintf(fetch, sizeof(fetch), "%d", limit + 1);
	const char *params[4] = { uuid, us, after_uuid, fetch };
	if ((st = rows_tx_exec(ctx, conn, &stmt_user_activities, params, &res)) != CRUDDUR_OK)
		return st;
	st = rows_activity_page(ctx, res, limit, &resp->activities, &resp->n_activities,
	    &resp->next_cursor);
	PQclear(res);
	return st;
}

static cruddur_status
user_activities(rpc_context *ctx, const Cruddur__V1__UserActivitiesRequest *req,
    Cruddur__V1__UserActivitiesResponse *resp)
{
	int            limit;
	page_key       after;
	bool           first;
	user_key       key;
	const char    *value;
	pool_conn     *conn;
	int            where = REPLICA_PRIMARY;
	cruddur_status st;

	if ((st = cursor_page_limit(ctx, req->limit, &limit)) != CRUDDUR_OK)
		return st;
	if ((st = cursor_decode(ctx, req->cursor != NULL ? req->cursor : "", &after, &first)) != CRUDDUR_OK)
		return st;
	if ((st = ref_parse(ctx, req->user, &key, &value)) != CRUDDUR_OK)
		return st;
	if ((st = rows_read_begin(ctx, req->consistency_token, &where, &conn)) != CRUDDUR_OK)
		return st;
	st = user_find(ctx, conn, key, value, &resp->user);
	if (st == CRUDDUR_OK)
		st = activities_count(ctx, conn, resp->user->uuid, &resp->activities_count);
	if (st == CRUDDUR_OK)
		st = activities_page(ctx, conn, resp->user->uuid, &after, limit, resp);
	return rows_read_end(ctx, where, conn, st);
}

void
svc_users_register(svc_registration *r)
{
	rpc_handlers *h = &r->handlers;

	h->users_create_user = create_user;
	h->users_get_user = get_user;
	h->users_short_user = short_user;
	h->users_update_profile = update_profile;
	h->users_user_activities = user_activities;
}
