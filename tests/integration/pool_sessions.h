/*
 * pool_sessions.h - what the parts of pool_test share: a failure count
 * that threads may bump (CHECK, CHECK_ST), the test cluster's URL, pools
 * made per case with an application_name of their own, a plain libpq
 * session that looks at their sessions from outside (counts them in
 * pg_stat_activity, terminates their backends), and the one statement
 * every part runs (st_add, checked by add_ok).
 *
 * pool_test.c's head comment says what each part checks and where it is.
 * The failure count is under a mutex: the waiters and stressers of
 * pool_limits.c check from their own threads.
 */
#ifndef CRUDDUR_POOL_SESSIONS_H
#define CRUDDUR_POOL_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "db/db_error.h"
#include "db/db_target.h"
#include "db/pool.h"

extern int failures;

/* Counts one failed check (any thread). */
void fail_count(void);

#define CHECK(cond)                                                     \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",    \
			    __FILE__, __LINE__, #cond);                 \
			fail_count();                                   \
		}                                                       \
	} while (0)

/* Status check that prints both statuses and the message. */
#define CHECK_ST(got, want, msg)                                        \
	do {                                                            \
		cruddur_status g_ = (got), w_ = (want);                 \
		if (g_ != w_) {                                         \
			fprintf(stderr, "%s:%d: %s is %d, want %d (%s)\n", \
			    __FILE__, __LINE__, #got, (int)g_, (int)w_, \
			    (msg));                                     \
			fail_count();                                   \
		}                                                       \
	} while (0)

/* CRUDDUR_TEST_PG_URL; main sets it. */
extern const char *base_url;

/* SELECT $1::int + $2::int, $3::text */
extern const db_statement st_add;

void sleep_ms(int ms);
/* "pool_test_<pid>_<tcase>", the application_name of one case's pool. */
void app_name(char *buf, size_t len, const char *tcase);
/* db_target_parse, or exit(1). */
void target_parse(db_target *t, const char *url, const char *app);
/* A pool of at most max connections and timeout_ms, or exit(1). */
pool *pool_make(const db_target *t, int max, int timeout_ms);

/* The pool of one case: app_name of tcase into app (len bytes), *t parsed
 * from base_url with it, and pool_make of max and timeout_ms. */
pool *pool_case(const char *tcase, char *app, size_t len, db_target *t, int max, int timeout_ms);

/* A plain libpq session for looking at the server from outside the pool. */
PGconn *admin_connect(void);
/* sql's one number, with param as $1; -1 on an error. */
long admin_count(PGconn *admin, const char *sql, const char *param);
/* The sessions with application_name app. */
long sessions(PGconn *admin, const char *app);
/* Backends exit a moment after their client goes: waits up to 5 s for the
 * count to reach want; the last count. */
long sessions_settle(PGconn *admin, const char *app, long want);
/* Whether backend pid is gone within 5 s. */
bool backend_gone(PGconn *admin, int pid);
/* pg_terminate_backend(pid), and waits until it is gone. */
bool terminate(PGconn *admin, int pid);

/* sql on c, its status from db_error_status. */
cruddur_status run_sql(pool_conn *c, const char *sql, char *msg, size_t msglen);
/* Runs st_add and checks the answer. */
bool add_ok(pool_conn *c, int a, int b);

/* ---- the parts ------------------------------------------------------- */

/* pool_exec_errors.c */
void test_db_error_codes(void);
void test_exec_and_errors(void);
/* pool_limits.c */
void test_bad_config(void);
void test_exhaustion(void);
void test_stress(PGconn *admin);
/* pool_broken.c */
void test_terminated(PGconn *admin);
void test_missing_database(void);
void test_session_options(void);
void test_reset(PGconn *admin);

#endif /* CRUDDUR_POOL_SESSIONS_H */
