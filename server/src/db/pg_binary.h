/*
 * pg_binary.h - values of PostgreSQL's binary result format.
 *
 * A statement that asks for binary results (db_statement.binary_results)
 * spares PostgreSQL the text conversion of every value (timestamptz_out
 * is the dearest of them) and us the parsing back. These read the few
 * types our activity rows carry; rows.c picks them by the column's
 * format and type, so a reader works alike on text and binary results.
 */
#ifndef CRUDDUR_PG_BINARY_H
#define CRUDDUR_PG_BINARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Type OIDs (src/include/catalog/pg_type.dat; they never change). */
#define PG_OID_INT8 20
#define PG_OID_INT2 21
#define PG_OID_INT4 23
#define PG_OID_TEXT 25
#define PG_OID_VARCHAR 1043
#define PG_OID_TIMESTAMP 1114
#define PG_OID_TIMESTAMPTZ 1184
#define PG_OID_UUID 2950

/* Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
#define PG_EPOCH_UNIX_US INT64_C(946684800000000)

/* The integer in a binary int2, int4 or int8 value (len bytes, network
 * order); false when len is not 2, 4 or 8. */
bool pg_binary_int(const char *v, size_t len, int64_t *out);

/* A binary timestamp or timestamptz value as microseconds since the Unix
 * epoch; 'infinity' and '-infinity' (and values so near them that the
 * epoch shift would overflow) become INT64_MAX and INT64_MIN. False when
 * len is not 8. */
bool pg_binary_timestamp_us(const char *v, size_t len, int64_t *out);

/* A binary uuid value (16 bytes) in canonical text, 8-4-4-4-12 lower-case
 * hex digits, into out (37 bytes with the NUL); false when len is not 16. */
#define PG_UUID_TEXT_LEN 36
bool pg_binary_uuid_text(const char *v, size_t len, char out[PG_UUID_TEXT_LEN + 1]);

#endif /* CRUDDUR_PG_BINARY_H */
