/*
 * deadline_queued_test.c - deadlines bound the work, not only the wait.
 *
 * 1. A write whose deadline passes while it waits in the queue is never
 *    run. cruddurd runs with one worker, blocked by a HomeFeed that waits on
 *    an ACCESS EXCLUSIVE lock on activities. Behind it queue, with a 300 ms
 *    deadline, Users/CreateUser (a new user) and DbAdmin/Drop of the
 *    server's own database. Both callers get DEADLINE_EXCEEDED after about
 *    550 ms (300 ms + the client's 250 ms grace). Once the lock goes, the
 *    worker reaches them: the log shows each answered "deadline of N ms
 *    passed before the call could run", the user does not exist and the
 *    database is still there. A CreateUser with a normal deadline then
 *    works (the check can fail).
 * 2. A write running when its deadline passes is cancelled (PQcancel) and
 *    rolled back: CreateActivity waiting on the lock with a 500 ms deadline
 *    gets DEADLINE_EXCEEDED in time, no cruddurd session is left waiting on
 *    the lock, and after the release the activity is not in the table.
 *    (tests/integration/deadline_test.c covers the same for HomeFeed.)
 */
#include <string.h>

#include "faults.h"

#define DB "cruddur_fault_deadline"
#define COGNITO "fault-deadline-queued"

typedef struct caller {
	cruddur_client   *c;
	int               what;  /* 0 HomeFeed, 1 CreateUser, 2 Drop, 3 CreateActivity */
	uint32_t          deadline_ms;
	cruddur_status    st;
	double            took;
	cruddur_call_opts o;
	pthread_t         tid;
} caller;

static cruddur_status
create_user(cruddur_client *c, uint32_t deadline_ms, cruddur_call_opts *o)
{
	Cruddur__V1__CreateUserRequest   req = CRUDDUR__V1__CREATE_USER_REQUEST__INIT;
	Cruddur__V1__CreateUserResponse *resp = NULL;

	req.display_name = "Queued Too Long";
	req.handle = "fault_queued";
	req.email = "queued@example.com";
	req.cognito_user_id = COGNITO;
	*o = (cruddur_call_opts){ .deadline_ms = deadline_ms };
	cruddur_status st = cruddur_users_create_user(c, &req, &resp, o);
	cruddur_message_free(resp);
	return st;
}

static void *
call_main(void *p)
{
	caller *k = p;
	double  t0 = ts_now();

	k->o.deadline_ms = k->deadline_ms;
	if (k->what == 0) {
		k->st = fs_home_feed(k->c, k->deadline_ms, false, &k->o);
	} else if (k->what == 1) {
		k->st = create_user(k->c, k->deadline_ms, &k->o);
	} else if (k->what == 2) {
		Cruddur__V1__DropRequest   req = CRUDDUR__V1__DROP_REQUEST__INIT;
		Cruddur__V1__DropResponse *resp = NULL;
		k->st = cruddur_db_admin_drop(k->c, &req, &resp, &k->o);
		cruddur_message_free(resp);
	} else {
		Cruddur__V1__CreateActivityRequest   req = CRUDDUR__V1__CREATE_ACTIVITY_REQUEST__INIT;
		Cruddur__V1__CreateActivityResponse *resp = NULL;
		Cruddur__V1__Author                  author = CRUDDUR__V1__AUTHOR__INIT;
		author.handle = "hotwheels";
		req.author = &author;
		req.message = "fault-deadline-cancelled";
		k->st = cruddur_activities_create_activity(k->c, &req, &resp, &k->o);
		cruddur_message_free(resp);
	}
	k->took = ts_now() - t0;
	return NULL;
}

static void
start(caller *k, cruddur_client *c, int what, uint32_t deadline_ms)
{
	*k = (caller){ .c = c, .what = what, .deadline_ms = deadline_ms };
	pthread_create(&k->tid, NULL, call_main, k);
}

static void
queued_writes_not_run(ts_server *s, cruddur_client *c, PGconn *locker, PGconn *watcher)
{
	caller            hold, user, drop, after;
	cruddur_call_opts o;
	char              out[64];

	CHECK(fs_lock_activities(locker) == 0);
	start(&hold, c, 0, 30000);
	CHECK(fs_wait_lock_waiters(watcher, 1, 10));
	start(&user, c, 1, 300);
	start(&drop, c, 2, 300);
	pthread_join(user.tid, NULL);
	pthread_join(drop.tid, NULL);
	CHECK_STATUS(user.st, CRUDDUR_DEADLINE_EXCEEDED, &user.o);
	CHECK_STATUS(drop.st, CRUDDUR_DEADLINE_EXCEEDED, &drop.o);
	CHECK(user.took < 2.0 && drop.took < 2.0);
	printf("queued behind a blocked worker, deadline 300 ms: CreateUser %s after %.0f ms (%s); "
	       "Drop %s after %.0f ms\n", cruddur_status_name(user.st), user.took * 1000, user.o.message,
	    cruddur_status_name(drop.st), drop.took * 1000);

	/* Queued after them: once it is answered, the worker has been past
	 * both (one worker, first in first out). */
	start(&after, c, 0, 30000);
	fs_sleep_ms(300);
	fs_unlock(locker);
	pthread_join(hold.tid, NULL);
	pthread_join(after.tid, NULL);
	CHECK_STATUS(hold.st, CRUDDUR_OK, &hold.o);
	CHECK_STATUS(after.st, CRUDDUR_OK, &after.o);

	int n_user = fs_log_count(s, "method=cruddur.v1.Users/CreateUser status=DEADLINE_EXCEEDED",
	    "passed before the call could run");
	int n_drop = fs_log_count(s, "method=cruddur.v1.DbAdmin/Drop status=DEADLINE_EXCEEDED",
	    "passed before the call could run");
	CHECK(n_user == 1);
	CHECK(n_drop == 1);
	CHECK(fs_pg_value(watcher, "SELECT count(*) FROM users WHERE cognito_user_id = '" COGNITO "'",
	          out, sizeof(out)) == 0);
	CHECK_STREQ(out, "0");
	printf("server log: CreateUser and Drop each answered \"deadline ... passed before the call "
	       "could run\" (%d, %d lines); users with that cognito id: %s; ", n_user, n_drop, out);
	CHECK(fs_pg_value(watcher, "SELECT count(*) FROM pg_database WHERE datname = '" DB "'", out,
	          sizeof(out)) == 0);
	CHECK_STREQ(out, "1");
	printf("database still there: %s\n", out);

	/* The same write with time to run does run. */
	CHECK_STATUS(create_user(c, 10000, &o), CRUDDUR_OK, &o);
	CHECK(fs_pg_value(watcher, "SELECT count(*) FROM users WHERE cognito_user_id = '" COGNITO "'",
	          out, sizeof(out)) == 0);
	CHECK_STREQ(out, "1");
}

static void
running_write_cancelled(cruddur_client *c, PGconn *locker, PGconn *watcher)
{
	caller write;
	char   out[64];

	CHECK(fs_lock_activities(locker) == 0);
	start(&write, c, 3, 500);
	pthread_join(write.tid, NULL);
	CHECK_STATUS(write.st, CRUDDUR_DEADLINE_EXCEEDED, &write.o);
	CHECK(write.took >= 0.45 && write.took < 2.0);
	printf("CreateActivity waiting on a lock, deadline 500 ms: %s after %.0f ms: %s\n",
	    cruddur_status_name(write.st), write.took * 1000, write.o.message);
	fs_sleep_ms(200);
	CHECK(fs_pg_value(watcher, "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
	                           "'cruddurd' AND datname = current_database() AND wait_event_type = 'Lock'", out, sizeof(out)) == 0);
	CHECK_STREQ(out, "0");
	fs_unlock(locker);
	fs_sleep_ms(200);
	CHECK(fs_pg_value(watcher, "SELECT count(*) FROM activities WHERE message = "
	                           "'fault-deadline-cancelled'", out, sizeof(out)) == 0);
	CHECK_STREQ(out, "0");
	printf("after the release: cruddurd sessions waiting on the lock 0, the activity's rows %s\n", out);
}

int
main(void)
{
	ts_server         s;
	cruddur_call_opts o;
	char              url[512];

	alarm(280);
	ts_require_pg();
	/* HomeFeed on the workers, so that one blocks the only worker. */
	const char *args[] = { "--workers", "1", "--queue", "8", "--log-level", "info",
		"--read-reactor", "off", NULL };
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, args, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	CHECK_STATUS(fs_setup(c, &o), CRUDDUR_OK, &o);
	CHECK_STATUS(fs_home_feed(c, 5000, false, &o), CRUDDUR_OK, &o);
	PGconn *locker = fs_pg_connect(ts_pg_url(DB, url, sizeof(url)));
	PGconn *watcher = fs_pg_connect(ts_pg_url(DB, url, sizeof(url)));
	if (locker == NULL || watcher == NULL) {
		fs_server_cleanup(&s); /* kills it: no server outlives the test */
		return 1;
	}

	queued_writes_not_run(&s, c, locker, watcher);
	running_write_cancelled(c, locker, watcher);

	PQfinish(locker);
	PQfinish(watcher);
	cruddur_client_close(c);
	fs_server_finish(&s);
	return ts_finish("deadline_queued_test");
}
