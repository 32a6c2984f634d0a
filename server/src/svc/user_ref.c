/*
 * user_ref.c - exactly one way of naming a user, checked; and a write's
 * user checked against the verified one (user_ref.h).
 */
#include <string.h>

#include "base/text.h"
#include "svc/user_ref.h"

#define HANDLE_MAX 32
#define COGNITO_ID_MAX 128

static bool
given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

cruddur_status
user_ref_check_handle(rpc_context *ctx, const char *field, const char *handle)
{
	size_t n = strlen(handle);

	if (n == 0)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "%s is required", field);
	if (n > HANDLE_MAX || strspn(handle, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != n)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "%s must be 1 to %d letters, digits or underscores", field, HANDLE_MAX);
	return CRUDDUR_OK;
}

cruddur_status
user_ref_parse(rpc_context *ctx, const char *what, const char *handle, const char *uuid,
    const char *cognito_user_id, user_key *key, const char **value)
{
	int n = given(handle) + given(uuid) + given(cognito_user_id);

	if (n != 1)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "%s: give exactly one of handle, uuid or cognito_user_id (%d given)", what, n);
	if (given(handle)) {
		*key = USER_BY_HANDLE;
		*value = handle;
		return user_ref_check_handle(ctx, "handle", handle);
	}
	if (given(uuid)) {
		char q[48];
		*key = USER_BY_UUID;
		*value = uuid;
		if (!text_is_uuid(uuid))
			return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "%s: uuid \"%s\" is not a UUID", what,
			    text_quote(q, sizeof(q), uuid));
		return CRUDDUR_OK;
	}
	*key = USER_BY_COGNITO_ID;
	*value = cognito_user_id;
	return rpc_check_text(ctx, "cognito_user_id", cognito_user_id, 1, COGNITO_ID_MAX);
}

static cruddur_status
not_the_user(rpc_context *ctx, const char *what)
{
	return rpc_fail(ctx, CRUDDUR_PERMISSION_DENIED,
	    "%s: names another user than the one the token verified; name no user (or yourself)",
	    what);
}

cruddur_status
user_ref_parse_acting(rpc_context *ctx, const char *what, const char *handle, const char *uuid,
    const char *cognito_user_id, user_key *key, const char **value)
{
	cruddur_status st;

	if (ctx->user_sub != NULL && !given(handle) && !given(uuid) && !given(cognito_user_id)) {
		*key = USER_BY_COGNITO_ID;
		*value = ctx->user_sub;
		return CRUDDUR_OK;
	}
	if ((st = user_ref_parse(ctx, what, handle, uuid, cognito_user_id, key, value)) != CRUDDUR_OK)
		return st;
	if (*key == USER_BY_COGNITO_ID)
		return user_ref_check_acting(ctx, what, *value);
	return CRUDDUR_OK;
}

cruddur_status
user_ref_check_acting(rpc_context *ctx, const char *what, const char *found_cognito_user_id)
{
	if (ctx->user_sub == NULL)
		return CRUDDUR_OK;
	if (found_cognito_user_id == NULL || strcmp(found_cognito_user_id, ctx->user_sub) != 0)
		return not_the_user(ctx, what);
	return CRUDDUR_OK;
}
