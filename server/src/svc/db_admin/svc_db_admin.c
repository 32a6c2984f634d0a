/*
 * svc_db_admin.c - the DbAdmin service: the seed's bin/db-* scripts as RPCs.
 *
 * Create, Drop and Sessions work on a connection of their own to the
 * maintenance database ("postgres" on the same server, derived by
 * db_target_parse), because the target database may not exist; they are
 * rare, so they are not pooled; so does KillSessions, which ends every
 * session on the target database but its own. SchemaLoad and Seed run a
 * file from sql/ on a pooled connection to the target database, and Setup
 * ends by migrating to the latest version (svc_migrations.c). Database names in DDL cannot
 * be parameters, so they are quoted with PQescapeIdentifier; everything
 * else is a parameter.
 *
 * Every statement, on either connection, runs through the pool's bounded
 * machine (pool_conn_query, pool.h): cancelled at the call's deadline or
 * at a stop past the drain timeout, given up 50 ms later. The maintenance
 * connection is made by pool_conn_open_other for that reason: not one of
 * the pool's, but cut and cancelled the same way, so a database host that
 * stops answering holds a DbAdmin call no longer than its deadline.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "svc/db_admin/migrations.h"
#include "svc/svc_env.h"
#include "svc/registry.h"
#include "svc/db_admin/sql_file.h"
#include "sql_queries.h"

/* A connect without a deadline of its call's waits this long at most. */
#define ADMIN_CONNECT_US 5000000

/* The maintenance connection, its statements bound by the call's deadline. */
static cruddur_status
admin_connect(rpc_context *ctx, pool_conn **out)
{
	const db_target *db = ctx->env->db;
	int64_t          until = clock_mono_us() + ADMIN_CONNECT_US;
	cruddur_status   st;

	if (ctx->deadline_us > 0 && ctx->deadline_us < until)
		until = ctx->deadline_us;
	st = pool_conn_open_other(ctx->env->pool, (const char *const *)db->maint_keywords,
	    (const char *const *)db->maint_values, db, until, out, ctx->message,
	    sizeof(ctx->message));
	if (st == CRUDDUR_OK)
		pool_conn_set_deadline(*out, ctx->deadline_us);
	return st;
}

/* Runs sql with params on conn; on CRUDDUR_OK *out (if given) is the result. */
static cruddur_status
admin_exec(rpc_context *ctx, pool_conn *conn, const char *sql, int nparams,
    const char *const *params, PGresult **out)
{
	PGresult      *res = NULL;
	cruddur_status st = pool_conn_query(conn, sql, nparams, params, &res, ctx->message,
	    sizeof(ctx->message));

	if (st == CRUDDUR_OK && out != NULL)
		*out = res;
	else
		PQclear(res);
	return st;
}

/* Runs "VERB DATABASE <quoted name> SUFFIX". */
static cruddur_status
admin_database_ddl(rpc_context *ctx, pool_conn *conn, const char *verb, const char *suffix)
{
	const char *name = ctx->env->db->dbname;
	char       *quoted = PQescapeIdentifier(pool_conn_pg(conn), name, strlen(name));
	char        sql[512];

	if (quoted == NULL)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "bad database name");
	int n = snprintf(sql, sizeof(sql), "%s DATABASE %s%s", verb, quoted, suffix);
	PQfreemem(quoted);
	/* A cut statement would be a different statement: never run it. */
	if (n < 0 || (size_t)n >= sizeof(sql))
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "database name is too long");
	return admin_exec(ctx, conn, sql, 0, NULL, NULL);
}

static cruddur_status
database_exists(rpc_context *ctx, pool_conn *conn, bool *exists)
{
	const char    *params[1] = { ctx->env->db->dbname };
	PGresult      *res = NULL;
	cruddur_status st = admin_exec(ctx, conn, SQL_DATABASE_EXISTS, 1, params, &res);

	if (st == CRUDDUR_OK) {
		*exists = PQntuples(res) > 0;
		PQclear(res);
	}
	return st;
}

static cruddur_status
db_create(rpc_context *ctx, const Cruddur__V1__CreateRequest *req, Cruddur__V1__CreateResponse *resp)
{
	pool_conn     *conn = NULL;
	cruddur_status st;

	(void)req;
	if ((st = admin_connect(ctx, &conn)) != CRUDDUR_OK)
		return st;
	st = admin_database_ddl(ctx, conn, "CREATE", "");
	pool_conn_discard(conn);
	/* The pool may be backing off from connects that failed while the
	 * database was missing (3D000): it connects again at once. */
	if (st == CRUDDUR_OK)
		pool_reset(ctx->env->pool);
	svc_feed_changed(ctx->env); /* whatever changed, the feed's pages are dropped */
	if (st == CRUDDUR_ALREADY_EXISTS)
		return rpc_fail(ctx, st, "database \"%s\" already exists", ctx->env->db->dbname);
	resp->database = ctx->env->db->dbname;
	return st;
}

static cruddur_status
terminate_sessions(rpc_context *ctx, pool_conn *conn, int32_t *terminated)
{
	const char    *params[1] = { ctx->env->db->dbname };
	PGresult      *res = NULL;
	cruddur_status st = admin_exec(ctx, conn, SQL_TERMINATE_SESSIONS, 1, params, &res);

	if (st == CRUDDUR_OK) {
		*terminated = (int32_t)strtol(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	return st;
}

static cruddur_status
db_drop(rpc_context *ctx, const Cruddur__V1__DropRequest *req, Cruddur__V1__DropResponse *resp)
{
	pool_conn     *conn = NULL;
	bool           exists = false;
	cruddur_status st;

	resp->database = ctx->env->db->dbname;
	if ((st = admin_connect(ctx, &conn)) != CRUDDUR_OK)
		return st;
	if ((st = database_exists(ctx, conn, &exists)) != CRUDDUR_OK || !exists)
		goto out;
	/* Our own idle connections first, then everyone else's; FORCE ends
	 * any that connected in between. */
	pool_reset(ctx->env->pool);
	svc_feed_changed(ctx->env); /* the schema or the rows changed */
	if ((st = terminate_sessions(ctx, conn, &resp->sessions_terminated)) != CRUDDUR_OK)
		goto out;
	if ((st = admin_database_ddl(ctx, conn, "DROP", " WITH (FORCE)")) == CRUDDUR_OK)
		resp->dropped = true;
out:
	pool_conn_discard(conn);
	if (st == CRUDDUR_OK && !exists && !req->if_exists)
		return rpc_fail(ctx, CRUDDUR_NOT_FOUND, "database \"%s\" does not exist",
		    ctx->env->db->dbname);
	return st;
}

static cruddur_status
kill_sessions(rpc_context *ctx, const Cruddur__V1__KillSessionsRequest *req,
    Cruddur__V1__KillSessionsResponse *resp)
{
	pool_conn     *conn = NULL;
	cruddur_status st;

	(void)req;
	resp->database = ctx->env->db->dbname;
	/* Our own connections are not "other sessions": close them first (the
	 * idle ones now, busy ones on release), so they are neither counted
	 * nor found broken by the next request. */
	pool_reset(ctx->env->pool);
	svc_feed_changed(ctx->env); /* the schema or the rows changed */
	if ((st = admin_connect(ctx, &conn)) != CRUDDUR_OK)
		return st;
	st = terminate_sessions(ctx, conn, &resp->sessions_terminated);
	pool_conn_discard(conn);
	return st;
}

/* Runs sql/NAME on a pooled connection to the target database. */
static cruddur_status
load_sql_file(rpc_context *ctx, const char *name, char **file_out)
{
	char          *text = NULL;
	char           path[PATH_MAX + 64];
	pool_conn     *conn;
	cruddur_status st;

	snprintf(path, sizeof(path), "%s/%s", ctx->env->sql_dir, name);
	if (sql_file_read(path, &text, ctx->message, sizeof(ctx->message)) != 0)
		return CRUDDUR_INTERNAL;
	st = pool_acquire(ctx->env->pool, ctx->deadline_us, &conn, ctx->message, sizeof(ctx->message));
	if (st == CRUDDUR_OK) {
		PGresult *res = NULL;
		char      why[400];
		pool_conn_set_deadline(conn, ctx->deadline_us);
		st = pool_conn_query(conn, text, -1, NULL, &res, why, sizeof(why));
		if (st != CRUDDUR_OK)
			rpc_fail(ctx, st, "%s: %s", name, why);
		PQclear(res);
		pool_release(ctx->env->pool, conn);
	}
	free(text);
	*file_out = rpc_strdup(ctx, path);
	return st;
}

static cruddur_status
db_schema_load(rpc_context *ctx, const Cruddur__V1__SchemaLoadRequest *req,
    Cruddur__V1__SchemaLoadResponse *resp)
{
	(void)req;
	resp->database = ctx->env->db->dbname;
	cruddur_status st = load_sql_file(ctx, "schema.sql", &resp->file);
	/* New tables: let every connection prepare its statements afresh. */
	pool_reset(ctx->env->pool);
	svc_feed_changed(ctx->env); /* the schema or the rows changed */
	return st;
}

static cruddur_status
db_seed(rpc_context *ctx, const Cruddur__V1__SeedRequest *req, Cruddur__V1__SeedResponse *resp)
{
	(void)req;
	resp->database = ctx->env->db->dbname;
	cruddur_status st = load_sql_file(ctx, "seed.sql", &resp->file);
	svc_feed_changed(ctx->env); /* before the triggers' notice comes */
	return st;
}

static cruddur_status
sessions(rpc_context *ctx, const Cruddur__V1__SessionsRequest *req,
    Cruddur__V1__SessionsResponse *resp)
{
	const char    *params[1] = { ctx->env->db->dbname };
	pool_conn     *conn = NULL;
	PGresult      *res = NULL;
	cruddur_status st;

	(void)req;
	if ((st = admin_connect(ctx, &conn)) != CRUDDUR_OK)
		return st;
	if ((st = admin_exec(ctx, conn, SQL_SESSIONS, 1, params, &res)) != CRUDDUR_OK) {
		pool_conn_discard(conn);
		return st;
	}
	int n = PQntuples(res);
	resp->sessions = rpc_alloc(ctx, (size_t)(n > 0 ? n : 1) * sizeof(*resp->sessions));
	for (int i = 0; resp->sessions != NULL && i < n; i++) {
		Cruddur__V1__Session *s = rpc_alloc(ctx, sizeof(*s));
		if (s == NULL)
			break;
		cruddur__v1__session__init(s);
		s->pid = (int32_t)strtol(PQgetvalue(res, i, 0), NULL, 10);
		s->user = rpc_strdup(ctx, PQgetvalue(res, i, 1));
		s->database = rpc_strdup(ctx, PQgetvalue(res, i, 2));
		s->client_address = rpc_strdup(ctx, PQgetvalue(res, i, 3));
		s->application_name = rpc_strdup(ctx, PQgetvalue(res, i, 4));
		s->state = rpc_strdup(ctx, PQgetvalue(res, i, 5));
		resp->sessions[resp->n_sessions++] = s;
	}
	PQclear(res);
	pool_conn_discard(conn);
	if ((int)resp->n_sessions != n)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	return CRUDDUR_OK;
}

/* Setup: each step is one of the calls above, timed and reported. */
typedef cruddur_status (*setup_fn)(rpc_context *ctx, char *detail, size_t len);

static cruddur_status
step_drop(rpc_context *ctx, char *detail, size_t len)
{
	Cruddur__V1__DropRequest  req = CRUDDUR__V1__DROP_REQUEST__INIT;
	Cruddur__V1__DropResponse resp = CRUDDUR__V1__DROP_RESPONSE__INIT;
	req.if_exists = true;
	cruddur_status st = db_drop(ctx, &req, &resp);
	snprintf(detail, len, resp.dropped ? "dropped %s (%d other sessions ended)" : "%s did not exist",
	    ctx->env->db->dbname, resp.sessions_terminated);
	return st;
}

static cruddur_status
step_create(rpc_context *ctx, char *detail, size_t len)
{
	Cruddur__V1__CreateResponse resp = CRUDDUR__V1__CREATE_RESPONSE__INIT;
	snprintf(detail, len, "created %s", ctx->env->db->dbname);
	return db_create(ctx, NULL, &resp);
}

static cruddur_status
step_schema_load(rpc_context *ctx, char *detail, size_t len)
{
	Cruddur__V1__SchemaLoadResponse resp = CRUDDUR__V1__SCHEMA_LOAD_RESPONSE__INIT;
	cruddur_status st = db_schema_load(ctx, NULL, &resp);
	snprintf(detail, len, "loaded %s", resp.file ? resp.file : "schema.sql");
	return st;
}

static cruddur_status
step_seed(rpc_context *ctx, char *detail, size_t len)
{
	Cruddur__V1__SeedResponse resp = CRUDDUR__V1__SEED_RESPONSE__INIT;
	cruddur_status st = db_seed(ctx, NULL, &resp);
	snprintf(detail, len, "loaded %s", resp.file ? resp.file : "seed.sql");
	return st;
}

static cruddur_status
step_migrate(rpc_context *ctx, char *detail, size_t len)
{
	Cruddur__V1__MigrateRequest  req = CRUDDUR__V1__MIGRATE_REQUEST__INIT;
	Cruddur__V1__MigrateResponse resp = CRUDDUR__V1__MIGRATE_RESPONSE__INIT;
	cruddur_status               st = svc_migrations_migrate(ctx, &req, &resp);
	snprintf(detail, len, "migrated to version %d (%zu applied)", resp.version, resp.n_applied);
	return st;
}

static const struct {
	const char *name;
	setup_fn    fn;
} setup_steps[] = {
	{ "drop", step_drop },
	{ "create", step_create },
	{ "schema-load", step_schema_load },
	{ "seed", step_seed },
	{ "migrate", step_migrate },
};
#define N_SETUP_STEPS (sizeof(setup_steps) / sizeof(setup_steps[0]))

static cruddur_status
setup(rpc_context *ctx, const Cruddur__V1__SetupRequest *req, Cruddur__V1__SetupResponse *resp)
{
	(void)req;
	if ((resp->steps = rpc_alloc(ctx, N_SETUP_STEPS * sizeof(*resp->steps))) == NULL)
		return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < N_SETUP_STEPS; i++) {
		Cruddur__V1__SetupStep *step = rpc_alloc(ctx, sizeof(*step));
		char                    detail[512];
		int64_t                 start = clock_mono_us();
		if (step == NULL)
			return rpc_fail(ctx, CRUDDUR_RESOURCE_EXHAUSTED, "out of memory");
		cruddur__v1__setup_step__init(step);
		cruddur_status st = setup_steps[i].fn(ctx, detail, sizeof(detail));
		if (st != CRUDDUR_OK) {
			char why[sizeof(ctx->message)];
			snprintf(why, sizeof(why), "%s", ctx->message);
			return rpc_fail(ctx, st, "setup step %s failed: %s", setup_steps[i].name, why);
		}
		step->name = (char *)setup_steps[i].name;
		step->status = CRUDDUR__V1__STATUS_CODE__OK;
		step->detail = rpc_strdup(ctx, detail);
		step->duration_us = clock_mono_us() - start;
		resp->steps[resp->n_steps++] = step;
	}
	return CRUDDUR_OK;
}

void
svc_db_admin_register(svc_registration *r)
{
	rpc_handlers *h = &r->handlers;

	h->db_admin_create = db_create;
	h->db_admin_drop = db_drop;
	h->db_admin_schema_load = db_schema_load;
	h->db_admin_seed = db_seed;
	h->db_admin_setup = setup;
	h->db_admin_sessions = sessions;
	h->db_admin_kill_sessions = kill_sessions;
}
