/*
 * async_call_test.c - cruddur_client_call_async and the generated *_async
 * stubs against the real cruddurd and the real test PostgreSQL.
 *
 * What it proves, each part against a real server:
 *   - 200 calls in flight at once (HomeFeed and GetUser): every callback
 *     runs exactly once, with OK and the same content a blocking call gets;
 *   - chains, each call started from the previous one's callback (the
 *     intended use), run to the end;
 *   - a call that cannot start (wrong request type, no callback) returns
 *     INVALID_ARGUMENT with a message, and its callback never runs;
 *   - a deadline that passes while the server is stuck ends the call with
 *     DEADLINE_EXCEEDED through the callback, on time;
 *   - cruddur_client_close with calls in flight: each callback exactly
 *     once, with CANCELLED, all of them before close returns;
 *   - UNAVAILABLE from the server is retried for a method without side
 *     effects and for a write with an idempotency key (three attempts, in
 *     the server's own counts), and not for a write without one;
 *   - a server killed mid-flight, or gone: the calls end through their
 *     callbacks (DEADLINE_EXCEEDED), and a call in flight while the server
 *     restarts on the same address succeeds once it is back;
 *   - contexts opened while the client's socket closes (as retries and
 *     calls racing cruddur_client_close open them) never hang the close.
 *
 * Its parts, one file each, with the batches and checks they share in
 * async_batch.c:
 *   async_in_flight.c  many calls, chains, calls that cannot start,
 *                      deadlines, close with calls in flight;
 *   async_failures.c   retries on UNAVAILABLE, servers killed, gone and back;
 *   async_slots.c      contexts opened while the socket closes.
 *
 * "Stuck" is made by holding an ACCESS EXCLUSIVE lock on activities from
 * another session, so that HomeFeed waits for it (as in deadline_test.c).
 */
#include <string.h>

#include <libpq-fe.h>

#include "async_batch.h"

int
main(void)
{
	ts_server s;
	char      url[512], out[256];

	ts_require_pg();
	test_slots_open_vs_close();
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, NULL, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	Cruddur__V1__SetupRequest   sreq = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse *sresp = NULL;
	cruddur_call_opts           so = ts_opts(30000);
	CHECK_STATUS(cruddur_db_admin_setup(c, &sreq, &sresp, &so), CRUDDUR_OK, &so);
	cruddur_message_free(sresp);
	CHECK(ts_psql(DB, "INSERT INTO activities (user_uuid, message, created_at) "
	                  "SELECT u.uuid, 'async ' || g, now() - g * interval '1 minute' "
	                  "FROM users u, generate_series(1, 30) g WHERE u.handle = 'hotwheels'",
	          out, sizeof(out)) == 0);
	learn_answers(c);

	test_many_in_flight(c);
	test_chains(c);
	test_not_started(c);
	test_retries();

	PGconn *locker = PQconnectdb(ts_pg_url(DB, url, sizeof(url)));
	CHECK(PQstatus(locker) == CONNECTION_OK);
	PQclear(PQexec(locker, "BEGIN; LOCK TABLE activities IN ACCESS EXCLUSIVE MODE"));
	test_deadline(c);
	test_close_in_flight(&s);
	test_server_gone(locker); /* releases the lock */
	PQfinish(locker);

	/* The first client still works after all that. */
	call_rec r;
	batch    b;
	batch_init(&b);
	memset(&r, 0, sizeof(r));
	r.b = &b;
	CHECK(feed_async(c, &r, 20, 10000) == CRUDDUR_OK);
	CHECK(batch_wait(&b, 1, 15) == 1);
	check_all(&r, 1, CRUDDUR_OK, "after the lock");
	batch_fini(&b);

	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	return ts_finish("async_call_test");
}
