/*
 * pool.h - a thread-safe pool of libpq connections.
 *
 * Worker threads take a connection for one request (pool_acquire), run their
 * statements on it (pool_conn_exec, or libpq directly via pool_conn_pg) and
 * give it back (pool_release). The pool holds at most max_size connections;
 * a worker that finds all of them busy waits for one, but never past the
 * pool's acquire timeout nor the request's own deadline.
 *
 * The pool never needs the database at start-up: connections are made on
 * demand, so the server starts while PostgreSQL is down or while its database
 * has not been created yet, and acquire reports UNAVAILABLE until it works.
 * A connection found broken, or given back inside a transaction that cannot
 * be rolled back, is closed and its slot made free for a new one.
 *
 * Connecting never outlasts the caller's deadline (db_connect.h), and backs
 * off: after a failed connect the next one waits 100 ms, doubling with each
 * failure in a row up to 1 s, with jitter (half to all of it), and while it
 * waits (and while the one retry runs) callers that would need a new
 * connection, when the pool has none that could come back, get the last
 * failure's status at once: UNAVAILABLE, or RESOURCE_EXHAUSTED when the
 * database had too many connections (53300). A full or unreachable database
 * sees at most two connects a second from a pool, not one per call.
 *
 * Ownership: the pool owns its connections. A pool_conn taken by
 * pool_acquire belongs to the calling thread until it passes it to
 * pool_release, and only that thread may use it (a PGconn is not
 * thread-safe). The db_target in pool_config is borrowed and must outlive the
 * pool.
 *
 * Threads: every function except pool_new and pool_free may be called from
 * any thread at any time. pool_acquire may block (waiting for a slot,
 * connecting, or a health round trip) and so must not be called from an nng
 * aio callback; call it from a worker.
 */
#ifndef CRUDDUR_POOL_H
#define CRUDDUR_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "cruddur/status.h"
#include "db/db_target.h"

typedef struct pool pool;
typedef struct pool_conn pool_conn;   /* opaque outside pool.c */

typedef struct pool_config {
	const db_target *target;   /* borrowed; must outlive the pool */
	/* Connections kept open once made. Connections are made on demand and
	 * only closed when broken or reset (there is no idle trimming yet), so
	 * every connection made is kept; cruddurd opens min_size of them at
	 * start (server_start_warming). */
	int min_size;
	int max_size;              /* >= 1 */
	/* Wait for a free slot at most this long, then RESOURCE_EXHAUSTED.
	 * 0 means do not wait. */
	int acquire_timeout_ms;
	/* A connect waits at most this many seconds (and never past the
	 * caller's deadline). > 0 overrides the target's connect_timeout; 0
	 * keeps the target's, or 5 if it has none. */
	int connect_timeout_s;
} pool_config;

/* A snapshot. size = in_use + idle; in_use counts connections being made.
 * connects and connect_failures count connection attempts; broken counts
 * connections closed because they were found unusable. backoff_refusals
 * counts calls refused at once because connecting backs off; fail_streak
 * is the number of connects failed in a row (0: connecting works) and
 * backoff_ms the wait before the next one that it set. */
typedef struct pool_stats {
	int size, in_use, idle, waiting;
	uint64_t connects, connect_failures, broken;
	uint64_t backoff_refusals;
	int fail_streak, backoff_ms;
} pool_stats;

/* A statement that pool_conn_exec prepares once per connection. ids are
 * 0..POOL_MAX_STATEMENTS-1 and, like names, unique within the caller's
 * table (cruddurd's is generated from sql/queries: sql_statements.h);
 * nparams is the number of $n parameters (sent as text).
 * binary_results asks for results in binary format (pg_binary.h), which
 * is cheaper for PostgreSQL to send and for us to read; the rows helpers
 * of rows.h read both formats. */
typedef struct db_statement {
	int id;
	const char *name;
	const char *sql;
	int nparams;
	bool binary_results;
} db_statement;

#define POOL_MAX_STATEMENTS 64

/*
 * Makes a pool. Does not connect. Returns 0, EINVAL for a bad config (no
 * target, max_size < 1, min_size outside 0..max_size, a negative timeout) or
 * ENOMEM. On success the caller owns *out and frees it with pool_free.
 */
int pool_new(pool **out, const pool_config *cfg);

/* Closes every connection and frees the pool. All connections must have been
 * released and no thread may be inside a pool call. NULL is ignored. */
void pool_free(pool *p);

/*
 * Takes a healthy connection, connecting a new one if a slot is free.
 * deadline_us is a CLOCK_MONOTONIC absolute time in microseconds (0 = none,
 * use acquire_timeout_ms only); the wait for a slot ends at the earlier of the
 * two. A connect in progress ends at the earlier of deadline_us and
 * connect_timeout_s.
 *
 * Returns CRUDDUR_OK with *out set (the caller owns it until pool_release);
 * CRUDDUR_UNAVAILABLE when a new connection cannot be made (database down or
 * missing; msg holds libpq's message, never the password), at once while
 * connecting backs off; CRUDDUR_RESOURCE_EXHAUSTED as well when the database
 * refused for too many connections (53300);
 * CRUDDUR_RESOURCE_EXHAUSTED when every slot stayed busy until the acquire
 * timeout; CRUDDUR_DEADLINE_EXCEEDED when the caller's deadline came first (or
 * had already passed). On error *out is NULL. msg (may be NULL) is written
 * NUL terminated, truncated to msglen; empty on success.
 */
cruddur_status pool_acquire(pool *p, int64_t deadline_us, pool_conn **out,
    char *msg, size_t msglen);

/* What pool_try_acquire found. */
typedef enum pool_try {
	POOL_TAKEN,    /* *out is an idle connection, now the caller's */
	POOL_MAY_GROW, /* none idle, but pool_acquire would find or make one */
	POOL_BUSY,     /* every slot is in use: pool_acquire would wait */
	POOL_STOPPING, /* pool_cancel_all was called: no new database work */
	POOL_DOWN,     /* none to wait for, and connecting backs off:
	                * pool_down_status says what pool_acquire would */
} pool_try;

/*
 * Takes an idle connection without blocking: never connects, never waits,
 * never does a round trip, so nng callbacks and the read reactor may call
 * it. An idle connection with input pending (most likely closed by the
 * server) is left for pool_acquire, which settles it with a round trip:
 * that counts as POOL_MAY_GROW.
 */
pool_try pool_try_acquire(pool *p, pool_conn **out);

/* For POOL_DOWN: the status and message that pool_acquire would return
 * at once (and counts the refusal as pool_acquire does). */
cruddur_status pool_down_status(pool *p, char *msg, size_t msglen);

/*
 * For a caller that must not block (the read reactor): asks the pool's
 * connector thread to make one connection (pool_acquire, bounded by the
 * connect timeout) and put it on the idle stack, and returns at once; a
 * request made while one is being made is the same request. When it is
 * over, made or failed, the pool calls the notify callback.
 */
void pool_grow_async(pool *p);

/* Sets the callback that pool_grow_async's connector calls (from its own
 * thread, with no lock of the pool held) after each connect it made or
 * failed; NULL clears it. Once pool_set_notify(p, NULL, NULL) returns, the
 * old callback is not running and will not be called: set it so before
 * arg goes away. One callback per pool. */
void pool_set_notify(pool *p, void (*notify)(void *arg), void *arg);

/*
 * Gives c back; the caller must not use it afterwards. If the connection is
 * broken (PQstatus != CONNECTION_OK), is inside a transaction that ROLLBACK
 * does not end, or the pool was reset since it was taken, it is closed and
 * its slot freed. May do network I/O (ROLLBACK, close). NULL is ignored.
 */
void pool_release(pool *p, pool_conn *c);

/* Closes idle connections now and marks in-use ones (including those being
 * connected) to be closed on release. Used before DROP DATABASE, and after
 * CREATE DATABASE so that new connections see the new database. */
void pool_reset(pool *p);

void pool_get_stats(pool *p, pool_stats *out);

/* The configured acquire_timeout_ms, for callers that wait for a
 * connection in slices of their own (reads/read_pending.c). */
int pool_acquire_timeout_ms(const pool *p);

/* The libpq connection of c, owned by the pool: do not PQfinish it. A caller
 * that uses it directly must leave no transaction open (or accept that
 * pool_release rolls it back) and must not DEALLOCATE the pool's prepared
 * statements. */
PGconn *pool_conn_pg(pool_conn *c);

/* Runs one command without parameters or rows (BEGIN, COMMIT, SET ...)
 * on c, bound by c's deadline like pool_conn_exec. */
cruddur_status pool_conn_command(pool_conn *c, const char *sql, char *msg, size_t msglen);

/*
 * Raw SQL through the same bounded machine as pool_conn_exec (cancelled at
 * c's deadline or at pool_cancel_all, given up 50 ms later and the
 * connection then closed, not reused), for statements too rare to prepare:
 * DDL, bookkeeping, SQL files.
 *
 * pool_conn_query: sql with nparams text params (NULL entries are SQL
 * NULL); nparams < 0 sends sql as a simple query, which may hold several
 * statements (then the last result counts; after an error, the error's).
 * On CRUDDUR_OK *out (may be NULL) is the result; on a failure it is the
 * server's error result when there is one (to read its fields), else
 * NULL. The caller PQclear's it either way. A COPY FROM STDIN in sql
 * fails ("COPY FROM STDIN is not allowed here"); a COPY TO STDOUT's rows
 * are skipped.
 *
 * pool_conn_each: sql as a simple query; every result, in order, goes to
 * each (which owns and PQclear's it, and judges it). Returns CRUDDUR_OK
 * unless the command was given up, stopped or its connection broke.
 */
/* The status of res, a result of c's last command (NULL: it failed or was
 * given up): DEADLINE_EXCEEDED for a statement cancelled at c's deadline,
 * UNAVAILABLE for one cancelled by pool_cancel_all, else db_error_status's. */
cruddur_status pool_conn_result_status(pool_conn *c, const PGresult *res, char *msg,
    size_t msglen);
/* Whether c's limit (deadline or pool_cancel_all) has passed: a statement
 * cancelled (57014) before it was cancelled by someone else, or failed a
 * COPY of ours. */
bool pool_conn_limit_passed(const pool_conn *c);
cruddur_status pool_conn_query(pool_conn *c, const char *sql, int nparams,
    const char *const *params, PGresult **out, char *msg, size_t msglen);
cruddur_status pool_conn_each(pool_conn *c, const char *sql,
    void (*each)(void *arg, PGresult *res), void *arg, char *msg, size_t msglen);

/*
 * COPY ... FROM STDIN, bounded the same way (pool_copy.c): copy_begin
 * sends sql and waits for the server to take rows (*out as for
 * pool_conn_query, PGRES_COPY_IN on success); copy_send queues len bytes
 * and flushes them, waiting for the socket no longer than c's limit, so
 * that neither memory nor a peer that stopped reading holds the caller;
 * copy_end ends the COPY (reason non-NULL: aborts it with that message,
 * and the transaction fails) and reads its result into *out as
 * pool_conn_query does (PGRES_COMMAND_OK on success, PQcmdTuples the
 * rows). A failure of send or end leaves c not reusable unless the
 * server answered.
 */
cruddur_status pool_conn_copy_begin(pool_conn *c, const char *sql, PGresult **out, char *msg,
    size_t msglen);
cruddur_status pool_conn_copy_send(pool_conn *c, const char *data, size_t len, char *msg,
    size_t msglen);
cruddur_status pool_conn_copy_end(pool_conn *c, const char *reason, PGresult **out, char *msg,
    size_t msglen);

/*
 * A connection that is not one of p's (kw/val: another database of the
 * server, such as DbAdmin's maintenance database), made and run the way
 * p's are: the connect is cut at until_us (CLOCK_MONOTONIC, > 0) and by
 * pool_cancel_all; pool_conn_query and the rest run on it bound by its
 * deadline (pool_conn_set_deadline) and p's stop, their cancels sent by
 * p's cancel sender. Status and msg as db_connect's (redact hides the
 * target's secrets). The caller owns *out: pool_conn_discard closes it
 * (never pool_release).
 */
cruddur_status pool_conn_open_other(pool *p, const char *const *kw, const char *const *val,
    const db_target *redact, int64_t until_us, pool_conn **out, char *msg, size_t msglen);
void pool_conn_discard(pool_conn *c);

/* Statements run with pool_conn_exec on c from now on are cancelled when
 * deadline_us (CLOCK_MONOTONIC microseconds; 0: none) passes, and then
 * fail with CRUDDUR_DEADLINE_EXCEEDED. pool_release clears it. */
void pool_conn_set_deadline(pool_conn *c, int64_t deadline_us);

/* Cancels every statement running or started from now on, on every
 * connection of p: they fail with UNAVAILABLE ("the server is shutting
 * down"). For a server that must stop although calls are still running. */
void pool_cancel_all(pool *p);

/* Microseconds on CLOCK_MONOTONIC, the clock of pool_acquire's deadline. */
int64_t pool_now_us(void);

/*
 * Runs stmt with params (stmt->nparams text values; NULL entries are SQL
 * NULL), preparing it on this connection first if it has not been yet. Text
 * results.
 *
 * Returns CRUDDUR_OK with *out set to a PGRES_TUPLES_OK or PGRES_COMMAND_OK
 * result that the caller PQclear's. Otherwise *out is NULL and the status and
 * msg come from db_error_status (INVALID_ARGUMENT for an id outside
 * 0..POOL_MAX_STATEMENTS-1). msg (may be NULL) is empty on success.
 */
cruddur_status pool_conn_exec(pool_conn *c, const db_statement *stmt,
    const char *const *params, PGresult **out, char *msg, size_t msglen);

/*
 * The same as pool_conn_exec, in two halves for a caller that waits on
 * many connections at once (reads/read_flight.c). pool_conn_start sends stmt
 * (or its PREPARE first) and returns at once: CRUDDUR_OK, or a failure
 * with msg when nothing could be sent. params must stay valid until the
 * statement is over. Then, each time PQsocket(pool_conn_pg(c)) is
 * readable or *wait_ms (set by the last step) has passed, pool_conn_step:
 * false means not over yet, true means over, with *st and on CRUDDUR_OK
 * *out, as pool_conn_exec returns them. Deadline and pool_cancel_all
 * apply as in pool_conn_exec; so does the connection's ownership.
 */
cruddur_status pool_conn_start(pool_conn *c, const db_statement *stmt,
    const char *const *params, char *msg, size_t msglen);
/* Marks c as not reusable: pool_release closes it. For a connection
 * whose statement is left running. */
void pool_conn_abandon(pool_conn *c);

/*
 * Pipelines (pool_pipeline.c): n executions of one statement sent in one
 * write, their results read back in order, so that PostgreSQL runs them
 * back to back and the caller reads several results per wake-up.
 *
 * pool_conn_pipeline_ok says whether c can take one for stmt now: the
 * statement is prepared on c already (a PREPARE is never pipelined).
 * pool_conn_pipeline_start sends them, params[i] the parameters of the
 * i-th (valid until it is reported), each with its own Sync: one
 * statement's failure does not abort the others' transactions.
 * c's deadline (pool_conn_set_deadline) should be the latest of theirs.
 * Then, each time PQsocket is readable or *wait_ms has passed,
 * pool_conn_pipeline_step reports the next statement, in order:
 *   POOL_PIPE_WAIT     nothing new; wait again, at most *wait_ms
 *   POOL_PIPE_DONE     the next statement ran: *st, and on OK *out (the
 *                      caller's to PQclear)
 *   POOL_PIPE_RETRY    the next statement failed in a way that running
 *                      it again, alone, may not (an error of PostgreSQL,
 *                      a lost connection): the caller should; after a
 *                      lost connection every remaining one says so
 *   POOL_PIPE_END      every statement was reported: c is the caller's
 *                      again (pool_release closes it if it broke)
 * Once c's limit (deadline, pool_cancel_all) has passed, statements are
 * cancelled as pool_conn_step cancels one, and those that did not run are
 * DONE with that status, never RETRY.
 */
typedef enum pool_pipe_event {
	POOL_PIPE_WAIT,
	POOL_PIPE_DONE,
	POOL_PIPE_RETRY,
	POOL_PIPE_END,
} pool_pipe_event;
bool pool_conn_pipeline_ok(const pool_conn *c, const db_statement *stmt);
cruddur_status pool_conn_pipeline_start(pool_conn *c, const db_statement *stmt,
    const char *const *const *params, int n, char *msg, size_t msglen);
pool_pipe_event pool_conn_pipeline_step(pool_conn *c, cruddur_status *st, PGresult **out,
    int *wait_ms, char *msg, size_t msglen);

bool pool_conn_step(pool_conn *c, cruddur_status *st, PGresult **out, int *wait_ms,
    char *msg, size_t msglen);

#endif /* CRUDDUR_POOL_H */
