/*
 * pool_test.c - the connection pool and db_error against a real PostgreSQL.
 *
 * The database URL comes from CRUDDUR_TEST_PG_URL (for example
 * postgresql://postgres@/postgres?host=/tmp/pgdir); without it the test
 * prints "skipped" and exits 77, CTest's SKIP_RETURN_CODE. The role must be
 * allowed to call pg_terminate_backend on its own sessions (any role may)
 * and to read pg_stat_activity for them.
 *
 * Each case makes its own pool with its own application_name
 * ("pool_test_<pid>_<case>"), so sessions can be counted in
 * pg_stat_activity without counting anyone else's, and leaves nothing
 * behind in the database (temporary tables only).
 *
 * Its parts, one file each, with the helpers they share in
 * pool_sessions.c:
 *   pool_exec_errors.c  statements and the status of each SQLSTATE;
 *   pool_limits.c       configurations refused, waits and timeouts when
 *                       the pool is exhausted, 32 threads on 4 connections;
 *   pool_broken.c       terminated backends, missing databases, session
 *                       options, pool_reset.
 *
 * Exit 0 when every CHECK holds, 1 otherwise (each failure is printed).
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>

#include "pool_sessions.h"

int
main(void)
{
	PGconn *admin;

	if ((base_url = getenv("CRUDDUR_TEST_PG_URL")) == NULL ||
	    base_url[0] == '\0') {
		printf("skipped: CRUDDUR_TEST_PG_URL is not set\n");
		return 77;
	}
	admin = admin_connect();

	test_db_error_codes();
	test_bad_config();
	test_exec_and_errors();
	test_exhaustion();
	test_terminated(admin);
	test_missing_database();
	test_session_options();
	test_reset(admin);
	test_stress(admin);

	PQfinish(admin);
	if (failures != 0) {
		fprintf(stderr, "pool_test: %d check(s) failed\n", failures);
		return 1;
	}
	printf("pool_test: ok\n");
	return 0;
}
