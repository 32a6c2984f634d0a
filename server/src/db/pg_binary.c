/*
 * pg_binary.c - values of PostgreSQL's binary result format; see
 * pg_binary.h. The layouts are PostgreSQL's *send functions: int2send,
 * int4send, int8send (big-endian), timestamptz_send (int64 microseconds
 * since 2000-01-01, big-endian), uuid_send (the 16 bytes).
 */
#include "db/pg_binary.h"

static uint64_t
be_uint(const char *v, size_t len)
{
	const unsigned char *p = (const unsigned char *)v;
	uint64_t             u = 0;

	for (size_t i = 0; i < len; i++)
		u = u << 8 | p[i];
	return u;
}

bool
pg_binary_int(const char *v, size_t len, int64_t *out)
{
	switch (len) {
	case 2:
		*out = (int16_t)be_uint(v, len);
		return true;
	case 4:
		*out = (int32_t)be_uint(v, len);
		return true;
	case 8:
		*out = (int64_t)be_uint(v, len);
		return true;
	default:
		return false;
	}
}

bool
pg_binary_timestamp_us(const char *v, size_t len, int64_t *out)
{
	int64_t t;

	if (len != 8)
		return false;
	t = (int64_t)be_uint(v, len);
	if (t > INT64_MAX - PG_EPOCH_UNIX_US)
		*out = INT64_MAX; /* 'infinity' is INT64_MAX in PostgreSQL too */
	else if (t == INT64_MIN)
		*out = INT64_MIN; /* '-infinity'; finite ones are far from it */
	else
		*out = t + PG_EPOCH_UNIX_US;
	return true;
}

bool
pg_binary_uuid_text(const char *v, size_t len, char out[PG_UUID_TEXT_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)v;
	size_t               o = 0;

	if (len != 16)
		return false;
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[p[i] >> 4];
		out[o++] = hex[p[i] & 15];
	}
	out[o] = '\0';
	return true;
}
