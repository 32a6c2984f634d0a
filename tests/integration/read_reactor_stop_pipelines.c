/*
 * read_reactor_stop_pipelines.c - read_reactor_test's parts e (SIGTERM with
 * reads running and pending) and f (pipelines); read_reactor_test.c's head
 * comment says what each checks.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "read_reactor_calls.h"

/* ---- e, f: a server of one connection, and two sessions to hold locks with ------- */

/* Starts s (args; tracked for the alarm) and opens *lock and *watcher on
 * its database, then runs one HomeFeed so that its connection has the
 * statement prepared. False when the server did not start. */
static bool
server_with_sessions(const fs_cluster *pg, ts_server *s, const char *const *args,
    cruddur_client **c, PGconn **lock, PGconn **watcher)
{
	char   url[256];
	result r;

	if (rr_server_start(s, pg, args) != 0) {
		CHECK(!"the server started");
		return false;
	}
	*c = ts_client(s);
	*lock = fs_pg_connect(fs_cluster_url(pg, DB, url, sizeof(url)));
	*watcher = fs_pg_connect(url);
	CHECK(*lock != NULL && *watcher != NULL);
	CHECK_RES(rr_feed(*c, 1, "", 5000, false, &r), CRUDDUR_OK, &r);
	rr_result_clear(&r);
	return true;
}

/* ---- e. SIGTERM ------------------------------------------------------------------- */

void
rr_sigterm_with_reads(const fs_cluster *pg, bool release)
{
	static const char *const args_release[] = { "--pool-min", "1", "--pool-max", "1", "--coalesce",
		"off", "--drain-timeout", "5000", NULL };
	static const char *const args_hold[] = { "--pool-min", "1", "--pool-max", "1", "--coalesce",
		"off", "--drain-timeout", "500", NULL };
	static ts_server s; /* tracked for the alarm: not on the stack */
	int             n = release ? 9 : 5;
	batch          *b;
	result          r;
	const char     *label = release ? "released during the drain" : "held past --drain-timeout 500";
	cruddur_client *c;
	PGconn         *lock, *watcher;

	if (!server_with_sessions(pg, &s, release ? args_release : args_hold, &c, &lock, &watcher))
		return;
	b = malloc(sizeof(*b));
	rr_batch_init(b);
	if (lock != NULL && watcher != NULL) {
		CHECK(fs_lock_activities(lock) == 0);
		for (int i = 0; i < n; i++)
			rr_batch_add(b, c, 10 + i, "", 8000, false); /* 1 runs, the others wait */
		CHECK(fs_wait_lock_waiters(watcher, 1, 5));
		fs_sleep_ms(100);
	}
	double t0 = ts_now();
	kill(s.pid, SIGTERM);
	fs_sleep_ms(200);
	CHECK(fs_server_alive(&s));
	if (release) {
		/* Draining: new calls are refused, the ones in flight go on. */
		CHECK_RES(rr_feed(c, 2, "", 3000, false, &r), CRUDDUR_UNAVAILABLE, &r);
		CHECK(strstr(r.msg, "shutting down") != NULL);
		rr_result_clear(&r);
		fs_unlock(lock);
	}
	CHECK(rr_batch_wait(b, 8));
	int    code = fs_server_term(&s, 10, NULL);
	double took = ts_now() - t0;
	CHECK(code == 0);
	int want_st = release ? CRUDDUR_OK : CRUDDUR_UNAVAILABLE;
	CHECK(rr_batch_count(b, (cruddur_status)want_st) == n);
	for (int i = 0; i < n; i++)
		if (b->r[i].st != (cruddur_status)want_st)
			ts_fail(__FILE__, __LINE__, "e. %s: call %d: %s (%s)", label, i,
			    cruddur_status_name(b->r[i].st), b->r[i].msg);
		else if (!release)
			CHECK(strstr(b->r[i].msg, "shutting down") != NULL);
	if (!release)
		CHECK(took < 3.0);
	printf("e. SIGTERM, %d reads %s: %d %s, exit %d after %.0f ms\n", n, label,
	    rr_batch_count(b, (cruddur_status)want_st), cruddur_status_name((cruddur_status)want_st), code,
	    took * 1000);
	if (!release && lock != NULL)
		fs_unlock(lock);
	PQfinish(lock);
	PQfinish(watcher);
	cruddur_client_close(c);
	if (ts_failures > 0)
		ts_log_print(&s);
	fs_server_cleanup(&s);
	rr_batch_free(b);
	free(b);
}

/* ---- f. pipelines ----------------------------------------------------------------- */

/* The read reactor's figures, from Stats. */
typedef struct reactor_figures {
	long long waiting, pipelines, pipelined;
} reactor_figures;

static reactor_figures
reactor_now(cruddur_client *c)
{
	Cruddur__V1__GetStatsResponse *resp = ts_get_stats(c, 3000);
	reactor_figures                f = { -1, -1, -1 };

	if (resp != NULL && resp->read_reactor != NULL) {
		f.waiting = resp->read_reactor->waiting;
		f.pipelines = resp->read_reactor->pipelines;
		f.pipelined = resp->read_reactor->pipelined_queries;
	}
	cruddur_message_free(resp);
	return f;
}

/* A lead that holds the connection until its 1 s deadline cancels it,
 * and 6 calls behind it (the first three with deadline_ms, the others
 * with late_ms), all waiting before the lead ends: they start as one
 * pipeline. */
static void
pipeline_behind_lead(batch *b, cruddur_client *c, PGconn *lock, PGconn *watcher,
    uint32_t deadline_ms, uint32_t late_ms)
{
	rr_batch_init(b);
	CHECK(fs_lock_activities(lock) == 0);
	rr_batch_add(b, c, 2, "", 1000, false);
	CHECK(fs_wait_lock_waiters(watcher, 1, 5));
	double t0 = ts_now();
	for (int i = 0; i < 6; i++)
		rr_batch_add(b, c, 3 + i, "", i < 3 ? deadline_ms : late_ms, false);
	b->t0 = t0; /* the 6's deadlines count from just after this */
	while (reactor_now(c).waiting < 6 && ts_now() < t0 + 0.6)
		fs_sleep_ms(10);
	CHECK(reactor_now(c).waiting == 6);
}

static void
pipeline_past_deadline(cruddur_client *c, PGconn *lock, PGconn *watcher)
{
	batch          *b = malloc(sizeof(*b));
	result          r;
	reactor_figures before = reactor_now(c);

	pipeline_behind_lead(b, c, lock, watcher, 2000, 3000);
	CHECK(rr_batch_wait(b, 6));
	CHECK_RES(b->r[0].st, CRUDDUR_DEADLINE_EXCEEDED, &b->r[0]);
	double first = 99, last = 0, late_first = 99, late_last = 0;
	for (int i = 4; i <= 6; i++) {
		late_first = b->r[i].took < late_first ? b->r[i].took : late_first;
		late_last = b->r[i].took > late_last ? b->r[i].took : late_last;
	}
	for (int i = 1; i <= 6; i++) {
		CHECK_RES(b->r[i].st, CRUDDUR_DEADLINE_EXCEEDED, &b->r[i]);
		/* The server's answer ("... before the database answered", or
		 * the cancelled statement's own error when it ended first), not
		 * the client giving up ("no reply from the server in time"). */
		if (strstr(b->r[i].msg, "no reply from the server") != NULL || b->r[i].msg[0] == '\0')
			ts_fail(__FILE__, __LINE__, "call %d: \"%s\"", i, b->r[i].msg);
		else if (strstr(b->r[i].msg, "before the database answered") == NULL)
			printf("f. call %d: \"%s\"\n", i, b->r[i].msg);
		if (i <= 3) {
			first = b->r[i].took < first ? b->r[i].took : first;
			last = b->r[i].took > last ? b->r[i].took : last;
		}
	}
	/* Each at its own deadline, counted from just after t0; the client
	 * would give up 250 ms later. */
	CHECK(first >= 1.95 && last < 2.2);
	CHECK(late_first >= 2.95 && late_last < 3.2);
	reactor_figures after = reactor_now(c);
	CHECK(after.pipelines == before.pipelines + 1 && after.pipelined == before.pipelined + 6);
	printf("f. a pipeline of 6 past its deadlines: DEADLINE_EXCEEDED at %.0f to %.0f ms (2 s "
	       "deadlines) and %.0f to %.0f ms (3 s): %s\n",
	    first * 1000, last * 1000, late_first * 1000, late_last * 1000, b->r[1].msg);
	fs_unlock(lock);
	double t0 = ts_now();
	CHECK_RES(rr_feed(c, 9, "", 5000, false, &r), CRUDDUR_OK, &r);
	printf("f. then, the lock gone: HomeFeed %s after %.0f ms\n", cruddur_status_name(r.st),
	    (ts_now() - t0) * 1000);
	rr_result_clear(&r);
	rr_batch_free(b);
	free(b);
}

static void
pipeline_connection_lost(cruddur_client *c, PGconn *lock, PGconn *watcher)
{
	batch *b = malloc(sizeof(*b));
	char   out[64];

	pipeline_behind_lead(b, c, lock, watcher, 8000, 8000);
	/* The lead is cancelled at 1 s; then the 6 leave the queue for the
	 * pipeline, whose first statement waits on the lock. */
	double until = ts_now() + 3;
	while (reactor_now(c).waiting > 0 && ts_now() < until)
		fs_sleep_ms(20);
	CHECK(reactor_now(c).waiting == 0);
	fs_sleep_ms(100);
	CHECK(fs_wait_lock_waiters(watcher, 1, 5));
	CHECK(fs_pg_value(watcher,
	          "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
	          "WHERE datname = current_database() AND wait_event_type = 'Lock' "
	          "AND pid <> pg_backend_pid()",
	          out, sizeof(out)) == 0);
	CHECK_STREQ(out, "1");
	fs_sleep_ms(300); /* they run again, alone, on a new connection: waiting on the lock */
	fs_unlock(lock);
	CHECK(rr_batch_wait(b, 8));
	CHECK_RES(b->r[0].st, CRUDDUR_DEADLINE_EXCEEDED, &b->r[0]);
	int ok = 0;
	for (int i = 1; i <= 6; i++) {
		CHECK_RES(b->r[i].st, CRUDDUR_OK, &b->r[i]);
		ok += b->r[i].st == CRUDDUR_OK;
	}
	printf("f. the pipeline's backend terminated: %d of 6 OK after running again alone\n", ok);
	rr_batch_free(b);
	free(b);
}

void
rr_pipelines(const fs_cluster *pg)
{
	static const char *const args[] = { "--pool-min", "1", "--pool-max", "1", "--coalesce", "off",
		"--pipeline-depth", "8", NULL };
	static ts_server s; /* tracked for the alarm: not on the stack */
	cruddur_client  *c;
	PGconn          *lock, *watcher;

	/* (Only a connection that has the statement prepared takes pipelines:
	 * the helper's first HomeFeed prepared it.) */
	if (!server_with_sessions(pg, &s, args, &c, &lock, &watcher))
		return;
	if (lock != NULL && watcher != NULL) {
		pipeline_past_deadline(c, lock, watcher);
		pipeline_connection_lost(c, lock, watcher);
	}
	PQfinish(lock);
	PQfinish(watcher);
	rr_server_finish(&s, c);
}

