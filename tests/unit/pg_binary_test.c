/*
 * pg_binary_test.c - PostgreSQL's binary values as PostgreSQL's send
 * functions write them: integers of each width and sign, timestamps at
 * both epochs and at +-infinity, uuids, and lengths that do not fit.
 */
#include <string.h>

#include "db/pg_binary.h"
#include "test_support.h"

static void
test_ints(void)
{
	int64_t v = 0;

	CHECK(pg_binary_int("\xff\xfb", 2, &v) && v == -5);             /* int2send(-5) */
	CHECK(pg_binary_int("\xff\xff\xff\xfb", 4, &v) && v == -5); /* int4send(-5) */
	CHECK(pg_binary_int("\x00\x00\x01\x02", 4, &v) && v == 258);
	CHECK(pg_binary_int("\x80\x00\x00\x00", 4, &v) && v == INT32_MIN);
	CHECK(pg_binary_int("\x7f\xff\xff\xff\xff\xff\xff\xff", 8, &v) && v == INT64_MAX);
	CHECK(pg_binary_int("\xff\xff\xff\xff\xff\xff\xff\xfe", 8, &v) && v == -2);
	CHECK(!pg_binary_int("\x00\x00\x01", 3, &v));
	CHECK(!pg_binary_int("", 0, &v));
}

static void
test_timestamps(void)
{
	int64_t v = 0;

	/* 2000-01-01 00:00:00+00 is PostgreSQL's zero. */
	CHECK(pg_binary_timestamp_us("\0\0\0\0\0\0\0\0", 8, &v) && v == PG_EPOCH_UNIX_US);
	/* timestamptz_send('1970-01-01 00:00:00+00'): -946684800000000 */
	CHECK(pg_binary_timestamp_us("\xff\xfc\xa2\xfe\xc4\xc8\x20\x00", 8, &v) && v == 0);
	/* timestamptz_send('2026-11-25 16:52:38.016525+00'), whose
	 * extract(epoch ...) * 1000000 is 1795625558016525 */
	CHECK(pg_binary_timestamp_us("\x00\x03\x04\x1b\x6c\x51\x22\x0d", 8, &v) &&
	    v == INT64_C(1795625558016525));
	CHECK(pg_binary_timestamp_us("\x7f\xff\xff\xff\xff\xff\xff\xff", 8, &v) && v == INT64_MAX);
	CHECK(pg_binary_timestamp_us("\x80\0\0\0\0\0\0\0", 8, &v) && v == INT64_MIN);
	/* Finite but within the shift of INT64_MAX: saturates, no overflow. */
	CHECK(pg_binary_timestamp_us("\x7f\xff\xff\xff\xff\xff\xff\x00", 8, &v) && v == INT64_MAX);
	CHECK(!pg_binary_timestamp_us("\0\0\0\0", 4, &v));
}

static void
test_uuids(void)
{
	char out[PG_UUID_TEXT_LEN + 1];

	CHECK(pg_binary_uuid_text("\xd1\x32\xae\x4b\xcc\x48\x41\x1a\x91\xc4\xa4\x03\xb1\xa8\x35\x4e",
	    16, out));
	CHECK_STREQ(out, "d132ae4b-cc48-411a-91c4-a403b1a8354e");
	CHECK(pg_binary_uuid_text("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
	    16, out));
	CHECK_STREQ(out, "ffffffff-ffff-ffff-ffff-ffffffffffff");
	CHECK(!pg_binary_uuid_text("\0\0\0\0", 4, out));
}

int
main(void)
{
	test_ints();
	test_timestamps();
	test_uuids();
	return ts_finish("pg_binary_test");
}
