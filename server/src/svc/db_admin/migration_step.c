/*
 * migration_step.c - one migration step on a pooled connection: its
 * transaction, its advisory lock, the schema_migrations bookkeeping, and
 * the migration file itself.
 *
 *   A migration file is sent whole as one simple query inside the step's
 *   transaction: the server parses it, so any SQL that psql -1 would run
 *   runs here too. libpq returns one result per statement, so on an error
 *   the number of results before it is the failing statement's index;
 *   when PostgreSQL also reports a position (PG_DIAG_STATEMENT_POSITION,
 *   counted in characters over the whole file) that gives the exact line
 *   (migration_sql_locate, migrations.c).
 *
 *   SQL for the bookkeeping table lives in sql/queries/schema_migrations_*.sql
 *   and runs with pool_conn_query: too rare to be worth preparing.
 *
 *   Every statement, the file's included, runs through the pool's bounded
 *   machine (pool_conn_query, pool_conn_each): cancelled at the caller's
 *   deadline (pool_conn_set_deadline) or at a stop past the drain timeout,
 *   and given up 50 ms later, when its connection is closed on release
 *   (which also ends the transaction and its advisory lock). A COPY FROM
 *   STDIN in a file fails at once; a COPY TO STDOUT's rows are skipped.
 *
 * Threads: a pool_conn is used by the one thread that holds it; nothing
 * here has state of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/db_admin/migrations.h"
#include "svc/db_admin/sql_file.h"
#include "sql_queries.h"

/* The advisory lock that serializes migrators on one database: "cruddur"
 * in ASCII, then 1. Any other tool that migrates must take the same one. */
#define MIGRATION_LOCK_SQL "SELECT pg_advisory_xact_lock(27991941263455489)"

/* --- the bookkeeping table ----------------------------------------------- */

static cruddur_status
exec_ok(pool_conn *conn, const char *sql, int nparams, const char *const *params, PGresult **out,
    char *msg, size_t len)
{
	PGresult      *res = NULL;
	cruddur_status st = pool_conn_query(conn, sql, nparams, params, &res, msg, len);

	if (st == CRUDDUR_OK && out != NULL)
		*out = res;
	else
		PQclear(res);
	return st;
}

/* Ends the step's transaction after a failure. Bounded like the rest: on
 * a connection given up on it returns at once, past the deadline it is
 * cancelled and waited for 50 ms at most; whatever it leaves,
 * pool_release rolls back or closes the connection. */
static void
rollback(pool_conn *conn)
{
	(void)pool_conn_command(conn, "ROLLBACK", NULL, 0);
}

void
migration_head_fini(migration_head *head)
{
	free(head->rows);
	memset(head, 0, sizeof(*head));
}

static cruddur_status
head_list(pool_conn *conn, migration_head *head, char *msg, size_t len)
{
	PGresult      *res = NULL;
	cruddur_status st = exec_ok(conn, SQL_SCHEMA_MIGRATIONS_LIST, 0, NULL, &res, msg, len);
	int            n;

	if (st != CRUDDUR_OK)
		return st;
	n = PQntuples(res);
	if (n > 0 && (head->rows = calloc((size_t)n, sizeof(*head->rows))) == NULL) {
		PQclear(res);
		snprintf(msg, len, "out of memory");
		return CRUDDUR_RESOURCE_EXHAUSTED;
	}
	for (int i = 0; i < n; i++) {
		migration_applied *a = &head->rows[i];
		a->version = (int32_t)strtol(PQgetvalue(res, i, 0), NULL, 10);
		snprintf(a->name, sizeof(a->name), "%s", PQgetvalue(res, i, 1));
		a->applied_at_us = strtoll(PQgetvalue(res, i, 2), NULL, 10);
	}
	head->n = (size_t)n;
	head->version = n > 0 ? head->rows[n - 1].version : 0;
	PQclear(res);
	return CRUDDUR_OK;
}

cruddur_status
migration_head_read(pool_conn *conn, migration_head *head, char *msg, size_t len)
{
	PGresult      *res = NULL;
	cruddur_status st;

	memset(head, 0, sizeof(*head));
	if ((st = exec_ok(conn, SQL_SCHEMA_MIGRATIONS_EXISTS, 0, NULL, &res, msg, len)) != CRUDDUR_OK)
		return st;
	bool exists = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return exists ? head_list(conn, head, msg, len) : CRUDDUR_OK;
}

cruddur_status
migration_step_begin(pool_conn *conn, migration_head *head, char *msg, size_t len)
{
	cruddur_status st;

	memset(head, 0, sizeof(*head));
	/* Notices (CREATE TABLE IF NOT EXISTS, a file's DROP ... IF EXISTS)
	 * would go to the server's stderr. */
	st = exec_ok(conn, "BEGIN", 0, NULL, NULL, msg, len);
	if (st == CRUDDUR_OK)
		st = exec_ok(conn, "SET LOCAL client_min_messages = warning", 0, NULL, NULL, msg, len);
	if (st == CRUDDUR_OK)
		st = exec_ok(conn, MIGRATION_LOCK_SQL, 0, NULL, NULL, msg, len);
	if (st == CRUDDUR_OK)
		st = exec_ok(conn, SQL_SCHEMA_MIGRATIONS_CREATE, 0, NULL, NULL, msg, len);
	if (st == CRUDDUR_OK)
		st = head_list(conn, head, msg, len);
	if (st != CRUDDUR_OK) {
		migration_head_fini(head);
		rollback(conn);
	}
	return st;
}

cruddur_status
migration_step_end(pool_conn *conn, cruddur_status st, char *msg, size_t len)
{
	if (st == CRUDDUR_OK)
		return exec_ok(conn, "COMMIT", 0, NULL, NULL, msg, len);
	rollback(conn);
	return st;
}

/* --- running a file ------------------------------------------------------ */

/* The message for a statement of file that failed with res. */
static cruddur_status
file_error(pool_conn *conn, const PGresult *res, const char *file, const char *text, int ok_results,
    char *msg, size_t len)
{
	const char    *pos_s = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	const char    *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char    *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	long           pos = pos_s != NULL ? strtol(pos_s, NULL, 10) : 0;
	/* UNAVAILABLE for a statement cancelled by the server's stop. */
	cruddur_status st = pool_conn_result_status(conn, res, NULL, 0);
	char           quote[200] = "";
	size_t         start, end;
	int            line = 0;

	/* The database is fine and can be retried once the file is; only a
	 * lost connection or our own limit keep their own status. A 57014
	 * before the limit is the file's: its COPY FROM STDIN refused
	 * (pool_conn_query), its own statement_timeout. */
	if (st != CRUDDUR_UNAVAILABLE &&
	    (st != CRUDDUR_DEADLINE_EXCEEDED || !pool_conn_limit_passed(conn)))
		st = CRUDDUR_FAILED_PRECONDITION;
	if (migration_sql_locate(text, pos, ok_results, &line, &start, &end))
		migration_sql_excerpt(text, start, end, quote, sizeof(quote));
	if (primary == NULL)
		primary = PQerrorMessage(pool_conn_pg(conn));
	snprintf(msg, len, "%s line %d, statement %d: %s: %.*s: %s", file, line, ok_results + 1,
	    state ? state : "error", (int)strcspn(primary, "\n"), primary, quote);
	return st;
}

/* The results of a file's statements, in order (pool_conn_each). */
typedef struct text_results {
	int       ok;     /* statements that succeeded before the first failure */
	PGresult *failed; /* the first failure's result */
} text_results;

static void
text_result(void *arg, PGresult *res)
{
	text_results  *r = arg;
	ExecStatusType rs = PQresultStatus(res);

	if (r->failed == NULL && (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK ||
	    rs == PGRES_EMPTY_QUERY)) {
		r->ok += rs != PGRES_EMPTY_QUERY;
		PQclear(res);
	} else if (r->failed == NULL) {
		r->failed = res;
	} else {
		PQclear(res);
	}
}

/* Sends text as one simple query and reads every result. */
static cruddur_status
run_text(pool_conn *conn, const char *file, const char *text, char *msg, size_t len)
{
	text_results   r = { 0, NULL };
	cruddur_status st = pool_conn_each(conn, text, text_result, &r, msg, len);

	if (r.failed != NULL) {
		st = file_error(conn, r.failed, file, text, r.ok, msg, len);
		PQclear(r.failed);
	} else if (st != CRUDDUR_OK) {
		char why[256];
		snprintf(why, sizeof(why), "%s", msg);
		snprintf(msg, len, "%s: %s", file, why);
	} else if (PQtransactionStatus(pool_conn_pg(conn)) != PQTRANS_INTRANS) {
		snprintf(msg, len, "%s ended the migration's transaction", file);
		st = CRUDDUR_FAILED_PRECONDITION;
	}
	return st;
}

cruddur_status
migration_step_run(pool_conn *conn, const migration_set *set, const migration *m, bool up, char *msg,
    size_t len)
{
	const char    *file = up ? m->up_file : m->down_file;
	char           path[PATH_MAX + 2 * MIGRATION_NAME_MAX];
	char           version[16];
	const char    *params[2] = { version, m->name };
	char          *text = NULL;
	PGresult      *res = NULL;
	cruddur_status st;

	snprintf(path, sizeof(path), "%s/%s", set->dir, file);
	snprintf(version, sizeof(version), "%d", m->version);
	if (sql_file_read(path, &text, msg, len) != 0)
		return CRUDDUR_FAILED_PRECONDITION;
	if ((st = migration_sql_check(file, text, msg, len)) == CRUDDUR_OK)
		st = run_text(conn, file, text, msg, len);
	free(text);
	if (st != CRUDDUR_OK)
		return st;
	if (up)
		return exec_ok(conn, SQL_SCHEMA_MIGRATIONS_INSERT, 2, params, NULL, msg, len);
	if ((st = exec_ok(conn, SQL_SCHEMA_MIGRATIONS_DELETE, 1, params, &res, msg, len)) != CRUDDUR_OK)
		return st;
	if (PQntuples(res) != 1) {
		snprintf(msg, len, "version %d was not in schema_migrations", m->version);
		st = CRUDDUR_ABORTED;
	}
	PQclear(res);
	return st;
}
