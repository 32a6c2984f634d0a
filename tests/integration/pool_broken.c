/*
 * pool_broken.c - pool_test's part on connections that go wrong: a backend
 * terminated while idle (found at acquire, replaced) or in use (the
 * statement is UNAVAILABLE, release frees the slot); a database that does
 * not exist or no server at all (UNAVAILABLE without the password, then a
 * backoff that refuses at once); the options a pooled session has; and
 * pool_reset closing idle connections now and held ones on release.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdint.h>
#include <string.h>

#include "pool_sessions.h"

/* ---- broken connections ---------------------------------------------- */

void
test_terminated(PGconn *admin)
{
	char app[64], msg[256];
	pool_conn *c;
	pool_stats s;
	db_target t;
	pool *p;
	int pid;

	p = pool_case("kill", app, sizeof(app), &t, 2, 1000);

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

void
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
void
test_session_options(void)
{
	char       app[64], msg[512];
	db_target  t;
	pool_conn *c = NULL;
	pool      *p;

	p = pool_case("options", app, sizeof(app), &t, 1, 1000);
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

void
test_reset(PGconn *admin)
{
	char app[64], msg[256];
	pool_conn *c[3], *held;
	pool_stats s;
	db_target t;
	pool *p;

	p = pool_case("reset", app, sizeof(app), &t, 3, 1000);
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
