/*
 * pool_exec_errors.c - pool_test's part on statements: pool_conn_exec
 * runs and prepares them, and db_error turns each SQLSTATE a service can
 * meet into the status callers see, with the code in the message; a
 * connection released mid-transaction, or with a failed one, is rolled
 * back; statements dropped behind the pool's back are prepared again.
 * Also db_error's mapping without a server answer.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <string.h>

#include "pool_sessions.h"

static const db_statement st_div0 = { 1, "pool_test_div0", "SELECT 1/0", 0, false };
static const db_statement st_int = { 2, "pool_test_int", "SELECT $1::int", 1, false };
static const db_statement st_notable = {
	3, "pool_test_notable", "SELECT * FROM pool_test_no_such_table", 0, false };
static const db_statement st_ins = {
	4, "pool_test_ins", "INSERT INTO pool_test_parent VALUES ($1::int)", 1, false };
static const db_statement st_child = {
	5, "pool_test_child", "INSERT INTO pool_test_child VALUES ($1::int)", 1, false };
static const db_statement st_sleep = {
	6, "pool_test_sleep", "SELECT pg_sleep(1)", 0, false };
static const db_statement st_big = { 64, "pool_test_big", "SELECT 1", 0, false };

/* ---- db_error without a server answer -------------------------------- */

void
test_db_error_codes(void)
{
	char msg[128];

	CHECK(db_error_status(NULL, NULL, msg, sizeof(msg)) ==
	    CRUDDUR_INTERNAL);
	CHECK(msg[0] != '\0');
	CHECK(db_error_sqlstate_status("08006") == CRUDDUR_UNAVAILABLE);
	CHECK(db_error_sqlstate_status("08001") == CRUDDUR_UNAVAILABLE);
	CHECK(db_error_sqlstate_status("57P01") == CRUDDUR_UNAVAILABLE);
	CHECK(db_error_sqlstate_status("57P03") == CRUDDUR_UNAVAILABLE);
	CHECK(db_error_sqlstate_status("57P04") == CRUDDUR_INTERNAL);
	CHECK(db_error_sqlstate_status("3D000") == CRUDDUR_UNAVAILABLE);
	CHECK(db_error_sqlstate_status("57014") == CRUDDUR_DEADLINE_EXCEEDED);
	CHECK(db_error_sqlstate_status("23505") == CRUDDUR_ALREADY_EXISTS);
	CHECK(db_error_sqlstate_status("23503") == CRUDDUR_FAILED_PRECONDITION);
	CHECK(db_error_sqlstate_status("23502") == CRUDDUR_INVALID_ARGUMENT);
	CHECK(db_error_sqlstate_status("22001") == CRUDDUR_INVALID_ARGUMENT);
	CHECK(db_error_sqlstate_status("42P01") == CRUDDUR_FAILED_PRECONDITION);
	CHECK(db_error_sqlstate_status("53300") == CRUDDUR_RESOURCE_EXHAUSTED);
	CHECK(db_error_sqlstate_status("42P04") == CRUDDUR_ALREADY_EXISTS);
	CHECK(db_error_sqlstate_status("XX000") == CRUDDUR_INTERNAL);
	CHECK(db_error_sqlstate_status("08") == CRUDDUR_INTERNAL);
	CHECK(db_error_sqlstate_status(NULL) == CRUDDUR_INTERNAL);
}

void
test_exec_and_errors(void)
{
	char app[64], msg[256];
	const char *null_params[3] = { "1", "2", NULL };
	const char *bad_int[1] = { "abc" };
	const char *one[1] = { "1" };
	const char *seven[1] = { "7" };
	db_target t;
	pool_conn *c;
	PGresult *r;
	pool_stats s;
	pool *p;

	p = pool_case("exec", app, sizeof(app), &t, 2, 1000);

	CHECK_ST(pool_acquire(p, 0, &c, msg, sizeof(msg)), CRUDDUR_OK, msg);
	CHECK(add_ok(c, 2, 40));
	CHECK(add_ok(c, -5, 5));   /* prepared already: runs only */

	/* A NULL parameter is SQL NULL. */
	CHECK_ST(pool_conn_exec(c, &st_add, null_params, &r, msg, sizeof(msg)),
	    CRUDDUR_OK, msg);
	CHECK(r != NULL && PQgetisnull(r, 0, 1));
	PQclear(r);

	CHECK_ST(pool_conn_exec(c, &st_div0, NULL, &r, msg, sizeof(msg)),
	    CRUDDUR_INVALID_ARGUMENT, msg);
	CHECK(r == NULL && strncmp(msg, "22012: ", 7) == 0);
	CHECK_ST(pool_conn_exec(c, &st_int, bad_int, &r, msg, sizeof(msg)),
	    CRUDDUR_INVALID_ARGUMENT, msg);
	CHECK(strncmp(msg, "22P02: ", 7) == 0);
	CHECK_ST(pool_conn_exec(c, &st_notable, NULL, &r, msg, sizeof(msg)),
	    CRUDDUR_FAILED_PRECONDITION, msg);
	CHECK(strncmp(msg, "42P01: ", 7) == 0 && strstr(msg, "schema") != NULL);
	CHECK_ST(pool_conn_exec(c, &st_big, NULL, &r, msg, sizeof(msg)),
	    CRUDDUR_INVALID_ARGUMENT, msg);

	/* 23505 and 23503 on temporary tables. */
	CHECK_ST(run_sql(c, "CREATE TEMP TABLE pool_test_parent "
	    "(id int PRIMARY KEY); CREATE TEMP TABLE pool_test_child "
	    "(pid int REFERENCES pool_test_parent)", msg, sizeof(msg)),
	    CRUDDUR_OK, msg);
	CHECK_ST(pool_conn_exec(c, &st_ins, one, &r, msg, sizeof(msg)),
	    CRUDDUR_OK, msg);
	CHECK(r != NULL && strcmp(PQcmdTuples(r), "1") == 0);
	PQclear(r);
	CHECK_ST(pool_conn_exec(c, &st_ins, one, &r, msg, sizeof(msg)),
	    CRUDDUR_ALREADY_EXISTS, msg);
	CHECK(strncmp(msg, "23505: ", 7) == 0);
	CHECK_ST(pool_conn_exec(c, &st_child, seven, &r, msg, sizeof(msg)),
	    CRUDDUR_FAILED_PRECONDITION, msg);
	CHECK(strncmp(msg, "23503: ", 7) == 0);

	/* 42P04 and 57014. */
	CHECK_ST(run_sql(c, "CREATE DATABASE postgres", msg, sizeof(msg)),
	    CRUDDUR_ALREADY_EXISTS, msg);
	CHECK(strncmp(msg, "42P04: ", 7) == 0);
	CHECK_ST(run_sql(c, "SET statement_timeout = '50ms'", msg,
	    sizeof(msg)), CRUDDUR_OK, msg);
	CHECK_ST(pool_conn_exec(c, &st_sleep, NULL, &r, msg, sizeof(msg)),
	    CRUDDUR_DEADLINE_EXCEEDED, msg);
	CHECK(strncmp(msg, "57014: ", 7) == 0);
	CHECK_ST(run_sql(c, "RESET statement_timeout", msg, sizeof(msg)),
	    CRUDDUR_OK, msg);

	/* Statements dropped behind the pool's back are prepared again. */
	CHECK_ST(run_sql(c, "DEALLOCATE ALL", msg, sizeof(msg)), CRUDDUR_OK,
	    msg);
	CHECK(add_ok(c, 1, 1));
	CHECK_ST(pool_conn_exec(c, &st_div0, NULL, &r, msg, sizeof(msg)),
	    CRUDDUR_INVALID_ARGUMENT, msg);
	CHECK(strncmp(msg, "22012: ", 7) == 0);

	/* A transaction left open is rolled back on release. */
	CHECK_ST(run_sql(c, "BEGIN; INSERT INTO pool_test_parent VALUES (2)",
	    msg, sizeof(msg)), CRUDDUR_OK, msg);
	pool_release(p, c);
	pool_get_stats(p, &s);
	CHECK(s.size == 1 && s.idle == 1 && s.in_use == 0 && s.broken == 0);
	CHECK(s.connects == 1 && s.connect_failures == 0);

	CHECK_ST(pool_acquire(p, 0, &c, msg, sizeof(msg)), CRUDDUR_OK, msg);
	CHECK(PQtransactionStatus(pool_conn_pg(c)) == PQTRANS_IDLE);
	CHECK_ST(pool_conn_exec(c, &st_ins, (const char *const[]){ "2" }, &r,
	    msg, sizeof(msg)), CRUDDUR_OK, msg);   /* 2 was rolled back */
	PQclear(r);
	/* So is a failed one. */
	CHECK_ST(run_sql(c, "BEGIN", msg, sizeof(msg)), CRUDDUR_OK, msg);
	CHECK(pool_conn_exec(c, &st_div0, NULL, &r, msg, sizeof(msg)) ==
	    CRUDDUR_INVALID_ARGUMENT);
	CHECK(PQtransactionStatus(pool_conn_pg(c)) == PQTRANS_INERROR);
	CHECK_ST(run_sql(c, "DROP TABLE pool_test_child, pool_test_parent",
	    msg, sizeof(msg)), CRUDDUR_INTERNAL, msg);   /* 25P02 */
	pool_release(p, c);
	pool_get_stats(p, &s);
	CHECK(s.size == 1 && s.idle == 1 && s.broken == 0 && s.connects == 1);

	CHECK_ST(pool_acquire(p, 0, &c, msg, sizeof(msg)), CRUDDUR_OK, msg);
	CHECK_ST(run_sql(c, "DROP TABLE pool_test_child, pool_test_parent",
	    msg, sizeof(msg)), CRUDDUR_OK, msg);
	pool_release(p, c);

	pool_free(p);
	db_target_fini(&t);
}
