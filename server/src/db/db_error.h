/*
 * db_error.h - PostgreSQL errors as cruddur statuses.
 *
 * Every call into PostgreSQL that fails ends here, so that one table decides
 * what a client sees: a lost connection or a missing database is UNAVAILABLE
 * (try again later), a unique violation is ALREADY_EXISTS, a statement
 * timeout is DEADLINE_EXCEEDED, and so on. The message keeps PostgreSQL's
 * SQLSTATE and primary message so that logs can be searched for either.
 *
 * Stateless and thread-safe: it only reads the result and connection given.
 */
#ifndef CRUDDUR_DB_ERROR_H
#define CRUDDUR_DB_ERROR_H

#include <stddef.h>

#include <libpq-fe.h>

#include "cruddur/status.h"

/*
 * Maps a failed result (or NULL result) on conn to a status and writes a
 * human message ("SQLSTATE: primary message", or libpq's own message when the
 * error came from libpq and has no SQLSTATE) into msg, NUL terminated and
 * truncated to msglen. msg may be NULL.
 *
 *   connection lost (PQstatus CONNECTION_BAD, class 08, 57P01..57P03),
 *   3D000 invalid_catalog_name (database does not exist)    -> UNAVAILABLE
 *   57014 query_canceled (statement_timeout, cancel)         -> DEADLINE_EXCEEDED
 *   23505 unique_violation, 42P04 duplicate_database         -> ALREADY_EXISTS
 *   23503 foreign_key_violation                              -> FAILED_PRECONDITION
 *   42P01 undefined_table (hint: schema not loaded)          -> FAILED_PRECONDITION
 *   other class 22 (data exception) and 23 (integrity)       -> INVALID_ARGUMENT
 *   53300 too_many_connections                               -> RESOURCE_EXHAUSTED
 *   anything else                                            -> INTERNAL
 *
 * A result that did not fail (PGRES_COMMAND_OK, PGRES_TUPLES_OK) maps to
 * CRUDDUR_OK with an empty message. Neither res nor conn is freed; res and
 * conn may each be NULL.
 */
cruddur_status db_error_status(const PGresult *res, PGconn *conn, char *msg,
    size_t msglen);

/* The status for a bare SQLSTATE (five characters), for callers that hold
 * only the code; NULL or unknown codes give CRUDDUR_INTERNAL. */
cruddur_status db_error_sqlstate_status(const char *sqlstate);

#endif /* CRUDDUR_DB_ERROR_H */
