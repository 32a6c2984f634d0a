/*
 * pool_exhausted_test.c - every pooled connection busy: callers wait for
 * --pool-timeout, then get RESOURCE_EXHAUSTED; nothing deadlocks.
 *
 * cruddurd runs with --pool-max 1 --pool-timeout 300. One HomeFeed holds
 * the only connection: it waits on an ACCESS EXCLUSIVE lock on activities
 * held by another session. Meanwhile:
 *   - concurrent GetUser calls (GetUser does not touch the locked table:
 *     it waits for the connection, not the lock) each return
 *     RESOURCE_EXHAUSTED "all 1 database connections stayed busy for 300 ms"
 *     after about 300 ms, far before their 5 s deadline;
 *   - a call whose deadline (150 ms) comes before the pool timeout gets
 *     DEADLINE_EXCEEDED instead;
 *   - Health/Check of cruddur.v1.Health needs no connection and answers.
 * After the lock is released the held call completes OK and every later
 * call works.
 */
#include <string.h>

#include "faults.h"

#define DB "cruddur_fault_pool"
#define WAITERS 6

typedef struct waiter {
	cruddur_client   *c;
	int               index;
	uint32_t          deadline_ms;
	cruddur_status    st;
	double            took;
	cruddur_call_opts o;
	pthread_t         tid;
} waiter;

static void *
hold_main(void *p)
{
	waiter *w = p;
	double  t0 = ts_now();

	w->st = fs_home_feed(w->c, 20000, false, &w->o);
	w->took = ts_now() - t0;
	return NULL;
}

/* GetUser: it needs a connection but not the locked table. (Concurrent
 * HomeFeed calls would share the held call's query instead of waiting for
 * the pool.) */
static cruddur_status
get_user(cruddur_client *c, uint32_t deadline_ms, cruddur_call_opts *o)
{
	Cruddur__V1__GetUserRequest   req = CRUDDUR__V1__GET_USER_REQUEST__INIT;
	Cruddur__V1__GetUserResponse *resp = NULL;

	req.handle = "hotwheels";
	*o = (cruddur_call_opts){ .deadline_ms = deadline_ms };
	cruddur_status st = cruddur_users_get_user(c, &req, &resp, o);
	cruddur_message_free(resp);
	return st;
}

static void *
wait_main(void *p)
{
	waiter *w = p;
	double  t0 = ts_now();

	w->st = get_user(w->c, w->deadline_ms, &w->o);
	w->took = ts_now() - t0;
	return NULL;
}

int
main(void)
{
	ts_server         s;
	cruddur_call_opts o;
	char              url[512];
	waiter            holder = { 0 }, waiters[WAITERS];

	alarm(280);
	ts_require_pg();
	const char *args[] = { "--pool-min", "1", "--pool-max", "1", "--pool-timeout", "300", NULL };
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
	CHECK(fs_lock_activities(locker) == 0);
	holder.c = c;
	pthread_create(&holder.tid, NULL, hold_main, &holder);
	CHECK(fs_wait_lock_waiters(watcher, 1, 10));

	/* Each waiter waits for the pool, alone or together. */
	double t0 = ts_now();
	for (int i = 0; i < WAITERS; i++) {
		waiters[i] = (waiter){ .c = c, .index = i, .deadline_ms = 5000 };
		pthread_create(&waiters[i].tid, NULL, wait_main, &waiters[i]);
	}
	double worst = 0, best = 1e9;
	for (int i = 0; i < WAITERS; i++) {
		pthread_join(waiters[i].tid, NULL);
		CHECK_STATUS(waiters[i].st, CRUDDUR_RESOURCE_EXHAUSTED, &waiters[i].o);
		CHECK(strstr(waiters[i].o.message, "all 1 database connections stayed busy for 300 ms") != NULL);
		worst = waiters[i].took > worst ? waiters[i].took : worst;
		best = waiters[i].took < best ? waiters[i].took : best;
	}
	printf("%d callers waiting for the only connection: RESOURCE_EXHAUSTED after %.0f..%.0f ms "
	       "(pool timeout 300 ms, deadline 5000 ms; all returned %.0f ms after they started): %s\n",
	    WAITERS, best * 1000, worst * 1000, (ts_now() - t0) * 1000, waiters[0].o.message);
	CHECK(best >= 0.28);  /* they did wait for the pool */
	CHECK(worst < 2.0);   /* and not for their deadline */

	/* A deadline shorter than the pool timeout wins. */
	t0 = ts_now();
	cruddur_status st = get_user(c, 150, &o);
	CHECK_STATUS(st, CRUDDUR_DEADLINE_EXCEEDED, &o);
	CHECK(strstr(o.message, "deadline passed while waiting for a database connection") != NULL);
	printf("deadline 150 ms while the pool is busy: %s after %.0f ms: %s\n", cruddur_status_name(st),
	    (ts_now() - t0) * 1000, o.message);

	/* What needs no connection still answers. */
	bool serving = false;
	CHECK_STATUS(fs_health(c, "cruddur.v1.Health", 2000, &serving, &o), CRUDDUR_OK, &o);
	CHECK(serving);

	/* Released: the held call finishes, and nothing is stuck. */
	fs_unlock(locker);
	pthread_join(holder.tid, NULL);
	CHECK_STATUS(holder.st, CRUDDUR_OK, &holder.o);
	printf("the call holding the connection returned OK after %.0f ms\n", holder.took * 1000);
	t0 = ts_now();
	for (int i = 0; i < WAITERS; i++) {
		waiters[i] = (waiter){ .c = c, .index = i, .deadline_ms = 5000 };
		pthread_create(&waiters[i].tid, NULL, wait_main, &waiters[i]);
	}
	for (int i = 0; i < WAITERS; i++) {
		pthread_join(waiters[i].tid, NULL);
		CHECK_STATUS(waiters[i].st, CRUDDUR_OK, &waiters[i].o);
	}
	printf("after release: %d concurrent calls OK in %.0f ms\n", WAITERS, (ts_now() - t0) * 1000);

	PQfinish(locker);
	PQfinish(watcher);
	cruddur_client_close(c);
	fs_server_finish(&s);
	return ts_finish("pool_exhausted_test");
}
