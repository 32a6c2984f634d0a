/*
 * read_reactor.c - reads waited on by one epoll thread; see read_reactor.h.
 *
 * State, all under r->mtx:
 *   pending   FIFO of flights waiting for a connection (or, when
 *             coalescing, for the running flight of their key);
 *   running   flights whose statement was sent; each owns a connection
 *             whose socket is in the epoll set (EPOLLONESHOT, re-armed
 *             after each look) with the flight as its data;
 *   n_waiting requests in pending flights, bounded by max_pending;
 *   acquiring while the reactor thread waits in pool_acquire: submits
 *             then take no connection (feed_pending says why).
 * A running flight is touched only by the thread that started it, until
 * it hands the flight over (flight_start: its step time and its socket
 * set together under the lock), and by the reactor thread after that; so
 * the statement's steps (pool_conn_step) run without the lock, and so do
 * the done callbacks.
 *
 * Pipelines (depth > 1): a flight that starts on a connection that has
 * its statement prepared takes waiting flights of the same statement
 * along in one pipeline; read_pipeline.c says how. Such a batch's flights
 * are running, but only their lead owns a connection and a step time.
 */
#if !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* epoll, eventfd */
#endif

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/clock.h"
#include "obs/log.h"
#include "reads/read_reactor_internal.h"

#define MAX_EVENTS 64
/* A running statement is looked at this often even without input: its
 * deadline, a cancel to resend (pool_conn_step sets the exact time). */
#define STEP_EVERY_US 200000
/* A wait in pool_acquire lasts at most this long, so that the deadline of
 * a request submitted meanwhile is seen (feed_pending). */
#define ACQUIRE_SLICE_US 20000


static void
set_msg(char *msg, size_t msglen, const char *text)
{
	if (msglen > 0)
		snprintf(msg, msglen, "%s", text);
}

/* ---- flights --------------------------------------------------------- */

/* A flight for q, its text copied in; NULL (and why, in msg) when it
 * does not fit or memory ran out. */
static flight *
flight_new(const read_query *q, cruddur_status *st, char *msg, size_t msglen)
{
	const char *src[READ_MAX_PARAMS + 1];
	int         n = q->stmt->nparams;
	size_t      need = 0;
	flight     *f;

	*st = CRUDDUR_INVALID_ARGUMENT;
	if (n > READ_MAX_PARAMS) {
		set_msg(msg, msglen, "the query has more parameters than the read reactor takes");
		return NULL;
	}
	for (int i = 0; i <= n; i++) { /* the parameters, then the key */
		src[i] = i < n ? q->params[i] : q->key;
		need += src[i] != NULL ? strlen(src[i]) + 1 : 0; /* NULL: SQL NULL, or no key */
	}
	if (need > READ_MAX_TEXT) {
		set_msg(msg, msglen, "the query's text is longer than the read reactor takes");
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		*st = CRUDDUR_RESOURCE_EXHAUSTED;
		set_msg(msg, msglen, "out of memory");
		return NULL;
	}
	f->stmt = q->stmt;
	need = 0; /* now: what is copied so far */
	for (int i = 0; i <= n; i++) {
		if (src[i] == NULL)
			continue;
		size_t len = strlen(src[i]) + 1;
		memcpy(f->text + need, src[i], len);
		if (i < n)
			f->params[i] = f->text + need;
		else
			f->key = f->text + need;
		need += len;
	}
	return f;
}

/* The latest deadline of f's requests; 0 when one of them has none. */
int64_t
flight_deadline(const flight *f)
{
	int64_t latest = 0;

	for (const read_waiter *w = f->waiters; w != NULL; w = w->next) {
		if (w->deadline_us == 0)
			return 0;
		if (w->deadline_us > latest)
			latest = w->deadline_us;
	}
	return latest;
}

void
unlink_flight(flight **head, flight **tail, flight *f)
{
	flight *prev = NULL;

	for (flight *it = *head; it != NULL; prev = it, it = it->next) {
		if (it != f)
			continue;
		if (prev == NULL)
			*head = f->next;
		else
			prev->next = f->next;
		if (tail != NULL && *tail == f)
			*tail = prev;
		f->next = NULL;
		return;
	}
}

size_t
count_waiters(const flight *f)
{
	size_t n = 0;
	for (const read_waiter *w = f->waiters; w != NULL; w = w->next)
		n++;
	return n;
}

/* Tells each of waiters the outcome. Called without the lock. */
void
deliver(read_waiter *waiters, cruddur_status st, const char *msg, const PGresult *res)
{
	read_memo memo = { 0 };

	while (waiters != NULL) {
		read_waiter *next = waiters->next;
		waiters->done(waiters, st, msg, res, &memo); /* may free waiters */
		waiters = next;
	}
	if (memo.data != NULL && memo.free != NULL)
		memo.free(memo.data);
}

/* The flight running or pending for key; NULL if none. Locked. */
static flight *
find_key(flight *list, const char *key)
{
	for (flight *f = list; f != NULL; f = f->next)
		if (f->key != NULL && strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

/* Whether pending flight f may start now: not while a flight of its key
 * runs (coalescing). Locked. */
bool
sendable(read_reactor *r, const flight *f)
{
	return !r->coalesce || f->key == NULL || find_key(r->running, f->key) == NULL;
}

/* f leaves pending for the running list. Locked. */
void
to_running(read_reactor *r, flight *f)
{
	unlink_flight(&r->pending, &r->pending_tail, f);
	r->n_waiting -= count_waiters(f);
	f->requeued = false;
	f->next = r->running;
	r->running = f;
	r->n_running++;
}

/* ---- running a flight ------------------------------------------------ */

/* Tells f's requests the outcome of its statement. Called without the
 * lock. */
void
flight_tell(read_reactor *r, flight *f, cruddur_status st, const char *msg, const PGresult *res)
{
	if (f->waiters == NULL)
		return; /* a lead told already (pipeline_told) */
	if (r->coalesce && f->key != NULL && log_enabled(LOG_DEBUG))
		log_debug("msg=\"shared feed query\" requests=%zu status=%s", count_waiters(f),
		    cruddur_status_name(st));
	deliver(f->waiters, st, msg, res);
	f->waiters = NULL;
}

/* Ends running flight f: out of the running list, its connection back to
 * the pool, its requests told. Called without the lock. */
void
flight_finish(read_reactor *r, flight *f, cruddur_status st, const char *msg, const PGresult *res)
{
	pthread_mutex_lock(&r->mtx);
	unlink_flight(&r->running, NULL, f);
	r->n_running--;
	/* Pending flights may count on this end to start them (submit's
	 * need_wake); off the reactor thread (a start that failed in submit)
	 * nothing else would tell the reactor. */
	bool need_wake = r->pending != NULL && !pthread_equal(pthread_self(), r->thread);
	pthread_mutex_unlock(&r->mtx);
	if (f->conn != NULL)
		pool_release(r->pool, f->conn);
	if (need_wake)
		wake(r);
	flight_tell(r, f, st, msg, res);
	free(f);
}

/* Sends f's statement on conn, with a batch when it can (the top of this
 * file); f is already in the running list. Called without the lock, by
 * the thread that moved f there. */
static void
flight_start(read_reactor *r, flight *f, pool_conn *conn)
{
	char               msg[512];
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = f };
	cruddur_status     st;

	f->conn = conn;
	int n = pipeline_try_start(r, f);
	atomic_fetch_add(&r->queries, n > 0 ? (unsigned long long)n : 1);
	if (n == 0) { /* alone */
		pool_conn_set_deadline(conn, flight_deadline(f));
		if ((st = pool_conn_start(conn, f->stmt, f->params, msg, sizeof(msg))) != CRUDDUR_OK) {
			flight_finish(r, f, st, msg, NULL);
			return;
		}
	}
	/* First look: by the earliest deadline in it (pipeline_expire). */
	int64_t deadline = pipeline_earliest(f), step_at = clock_mono_us() + STEP_EVERY_US;
	if (deadline < step_at)
		step_at = deadline;
	/* The hand-over: once its step time is set (step_due) or its socket
	 * is in the set (an event), the reactor thread may step, finish and
	 * free f. Both are done under the lock, which step_due takes, and f
	 * is not touched after: its result may be in before submit returns. */
	pthread_mutex_lock(&r->mtx);
	f->step_at_us = step_at;
	bool added = epoll_ctl(r->epfd, EPOLL_CTL_ADD, PQsocket(pool_conn_pg(conn)), &ev) == 0;
	int  err = errno;
	if (!added)
		f->step_at_us = 0; /* still ours */
	bool need_wake = added && step_at < r->sleep_until_us;
	pthread_mutex_unlock(&r->mtx);
	if (need_wake)
		wake(r);
	if (!added) {
		/* Without the socket in the set nobody would wait for it; the
		 * statement runs on, so the connection cannot be reused. */
		log_error("msg=\"read reactor: epoll_ctl failed\" errno=%d", err);
		pool_conn_abandon(conn);
		pipeline_drop_batch(r, f, CRUDDUR_INTERNAL, "the server could not wait for the database");
		flight_finish(r, f, CRUDDUR_INTERNAL, "the server could not wait for the database", NULL);
	}
}

bool
flight_rearm(read_reactor *r, flight *f, int64_t step_at_us)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = f };

	f->step_at_us = step_at_us;
	/* A PREPARE that was followed by the statement may have a new socket
	 * state to wait for; MOD re-arms the one-shot either way. */
	if (epoll_ctl(r->epfd, EPOLL_CTL_MOD, PQsocket(pool_conn_pg(f->conn)), &ev) == 0)
		return true;
	log_error("msg=\"read reactor: epoll_ctl failed\" errno=%d", errno);
	pool_conn_abandon(f->conn); /* its statement runs on unwatched */
	return false;
}

/* One look at running flight f (its socket readable, or its time due). */
static void
flight_step(read_reactor *r, flight *f)
{
	char           msg[512] = "";
	cruddur_status st;
	PGresult      *res;
	int            wait_ms;
	int            fd = PQsocket(pool_conn_pg(f->conn));

	if (f->pipelined) {
		pipeline_step(r, f);
		return;
	}
	if (!pool_conn_step(f->conn, &st, &res, &wait_ms, msg, sizeof(msg))) {
		if (!flight_rearm(r, f, clock_mono_us() + (int64_t)wait_ms * 1000))
			flight_finish(r, f, CRUDDUR_INTERNAL, "the server could not wait for the database",
			    NULL);
		return;
	}
	/* A connection lost in that step closed its socket, which left the
	 * set by itself; its number may already be another connection's. */
	if (PQsocket(pool_conn_pg(f->conn)) == fd)
		(void)epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
	flight_finish(r, f, st, msg, res);
	PQclear(res);
}

/* Running flights whose time to look again has come. */
static void
step_due(read_reactor *r)
{
	flight *due[MAX_EVENTS];
	size_t  n = 0;
	int64_t now = clock_mono_us();

	pthread_mutex_lock(&r->mtx);
	for (flight *f = r->running; f != NULL && n < MAX_EVENTS; f = f->next)
		if (f->step_at_us != 0 && f->step_at_us <= now)
			due[n++] = f;
	pthread_mutex_unlock(&r->mtx);
	for (size_t i = 0; i < n; i++)
		flight_step(r, due[i]);
}

/* ---- pending flights ------------------------------------------------- */

/* Ends the requests of pending flights whose deadline has passed. */
static void
expire_pending(read_reactor *r)
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
			unlink_flight(&r->pending, &r->pending_tail, f);
			free(f);
		}
	}
	pthread_mutex_unlock(&r->mtx);
	deliver(expired, CRUDDUR_DEADLINE_EXCEEDED,
	    "the deadline passed before a database connection was free", NULL);
}

/* The earliest deadline of a pending request; INT64_MAX if none has one.
 * Locked. */
static int64_t
pending_deadline(const read_reactor *r)
{
	int64_t next = INT64_MAX;

	for (const flight *f = r->pending; f != NULL; f = f->next)
		for (const read_waiter *w = f->waiters; w != NULL; w = w->next)
			if (w->deadline_us != 0 && w->deadline_us < next)
				next = w->deadline_us;
	return next;
}

/* Takes the first pending flight that may start into the running list. */
static flight *
take_sendable(read_reactor *r)
{
	for (flight *f = r->pending; f != NULL; f = f->next) {
		if (!sendable(r, f))
			continue;
		to_running(r, f);
		return f;
	}
	return NULL;
}

/* Gives pending flights connections while there are some to have. Never
 * connects: a new connection is asked of the pool's connector thread
 * (pool_grow_async), which wakes this thread when it is made or failed,
 * so that a database host that does not answer stalls no read and no
 * deadline; while the pool backs off from a database that refuses, the
 * flights are answered at once (POOL_DOWN). Waits in pool_acquire only
 * when every connection is in use and no read of ours runs: then nothing
 * else needs this thread. While it waits, submits take no idle
 * connection (r->acquiring): a read started then would run unwatched, and
 * the connection that this wait is for could go to it. The wait goes in
 * slices of ACQUIRE_SLICE_US, each cut short by the earliest deadline of
 * a pending request (expire_pending answers it), so that a request that
 * came meanwhile with a shorter deadline is not answered late; the pool's
 * acquire timeout is counted from when the flight began to wait. */
static void
feed_pending(read_reactor *r)
{
	for (;;) {
		pool_conn *conn = NULL;
		char       msg[512];

		pthread_mutex_lock(&r->mtx);
		flight *first = NULL;
		for (flight *f = r->pending; f != NULL && first == NULL; f = f->next)
			if (sendable(r, f))
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
			return; /* a running flight's end, or the connector, will feed them */
		cruddur_status st = pool_acquire(r->pool, until, &conn, msg, sizeof(msg));
		if (st == CRUDDUR_DEADLINE_EXCEEDED) {
			/* The slice is over, or a request's deadline passed (one
			 * request's, not the flight's: others may have joined it). */
			pthread_mutex_lock(&r->mtx);
			r->acquiring = false;
			pthread_mutex_unlock(&r->mtx);
			expire_pending(r);
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

/* ---- the thread ------------------------------------------------------ */

/* How long epoll may sleep: until the next running flight's look or the
 * next pending request's deadline; -1 when there is neither. */
static int
wait_timeout_ms(read_reactor *r)
{
	int64_t next = INT64_MAX, now = clock_mono_us();

	pthread_mutex_lock(&r->mtx);
	for (flight *f = r->running; f != NULL; f = f->next)
		if (f->step_at_us != 0 && f->step_at_us < next)
			next = f->step_at_us;
	int64_t due = pending_deadline(r);
	if (due < next)
		next = due;
	r->sleep_until_us = next;
	pthread_mutex_unlock(&r->mtx);
	if (next == INT64_MAX)
		return -1;
	return next <= now ? 0 : (int)((next - now + 999) / 1000);
}

static bool
done_stopping(read_reactor *r)
{
	pthread_mutex_lock(&r->mtx);
	bool done = r->stopping && r->pending == NULL && r->running == NULL;
	pthread_mutex_unlock(&r->mtx);
	return done;
}

static void *
reactor_main(void *arg)
{
	read_reactor      *r = arg;
	struct epoll_event evs[MAX_EVENTS];

	while (!done_stopping(r)) {
		int n = epoll_wait(r->epfd, evs, MAX_EVENTS, wait_timeout_ms(r));
		pthread_mutex_lock(&r->mtx);
		r->sleep_until_us = 0;
		pthread_mutex_unlock(&r->mtx);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				uint64_t count;
				ssize_t  got = read(r->evfd, &count, sizeof(count));
				(void)got; /* only the wake-up matters */
			} else {
				flight_step(r, evs[i].data.ptr);
			}
		}
		step_due(r);
		expire_pending(r);
		feed_pending(r);
	}
	return NULL;
}

void
wake(read_reactor *r)
{
	uint64_t one = 1;
	ssize_t  put = write(r->evfd, &one, sizeof(one));
	(void)put; /* a full counter wakes the thread just the same */
}

/* ---- the interface --------------------------------------------------- */

/* The pool's connector made a connection, or failed to: look again. */
static void
notified(void *arg)
{
	wake(arg);
}

int
read_reactor_new(read_reactor **out, pool *p, size_t max_pending, bool coalesce, int depth)
{
	read_reactor      *r = calloc(1, sizeof(*r));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int                rv;

	if (r == NULL)
		return ENOMEM;
	r->pool = p;
	r->max_pending = max_pending;
	r->coalesce = coalesce;
	r->depth = depth < 1 ? 1 : depth > 64 ? 64 : depth;
	r->epfd = r->evfd = -1;
	r->sleep_until_us = 0;
	pthread_mutex_init(&r->mtx, NULL);
	if ((r->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (r->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->evfd, &ev) != 0) {
		rv = errno;
		goto fail;
	}
	if ((rv = pthread_create(&r->thread, NULL, reactor_main, r)) != 0)
		goto fail;
	r->thread_started = true;
	pool_set_notify(p, notified, r);
	*out = r;
	return 0;
fail:
	read_reactor_free(r);
	return rv;
}

/* Joins q's request to the pending flight of its key; false if none. Locked. */
static bool
join_pending(read_reactor *r, const read_query *q, read_waiter *w)
{
	flight *f;

	if (!r->coalesce || q->key == NULL || (f = find_key(r->pending, q->key)) == NULL)
		return false;
	w->next = f->waiters;
	f->waiters = w;
	r->n_waiting++;
	return true;
}

cruddur_status
read_reactor_submit(read_reactor *r, const read_query *q, read_waiter *w, char *msg,
    size_t msglen)
{
	flight        *f;
	pool_conn     *conn = NULL;
	cruddur_status st;

	w->next = NULL;
	pthread_mutex_lock(&r->mtx);
	if (r->stopping) {
		pthread_mutex_unlock(&r->mtx);
		set_msg(msg, msglen, "the server is shutting down");
		return CRUDDUR_UNAVAILABLE;
	}
	if (r->n_waiting >= r->max_pending) {
		/* Joining a flight costs the database nothing, but a request
		 * that waits holds a context all the same: the bound is on
		 * waiting requests, not on queries. */
		pthread_mutex_unlock(&r->mtx);
		set_msg(msg, msglen, "the server is overloaded: its read queue is full");
		return CRUDDUR_RESOURCE_EXHAUSTED;
	}
	if (join_pending(r, q, w)) {
		atomic_fetch_add(&r->requests, 1);
		pthread_mutex_unlock(&r->mtx);
		return CRUDDUR_OK;
	}
	/* Made only now: a request that joins a flight needs none. */
	if ((f = flight_new(q, &st, msg, msglen)) == NULL) {
		pthread_mutex_unlock(&r->mtx);
		return st;
	}
	atomic_fetch_add(&r->requests, 1);
	f->waiters = w;
	/* While the reactor waits in pool_acquire the connections are for it
	 * (feed_pending). */
	pool_try t = sendable(r, f) && !r->acquiring ? pool_try_acquire(r->pool, &conn) : POOL_BUSY;
	if (t == POOL_TAKEN) {
		f->next = r->running;
		r->running = f;
		r->n_running++;
		pthread_mutex_unlock(&r->mtx);
		flight_start(r, f, conn);
		return CRUDDUR_OK;
	}
	if (r->pending_tail != NULL)
		r->pending_tail->next = f;
	else
		r->pending = f;
	r->pending_tail = f;
	r->n_waiting++;
	f->queued_us = clock_mono_us();
	/* Nobody else would start it: no read of ours runs to end and feed
	 * it, or the pool can make a connection that only the reactor may
	 * wait for. */
	bool need_wake = t != POOL_BUSY || r->n_running == 0 ||
	    (w->deadline_us != 0 && w->deadline_us < r->sleep_until_us);
	pthread_mutex_unlock(&r->mtx);
	if (need_wake)
		wake(r);
	return CRUDDUR_OK;
}

void
read_reactor_get_stats(read_reactor *r, read_reactor_stats *out)
{
	pthread_mutex_lock(&r->mtx);
	out->waiting = r->n_waiting;
	out->running = r->n_running;
	pthread_mutex_unlock(&r->mtx);
	out->queries = atomic_load(&r->queries);
	out->requests = atomic_load(&r->requests);
	out->pipelines = atomic_load(&r->pipelines);
	out->pipelined_queries = atomic_load(&r->pipelined_queries);
}

void
read_reactor_stop(read_reactor *r)
{
	if (r == NULL || !r->thread_started)
		return;
	pthread_mutex_lock(&r->mtx);
	r->stopping = true;
	pthread_mutex_unlock(&r->mtx);
	wake(r);
	pthread_join(r->thread, NULL);
	r->thread_started = false;
}

void
read_reactor_free(read_reactor *r)
{
	if (r == NULL)
		return;
	if (r->thread_started)
		pool_set_notify(r->pool, NULL, NULL); /* before r goes */
	read_reactor_stop(r);
	if (r->evfd >= 0)
		close(r->evfd);
	if (r->epfd >= 0)
		close(r->epfd);
	pthread_mutex_destroy(&r->mtx);
	free(r);
}
