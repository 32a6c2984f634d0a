/*
 * auth.h - who may call what.
 *
 * A server started with an admin token (--admin-token-file or
 * CRUDDUR_ADMIN_TOKEN) requires it in the "authorization" metadata of every
 * DbAdmin call, and of every call at all with --require-token. The token
 * may be sent bare or as "Bearer <token>" (the scheme in any case). No token: UNAUTHENTICATED; a
 * wrong one: PERMISSION_DENIED. The comparison takes the same time whatever
 * the token sent, so timing tells nothing about the right one. With
 * --require-token, GET /metrics needs it too, as "Authorization: Bearer".
 * A token followed by NUL and junk never gets here: the envelope's wire
 * check refuses a NUL in any string field before it is decoded
 * (wire_check.h).
 *
 * User tokens (jwt.h). A server started with --jwks-file verifies an
 * authorization value (bare or "Bearer <x>") that has the shape of a JWT
 * (jwt_looks_like) and is not the admin token, for every method: a token
 * that fails is UNAUTHENTICATED with the reason ("token expired", "unknown
 * key id", ...), whatever the method; one that verifies makes its sub the
 * call's user (ctx->user_sub), which the writes act as (svc/user_ref.h). A
 * value of another shape is only ever compared with the admin token.
 *   - DbAdmin still needs the admin token: a user token is no admin token
 *     (PERMISSION_DENIED, as a wrong token).
 *   - --require-token (every call needs a credential): a verified user
 *     token satisfies it for every method but DbAdmin's; the admin token
 *     does too, as before.
 *   - --require-user-token: CreateActivity, CreateReply and UpdateProfile
 *     without a verified user are UNAUTHENTICATED (the admin token is no
 *     user); other methods are as without it.
 *
 * A production server (--env prod) also refuses a destructive call unless
 * its request confirms the database name: a request message with a field
 * named `confirm` is destructive by that convention (Drop, Setup,
 * SchemaLoad, Seed, SeedBulk, Rollback, KillSessions), and `confirm` must
 * equal the database name.
 */
#ifndef CRUDDUR_AUTH_H
#define CRUDDUR_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "rpc/auth_token.h"
#include "rpc/jwt.h"
#include "rpc_handlers.h"

/* What the checks compare with; read-only once serving (the token it
 * points to changes under its own lock, auth_token.h). */
typedef struct auth_config {
	auth_token *admin_token; /* NULL: no call needs one */
	bool        require_token; /* every call needs it, not only DbAdmin's */
	bool        prod;          /* destructive calls must confirm dbname */
	const char *dbname;
	const jwt_config *jwt;     /* user tokens; NULL: none are verified */
	bool        require_user_token; /* the writes need a verified user */
} auth_config;

/* The token check for a call of entry, from ctx->envelope's metadata;
 * sets ctx->user_sub for a verified user token. */
cruddur_status auth_check(const auth_config *a, rpc_context *ctx, const rpc_method_entry *entry);

/* Whether an HTTP request with this Authorization header (NULL: none) may
 * read what the Stats RPC shows (GET /metrics): always without
 * --require-token; with it, only "Bearer <token>" (the scheme in any case,
 * RFC 7235), as Prometheus sends its bearer_token_file or authorization
 * credentials, compared as auth_equal does. */
bool auth_check_bearer(const auth_config *a, const char *authorization);

/* The production confirmation for a decoded request of entry. */
cruddur_status auth_check_confirm(const auth_config *a, rpc_context *ctx,
    const ProtobufCMessage *req);

/* Reads a token file: its first line, without the newline. Returns 0, or
 * -1 with a message. The token must be 16 to 4096 bytes. */
int auth_read_token_file(const char *path, char **token, char *err, size_t errlen);

#endif /* CRUDDUR_AUTH_H */
