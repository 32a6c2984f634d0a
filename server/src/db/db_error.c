/*
 * db_error.c - PostgreSQL errors to cruddur statuses.
 *
 * Design
 *   A failed call gives either a PGresult carrying a SQLSTATE (the server
 *   said no) or nothing but PQerrorMessage (libpq could not talk to the
 *   server). The first is mapped by SQLSTATE, exact codes before classes;
 *   the second is UNAVAILABLE when the connection is bad and INTERNAL
 *   otherwise (out of memory, misuse, no connection at all). A bad connection wins over any
 *   SQLSTATE: whatever the statement did, the next step is to reconnect.
 *
 *   Messages are "SQLSTATE: primary message" on one line. Only libpq's or
 *   the server's words go in; they never hold the connection password.
 *
 * No state, no locks.
 */
#include "db/db_error.h"
#include "base/text.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct sqlstate_map {
	const char *code;   /* five characters, or two for a whole class */
	cruddur_status status;
	const char *hint;   /* appended to the message, or NULL */
} sqlstate_map;

/* Exact codes first; the first match wins. */
static const sqlstate_map sqlstate_table[] = {
	{ "3D000", CRUDDUR_UNAVAILABLE, NULL },
	{ "57P01", CRUDDUR_UNAVAILABLE, NULL },
	{ "57P02", CRUDDUR_UNAVAILABLE, NULL },
	{ "57P03", CRUDDUR_UNAVAILABLE, NULL },
	{ "57014", CRUDDUR_DEADLINE_EXCEEDED, NULL },
	/* A write on a read-only primary (default_transaction_read_only, or
	 * a standby): another server may take it. libcruddur sends a write
	 * again only when that is safe (an idempotency key). */
	{ "25006", CRUDDUR_UNAVAILABLE, "the database is read-only" },
	{ "23505", CRUDDUR_ALREADY_EXISTS, NULL },
	{ "42P04", CRUDDUR_ALREADY_EXISTS, NULL },
	{ "23503", CRUDDUR_FAILED_PRECONDITION, NULL },
	{ "42P01", CRUDDUR_FAILED_PRECONDITION,
	    "the database schema is not loaded" },
	{ "53300", CRUDDUR_RESOURCE_EXHAUSTED, NULL },
	{ "08", CRUDDUR_UNAVAILABLE, NULL },
	{ "22", CRUDDUR_INVALID_ARGUMENT, NULL },
	{ "23", CRUDDUR_INVALID_ARGUMENT, NULL },
};

static const sqlstate_map *
sqlstate_lookup(const char *sqlstate)
{
	size_t n = sizeof(sqlstate_table) / sizeof(sqlstate_table[0]);

	if (sqlstate == NULL || strlen(sqlstate) != 5)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *code = sqlstate_table[i].code;

		if (strncmp(sqlstate, code, strlen(code)) == 0)
			return &sqlstate_table[i];
	}
	return NULL;
}

cruddur_status
db_error_sqlstate_status(const char *sqlstate)
{
	const sqlstate_map *m = sqlstate_lookup(sqlstate);

	return m != NULL ? m->status : CRUDDUR_INTERNAL;
}

/* Writes "prefix: text" with text cut at its first newline. */
static void
put_msg(char *msg, size_t msglen, const char *prefix, const char *text,
    const char *hint)
{
	int n;

	if (msg == NULL || msglen == 0)
		return;
	if (text == NULL || text[0] == '\0')
		text = "unknown error";
	n = (int)strcspn(text, "\n");
	if (prefix != NULL)
		snprintf(msg, msglen, "%s: %.*s%s%s", prefix, n, text,
		    hint ? " (hint: " : "", hint ? hint : "");
	else
		snprintf(msg, msglen, "%.*s%s%s", n, text,
		    hint ? " (hint: " : "", hint ? hint : "");
	if (hint != NULL && strlen(msg) + 1 < msglen)
		strcat(msg, ")");
	text_utf8_trim(msg); /* PostgreSQL's text, cut by msglen */
}

/* libpq's message for a result without a SQLSTATE, or the connection's. */
static const char *
client_message(const PGresult *res, PGconn *conn)
{
	const char *m = NULL;

	if (res != NULL)
		m = PQresultErrorMessage(res);
	if ((m == NULL || m[0] == '\0') && conn != NULL)
		m = PQerrorMessage(conn);
	if (m == NULL || m[0] == '\0')
		m = conn == NULL ? "no database connection" : "unknown error";
	return m;
}

cruddur_status
db_error_status(const PGresult *res, PGconn *conn, char *msg, size_t msglen)
{
	bool conn_bad = conn != NULL && PQstatus(conn) == CONNECTION_BAD;
	const char *sqlstate = NULL, *primary = NULL;
	const sqlstate_map *m;

	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	if (res != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
			return CRUDDUR_OK;
		sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (sqlstate == NULL && st != PGRES_FATAL_ERROR &&
		    st != PGRES_NONFATAL_ERROR && !conn_bad) {
			/* Not an error at all but not what a caller can use:
			 * COPY, an empty query, a pipeline state. */
			put_msg(msg, msglen, "unexpected result",
			    PQresStatus(st), NULL);
			return CRUDDUR_INTERNAL;
		}
	}
	if (sqlstate == NULL || primary == NULL) {
		put_msg(msg, msglen, sqlstate, client_message(res, conn), NULL);
		if (conn_bad || (sqlstate != NULL &&
		    db_error_sqlstate_status(sqlstate) == CRUDDUR_UNAVAILABLE))
			return CRUDDUR_UNAVAILABLE;
		return db_error_sqlstate_status(sqlstate);
	}
	m = sqlstate_lookup(sqlstate);
	put_msg(msg, msglen, sqlstate, primary, m != NULL ? m->hint : NULL);
	if (conn_bad)
		return CRUDDUR_UNAVAILABLE;
	return m != NULL ? m->status : CRUDDUR_INTERNAL;
}
