/*
 * pg_down_at_start_test.c - the server starts while its database is not
 * there, and serves it when it appears, without a restart.
 *
 * Two cases:
 *   1. PostgreSQL itself is down (private cluster, stopped): the server
 *      starts, Health "" is NOT_SERVING, HomeFeed is UNAVAILABLE, Health of
 *      cruddur.v1.Health and DbAdmin stay SERVING; after `pg_ctl start`
 *      Health "" turns SERVING (the time is printed) and HomeFeed works.
 *   2. PostgreSQL runs but the database does not exist yet: NOT_SERVING
 *      until DbAdmin/Setup creates it, SERVING at once after.
 */
#include <string.h>

#include "faults.h"

#define DB "cruddur_fault_down"
#define SERVING_LIMIT_S 2.0

/* Polls Health "" until SERVING: seconds from t0, or -1 after limit_s. */
static double
serving_after(cruddur_client *c, double t0, double limit_s)
{
	cruddur_call_opts o;
	bool              serving;

	while (ts_now() < t0 + limit_s) {
		if (fs_health(c, "", 1500, &serving, &o) == CRUDDUR_OK && serving)
			return ts_now() - t0;
		fs_sleep_ms(10);
	}
	return -1;
}

static void
check_not_serving(cruddur_client *c, const char *why, const char *want_detail)
{
	cruddur_call_opts o;
	bool              serving = true;

	double t0 = ts_now();
	CHECK_STATUS(fs_health(c, "", 5000, &serving, &o), CRUDDUR_OK, &o);
	CHECK(!serving);
	CHECK(ts_now() - t0 < 2.0); /* the health probe has a 1 s budget */
	CHECK(strstr(o.message, want_detail) != NULL);
	printf("%s: Health \"\" NOT_SERVING in %.0f ms: %s\n", why, (ts_now() - t0) * 1000, o.message);
	CHECK_STATUS(fs_health(c, "cruddur.v1.Activities", 5000, &serving, &o), CRUDDUR_OK, &o);
	CHECK(!serving);
	CHECK_STATUS(fs_health(c, "cruddur.v1.Health", 5000, &serving, &o), CRUDDUR_OK, &o);
	CHECK(serving);
	CHECK_STATUS(fs_health(c, "cruddur.v1.DbAdmin", 5000, &serving, &o), CRUDDUR_OK, &o);
	CHECK(serving);
	cruddur_status st = fs_home_feed(c, 3000, true, &o);
	CHECK_STATUS(st, CRUDDUR_UNAVAILABLE, &o);
	printf("%s: HomeFeed %s: %s\n", why, cruddur_status_name(st), o.message);
}

/* Case 1: the whole PostgreSQL is down when cruddurd starts. */
static void
postgres_down(void)
{
	fs_cluster        pg = { "" };
	ts_server         s;
	cruddur_call_opts o;
	char              url[256], out[64];

	if (fs_cluster_start(&pg) != 0) {
		CHECK(!"private cluster started");
		return;
	}
	/* The database exists; then PostgreSQL goes away. */
	PGconn *admin = fs_pg_connect(fs_cluster_url(&pg, "postgres", url, sizeof(url)));
	CHECK(admin != NULL && fs_pg_value(admin, "CREATE DATABASE " DB, out, sizeof(out)) == 0);
	PQfinish(admin);
	CHECK(fs_cluster_ctl(&pg, "stop-fast") == 0);

	if (fs_cluster_server_start(&s, &pg, DB, NULL) != 0) {
		CHECK(!"cruddurd starts without its database");
		fs_cluster_remove(&pg);
		return;
	}
	cruddur_client *c = ts_client(&s);
	check_not_serving(c, "PostgreSQL down", "cannot connect to database");

	CHECK(fs_cluster_ctl(&pg, "start") == 0);
	double took = serving_after(c, ts_now(), 10);
	printf("PostgreSQL down: Health \"\" SERVING %.0f ms after pg_ctl start returned\n", took * 1000);
	CHECK(took >= 0 && took < SERVING_LIMIT_S);
	CHECK_STATUS(fs_setup(c, &o), CRUDDUR_OK, &o);
	CHECK_STATUS(fs_home_feed(c, 5000, false, &o), CRUDDUR_OK, &o);

	cruddur_client_close(c);
	fs_server_finish(&s);
	fs_cluster_remove(&pg);
}

/* Case 2: PostgreSQL runs, the database is missing (the shared cluster). */
static void
database_missing(void)
{
	ts_server         s;
	cruddur_call_opts o;
	char              out[64];

	ts_psql("postgres", "DROP DATABASE IF EXISTS " DB "_missing WITH (FORCE)", out, sizeof(out));
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB "_missing", NULL, NULL) != 0) {
		CHECK(!"cruddurd starts without its database");
		return;
	}
	cruddur_client *c = ts_client(&s);
	check_not_serving(c, "database missing", "does not exist");

	double t0 = ts_now();
	CHECK_STATUS(fs_setup(c, &o), CRUDDUR_OK, &o);
	double took = serving_after(c, ts_now(), 10);
	printf("database missing: Setup took %.0f ms; Health \"\" SERVING %.0f ms after it\n",
	    (ts_now() - t0 - took) * 1000, took * 1000);
	CHECK(took >= 0 && took < SERVING_LIMIT_S);
	CHECK_STATUS(fs_home_feed(c, 5000, false, &o), CRUDDUR_OK, &o);

	cruddur_client_close(c);
	fs_server_finish(&s);
	ts_psql("postgres", "DROP DATABASE IF EXISTS " DB "_missing WITH (FORCE)", out, sizeof(out));
}

int
main(void)
{
	alarm(280);
	ts_require_pg(); /* case 2 needs the shared cluster */
	postgres_down();
	database_missing();
	return ts_finish("pg_down_at_start_test");
}
