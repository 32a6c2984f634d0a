/*
 * svc_seed_bulk.c - DbAdmin SeedBulk: many realistic users and activities,
 * fast.
 *
 * One call is one transaction on one pooled connection:
 *
 *   BEGIN
 *   SELECT now()                      the clock every timestamp is relative to
 *   COPY users (...) FROM STDIN       `users` rows (seed_text.h makes them)
 *   SELECT uuid FROM users            authors: old users and the new ones
 *   COPY activities (...) FROM STDIN  `activities` rows
 *   COMMIT                            (or ROLLBACK: all or nothing)
 *
 * COPY in text format streams rows in large chunks (PQputCopyData) with no
 * per-row round trip or parameter binding. Measured on the migrated schema
 * (2 cores): 1,000 users and 100,000 activities in about 1.9 s, the same
 * time as an INSERT ... SELECT of those rows from a table already on the
 * server: the time goes to the four indexes, the foreign key and the
 * checks, not to the transfer, so multi-row INSERTs cannot be faster. Its
 * cost is escaping: in the text format a backslash, tab, newline
 * and carriage return inside a value must be written as \\, \t, \n, \r
 * (copy_field); the generated bios hold newlines and backslashes on purpose.
 * uuid columns are not sent: gen_random_uuid() fills them, so the only uuids
 * the handler needs (authors) it reads back.
 *
 * Data (see seed_text.h): handles "user_<16 hex>" from a bijection, so they
 * never collide within a call and practically never across calls; cognito
 * ids "seed-<uuid>"; users created 30 to 365 days ago; activities by random
 * authors, created uniformly over the last 30 days, never replies. Expiry:
 * each activity draws a ttl from CreateActivity's set (30d 7d 3d 1d 12h 3h
 * 1h) and expires at created_at + ttl; nine in ten of them are "live": if
 * created_at + ttl is less than a day after now, they expire instead at now
 * + 1 day + a random part of their ttl. So a seeded feed stays full for at
 * least a day, while about one in ten rows is already expired, which the
 * feed's expiry filter must hide.
 *
 * The same random_seed gives the same handles, names and messages (the
 * authors drawn depend on the users already there). A call that passes its
 * deadline stops its COPY and rolls back. Every wait on the database, the
 * COPY's included, ends at the call's deadline or at a stop past the drain
 * timeout (pool_copy.c, pool_exec.c): a database host that stops answering
 * fails the call DEADLINE_EXCEEDED (UNAVAILABLE in a stop), on time.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "svc/db_admin/seed_text.h"
#include "svc/svc_env.h"
#include "svc/registry.h"
#include "sql_statements.h"
#include "svc/rows.h"

#define SEED_BULK_MAX 1000000

#define SQL_COPY_USERS \
	"COPY public.users (display_name, handle, email, cognito_user_id, bio, created_at) FROM STDIN"
#define SQL_COPY_ACTIVITIES \
	"COPY public.activities (user_uuid, message, expires_at, created_at) FROM STDIN"

/* Independent PRNG streams of one seed (seed_rng_init). */
enum { STREAM_HANDLES = 1, STREAM_USERS = 2, STREAM_ACTIVITIES = 3 };

#define US_PER_HOUR (3600LL * 1000000)
#define US_PER_DAY (24 * US_PER_HOUR)

/* ---- COPY buffer ------------------------------------------------------- */

/* Rows are gathered here and sent in chunks of about COPY_CHUNK bytes; no
 * row is longer than COPY_ROW_MAX escaped, so a row always fits once the
 * buffer is flushed below the mark. */
#define COPY_CHUNK (256 * 1024)
#define COPY_ROW_MAX (16 * 1024)

typedef struct copy_buf {
	pool_conn *conn;
	char    data[COPY_CHUNK + COPY_ROW_MAX];
	size_t  len;
} copy_buf;

/* Appends s escaped for COPY's text format, then the delimiter end ('\t'
 * between columns, '\n' after the last). */
static void
copy_field(copy_buf *b, const char *s, char end)
{
	for (; *s != '\0'; s++) {
		char e = 0;
		switch (*s) {
		case '\\': e = '\\'; break;
		case '\t': e = 't'; break;
		case '\n': e = 'n'; break;
		case '\r': e = 'r'; break;
		default: break;
		}
		if (e != 0) {
			b->data[b->len++] = '\\';
			b->data[b->len++] = e;
		} else {
			b->data[b->len++] = *s;
		}
	}
	b->data[b->len++] = end;
}

/* Microseconds since the epoch as a timestamptz literal in UTC. */
static void
copy_time(copy_buf *b, int64_t us, char end)
{
	time_t    secs = (time_t)(us / 1000000);
	struct tm tm;
	char      text[64];

	gmtime_r(&secs, &tm);
	size_t n = strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(text + n, sizeof(text) - n, ".%06d+00", (int)(us % 1000000));
	copy_field(b, text, end);
}

/* ---- COPY protocol ----------------------------------------------------- */

/* Writes row i of a COPY into b. */
typedef void (*copy_row_fn)(void *arg, copy_buf *b, int64_t i);

/* The status of a failed COPY: st with ctx->message as the pool gave it,
 * unless res (the server's error, may be NULL) says why better. */
static cruddur_status
copy_error(rpc_context *ctx, const PGresult *res, cruddur_status st)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	char        why[sizeof(ctx->message)];

	/* 42703 undefined_column: the tables are there but predate the
	 * migrations (users.bio). */
	if (state == NULL || strcmp(state, "42703") != 0)
		return st;
	snprintf(why, sizeof(why), "%s", ctx->message);
	return rpc_fail(ctx, CRUDDUR_FAILED_PRECONDITION,
	    "%s (is the database migrated? run `cruddur db migrate`)", why);
}

/* Aborts the COPY in progress (the server discards it and fails the
 * transaction) and returns st, keeping ctx->message. */
static cruddur_status
copy_abort(rpc_context *ctx, pool_conn *conn, cruddur_status st)
{
	char      why[sizeof(ctx->message)];
	PGresult *res = NULL;

	snprintf(why, sizeof(why), "%s", ctx->message);
	(void)pool_conn_copy_end(conn, why, &res, NULL, 0);
	PQclear(res);
	snprintf(ctx->message, sizeof(ctx->message), "%s", why);
	return st;
}

static cruddur_status
copy_flush(rpc_context *ctx, copy_buf *b)
{
	cruddur_status st = CRUDDUR_OK;

	if (b->len > 0)
		st = pool_conn_copy_send(b->conn, b->data, b->len, ctx->message,
		    sizeof(ctx->message));
	b->len = 0;
	return st;
}

/* Runs `sql` (a COPY ... FROM STDIN) with n rows from row(arg, ...); on
 * CRUDDUR_OK *copied is what the server says it copied. Every wait is
 * bound by the call's deadline (pool_copy.c): a database that stops
 * reading fails the call DEADLINE_EXCEEDED, its connection given up. */
static cruddur_status
copy_rows(rpc_context *ctx, pool_conn *conn, const char *sql, int64_t n, copy_row_fn row,
    void *arg, int64_t *copied)
{
	PGresult      *res = NULL;
	copy_buf      *b = NULL;
	cruddur_status st = pool_conn_copy_begin(conn, sql, &res, ctx->message,
	    sizeof(ctx->message));

	if (st != CRUDDUR_OK) {
		st = copy_error(ctx, res, st);
		PQclear(res);
		return st;
	}
	PQclear(res);
	if ((b = malloc(sizeof(*b))) == NULL) {
		rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
		return copy_abort(ctx, conn, CRUDDUR_RESOURCE_EXHAUSTED);
	}
	b->conn = conn;
	b->len = 0;
	for (int64_t i = 0; i < n; i++) {
		row(arg, b, i);
		if (b->len < COPY_CHUNK)
			continue;
		if ((st = copy_flush(ctx, b)) != CRUDDUR_OK)
			goto out;
		if (rpc_remaining_us(ctx) <= 0) {
			rpc_fail(ctx, CRUDDUR_DEADLINE_EXCEEDED,
			    "deadline exceeded after %lld of %lld rows; nothing was written",
			    (long long)i + 1, (long long)n);
			st = copy_abort(ctx, conn, CRUDDUR_DEADLINE_EXCEEDED);
			goto out;
		}
	}
	if ((st = copy_flush(ctx, b)) != CRUDDUR_OK)
		goto out;
	st = pool_conn_copy_end(conn, NULL, &res, ctx->message, sizeof(ctx->message));
	if (st == CRUDDUR_OK && copied != NULL)
		*copied = strtoll(PQcmdTuples(res), NULL, 10);
	else if (st != CRUDDUR_OK)
		st = copy_error(ctx, res, st);
	PQclear(res);
out:
	free(b);
	return st;
}

/* ---- rows -------------------------------------------------------------- */

typedef struct user_gen {
	seed_rng rng;
	uint64_t handle_key;
	int64_t  now_us;
} user_gen;

static void
user_row(void *arg, copy_buf *b, int64_t i)
{
	user_gen *g = arg;
	char      handle[SEED_HANDLE_CAP], name[SEED_NAME_CAP], bio[SEED_BIO_CAP];
	char      email[SEED_HANDLE_CAP + 16], cognito[SEED_UUID_CAP + 8];

	seed_handle(g->handle_key, (uint64_t)i, handle);
	seed_display_name(&g->rng, name, sizeof(name));
	snprintf(email, sizeof(email), "%s@example.com", handle);
	memcpy(cognito, "seed-", 5);
	seed_uuid(&g->rng, cognito + 5);
	seed_bio(&g->rng, bio, sizeof(bio));
	copy_field(b, name, '\t');
	copy_field(b, handle, '\t');
	copy_field(b, email, '\t');
	copy_field(b, cognito, '\t');
	copy_field(b, bio, '\t');
	/* Signed up 30 to 365 days ago: before any of their activities. */
	copy_time(b, g->now_us - 30 * US_PER_DAY - (int64_t)seed_rng_below(&g->rng, 335 * US_PER_DAY),
	    '\n');
}

typedef struct activity_gen {
	seed_rng        rng;
	const PGresult *authors;
	int             n_authors;
	int64_t         now_us;
	char            message[SEED_MESSAGE_CAP];
} activity_gen;

static void
activity_row(void *arg, copy_buf *b, int64_t i)
{
	static const int64_t ttl_us[] = { 30 * US_PER_DAY, 7 * US_PER_DAY, 3 * US_PER_DAY,
		US_PER_DAY, 12 * US_PER_HOUR, 3 * US_PER_HOUR, US_PER_HOUR };
	activity_gen *g = arg;
	int           author = (int)seed_rng_below(&g->rng, (uint64_t)g->n_authors);
	int64_t       created = g->now_us - (int64_t)seed_rng_below(&g->rng, 30 * US_PER_DAY);
	int64_t       ttl = ttl_us[seed_rng_below(&g->rng, sizeof(ttl_us) / sizeof(ttl_us[0]))];
	int64_t       expires = created + ttl;

	(void)i;
	/* Nine in ten stay in the feed for at least a day (file comment). */
	if (seed_rng_below(&g->rng, 10) != 0 && expires < g->now_us + US_PER_DAY)
		expires = g->now_us + US_PER_DAY + (int64_t)seed_rng_below(&g->rng, (uint64_t)ttl);
	seed_message(&g->rng, g->message, sizeof(g->message));
	copy_field(b, PQgetvalue(g->authors, author, 0), '\t');
	copy_field(b, g->message, '\t');
	copy_time(b, expires, '\t');
	copy_time(b, created, '\n');
}

/* ---- the handler ------------------------------------------------------- */

/* A seed for a request without one: different on every call, also for two
 * calls in the same microsecond or from two servers. */
static uint64_t
seed_pick(void)
{
	static atomic_uint_fast64_t calls;
	struct timespec             ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t v = seed_mix64((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
	    seed_mix64(((uint64_t)getpid() << 32) ^ atomic_fetch_add(&calls, 1));
	return v != 0 ? v : 1;
}

static cruddur_status
db_clock(rpc_context *ctx, pool_conn *conn, int64_t *now_us)
{
	PGresult      *res;
	cruddur_status st = rows_tx_exec(ctx, conn, &stmt_seed_bulk_clock, NULL, &res);

	if (st != CRUDDUR_OK)
		return st;
	*now_us = rows_int64(res, 0, 0);
	PQclear(res);
	return CRUDDUR_OK;
}

static cruddur_status
seed_users(rpc_context *ctx, pool_conn *conn, uint64_t seed, int64_t now_us, int32_t n,
    int64_t *created)
{
	user_gen g;

	seed_rng_init(&g.rng, seed, STREAM_USERS);
	g.handle_key = seed_mix64(seed ^ seed_mix64(STREAM_HANDLES));
	g.now_us = now_us;
	return copy_rows(ctx, conn, SQL_COPY_USERS, n, user_row, &g, created);
}

static cruddur_status
seed_activities(rpc_context *ctx, pool_conn *conn, uint64_t seed, int64_t now_us, int32_t n,
    int64_t *created)
{
	activity_gen  *g;
	PGresult      *authors;
	cruddur_status st = rows_tx_exec(ctx, conn, &stmt_seed_bulk_authors, NULL, &authors);

	if (st != CRUDDUR_OK)
		return st;
	if (PQntuples(authors) == 0) {
		PQclear(authors);
		return rpc_fail(ctx, CRUDDUR_FAILED_PRECONDITION,
		    "no users to write activities: ask for users too, or create some first");
	}
	if ((g = malloc(sizeof(*g))) == NULL) {
		PQclear(authors);
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	}
	seed_rng_init(&g->rng, seed, STREAM_ACTIVITIES);
	g->authors = authors;
	g->n_authors = PQntuples(authors);
	g->now_us = now_us;
	st = copy_rows(ctx, conn, SQL_COPY_ACTIVITIES, n, activity_row, g, created);
	free(g);
	PQclear(authors);
	return st;
}

static cruddur_status
seed_bulk(rpc_context *ctx, const Cruddur__V1__SeedBulkRequest *req,
    Cruddur__V1__SeedBulkResponse *resp)
{
	int64_t        start = clock_mono_us(), now_us = 0;
	uint64_t       seed = req->random_seed != 0 ? req->random_seed : seed_pick();
	pool_conn     *conn;
	cruddur_status st;

	if (req->users < 0 || req->users > SEED_BULK_MAX)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "users must be 0..%d, got %d",
		    SEED_BULK_MAX, req->users);
	if (req->activities < 0 || req->activities > SEED_BULK_MAX)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "activities must be 0..%d, got %d",
		    SEED_BULK_MAX, req->activities);
	if ((st = rows_tx_begin(ctx, &conn)) != CRUDDUR_OK)
		return st;
	st = db_clock(ctx, conn, &now_us);
	if (st == CRUDDUR_OK && req->users > 0)
		st = seed_users(ctx, conn, seed, now_us, req->users, &resp->users_created);
	if (st == CRUDDUR_OK && req->activities > 0)
		st = seed_activities(ctx, conn, seed, now_us, req->activities,
		    &resp->activities_created);
	st = rows_tx_end(ctx, conn, st);
	svc_feed_changed(ctx->env); /* the triggers' notice comes too, later */
	if (st != CRUDDUR_OK)
		return st;
	resp->duration_us = clock_mono_us() - start;
	return CRUDDUR_OK;
}

void
svc_seed_bulk_register(svc_registration *r)
{
	rpc_handlers *h = &r->handlers;

	h->db_admin_seed_bulk = seed_bulk;
}
