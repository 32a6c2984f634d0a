/*
 * svc_activities_write.c - the Activities service's writes: CreateActivity
 * and CreateReply.
 *
 * Both run one transaction on one pooled connection, and reply OK only
 * once it has committed (rows_tx_end):
 *
 *   find the author (activity_author.sql)      NOT_FOUND if nobody;
 *                                               PERMISSION_DENIED if it is not
 *                                               the verified user (user_ref.h)
 *   insert ... ON CONFLICT DO NOTHING           activity_create[_reply].sql
 *     a row came back  -> new; a reply also counts itself on its parent
 *                         (activity_count_reply.sql), same transaction
 *     no row           -> the idempotency key was used: read its row
 *                         (activity_by_idempotency_key.sql) and answer
 *                         with it, replayed = true; no key (or no row
 *                         under it) means the parent was not there
 *
 * Idempotency keys are per author: (user_uuid, idempotency_key) is unique
 * in the database, so concurrent calls with the same key serialize on that
 * index and exactly one inserts. A replay must ask for the same thing: a
 * different message, or a different parent (a reply's key reused for a
 * top-level activity and the reverse included), is FAILED_PRECONDITION. The
 * ttl is not compared: the first call's expiry stands.
 *
 * A reply may answer a reply: it is an activity like any other (it has a
 * replies_count of its own, and ShowActivity on it lists its replies). It
 * expires with the activity it answers. Replies never appear in the home
 * feed.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "svc/svc_env.h"
#include "sql_statements.h"
#include "svc/svc_activities.h"
#include "svc/rows.h"
#include "base/text.h"
#include "svc/user_ref.h"

#define ACTIVITY_MESSAGE_MAX 280
#define REPLY_MESSAGE_MAX 1024
#define IDEMPOTENCY_KEY_MAX 128

/* The ttls a caller may ask for, as PostgreSQL intervals. */
static const struct {
	const char *name;
	const char *interval;
} ttls[] = {
	{ "30d", "30 days" }, { "7d", "7 days" }, { "3d", "3 days" }, { "1d", "1 day" },
	{ "12h", "12 hours" }, { "3h", "3 hours" }, { "1h", "1 hour" },
};
#define TTL_DEFAULT "7d"
#define TTL_NAMES "30d, 7d, 3d, 1d, 12h, 3h or 1h"

/* One write, checked: what CreateActivity and CreateReply have in common. */
typedef struct activity_write {
	const Cruddur__V1__Author *author;
	const char                *message;
	const char                *parent;   /* the activity answered; NULL: none */
	const char                *interval; /* ttl; NULL for a reply */
	const char                *key;      /* idempotency key; NULL: none */
} activity_write;

static cruddur_status
ttl_parse(rpc_context *ctx, const char *ttl, const char **interval)
{
	const char *name = ttl[0] == '\0' ? TTL_DEFAULT : ttl;

	for (size_t i = 0; i < sizeof(ttls) / sizeof(ttls[0]); i++) {
		if (strcmp(name, ttls[i].name) == 0) {
			*interval = ttls[i].interval;
			return CRUDDUR_OK;
		}
	}
	char q[32];
	return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "ttl \"%s\" is not one of " TTL_NAMES,
	    text_quote(q, sizeof(q), ttl));
}

/* "" is no key; otherwise 1..128 bytes of UTF-8. */
static cruddur_status
key_parse(rpc_context *ctx, const char *key, const char **out)
{
	size_t n = strlen(key);

	*out = n == 0 ? NULL : key;
	if (n > IDEMPOTENCY_KEY_MAX)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "idempotency_key must be at most %d bytes, not %zu", IDEMPOTENCY_KEY_MAX, n);
	if (text_utf8_length(key) < 0)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "idempotency_key is not valid UTF-8");
	return CRUDDUR_OK;
}

/* Checks the author's shape (none: the verified user, if there is one);
 * whether it exists, and is that user, is author_find's job. */
static cruddur_status
author_check(rpc_context *ctx, const Cruddur__V1__Author *a, user_key *key, const char **value)
{
	return user_ref_parse_acting(ctx, "author", a != NULL ? a->handle : NULL,
	    a != NULL ? a->user_uuid : NULL, a != NULL ? a->cognito_user_id : NULL, key, value);
}

/* The author's uuid into uuid; NOT_FOUND when no user has that name,
 * PERMISSION_DENIED when the call's verified user is somebody else. */
static cruddur_status
author_find(rpc_context *ctx, pool_conn *conn, const Cruddur__V1__Author *a, char uuid[37])
{
	const char    *params[3] = { NULL, NULL, NULL };
	const char    *value, *by;
	user_key       key;
	PGresult      *res = NULL;
	cruddur_status st;
	char           q[256];

	if ((st = author_check(ctx, a, &key, &value)) != CRUDDUR_OK)
		return st;
	switch (key) {
	case USER_BY_HANDLE: params[0] = value; by = "handle"; break;
	case USER_BY_UUID: params[1] = value; by = "uuid"; break;
	default: params[2] = value; by = "cognito_user_id"; break;
	}
	if ((st = rows_tx_exec(ctx, conn, &stmt_activity_author, params, &res)) != CRUDDUR_OK)
		return st;
	if (PQntuples(res) == 0)
		st = rpc_fail(ctx, CRUDDUR_NOT_FOUND, "author: no user with %s \"%s\"", by,
		    text_quote(q, sizeof(q), value));
	else if ((st = user_ref_check_acting(ctx, "author",
	              PQgetisnull(res, 0, 3) ? NULL : PQgetvalue(res, 0, 3))) == CRUDDUR_OK)
		snprintf(uuid, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return st;
}

/* The row that author already wrote under w->key, if it answers the same
 * call; NOT_FOUND for a reply whose parent is missing or expired. */
static cruddur_status
replay(rpc_context *ctx, pool_conn *conn, const activity_write *w, const char *author,
    Cruddur__V1__Activity **out)
{
	const char    *params[2] = { author, w->key };
	PGresult      *res = NULL;
	cruddur_status st = CRUDDUR_OK;

	if (w->key != NULL &&
	    (st = rows_tx_exec(ctx, conn, &stmt_activity_by_idempotency_key, params, &res)) != CRUDDUR_OK)
		return st;
	if (res == NULL || PQntuples(res) == 0) {
		/* Nothing conflicted, so the insert found no parent. A
		 * top-level insert always inserts or conflicts, unless the row
		 * that conflicted was deleted since. */
		if (w->parent != NULL)
			st = rpc_fail(ctx, CRUDDUR_NOT_FOUND,
			    "no activity %s to reply to (it does not exist or has expired)", w->parent);
		else
			st = rpc_fail(ctx, CRUDDUR_ABORTED,
			    "the activity of this idempotency key was deleted meanwhile; retry");
	} else if ((st = rows_activity(ctx, res, 0, out)) == CRUDDUR_OK) {
		if (strcmp((*out)->message, w->message) != 0)
			st = rpc_fail(ctx, CRUDDUR_FAILED_PRECONDITION,
			    "idempotency key reused with a different message");
		else if (strcasecmp((*out)->reply_to_activity_uuid, w->parent ? w->parent : "") != 0)
			st = rpc_fail(ctx, CRUDDUR_FAILED_PRECONDITION,
			    "idempotency key reused with a different parent activity (\"%s\" before)",
			    (*out)->reply_to_activity_uuid);
	}
	PQclear(res);
	return st;
}

/* The insert; *res holds the new row, or none when it inserted nothing. */
static cruddur_status
insert(rpc_context *ctx, pool_conn *conn, const activity_write *w, const char *author,
    PGresult **res)
{
	if (w->parent != NULL) {
		const char *params[4] = { w->parent, author, w->message, w->key };
		return rows_tx_exec(ctx, conn, &stmt_activity_create_reply, params, res);
	}
	const char *params[4] = { author, w->message, w->interval, w->key };
	return rows_tx_exec(ctx, conn, &stmt_activity_create, params, res);
}

static cruddur_status
count_reply(rpc_context *ctx, pool_conn *conn, const char *parent)
{
	const char    *params[1] = { parent };
	PGresult      *res = NULL;
	cruddur_status st = rows_tx_exec(ctx, conn, &stmt_activity_count_reply, params, &res);

	if (st == CRUDDUR_OK && strcmp(PQcmdTuples(res), "1") != 0)
		st = rpc_fail(ctx, CRUDDUR_ABORTED, "activity %s was deleted while replying; retry", parent);
	PQclear(res);
	return st;
}

/* Runs a checked write in one transaction; see the top of the file. */
static cruddur_status
activity_write_run(rpc_context *ctx, const activity_write *w, Cruddur__V1__Activity **out,
    protobuf_c_boolean *replayed)
{
	pool_conn     *conn;
	PGresult      *res = NULL;
	char           author[37];
	cruddur_status st;

	if ((st = rows_tx_begin(ctx, &conn)) != CRUDDUR_OK)
		return st;
	st = author_find(ctx, conn, w->author, author);
	if (st == CRUDDUR_OK)
		st = insert(ctx, conn, w, author, &res);
	if (st == CRUDDUR_OK && PQntuples(res) > 0) {
		st = rows_activity(ctx, res, 0, out);
		if (st == CRUDDUR_OK && w->parent != NULL)
			st = count_reply(ctx, conn, w->parent);
	} else if (st == CRUDDUR_OK) {
		st = replay(ctx, conn, w, author, out);
		*replayed = st == CRUDDUR_OK;
	}
	PQclear(res);
	st = rows_tx_end(ctx, conn, st);
	svc_feed_changed(ctx->env);
	return st;
}

static cruddur_status
create_activity(rpc_context *ctx, const Cruddur__V1__CreateActivityRequest *req,
    Cruddur__V1__CreateActivityResponse *resp)
{
	activity_write w = { .author = req->author, .message = req->message };
	user_key       key;
	const char    *value;
	cruddur_status st;

	/* Every check before the database is touched. */
	if ((st = author_check(ctx, req->author, &key, &value)) != CRUDDUR_OK ||
	    (st = rpc_check_text(ctx, "message", req->message, 1, ACTIVITY_MESSAGE_MAX)) != CRUDDUR_OK ||
	    (st = ttl_parse(ctx, req->ttl, &w.interval)) != CRUDDUR_OK ||
	    (st = key_parse(ctx, req->idempotency_key, &w.key)) != CRUDDUR_OK)
		return st;
	return rows_write_done(ctx, activity_write_run(ctx, &w, &resp->activity, &resp->replayed),
	    &resp->consistency_token);
}

static cruddur_status
create_reply(rpc_context *ctx, const Cruddur__V1__CreateReplyRequest *req,
    Cruddur__V1__CreateReplyResponse *resp)
{
	activity_write w = { .author = req->author, .message = req->message,
		.parent = req->reply_to_activity_uuid };
	user_key       key;
	const char    *value;
	cruddur_status st;
	char           q[48];

	if (req->reply_to_activity_uuid[0] == '\0')
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "reply_to_activity_uuid is required");
	if (!text_is_uuid(req->reply_to_activity_uuid))
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "reply_to_activity_uuid \"%s\" is not a UUID",
		    text_quote(q, sizeof(q), req->reply_to_activity_uuid));
	if ((st = author_check(ctx, req->author, &key, &value)) != CRUDDUR_OK ||
	    (st = rpc_check_text(ctx, "message", req->message, 1, REPLY_MESSAGE_MAX)) != CRUDDUR_OK ||
	    (st = key_parse(ctx, req->idempotency_key, &w.key)) != CRUDDUR_OK)
		return st;
	return rows_write_done(ctx, activity_write_run(ctx, &w, &resp->activity, &resp->replayed),
	    &resp->consistency_token);
}

void
svc_activities_write_register(rpc_handlers *h)
{
	h->activities_create_activity = create_activity;
	h->activities_create_reply = create_reply;
}
