/*
 * migrations_test.c - Migrate, Rollback, MigrationStatus and KillSessions
 * against the real cruddurd and PostgreSQL.
 *
 * Proves: Setup ends at the latest version; rollback undoes the latest
 * migration first and refuses more steps than are applied without doing
 * anything; rolling everything back gives exactly the schema.sql baseline
 * and migrating again exactly the migrated schema (pg_dump --schema-only
 * compared as text); to_version; a migration that fails leaves the database
 * at the last good version with a message naming file, line and statement;
 * bad migration directories are refused; an applied version whose files are
 * gone is listed and blocks Migrate and Rollback; two concurrent Migrate
 * calls apply each migration once; KillSessions ends another session.
 *
 * The failure cases use a second cruddurd on the same database with
 * --sql-dir pointing at a copy of sql/ that the test edits.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "test_support.h"

#define DB   "cruddur_migrations_test"
#define BASE "cruddur_migrations_base"
#define LATEST 6

/* --- calls --------------------------------------------------------------- */

static cruddur_status
migrate(cruddur_client *c, int32_t to, Cruddur__V1__MigrateResponse **resp, cruddur_call_opts *o)
{
	Cruddur__V1__MigrateRequest req = CRUDDUR__V1__MIGRATE_REQUEST__INIT;
	req.to_version = to;
	*resp = NULL;
	*o = ts_opts(30000);
	return cruddur_db_admin_migrate(c, &req, resp, o);
}

static cruddur_status
rollback(cruddur_client *c, int32_t steps, Cruddur__V1__RollbackResponse **resp,
    cruddur_call_opts *o)
{
	Cruddur__V1__RollbackRequest req = CRUDDUR__V1__ROLLBACK_REQUEST__INIT;
	req.steps = steps;
	*resp = NULL;
	*o = ts_opts(30000);
	return cruddur_db_admin_rollback(c, &req, resp, o);
}

static cruddur_status
status(cruddur_client *c, Cruddur__V1__MigrationStatusResponse **resp, cruddur_call_opts *o)
{
	Cruddur__V1__MigrationStatusRequest req = CRUDDUR__V1__MIGRATION_STATUS_REQUEST__INIT;
	*resp = NULL;
	*o = ts_opts(10000);
	return cruddur_db_admin_migration_status(c, &req, resp, o);
}

/* The version MigrationStatus reports, or -1. */
static int
version_of(cruddur_client *c)
{
	Cruddur__V1__MigrationStatusResponse *resp;
	cruddur_call_opts                     o;
	CHECK_STATUS(status(c, &resp, &o), CRUDDUR_OK, &o);
	int v = resp != NULL ? resp->version : -1;
	cruddur_message_free(resp);
	return v;
}

/* pg_dump --schema-only of dbname, without comments and pg_dump's random
 * \restrict keys; malloc'd. */
static char *
schema_dump(const char *dbname, bool with_migrations_table)
{
	char   url[512], cmd[1024], line[4096];
	size_t len = 0, cap = 1 << 16;
	char  *out = calloc(1, cap);
	FILE  *p;

	snprintf(cmd, sizeof(cmd), "pg_dump --schema-only --no-owner %s '%s'",
	    with_migrations_table ? "" : "--exclude-table=public.schema_migrations",
	    ts_pg_url(dbname, url, sizeof(url)));
	CHECK((p = popen(cmd, "r")) != NULL);
	while (p != NULL && out != NULL && fgets(line, sizeof(line), p) != NULL) {
		if (strncmp(line, "--", 2) == 0 || line[0] == '\n' || strncmp(line, "\\restrict", 9) == 0 ||
		    strncmp(line, "\\unrestrict", 11) == 0)
			continue;
		size_t n = strlen(line);
		if (len + n + 1 > cap && (out = realloc(out, cap = (len + n + 1) * 2)) == NULL)
			break;
		memcpy(out + len, line, n + 1);
		len += n;
	}
	CHECK(p != NULL && pclose(p) == 0);
	CHECK(out != NULL && strstr(out, "CREATE TABLE public.users") != NULL);
	return out;
}

/* --- tests --------------------------------------------------------------- */

static void
test_setup_migrates(cruddur_client *c)
{
	Cruddur__V1__SetupRequest             req = CRUDDUR__V1__SETUP_REQUEST__INIT;
	Cruddur__V1__SetupResponse           *resp = NULL;
	Cruddur__V1__MigrationStatusResponse *st;
	cruddur_call_opts                     o = ts_opts(30000);

	CHECK_STATUS(cruddur_db_admin_setup(c, &req, &resp, &o), CRUDDUR_OK, &o);
	CHECK(resp != NULL && resp->n_steps == 5);
	if (resp != NULL && resp->n_steps == 5) {
		CHECK_STREQ(resp->steps[4]->name, "migrate");
		CHECK_STREQ(resp->steps[4]->detail, "migrated to version 6 (6 applied)");
	}
	cruddur_message_free(resp);

	CHECK_STATUS(status(c, &st, &o), CRUDDUR_OK, &o);
	CHECK(st != NULL && st->version == LATEST && st->n_migrations == LATEST);
	const char *names[] = { "users_bio", "users_constraints", "activities_query_indexes",
		"activities_idempotency_key", "activities_message_length", "feed_notify_triggers" };
	for (size_t i = 0; st != NULL && i < st->n_migrations && i < LATEST; i++) {
		CHECK(st->migrations[i]->version == (int32_t)i + 1);
		CHECK_STREQ(st->migrations[i]->name, names[i]);
		CHECK(st->migrations[i]->applied && st->migrations[i]->applied_at_us > 1600000000000000);
	}
	cruddur_message_free(st);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM schema_migrations") == LATEST);
}

static void
test_round_trip(cruddur_client *c)
{
	Cruddur__V1__RollbackResponse        *rb;
	Cruddur__V1__MigrateResponse         *mg;
	Cruddur__V1__MigrationStatusResponse *st;
	cruddur_call_opts                     o;
	char                                  out[256];
	char                                 *migrated = schema_dump(DB, true);

	/* More steps than applied: refused, nothing done. */
	CHECK_STATUS(rollback(c, LATEST + 1, &rb, &o), CRUDDUR_INVALID_ARGUMENT, &o);
	CHECK_MSG(&o, "cannot roll back 7 migrations: 6 are applied; the database is at version 6");
	CHECK(version_of(c) == LATEST);
	CHECK_STATUS(rollback(c, -1, &rb, &o), CRUDDUR_INVALID_ARGUMENT, &o);
	CHECK_MSG(&o, "steps must be 1 or more");

	/* The default is one step: the latest. */
	CHECK_STATUS(rollback(c, 0, &rb, &o), CRUDDUR_OK, &o);
	CHECK(rb != NULL && rb->n_rolled_back == 1 && rb->version == 5);
	if (rb != NULL && rb->n_rolled_back == 1) {
		CHECK(rb->rolled_back[0]->version == 6);
		CHECK_STREQ(rb->rolled_back[0]->direction, "down");
	}
	cruddur_message_free(rb);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM pg_trigger WHERE tgname = 'activities_feed_notify'") == 0);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM pg_proc WHERE proname = 'cruddur_feed_notify'") == 0);
	CHECK_STATUS(status(c, &st, &o), CRUDDUR_OK, &o);
	CHECK(st != NULL && st->version == 5 && st->n_migrations == LATEST);
	if (st != NULL && st->n_migrations == LATEST) {
		CHECK(st->migrations[4]->applied);
		CHECK(!st->migrations[5]->applied && st->migrations[5]->applied_at_us == 0);
	}
	cruddur_message_free(st);

	/* The rest, newest first, down to the baseline. */
	CHECK_STATUS(rollback(c, 5, &rb, &o), CRUDDUR_OK, &o);
	CHECK(rb != NULL && rb->n_rolled_back == 5 && rb->version == 0);
	for (size_t i = 0; rb != NULL && i < rb->n_rolled_back; i++)
		CHECK(rb->rolled_back[i]->version == 5 - (int32_t)i);
	cruddur_message_free(rb);
	CHECK_STATUS(rollback(c, 1, &rb, &o), CRUDDUR_INVALID_ARGUMENT, &o);
	CHECK_MSG(&o, "0 are applied");

	/* Rolled back all the way == schema.sql alone. */
	CHECK(ts_psql("postgres", "DROP DATABASE IF EXISTS " BASE, out, sizeof(out)) == 0);
	CHECK(ts_psql("postgres", "CREATE DATABASE " BASE, out, sizeof(out)) == 0);
	char cmd[1024], url[512];
	snprintf(cmd, sizeof(cmd), "psql -X -q -1 -v ON_ERROR_STOP=1 '%s' -f '%s/sql/schema.sql'",
	    ts_pg_url(BASE, url, sizeof(url)), getenv("CRUDDUR_SOURCE_DIR"));
	CHECK(system(cmd) == 0);
	char *base = schema_dump(BASE, false), *bottom = schema_dump(DB, false);
	CHECK(strcmp(base, bottom) == 0);
	CHECK(strstr(bottom, "activities_created_at_idx") != NULL);
	CHECK(strstr(bottom, "bio") == NULL);
	free(base);
	free(bottom);
	CHECK(ts_psql("postgres", "DROP DATABASE " BASE, out, sizeof(out)) == 0);

	/* Up again, in two goes. */
	CHECK_STATUS(migrate(c, 3, &mg, &o), CRUDDUR_OK, &o);
	CHECK(mg != NULL && mg->n_applied == 3 && mg->version == 3);
	for (size_t i = 0; mg != NULL && i < mg->n_applied; i++) {
		CHECK(mg->applied[i]->version == (int32_t)i + 1);
		CHECK_STREQ(mg->applied[i]->direction, "up");
	}
	cruddur_message_free(mg);
	CHECK_STATUS(migrate(c, 2, &mg, &o), CRUDDUR_FAILED_PRECONDITION, &o);
	CHECK_MSG(&o, "to_version 2 is below the current version: going down is Rollback's");
	CHECK_STATUS(migrate(c, 9, &mg, &o), CRUDDUR_INVALID_ARGUMENT, &o);
	CHECK_MSG(&o, "unknown migration version 9");
	CHECK_STATUS(migrate(c, -2, &mg, &o), CRUDDUR_INVALID_ARGUMENT, &o);
	CHECK_MSG(&o, "to_version must be 0");
	CHECK(version_of(c) == 3);
	CHECK_STATUS(migrate(c, 0, &mg, &o), CRUDDUR_OK, &o);
	CHECK(mg != NULL && mg->n_applied == 3 && mg->version == LATEST);
	if (mg != NULL && mg->n_applied == 3)
		CHECK(mg->applied[0]->version == 4 && mg->applied[1]->version == 5 &&
		    mg->applied[2]->version == 6);
	cruddur_message_free(mg);
	CHECK_STATUS(migrate(c, 0, &mg, &o), CRUDDUR_OK, &o);
	CHECK(mg != NULL && mg->n_applied == 0 && mg->version == LATEST);
	cruddur_message_free(mg);

	char *again = schema_dump(DB, true);
	CHECK(strcmp(migrated, again) == 0);
	CHECK(strstr(again, "activities_feed_idx") != NULL);
	free(again);
	free(migrated);
}

/* --- a copy of sql/ to break ---------------------------------------------- */

static char sql_copy[64];

static void
write_file(const char *name, const char *text)
{
	char  path[256];
	FILE *f;
	snprintf(path, sizeof(path), "%s/migrations/%s", sql_copy, name);
	CHECK((f = fopen(path, "w")) != NULL);
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static void
remove_file(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/migrations/%s", sql_copy, name);
	CHECK(unlink(path) == 0);
}

/* A migration that fails leaves the database where it was. */
static void
check_failure(cruddur_client *c2, const char *status_sub, const char *where)
{
	Cruddur__V1__MigrateResponse *mg;
	cruddur_call_opts             o;

	CHECK_STATUS(migrate(c2, 0, &mg, &o), CRUDDUR_FAILED_PRECONDITION, &o);
	CHECK_MSG(&o, where);
	CHECK_MSG(&o, status_sub);
	CHECK_MSG(&o, "; the database is at version 6");
	CHECK(ts_sql_long(DB, "SELECT max(version) FROM schema_migrations") == LATEST);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM schema_migrations") == LATEST);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'nickname'") == 0);
}

static void
test_failures(cruddur_client *c2)
{
	Cruddur__V1__MigrationStatusResponse *st;
	Cruddur__V1__MigrateResponse         *mg;
	Cruddur__V1__RollbackResponse        *rb;
	cruddur_call_opts                     o;

	/* A statement error with a position: the line of the bad column. */
	write_file("0007_broken.down.sql", "ALTER TABLE public.users DROP COLUMN nickname;\n");
	write_file("0007_broken.up.sql",
	    "-- adds a nickname\n"
	    "ALTER TABLE public.users ADD COLUMN nickname text;\n"
	    "UPDATE public.users\n"
	    "   SET nickname = no_such_column;\n");
	check_failure(c2, "42703: column \"no_such_column\" does not exist: "
	    "UPDATE public.users SET nickname = no_such_column",
	    "0007_broken.up.sql line 4, statement 2: ");
	CHECK_STATUS(status(c2, &st, &o), CRUDDUR_OK, &o);
	CHECK(st != NULL && st->version == LATEST && st->n_migrations == 7);
	if (st != NULL && st->n_migrations == 7)
		CHECK(!st->migrations[6]->applied && strcmp(st->migrations[6]->name, "broken") == 0);
	cruddur_message_free(st);

	/* One without a position (the rows break the check): the statement
	 * is found by counting. */
	write_file("0007_broken.up.sql",
	    "ALTER TABLE public.users ADD COLUMN nickname text;\n\n"
	    "ALTER TABLE public.users ADD CONSTRAINT users_none CHECK (false);\n");
	check_failure(c2, "23514: ", "0007_broken.up.sql line 3, statement 2: ");

	/* COPY: the rows of a COPY TO STDOUT are skipped; a COPY FROM STDIN
	 * fails at once instead of waiting for rows. */
	write_file("0007_broken.up.sql",
	    "ALTER TABLE public.users ADD COLUMN nickname text;\n"
	    "COPY (SELECT g FROM generate_series(1, 50000) g) TO STDOUT;\n"
	    "COPY public.users (nickname) FROM STDIN;\n");
	check_failure(c2, "COPY FROM STDIN is not allowed here",
	    "0007_broken.up.sql line 3, statement 3: ");

	/* A file that commits by itself is refused before it runs. */
	write_file("0007_broken.up.sql",
	    "ALTER TABLE public.users ADD COLUMN nickname text;\nCOMMIT;\n");
	check_failure(c2, "must not control the transaction", "0007_broken.up.sql line 2: \"COMMIT\"");

	/* Bad directories: FAILED_PRECONDITION before anything runs. */
	remove_file("0007_broken.down.sql");
	CHECK_STATUS(migrate(c2, 0, &mg, &o), CRUDDUR_FAILED_PRECONDITION, &o);
	CHECK_MSG(&o, "migration 0007_broken has no down file (0007_broken.down.sql)");
	remove_file("0007_broken.up.sql");
	write_file("7_bad.up.sql", "SELECT 1;\n");
	CHECK_STATUS(status(c2, &st, &o), CRUDDUR_FAILED_PRECONDITION, &o);
	CHECK_MSG(&o, "bad migration file name \"7_bad.up.sql\"");
	remove_file("7_bad.up.sql");
	write_file("0008_gap.up.sql", "SELECT 1;\n");
	write_file("0008_gap.down.sql", "SELECT 1;\n");
	CHECK_STATUS(rollback(c2, 1, &rb, &o), CRUDDUR_FAILED_PRECONDITION, &o);
	CHECK_MSG(&o, "without gaps: found 0008_gap where 0007 was expected");
	remove_file("0008_gap.up.sql");
	remove_file("0008_gap.down.sql");
	write_file("0005_dup.up.sql", "SELECT 1;\n");
	write_file("0005_dup.down.sql", "SELECT 1;\n");
	CHECK_STATUS(migrate(c2, 0, &mg, &o), CRUDDUR_FAILED_PRECONDITION, &o);
	CHECK_MSG(&o, "duplicate migration version 0005");
	remove_file("0005_dup.up.sql");
	remove_file("0005_dup.down.sql");
	CHECK(version_of(c2) == LATEST);
}

/* An applied migration whose files went away. */
static void
test_missing_files(cruddur_client *c2)
{
	Cruddur__V1__MigrationStatusResponse *st;
	Cruddur__V1__MigrateResponse         *mg;
	Cruddur__V1__RollbackResponse        *rb;
	cruddur_call_opts                     o;

	write_file("0007_extra.up.sql", "CREATE TABLE public.extra (id integer);\n");
	write_file("0007_extra.down.sql", "DROP TABLE public.extra;\n");
	CHECK_STATUS(migrate(c2, 0, &mg, &o), CRUDDUR_OK, &o);
	CHECK(mg != NULL && mg->n_applied == 1 && mg->version == 7);
	cruddur_message_free(mg);
	remove_file("0007_extra.up.sql");
	remove_file("0007_extra.down.sql");

	CHECK_STATUS(status(c2, &st, &o), CRUDDUR_OK, &o);
	CHECK(st != NULL && st->version == 7 && st->n_migrations == 7);
	if (st != NULL && st->n_migrations == 7)
		CHECK(st->migrations[6]->applied && strcmp(st->migrations[6]->name, "extra") == 0);
	cruddur_message_free(st);
	CHECK_STATUS(migrate(c2, 0, &mg, &o), CRUDDUR_FAILED_PRECONDITION, &o);
	CHECK_MSG(&o, "is 6, older than the database; the database is at version 7");
	CHECK_STATUS(rollback(c2, 1, &rb, &o), CRUDDUR_FAILED_PRECONDITION, &o);
	CHECK_MSG(&o, "version 7 (extra) is applied but its files are not in");

	write_file("0007_extra.up.sql", "CREATE TABLE public.extra (id integer);\n");
	write_file("0007_extra.down.sql", "DROP TABLE public.extra;\n");
	CHECK_STATUS(rollback(c2, 1, &rb, &o), CRUDDUR_OK, &o);
	CHECK(rb != NULL && rb->version == LATEST);
	cruddur_message_free(rb);
	CHECK(ts_sql_long(DB, "SELECT count(*) FROM pg_tables WHERE tablename = 'extra'") == 0);
	remove_file("0007_extra.up.sql");
	remove_file("0007_extra.down.sql");
}

typedef struct racer {
	cruddur_client               *client;
	cruddur_status                st;
	Cruddur__V1__MigrateResponse *resp;
	cruddur_call_opts             o;
} racer;

static void *
race(void *arg)
{
	racer *r = arg;
	r->st = migrate(r->client, 0, &r->resp, &r->o);
	return NULL;
}

static void
test_concurrent_migrate(const ts_server *s)
{
	Cruddur__V1__RollbackResponse *rb;
	cruddur_call_opts              o;
	racer                          r[2];
	pthread_t                      t[2];
	int                            seen[LATEST + 1] = { 0 };

	for (int k = 0; k < 3; k++) {
		cruddur_client *c = ts_client(s);
		CHECK_STATUS(rollback(c, LATEST, &rb, &o), CRUDDUR_OK, &o);
		cruddur_message_free(rb);
		cruddur_client_close(c);
		memset(r, 0, sizeof(r));
		for (int i = 0; i < 2; i++) {
			r[i].client = ts_client(s);
			CHECK(pthread_create(&t[i], NULL, race, &r[i]) == 0);
		}
		for (int i = 0; i < 2; i++) {
			pthread_join(t[i], NULL);
			CHECK_STATUS(r[i].st, CRUDDUR_OK, &r[i].o);
			CHECK(r[i].resp != NULL && r[i].resp->version == LATEST);
			for (size_t j = 0; r[i].resp != NULL && j < r[i].resp->n_applied; j++) {
				int32_t v = r[i].resp->applied[j]->version;
				CHECK(v >= 1 && v <= LATEST);
				if (v >= 1 && v <= LATEST)
					seen[v]++;
			}
			cruddur_message_free(r[i].resp);
			cruddur_client_close(r[i].client);
		}
		CHECK(ts_sql_long(DB, "SELECT count(*) FROM schema_migrations") == LATEST);
	}
	for (int v = 1; v <= LATEST; v++)
		CHECK(seen[v] == 3);
}

static void
test_kill_sessions(cruddur_client *c)
{
	Cruddur__V1__KillSessionsRequest   req = CRUDDUR__V1__KILL_SESSIONS_REQUEST__INIT;
	Cruddur__V1__KillSessionsResponse *resp = NULL;
	cruddur_call_opts                  o = ts_opts(10000);
	char                               url[512];

	PGconn *other = PQconnectdb(ts_pg_url(DB, url, sizeof(url)));
	CHECK(PQstatus(other) == CONNECTION_OK);
	CHECK(version_of(c) == LATEST); /* the pool holds a connection now */
	CHECK_STATUS(cruddur_db_admin_kill_sessions(c, &req, &resp, &o), CRUDDUR_OK, &o);
	CHECK(resp != NULL && resp->sessions_terminated >= 1);
	if (resp != NULL)
		CHECK_STREQ(resp->database, DB);
	cruddur_message_free(resp);
	PGresult *res = PQexec(other, "SELECT 1");
	CHECK(PQresultStatus(res) != PGRES_TUPLES_OK);
	PQclear(res);
	PQfinish(other);
	/* The server's own pool was reset, not broken. */
	CHECK(version_of(c) == LATEST);
}

int
main(void)
{
	ts_server   s, s2;
	char        cmd[512];
	const char *bin;

	ts_require_pg();
	if (ts_server_start(&s, "tcp://127.0.0.1:0", DB, NULL, NULL) != 0)
		return 1;
	cruddur_client *c = ts_client(&s);
	test_setup_migrates(c);
	test_round_trip(c);

	snprintf(sql_copy, sizeof(sql_copy), "/tmp/cruddur-migsql-XXXXXX");
	CHECK(mkdtemp(sql_copy) != NULL);
	bin = getenv("CRUDDUR_BIN_DIR");
	snprintf(cmd, sizeof(cmd), "cp -r '%s/../share/cruddur/sql/.' '%s/'", bin, sql_copy);
	CHECK(system(cmd) == 0);
	const char *args[] = { "--sql-dir", sql_copy, NULL };
	if (ts_server_start(&s2, "tcp://127.0.0.1:0", DB, args, NULL) == 0) {
		cruddur_client *c2 = ts_client(&s2);
		test_failures(c2);
		test_missing_files(c2);
		cruddur_client_close(c2);
		CHECK(ts_server_stop(&s2) == 0);
	} else {
		CHECK(!"second server started");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sql_copy);
	CHECK(system(cmd) == 0);

	test_concurrent_migrate(&s);
	test_kill_sessions(c);
	cruddur_client_close(c);
	CHECK(ts_server_stop(&s) == 0);
	return ts_finish("migrations_test");
}
