/*
 * graceful_stop_test.c - SIGTERM under load: calls in flight finish and
 * get their reply, new ones are refused, the server exits 0 in time, and
 * no write acknowledged OK is lost.
 *
 * 1. Drain. 16 threads run GetUser and Users/CreateUser (a distinct
 *    cognito id per call) through one client, each call sent once (no
 *    client retry, so every reply is seen; only a refusal with not_run is
 *    sent again, up to NOT_RUN_ATTEMPTS times, and refused again, since
 *    this server is the only one). One more HomeFeed is in flight,
 *    held by a lock on activities, so the drain lasts until the test lets
 *    it go. SIGTERM: every thread's next call is answered UNAVAILABLE "the
 *    server is shutting down" and the thread stops; no call fails any other
 *    way. Then the lock is released: the held call gets OK, the server
 *    exits 0 at once (--drain-timeout 5000). Every cognito id answered OK
 *    is in the users table, and no other. A raw Health/Check on a
 *    connection of its own reads the envelope: OK without not_run before
 *    SIGTERM, UNAVAILABLE with not_run while the server drains.
 * 2. Drain timeout. A HomeFeed (deadline 30 s) held by the lock outlives
 *    --drain-timeout 1000: the server still exits 0 within the timeout plus
 *    2 s, and the held caller gets an answer (not OK) instead of waiting
 *    for its deadline.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"

#define DB "cruddur_fault_stop"
#define THREADS 16
#define MAX_ACKED 20000

typedef struct shared {
	pthread_mutex_t mtx;
	char          (*acked)[48]; /* cognito ids answered OK */
	int             n_acked;
	atomic_int      stopped;    /* threads that saw UNAVAILABLE */
} shared;

static shared g = { .mtx = PTHREAD_MUTEX_INITIALIZER };

/* A raw Health/Check on a connection of its own: its reply's status in
 * *st (-1: none came) and whether it says not_run. */
static bool
raw_check(const char *url, int *st)
{
	size_t   len;
	bool     handshake = false, not_run = false;
	uint8_t *req = fs_raw_request("cruddur.v1.Health/Check", NULL, 1, &len);
	int      fd = fs_raw_connect(url, 0);
	Cruddur__V1__ResponseEnvelope *r = NULL;

	*st = -1;
	if (req != NULL && fd >= 0 && fs_raw_write(fd, req, len) == 0 &&
	    fs_raw_read_reply(fd, 5000, &handshake, &r) == 0) {
		*st = (int)r->status;
		not_run = r->not_run;
		cruddur__v1__response_envelope__free_unpacked(r, NULL);
	}
	if (fd >= 0)
		close(fd);
	free(req);
	return not_run;
}

static cruddur_status
one_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	ProtobufCMessage *resp = NULL;
	cruddur_status    st;
	cruddur_method    m;
	char              cognito[48], handle[32];
	(void)arg;

	if (thread % 2 == 0) {
		Cruddur__V1__GetUserRequest req = CRUDDUR__V1__GET_USER_REQUEST__INIT;
		req.handle = "hotwheels";
		m = cruddur_method_users_get_user;
		m.idempotent = false; /* sent once (but for not_run): every reply is seen */
		st = cruddur_client_call(c, &m, &req.base, &resp, o);
	} else {
		Cruddur__V1__CreateUserRequest req = CRUDDUR__V1__CREATE_USER_REQUEST__INIT;
		snprintf(cognito, sizeof(cognito), "fault-stop-%d-%d", thread, seq);
		snprintf(handle, sizeof(handle), "fs_%d_%d", thread, seq);
		req.display_name = "Stopping";
		req.handle = handle;
		req.email = "stop@example.com";
		req.cognito_user_id = cognito;
		m = cruddur_method_users_create_user;
		m.idempotent = false;
		st = cruddur_client_call(c, &m, &req.base, &resp, o);
		if (st == CRUDDUR_OK) {
			pthread_mutex_lock(&g.mtx);
			if (g.n_acked < MAX_ACKED)
				memcpy(g.acked[g.n_acked++], cognito, sizeof(cognito));
			pthread_mutex_unlock(&g.mtx);
		}
	}
	cruddur_message_free(resp);
	return st;
}

/* Stops a thread after its first UNAVAILABLE: the server is draining. */
static cruddur_status
call_until_refused(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	cruddur_status st = one_call(c, thread, seq, o, arg);
	if (st != CRUDDUR_OK) {
		atomic_fetch_add(&g.stopped, 1);
		/* Park until the test stops the load: no call after a refusal. */
		for (int i = 0; i < 3000 && !atomic_load((atomic_bool *)arg); i++)
			fs_sleep_ms(5);
	}
	return st;
}

typedef struct held {
	cruddur_client   *c;
	uint32_t          deadline_ms;
	cruddur_status    st;
	double            took;
	cruddur_call_opts o;
	pthread_t         tid;
} held;

static void *
held_main(void *p)
{
	held  *h = p;
	double t0 = ts_now();

	h->st = fs_home_feed(h->c, h->deadline_ms, false, &h->o);
	h->took = ts_now() - t0;
	return NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every acknowledged id is in the table, and nothing else was written. */
static void
check_acked_writes(PGconn *pg)
{
	PGresult *res = PQexec(pg, "SELECT cognito_user_id FROM users WHERE cognito_user_id LIKE "
	                           "'fault-stop-%' ORDER BY 1");
	CHECK(PQresultStatus(res) == PGRES_TUPLES_OK);
	int rows = PQntuples(res), missing = 0;
	qsort(g.acked, (size_t)g.n_acked, sizeof(g.acked[0]), cmp_str);
	for (int i = 0; i < g.n_acked; i++) {
		bool found = false;
		for (int lo = 0, hi = rows - 1; lo <= hi && !found;) {
			int mid = (lo + hi) / 2, d = strcmp(PQgetvalue(res, mid, 0), g.acked[i]);
			if (d == 0)
				found = true;
			else if (d < 0)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		missing += !found;
	}
	PQclear(res);
	printf("writes acknowledged OK: %d; in the table: %d; acknowledged but missing: %d\n", g.n_acked,
	    rows, missing);
	CHECK(g.n_acked > 0);
	CHECK(missing == 0);
	CHECK(rows == g.n_acked); /* every other write was refused, not run */
}

static PGconn *watcher, *locker;

static void
drain_under_load(void)
{
	ts_server         s;
	cruddur_call_opts o;
	atomic_bool       parked_stop = false;
	held              h = { 0 };
	fs_tally          sum;

	const char *args[] = { "--drain-timeout", "5000", NULL };
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, args, NULL) != 0) {
		CHECK(!"server started");
		return;
	}
	cruddur_client *c = ts_client(&s);
	CHECK_STATUS(fs_setup(c, &o), CRUDDUR_OK, &o);
	/* Setup drops and creates the database: connect after it. */
	char url[512];
	watcher = fs_pg_connect(ts_pg_url(DB, url, sizeof(url)));
	locker = fs_pg_connect(ts_pg_url(DB, url, sizeof(url)));
	if (watcher == NULL || locker == NULL) {
		fs_server_cleanup(&s);
		exit(1);
	}
	CHECK(fs_lock_activities(locker) == 0);
	h = (held){ .c = c, .deadline_ms = 20000 };
	pthread_create(&h.tid, NULL, held_main, &h);
	CHECK(fs_wait_lock_waiters(watcher, 1, 10));

	fs_load *load = fs_load_start(c, THREADS, call_until_refused, &parked_stop, 5000, 0, 100000);
	CHECK(load != NULL);
	fs_sleep_ms(1000);
	int  raw_st;
	bool raw_not_run = raw_check(s.url, &raw_st);
	CHECK(raw_st == CRUDDUR_OK && !raw_not_run); /* not_run only on a refusal */
	double t_term = ts_now();
	kill(s.pid, SIGTERM);
	/* Every thread is refused while the held call keeps the drain open. */
	double until = ts_now() + 10;
	while (atomic_load(&g.stopped) < THREADS && ts_now() < until)
		fs_sleep_ms(5);
	double t_refused = ts_now();
	CHECK(atomic_load(&g.stopped) == THREADS);
	CHECK(fs_server_alive(&s)); /* still draining */
	raw_not_run = raw_check(s.url, &raw_st);
	printf("raw Health/Check while draining: status %d, not_run %d\n", raw_st, raw_not_run);
	CHECK(raw_st == CRUDDUR_UNAVAILABLE && raw_not_run);
	fs_sleep_ms(300);
	fs_unlock(locker);
	double t_release = ts_now();
	double took;
	int    rv = fs_server_term(&s, 10, &took); /* a second SIGTERM changes nothing */
	double t_exit = t_release + took;
	CHECK(rv == 0);
	pthread_join(h.tid, NULL);
	CHECK_STATUS(h.st, CRUDDUR_OK, &h.o);
	fs_load_request_stop(load);
	atomic_store(&parked_stop, true);
	fs_load_stop(load, &sum);
	fs_tally_print("16 threads, SIGTERM during the load", &sum);
	CHECK(sum.by_status[CRUDDUR_OK] + sum.by_status[CRUDDUR_UNAVAILABLE] == sum.calls);
	CHECK(sum.by_status[CRUDDUR_UNAVAILABLE] == THREADS);
	CHECK(strstr(sum.sample[CRUDDUR_UNAVAILABLE], "shutting down") != NULL);
	CHECK(sum.max_overrun_s < 0);
	printf("SIGTERM -> all %d threads refused: %.0f ms; held call OK after %.0f ms; lock released -> "
	       "exit %d: %.0f ms (SIGTERM -> exit %.0f ms, --drain-timeout 5000)\n", THREADS,
	    (t_refused - t_term) * 1000, h.took * 1000, rv, (t_exit - t_release) * 1000,
	    (t_exit - t_term) * 1000);
	CHECK(t_exit - t_release < 2.0);
	check_acked_writes(watcher);
	cruddur_client_close(c);
	if (ts_failures > 0)
		ts_log_print(&s);
	fs_server_cleanup(&s);
}

static void
drain_timeout(void)
{
	ts_server         s;
	cruddur_call_opts o;
	held              h;

	const char *args[] = { "--drain-timeout", "1000", NULL };
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, args, NULL) != 0) {
		CHECK(!"server started");
		return;
	}
	cruddur_client *c = ts_client(&s);
	CHECK_STATUS(fs_home_feed(c, 5000, false, &o), CRUDDUR_OK, &o);
	CHECK(fs_lock_activities(locker) == 0);
	h = (held){ .c = c, .deadline_ms = 30000 };
	pthread_create(&h.tid, NULL, held_main, &h);
	CHECK(fs_wait_lock_waiters(watcher, 1, 10));
	double took;
	int    rv = fs_server_term(&s, 10, &took);
	pthread_join(h.tid, NULL);
	printf("a call stuck past --drain-timeout 1000: exit %d after %.0f ms; the stuck caller got %s "
	       "after %.0f ms: %s\n", rv, took * 1000, cruddur_status_name(h.st), h.took * 1000, h.o.message);
	CHECK(rv == 0);
	CHECK(took < 3.0);
	CHECK(h.st != CRUDDUR_OK);
	CHECK(h.took < 5.0);
	fs_unlock(locker);
	cruddur_client_close(c);
	if (ts_failures > 0)
		ts_log_print(&s);
	fs_server_cleanup(&s);
}

int
main(void)
{
	alarm(280);
	ts_require_pg();
	if ((g.acked = calloc(MAX_ACKED, sizeof(*g.acked))) == NULL)
		return 1;
	drain_under_load();
	drain_timeout();
	PQfinish(watcher);
	PQfinish(locker);
	free(g.acked);
	return ts_finish("graceful_stop_test");
}
