/*
 * pool_sessions.c - the helpers pool_test's parts share (pool_sessions.h):
 * pools per case, and an admin libpq session that counts and terminates
 * their backends.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pool_sessions.h"

int failures;
static pthread_mutex_t failures_mtx = PTHREAD_MUTEX_INITIALIZER;
const char *base_url;

const db_statement st_add = {
	0, "pool_test_add", "SELECT $1::int + $2::int, $3::text", 3, false };

void
fail_count(void)
{
	pthread_mutex_lock(&failures_mtx);
	failures++;
	pthread_mutex_unlock(&failures_mtx);
}

void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

void
app_name(char *buf, size_t len, const char *tcase)
{
	snprintf(buf, len, "pool_test_%ld_%s", (long)getpid(), tcase);
}

void
target_parse(db_target *t, const char *url, const char *app)
{
	char err[256];

	if (db_target_parse(t, url, app, err, sizeof(err)) != 0) {
		fprintf(stderr, "cannot parse \"%s\": %s\n", url, err);
		exit(1);
	}
}

pool *
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

pool *
pool_case(const char *tcase, char *app, size_t len, db_target *t, int max, int timeout_ms)
{
	app_name(app, len, tcase);
	target_parse(t, base_url, app);
	return pool_make(t, max, timeout_ms);
}

PGconn *
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

long
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

long
sessions(PGconn *admin, const char *app)
{
	return admin_count(admin, "SELECT count(*) FROM pg_stat_activity "
	    "WHERE application_name = $1", app);
}

long
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

bool
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

bool
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

cruddur_status
run_sql(pool_conn *c, const char *sql, char *msg, size_t msglen)
{
	PGresult *r = PQexec(pool_conn_pg(c), sql);
	cruddur_status st = db_error_status(r, pool_conn_pg(c), msg, msglen);

	PQclear(r);
	return st;
}

bool
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
