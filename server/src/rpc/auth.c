/*
 * auth.c - the admin token and the production confirmation; see auth.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "rpc/auth.h"
#include "obs/log.h"
#include "server.h"

#define TOKEN_MIN 16
#define TOKEN_MAX 4096

bool
auth_equal(const char *a, size_t alen, const char *secret, size_t secret_len)
{
	/* Every byte of the secret is looked at once, whatever a is. */
	unsigned char diff = (unsigned char)(alen != secret_len);
	for (size_t i = 0; i < secret_len; i++)
		diff |= (unsigned char)((i < alen ? (unsigned char)a[i] : 0) ^ (unsigned char)secret[i]);
	return diff == 0;
}

/* What follows the "Bearer " scheme of an authorization value (the scheme
 * is case-insensitive, RFC 7235), or NULL when it has none. For the RPC
 * metadata and the HTTP header alike. */
static const char *
bearer_credentials(const char *value)
{
	return value != NULL && strncasecmp(value, "Bearer ", 7) == 0 ? value + 7 : NULL;
}

static bool
needs_token(const server *s, const rpc_method_entry *entry)
{
	if (s->cfg.admin_token == NULL)
		return false;
	return s->cfg.require_token || strcmp(entry->method->service, "cruddur.v1.DbAdmin") == 0;
}

static const char *
metadata_value(const Cruddur__V1__RequestEnvelope *env, const char *key)
{
	for (size_t i = 0; i < env->n_metadata; i++)
		if (env->metadata[i]->key != NULL && strcmp(env->metadata[i]->key, key) == 0)
			return env->metadata[i]->value;
	return NULL;
}

cruddur_status
auth_check(rpc_context *ctx, const rpc_method_entry *entry)
{
	const server *s = ctx->server;
	const char   *sent;

	if (!needs_token(s, entry))
		return CRUDDUR_OK;
	sent = metadata_value(ctx->envelope, "authorization");
	if (sent == NULL || sent[0] == '\0')
		return rpc_fail(ctx, CRUDDUR_UNAUTHENTICATED,
		    "%s needs a token: send it as \"authorization\" metadata (cruddur --token-file)",
		    entry->method->full_name);
	if (bearer_credentials(sent) != NULL)
		sent = bearer_credentials(sent);
	if (!auth_equal(sent, strlen(sent), s->cfg.admin_token, strlen(s->cfg.admin_token)))
		return rpc_fail(ctx, CRUDDUR_PERMISSION_DENIED, "the token is not valid for %s",
		    entry->method->full_name);
	return CRUDDUR_OK;
}

bool
auth_bearer_allows(bool require_token, const char *token, const char *authorization)
{
	if (!require_token || token == NULL)
		return true;
	const char *sent = bearer_credentials(authorization);
	return sent != NULL && auth_equal(sent, strlen(sent), token, strlen(token));
}

bool
auth_check_bearer(const server *s, const char *authorization)
{
	return auth_bearer_allows(s->cfg.require_token, s->cfg.admin_token, authorization);
}

cruddur_status
auth_check_confirm(rpc_context *ctx, const ProtobufCMessage *req)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(req->descriptor, "confirm");
	const char *dbname = ctx->server->db.dbname;

	if (!ctx->server->cfg.prod || f == NULL || f->type != PROTOBUF_C_TYPE_STRING)
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
