/*
 * read_flight.c - the read reactor's flights (read_reactor.h: one query
 * and the requests that take its result): made with their text copied
 * in, kept in lists, their one statement sent, looked at and ended, their
 * requests told. Several statements in one pipeline are read_pipeline.c's.
 *
 * Locking as in read_reactor_internal.h: flight_unlink is called with
 * r->mtx held; flight_start runs without it on the thread that moved the
 * flight to running and hands the flight over to the reactor thread,
 * which alone steps it from then on (flight_step, flight_rearm); the
 * requests are told without the lock (flight_deliver, flight_tell,
 * flight_finish), since their done callbacks run then.
 *
 * Ownership: a flight from flight_new or flight_clone is its caller's
 * until it is in one of r's lists; whoever ends it frees it (here
 * flight_finish). A request is its caller's again once its done callback
 * has been called.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "base/clock.h"
#include "base/text.h"
#include "obs/log.h"
#include "reads/read_reactor_internal.h"

/* A running statement is looked at this often even without input: its
 * deadline, a cancel to resend (pool_conn_step sets the exact time). */
#define STEP_EVERY_US 200000

/* ---- made ------------------------------------------------------------ */

flight *
flight_new(const read_query *q, cruddur_status *st, char *msg, size_t msglen)
{
	const char *src[READ_MAX_PARAMS + 1];
	int         n = q->stmt->nparams;
	size_t      need = 0;
	flight     *f;

	*st = CRUDDUR_INVALID_ARGUMENT;
	if (n > READ_MAX_PARAMS) {
		text_set(msg, msglen, "the query has more parameters than the read reactor takes");
		return NULL;
	}
	for (int i = 0; i <= n; i++) { /* the parameters, then the key */
		src[i] = i < n ? q->params[i] : q->key;
		need += src[i] != NULL ? strlen(src[i]) + 1 : 0; /* NULL: SQL NULL, or no key */
	}
	if (need > READ_MAX_TEXT) {
		text_set(msg, msglen, "the query's text is longer than the read reactor takes");
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		*st = CRUDDUR_RESOURCE_EXHAUSTED;
		text_set(msg, msglen, "out of memory");
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

flight *
flight_clone(const flight *f)
{
	flight *c = malloc(sizeof(*c));

	if (c == NULL)
		return NULL;
	*c = *f;
	for (int i = 0; i < READ_MAX_PARAMS; i++)
		if (f->params[i] != NULL)
			c->params[i] = c->text + (f->params[i] - f->text);
	if (f->key != NULL)
		c->key = c->text + (f->key - f->text);
	c->next = c->batch = NULL;
	c->conn = NULL;
	c->step_at_us = 0;
	c->pipelined = c->told = false;
	return c;
}

/* ---- its requests and its lists -------------------------------------- */

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

size_t
flight_count_waiters(const flight *f)
{
	size_t n = 0;
	for (const read_waiter *w = f->waiters; w != NULL; w = w->next)
		n++;
	return n;
}

void
flight_unlink(flight **head, flight **tail, flight *f)
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

void
flight_deliver(read_waiter *waiters, cruddur_status st, const char *msg, const PGresult *res)
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

/* Tells f's requests the outcome of its statement. */
void
flight_tell(read_reactor *r, flight *f, cruddur_status st, const char *msg, const PGresult *res)
{
	if (f->waiters == NULL)
		return; /* a lead told already (pipeline_told) */
	if (r->coalesce && f->key != NULL && log_enabled(LOG_DEBUG))
		log_debug("msg=\"shared feed query\" requests=%zu status=%s", flight_count_waiters(f),
		    cruddur_status_name(st));
	flight_deliver(f->waiters, st, msg, res);
	f->waiters = NULL;
}

/* ---- running --------------------------------------------------------- */

/* Ends running flight f: out of the running list, its connection back to
 * the pool, its requests told. */
void
flight_finish(read_reactor *r, flight *f, cruddur_status st, const char *msg, const PGresult *res)
{
	pthread_mutex_lock(&r->mtx);
	flight_unlink(&r->running, NULL, f);
	r->n_running--;
	/* Pending flights may count on this end to start them (submit's
	 * need_wake); off the reactor thread (a start that failed in submit)
	 * nothing else would tell the reactor. */
	bool need_wake = r->pending != NULL && !pthread_equal(pthread_self(), r->thread);
	pthread_mutex_unlock(&r->mtx);
	if (f->conn != NULL)
		pool_release(r->pool, f->conn);
	if (need_wake)
		reactor_wake(r);
	flight_tell(r, f, st, msg, res);
	free(f);
}

/* Sends f's statement on conn, with a batch when it can (read_pipeline.c). */
void
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
		reactor_wake(r);
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

void
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
