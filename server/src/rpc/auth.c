/*
 * auth.c - the admin token, user tokens (jwt.h) and the production
 * confirmation; see auth.h for what each method needs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/clock.h"
#include "rpc/auth.h"
#include "obs/log.h"

#define TOKEN_MIN 16
#define TOKEN_MAX 4096

/* What follows the "Bearer " scheme of an authorization value (the scheme
 * is case-insensitive, RFC 7235), or NULL when it has none. For the RPC
 * metadata and the HTTP header alike. */
static const char *
bearer_credentials(const char *value)
{
	return value != NULL && strncasecmp(value, "Bearer ", 7) == 0 ? value + 7 : NULL;
}

static bool
is_db_admin(const rpc_method_entry *entry)
{
	return strcmp(entry->method->service, "cruddur.v1.DbAdmin") == 0;
}

/* The writes that act as a user, and so need one with --require-user-token. */
static bool
is_user_write(const rpc_method_entry *entry)
{
	static const char *const writes[] = { "cruddur.v1.Activities/CreateActivity",
		"cruddur.v1.Activities/CreateReply", "cruddur.v1.Users/UpdateProfile" };

	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
		if (strcmp(entry->method->full_name, writes[i]) == 0)
			return true;
	return false;
}

static const char *
metadata_value(const Cruddur__V1__RequestEnvelope *env, const char *key)
{
	for (size_t i = 0; i < env->n_metadata; i++)
		if (env->metadata[i]->key != NULL && strcmp(env->metadata[i]->key, key) == 0)
			return env->metadata[i]->value;
	return NULL;
}

/* Verifies a user token and makes its sub the call's user. */
static cruddur_status
verify_user(const auth_config *a, rpc_context *ctx, const char *token)
{
	char sub[JWT_SUB_MAX + 1], why[128];

	if (jwt_verify(a->jwt, token, strlen(token), clock_real_us() / 1000000, sub, why,
	        sizeof(why)) != 0)
		return rpc_fail(ctx, CRUDDUR_UNAUTHENTICATED, "the user token is refused: %s", why);
	if ((ctx->user_sub = arena_strdup(ctx->arena, sub)) == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	return CRUDDUR_OK;
}

cruddur_status
auth_check(const auth_config *a, rpc_context *ctx, const rpc_method_entry *entry)
{
	const char    *sent = metadata_value(ctx->envelope, "authorization");
	const char    *name = entry->method->full_name;
	bool           admin = false;
	cruddur_status st;

	if (sent != NULL && bearer_credentials(sent) != NULL)
		sent = bearer_credentials(sent);
	if (sent != NULL && sent[0] == '\0')
		sent = NULL;
	if (sent != NULL && a->admin_token != NULL)
		admin = auth_token_matches(a->admin_token, sent, strlen(sent));
	if (sent != NULL && !admin && a->jwt != NULL && jwt_looks_like(sent, strlen(sent)) &&
	    (st = verify_user(a, ctx, sent)) != CRUDDUR_OK)
		return st;
	if (a->admin_token != NULL && (is_db_admin(entry) || a->require_token)) {
		if (sent == NULL)
			return rpc_fail(ctx, CRUDDUR_UNAUTHENTICATED,
			    "%s needs a token: send it as \"authorization\" metadata (cruddur --token-file)",
			    name);
		/* A verified user passes --require-token, never DbAdmin's check. */
		if (!admin && (is_db_admin(entry) || ctx->user_sub == NULL))
			return rpc_fail(ctx, CRUDDUR_PERMISSION_DENIED, "the token is not valid for %s", name);
	}
	if (a->require_user_token && is_user_write(entry) && ctx->user_sub == NULL)
		return rpc_fail(ctx, CRUDDUR_UNAUTHENTICATED,
		    "%s needs a verified user token (authorization: Bearer <JWT>)", name);
	return CRUDDUR_OK;
}

bool
auth_check_bearer(const auth_config *a, const char *authorization)
{
	if (!a->require_token || a->admin_token == NULL)
		return true;
	const char *sent = bearer_credentials(authorization);
	return sent != NULL && auth_token_matches(a->admin_token, sent, strlen(sent));
}

cruddur_status
auth_check_confirm(const auth_config *a, rpc_context *ctx, const ProtobufCMessage *req)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(req->descriptor, "confirm");
	const char *dbname = a->dbname;

	if (!a->prod || f == NULL || f->type != PROTOBUF_C_TYPE_STRING)
		return CRUDDUR_OK;
	const char *confirm = *(char *const *)((const char *)req + f->offset);
	if (confirm == NULL || strcmp(confirm, dbname) != 0)
		return rpc_fail(ctx, CRUDDUR_FAILED_PRECONDITION,
		    "%s is destructive and this is a production server: confirm the database name "
		    "(cruddur --prod ... --confirm %s)", ctx->method->full_name, dbname);
	return CRUDDUR_OK;
}

int
auth_read_token_file(const char *path, char **token, char *err, size_t errlen)
{
	FILE       *f = fopen(path, "r");
	char        buf[TOKEN_MAX + 2];
	struct stat st;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read token file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0077) != 0)
		log_warn("msg=\"token file is readable by others\" path=%s mode=%o", path,
		    (unsigned)(st.st_mode & 0777));
	buf[0] = '\0';
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	size_t n = strlen(buf);
	if (n < TOKEN_MIN || n > TOKEN_MAX) {
		snprintf(err, errlen, "token in %s must be %d to %d bytes", path, TOKEN_MIN, TOKEN_MAX);
		return -1;
	}
	if ((*token = strdup(buf)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
