/*
 * concurrency_test.c - many clients at once: 64 threads, 200 calls each,
 * through one client (one nng context per call) and through a client per
 * thread, against the real server and database. Every answer is checked.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define DB "cruddur_concurrency_test"
#define THREADS 64
#define CALLS 200

typedef struct job {
	const ts_server *server;
	cruddur_client  *shared; /* NULL: the thread opens its own */
	int              index;
	int              ok;
} job;

static void
one_call(cruddur_client *c, int i, job *j)
{
	cruddur_call_opts o = { .deadline_ms = 30000 };

	if (i % 2 == 0) {
		Cruddur__V1__HomeFeedRequest   req = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
		Cruddur__V1__HomeFeedResponse *resp = NULL;
		req.limit = 1 + (j->index + i) % 3; /* 1..3; the feed has 3 rows */
		cruddur_status st = cruddur_activities_home_feed(c, &req, &resp, &o);
		CHECK_STATUS(st, CRUDDUR_OK, &o);
		if (resp != NULL && resp->n_activities == (size_t)req.limit &&
		    resp->activities[0]->handle[0] != '\0')
			j->ok++;
		else
			CHECK(!"feed reply has the asked-for number of rows");
		cruddur_message_free(resp);
	} else {
		Cruddur__V1__GetUserRequest   req = CRUDDUR__V1__GET_USER_REQUEST__INIT;
		Cruddur__V1__GetUserResponse *resp = NULL;
		req.handle = (i % 4 == 1) ? "hotwheels" : "getFullOrDieTryin";
		cruddur_status st = cruddur_users_get_user(c, &req, &resp, &o);
		CHECK_STATUS(st, CRUDDUR_OK, &o);
		if (resp != NULL && resp->user != NULL && strcmp(resp->user->handle, req.handle) == 0)
			j->ok++;
		else
			CHECK(!"user reply is the asked-for user");
		cruddur_message_free(resp);
	}
}

static void *
run(void *arg)
{
	job            *j = arg;
	cruddur_client *c = j->shared ? j->shared : ts_client(j->server);

	for (int i = 0; i < CALLS; i++)
		one_call(c, i, j);
	if (j->shared == NULL)
		cruddur_client_close(c);
	return NULL;
}

static int
run_all(const ts_server *s, cruddur_client *shared)
{
	pthread_t threads[THREADS];
	job       jobs[THREADS];
	int       ok = 0;

	for (int i = 0; i < THREADS; i++) {
		jobs[i] = (job){ .server = s, .shared = shared, .index = i };
		pthread_create(&threads[i], NULL, run, &jobs[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		ok += jobs[i].ok;
	}
	return ok;
}

int
main(void)
{
	ts_server   s;
	char        out[256];
	const char *args[] = { "--workers", "8", "--pool-max", "8", NULL };

	ts_require_pg();
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, args, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	Cruddur__V1__SetupRequest   req = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse *resp = NULL;
	cruddur_call_opts           o = { .deadline_ms = 30000 };
	CHECK_STATUS(cruddur_db_admin_setup(c, &req, &resp, &o), CRUDDUR_OK, &o);
	cruddur_message_free(resp);
	CHECK(ts_psql(DB, "INSERT INTO activities (user_uuid, message) SELECT uuid, 'two' FROM users; SELECT count(*) FROM activities",
	          out, sizeof(out)) == 0);
	CHECK_STREQ(out, "3");

	double t0 = ts_now();
	int    shared_ok = run_all(&s, c);
	double t1 = ts_now();
	int    own_ok = run_all(&s, NULL);
	double t2 = ts_now();
	CHECK(shared_ok == THREADS * CALLS);
	CHECK(own_ok == THREADS * CALLS);
	printf("%d threads x %d calls: shared client %.2f s, client per thread %.2f s\n", THREADS,
	    CALLS, t1 - t0, t2 - t1);
	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	return ts_finish("concurrency_test");
}
