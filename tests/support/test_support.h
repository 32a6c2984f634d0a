/*
 * test_support.h - what cruddur's C tests share: checks that count
 * failures instead of stopping, a real cruddurd process to test against,
 * and the calls and queries that many tests make of it.
 *
 * The environment comes from tests/CMakeLists.txt: CRUDDUR_BIN_DIR (the
 * built binaries), CRUDDUR_TEST_PG_DIR (the socket directory of the
 * throwaway PostgreSQL that the pg fixture started).
 */
#ifndef CRUDDUR_TEST_SUPPORT_H
#define CRUDDUR_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "cruddur/cruddur.h"

extern int ts_failures;

void ts_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond))                                               \
			ts_fail(__FILE__, __LINE__, "CHECK failed: %s", #cond); \
	} while (0)

/* Checks a call's status; on a mismatch prints both and the message. */
#define CHECK_STATUS(got, want, opts)                                      \
	do {                                                               \
		cruddur_status g_ = (got), w_ = (want);                   \
		if (g_ != w_)                                              \
			ts_fail(__FILE__, __LINE__, "status %s, want %s (%s)", \
			    cruddur_status_name(g_), cruddur_status_name(w_),  \
			    (opts) != NULL ? ((cruddur_call_opts *)(opts))->message : ""); \
	} while (0)

#define CHECK_STREQ(got, want)                                             \
	do {                                                               \
		const char *g_ = (got), *w_ = (want);                     \
		if (g_ == NULL || strcmp(g_, w_) != 0)                     \
			ts_fail(__FILE__, __LINE__, "\"%s\" != \"%s\"",   \
			    g_ ? g_ : "(null)", w_);                       \
	} while (0)

/* Checks that a call's message (opts is a cruddur_call_opts *) holds sub. */
#define CHECK_MSG(opts, sub)                                                         \
	do {                                                                         \
		if (strstr((opts)->message, (sub)) == NULL)                           \
			ts_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"",    \
			    (opts)->message, (sub));                                  \
	} while (0)

/* Prints the verdict; returns the exit code (0 when nothing failed). */
int ts_finish(const char *test_name);

/* Skips the test (exit 77, ctest's SKIP_RETURN_CODE) when the PostgreSQL
 * fixture is not there. */
void ts_require_pg(void);

/* postgresql://postgres@/DBNAME?host=<the test cluster's socket dir> */
const char *ts_pg_url(const char *dbname, char *buf, size_t len);

/* Runs one SQL statement with psql on DBNAME, its output (tuples only,
 * unaligned) into out. Returns psql's exit status. */
int ts_psql(const char *dbname, const char *sql, char *out, size_t outlen);

/* The number that sql's one value on DBNAME is; a failed check and -1 when
 * psql fails. */
long ts_sql_long(const char *dbname, const char *sql);

typedef struct ts_server {
	pid_t pid;
	char  url[512];     /* the URL it listens on (port 0 resolved) */
	char  dir[64];      /* its scratch directory: ready file, log */
	char  log[128];
} ts_server;

/*
 * Starts build/bin/cruddurd listening on listen_url ("tcp://127.0.0.1:0"
 * picks a free port) with --db set to DBNAME on the test cluster (unless
 * dbname is NULL), extra arguments from args (NULL-terminated, may be NULL)
 * and environment entries from env ("NAME=VALUE", NULL-terminated, may be
 * NULL). Waits until it serves. Returns 0, or -1 after printing its log.
 */
int ts_server_start(ts_server *s, const char *listen_url, const char *dbname,
    const char *const *args, const char *const *env);

/* Prints the server's log to stderr (for a failing test). */
void ts_log_print(const ts_server *s);

/* Reads the "shared feed query" debug lines of the server's log (one per
 * HomeFeed query that coalescing shared, with its requests=; the server
 * runs with --log-level debug): their number into *queries and the sum of
 * their requests into *requests (either may be NULL). Returns how many of
 * them served more than one request, or -1 (and zeros) when the log cannot
 * be read. Call it before ts_server_stop, which removes the log. */
int ts_log_shared_queries(const ts_server *s, int *queries, int *requests);

/* SIGTERM, then waits; returns its exit status (-1 if it was killed). */
int ts_server_stop(ts_server *s);

/* A client for s; aborts the test when it cannot connect. */
cruddur_client *ts_client(const ts_server *s);

/* Call options with a deadline of deadline_ms and nothing else set. */
cruddur_call_opts ts_opts(uint32_t deadline_ms);

/* Activities/HomeFeed, STRONG, of limit (0: the server's default) and cursor (NULL:
 * the first page), *o reset to ts_opts(deadline_ms) and holding the
 * outcome. retry true retries as libcruddur's own stub does; false sends
 * it once (a copy of the method marked not idempotent), so that a probe
 * sees every failure. The page into *resp (the caller frees it), or freed
 * here when resp is NULL. */
cruddur_status ts_home_feed(cruddur_client *c, int32_t limit, const char *cursor, bool retry,
    uint32_t deadline_ms, Cruddur__V1__HomeFeedResponse **resp, cruddur_call_opts *o);

/* Stats/GetStats of the server c talks to, with a deadline of deadline_ms:
 * the response (the caller frees it), or NULL after a failed check. */
Cruddur__V1__GetStatsResponse *ts_get_stats(cruddur_client *c, uint32_t deadline_ms);

/* Setup on the server c talks to (DBNAME is its database), and a check
 * that it left every migration applied: a failed check otherwise. */
void ts_db_setup_migrated(cruddur_client *c, const char *dbname);

/* Turns the first byte of marker's first occurrence in buf (len bytes) into
 * NUL, as a hostile peer's string "text\0junk" would be on the wire: pack
 * "textXjunk" with protobuf-c, then ts_nul_at(buf, len, "Xjunk"). Returns
 * whether marker was found (a failed check when not). */
bool ts_nul_at(uint8_t *buf, size_t len, const char *marker);

/* Monotonic seconds. */
double ts_now(void);

#endif /* CRUDDUR_TEST_SUPPORT_H */
