/*
 * explain_test.c - the activity queries use their indexes on 100k rows.
 *
 * After Setup (and migrations), ~1000 users and 100k activities (90k
 * top-level over ten days, some expired, and 10k replies) are generated
 * with INSERT ... SELECT generate_series, then ANALYZE. Each query is read
 * from sql/queries/NAME.sql as the server compiles it in, prepared in one
 * session (PREPARE q AS <text>) and explained with realistic parameters:
 * once as the custom plan of a first execution, once under
 * plan_cache_mode = force_generic_plan, the plan a pooled connection's
 * prepared statement switches to after five runs. Each plan must scan the
 * intended index of activities, never the whole table, and (for the feed
 * and profile pages) take its order from the index instead of sorting.
 */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "test_support.h"

#define DB "cruddur_explain_test"

/* Runs sql (one or more statements); the last result's rows, one per line,
 * into out. */
static bool
run(PGconn *pg, const char *sql, char *out, size_t len)
{
	PGresult *res = PQexec(pg, sql);
	bool      ok = PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK;
	size_t    o = 0;

	if (!ok)
		fprintf(stderr, "%s\n--- failed: %s", sql, PQerrorMessage(pg));
	if (out != NULL) {
		out[0] = '\0';
		for (int i = 0; ok && i < PQntuples(res); i++)
			o += (size_t)snprintf(out + o, o < len ? len - o : 0, "%s\n", PQgetvalue(res, i, 0));
	}
	PQclear(res);
	return ok;
}

/* Setup, Migrate (by hand with psql when the server has none yet). */
static void
db_ready(cruddur_client *c, PGconn **pg)
{
	Cruddur__V1__SetupRequest     sreq = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse   *sresp = NULL;
	Cruddur__V1__MigrateRequest   mreq = CRUDDUR__V1__MIGRATE_REQUEST__INIT;
	Cruddur__V1__MigrateResponse *mresp = NULL;
	cruddur_call_opts             o = ts_opts(60000);
	char                          cmd[2048], url[512];

	CHECK_STATUS(cruddur_db_admin_setup(c, &sreq, &sresp, &o), CRUDDUR_OK, &o);
	cruddur_message_free(sresp);
	cruddur_status st = cruddur_db_admin_migrate(c, &mreq, &mresp, &o);
	cruddur_message_free(mresp);
	ts_pg_url(DB, url, sizeof(url));
	if (st == CRUDDUR_UNIMPLEMENTED) {
		snprintf(cmd, sizeof(cmd),
		    "for f in '%s'/sql/migrations/*.up.sql; do "
		    "psql -X -q -1 -v ON_ERROR_STOP=1 '%s' -f \"$f\" || exit 1; done",
		    getenv("CRUDDUR_SOURCE_DIR"), url);
		CHECK(system(cmd) == 0);
	} else {
		CHECK_STATUS(st, CRUDDUR_OK, &o);
	}
	*pg = PQconnectdb(url);
	CHECK(PQstatus(*pg) == CONNECTION_OK);
}

static const char GENERATE_SQL[] =
    "INSERT INTO users (display_name, handle, email, cognito_user_id) "
    "SELECT 'User ' || g, 'user_' || g, 'user' || g || '@example.com', 'cognito-' || g "
    "FROM generate_series(1, 1000) g;\n"
    /* 90k top-level activities, one every 10 s back from now, round robin
     * over the users; one in twenty expired. */
    "INSERT INTO activities (user_uuid, message, created_at, expires_at) "
    "SELECT u.uuid, 'activity ' || g || ' ' || repeat('x', g % 200), "
    "  now() - g * interval '10 seconds', "
    "  now() - g * interval '10 seconds' + CASE WHEN g % 20 = 0 THEN interval '1 second' "
    "    ELSE interval '30 days' END "
    "FROM generate_series(1, 90000) g "
    "JOIN (SELECT uuid, row_number() OVER (ORDER BY handle) - 1 AS n FROM users) u "
    "  ON u.n = g % 1000;\n"
    /* 10k replies: five each to the 2000 newest activities. */
    "INSERT INTO activities (user_uuid, message, reply_to_activity_uuid, created_at, expires_at) "
    "SELECT p.user_uuid, 'reply ' || r, p.uuid, p.created_at + r * interval '1 second', p.expires_at "
    "FROM (SELECT * FROM activities ORDER BY created_at DESC LIMIT 2000) p, "
    "  generate_series(1, 5) r;\n"
    "ANALYZE;";

/* The text of sql/queries/NAME.sql, malloc'd. */
static char *
query_text(const char *name)
{
	char  path[1024];
	FILE *f;
	long  n;
	char *text;

	snprintf(path, sizeof(path), "%s/sql/queries/%s.sql", getenv("CRUDDUR_SOURCE_DIR"), name);
	if ((f = fopen(path, "r")) == NULL) {
		ts_fail(__FILE__, __LINE__, "cannot open %s", path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = malloc((size_t)n + 1);
	if (text != NULL) {
		text[fread(text, 1, (size_t)n, f)] = '\0';
		/* PREPARE takes one statement: no trailing semicolon. */
		char *semi = strrchr(text, ';');
		if (semi != NULL && strspn(semi + 1, " \t\n") == strlen(semi + 1))
			*semi = '\0';
	}
	fclose(f);
	return text;
}

/* Explains query NAME with args, custom and generic; both plans must
 * mention index and not scan activities whole (nor sort, if sorted). */
static void
check_plan(PGconn *pg, const char *name, const char *args, const char *index, bool ordered)
{
	static char plan[16384];
	char       *text = query_text(name);
	char        explain[1024];
	const char *modes[2] = { "auto", "force_generic_plan" };

	if (text == NULL)
		return;
	size_t len = strlen(text) + 64;
	char  *prepare = malloc(len);
	snprintf(prepare, len, "DEALLOCATE ALL; PREPARE q AS %s", text);
	CHECK(run(pg, prepare, NULL, 0));
	for (int m = 0; m < 2; m++) {
		snprintf(explain, sizeof(explain), "SET plan_cache_mode = %s; EXPLAIN EXECUTE q(%s)",
		    modes[m], args);
		CHECK(run(pg, explain, plan, sizeof(plan)));
		printf("--- %s (%s) ---\n%s", name, modes[m], plan);
		bool good = strstr(plan, index) != NULL && strstr(plan, "Seq Scan on activities") == NULL &&
		    (!ordered || strstr(plan, "Sort") == NULL);
		if (!good)
			ts_fail(__FILE__, __LINE__, "%s (%s): want %s%s, no Seq Scan on activities",
			    name, modes[m], index, ordered ? ", no Sort" : "");
		/* The generic plan really is generic: parameters, not values. */
		if (m == 1)
			CHECK(strstr(plan, "$1") != NULL);
	}
	run(pg, "RESET plan_cache_mode; DEALLOCATE ALL", NULL, 0);
	free(prepare);
	free(text);
}

static void
test_plans(PGconn *pg)
{
	char out[4096], uuid[64], parent[64], middle_us[64], middle_uuid[64], args[512];

	CHECK(run(pg, GENERATE_SQL, NULL, 0));
	CHECK(run(pg, "SELECT count(*) FROM activities", out, sizeof(out)));
	CHECK(atol(out) >= 100000);

	/* Feed: the first page (the sentinel) and one from the middle. */
	check_plan(pg, "home_feed",
	    "253402300799999999, 'ffffffff-ffff-ffff-ffff-ffffffffffff', 21",
	    "activities_feed_idx", true);
	CHECK(run(pg, "SELECT (extract(epoch FROM created_at) * 1000000)::bigint FROM activities "
	              "WHERE message LIKE 'activity 45000 %'", middle_us, sizeof(middle_us)));
	CHECK(run(pg, "SELECT uuid FROM activities WHERE message LIKE 'activity 45000 %'",
	          middle_uuid, sizeof(middle_uuid)));
	middle_us[strcspn(middle_us, "\n")] = '\0';
	middle_uuid[strcspn(middle_uuid, "\n")] = '\0';
	snprintf(args, sizeof(args), "%s, '%s', 38", middle_us, middle_uuid);
	check_plan(pg, "home_feed", args, "activities_feed_idx", true);

	/* Profile: one user's newest. */
	CHECK(run(pg, "SELECT uuid FROM users WHERE handle = 'user_500'", uuid, sizeof(uuid)));
	uuid[strcspn(uuid, "\n")] = '\0';
	snprintf(args, sizeof(args),
	    "'%s', 253402300799999999, 'ffffffff-ffff-ffff-ffff-ffffffffffff', 21", uuid);
	check_plan(pg, "user_activities", args, "activities_user_created_idx", true);
	snprintf(args, sizeof(args), "'%s', %s, '%s', 21", uuid, middle_us, middle_uuid);
	check_plan(pg, "user_activities", args, "activities_user_created_idx", true);

	/* Show: an activity with replies, and its replies. */
	CHECK(run(pg, "SELECT reply_to_activity_uuid FROM activities "
	              "WHERE reply_to_activity_uuid IS NOT NULL LIMIT 1", parent, sizeof(parent)));
	parent[strcspn(parent, "\n")] = '\0';
	snprintf(args, sizeof(args), "'%s'", parent);
	check_plan(pg, "activity_show", args, "activities_pkey", false);
	/* A handful of replies: sorting them is cheaper than an ordered
	 * scan, and the planner may do either; the index finds them. */
	check_plan(pg, "activity_replies", args, "activities_replies_idx", false);

	/* A retried write finds its row by key. */
	snprintf(args, sizeof(args), "'%s', 'some-key'", uuid);
	check_plan(pg, "activity_by_idempotency_key", args, "activities_idempotency_key", false);
}

int
main(void)
{
	ts_server s;
	PGconn   *pg = NULL;

	ts_require_pg();
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, NULL, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	db_ready(c, &pg);
	if (PQstatus(pg) == CONNECTION_OK)
		test_plans(pg);
	PQfinish(pg);
	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	return ts_finish("explain_test");
}
