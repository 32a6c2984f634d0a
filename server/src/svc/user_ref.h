/*
 * user_ref.h - naming a user in a request: by handle, uuid or
 * cognito_user_id, exactly one of them (UserRef, Author, GetUser's handle).
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

/* Handles are 1 to 32 of [A-Za-z0-9_]. */
cruddur_status user_ref_check_handle(rpc_context *ctx, const char *field, const char *handle);

#endif /* CRUDDUR_USER_REF_H */
