/*
 * rows_test.c - activity rows as the rows helpers read them from a
 * binary result (rows.c, pg_binary.c), built by hand with libpq's
 * PQsetResultAttrs/PQsetvalue: every field decoded, NULLs as "" and 0,
 * and a column of a type the helpers do not read (numeric for a count)
 * failing the call with INTERNAL instead of reading as 0.
 */
#include <string.h>

#include <libpq-fe.h>

#include "db/pg_binary.h"
#include "rpc/rpc_context.h"
#include "svc/rows.h"
#include "test_support.h"

#define NUMERIC_OID 1700

/* An empty binary result with the eleven activity columns; count_type is
 * the type of the three count columns. */
static PGresult *
activity_result(Oid count_type)
{
	static const char *names[ROWS_ACTIVITY_COLUMNS] = { "uuid", "user_uuid", "handle",
		"display_name", "message", "replies_count", "reposts_count", "likes_count",
		"reply_to_activity_uuid", "expires_at", "created_at" };
	const Oid types[ROWS_ACTIVITY_COLUMNS] = { PG_OID_UUID, PG_OID_UUID, PG_OID_TEXT,
		PG_OID_TEXT, PG_OID_TEXT, count_type, count_type, count_type, PG_OID_UUID,
		PG_OID_TIMESTAMPTZ, PG_OID_TIMESTAMPTZ };
	PGresAttDesc attrs[ROWS_ACTIVITY_COLUMNS];
	PGresult    *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	for (int i = 0; i < ROWS_ACTIVITY_COLUMNS; i++)
		attrs[i] = (PGresAttDesc){ .name = (char *)names[i], .format = 1, .typid = types[i],
			.typlen = -1, .atttypmod = -1 };
	CHECK(res != NULL && PQsetResultAttrs(res, ROWS_ACTIVITY_COLUMNS, attrs));
	return res;
}

static void
set(PGresult *res, int col, const char *value, int len)
{
	CHECK(PQsetvalue(res, 0, col, (char *)value, len));
}

/* Row 0: uuids d132ae4b-..., ffffffff-..., a reply to nothing (NULL), no
 * expiry (NULL), counts 3, 0, -1 as int4, created 2026-11-25 16:52:38.016525. */
static void
fill_row(PGresult *res)
{
	set(res, 0, "\xd1\x32\xae\x4b\xcc\x48\x41\x1a\x91\xc4\xa4\x03\xb1\xa8\x35\x4e", 16);
	set(res, 1, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16);
	set(res, 2, "hotwheels", 9);
	set(res, 3, "Pop Goes the Weasel", 19);
	set(res, 4, "It's 'quoted'; DROP TABLE x", 27);
	set(res, 5, "\0\0\0\x03", 4);
	set(res, 6, "\0\0\0\0", 4);
	set(res, 7, "\xff\xff\xff\xff", 4);
	set(res, 8, NULL, -1);
	set(res, 9, NULL, -1);
	set(res, 10, "\x00\x03\x04\x1b\x6c\x51\x22\x0d", 8);
}

static void
test_decoded(void)
{
	rpc_context            ctx = { .arena = arena_new() };
	PGresult              *res = activity_result(PG_OID_INT4);
	Cruddur__V1__Activity *a = NULL;

	fill_row(res);
	CHECK(rows_activity(&ctx, res, 0, &a) == CRUDDUR_OK);
	if (a != NULL) {
		CHECK_STREQ(a->uuid, "d132ae4b-cc48-411a-91c4-a403b1a8354e");
		CHECK_STREQ(a->user_uuid, "ffffffff-ffff-ffff-ffff-ffffffffffff");
		CHECK_STREQ(a->handle, "hotwheels");
		CHECK_STREQ(a->display_name, "Pop Goes the Weasel");
		CHECK_STREQ(a->message, "It's 'quoted'; DROP TABLE x");
		CHECK(a->replies_count == 3 && a->reposts_count == 0 && a->likes_count == -1);
		CHECK_STREQ(a->reply_to_activity_uuid, "");
		CHECK(a->expires_at_us == 0);
		CHECK(a->created_at_us == INT64_C(1795625558016525));
	}
	PQclear(res);
	arena_free(ctx.arena);
}

static void
test_unexpected_type(void)
{
	rpc_context            ctx = { .arena = arena_new() };
	PGresult              *res = activity_result(NUMERIC_OID);
	Cruddur__V1__Activity *a = NULL;

	fill_row(res);
	CHECK(rows_activity(&ctx, res, 0, &a) == CRUDDUR_INTERNAL);
	CHECK(strstr(ctx.message, "unexpected types") != NULL);
	PQclear(res);
	arena_free(ctx.arena);
}

int
main(void)
{
	test_decoded();
	test_unexpected_type();
	return ts_finish("rows_test");
}
