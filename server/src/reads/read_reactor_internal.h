/*
 * read_reactor_internal.h - what the read reactor's files share. Private
 * to reads/: nothing outside it includes this.
 *
 *   read_reactor.c   the thread (its epoll loop) and the interface of
 *                    read_reactor.h: new, submit, stats, stop, free;
 *   read_flight.c    a flight: made, listed, its one statement sent,
 *                    looked at and ended, its requests told;
 *   read_pending.c   the pending FIFO: requests joining it, their
 *                    deadlines, and its flights given connections;
 *   read_pipeline.c  several flights in one pipeline.
 * A function shared between them is named after the file it lives in:
 * reactor_, flight_, pending_, pipeline_ (read_reactor_ is the public
 * interface). Everything else is static.
 *
 * State, all under r->mtx:
 *   pending   FIFO of flights waiting for a connection (or, when
 *             coalescing, for the running flight of their key);
 *   running   flights whose statement was sent; each owns a connection
 *             whose socket is in the epoll set (EPOLLONESHOT, re-armed
 *             after each look) with the flight as its data;
 *   n_waiting requests in pending flights, bounded by max_pending;
 *   acquiring while the reactor thread waits in pool_acquire: submits
 *             then take no connection (pending_start says why).
 * A running flight is touched only by the thread that started it, until
 * it hands the flight over (flight_start: its step time and its socket
 * set together under the lock), and by the reactor thread after that; so
 * the statement's steps (pool_conn_step) run without the lock, and so do
 * the done callbacks. The counters of read_reactor_stats are atomics.
 *
 * Pipelines (depth > 1): a flight that starts on a connection that has
 * its statement prepared takes waiting flights of the same statement
 * along in one pipeline; read_pipeline.c says how. Such a batch's flights
 * are running, but only their lead owns a connection and a step time.
 *
 * Ownership: flights are the reactor's, from flight_new until whoever
 * ends them frees them (flight_finish, pending_expire, the pipeline's
 * ends); a flight's read_waiters are its callers' memory, linked in until
 * their done callback (read_reactor.h); a running lead holds its pooled
 * connection from flight_start until flight_finish gives it back.
 */
#ifndef CRUDDUR_READ_REACTOR_INTERNAL_H
#define CRUDDUR_READ_REACTOR_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "reads/read_reactor.h"

typedef struct flight {
	struct flight      *next;
	const db_statement *stmt;
	const char         *params[READ_MAX_PARAMS];
	const char         *key;  /* in text, or NULL */
	char                text[READ_MAX_TEXT];
	read_waiter        *waiters;
	pool_conn          *conn;
	int64_t             step_at_us; /* running: look again at this time */
	int64_t             queued_us;  /* pending: since when */
	struct flight      *batch;     /* a lead's pipelined flights, in order */
	bool                pipelined; /* a lead whose statements are a pipeline */
	bool                told;      /* a lead whose own result was told */
	bool                alone;     /* never pipelined (it failed in one) */
	bool                requeued;  /* pending again, at the head (pending_requeue) */
} flight;

struct read_reactor {
	pool           *pool;
	size_t          max_pending;
	bool            coalesce;
	int             depth; /* statements per pipeline; 1: no pipelines */
	int             epfd, evfd;
	pthread_t       thread;
	bool            thread_started;
	pthread_mutex_t mtx;
	flight         *pending, *pending_tail, *running;
	size_t          n_waiting, n_running;
	bool            stopping;
	bool            acquiring;
	/* When the reactor thread wakes up by itself: 0 while it is awake
	 * (it looks at the lists before it sleeps again), INT64_MAX when it
	 * sleeps until an event. A submit whose read needs it sooner wakes it. */
	int64_t         sleep_until_us;
	atomic_ullong   queries, requests, pipelines, pipelined_queries;
};

/* ---- read_reactor.c --------------------------------------------------- */

/* Wakes the reactor thread. Any thread. */
void    reactor_wake(read_reactor *r);

/* ---- read_flight.c ---------------------------------------------------- */

/* A flight for q, its text copied in, with no request yet; NULL (and why,
 * in *st and msg) when it does not fit or memory ran out. */
flight *flight_new(const read_query *q, cruddur_status *st, char *msg, size_t msglen);
/* A pending copy of running flight f, with f's requests, to run again by
 * itself (alone); NULL when memory ran out. */
flight *flight_clone(const flight *f);
/* The latest deadline of f's requests; 0 when one of them has none. */
int64_t flight_deadline(const flight *f);
size_t  flight_count_waiters(const flight *f);
/* Takes f out of the list at *head (and *tail, unless NULL). Locked. */
void    flight_unlink(flight **head, flight **tail, flight *f);
/* Tells each of waiters (a list) the outcome. Called without the lock. */
void    flight_deliver(read_waiter *waiters, cruddur_status st, const char *msg,
    const PGresult *res);
/* Tells f's requests (once; none left after). Called without the lock. */
void    flight_tell(read_reactor *r, flight *f, cruddur_status st, const char *msg,
    const PGresult *res);
/* Sends f's statement on conn (with a batch when it can), then hands f to
 * the reactor thread; f is already in the running list. Called without
 * the lock, by the thread that moved f there. */
void    flight_start(read_reactor *r, flight *f, pool_conn *conn);
/* Running flight f (a lead) is looked at again when its socket is
 * readable or at step_at_us. False when epoll refused: its connection is
 * then abandoned, and the caller must finish f. Reactor thread. */
bool    flight_rearm(read_reactor *r, flight *f, int64_t step_at_us);
/* One look at running flight f (its socket readable, or its time due).
 * Reactor thread. */
void    flight_step(read_reactor *r, flight *f);
/* Ends running flight f: unlinked, its connection back, its requests told,
 * freed. Called without the lock. */
void    flight_finish(read_reactor *r, flight *f, cruddur_status st, const char *msg,
    const PGresult *res);

/* ---- read_pending.c --------------------------------------------------- */

/* Whether pending flight f may start now (coalescing). Locked. */
bool    pending_sendable(read_reactor *r, const flight *f);
/* f leaves pending for the running list. Locked. */
void    pending_to_running(read_reactor *r, flight *f);
/* Joins q's request w to the pending flight of its key; false if none.
 * Locked. */
bool    pending_join(read_reactor *r, const read_query *q, read_waiter *w);
/* New flight f, with its requests, goes to the end of pending. Locked. */
void    pending_push(read_reactor *r, flight *f);
/* Flight f, out of the running list, goes back to pending ahead of the
 * flights that never ran; alone: never in a pipeline again. Locked. */
void    pending_requeue(read_reactor *r, flight *f, bool alone);
/* The earliest deadline of a pending request; INT64_MAX if none has one.
 * Locked. */
int64_t pending_deadline(const read_reactor *r);
/* Ends the requests of pending flights whose deadline has passed. Called
 * without the lock. */
void    pending_expire(read_reactor *r);
/* Gives pending flights connections while there are some to have.
 * Reactor thread, without the lock. */
void    pending_start(read_reactor *r);

/* ---- read_pipeline.c -------------------------------------------------- */

/* The earliest deadline of the requests of lead and its batch (INT64_MAX
 * when none has one). */
int64_t pipeline_earliest(const flight *lead);
/* Sends lead (its connection in lead->conn, in the running list) with up
 * to depth - 1 waiting flights of its statement in one pipeline, when its
 * connection can take one; returns the statements sent, or 0 when it sent
 * nothing: lead is then to run alone. Called without the lock. */
int     pipeline_try_start(read_reactor *r, flight *lead);
/* Ends what is left of lead's batch with st, or with CRUDDUR_OK by
 * sending it back to pending. Called without the lock. */
void    pipeline_drop_batch(read_reactor *r, flight *lead, cruddur_status st, const char *msg);
/* One look at the running pipeline whose lead is f; reactor thread. */
void    pipeline_step(read_reactor *r, flight *f);

#endif /* CRUDDUR_READ_REACTOR_INTERNAL_H */
