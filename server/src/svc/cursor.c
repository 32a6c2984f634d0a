/*
 * cursor.c - keyset page cursors in base64url; see cursor.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/cursor.h"
#include "base/text.h"

#define CURSOR_MAX 128
/* The first page's sentinel key: 9999-12-31 23:59:59.999999 UTC. */
#define CURSOR_MAX_US INT64_C(253402300799999999)

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
b64_value(char c)
{
	const char *p = strchr(b64, c);
	return (c != '\0' && p != NULL) ? (int)(p - b64) : -1;
}

char *
cursor_encode(rpc_context *ctx, const page_key *key)
{
	char   plain[80];
	int    n = snprintf(plain, sizeof(plain), "%" PRId64 ".%s", key->created_at_us, key->uuid);
	char  *out = rpc_alloc(ctx, (size_t)n * 4 / 3 + 4);
	size_t o = 0;

	if (out == NULL)
		return (char *)"";
	for (int i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)plain[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)plain[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)plain[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = b64[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = b64[v & 63];
	}
	out[o] = '\0';
	return out;
}

/* base64url without padding into out; returns the length or -1. */
static int
b64_decode(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in), o = 0;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		size_t   chunk = n - i < 4 ? n - i : 4;
		for (size_t j = 0; j < 4; j++) {
			int d = j < chunk ? b64_value(in[i + j]) : 0;
			if (d < 0)
				return -1;
			v = (v << 6) | (uint32_t)d;
		}
		for (size_t j = 0; j + 1 < chunk; j++) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)((v >> (16 - 8 * j)) & 0xFF);
		}
	}
	out[o] = '\0';
	return (int)o;
}

cruddur_status
cursor_decode(rpc_context *ctx, const char *cursor, page_key *key, bool *first)
{
	char  plain[CURSOR_MAX];
	char *dot, *end;

	*first = cursor[0] == '\0';
	if (*first) {
		key->created_at_us = CURSOR_MAX_US;
		memcpy(key->uuid, "ffffffff-ffff-ffff-ffff-ffffffffffff", sizeof(key->uuid));
		return CRUDDUR_OK;
	}
	if (strlen(cursor) >= CURSOR_MAX || b64_decode(cursor, plain, sizeof(plain)) < 0 ||
	    (dot = strchr(plain, '.')) == NULL)
		goto bad;
	*dot = '\0';
	if (plain[0] < '0' || plain[0] > '9') /* no sign, no space */
		goto bad;
	errno = 0;
	key->created_at_us = strtoll(plain, &end, 10);
	if (errno != 0 || end == plain || *end != '\0' || key->created_at_us > CURSOR_MAX_US ||
	    !text_is_uuid(dot + 1))
		goto bad;
	memcpy(key->uuid, dot + 1, 37);
	/* Only the cursor this key encodes to: one key, one cursor. */
	if (strcmp(cursor_encode(ctx, key), cursor) != 0)
		goto bad;
	return CRUDDUR_OK;
bad:
	return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
	    "cursor is not one this server returned (pass next_cursor as it came)");
}

cruddur_status
cursor_page_limit(rpc_context *ctx, int32_t requested, int *limit)
{
	*limit = requested == 0 ? CURSOR_DEFAULT_LIMIT : requested;
	if (*limit < 1 || *limit > CURSOR_MAX_LIMIT)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "limit must be from 1 to %d (or 0 for %d), not %d", CURSOR_MAX_LIMIT,
		    CURSOR_DEFAULT_LIMIT, requested);
	return CRUDDUR_OK;
}

void
cursor_key_params(const page_key *key, char us[24], const char **uuid)
{
	snprintf(us, 24, "%" PRId64, key->created_at_us);
	*uuid = key->uuid;
}
