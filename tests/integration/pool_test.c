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
 * Exit 0 when every CHECK holds, 1 otherwise (each failure is printed).
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db/db_error.h"
#include "db/db_target.h"
#include "db/pool.h"

static int failures;
static pthread_mutex_t failures_mtx = PTHREAD_MUTEX_INITIALIZER;

static void
fail_count(void)
{
	pthread_mutex_lock(&failures_mtx);
	failures++;
	pthread_mutex_unlock(&failures_mtx);
}

#define CHECK(cond)                                                     \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",    \
			    __FILE__, __LINE__, #cond);                 \
			fail_count();                                   \
		}                                                       \
	} while (0)

/* Status check that prints both statuses and the message. */
#define CHECK_ST(got, want, msg)                                        \
	do {                                                            \
		cruddur_status g_ = (got), w_ = (want);                 \
		if (g_ != w_) {                                         \
			fprintf(stderr, "%s:%d: %s is %d, want %d (%s)\n", \
			    __FILE__, __LINE__, #got, (int)g_, (int)w_, \
			    (msg));                                     \
			fail_count();                                   \
		}                                                       \
	} while (0)

static const char *base_url;

static const db_statement st_add = {
	0, "pool_test_add", "SELECT $1::int + $2::int, $3::text", 3, false };
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

/* ---- helpers --------------------------------------------------------- */

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void
app_name(char *buf, size_t len, const char *tcase)
{
	snprintf(buf, len, "pool_test_%ld_%s", (long)getpid(), tcase);
}

static void
target_parse(db_target *t, const char *url, const char *app)
{
	char err[256];

	if (db_target_parse(t, url, app, err, sizeof(err)) != 0) {
		fprintf(stderr, "cannot parse \"%s\": %s\n", url, err);
		exit(1);
	}
}

static pool *
pool_make(const db_target *t, int max, int timeout_ms)
{
	pool_config cfg = { t, 0, max, timeout_ms, 5 };
	pool *p;

	if (pool_new(&p, &cfg) != 0) {
		fprintf(stderr, "pool_new failed\n");
		exit(1);
	}
	return p;
}

/* A plain libpq session for looking at the server from outside the pool. */
static PGconn *
admin_connect(void)
{
	db_target t;
	PGconn *c;

	target_parse(&t, base_url, "pool_test_admin");
	c = PQconnectdbParams((const char *const *)t.keywords,
	    (const char *const *)t.values, 0);
	db_target_fini(&t);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "admin connect: %s", PQerrorMessage(c));
		exit(1);
	}
	return c;
}

static long
admin_count(PGconn *admin, const char *sql, const char *param)
{
	const char *params[1] = { param };
	PGresult *r = PQexecParams(admin, sql, 1, NULL, params, NULL, NULL, 0);
	long n = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		n = atol(PQgetvalue(r, 0, 0));
	else
		fprintf(stderr, "admin query: %s", PQresultErrorMessage(r));
	PQclear(r);
	return n;
}

static long
sessions(PGconn *admin, const char *app)
{
	return admin_count(admin, "SELECT count(*) FROM pg_stat_activity "
	    "WHERE application_name = $1", app);
}

/* Backends exit a moment after their client goes: wait up to 5 s for the
 * count to reach want. */
static long
sessions_settle(PGconn *admin, const char *app, long want)
{
	long n = -1;

	for (int i = 0; i < 500; i++) {
		if ((n = sessions(admin, app)) == want)
			break;
		sleep_ms(10);
	}
	return n;
}

static bool
backend_gone(PGconn *admin, int pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", pid);
	for (int i = 0; i < 500; i++) {
		if (admin_count(admin, "SELECT count(*) FROM pg_stat_activity "
		    "WHERE pid = $1::int", buf) == 0)
			return true;
		sleep_ms(10);
	}
	return false;
}

static bool
terminate(PGconn *admin, int pid)
{
	char buf[32];
	const char *params[1] = { buf };
	PGresult *r;
	bool ok;

	snprintf(buf, sizeof(buf), "%d", pid);
	r = PQexecParams(admin, "SELECT pg_terminate_backend($1::int)", 1,
	    NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK &&
	    strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return ok && backend_gone(admin, pid);
}

static cruddur_status
run_sql(pool_conn *c, const char *sql, char *msg, size_t msglen)
{
	PGresult *r = PQexec(pool_conn_pg(c), sql);
	cruddur_status st = db_error_status(r, pool_conn_pg(c), msg, msglen);

	PQclear(r);
	return st;
}

/* Runs st_add and checks the answer. */
static bool
add_ok(pool_conn *c, int a, int b)
{
	char pa[16], pb[16], msg[256], want[16];
	const char *params[3] = { pa, pb, "x" };
	PGresult *r = NULL;
	cruddur_status st;
	bool ok;

	snprintf(pa, sizeof(pa), "%d", a);
	snprintf(pb, sizeof(pb), "%d", b);
	snprintf(want, sizeof(want), "%d", a + b);
	st = pool_conn_exec(c, &st_add, params, &r, msg, sizeof(msg));
	ok = st == CRUDDUR_OK && r != NULL && PQntuples(r) == 1 &&
	    strcmp(PQgetvalue(r, 0, 0), want) == 0 &&
	    strcmp(PQgetvalue(r, 0, 1), "x") == 0;
	if (!ok)
		fprintf(stderr, "add %d+%d: status %d: %s\n", a, b, (int)st,
		    msg);
	PQclear(r);
	return ok;
}

/* ---- cases ----------------------------------------------------------- */

static void
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

	app_name(app, sizeof(app), "exec");
	target_parse(&t, base_url, app);
	p = pool_make(&t, 2, 1000);

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

/* ---- max_size and timeouts ------------------------------------------- */

typedef struct waiter {
	pool *p;
	int64_t deadline_us;
	cruddur_status st;
	int64_t waited_us;
	char msg[256];
} waiter;

static void *
waiter_main(void *arg)
{
	waiter *w = arg;
	int64_t start = pool_now_us();
	pool_conn *c = NULL;

	w->st = pool_acquire(w->p, w->deadline_us, &c, w->msg, sizeof(w->msg));
	w->waited_us = pool_now_us() - start;
	if (c != NULL) {
		CHECK(add_ok(c, 3, 4));
		pool_release(w->p, c);
	}
	return NULL;
}

/* Waits (up to 2 s) until n threads wait in the pool. */
static bool
wait_for_waiters(pool *p, int n)
{
	pool_stats s;

	for (int i = 0; i < 200; i++) {
		pool_get_stats(p, &s);
		if (s.waiting == n)
			return true;
		sleep_ms(10);
	}
	return false;
}

static void
test_exhaustion(void)
{
	char app[64], msg[256];
	waiter w = { 0 };
	pthread_t th;
	pool_conn *c, *c2;
	pool_stats s;
	db_target t;
	pool *p;

	app_name(app, sizeof(app), "exhaust");
	target_parse(&t, base_url, app);
	p = pool_make(&t, 1, 300);
	CHECK_ST(pool_acquire(p, 0, &c, msg, sizeof(msg)), CRUDDUR_OK, msg);

	/* Nobody releases: RESOURCE_EXHAUSTED after the pool's 300 ms. */
	w.p = p;
	pthread_create(&th, NULL, waiter_main, &w);
	CHECK(wait_for_waiters(p, 1));
	pthread_join(th, NULL);
	CHECK_ST(w.st, CRUDDUR_RESOURCE_EXHAUSTED, w.msg);
	CHECK(w.waited_us >= 290000 && w.waited_us < 2000000);
	pool_get_stats(p, &s);
	CHECK(s.waiting == 0 && s.size == 1 && s.in_use == 1);

	/* Released in time: the waiter gets it. */
	memset(&w, 0, sizeof(w));
	w.p = p;
	pthread_create(&th, NULL, waiter_main, &w);
	CHECK(wait_for_waiters(p, 1));
	sleep_ms(50);
	pool_release(p, c);
	pthread_join(th, NULL);
	CHECK_ST(w.st, CRUDDUR_OK, w.msg);
	CHECK(w.waited_us < 300000);

	/* The caller's deadline comes first: DEADLINE_EXCEEDED. */
	CHECK_ST(pool_acquire(p, 0, &c, msg, sizeof(msg)), CRUDDUR_OK, msg);
	memset(&w, 0, sizeof(w));
	w.p = p;
	w.deadline_us = pool_now_us() + 80000;
	pthread_create(&th, NULL, waiter_main, &w);
	pthread_join(th, NULL);
	CHECK_ST(w.st, CRUDDUR_DEADLINE_EXCEEDED, w.msg);
	CHECK(w.waited_us >= 70000 && w.waited_us < 290000);

	/* A deadline already past fails at once, even with a slot idle. */
	pool_release(p, c);
	CHECK_ST(pool_acquire(p, pool_now_us() - 1, &c2, msg, sizeof(msg)),
	    CRUDDUR_DEADLINE_EXCEEDED, msg);
	CHECK(c2 == NULL);
	/* A deadline later than the pool's timeout: the pool's wins. */
	CHECK_ST(pool_acquire(p, pool_now_us() + 60000000, &c, msg,
	    sizeof(msg)), CRUDDUR_OK, msg);
	CHECK_ST(pool_acquire(p, pool_now_us() + 60000000, &c2, msg,
	    sizeof(msg)), CRUDDUR_RESOURCE_EXHAUSTED, msg);
	pool_release(p, c);

	pool_get_stats(p, &s);
	CHECK(s.connects == 1 && s.size == 1 && s.idle == 1 && s.in_use == 0);
	pool_free(p);
	db_target_fini(&t);
}

/* ---- broken connections ---------------------------------------------- */

static void
test_terminated(PGconn *admin)
{
	char app[64], msg[256];
	pool_conn *c;
	pool_stats s;
	db_target t;
	pool *p;
	int pid;

	app_name(app, sizeof(app), "kill");
	target_parse(&t, base_url, app);
	p = pool_make(&t, 2, 1000);

	/* Killed while idle: found at acquire, replaced. */
	CHECK_ST(pool_acquire(p, 0, &c, msg, sizeof(msg)), CRUDDUR_OK, msg);
	CHECK(add_ok(c, 1, 2));
	pid = PQbackendPID(pool_conn_pg(c));
	pool_release(p, c);
	CHECK(terminate(admin, pid));
	CHECK_ST(pool_acquire(p, 0, &c, msg, sizeof(msg)), CRUDDUR_OK, msg);
	CHECK(PQbackendPID(pool_conn_pg(c)) != pid);
	CHECK(add_ok(c, 2, 3));   /* prepares again on the new connection */
	pool_get_stats(p, &s);
	CHECK(s.broken == 1 && s.connects == 2 && s.size == 1);

	/* Killed while in use: the statement fails UNAVAILABLE, release
	 * frees the slot, the next acquire connects. */
	pid = PQbackendPID(pool_conn_pg(c));
	CHECK(terminate(admin, pid));
	CHECK(pool_conn_exec(c, &st_add, (const char *const[]){ "1", "1", "x" },
	    &(PGresult *){ NULL }, msg, sizeof(msg)) == CRUDDUR_UNAVAILABLE);
	pool_release(p, c);
	pool_get_stats(p, &s);
	CHECK(s.broken == 2 && s.size == 0 && s.in_use == 0);
	CHECK_ST(pool_acquire(p, 0, &c, msg, sizeof(msg)), CRUDDUR_OK, msg);
	CHECK(add_ok(c, 5, 5));
	pool_release(p, c);
	pool_get_stats(p, &s);
	CHECK(s.connects == 3 && s.size == 1);

	pool_free(p);
	db_target_fini(&t);
}

/* key=value conninfo of t's options, with dbname and password replaced. */
static void
conninfo_with(const db_target *t, const char *dbname, const char *password,
    char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; t->keywords[i] != NULL; i++) {
		const char *k = t->keywords[i], *v = t->values[i];

		if (strcmp(k, "dbname") == 0 || strcmp(k, "password") == 0)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s='", k);
		for (; *v != '\0' && n + 3 < len; v++) {
			if (*v == '\'' || *v == '\\')
				buf[n++] = '\\';
			buf[n++] = *v;
		}
		n += (size_t)snprintf(buf + n, len - n, "' ");
	}
	snprintf(buf + n, len - n, "dbname='%s' password='%s'", dbname,
	    password);
}

static void
test_missing_database(void)
{
	static const char secret[] = "Sup3rSecretPw";
	char app[64], db[64], conninfo[2048], msg[512];
	db_target base, t;
	pool_conn *c = NULL;
	pool_stats s;
	pool *p;

	app_name(app, sizeof(app), "missing");
	app_name(db, sizeof(db), "no_such_db");
	target_parse(&base, base_url, app);
	conninfo_with(&base, db, secret, conninfo, sizeof(conninfo));
	target_parse(&t, conninfo, app);
	CHECK(strstr(t.masked, secret) == NULL);
	CHECK(strcmp(t.dbname, db) == 0);

	p = pool_make(&t, 2, 1000);   /* must not connect */
	pool_get_stats(p, &s);
	CHECK(s.connects == 0 && s.connect_failures == 0 && s.size == 0);
	CHECK_ST(pool_acquire(p, 0, &c, msg, sizeof(msg)), CRUDDUR_UNAVAILABLE,
	    msg);
	CHECK(c == NULL);
	CHECK(strstr(msg, "does not exist") != NULL && strstr(msg, db) != NULL);
	CHECK(strstr(msg, secret) == NULL);
	CHECK(strchr(msg, '\n') == NULL);
	pool_get_stats(p, &s);
	CHECK(s.connect_failures == 1 && s.size == 0 && s.in_use == 0);
	CHECK(s.fail_streak == 1 && s.backoff_ms >= 50 && s.backoff_ms <= 100);
	/* Backing off: refused at once, with the same reason, no connect. */
	int64_t t0 = pool_now_us();
	CHECK_ST(pool_acquire(p, 0, &c, msg, sizeof(msg)), CRUDDUR_UNAVAILABLE, msg);
	CHECK(pool_now_us() - t0 < 20000);
	CHECK(strstr(msg, "does not exist") != NULL && strstr(msg, "1 failed in a row") != NULL);
	CHECK(pool_try_acquire(p, &c) == POOL_DOWN);
	pool_get_stats(p, &s);
	CHECK(s.connect_failures == 1 && s.backoff_refusals == 1);
	/* After the wait, one connect tries again; a reset ends the backoff. */
	sleep_ms(110);
	CHECK_ST(pool_acquire(p, 0, &c, msg, sizeof(msg)), CRUDDUR_UNAVAILABLE, msg);
	pool_get_stats(p, &s);
	CHECK(s.connect_failures == 2 && s.fail_streak == 2 && s.backoff_ms >= 100);
	pool_reset(p);
	CHECK(pool_try_acquire(p, &c) == POOL_MAY_GROW);
	pool_free(p);
	db_target_fini(&t);

	/* No server at all. */
	target_parse(&t, "host=/nonexistent/pool_test port=1 dbname=x "
	    "password=Sup3rSecretPw", app);
	p = pool_make(&t, 1, 100);
	CHECK_ST(pool_acquire(p, 0, &c, msg, sizeof(msg)), CRUDDUR_UNAVAILABLE,
	    msg);
	CHECK(strstr(msg, "/nonexistent/pool_test") != NULL);
	CHECK(strstr(msg, secret) == NULL);
	pool_free(p);
	db_target_fini(&t);
	db_target_fini(&base);
}

/* The options a pooled session has: TCP keepalives and tcp_user_timeout
 * added (libpq ignores them on unix sockets, but keeps them), libpq's own
 * connect_timeout not passed (the pool bounds the connect itself). */
static void
test_session_options(void)
{
	char       app[64], msg[512];
	db_target  t;
	pool_conn *c = NULL;
	pool      *p;

	app_name(app, sizeof(app), "options");
	target_parse(&t, base_url, app);
	p = pool_make(&t, 1, 1000);
	CHECK_ST(pool_acquire(p, pool_now_us() + 5000000, &c, msg, sizeof(msg)), CRUDDUR_OK, msg);
	if (c != NULL) {
		PQconninfoOption *opts = PQconninfo(pool_conn_pg(c));
		int               found = 0;
		for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
			const char *v = o->val != NULL ? o->val : "";
			if ((strcmp(o->keyword, "keepalives") == 0 && strcmp(v, "1") == 0) ||
			    (strcmp(o->keyword, "keepalives_idle") == 0 && strcmp(v, "10") == 0) ||
			    (strcmp(o->keyword, "tcp_user_timeout") == 0 && strcmp(v, "15000") == 0))
				found++;
			if (strcmp(o->keyword, "connect_timeout") == 0)
				CHECK(v[0] == '\0');
		}
		CHECK(found == 3);
		PQconninfoFree(opts);
		pool_release(p, c);
	}
	pool_free(p);
	db_target_fini(&t);
}

/* ---- reset ----------------------------------------------------------- */

static void
test_reset(PGconn *admin)
{
	char app[64], msg[256];
	pool_conn *c[3], *held;
	pool_stats s;
	db_target t;
	pool *p;

	app_name(app, sizeof(app), "reset");
	target_parse(&t, base_url, app);
	p = pool_make(&t, 3, 1000);
	for (int i = 0; i < 3; i++)
		CHECK_ST(pool_acquire(p, 0, &c[i], msg, sizeof(msg)),
		    CRUDDUR_OK, msg);
	for (int i = 0; i < 3; i++)
		pool_release(p, c[i]);
	CHECK(sessions(admin, app) == 3);

	CHECK_ST(pool_acquire(p, 0, &held, msg, sizeof(msg)), CRUDDUR_OK,
	    msg);
	pool_reset(p);
	pool_get_stats(p, &s);
	CHECK(s.size == 1 && s.idle == 0 && s.in_use == 1);
	CHECK(sessions_settle(admin, app, 1) == 1);

	/* The held one is from before the reset: closed on release. */
	CHECK(add_ok(held, 1, 1));
	pool_release(p, held);
	pool_get_stats(p, &s);
	CHECK(s.size == 0 && s.idle == 0 && s.broken == 0);
	CHECK(sessions_settle(admin, app, 0) == 0);

	/* New connections after the reset are kept. */
	CHECK_ST(pool_acquire(p, 0, &held, msg, sizeof(msg)), CRUDDUR_OK,
	    msg);
	pool_release(p, held);
	pool_get_stats(p, &s);
	CHECK(s.size == 1 && s.idle == 1);
	CHECK(sessions(admin, app) == 1);
	pool_free(p);
	CHECK(sessions_settle(admin, app, 0) == 0);
	db_target_fini(&t);
}

/* ---- many threads ---------------------------------------------------- */

#define STRESS_THREADS 32
#define STRESS_ROUNDS 200

typedef struct stresser {
	pool *p;
	int id;
	int ok;
} stresser;

static void *
stresser_main(void *arg)
{
	stresser *s = arg;
	char msg[256];

	for (int i = 0; i < STRESS_ROUNDS; i++) {
		pool_conn *c;
		cruddur_status st;

		st = pool_acquire(s->p, 0, &c, msg, sizeof(msg));
		if (st != CRUDDUR_OK) {
			fprintf(stderr, "stress %d/%d: %d: %s\n", s->id, i,
			    (int)st, msg);
			continue;
		}
		if (add_ok(c, s->id, i))
			s->ok++;
		pool_release(s->p, c);
	}
	return NULL;
}

static void
test_stress(PGconn *admin)
{
	stresser st[STRESS_THREADS];
	pthread_t th[STRESS_THREADS];
	char app[64];
	pool_stats s;
	db_target t;
	pool *p;
	int total = 0;

	app_name(app, sizeof(app), "stress");
	target_parse(&t, base_url, app);
	p = pool_make(&t, 4, 30000);
	for (int i = 0; i < STRESS_THREADS; i++) {
		st[i] = (stresser){ p, i, 0 };
		pthread_create(&th[i], NULL, stresser_main, &st[i]);
	}
	for (int i = 0; i < STRESS_THREADS; i++) {
		pthread_join(th[i], NULL);
		total += st[i].ok;
	}
	CHECK(total == STRESS_THREADS * STRESS_ROUNDS);
	pool_get_stats(p, &s);
	CHECK(s.in_use == 0 && s.waiting == 0 && s.size <= 4 && s.size >= 1);
	CHECK(s.idle == s.size && s.connects <= 4 && s.broken == 0);
	CHECK(sessions(admin, app) == s.size);
	pool_free(p);
	db_target_fini(&t);
}

/* ---- db_error without a server answer -------------------------------- */

static void
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

static void
test_bad_config(void)
{
	db_target t;
	pool *p = (pool *)&t;

	target_parse(&t, base_url, "pool_test");
	CHECK(pool_new(&p, &(pool_config){ NULL, 0, 1, 0, 0 }) != 0);
	CHECK(p == NULL);
	CHECK(pool_new(&p, &(pool_config){ &t, 0, 0, 0, 0 }) != 0);
	CHECK(pool_new(&p, &(pool_config){ &t, 3, 2, 0, 0 }) != 0);
	CHECK(pool_new(&p, &(pool_config){ &t, 0, 2, -1, 0 }) != 0);
	CHECK(pool_new(&p, &(pool_config){ &t, 1, 2, 0, 0 }) == 0);
	pool_free(p);
	pool_free(NULL);
	db_target_fini(&t);
}

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
