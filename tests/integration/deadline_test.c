/*
 * deadline_test.c - deadlines reach the database: a query still running
 * when the call's deadline passes is cancelled, the caller gets
 * DEADLINE_EXCEEDED on time, the connection stays usable, and the server
 * keeps no query running for a caller that has gone.
 *
 * The slow query is made by holding an ACCESS EXCLUSIVE lock on activities
 * from another session, so that HomeFeed waits for it.
 */
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "test_support.h"

#define DB "cruddur_deadline_test"

int
main(void)
{
	ts_server         s;
	cruddur_call_opts o;
	char              url[512], out[256];

	ts_require_pg();
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, NULL, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	Cruddur__V1__SetupRequest   sreq = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse *sresp = NULL;
	cruddur_call_opts           so = { .deadline_ms = 30000 };
	CHECK_STATUS(cruddur_db_admin_setup(c, &sreq, &sresp, &so), CRUDDUR_OK, &so);
	cruddur_message_free(sresp);
	CHECK_STATUS(ts_home_feed(c, 0, NULL, true, 5000, NULL, &o), CRUDDUR_OK, &o);

	PGconn *locker = PQconnectdb(ts_pg_url(DB, url, sizeof(url)));
	CHECK(PQstatus(locker) == CONNECTION_OK);
	PQclear(PQexec(locker, "BEGIN; LOCK TABLE activities IN ACCESS EXCLUSIVE MODE"));

	double t0 = ts_now();
	CHECK_STATUS(ts_home_feed(c, 0, NULL, true, 400, NULL, &o), CRUDDUR_DEADLINE_EXCEEDED, &o);
	double took = ts_now() - t0;
	CHECK(took >= 0.35 && took < 2.0);
	printf("deadline 400 ms: the call returned after %.0f ms: %s\n", took * 1000, o.message);

	/* The cancelled query is gone from the server, not waiting on the lock. */
	usleep(200000);
	CHECK(ts_psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cruddurd' "
	                          "AND datname = '" DB "' AND wait_event_type = 'Lock'", out, sizeof(out)) == 0);
	CHECK_STREQ(out, "0");

	/* A fresh server's first call prepares its statement, and PREPARE
	 * waits on the same lock: the deadline holds there too. */
	ts_server fresh;
	if (ts_server_start(&fresh, "tcp://127.0.0.1:0", DB, NULL, NULL) == 0) {
		cruddur_client *fc = ts_client(&fresh);
		t0 = ts_now();
		CHECK_STATUS(ts_home_feed(fc, 0, NULL, true, 400, NULL, &o), CRUDDUR_DEADLINE_EXCEEDED, &o);
		CHECK(ts_now() - t0 < 2.0);
		cruddur_client_close(fc);
		CHECK(ts_server_stop(&fresh) == 0);
	} else {
		CHECK(!"a second server started");
	}

	PQclear(PQexec(locker, "COMMIT"));
	PQfinish(locker);
	/* And the pool's connections still work. */
	for (int i = 0; i < 10; i++)
		CHECK_STATUS(ts_home_feed(c, 0, NULL, true, 5000, NULL, &o), CRUDDUR_OK, &o);
	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	return ts_finish("deadline_test");
}
