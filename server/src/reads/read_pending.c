/*
 * read_pending.c - the read reactor's pending flights: the FIFO of those
 * waiting for a connection (or, when coalescing, for the running flight
 * of their key), the requests that join them, their deadlines, and
 * giving them connections (pending_start) without ever waiting on a
 * database host that does not answer.
 *
 * Locking as in read_reactor_internal.h: the functions marked Locked
 * (here or there) are called with r->mtx held; pending_expire and pending_start take it
 * themselves, on the reactor thread, and call the done callbacks and
 * pool_acquire without it.
 *
 * Ownership: pending flights are the reactor's. pending_expire frees one
 * whose every request has expired; pending_start hands each flight it
 * takes to flight_start or flight_finish.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "reads/read_reactor_internal.h"

/* A wait in pool_acquire lasts at most this long, so that the deadline of
 * a request submitted meanwhile is seen (pending_start). */
#define ACQUIRE_SLICE_US 20000

/* ---- the FIFO -------------------------------------------------------- */

/* The flight running or pending for key; NULL if none. Locked. */
static flight *
find_key(flight *list, const char *key)
{
	for (flight *f = list; f != NULL; f = f->next)
		if (f->key != NULL && strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

/* Not while a flight of f's key runs (coalescing). */
bool
pending_sendable(read_reactor *r, const flight *f)
{
	return !r->coalesce || f->key == NULL || find_key(r->running, f->key) == NULL;
}

void
pending_to_running(read_reactor *r, flight *f)
{
	flight_unlink(&r->pending, &r->pending_tail, f);
	r->n_waiting -= flight_count_waiters(f);
	f->requeued = false;
	f->next = r->running;
	r->running = f;
	r->n_running++;
}

bool
pending_join(read_reactor *r, const read_query *q, read_waiter *w)
{
	flight *f;

	if (!r->coalesce || q->key == NULL || (f = find_key(r->pending, q->key)) == NULL)
		return false;
	w->next = f->waiters;
	f->waiters = w;
	r->n_waiting++;
	return true;
}

void
pending_push(read_reactor *r, flight *f)
{
	if (r->pending_tail != NULL)
		r->pending_tail->next = f;
	else
		r->pending = f;
	r->pending_tail = f;
	r->n_waiting += flight_count_waiters(f);
	f->queued_us = clock_mono_us();
}

/* Behind the flights requeued before f, so that the statements of one
 * pipeline keep their order. */
void
pending_requeue(read_reactor *r, flight *f, bool alone)
{
	flight *prev = NULL;

	for (flight *it = r->pending; it != NULL && it->requeued; it = it->next)
		prev = it;
	f->alone = f->alone || alone;
	f->requeued = true;
	f->queued_us = clock_mono_us();
	f->next = prev != NULL ? prev->next : r->pending;
	if (prev != NULL)
		prev->next = f;
	else
		r->pending = f;
	if (f->next == NULL)
		r->pending_tail = f;
	r->n_waiting += flight_count_waiters(f);
}

/* ---- deadlines ------------------------------------------------------- */

int64_t
pending_deadline(const read_reactor *r)
{
	int64_t next = INT64_MAX;

	for (const flight *f = r->pending; f != NULL; f = f->next)
		for (const read_waiter *w = f->waiters; w != NULL; w = w->next)
			if (w->deadline_us != 0 && w->deadline_us < next)
				next = w->deadline_us;
	return next;
}

void
pending_expire(read_reactor *r)
{
	read_waiter *expired = NULL;
	int64_t      now = clock_mono_us();

	pthread_mutex_lock(&r->mtx);
	for (flight *f = r->pending, *next; f != NULL; f = next) {
		next = f->next;
		for (read_waiter **wp = &f->waiters; *wp != NULL;) {
			read_waiter *w = *wp;
			if (w->deadline_us == 0 || w->deadline_us > now) {
				wp = &w->next;
				continue;
			}
			*wp = w->next;
			w->next = expired;
			expired = w;
			r->n_waiting--;
		}
		if (f->waiters == NULL) {
			flight_unlink(&r->pending, &r->pending_tail, f);
			free(f);
		}
	}
	pthread_mutex_unlock(&r->mtx);
	flight_deliver(expired, CRUDDUR_DEADLINE_EXCEEDED,
	    "the deadline passed before a database connection was free", NULL);
}

/* ---- connections for them -------------------------------------------- */

/* Takes the first pending flight that may start into the running list.
 * Locked. */
static flight *
take_sendable(read_reactor *r)
{
	for (flight *f = r->pending; f != NULL; f = f->next) {
		if (!pending_sendable(r, f))
			continue;
		pending_to_running(r, f);
		return f;
	}
	return NULL;
}

/* Never connects: a new connection is asked of the pool's connector
 * thread (pool_grow_async), which wakes this thread when it is made or
 * failed, so that a database host that does not answer stalls no read
 * and no deadline; while the pool backs off from a database that refuses,
 * the flights are answered at once (POOL_DOWN). Waits in pool_acquire
 * only when every connection is in use and no read of ours runs: then
 * nothing else needs this thread. While it waits, submits take no idle
 * connection (r->acquiring): a read started then would run unwatched, and
 * the connection that this wait is for could go to it. The wait goes in
 * slices of ACQUIRE_SLICE_US, each cut short by the earliest deadline of
 * a pending request (pending_expire answers it), so that a request that
 * came meanwhile with a shorter deadline is not answered late; the pool's
 * acquire timeout is counted from when the flight began to wait. */
void
pending_start(read_reactor *r)
{
	for (;;) {
		pool_conn *conn = NULL;
		char       msg[512];

		pthread_mutex_lock(&r->mtx);
		flight *first = NULL;
		for (flight *f = r->pending; f != NULL && first == NULL; f = f->next)
			if (pending_sendable(r, f))
				first = f;
		if (first == NULL) {
			pthread_mutex_unlock(&r->mtx);
			return;
		}
		pool_try t = pool_try_acquire(r->pool, &conn);
		bool     wait = t == POOL_BUSY && r->n_running == 0;
		int64_t  now = clock_mono_us(), until = pending_deadline(r);
		int64_t  timeout = first->queued_us + (int64_t)pool_acquire_timeout_ms(r->pool) * 1000;
		if (t == POOL_BUSY && wait && now >= timeout) {
			flight *f = take_sendable(r);
			pthread_mutex_unlock(&r->mtx);
			snprintf(msg, sizeof(msg), "every database connection stayed busy for %d ms",
			    pool_acquire_timeout_ms(r->pool));
			flight_finish(r, f, CRUDDUR_RESOURCE_EXHAUSTED, msg, NULL);
			continue;
		}
		if (now + ACQUIRE_SLICE_US < until)
			until = now + ACQUIRE_SLICE_US;
		if (t == POOL_BUSY && timeout < until)
			until = timeout;
		if (t == POOL_TAKEN || t == POOL_STOPPING || t == POOL_DOWN) {
			flight *f = take_sendable(r);
			pthread_mutex_unlock(&r->mtx);
			if (t == POOL_TAKEN) {
				flight_start(r, f, conn);
			} else if (t == POOL_DOWN) {
				cruddur_status down = pool_down_status(r->pool, msg, sizeof(msg));
				flight_finish(r, f, down, msg, NULL);
			} else {
				flight_finish(r, f, CRUDDUR_UNAVAILABLE, "the server is shutting down", NULL);
			}
			continue;
		}
		r->acquiring = wait;
		pthread_mutex_unlock(&r->mtx);
		if (t == POOL_MAY_GROW)
			pool_grow_async(r->pool); /* its notify wakes us (read_reactor_new) */
		if (!wait)
			return; /* a running flight's end, or the connector, will start them */
		cruddur_status st = pool_acquire(r->pool, until, &conn, msg, sizeof(msg));
		if (st == CRUDDUR_DEADLINE_EXCEEDED) {
			/* The slice is over, or a request's deadline passed (one
			 * request's, not the flight's: others may have joined it). */
			pthread_mutex_lock(&r->mtx);
			r->acquiring = false;
			pthread_mutex_unlock(&r->mtx);
			pending_expire(r);
			continue;
		}
		pthread_mutex_lock(&r->mtx);
		r->acquiring = false;
		/* Another thread may have taken pending flights meanwhile (a
		 * submit that found an idle connection, and its batch): there
		 * may be none left to start. */
		flight *f = take_sendable(r);
		pthread_mutex_unlock(&r->mtx);
		if (f == NULL) {
			pool_release(r->pool, conn);
			return;
		}
		if (st == CRUDDUR_OK)
			flight_start(r, f, conn);
		else
			flight_finish(r, f, st, msg, NULL);
	}
}
