/*
 * cursor.h - the opaque page cursors of HomeFeed and UserActivities.
 *
 * Pages are keyset pages: ordered by (created_at DESC, uuid DESC), a page
 * ends at its last row, and the next page starts strictly after that key.
 * A cursor is that key, "<created_at microseconds>.<uuid>", in base64url,
 * so callers treat it as opaque and cannot build one by accident. Rows
 * inserted while a caller pages land before its first page, never inside
 * a page it has yet to read twice: no duplicates, no gaps.
 */
#ifndef CRUDDUR_CURSOR_H
#define CRUDDUR_CURSOR_H

#include <stdint.h>

#include "rpc/rpc_context.h"

typedef struct page_key {
	int64_t created_at_us;
	char    uuid[37];
} page_key;

/* The cursor for the page after key, in the arena; "" when out of memory. */
char *cursor_encode(rpc_context *ctx, const page_key *key);

/* Parses a cursor into key. An empty cursor is the first page: *first is
 * set and key is the key before every row (year 9999, the largest uuid),
 * so that every page runs the same statement and plan. INVALID_ARGUMENT
 * for anything that is not a cursor this server made. */
cruddur_status cursor_decode(rpc_context *ctx, const char *cursor, page_key *key, bool *first);

/* A page's size from a request's limit: 0 means 20; 1..100; anything
 * else is INVALID_ARGUMENT. */
#define CURSOR_DEFAULT_LIMIT 20
#define CURSOR_MAX_LIMIT 100
cruddur_status cursor_page_limit(rpc_context *ctx, int32_t requested, int *limit);

/* The key as the text parameters of a query: microseconds and uuid. */
void cursor_key_params(const page_key *key, char us[24], const char **uuid);

#endif /* CRUDDUR_CURSOR_H */
