/*
 * user_ref.h - naming a user in a request: by handle, uuid or
 * cognito_user_id, exactly one of them (UserRef, Author, GetUser's handle).
 *
 * Acting as the verified user. A write (CreateActivity, CreateReply,
 * UpdateProfile) of a call with a verified user token (ctx->user_sub,
 * rpc/auth.h) acts as that user: a request that names no user names them (by
 * their cognito_user_id, the token's sub), and one that names somebody else
 * is PERMISSION_DENIED, before anything is written. One mechanism for every
 * way of naming: the named user is resolved as for any write (the handler's
 * look-up, in the write's transaction where it has one) and the
 * cognito_user_id it found is compared with the sub
 * (user_ref_check_acting); a cognito_user_id that is not the sub is refused
 * at once, without the database (user_ref_parse_acting). Without a verified
 * user both behave as user_ref_parse and nothing more.
 */
#ifndef CRUDDUR_USER_REF_H
#define CRUDDUR_USER_REF_H

#include "rpc/rpc_context.h"

typedef enum user_key {
	USER_BY_HANDLE,
	USER_BY_UUID,
	USER_BY_COGNITO_ID,
} user_key;

/* Checks that exactly one of handle, uuid and cognito_user_id (NULL or ""
 * for not given) is set and well-formed; `what` names the field in the
 * message ("author"). On CRUDDUR_OK *key and *value say which. */
cruddur_status user_ref_parse(rpc_context *ctx, const char *what, const char *handle,
    const char *uuid, const char *cognito_user_id, user_key *key, const char **value);

/* user_ref_parse for a write: with a verified user, none of the three
 * given names that user (USER_BY_COGNITO_ID, ctx->user_sub), and a
 * cognito_user_id other than theirs is PERMISSION_DENIED. */
cruddur_status user_ref_parse_acting(rpc_context *ctx, const char *what, const char *handle,
    const char *uuid, const char *cognito_user_id, user_key *key, const char **value);

/* After the look-up and before the write: PERMISSION_DENIED unless the user
 * found (their cognito_user_id; NULL or "" for none) is the call's verified
 * user; CRUDDUR_OK when the call has none. */
cruddur_status user_ref_check_acting(rpc_context *ctx, const char *what,
    const char *found_cognito_user_id);

/* Handles are 1 to 32 of [A-Za-z0-9_]. */
cruddur_status user_ref_check_handle(rpc_context *ctx, const char *field, const char *handle);

#endif /* CRUDDUR_USER_REF_H */
