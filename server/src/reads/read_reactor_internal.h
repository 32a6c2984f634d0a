/*
 * read_reactor_internal.h - what read_reactor.c (the thread, the pending
 * FIFO, one statement per flight) and read_pipeline.c (several flights in
 * one pipeline) share. Not for use outside the reactor. The locking rules
 * are at the top of read_reactor.c.
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
	bool                requeued;  /* pending again, at the head (requeue) */
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

/* The latest deadline of f's requests; 0 when one of them has none. */
int64_t flight_deadline(const flight *f);
void    unlink_flight(flight **head, flight **tail, flight *f);
size_t  count_waiters(const flight *f);
/* Tells each of waiters (a list) the outcome. Called without the lock. */
void    deliver(read_waiter *waiters, cruddur_status st, const char *msg, const PGresult *res);
/* Whether pending flight f may start now (coalescing). Locked. */
bool    sendable(read_reactor *r, const flight *f);
/* f leaves pending for the running list. Locked. */
void    to_running(read_reactor *r, flight *f);
/* Tells f's requests (once; none left after). Called without the lock. */
void    flight_tell(read_reactor *r, flight *f, cruddur_status st, const char *msg,
    const PGresult *res);
/* Ends running flight f: unlinked, its connection back, its requests told,
 * freed. Called without the lock. */
void    flight_finish(read_reactor *r, flight *f, cruddur_status st, const char *msg,
    const PGresult *res);
/* Running flight f (a lead) is looked at again when its socket is
 * readable or at step_at_us. False when epoll refused: its connection is
 * then abandoned, and the caller must finish f. Reactor thread. */
bool    flight_rearm(read_reactor *r, flight *f, int64_t step_at_us);
/* Wakes the reactor thread. */
void    wake(read_reactor *r);

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
