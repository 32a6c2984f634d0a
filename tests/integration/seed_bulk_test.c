/*
 * seed_bulk_test.c - DbAdmin SeedBulk and `cruddur db seed --users N
 * --activities M` against the real cruddurd and the test PostgreSQL.
 *
 * Proves: 1000 users and 100,000 activities arrive in exact counts and hold
 * every constraint the data promises (messages of 20..280 characters with
 * multibyte words, a backslash and newlines surviving COPY's escaping,
 * created_at in the last 30 days, unique handles, most activities live for
 * a day) and the home feed is full afterwards; the same seed into two fresh
 * databases gives the same handles and messages; the validation and
 * precondition errors; the CLI's batching, summary line (not a terminal:
 * no progress bar), --json and its failure report; a call past its
 * deadline writes nothing. The time for 100,000
 * activities is printed, not asserted (machines differ).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_support.h"

#define DB "cruddur_seed_bulk_test"

/* A fresh, migrated database: Setup ends by migrating to the latest. */
static void
setup(cruddur_client *c)
{
	Cruddur__V1__SetupRequest   req = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse *resp = NULL;
	cruddur_call_opts           o = ts_opts(60000);

	CHECK_STATUS(cruddur_db_admin_setup(c, &req, &resp, &o), CRUDDUR_OK, &o);
	CHECK(resp != NULL && resp->n_steps > 0 &&
	    strcmp(resp->steps[resp->n_steps - 1]->name, "migrate") == 0);
	cruddur_message_free(resp);
}

static cruddur_status
seed_bulk(cruddur_client *c, int32_t users, int32_t activities, uint64_t seed,
    Cruddur__V1__SeedBulkResponse **resp, cruddur_call_opts *o)
{
	Cruddur__V1__SeedBulkRequest req = CRUDDUR__V1__SEED_BULK_REQUEST__INIT;
	req.users = users;
	req.activities = activities;
	req.random_seed = seed;
	*o = ts_opts(120000);
	return cruddur_db_admin_seed_bulk(c, &req, resp, o);
}

static void
test_invalid_arguments(cruddur_client *c)
{
	static const struct {
		int32_t     users, activities;
		const char *msg;
	} cases[] = {
		{ -1, 0, "users must be 0..1000000, got -1" },
		{ 1000001, 0, "users must be 0..1000000, got 1000001" },
		{ 0, -5, "activities must be 0..1000000, got -5" },
		{ 10, 1000001, "activities must be 0..1000000, got 1000001" },
	};
	Cruddur__V1__SeedBulkResponse *resp = NULL;
	cruddur_call_opts              o;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_STATUS(seed_bulk(c, cases[i].users, cases[i].activities, 1, &resp, &o),
		    CRUDDUR_INVALID_ARGUMENT, &o);
		CHECK(strstr(o.message, cases[i].msg) != NULL);
	}
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users") == 2); /* seed.sql's, untouched */
}

static void
test_no_users(cruddur_client *c)
{
	Cruddur__V1__SeedBulkResponse *resp = NULL;
	cruddur_call_opts              o;

	CHECK(ts_sql_long(DB, "WITH d AS (DELETE FROM users RETURNING 1) SELECT count(*) FROM d") == 2);
	CHECK_STATUS(seed_bulk(c, 0, 10, 1, &resp, &o), CRUDDUR_FAILED_PRECONDITION, &o);
	CHECK(strstr(o.message, "no users to write activities") != NULL);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities") == 0);
	/* Nothing asked: nothing done, and no error. */
	CHECK_STATUS(seed_bulk(c, 0, 0, 1, &resp, &o), CRUDDUR_OK, &o);
	CHECK(resp != NULL && resp->users_created == 0 && resp->activities_created == 0);
	cruddur_message_free(resp);
}

static void
check_constraints(void)
{
	/* Every message 20..280 characters (seed.sql's own is 30). */
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities "
	              "WHERE char_length(message) NOT BETWEEN 20 AND 280") == 0);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities WHERE char_length(message) = 280") > 0);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities WHERE char_length(message) = 20") > 0);
	/* Multibyte words are counted as characters, not bytes. */
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities "
	              "WHERE octet_length(message) > char_length(message)") > 1000);
	/* COPY's escaping: a backslash in messages and bios, newlines in bios. */
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities WHERE strpos(message, '\\o/') > 0") > 100);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities WHERE strpos(message, '\\\\') > 0") == 0);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users WHERE strpos(bio, E'\\n') > 0") > 10);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users WHERE bio LIKE 'Postgres enthusiast \\\\o/%'") > 0);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users WHERE bio = ''") > 100);
	/* Created over the last 30 days, all of them. */
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities "
	              "WHERE created_at <= now() - interval '30 days' OR created_at > now()") == 0);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities "
	              "WHERE created_at < now() - interval '29 days'") > 1000);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities "
	              "WHERE created_at > now() - interval '1 day'") > 1000);
	/* Expiry: after creation; about nine in ten live for a day or more. */
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities WHERE expires_at <= created_at") == 0);
	long long live = ts_sql_long(DB, "SELECT count(*) FROM activities "
	                         "WHERE expires_at > now() + interval '23 hours'");
	CHECK(live > 85000 && live < 97000);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities WHERE expires_at < now()") > 3000);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities WHERE reply_to_activity_uuid IS NOT NULL") == 0);
	/* Users: unique handles (ignoring case) of the allowed form. */
	CHECK(ts_sql_long(DB, "SELECT count(DISTINCT lower(handle)) FROM users") == 1002);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users WHERE handle ~ '^user_[0-9a-f]{16}$'") == 1000);
	CHECK(ts_sql_long(DB, "SELECT count(DISTINCT cognito_user_id) FROM users "
	              "WHERE cognito_user_id ~ '^seed-[0-9a-f-]{36}$'") == 1000);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users "
	              "WHERE handle LIKE 'user\\_%' AND email = handle || '@example.com'") == 1000);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users "
	              "WHERE handle LIKE 'user\\_%' AND created_at > now() - interval '30 days'") == 0);
	/* Authors drawn from all users: nearly every one wrote something. */
	CHECK(ts_sql_long(DB, "SELECT count(DISTINCT user_uuid) FROM activities") > 990);
}

static void
test_bulk(cruddur_client *c)
{
	Cruddur__V1__SeedBulkResponse *resp = NULL;
	Cruddur__V1__HomeFeedRequest   freq = CRUDDUR__V1__HOME_FEED_REQUEST__INIT;
	Cruddur__V1__HomeFeedResponse *feed = NULL;
	cruddur_call_opts              o;

	setup(c);
	double t0 = ts_now();
	CHECK_STATUS(seed_bulk(c, 1000, 100000, 42, &resp, &o), CRUDDUR_OK, &o);
	double secs = ts_now() - t0;
	CHECK(resp != NULL && resp->users_created == 1000 && resp->activities_created == 100000);
	CHECK(resp != NULL && resp->duration_us > 0 && resp->duration_us <= (int64_t)(secs * 1e6) + 1000);
	printf("seed_bulk_test: 1000 users + 100000 activities in one call: %.2f s "
	       "(server %.2f s, %.0f rows/s)\n", secs, resp ? (double)resp->duration_us / 1e6 : 0.0,
	    101000 / secs);
	cruddur_message_free(resp);

	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users") == 1002);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities") == 100001);
	check_constraints();

	o = ts_opts(10000);
	CHECK_STATUS(cruddur_activities_home_feed(c, &freq, &feed, &o), CRUDDUR_OK, &o);
	CHECK(feed != NULL && feed->n_activities == 20);
	/* seed.sql's activity (created by Setup, just now) may lead it. */
	size_t seeded = 0;
	for (size_t i = 0; feed != NULL && i < feed->n_activities; i++)
		seeded += strncmp(feed->activities[i]->handle, "user_", 5) == 0;
	CHECK(seeded >= 19);
	cruddur_message_free(feed);

	/* Activities alone go to the users already there. */
	CHECK_STATUS(seed_bulk(c, 0, 500, 43, &resp, &o), CRUDDUR_OK, &o);
	CHECK(resp != NULL && resp->users_created == 0 && resp->activities_created == 500);
	cruddur_message_free(resp);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities") == 100501);
}

/* A call that runs past its deadline stops its COPY and writes nothing. A
 * million activities take many seconds, so if the server ignored the
 * deadline its COPY would still be running when looked for. */
static void
test_deadline(cruddur_client *c)
{
	Cruddur__V1__SeedBulkRequest   req = CRUDDUR__V1__SEED_BULK_REQUEST__INIT;
	Cruddur__V1__SeedBulkResponse *resp = NULL;
	cruddur_call_opts              o = ts_opts(300);

	req.activities = 1000000;
	CHECK_STATUS(cruddur_db_admin_seed_bulk(c, &req, &resp, &o), CRUDDUR_DEADLINE_EXCEEDED, &o);
	usleep(1500 * 1000);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM pg_stat_activity "
	              "WHERE datname = current_database() AND state = 'active' AND query LIKE 'COPY public.%'") == 0);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities") == 100501);
}

/* A fingerprint of what seed `seed` wrote into a fresh database. */
static void
seeded_fingerprint(cruddur_client *c, uint64_t seed, char *out, size_t len)
{
	Cruddur__V1__SeedBulkResponse *resp = NULL;
	cruddur_call_opts              o;

	setup(c);
	CHECK_STATUS(seed_bulk(c, 300, 2000, seed, &resp, &o), CRUDDUR_OK, &o);
	cruddur_message_free(resp);
	CHECK(ts_psql(DB, "SELECT md5(string_agg(handle || display_name || bio, ',' ORDER BY handle)) || "
	                  "md5((SELECT string_agg(message, ',' ORDER BY message) FROM activities)) "
	                  "FROM users WHERE handle LIKE 'user\\_%'",
	          out, len) == 0);
	CHECK(strlen(out) == 64);
}

static void
test_same_seed_same_data(cruddur_client *c)
{
	char a[256], b[256], other[256];
	Cruddur__V1__SeedBulkResponse *resp = NULL;
	cruddur_call_opts              o;

	seeded_fingerprint(c, 7, a, sizeof(a));
	/* The same seed again into the same database: the handles are taken. */
	CHECK_STATUS(seed_bulk(c, 10, 0, 7, &resp, &o), CRUDDUR_ALREADY_EXISTS, &o);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users") == 302);
	/* Seed 0: one is picked per call, so two calls never collide. */
	CHECK_STATUS(seed_bulk(c, 100, 0, 0, &resp, &o), CRUDDUR_OK, &o);
	cruddur_message_free(resp);
	CHECK_STATUS(seed_bulk(c, 100, 0, 0, &resp, &o), CRUDDUR_OK, &o);
	cruddur_message_free(resp);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users") == 502);

	seeded_fingerprint(c, 7, b, sizeof(b));
	CHECK_STREQ(b, a);
	seeded_fingerprint(c, 8, other, sizeof(other));
	CHECK(strcmp(other, a) != 0);
	CHECK(strncmp(other, a, 32) != 0 && strncmp(other + 32, a + 32, 32) != 0);
}

/* Runs the CLI against s; stdout into out, stderr into err. Returns the
 * exit status. */
static int
cli_run(const ts_server *s, const char *args, char *out, size_t outlen, char *err, size_t errlen)
{
	char  cmd[2048], errfile[] = "/tmp/seed_bulk_test_XXXXXX";
	int   fd = mkstemp(errfile);
	FILE *p;

	if (fd < 0)
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd), "'%s/cruddur' --server '%s' %s 2>'%s'", getenv("CRUDDUR_BIN_DIR"),
	    s->url, args, errfile);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	size_t n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	FILE *e = fopen(errfile, "r");
	n = e != NULL ? fread(err, 1, errlen - 1, e) : 0;
	err[n] = '\0';
	if (e != NULL)
		fclose(e);
	unlink(errfile);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_cli(const ts_server *s, cruddur_client *c)
{
	char      out[1024], err[1024], tail[64];
	long long u, a;
	double    secs, rate;

	setup(c);
	CHECK(cli_run(s, "db seed --users 10 --activities 100", out, sizeof(out), err, sizeof(err)) == 0);
	CHECK(sscanf(out, "seeded %lld users and %lld activities in %lf s (%lf rows/s%63s", &u, &a,
	          &secs, &rate, tail) == 5);
	CHECK(u == 10 && a == 100 && secs >= 0 && rate > 0 && strcmp(tail, ")") == 0);
	CHECK(strchr(out, '\n') == out + strlen(out) - 1); /* one line */
	CHECK_STREQ(err, "");                               /* no bar when not a terminal */
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users") == 12);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities") == 101);

	/* Batches: 25 users in calls of 10, 10 and 5. */
	CHECK(cli_run(s, "--json db seed --users 25 --activities 7 --batch 10 --seed 99", out,
	          sizeof(out), err, sizeof(err)) == 0);
	CHECK(strstr(out, "\"users_created\":\"25\"") != NULL); /* int64: a string */
	CHECK(strstr(out, "\"activities_created\":\"7\"") != NULL && strstr(out, "\"duration_us\":") != NULL);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users") == 37);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM activities") == 108);

	/* Usage errors: exit 2, nothing called. */
	CHECK(cli_run(s, "db seed --users 10 --batch 0", out, sizeof(out), err, sizeof(err)) == 2);
	CHECK(strstr(err, "--batch") != NULL);
	CHECK(cli_run(s, "db seed --users -3", out, sizeof(out), err, sizeof(err)) == 2);
	CHECK(cli_run(s, "db seed --seed 5", out, sizeof(out), err, sizeof(err)) == 2);
	CHECK(cli_run(s, "db seed --users 1 --frobnicate", out, sizeof(out), err, sizeof(err)) == 2);

	/* A failed batch: what was done so far, then the error; exit 1. Batch
	 * k runs with seed mix(S + k * 0x9e3779b97f4a7c15) (cmd_db_seed_bulk.c),
	 * so with S = 99 - 0x9e3779b97f4a7c15 the second batch repeats the first
	 * batch of the --seed 99 run above, whose handles are taken. */
	CHECK(cli_run(s, "db seed --users 25 --batch 10 --seed 7046029254386353230", out,
	          sizeof(out), err, sizeof(err)) == 1);
	CHECK_STREQ(out, "");
	CHECK(strstr(err, "cruddur: db seed: stopped after 10 users and 0 activities in ") != NULL);
	CHECK(strstr(err, "cruddur: db seed: ALREADY_EXISTS: 23505") != NULL);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM users") == 47);
	CHECK(ts_sql_long(DB, "WITH d AS (DELETE FROM users RETURNING 1) SELECT count(*) FROM d") == 47);
	CHECK(cli_run(s, "db seed --users 0 --activities 5", out, sizeof(out), err, sizeof(err)) == 1);
	CHECK(strstr(err, "FAILED_PRECONDITION: no users to write activities") != NULL);
}

int
main(void)
{
	ts_server s;

	ts_require_pg();
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, NULL, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	setup(c);
	test_invalid_arguments(c);
	test_no_users(c);
	test_bulk(c);
	test_deadline(c);
	test_same_seed_same_data(c);
	test_cli(&s, c);
	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	return ts_finish("seed_bulk_test");
}
