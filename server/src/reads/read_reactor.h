/*
 * read_reactor.h - one thread that waits on many database reads at once,
 * so that a read needs no worker thread.
 *
 * Why: on the feed's path, handing each request from nng's thread to a
 * worker, and the worker's sleep on its PostgreSQL socket, cost more CPU
 * than the query itself (bench/RESULTS.md). A read submitted here is sent
 * to PostgreSQL from the submitting thread (an nng callback) on an idle
 * pooled connection; one reactor thread waits on every such connection
 * with epoll and hands each result to its requests' done callbacks.
 *
 * Reads that cannot start at once wait in a bounded FIFO of pending
 * flights (a flight is one query and the requests that take its result).
 * A connection that finishes a flight goes back to the pool and is taken
 * again for the next pending one. When no connection is idle and none of
 * the reactor's is busy (the workers hold them all, or the pool has not
 * connected yet), the reactor thread itself waits in pool_acquire, which
 * may connect: while it does, it has no other read to wait on.
 *
 * Coalescing (read_reactor_new's coalesce): a request whose key equals
 * that of a PENDING flight joins it; a running flight is never joined, and
 * while one runs for a key, the next flight for that key waits for it. So
 * every reply comes from a query that started after its request arrived
 * (tests/integration/coalesce_freshness_test.c proves it under load).
 * This is the server's one coalescer (--coalesce).
 *
 * Pipelines (read_reactor_new's depth > 1): a flight that starts on a
 * connection where its statement is prepared takes up to depth - 1 more
 * pending flights of the same statement along, all sent in one pipeline
 * (pool_pipeline.c): PostgreSQL runs them back to back, and their results
 * come in together. Each is still its own query with its own result; one
 * that fails inside a pipeline runs again alone, whose answer is final.
 *
 * Deadlines: a request whose deadline passes while its flight is pending
 * gets DEADLINE_EXCEEDED and its flight goes on without it. A running
 * query is cancelled at the latest deadline of its requests (pool_exec.c),
 * and at pool_cancel_all.
 *
 * Threads: read_reactor_submit may be called from any thread, nng
 * callbacks included: it never blocks on the database. done callbacks run
 * on the reactor thread, one at a time, or inside submit when its
 * statement could not even be sent (a broken connection): the caller must
 * not touch w after a submit that returned CRUDDUR_OK. They must not
 * block either.
 */
#ifndef CRUDDUR_READ_REACTOR_H
#define CRUDDUR_READ_REACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "cruddur/status.h"
#include "db/pool.h"

#define READ_MAX_PARAMS 4
/* Room for a query's parameters and key, terminators included. */
#define READ_MAX_TEXT 512

typedef struct read_reactor read_reactor;
typedef struct read_waiter  read_waiter;

/* What the requests of one flight may keep for each other: the first done
 * callback may store something made from the result (the packed
 * response, which is the same for all of them) for the others to reuse;
 * the reactor calls free(data) after the last one. */
typedef struct read_memo {
	void  *data;
	size_t len;
	void (*free)(void *data);
} read_memo;

/* The outcome of a read, for one request: on CRUDDUR_OK res is the
 * result, shared with the flight's other requests and valid only during
 * the call, as is memo; otherwise res is NULL and msg says why. */
typedef void (*read_done_fn)(read_waiter *w, cruddur_status st, const char *msg,
    const PGresult *res, read_memo *memo);

/* One request waiting for a read. The caller's memory, set before submit;
 * the reactor uses it until it has called done. */
struct read_waiter {
	read_done_fn done;
	int64_t      deadline_us; /* CLOCK_MONOTONIC; 0: none */
	read_waiter *next;        /* the reactor's */
};

typedef struct read_query {
	const db_statement *stmt;
	const char         *params[READ_MAX_PARAMS]; /* stmt->nparams; copied */
	/* Requests with equal keys may share one query (when coalescing);
	 * NULL: never shared. Copied. */
	const char *key;
} read_query;

/* Starts the reactor thread over pool (borrowed; must outlive it). At most
 * max_pending requests wait for a connection at once; at most depth
 * statements go in one pipeline (1..64; 1: none). Returns 0 or an errno
 * value. */
int read_reactor_new(read_reactor **out, pool *p, size_t max_pending, bool coalesce,
    int depth);

/*
 * Submits q for w. CRUDDUR_OK: w->done will be called exactly once.
 * Otherwise done is never called and msg says why: RESOURCE_EXHAUSTED
 * when max_pending requests already wait, UNAVAILABLE once stopping,
 * INVALID_ARGUMENT when q does not fit READ_MAX_PARAMS / READ_MAX_TEXT.
 */
cruddur_status read_reactor_submit(read_reactor *r, const read_query *q, read_waiter *w,
    char *msg, size_t msglen);

/* A snapshot: requests waiting for a connection and queries running now;
 * queries sent and requests submitted since start (their ratio is the
 * coalescing factor). */
typedef struct read_reactor_stats {
	size_t             waiting, running;
	unsigned long long queries, requests;
	/* Pipelines sent, and the queries in them (part of queries). */
	unsigned long long pipelines, pipelined_queries;
} read_reactor_stats;

void read_reactor_get_stats(read_reactor *r, read_reactor_stats *out);

/* Refuses new submits (UNAVAILABLE), lets every running and pending read
 * finish (pending ones still get a connection unless the pool is
 * stopping), then joins the thread. r stays valid for late submits until
 * read_reactor_free. NULL is ignored. */
void read_reactor_stop(read_reactor *r);

/* Stops r if it is not yet, and frees it. NULL is ignored. */
void read_reactor_free(read_reactor *r);

#endif /* CRUDDUR_READ_REACTOR_H */
