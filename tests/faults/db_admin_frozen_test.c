/*
 * db_admin_frozen_test.c - DbAdmin against a database host that stops
 * answering (every PostgreSQL process frozen with SIGSTOP: connects are
 * accepted, nothing replies), caught in each of its kinds of wait:
 *
 *   Create        a statement on the maintenance connection (not pooled):
 *                 CREATE DATABASE waits for template1, which a session of
 *                 the test holds; once with the database answering (the
 *                 cancel at the deadline ends it), once frozen mid-wait
 *                 (the cancel gets no answer either: given up)
 *   MigrationStatus, Migrate
 *                 bookkeeping statements on an idle pooled connection
 *   SeedBulk      a COPY FROM STDIN whose rows stop being read
 *   Sessions      the maintenance connect itself
 *
 * Proves: each is answered by its deadline plus a little (target 100 ms;
 * the bound checked is LATE_LIMIT_S, for a loaded 2-core machine and
 * ASan), DEADLINE_EXCEEDED with a message saying why; the server serves
 * again after the thaw; and frozen again, SIGTERM with a COPY, a
 * statement and a maintenance connect stuck (deadlines 8 s) ends in exit
 * 0 within --drain-timeout + 2 s.
 *
 * The cluster is private (tests/pg/start in a /tmp directory of its own),
 * and thawed whatever happens: at the end, and by the alarm's handler.
 */
#include <string.h>

#include "faults.h"

#define DB "cruddur_fault_admin"
#define DEADLINE_MS 1000
#define SEED_DEADLINE_MS 2000
#define HELD_DEADLINE_MS 8000
#define DRAIN_MS 1000
#define LATE_LIMIT_S 0.25
#define STOP_LIMIT_S (DRAIN_MS / 1000.0 + 2.0)

/* Sent once whatever the method says: a retry would hide how late the
 * first answer came. */
static cruddur_status
call_once(cruddur_client *c, const cruddur_method *m, const ProtobufCMessage *req,
    uint32_t deadline_ms, cruddur_call_opts *o)
{
	cruddur_method    once = *m;
	ProtobufCMessage *resp = NULL;

	once.idempotent = false;
	*o = (cruddur_call_opts){ .deadline_ms = deadline_ms };
	cruddur_status st = cruddur_client_call(c, &once, req, &resp, o);
	cruddur_message_free(resp);
	return st;
}

static cruddur_status
create_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	Cruddur__V1__CreateRequest req = CRUDDUR__V1__CREATE_REQUEST__INIT;
	(void)thread, (void)seq, (void)arg;
	return call_once(c, &cruddur_method_db_admin_create, &req.base, o->deadline_ms, o);
}

static cruddur_status
status_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	Cruddur__V1__MigrationStatusRequest req = CRUDDUR__V1__MIGRATION_STATUS_REQUEST__INIT;
	(void)thread, (void)seq, (void)arg;
	return call_once(c, &cruddur_method_db_admin_migration_status, &req.base, o->deadline_ms, o);
}

static cruddur_status
migrate_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	Cruddur__V1__MigrateRequest req = CRUDDUR__V1__MIGRATE_REQUEST__INIT;
	(void)thread, (void)seq, (void)arg;
	return call_once(c, &cruddur_method_db_admin_migrate, &req.base, o->deadline_ms, o);
}

static cruddur_status
sessions_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	Cruddur__V1__SessionsRequest req = CRUDDUR__V1__SESSIONS_REQUEST__INIT;
	(void)thread, (void)seq, (void)arg;
	return call_once(c, &cruddur_method_db_admin_sessions, &req.base, o->deadline_ms, o);
}

/* 300,000 activities: several seconds of COPY, so that the freeze comes
 * while its rows are being sent. */
static cruddur_status
seed_call(cruddur_client *c, int thread, int seq, cruddur_call_opts *o, void *arg)
{
	Cruddur__V1__SeedBulkRequest req = CRUDDUR__V1__SEED_BULK_REQUEST__INIT;
	(void)thread, (void)seq, (void)arg;
	req.activities = 300000;
	return call_once(c, &cruddur_method_db_admin_seed_bulk, &req.base, o->deadline_ms, o);
}

/* One call of fn from a thread of its own; the database is frozen
 * freeze_after_ms into it (0: before it, < 0: not at all), and thawed
 * after it. Returns the call's tally. */
static fs_tally
one_call(cruddur_client *c, fs_cluster *pg, fs_call_fn fn, uint32_t deadline_ms,
    int freeze_after_ms)
{
	fs_tally t;
	fs_load *l;

	memset(&t, 0, sizeof(t));
	if (freeze_after_ms == 0)
		CHECK(fs_cluster_freeze(pg, true) >= 1);
	l = fs_load_start(c, 1, fn, NULL, deadline_ms, 0, 1);
	CHECK(l != NULL);
	if (l == NULL)
		return t;
	if (freeze_after_ms > 0) {
		fs_sleep_ms(freeze_after_ms);
		CHECK(fs_cluster_freeze(pg, true) >= 1);
	}
	CHECK(fs_load_wait(l, deadline_ms / 1000.0 + 5));
	fs_load_stop(l, &t);
	if (freeze_after_ms >= 0)
		fs_cluster_freeze(pg, false);
	return t;
}

/* Prints and checks one such call: answered DEADLINE_EXCEEDED by its
 * deadline plus LATE_LIMIT_S, its message holding why (the wait it was
 * caught in). */
static void
check_late(const char *label, const fs_tally *t, const char *why)
{
	fs_tally_print(label, t);
	printf("  %s: answered %+.0f ms against its deadline (limit %+.0f ms)\n", label,
	    t->max_overrun_s * 1000, LATE_LIMIT_S * 1000);
	CHECK(t->calls == 1);
	CHECK(t->by_status[CRUDDUR_DEADLINE_EXCEEDED] == 1);
	CHECK(t->max_overrun_s < LATE_LIMIT_S);
	if (strstr(t->sample[CRUDDUR_DEADLINE_EXCEEDED], why) == NULL)
		ts_fail(__FILE__, __LINE__, "%s: message \"%s\" lacks \"%s\"", label,
		    t->sample[CRUDDUR_DEADLINE_EXCEEDED], why);
}

/* After a thaw: waits (at most 10 s) until MigrationStatus works again,
 * which also leaves a pooled connection idle for the next case. */
static void
wait_served(cruddur_client *c)
{
	cruddur_call_opts o = { .deadline_ms = 1000 };
	double            t0 = ts_now(), back = -1;

	while (back < 0 && ts_now() < t0 + 10)
		if (status_call(c, 0, 0, &o, NULL) == CRUDDUR_OK)
			back = ts_now() - t0;
		else
			fs_sleep_ms(20);
	printf("thawed: MigrationStatus OK %.0f ms later\n", back * 1000);
	CHECK(back >= 0);
}

int
main(void)
{
	fs_cluster        pg = { "" };
	ts_server         s;
	cruddur_call_opts o;
	char              url[256], drain[16];
	fs_tally          t;

	fs_cluster_thaw_on_alarm(200);
	if (fs_cluster_start(&pg) != 0)
		return 1;
	snprintf(drain, sizeof(drain), "%d", DRAIN_MS);
	/* Three idle connections: MigrationStatus, Migrate and SeedBulk each
	 * find one, so that the freeze catches them in a statement. */
	const char *args[] = { "--pool-min", "3", "--pool-max", "4", "--drain-timeout", drain,
		"--log-level", "info", NULL };
	if (fs_cluster_server_start(&s, &pg, DB, args) != 0) {
		fs_cluster_remove(&pg);
		return 1;
	}
	cruddur_client *c = ts_client(&s);

	/* The database does not exist yet. A session on template1 makes
	 * CREATE DATABASE wait (up to 5 s) for it to leave. */
	PGconn *tpl = fs_pg_connect(fs_cluster_url(&pg, "template1", url, sizeof(url)));
	CHECK(tpl != NULL);
	t = one_call(c, &pg, create_call, DEADLINE_MS, -1);
	check_late("Create waiting for template1, database answering", &t,
	    "57014: canceling statement due to user request (the call's deadline passed)");
	t = one_call(c, &pg, create_call, DEADLINE_MS, 400);
	check_late("Create waiting for template1, frozen 400 ms in", &t, "nor its cancel");
	PQfinish(tpl);

	CHECK_STATUS(fs_setup(c, &o), CRUDDUR_OK, &o);
	wait_served(c);

	t = one_call(c, &pg, status_call, DEADLINE_MS, 0);
	check_late("MigrationStatus, frozen", &t, "nor its cancel");
	wait_served(c);
	t = one_call(c, &pg, migrate_call, DEADLINE_MS, 0);
	check_late("Migrate, frozen", &t, "nor its cancel");
	wait_served(c);
	t = one_call(c, &pg, seed_call, SEED_DEADLINE_MS, 300);
	check_late("SeedBulk, frozen 300 ms into its COPY", &t, "nor its cancel");
	wait_served(c);
	t = one_call(c, &pg, sessions_call, DEADLINE_MS, 0);
	check_late("Sessions, frozen (the maintenance connect)", &t, "connect");
	wait_served(c);

	/* Frozen again with a COPY, a statement and a connect stuck, SIGTERM. */
	fs_load *seed = fs_load_start(c, 1, seed_call, NULL, HELD_DEADLINE_MS, 0, 1);
	fs_sleep_ms(300);
	CHECK(fs_cluster_freeze(&pg, true) >= 1);
	fs_load *status = fs_load_start(c, 1, status_call, NULL, HELD_DEADLINE_MS, 0, 1);
	fs_load *sess = fs_load_start(c, 1, sessions_call, NULL, HELD_DEADLINE_MS, 0, 1);
	CHECK(seed != NULL && status != NULL && sess != NULL);
	fs_sleep_ms(300);
	double took = -1;
	int    rc = fs_server_term(&s, 15, &took);
	printf("SIGTERM while frozen, SeedBulk, MigrationStatus and Sessions in flight: exit %d "
	       "after %.0f ms (limit %.0f ms, --drain-timeout %d)\n",
	    rc, took * 1000, STOP_LIMIT_S * 1000, DRAIN_MS);
	CHECK(rc == 0);
	CHECK(took >= 0 && took < STOP_LIMIT_S);
	fs_load *held[] = { seed, status, sess };
	const char *names[] = { "SeedBulk at SIGTERM", "MigrationStatus at SIGTERM",
		"Sessions at SIGTERM" };
	for (int i = 0; i < 3; i++)
		if (held[i] != NULL) {
			fs_load_stop(held[i], &t);
			fs_tally_print(names[i], &t);
		}

	fs_cluster_freeze(&pg, false);
	if (ts_failures > 0)
		ts_log_print(&s);
	fs_server_cleanup(&s);
	cruddur_client_close(c);
	fs_cluster_remove(&pg);
	return ts_finish("db_admin_frozen_test");
}
