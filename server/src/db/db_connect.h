/*
 * db_connect.h - a libpq connect that never outlasts its caller's deadline.
 *
 * Why: PQconnectdbParams waits up to libpq's connect_timeout whatever the
 * call that needs the connection has left, and a database host that stops
 * answering (its processes frozen: the kernel still accepts the TCP or unix
 * socket connection, then nothing replies) makes it wait that long every
 * time. Here the connect is driven with PQconnectStartParams and
 * PQconnectPoll, each wait on its socket cut at the deadline, and a stop of
 * the server ends it within 50 ms.
 *
 * libpq 15 keeps the SQLSTATE of a connect's error to itself (no field of a
 * result carries it); with PQERRORS_VERBOSE set before the first poll, the
 * message does ("FATAL:  53300: sorry, too many clients already"), so a full
 * database (53300) is told apart from one that is down, whatever language
 * the server speaks.
 *
 * No state, no locks: any thread may call it. The connect blocks the calling
 * thread (it must not be an nng callback) until it ends, at most until_us.
 */
#ifndef CRUDDUR_DB_CONNECT_H
#define CRUDDUR_DB_CONNECT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "cruddur/status.h"
#include "db/db_target.h"

/*
 * Connects with the NULL-terminated kw/val (expand_dbname 0), giving up at
 * until_us (CLOCK_MONOTONIC microseconds, > 0), or soon after *stop_us
 * (may be NULL) becomes non-zero.
 *
 * Returns CRUDDUR_OK with *out connected (the caller PQfinish'es it);
 * otherwise *out is NULL and the status says why:
 *   RESOURCE_EXHAUSTED  the server refused: too many connections (53300)
 *                       (or out of memory here)
 *   DEADLINE_EXCEEDED   until_us came before the database finished
 *   UNAVAILABLE         anything else (down, refused, no such database,
 *                       authentication), or the stop
 * msg (may be NULL) gets "cannot connect to database: " and libpq's
 * message on one line, its LOCATION line dropped, the target's secrets
 * redacted (redact may be NULL); empty on success. sqlstate (may be NULL,
 * 6 bytes) gets the server's SQLSTATE, or "" when it sent none.
 */
cruddur_status db_connect(PGconn **out, const char *const *kw, const char *const *val,
    int64_t until_us, const _Atomic int64_t *stop_us, const db_target *redact, char *sqlstate,
    char *msg, size_t msglen);

#endif /* CRUDDUR_DB_CONNECT_H */
